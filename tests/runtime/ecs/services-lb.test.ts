// ECS services behind an Application Load Balancer (real ELBv2 control and
// data planes; the tasks' targets are real HTTP servers on each task's 127.x
// address; manual clock): the tasks are registered as they run and requests
// through the load balancer reach both; the deployment completes only once
// the targets are healthy; a task whose target fails its health checks is
// stopped (drained first) and replaced, with ECS's events; the grace period
// holds that off; a rolling deployment waits for the new targets' health; a
// service with two target groups (two listeners) registers, waits on, serves
// through and drains every task in both.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { addInstance, createCluster, describe, liveTasks, settle, sim, simulatedEngine } from './services-fixtures.js'
import { addressOfTask, alb, awsvpcDefinition, get, listener, loadBalancers, NETWORK, PORT, targetGroup, TaskServers, until } from './lb-fixtures.js'

async function setUp(t: Test) {
  const engine = await simulatedEngine()
  const servers = new TaskServers()
  const lbs = await loadBalancers(engine)
  t.teardown(async () => { await servers.close(); await lbs.close(); await engine.close() })
  await createCluster(engine, 'web')
  const tg = await targetGroup(lbs.elb, 'web')
  const lb = await alb(lbs.elb, 'web', tg)
  return { engine, servers, elb: lbs.elb, tg, lb }
}

t.test('two tasks behind an ALB: registered as they run, healthy before the deployment completes, both reached', async (t) => {
  const { engine, servers, elb, tg, lb } = await setUp(t)
  await awsvpcDefinition(engine, 'app', sim(36_000))
  await engine.ecs.createService({
    cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 2, networkConfiguration: NETWORK,
    loadBalancers: [{ targetGroupArn: tg, containerName: 'app', containerPort: PORT }]
  })
  await settle(engine)
  await until(engine, 'both tasks registered', async () => ((await elb.describeTargetHealth({ TargetGroupArn: tg })).TargetHealthDescriptions ?? []).length === 2)
  const s0 = await describe(engine, 'web', 'web')
  t.ok(s0.events!.some((e) => e.message === `(service web) registered 2 targets in (target-group ${tg})`), 'ECS\'s registration event')
  t.equal(s0.deployments![0].rolloutState, 'IN_PROGRESS', 'RUNNING is not enough: the targets are not healthy yet')
  const ids = liveTasks(engine, 'web', 'web').map((r) => r.taskId).sort()
  const health = (await elb.describeTargetHealth({ TargetGroupArn: tg })).TargetHealthDescriptions!
  t.same(health.map((h) => h.Target!.Port), [PORT, PORT])

  await until(engine, 'the deployment completed', async () => (await describe(engine, 'web', 'web')).deployments![0].rolloutState === 'COMPLETED', 1000, 400,
    () => servers.serveRunning(engine, 'web', 'web'))
  const states = (await elb.describeTargetHealth({ TargetGroupArn: tg })).TargetHealthDescriptions!.map((h) => h.TargetHealth!.State)
  t.same(states, ['healthy', 'healthy'])
  const seen = new Set<string>()
  for (let i = 0; i < 10; i++) seen.add((await get(lb.address, lb.port)).body)
  t.same([...seen].sort(), ids, 'requests through the load balancer reach both tasks')
})

