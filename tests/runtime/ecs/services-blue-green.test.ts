// ECS's native blue/green deployments behind a real ALB (ELBv2 control and
// data planes; the tasks' targets are real HTTP servers on their 127.x
// addresses; manual clock). A production rule forwards to the service's
// target group, a test rule (header X-Test: 1) to its alternate. A
// BLUE_GREEN deployment starts the green tasks in the alternate group, sends
// test traffic to them, then all production traffic, bakes, and drains the
// blue tasks; the next deployment goes the other way, and StopServiceDeployment
// ROLLBACK during its bake sends production back to blue and stops green.
// LINEAR moves production in steps; CANARY moves its canary percent, bakes it,
// then moves the rest.
import t, { type Test } from 'tap'
import { createCluster, describe, liveTasks, sim, simulatedEngine } from './services-fixtures.js'
import { alb, awsvpcDefinition, get, loadBalancers, NETWORK, PORT, targetGroup, TaskServers, until } from './lb-fixtures.js'
import type { Elbv2 } from '../../../runtime/elb/service.js'

async function weights(elb: Elbv2, ruleArn: string): Promise<Record<string, number>> {
  const { Rules } = await elb.describeRules({ RuleArns: [ruleArn] })
  const forward = Rules![0].Actions!.find((a) => a.Type === 'forward')!
  const groups = forward.ForwardConfig?.TargetGroups ?? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }]
  return Object.fromEntries(groups.map((g) => [String(g.TargetGroupArn), Number(g.Weight ?? 1)]))
}

async function bodies(address: string, port: number, n: number, headers: Record<string, string> = {}): Promise<Set<string>> {
  const seen = new Set<string>()
  for (let i = 0; i < n; i++) seen.add((await get(address, port, '/', headers)).body)
  return seen
}

async function setUp(t: Test) {
  const engine = await simulatedEngine()
  const servers = new TaskServers()
  const { elb, close } = await loadBalancers(engine)
  t.teardown(async () => { await servers.close(); await close(); await engine.close() })
  await createCluster(engine, 'web')
  const blueTg = await targetGroup(elb, 'web-a')
  const greenTg = await targetGroup(elb, 'web-b')
  const lb = await alb(elb, 'web', blueTg)
  const test = (await elb.createRule({
    ListenerArn: lb.listenerArn, Priority: 1, Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Test', Values: ['1'] } }],
    Actions: [{ Type: 'forward', TargetGroupArn: greenTg }]
  })).Rules![0].RuleArn!
  const production = (await elb.createRule({
    ListenerArn: lb.listenerArn, Priority: 10, Conditions: [{ Field: 'path-pattern', Values: ['/*'] }],
    Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blueTg, Weight: 100 }, { TargetGroupArn: greenTg, Weight: 0 }] } }]
  })).Rules![0].RuleArn!
  const loadBalancersOf = [{
    targetGroupArn: blueTg, containerName: 'app', containerPort: PORT,
    advancedConfiguration: { alternateTargetGroupArn: greenTg, productionListenerRule: production, testListenerRule: test, roleArn: 'arn:aws:iam::000000000000:role/ecs-blue-green' }
  }]
  return { engine, servers, elb, blueTg, greenTg, lb, test, production, loadBalancers: loadBalancersOf }
}

