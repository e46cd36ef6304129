// Task sets of a service with the EXTERNAL deployment controller, behind an
// Application Load Balancer (real ELBv2 control and data planes; the tasks'
// targets are real HTTP servers on each task's 127.x address; manual clock):
// two task sets in two target groups, each running its scale's share of the
// desired count and registered as its tasks run; requests reach the set the
// listener forwards to; UpdateServicePrimaryTaskSet moves the service's
// members to the new primary; a scale change or a new desired count changes
// the counts; DeleteTaskSet drains the set's targets, stops its tasks and
// removes it; DeleteService drains every set.
import t, { type Test } from 'tap'
import type { Engine } from '../../../runtime/engine.js'
import type { TaskRecord } from '../../../runtime/ecs/records.js'
import { createCluster, describe, liveTasks, sim, simulatedEngine } from './services-fixtures.js'
import { alb, awsvpcDefinition, get, loadBalancers, NETWORK, PORT, targetGroup, TaskServers, until } from './lb-fixtures.js'

async function setUp(t: Test) {
  const engine = await simulatedEngine()
  const servers = new TaskServers()
  const lbs = await loadBalancers(engine)
  t.teardown(async () => { await servers.close(); await lbs.close(); await engine.close() })
  await createCluster(engine, 'web')
  const blue = await targetGroup(lbs.elb, 'blue')
  const green = await targetGroup(lbs.elb, 'green')
  const lb = await alb(lbs.elb, 'web', blue)
  // Test traffic (x-test: 1) goes to green: a target group takes targets only once a load balancer forwards to it.
  await lbs.elb.createRule({
    ListenerArn: lb.listenerArn, Priority: 1, Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-test', Values: ['1'] } }],
    Actions: [{ Type: 'forward', TargetGroupArn: green }]
  })
  return { engine, servers, elb: lbs.elb, blue, green, lb }
}

async function taskSet(engine: Engine, id: string) {
  const { taskSets } = await engine.ecs.describeTaskSets({ cluster: 'web', service: 'web', taskSets: [id] })
  return taskSets![0]
}

function tasksOf(engine: Engine, id: string): TaskRecord[] {
  return liveTasks(engine, 'web', 'web').filter((r) => r.task.startedBy === id)
}

/** Who answers through the load balancer, over a few requests. */
async function answering(address: string, port: number, headers: Record<string, string> = {}): Promise<string[]> {
  const seen = new Set<string>()
  for (let i = 0; i < 8; i++) seen.add((await get(address, port, '/', headers)).body)
  return [...seen].sort()
}