t.test('a task whose target fails its health checks is drained, stopped and replaced', async (t) => {
  const { engine, servers, elb, tg } = await setUp(t)
  await awsvpcDefinition(engine, 'app', sim(36_000))
  await engine.ecs.createService({
    cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 2, networkConfiguration: NETWORK,
    loadBalancers: [{ targetGroupArn: tg, containerName: 'app', containerPort: PORT }], healthCheckGracePeriodSeconds: 0
  })
  await until(engine, 'steady', async () => (await describe(engine, 'web', 'web')).deployments![0].rolloutState === 'COMPLETED', 1000, 400,
    () => servers.serveRunning(engine, 'web', 'web'))
  const [victim, other] = liveTasks(engine, 'web', 'web')
  await servers.stop(victim.taskId)
  await until(engine, 'the victim stopped', () => engine.store.get<{ task: Record<string, any> }>('ecs:tasks', victim.taskId)?.value.task.lastStatus === 'STOPPED')
  const stopped = (await engine.ecs.describeTasks({ cluster: 'web', tasks: [victim.taskId] })).tasks![0]
  t.equal(stopped.stoppedReason, `Task failed ELB health checks in (target-group ${tg})`)
  t.equal(stopped.stopCode, 'ServiceSchedulerInitiated')
  await until(engine, 'a replacement healthy', async () => {
    const live = liveTasks(engine, 'web', 'web')
    return live.length === 2 && (await describe(engine, 'web', 'web')).runningCount === 2 &&
      ((await elb.describeTargetHealth({ TargetGroupArn: tg })).TargetHealthDescriptions ?? []).filter((h) => h.TargetHealth!.State === 'healthy').length === 2
  }, 1000, 400, () => servers.serveRunning(engine, 'web', 'web'))
  t.ok(liveTasks(engine, 'web', 'web').some((r) => r.taskId === other.taskId), 'the healthy task kept serving')
  const messages = (await describe(engine, 'web', 'web')).events!.map((e) => e.message!)
  t.ok(messages.includes(`(service web) (task ${victim.taskId}) failed ELB health checks in (target-group ${tg})`), 'ECS\'s event for the task')
  t.ok(messages.includes('(service web) has begun draining connections on 1 tasks.'))
  t.ok(messages.includes(`(service web) deregistered 1 targets in (target-group ${tg})`))
  const targets = (await elb.describeTargetHealth({ TargetGroupArn: tg })).TargetHealthDescriptions!.map((h) => h.Target!.Id)
  t.notOk(targets.includes(String(victim.task.containers[0].networkInterfaces[0].privateIpv4Address)), 'its target left the group')
})

t.test('the grace period holds off the stop of a task whose target is unhealthy', async (t) => {
  const { engine, tg } = await setUp(t)
  await awsvpcDefinition(engine, 'app', sim(36_000))
  await engine.ecs.createService({
    cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 1, networkConfiguration: NETWORK,
    loadBalancers: [{ targetGroupArn: tg, containerName: 'app', containerPort: PORT }], healthCheckGracePeriodSeconds: 120
  })
  await settle(engine)
  const [task] = liveTasks(engine, 'web', 'web')
  // Nothing answers on the task's port: its target turns unhealthy after 2 checks (10 s), but the grace is 120 s.
  await until(engine, '60 s on', () => engine.clock.now() - Number(new Date(task.task.startedAt)) >= 60_000)
  t.equal(engine.store.get<{ task: Record<string, any> }>('ecs:tasks', task.taskId)?.value.task.desiredStatus, 'RUNNING', 'not stopped within the grace period')
  await until(engine, 'stopped after the grace', () => engine.store.get<{ task: Record<string, any> }>('ecs:tasks', task.taskId)?.value.task.desiredStatus === 'STOPPED')
  t.ok(engine.clock.now() - Number(new Date(task.task.startedAt)) >= 120_000, 'only once the grace period ended')
})

t.test('a rolling deployment stops an old task only once a new task\'s target is healthy', async (t) => {
  const { engine, servers, elb, tg } = await setUp(t)
  const v1 = await awsvpcDefinition(engine, 'app', sim(36_000))
  await engine.ecs.createService({
    cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 1, networkConfiguration: NETWORK,
    loadBalancers: [{ targetGroupArn: tg, containerName: 'app', containerPort: PORT }], deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 }
  })
  await until(engine, 'v1 steady', async () => (await describe(engine, 'web', 'web')).deployments![0].rolloutState === 'COMPLETED', 1000, 400,
    () => servers.serveRunning(engine, 'web', 'web'))
  await awsvpcDefinition(engine, 'app', sim(36_000))
  await engine.ecs.updateService({ cluster: 'web', service: 'web', taskDefinition: 'app' })
  await until(engine, 'the new task registered', () => liveTasks(engine, 'web', 'web').filter((r) => r.task.lastStatus === 'RUNNING').length === 2)
  // No server for the new task yet: its target cannot become healthy, and the old task keeps serving.
  for (let i = 0; i < 8; i++) await until(engine, 'a moment', () => true)
  await until(engine, '8 s on', () => true, 1000, 1)
  const old = liveTasks(engine, 'web', 'web').find((r) => r.task.taskDefinitionArn === v1)!
  t.equal(old.task.desiredStatus, 'RUNNING', 'the old task is not stopped while the new target is not healthy')
  await until(engine, 'the rollout completed', async () => {
    const s = await describe(engine, 'web', 'web')
    return s.deployments!.length === 1 && s.deployments![0].rolloutState === 'COMPLETED'
  }, 1000, 400, () => servers.serveRunning(engine, 'web', 'web'))
  t.ok(liveTasks(engine, 'web', 'web').every((r) => r.task.taskDefinitionArn !== v1))
  const health = (await elb.describeTargetHealth({ TargetGroupArn: tg })).TargetHealthDescriptions!
  t.equal(health.length, 1, 'the old target was deregistered')
})

