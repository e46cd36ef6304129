// Fargate on the simulated runner and the manual clock: the task's ENI (its
// own 127.x address) in attachments and on its containers, platform 1.4.0,
// capacity provider strategies (base first, then weight; the cluster's default
// strategy), its own storage deleted when it stops, FARGATE_SPOT interruptions
// with the two-minute warning, user-triggered and at a seeded rate.
import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { advance, FARGATE_NETWORK, fargateDefinition, recordTaskEvents, seedCluster, seedDefinition, settle, sim, simulatedEngine } from './tasks-fixtures.js'

t.test('a Fargate task has its own address as its ENI, platform 1.4.0, no instance, and its own storage until it stops', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work', { instances: [] })
  fargateDefinition(engine, 'web', [
    { name: 'app', image: 'busybox', environment: sim(60) },
    { name: 'side', image: 'busybox', essential: false, environment: sim(3600) }
  ], '512', '1024')
  const { tasks, failures } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'web', launchType: 'FARGATE', networkConfiguration: FARGATE_NETWORK })
  t.same(failures, [])
  const task = tasks![0]
  t.equal(task.launchType, 'FARGATE')
  t.equal(task.platformVersion, '1.4.0')
  t.equal(task.platformFamily, 'Linux')
  t.equal(task.containerInstanceArn, undefined)
  t.equal(task.cpu, '512')
  t.equal(task.memory, '1024')
  t.same(task.ephemeralStorage, { sizeInGiB: 20 })
  const eni = task.attachments![0]
  t.equal(eni.type, 'ElasticNetworkInterface')
  t.equal(eni.status, 'ATTACHED')
  const detail = Object.fromEntries(eni.details!.map((d) => [d.name, d.value]))
  t.equal(detail.subnetId, 'subnet-0123456789abcdef0')
  t.match(detail.networkInterfaceId, /^eni-[0-9a-f]{17}$/)
  t.match(detail.macAddress, /^0a(:[0-9a-f]{2}){5}$/)
  t.match(detail.privateIPv4Address, /^127\.\d+\.\d+\.\d+$/)
  t.not(detail.privateIPv4Address, '127.0.0.1')
  for (const c of task.containers!) t.same(c.networkInterfaces, [{ attachmentId: eni.id, privateIpv4Address: detail.privateIPv4Address }], `${c.name} shares the task's address`)

  // The containers' limits are the task's, shared (the launcher's row holds the runner's spec).
  const row = engine.launcher.get(`ecs:${task.taskArn!.split('/').pop()}#1`)!
  t.same(row.spec.containers.map((c) => [c.vcpus, c.memoryMiB]), [[0.25, 512], [0.25, 512]])
  t.equal(row.address, detail.privateIPv4Address)
  // Accounted in the cluster's Fargate pool, not on instances.
  t.equal(engine.pools.nodes('ecs-work-fargate')[0].value.usedCpu, 500)

  await settle(engine)
  const taskDir = join(engine.ecs.context.settings.workRoot, 'tasks', task.taskArn!.split('/').pop()!)
  t.ok(existsSync(taskDir), 'its own storage exists while it runs')
  await advance(engine, 60_000)
  const stopped = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [task.taskArn!] })).tasks![0]
  t.equal(stopped.lastStatus, 'STOPPED')
  t.notOk(existsSync(taskDir), 'and is deleted once it stopped')
  t.equal(engine.pools.nodes('ecs-work-fargate')[0].value.usedCpu, 0)
})