t.test('two task sets behind two target groups: scaled, registered, made primary, drained and deleted', async (t) => {
  const { engine, servers, elb, blue, green, lb } = await setUp(t)
  const targets = async (tg: string) => (await elb.describeTargetHealth({ TargetGroupArn: tg })).TargetHealthDescriptions ?? []
  const serve = () => servers.serveRunning(engine, 'web', 'web')
  const v1 = await awsvpcDefinition(engine, 'app', sim(36_000))
  const v2 = await awsvpcDefinition(engine, 'app', sim(36_000))

  const { service } = await engine.ecs.createService({ cluster: 'web', serviceName: 'web', desiredCount: 2, deploymentController: { type: 'EXTERNAL' } })
  t.same(service!.taskSets, [], 'an EXTERNAL service starts with no task set')
  t.same(service!.deployments, [], 'and no deployment of its own')
  t.equal(service!.taskDefinition, undefined, 'nor a task definition')

  const a = (await engine.ecs.createTaskSet({
    cluster: 'web', service: 'web', taskDefinition: v1, networkConfiguration: NETWORK, externalId: 'blue-1',
    loadBalancers: [{ targetGroupArn: blue, containerName: 'app', containerPort: PORT }], scale: { value: 100, unit: 'PERCENT' }
  })).taskSet!
  t.match(a.id, /^ecs-svc\/\d{19}$/, 'the id is ecs-svc/<19 digits>')
  t.equal(a.taskSetArn, `arn:aws:ecs:us-east-1:000000000000:task-set/web/web/${a.id}`)
  t.match(a, { status: 'ACTIVE', computedDesiredCount: 2, runningCount: 0, pendingCount: 0, stabilityStatus: 'STABILIZING', externalId: 'blue-1', launchType: 'EC2', scale: { value: 100, unit: 'PERCENT' } })
  await until(engine, 'task set A steady', async () => (await taskSet(engine, a.id!)).stabilityStatus === 'STEADY_STATE', 1000, 400, serve)
  t.match(await taskSet(engine, a.id!), { runningCount: 2, pendingCount: 0, computedDesiredCount: 2 })
  const aTasks = tasksOf(engine, a.id!)
  t.equal(aTasks.length, 2)
  t.ok(aTasks.every((r) => r.task.group === 'service:web' && r.task.taskDefinitionArn === v1), 'its tasks: startedBy its id, in the service\'s group, of its definition')
  t.same((await targets(blue)).map((h) => h.TargetHealth!.State), ['healthy', 'healthy'], 'registered in its target group, healthy')
  t.same(await targets(green), [], 'and not in the other')

  const primaryA = (await engine.ecs.updateServicePrimaryTaskSet({ cluster: 'web', service: 'web', primaryTaskSet: a.taskSetArn! })).taskSet!
  t.equal(primaryA.status, 'PRIMARY')
  const s1 = await describe(engine, 'web', 'web')
  t.equal(s1.taskDefinition, v1, 'the service shows its primary task set\'s definition')
  t.same(s1.loadBalancers, [{ targetGroupArn: blue, containerName: 'app', containerPort: PORT }], 'and load balancers')
  t.same(await answering(lb.address, lb.port), aTasks.map((r) => r.taskId).sort(), 'the listener forwards to A\'s tasks')

  const b = (await engine.ecs.createTaskSet({
    cluster: 'web', service: 'web', taskDefinition: v2, networkConfiguration: NETWORK,
    loadBalancers: [{ targetGroupArn: green, containerName: 'app', containerPort: PORT }], scale: { value: 100, unit: 'PERCENT' }
  })).taskSet!
  await until(engine, 'task set B steady', async () => (await taskSet(engine, b.id!)).stabilityStatus === 'STEADY_STATE', 1000, 400, serve)
  const bTasks = tasksOf(engine, b.id!)
  t.equal(bTasks.length, 2, 'B runs its own 2 tasks')
  t.equal((await describe(engine, 'web', 'web')).runningCount, 4, 'the service counts both sets\' tasks')
  t.equal((await targets(green)).length, 2, 'B\'s tasks are in B\'s target group')
  t.same(await answering(lb.address, lb.port), aTasks.map((r) => r.taskId).sort(), 'production traffic still on A')
  t.same(await answering(lb.address, lb.port, { 'x-test': '1' }), bTasks.map((r) => r.taskId).sort(), 'test traffic on B')

  // The external controller shifts traffic itself, then tells ECS which set is primary.
  await elb.modifyListener({ ListenerArn: lb.listenerArn, DefaultActions: [{ Type: 'forward', TargetGroupArn: green }] })
  t.same(await answering(lb.address, lb.port), bTasks.map((r) => r.taskId).sort(), 'the listener on green reaches B\'s tasks')
  await engine.ecs.updateServicePrimaryTaskSet({ cluster: 'web', service: 'web', primaryTaskSet: b.id! })
  const s2 = await describe(engine, 'web', 'web')
  t.same(s2.taskSets!.map((ts) => [ts.id, ts.status]).sort(), [[a.id, 'ACTIVE'], [b.id, 'PRIMARY']].sort(), 'B is PRIMARY, A ACTIVE again')
  t.equal(s2.taskDefinition, v2)
  t.equal(s2.loadBalancers![0].targetGroupArn, green)

  const scaled = (await engine.ecs.updateTaskSet({ cluster: 'web', service: 'web', taskSet: a.id!, scale: { value: 50, unit: 'PERCENT' } })).taskSet!
  t.match(scaled, { computedDesiredCount: 1, stabilityStatus: 'STABILIZING', scale: { value: 50 } }, 'UpdateTaskSet: ⌈2 × 50%⌉ = 1')
  await until(engine, 'A down to 1', async () => {
    const ts = await taskSet(engine, a.id!)
    return ts.runningCount === 1 && ts.stabilityStatus === 'STEADY_STATE' && (await targets(blue)).length === 1
  }, 1000, 400, serve)
  const [scaledIn] = aTasks.filter((r) => engine.store.get<TaskRecord>('ecs:tasks', r.taskId)!.value.task.lastStatus === 'STOPPED')
  t.equal(engine.store.get<TaskRecord>('ecs:tasks', scaledIn.taskId)!.value.task.stoppedReason, `Scaling activity initiated by (deployment ${a.id})`)

  await engine.ecs.updateService({ cluster: 'web', service: 'web', desiredCount: 3 })
  await until(engine, 'both sets at their share of 3', async () => {
    const [ta, tb] = [await taskSet(engine, a.id!), await taskSet(engine, b.id!)]
    return ta.computedDesiredCount === 2 && tb.computedDesiredCount === 3 && ta.runningCount === 2 && tb.runningCount === 3 &&
      ta.stabilityStatus === 'STEADY_STATE' && tb.stabilityStatus === 'STEADY_STATE'
  }, 1000, 400, serve)
  t.pass('desiredCount 3: A (50%) runs ⌈1.5⌉ = 2, B (100%) runs 3')

  await t.rejects(engine.ecs.deleteTaskSet({ cluster: 'web', service: 'web', taskSet: b.id! }), { code: 'InvalidParameterException', field: 'force', message: /primary task set/ }, 'the PRIMARY set is not deleted without force')
  await t.rejects(engine.ecs.deleteTaskSet({ cluster: 'web', service: 'web', taskSet: a.id! }), { code: 'InvalidParameterException', field: 'force', message: /not been scaled down to zero/ }, 'nor one not scaled to 0')
  const aLive = tasksOf(engine, a.id!)
  const deleting = (await engine.ecs.deleteTaskSet({ cluster: 'web', service: 'web', taskSet: a.taskSetArn!, force: true })).taskSet!
  t.match(deleting, { status: 'DRAINING', computedDesiredCount: 0 })
  await until(engine, 'A gone', async () => (await engine.ecs.describeTaskSets({ cluster: 'web', service: 'web' })).taskSets!.length === 1, 1000, 400, serve)
  t.ok(aLive.every((r) => engine.store.get<TaskRecord>('ecs:tasks', r.taskId)!.value.task.lastStatus === 'STOPPED'), 'its tasks stopped')
  t.same(await targets(blue), [], 'its targets left its target group')
  const messages = (await describe(engine, 'web', 'web')).events!.map((e) => e.message!)
  t.ok(messages.includes('(service web) has begun draining connections on 1 tasks.'), 'drained before they stopped')
  t.ok(messages.includes(`(service web) deregistered 1 targets in (target-group ${blue})`))
  const failures = (await engine.ecs.describeTaskSets({ cluster: 'web', service: 'web', taskSets: [a.id!] })).failures!
  t.same(failures, [{ arn: a.taskSetArn, reason: 'MISSING' }], 'DescribeTaskSets no longer finds it')
  t.equal((await taskSet(engine, b.id!)).runningCount, 3, 'B kept serving')
  t.same(await answering(lb.address, lb.port), tasksOf(engine, b.id!).map((r) => r.taskId).sort())

  // DeleteService: every set drained, every task stopped, then INACTIVE.
  await engine.ecs.deleteService({ cluster: 'web', service: 'web', force: true })
  await until(engine, 'the service INACTIVE', async () => (await describe(engine, 'web', 'web')).status === 'INACTIVE', 1000, 400, serve)
  t.same(liveTasks(engine, 'web', 'web'), [], 'no task left')
  t.same((await describe(engine, 'web', 'web')).taskSets, [])
  t.same(await targets(green), [], 'B\'s targets deregistered too')
})