t.test('two target groups (one per listener): every task in both, healthy in both before the deployment completes, reached through both, drained from both', async (t) => {
  const { engine, servers, elb, tg, lb } = await setUp(t)
  // The second group checks /ready, which the tasks' servers answer 404 until they are ready.
  servers.withhold('/ready')
  const ready = await targetGroup(elb, 'web-ready', '/ready')
  const second = await listener(elb, lb, ready)
  const groups = [tg, ready]
  await awsvpcDefinition(engine, 'app', sim(36_000))
  await engine.ecs.createService({
    cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 2, networkConfiguration: NETWORK, healthCheckGracePeriodSeconds: 600,
    loadBalancers: [{ targetGroupArn: tg, containerName: 'app', containerPort: PORT }, { targetGroupArn: ready, containerName: 'app', containerPort: PORT }]
  })
  const described = async (arn: string) => (await elb.describeTargetHealth({ TargetGroupArn: arn })).TargetHealthDescriptions ?? []
  await until(engine, 'both tasks registered in both groups', async () => (await described(tg)).length === 2 && (await described(ready)).length === 2)
  const tasks = liveTasks(engine, 'web', 'web')
  const ids = tasks.map((r) => r.taskId).sort()
  const addresses = tasks.map(addressOfTask).sort()
  for (const arn of groups) {
    const health = await described(arn)
    t.same(health.map((h) => h.Target!.Id).sort(), addresses, `every task is a target of ${arn === tg ? 'the first' : 'the second'} group`)
    t.same(health.map((h) => h.Target!.Port), [PORT, PORT])
  }
  const s0 = await describe(engine, 'web', 'web')
  for (const arn of groups) t.ok(s0.events!.some((e) => e.message === `(service web) registered 2 targets in (target-group ${arn})`), 'a registration event per group')

  // Healthy in the first group, failing /ready in the second: the deployment waits (the grace period keeps the tasks).
  await until(engine, 'healthy in the first group, unhealthy in the second', async () =>
    (await described(tg)).every((h) => h.TargetHealth!.State === 'healthy') && (await described(ready)).every((h) => h.TargetHealth!.State === 'unhealthy'),
  1000, 400, () => servers.serveRunning(engine, 'web', 'web'))
  await until(engine, '30 s on', () => true, 1000, 30)
  const waiting = await describe(engine, 'web', 'web')
  t.equal(waiting.deployments![0].rolloutState, 'IN_PROGRESS', 'healthy in one group is not enough')
  t.same((await described(ready)).map((h) => h.TargetHealth!.State), ['unhealthy', 'unhealthy'])
  t.same(liveTasks(engine, 'web', 'web').map((r) => r.taskId).sort(), ids, 'within the grace period the tasks are kept')

  servers.servePath('/ready')
  await until(engine, 'the deployment completed', async () => (await describe(engine, 'web', 'web')).deployments![0].rolloutState === 'COMPLETED', 1000, 400,
    () => servers.serveRunning(engine, 'web', 'web'))
  for (const arn of groups) t.same((await described(arn)).map((h) => h.TargetHealth!.State), ['healthy', 'healthy'], 'healthy in both groups')
  for (const port of [lb.port, second.port]) {
    const seen = new Set<string>()
    for (let i = 0; i < 10; i++) seen.add((await get(lb.address, port)).body)
    t.same([...seen].sort(), ids, `requests through the listener on ${port === lb.port ? 'the first' : 'the second'} port reach both tasks`)
  }

  // Scale in: the task stopped drains from both groups (past their deregistration delay) before it stops.
  await engine.ecs.updateService({ cluster: 'web', service: 'web', desiredCount: 1 })
  const taskOf = (id: string) => engine.store.get<{ task: Record<string, any> }>('ecs:tasks', id)!.value.task
  await until(engine, 'a task chosen to stop', () => ids.some((id) => taskOf(id).desiredStatus === 'STOPPED'))
  const victim = tasks.find((r) => taskOf(r.taskId).desiredStatus === 'STOPPED')!
  const survivor = tasks.find((r) => r !== victim)!
  await until(engine, 'the victim drained from both groups and stopped', async () =>
    taskOf(victim.taskId).lastStatus === 'STOPPED' && (await described(tg)).length === 1 && (await described(ready)).length === 1)
  t.equal(taskOf(survivor.taskId).desiredStatus, 'RUNNING')
  const messages = (await describe(engine, 'web', 'web')).events!.map((e) => e.message!)
  t.ok(messages.includes('(service web) has begun draining connections on 1 tasks.'))
  for (const arn of groups) {
    t.ok(messages.includes(`(service web) deregistered 1 targets in (target-group ${arn})`), 'a deregistration event per group')
    t.same((await described(arn)).map((h) => h.Target!.Id), [addressOfTask(survivor)], 'only the task left is a target')
  }
  await servers.serveRunning(engine, 'web', 'web')
  for (const port of [lb.port, second.port]) {
    const seen = new Set<string>()
    for (let i = 0; i < 4; i++) seen.add((await get(lb.address, port)).body)
    t.same([...seen], [survivor.taskId], 'both listeners reach the task left')
  }
})