t.test('BLUE_GREEN: green in the alternate group behind the test rule, production shifted, blue drained; then a rollback on request', async (t) => {
  const { engine, servers, elb, blueTg, greenTg, lb, production, loadBalancers: lbs } = await setUp(t)
  const v1 = await awsvpcDefinition(engine, 'app', sim(36_000))
  await engine.ecs.createService({
    cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 2, networkConfiguration: NETWORK,
    deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 1 }, loadBalancers: lbs
  })
  await until(engine, 'v1 steady', async () => (await describe(engine, 'web', 'web')).deployments![0].rolloutState === 'COMPLETED', 1000, 400,
    () => servers.serveRunning(engine, 'web', 'web'))
  const blueIds = liveTasks(engine, 'web', 'web').map((r) => r.taskId).sort()
  t.same([...await bodies(lb.address, lb.port, 8)].sort(), blueIds, 'production reaches the blue tasks')

  // v2: green tasks start in the alternate group; blue keeps production until they are healthy.
  const v2 = await awsvpcDefinition(engine, 'app', sim(36_000))
  await engine.ecs.updateService({ cluster: 'web', service: 'web', taskDefinition: 'app' })
  await until(engine, 'green registered in the alternate group', async () => ((await elb.describeTargetHealth({ TargetGroupArn: greenTg })).TargetHealthDescriptions ?? []).length === 2)
  t.equal(liveTasks(engine, 'web', 'web').filter((r) => r.task.desiredStatus === 'RUNNING').length, 4, 'both revisions at full size')
  t.same(await weights(elb, production), { [blueTg]: 100, [greenTg]: 0 }, 'production stays on blue while green is not healthy')
  await until(engine, 'production on green', async () => (await weights(elb, production))[greenTg] === 100, 1000, 400,
    () => servers.serveRunning(engine, 'web', 'web', (r) => r.task.taskDefinitionArn === v2))
  const greenIds = liveTasks(engine, 'web', 'web').filter((r) => r.task.taskDefinitionArn === v2).map((r) => r.taskId).sort()
  t.same(await weights(elb, production), { [blueTg]: 0, [greenTg]: 100 })
  t.same([...await bodies(lb.address, lb.port, 8)].sort(), greenIds, 'production reaches green')
  t.same([...await bodies(lb.address, lb.port, 8, { 'X-Test': '1' })].sort(), greenIds, 'so does the test rule')
  t.equal(liveTasks(engine, 'web', 'web').filter((r) => r.task.taskDefinitionArn === v1 && r.task.desiredStatus === 'RUNNING').length, 2, 'blue waits out the bake time')
  await until(engine, 'blue drained and stopped, v2 completed', async () => {
    const s = await describe(engine, 'web', 'web')
    return s.deployments!.length === 1 && s.deployments![0].rolloutState === 'COMPLETED' && liveTasks(engine, 'web', 'web').every((r) => r.task.taskDefinitionArn === v2)
  })
  t.same(((await elb.describeTargetHealth({ TargetGroupArn: blueTg })).TargetHealthDescriptions ?? []).length, 0, 'the blue targets left their group')

  // v3 goes the other way (into web-a); its rollback on request sends production back to v2 in web-b.
  await awsvpcDefinition(engine, 'app', sim(36_000))
  await engine.ecs.updateService({ cluster: 'web', service: 'web', taskDefinition: 'app', deploymentConfiguration: { bakeTimeInMinutes: 30 } })
  await until(engine, 'v3 took production', async () => (await weights(elb, production))[blueTg] === 100, 1000, 400,
    () => servers.serveRunning(engine, 'web', 'web', (r) => r.task.taskDefinitionArn !== v2))
  const v3Ids = liveTasks(engine, 'web', 'web').filter((r) => r.task.taskDefinitionArn !== v2).map((r) => r.taskId)
  t.equal(v3Ids.length, 2)
  const [current] = (await engine.ecs.listServiceDeployments({ cluster: 'web', service: 'web', status: ['IN_PROGRESS'] })).serviceDeployments!
  const described = (await engine.ecs.describeServiceDeployments({ serviceDeploymentArns: [String(current.serviceDeploymentArn)] })).serviceDeployments![0]
  t.equal(described.lifecycleStage, 'BAKE_TIME')
  await engine.ecs.stopServiceDeployment({ serviceDeploymentArn: String(current.serviceDeploymentArn), stopType: 'ROLLBACK' })
  await until(engine, 'rolled back', async () => {
    const s = await describe(engine, 'web', 'web')
    return s.deployments!.length === 1 && liveTasks(engine, 'web', 'web').every((r) => r.task.taskDefinitionArn === v2)
  })
  t.same(await weights(elb, production), { [blueTg]: 0, [greenTg]: 100 }, 'production back on the v2 group')
  t.same([...await bodies(lb.address, lb.port, 8)].sort(), greenIds, 'and reaches the v2 tasks')
  const s = await describe(engine, 'web', 'web')
  t.equal(s.deployments![0].taskDefinition, v2)
  t.equal(s.taskDefinition, v2)
  t.ok(s.events!.some((e) => /rolling back to deployment/.test(String(e.message))))
  const after = (await engine.ecs.describeServiceDeployments({ serviceDeploymentArns: [String(current.serviceDeploymentArn)] })).serviceDeployments![0]
  t.equal(after.status, 'ROLLBACK_SUCCESSFUL')
})

