// ECS tasks on the simulated runner and the manual clock: RunTask writes
// PROVISIONING tasks that go PENDING and RUNNING as the runner reports them;
// an essential container's exit stops the task with ECS's reason; StopTask
// stops it as the user's; tasks that find no place are failures with ECS's
// reasons; stopped tasks are describable for an hour, then purged.
import t from 'tap'
import { advance, recordTaskEvents, seedCluster, seedDefinition, settle, sim, simulatedEngine } from './tasks-fixtures.js'

t.test('a two-container task runs, and stops when its essential container exits', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work', { instances: [{ vcpus: 4, memory: 8192 }] })
  seedDefinition(engine, 'pair', [
    { name: 'app', image: 'busybox', cpu: 512, memory: 256, environment: sim(30, 3) },
    { name: 'sidecar', image: 'busybox', cpu: 256, memory: 128, essential: false, environment: sim(3600) }
  ])
  const events = recordTaskEvents(engine)
  const changed: string[] = []
  engine.ecs.context.hooks.taskChanged.add((r) => changed.push(String(r.task.lastStatus)))
  const running: string[] = []
  engine.ecs.context.hooks.lifecycle.add({ running: (r) => running.push(String(r.task.taskArn)) })

  const { tasks, failures } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'pair', startedBy: 'me' })
  t.same(failures, [])
  t.equal(tasks!.length, 1)
  const task = tasks![0]
  t.equal(task.lastStatus, 'PROVISIONING')
  t.equal(task.desiredStatus, 'RUNNING')
  t.equal(task.group, 'family:pair')
  t.equal(task.launchType, 'EC2')
  t.equal(task.cpu, '768')
  t.equal(task.memory, '384')
  t.match(task.taskArn, /^arn:aws:ecs:us-east-1:\d{12}:task\/work\/[0-9a-f]{32}$/)
  t.match(task.containerInstanceArn, /:container-instance\/work\//)

  await settle(engine)
  let described = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [task.taskArn!] })).tasks![0]
  t.equal(described.lastStatus, 'RUNNING')
  t.equal(described.connectivity, 'CONNECTED')
  t.ok(described.startedAt instanceof Date)
  t.same(described.containers!.map((c) => [c.name, c.lastStatus]), [['app', 'RUNNING'], ['sidecar', 'RUNNING']])
  t.equal(described.healthStatus, 'UNKNOWN')
  t.same(running, [task.taskArn])

  await advance(engine, 30_000)
  described = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [task.taskArn!] })).tasks![0]
  t.equal(described.lastStatus, 'STOPPED')
  t.equal(described.desiredStatus, 'STOPPED')
  t.equal(described.stopCode, 'EssentialContainerExited')
  t.equal(described.stoppedReason, 'Essential container in task exited')
  t.equal(described.containers!.find((c) => c.name === 'app')!.exitCode, 3)
  t.equal(described.containers!.find((c) => c.name === 'sidecar')!.lastStatus, 'STOPPED')
  t.ok(described.executionStoppedAt instanceof Date && described.stoppedAt instanceof Date)

  const statuses = events.filter((e) => (e.detail as { taskArn: string }).taskArn === task.taskArn).map((e) => (e.detail as { lastStatus: string }).lastStatus)
  t.same(statuses, ['PROVISIONING', 'PENDING', 'RUNNING', 'DEPROVISIONING', 'STOPPED'])
  t.equal(events[0].source, 'aws.ecs')
  t.equal(typeof (events[0].detail as { createdAt: unknown }).createdAt, 'string', 'event timestamps are ISO text, as ECS sends them')
  t.same(changed, ['PROVISIONING', 'PENDING', 'RUNNING', 'DEPROVISIONING', 'STOPPED'])

  // The instance has its room back.
  const node = engine.pools.nodes('ecs-work')[0].value
  t.equal(node.usedCpu, 0)
  t.equal(node.running, 0)
})

t.test('StopTask stops a running task as the user\'s; a stopped task stays; an unknown one is refused', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work')
  seedDefinition(engine, 'long', [{ name: 'app', image: 'busybox', memory: 128, environment: sim(3600) }])
  const stopping: string[] = []
  engine.ecs.context.hooks.lifecycle.add({ stopping: (r) => stopping.push(String(r.task.lastStatus)) })
  const events = recordTaskEvents(engine)
  const { tasks } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'long' })
  const arn = tasks![0].taskArn!
  await settle(engine)

  const { task } = await engine.ecs.stopTask({ cluster: 'work', task: arn })
  t.equal(task!.desiredStatus, 'STOPPED')
  t.equal(task!.lastStatus, 'DEACTIVATING')
  t.equal(task!.stopCode, 'UserInitiated')
  t.equal(task!.stoppedReason, 'Task stopped by user')
  t.ok(task!.stoppingAt instanceof Date)
  t.same(stopping, ['DEACTIVATING'])
  await settle(engine)
  const described = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [arn] })).tasks![0]
  t.equal(described.lastStatus, 'STOPPED')
  t.equal(described.stopCode, 'UserInitiated', 'the stop decided first is the one reported')
  t.equal(described.containers![0].exitCode, 143, 'SIGTERM ended it')
  const statuses = events.map((e) => (e.detail as { lastStatus: string }).lastStatus)
  t.same(statuses, ['PROVISIONING', 'PENDING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'])

  const again = await engine.ecs.stopTask({ cluster: 'work', task: arn, reason: 'twice' })
  t.equal(again.task!.stoppedReason, 'Task stopped by user', 'stopping a stopped task changes nothing')
  await t.rejects(engine.ecs.stopTask({ cluster: 'work', task: 'f'.repeat(32) }), { code: 'InvalidParameterException', message: 'The referenced task was not found.', field: 'task' })
  await t.rejects(engine.ecs.stopTask({ cluster: 'work', task: arn, reason: 'x'.repeat(256) }), { code: 'InvalidParameterException', field: 'reason', limit: 255 })
})