t.test('a bridge-mode service registers instance targets: the container instance and the host port Docker would publish', async (t) => {
  const { engine, elb } = await setUp(t)
  const { TargetGroups } = await elb.createTargetGroup({
    Name: 'bridge', Protocol: 'HTTP', Port: PORT, TargetType: 'instance', HealthCheckPath: '/health',
    HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2
  })
  const tg = String(TargetGroups![0].TargetGroupArn)
  await alb(elb, 'bridge', tg)
  await engine.ecs.registerTaskDefinition({
    family: 'bridged', networkMode: 'bridge', requiresCompatibilities: ['EC2'],
    containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 256, memory: 256, essential: true, environment: sim(36_000), portMappings: [{ containerPort: PORT, hostPort: 0 }] }]
  } as never)
  await engine.ecs.createService({ cluster: 'web', serviceName: 'bridged', taskDefinition: 'bridged', desiredCount: 1, loadBalancers: [{ targetGroupArn: tg, containerName: 'app', containerPort: PORT }] })
  await until(engine, 'registered', async () => ((await elb.describeTargetHealth({ TargetGroupArn: tg })).TargetHealthDescriptions ?? []).length === 1)
  const [task] = liveTasks(engine, 'web', 'bridged')
  const binding = task.task.containers[0].networkBindings[0]
  const [instance] = (await engine.ecs.describeContainerInstances({ cluster: 'web', containerInstances: [String(task.task.containerInstanceArn)] })).containerInstances!
  const [target] = (await elb.describeTargetHealth({ TargetGroupArn: tg })).TargetHealthDescriptions!
  t.equal(target.Target!.Id, instance.ec2InstanceId, 'the container instance\'s EC2 instance id')
  t.equal(target.Target!.Port, binding.hostPort, 'the dynamic host port')
  t.not(binding.hostPort, PORT)
  t.equal(engine.ecs.instanceAddress(String(instance.ec2InstanceId)), '127.0.0.1', 'where the instance\'s published ports listen')
  t.equal(engine.ecs.instanceAddress('i-00000000000000000'), undefined)
})