t.test('LINEAR shifts production in steps on the clock; green failing its ELB health checks trips the circuit breaker back to blue', async (t) => {
  const { engine, servers, elb, blueTg, greenTg, production, loadBalancers: lbs } = await setUp(t)
  await awsvpcDefinition(engine, 'app', sim(36_000))
  await engine.ecs.createService({
    cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 1, networkConfiguration: NETWORK, healthCheckGracePeriodSeconds: 0, loadBalancers: lbs,
    deploymentConfiguration: { strategy: 'LINEAR', bakeTimeInMinutes: 0, linearConfiguration: { stepPercent: 50, stepBakeTimeInMinutes: 2 }, deploymentCircuitBreaker: { enable: true, rollback: true } }
  })
  await until(engine, 'v1 steady', async () => (await describe(engine, 'web', 'web')).deployments![0].rolloutState === 'COMPLETED', 1000, 400,
    () => servers.serveRunning(engine, 'web', 'web'))
  const v2 = await awsvpcDefinition(engine, 'app', sim(36_000))
  await engine.ecs.updateService({ cluster: 'web', service: 'web', taskDefinition: 'app' })
  await until(engine, 'half of production on green', async () => (await weights(elb, production))[greenTg] === 50, 1000, 400,
    () => servers.serveRunning(engine, 'web', 'web', (r) => r.task.taskDefinitionArn === v2))
  t.same(await weights(elb, production), { [blueTg]: 50, [greenTg]: 50 }, 'the first step')
  const at = engine.clock.now()
  await until(engine, 'all of it', async () => (await weights(elb, production))[greenTg] === 100)
  t.ok(engine.clock.now() - at >= 2 * 60_000 - 1000, 'the next step came after stepBakeTimeInMinutes')
  await until(engine, 'v2 completed', async () => {
    const s = await describe(engine, 'web', 'web')
    return s.deployments!.length === 1 && s.deployments![0].rolloutState === 'COMPLETED' && liveTasks(engine, 'web', 'web').every((r) => r.task.taskDefinitionArn === v2)
  })

  // v3's tasks never answer: each target fails its checks, the task is stopped, and the third failure trips the breaker.
  await awsvpcDefinition(engine, 'app', sim(36_000))
  await engine.ecs.updateService({ cluster: 'web', service: 'web', taskDefinition: 'app' })
  await until(engine, 'rolled back to v2', async () => {
    const s = await describe(engine, 'web', 'web')
    return s.deployments!.length === 1 && s.deployments![0].taskDefinition === v2 && liveTasks(engine, 'web', 'web').every((r) => r.task.taskDefinitionArn === v2)
  }, 1000, 600)
  const s = await describe(engine, 'web', 'web')
  const messages = s.events!.map((e) => String(e.message))
  t.ok(messages.some((m) => /failed ELB health checks in \(target-group /.test(m)), 'green tasks failed their ELB health checks')
  t.ok(messages.some((m) => /deployment failed: tasks failed to start\.$/.test(m)), 'the circuit breaker tripped')
  t.same(await weights(elb, production), { [blueTg]: 0, [greenTg]: 100 }, 'production stayed with (and is back on) the v2 group, web-b')
})

t.test('CANARY: the canary percent of production on green, its bake on the clock, then all of it, the bake time, and blue drained', async (t) => {
  const { engine, servers, elb, blueTg, greenTg, lb, production, loadBalancers: lbs } = await setUp(t)
  const v1 = await awsvpcDefinition(engine, 'app', sim(36_000))
  await engine.ecs.createService({
    cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 2, networkConfiguration: NETWORK, loadBalancers: lbs,
    deploymentConfiguration: { strategy: 'CANARY', bakeTimeInMinutes: 2, canaryConfiguration: { canaryPercent: 20, canaryBakeTimeInMinutes: 5 } }
  })
  await until(engine, 'v1 steady', async () => (await describe(engine, 'web', 'web')).deployments![0].rolloutState === 'COMPLETED', 1000, 400,
    () => servers.serveRunning(engine, 'web', 'web'))
  const blueIds = liveTasks(engine, 'web', 'web').map((r) => r.taskId).sort()
  const v2 = await awsvpcDefinition(engine, 'app', sim(36_000))
  await engine.ecs.updateService({ cluster: 'web', service: 'web', taskDefinition: 'app' })
  await until(engine, 'green registered in the alternate group', async () => ((await elb.describeTargetHealth({ TargetGroupArn: greenTg })).TargetHealthDescriptions ?? []).length === 2)
  t.same(await weights(elb, production), { [blueTg]: 100, [greenTg]: 0 }, 'production stays on blue while green is not healthy')
  await until(engine, 'the canary on green', async () => (await weights(elb, production))[greenTg] > 0, 1000, 400,
    () => servers.serveRunning(engine, 'web', 'web', (r) => r.task.taskDefinitionArn === v2))
  const at = engine.clock.now()
  t.same(await weights(elb, production), { [blueTg]: 80, [greenTg]: 20 }, 'canaryPercent of production on green')
  const greenIds = liveTasks(engine, 'web', 'web').filter((r) => r.task.taskDefinitionArn === v2).map((r) => r.taskId).sort()
  t.equal(greenIds.length, 2)
  const hits = new Map<string, number>()
  for (let i = 0; i < 100; i++) { const { body } = await get(lb.address, lb.port); hits.set(body, (hits.get(body) ?? 0) + 1) }
  const count = (ids: string[]) => ids.reduce((n, id) => n + (hits.get(id) ?? 0), 0)
  t.equal(count(blueIds) + count(greenIds), 100, 'every request reached a blue or a green task')
  t.ok(count(greenIds) > 0, 'the canary reaches green')
  t.ok(count(blueIds) > count(greenIds), 'most production still reaches blue')
  const [current] = (await engine.ecs.listServiceDeployments({ cluster: 'web', service: 'web', status: ['IN_PROGRESS'] })).serviceDeployments!
  const stage = async () => (await engine.ecs.describeServiceDeployments({ serviceDeploymentArns: [String(current.serviceDeploymentArn)] })).serviceDeployments![0].lifecycleStage
  t.equal(await stage(), 'PRODUCTION_TRAFFIC_SHIFT')

  // The canary bakes canaryBakeTimeInMinutes (5) on the clock: a minute short of it, nothing more has moved.
  await until(engine, '4 minutes on', () => engine.clock.now() - at >= 4 * 60_000)
  t.same(await weights(elb, production), { [blueTg]: 80, [greenTg]: 20 }, 'the canary is still baking')
  await until(engine, 'all production on green', async () => (await weights(elb, production))[greenTg] === 100)
  t.ok(engine.clock.now() - at >= 5 * 60_000 - 1000, 'the rest came after canaryBakeTimeInMinutes')
  t.same(await weights(elb, production), { [blueTg]: 0, [greenTg]: 100 })
  t.same([...await bodies(lb.address, lb.port, 8)].sort(), greenIds, 'production reaches green only')
  t.equal(await stage(), 'BAKE_TIME')
  t.equal(liveTasks(engine, 'web', 'web').filter((r) => r.task.taskDefinitionArn === v1 && r.task.desiredStatus === 'RUNNING').length, 2, 'blue waits out the bake time')

  // Past the bake time (and the blue group's deregistration delay): blue drained and stopped.
  await until(engine, 'blue drained and stopped, v2 completed', async () => {
    const s = await describe(engine, 'web', 'web')
    return s.deployments!.length === 1 && s.deployments![0].rolloutState === 'COMPLETED' && liveTasks(engine, 'web', 'web').every((r) => r.task.taskDefinitionArn === v2) &&
      ((await elb.describeTargetHealth({ TargetGroupArn: blueTg })).TargetHealthDescriptions ?? []).length === 0
  })
  t.ok(engine.clock.now() - at >= 7 * 60_000 - 1000, 'blue stopped only after the bake time')
  const messages = (await describe(engine, 'web', 'web')).events!.map((e) => String(e.message))
  t.ok(messages.includes(`(service web) deregistered 2 targets in (target-group ${blueTg})`) ||
    messages.filter((m) => m === `(service web) deregistered 1 targets in (target-group ${blueTg})`).length === 2, 'blue\'s targets deregistered')
  t.same([...await bodies(lb.address, lb.port, 8)].sort(), greenIds, 'green serves on')
  t.equal((await engine.ecs.describeServiceDeployments({ serviceDeploymentArns: [String(current.serviceDeploymentArn)] })).serviceDeployments![0].status, 'SUCCESSFUL')
})

t.test('advancedConfiguration naming a rule that does not exist, or forwards elsewhere, is refused', async (t) => {
  const { engine, elb, lb, blueTg, loadBalancers: lbs } = await setUp(t)
  await awsvpcDefinition(engine, 'app', sim(36_000))
  const other = await targetGroup(elb, 'other')
  const elsewhere = (await elb.createRule({
    ListenerArn: lb.listenerArn, Priority: 20, Conditions: [{ Field: 'path-pattern', Values: ['/other/*'] }], Actions: [{ Type: 'forward', TargetGroupArn: other }]
  })).Rules![0].RuleArn!
  const missing = elsewhere.replace(/[0-9a-f]{16}$/, '0123456789abcdef')
  const base = { cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 1, networkConfiguration: NETWORK, deploymentConfiguration: { strategy: 'BLUE_GREEN' as const, bakeTimeInMinutes: 1 } }
  const withRule = (rule: string) => [{ ...lbs[0], advancedConfiguration: { ...lbs[0].advancedConfiguration, productionListenerRule: rule } }]
  await t.rejects(engine.ecs.createService({ ...base, loadBalancers: withRule(missing) } as never),
    { code: 'InvalidParameterException', field: 'loadBalancers[0].advancedConfiguration.productionListenerRule', message: `The production listener rule ${missing} does not exist.` })
  await t.rejects(engine.ecs.createService({ ...base, loadBalancers: withRule(elsewhere) } as never),
    { code: 'InvalidParameterException', field: 'loadBalancers[0].advancedConfiguration.productionListenerRule', message: new RegExp(`does not forward to the target group ${blueTg}`) })
  t.same((await engine.ecs.listServices({ cluster: 'web' })).serviceArns, [], 'nothing was created')
})