t.test('a task set\'s task that fails its target group\'s health checks is stopped and replaced within the set', async (t) => {
  const { engine, servers, elb, blue } = await setUp(t)
  const v1 = await awsvpcDefinition(engine, 'app', sim(36_000))
  await engine.ecs.createService({ cluster: 'web', serviceName: 'web', desiredCount: 2, deploymentController: { type: 'EXTERNAL' } })
  const a = (await engine.ecs.createTaskSet({
    cluster: 'web', service: 'web', taskDefinition: v1, networkConfiguration: NETWORK, scale: { value: 100, unit: 'PERCENT' },
    loadBalancers: [{ targetGroupArn: blue, containerName: 'app', containerPort: PORT }]
  })).taskSet!
  await until(engine, 'steady', async () => (await taskSet(engine, a.id!)).stabilityStatus === 'STEADY_STATE', 1000, 400, () => servers.serveRunning(engine, 'web', 'web'))
  const [victim] = tasksOf(engine, a.id!)
  await servers.stop(victim.taskId)
  await until(engine, 'the victim stopped', () => engine.store.get<TaskRecord>('ecs:tasks', victim.taskId)!.value.task.lastStatus === 'STOPPED')
  t.equal(engine.store.get<TaskRecord>('ecs:tasks', victim.taskId)!.value.task.stoppedReason, `Task failed ELB health checks in (target-group ${blue})`)
  await until(engine, 'a replacement healthy', async () => {
    const ts = await taskSet(engine, a.id!)
    const healthy = ((await elb.describeTargetHealth({ TargetGroupArn: blue })).TargetHealthDescriptions ?? []).filter((h) => h.TargetHealth!.State === 'healthy')
    return ts.runningCount === 2 && ts.stabilityStatus === 'STEADY_STATE' && healthy.length === 2
  }, 1000, 400, () => servers.serveRunning(engine, 'web', 'web'))
  t.ok(tasksOf(engine, a.id!).every((r) => r.taskId !== victim.taskId), 'replaced by a task of the same set')
})