t.test('an instance target whose container instance is deregistered: unused (Target.InvalidState), no traffic; registered again by id: refused', async (t) => {
  const { engine, elb } = await setUp(t)
  const server = http.createServer((req, res) => res.end(req.url === '/health' ? 'ok' : 'served'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  const port = (server.address() as AddressInfo).port
  const arn = await addInstance(engine, 'web', { vcpus: 2, memory: 4096 })
  const [instance] = (await engine.ecs.describeContainerInstances({ cluster: 'web', containerInstances: [arn] })).containerInstances!
  const id = String(instance.ec2InstanceId)
  const { TargetGroups } = await elb.createTargetGroup({
    Name: 'instances', Protocol: 'HTTP', Port: port, TargetType: 'instance', HealthCheckPath: '/health',
    HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2
  })
  const tg = String(TargetGroups![0].TargetGroupArn)
  const lb = await alb(elb, 'instances', tg)
  await elb.registerTargets({ TargetGroupArn: tg, Targets: [{ Id: id, Port: port }] })
  const state = async () => (await elb.describeTargetHealth({ TargetGroupArn: tg })).TargetHealthDescriptions![0].TargetHealth!
  await until(engine, 'healthy', async () => (await state()).State === 'healthy')
  t.same(await get(lb.address, lb.port), { status: 200, body: 'served' })
  await engine.ecs.deregisterContainerInstance({ cluster: 'web', containerInstance: arn })
  await until(engine, 'invalid', async () => (await state()).State === 'unused')
  t.same(await state(), { State: 'unused', Reason: 'Target.InvalidState', Description: 'Target is in the stopped or terminated state' })
  t.equal((await get(lb.address, lb.port)).status, 503, 'no target can take the request')
  await t.rejects(elb.registerTargets({ TargetGroupArn: tg, Targets: [{ Id: id, Port: port + 1 }] }), { code: 'InvalidTarget', message: `The following targets are not valid instances: '${id}'` })
  await elb.deregisterTargets({ TargetGroupArn: tg, Targets: [{ Id: id, Port: port }] })
  t.equal((await state()).State, 'draining')
})

t.test('loadBalancers that do not fit are refused as ECS refuses them, and nothing is created', async (t) => {
  const { engine, elb, tg } = await setUp(t)
  await awsvpcDefinition(engine, 'app', sim(36_000))
  const { TargetGroups } = await elb.createTargetGroup({ Name: 'lonely', Protocol: 'HTTP', Port: PORT, TargetType: 'ip' })
  const lonely = String(TargetGroups![0].TargetGroupArn)
  const instanceTg = String((await elb.createTargetGroup({ Name: 'instances', Protocol: 'HTTP', Port: PORT, TargetType: 'instance' })).TargetGroups![0].TargetGroupArn)
  await alb(elb, 'instances', instanceTg)
  const base = { cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 1, networkConfiguration: NETWORK }
  const cases: Array<[string, Record<string, unknown>, { code: string; field: string; message?: string }]> = [
    ['a group without a load balancer', { loadBalancers: [{ targetGroupArn: lonely, containerName: 'app', containerPort: PORT }] },
      { code: 'InvalidParameterException', field: 'loadBalancers[0].targetGroupArn', message: `The target group with targetGroupArn ${lonely} does not have an associated load balancer.` }],
    ['an instance group for awsvpc', { loadBalancers: [{ targetGroupArn: instanceTg, containerName: 'app', containerPort: PORT }] },
      { code: 'InvalidParameterException', field: 'loadBalancers[0].targetGroupArn', message: `The provided target group ${instanceTg} has target type instance, which is incompatible with the awsvpc network mode specified in the task definition.` }],
    ['a container the definition lacks', { loadBalancers: [{ targetGroupArn: tg, containerName: 'web', containerPort: PORT }] },
      { code: 'InvalidParameterException', field: 'loadBalancers[0].containerName', message: 'The container web does not exist in the task definition.' }],
    ['a port it does not map', { loadBalancers: [{ targetGroupArn: tg, containerName: 'app', containerPort: PORT + 1 }] },
      { code: 'InvalidParameterException', field: 'loadBalancers[0].containerPort', message: `The container app did not have a container port ${PORT + 1} defined.` }]
  ]
  for (const [what, change, expected] of cases) await t.rejects(engine.ecs.createService({ ...base, ...change } as never), expected, what)
  t.same((await engine.ecs.listServices({ cluster: 'web' })).serviceArns, [], 'nothing was created')
  await engine.ecs.createService({ ...base, serviceName: 'ok', loadBalancers: [{ targetGroupArn: tg, containerName: 'app', containerPort: PORT }] })
  await t.rejects(engine.ecs.updateService({ cluster: 'web', service: 'ok', loadBalancers: [{ targetGroupArn: instanceTg, containerName: 'app', containerPort: PORT }] }), { code: 'InvalidParameterException', field: 'loadBalancers[0].targetGroupArn' })
  const s = await describe(engine, 'web', 'ok')
  t.same(s.loadBalancers, [{ targetGroupArn: tg, containerName: 'app', containerPort: PORT }], 'a refused update changed nothing')
})
