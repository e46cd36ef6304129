// A task definition's placementConstraints (memberOf) hold for every task the
// scheduler places: RunTask's and a service's, together with the request's at
// most 10; StartTask names its instances itself. Regression: the definition's
// constraints were stored but never applied.
import t from 'tap'
import { advance, seedCluster, seedDefinition, settle, sim, simulatedEngine } from './tasks-fixtures.js'
import { TASKS } from '../../../runtime/ecs/records.js'
import type { EcsTaskRecord } from '../../../runtime/ecs/task-lifecycle.js'

const ON_GPU = [{ type: 'memberOf' as const, expression: 'attribute:kind == gpu' }]

async function twoKinds() {
  const engine = await simulatedEngine()
  seedCluster(engine, 'mixed', { instances: [{ vcpus: 8, memory: 8192, attributes: { kind: 'plain' } }, { vcpus: 8, memory: 8192, attributes: { kind: 'gpu' } }] })
  const nodes = engine.pools.nodes('ecs-mixed').map((r) => r.value)
  const gpu = nodes.find((n) => n.attributes?.kind === 'gpu')!.containerInstanceArn
  const plain = nodes.find((n) => n.attributes?.kind === 'plain')!.containerInstanceArn
  seedDefinition(engine, 'trainer', [{ name: 'app', image: 'busybox', cpu: 10, memory: 16, environment: sim(3600) }], { placementConstraints: ON_GPU })
  return { engine, gpu, plain }
}

t.test('definition memberOf constraints ignored by RunTask: every task lands on an instance they admit', async (t) => {
  const { engine, gpu } = await twoKinds()
  t.teardown(() => engine.close())
  const { tasks, failures } = await engine.ecs.runTask({ cluster: 'mixed', taskDefinition: 'trainer', count: 6, placementStrategy: [{ type: 'spread', field: 'instanceId' }] })
  t.same(failures, [])
  t.same(new Set(tasks!.map((x) => x.containerInstanceArn)), new Set([gpu]), 'spread gives way to the definition\'s constraint')
  // The request's constraints hold as well: nothing admits both.
  const both = await engine.ecs.runTask({ cluster: 'mixed', taskDefinition: 'trainer', placementConstraints: [{ type: 'memberOf', expression: 'attribute:kind == plain' }] })
  t.same(both.tasks, [])
  t.equal(both.failures![0].reason, 'MemberOf placement constraint unsatisfied')
})

t.test('definition memberOf constraints ignored by services: a service\'s tasks land on an instance they admit', async (t) => {
  const { engine, gpu } = await twoKinds()
  t.teardown(() => engine.close())
  await engine.ecs.createService({ cluster: 'mixed', serviceName: 'train', taskDefinition: 'trainer', desiredCount: 4, placementStrategy: [{ type: 'spread', field: 'instanceId' }] })
  for (let i = 0; i < 3; i++) await advance(engine, 5_000)
  const live = engine.store.scan<EcsTaskRecord>(TASKS).map((e) => e.value).filter((r) => r.serviceName === 'train' && r.task.desiredStatus === 'RUNNING')
  t.equal(live.length, 4)
  t.same(new Set(live.map((r) => r.task.containerInstanceArn)), new Set([gpu]))
})

t.test('the definition\'s and the request\'s constraints together are at most 10, and a refused launch writes nothing', async (t) => {
  const { engine } = await twoKinds()
  t.teardown(() => engine.close())
  const ten = Array.from({ length: 10 }, () => ({ type: 'memberOf' as const, expression: 'attribute:kind exists' }))
  await t.rejects(engine.ecs.runTask({ cluster: 'mixed', taskDefinition: 'trainer', placementConstraints: ten }), { code: 'InvalidParameterException', field: 'placementConstraints', limit: 10, message: /maximum of 10 constraints for each task.*includes constraints in the task definition/ })
  t.equal(engine.store.scan(TASKS).length, 0)
  const nine = await engine.ecs.runTask({ cluster: 'mixed', taskDefinition: 'trainer', placementConstraints: ten.slice(1) })
  t.equal(nine.tasks!.length, 1)
})

t.test('StartTask names its instance itself: the definition\'s constraints do not move it', async (t) => {
  const { engine, plain } = await twoKinds()
  t.teardown(() => engine.close())
  const { tasks, failures } = await engine.ecs.startTask({ cluster: 'mixed', taskDefinition: 'trainer', containerInstances: [plain] })
  t.same(failures, [])
  t.equal(tasks![0].containerInstanceArn, plain)
  await settle(engine)
})