t.test('tasks that find no place are failures with ECS\'s reasons', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'small', { instances: [{ vcpus: 2, memory: 1024 }] })
  seedDefinition(engine, 'cpu', [{ name: 'app', image: 'busybox', cpu: 1024, memory: 128, environment: sim(3600) }])
  seedDefinition(engine, 'mem', [{ name: 'app', image: 'busybox', cpu: 10, memory: 4096, environment: sim(3600) }])
  const memory = await engine.ecs.runTask({ cluster: 'small', taskDefinition: 'mem' })
  t.same(memory.tasks, [])
  t.equal(memory.failures![0].reason, 'RESOURCE:MEMORY')
  const placed = await engine.ecs.runTask({ cluster: 'small', taskDefinition: 'cpu', count: 3 })
  t.equal(placed.tasks!.length, 2)
  t.equal(placed.failures!.length, 1)
  t.equal(placed.failures![0].reason, 'RESOURCE:CPU')
  t.match(placed.failures![0].arn, /:container-instance\/small\//)
  const constrained = await engine.ecs.runTask({ cluster: 'small', taskDefinition: 'cpu', placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type == t2.micro' }] })
  t.equal(constrained.failures![0].reason, 'MemberOf placement constraint unsatisfied')

  // A static host port is the instance's: a second task wanting it has no place.
  seedCluster(engine, 'ports', { instances: [{ vcpus: 8, memory: 8192 }] })
  seedDefinition(engine, 'port', [{ name: 'app', image: 'busybox', memory: 16, portMappings: [{ containerPort: 80, hostPort: 8080 }], environment: sim(3600) }])
  const ports = await engine.ecs.runTask({ cluster: 'ports', taskDefinition: 'port', count: 2 })
  t.equal(ports.tasks!.length, 1)
  t.equal(ports.failures![0].reason, 'RESOURCE:PORTS')
  t.same(engine.pools.nodes('ecs-ports')[0].value.usedPorts, ['tcp:8080'])

  // distinctInstance: one task of the group per instance.
  seedCluster(engine, 'pair', { instances: [{ vcpus: 8, memory: 8192 }, { vcpus: 8, memory: 8192 }] })
  const distinct = await engine.ecs.runTask({ cluster: 'pair', taskDefinition: 'cpu', count: 3, placementConstraints: [{ type: 'distinctInstance' }] })
  t.equal(distinct.tasks!.length, 2)
  t.not(distinct.tasks![0].containerInstanceArn, distinct.tasks![1].containerInstanceArn)
  t.equal(distinct.failures![0].reason, 'DistinctInstance placement constraint unsatisfied')

  // StartTask: on the instance named, or MISSING.
  seedCluster(engine, 'big', { instances: [{ vcpus: 8, memory: 8192 }] })
  const instance = engine.pools.nodes('ecs-big')[0].value
  const started = await engine.ecs.startTask({ cluster: 'big', taskDefinition: 'cpu', containerInstances: [instance.containerInstanceArn, 'i-0000000000000dead'] })
  t.equal(started.tasks!.length, 1)
  t.equal(started.tasks![0].containerInstanceArn, instance.containerInstanceArn)
  t.same(started.failures, [{ arn: 'i-0000000000000dead', reason: 'MISSING' }])

  // A cluster without instances: ECS's words.
  seedCluster(engine, 'empty', { instances: [] })
  await t.rejects(engine.ecs.runTask({ cluster: 'empty', taskDefinition: 'cpu' }), { code: 'InvalidParameterException', message: 'No Container Instances were found in your cluster.' })
})

t.test('a stopped task is describable for an hour, then purged', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work')
  seedDefinition(engine, 'short', [{ name: 'app', image: 'busybox', memory: 128, environment: sim(1) }])
  const { tasks } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'short' })
  const arn = tasks![0].taskArn!
  await advance(engine, 1000)
  t.equal((await engine.ecs.describeTasks({ cluster: 'work', tasks: [arn] })).tasks![0].lastStatus, 'STOPPED')
  await advance(engine, 3_599_000)
  t.equal((await engine.ecs.describeTasks({ cluster: 'work', tasks: [arn] })).tasks!.length, 1, 'still there just before the hour')
  await advance(engine, 1000)
  const after = await engine.ecs.describeTasks({ cluster: 'work', tasks: [arn] })
  t.same(after.tasks, [])
  t.same(after.failures, [{ arn, reason: 'MISSING' }])
})