t.test('capacity provider strategies: base first, then by weight; the cluster default; FARGATE_SPOT interruption', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work', { instances: [], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] })
  fargateDefinition(engine, 'web', [{ name: 'app', image: 'busybox', environment: sim(3600) }])
  const split = await engine.ecs.runTask({
    cluster: 'work', taskDefinition: 'web', count: 10, networkConfiguration: FARGATE_NETWORK,
    capacityProviderStrategy: [{ capacityProvider: 'FARGATE', base: 2, weight: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 3 }]
  })
  const by = (name: string) => split.tasks!.filter((x) => x.capacityProviderName === name).length
  t.equal(by('FARGATE'), 4, 'base 2, then 2 of the 8 by weight 1:3')
  t.equal(by('FARGATE_SPOT'), 6)
  t.ok(split.tasks!.every((x) => x.launchType === 'FARGATE'))

  const byDefault = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'web', networkConfiguration: FARGATE_NETWORK })
  t.equal(byDefault.tasks![0].capacityProviderName, 'FARGATE_SPOT', "the cluster's default strategy")
  await settle(engine)

  const events = recordTaskEvents(engine)
  const spot = byDefault.tasks![0].taskArn!
  const { task } = await engine.ecs.interruptSpotTask({ cluster: 'work', task: spot })
  t.equal(task.stopCode, 'SpotInterruption')
  t.equal(task.stoppedReason, 'Your Spot Task was interrupted.')
  t.equal(task.desiredStatus, 'STOPPED')
  await settle(engine)
  const warning = events.find((e) => (e.detail as { taskArn: string }).taskArn === spot)!
  t.match(warning.detail, { stopCode: 'SpotInterruption', desiredStatus: 'STOPPED', stoppedReason: 'Your Spot Task was interrupted.' }, 'the two-minute warning is a task state change')
  const described = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [spot] })).tasks![0]
  t.equal(described.lastStatus, 'STOPPED', 'SIGTERM ended the simulated container at once')
  t.equal(described.stopCode, 'SpotInterruption')
  const onDemand = split.tasks!.find((x) => x.capacityProviderName === 'FARGATE')!.taskArn!
  await t.rejects(engine.ecs.interruptSpotTask({ cluster: 'work', task: onDemand }), { code: 'InvalidParameterException', field: 'task' })
})

t.test('a seeded rate interrupts running Spot tasks on the clock', async (t) => {
  const engine = await simulatedEngine({ ecs: { spotInterruption: { ratePerMinute: 0.5, seed: 7 } } })
  t.teardown(() => engine.close())
  seedCluster(engine, 'work', { instances: [] })
  fargateDefinition(engine, 'web', [{ name: 'app', image: 'busybox', environment: sim(3600) }])
  const { tasks } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'web', count: 8, networkConfiguration: FARGATE_NETWORK, capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] })
  await settle(engine)
  await advance(engine, 60_000)
  const after = (await engine.ecs.describeTasks({ cluster: 'work', tasks: tasks!.map((x) => x.taskArn!) })).tasks!
  const interrupted = after.filter((x) => x.stopCode === 'SpotInterruption')
  t.ok(interrupted.length > 0 && interrupted.length < 8, `some but not all of 8 interrupted at rate 0.5 (${interrupted.length})`)
  t.ok(interrupted.every((x) => x.stoppedReason === 'Your Spot Task was interrupted.'))
})

t.test('taskCost: Fargate\'s per vCPU and GB rates from the pull until the stop; an EC2 task costs nothing of its own', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work')
  fargateDefinition(engine, 'web', [{ name: 'app', image: 'busybox', environment: sim(3600) }], '1024', '2048')
  seedDefinition(engine, 'ec2', [{ name: 'app', image: 'busybox', memory: 32, environment: sim(3600) }])
  const fg = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'web', launchType: 'FARGATE', networkConfiguration: FARGATE_NETWORK })
  const spot = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'web', networkConfiguration: FARGATE_NETWORK, capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] })
  const ec2 = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'ec2' })
  await settle(engine)
  await advance(engine, 3_600_000)
  const onDemand = await engine.ecs.taskCost({ cluster: 'work', task: fg.tasks![0].taskArn! })
  t.equal(onDemand.seconds, 3600, 'billed from the pull until it stopped, an hour later')
  t.ok(Math.abs(onDemand.usd - (1 * 0.04048 + 2 * 0.004445)) < 1e-9, `1 vCPU and 2 GB for an hour at us-east-1's rates (${onDemand.usd})`)
  const spotCost = await engine.ecs.taskCost({ cluster: 'work', task: spot.tasks![0].taskArn! })
  t.equal(spotCost.capacityProviderName, 'FARGATE_SPOT')
  t.ok(spotCost.usd < onDemand.usd, 'Spot is cheaper')
  t.equal((await engine.ecs.taskCost({ cluster: 'work', task: ec2.tasks![0].taskArn! })).usd, 0)
  await t.rejects(engine.ecs.taskCost({ cluster: 'work', task: 'nope' }), { code: 'InvalidParameterException', field: 'task' })
})
