// An engine started again over a durable store (the SQLite store of its data
// directory) keeps every task set — ids, ARNs, statuses, scales, external
// ids, tags, the primary one's members on the service, a DRAINING one — and
// its controller goes on from the records: each set runs its share again (the
// simulated runner's sandboxes went with the first engine, so their tasks
// are replaced), the DRAINING one is finished off, and a clientToken answers
// as before.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { Engine } from '../../../runtime/engine.js'
import { addInstance, seedDefinition, settle, sim } from './services-fixtures.js'

t.test('task sets survive a restart, and their tasks run again', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-task-sets-restart-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const start = () => Engine.start({ clock: 'manual', runner: 'simulated', dataDir, ecs: { defaultInstances: { count: 0, instanceType: 'm5.xlarge' } } })
  const sets = async (engine: Engine) => (await engine.ecs.describeTaskSets({ cluster: 'web', service: 'ext', include: ['TAGS'] })).taskSets!
  const byId = async (engine: Engine) => new Map((await sets(engine)).map((ts) => [ts.id, ts]))

  const first = await start()
  let closed = false
  t.teardown(async () => { if (!closed) await first.close() })
  await first.ecs.createCluster({ clusterName: 'web' })
  await addInstance(first, 'web', { vcpus: 4, memory: 16384 })
  const v1 = await seedDefinition(first, 'app', { environment: sim(36_000) })
  await first.ecs.createService({ cluster: 'web', serviceName: 'ext', desiredCount: 4, deploymentController: { type: 'EXTERNAL' } })
  const create = (scale: number, extra: Record<string, unknown> = {}) => first.ecs.createTaskSet({ cluster: 'web', service: 'ext', taskDefinition: 'app', scale: { value: scale, unit: 'PERCENT' }, ...extra })
  const a = (await create(50, { externalId: 'a', tags: [{ key: 'side', value: 'a' }], clientToken: 'tok-a' })).taskSet!
  const b = (await create(25)).taskSet!
  const c = (await create(25)).taskSet!
  await first.ecs.updateServicePrimaryTaskSet({ cluster: 'web', service: 'ext', primaryTaskSet: a.id! })
  await settle(first)
  const before = await byId(first)
  t.same([before.get(a.id)!.runningCount, before.get(b.id)!.runningCount, before.get(c.id)!.runningCount], [2, 1, 1], 'each set runs its share of 4')
  // C is deleted, and the engine closes before its tasks are drained (they stop with the first engine).
  await first.ecs.deleteTaskSet({ cluster: 'web', service: 'ext', taskSet: c.id!, force: true })
  await first.close()
  closed = true

  const second = await start()
  t.teardown(() => second.close())
  const after = await byId(second)
  t.match(after.get(a.id), { taskSetArn: a.taskSetArn, status: 'PRIMARY', externalId: 'a', scale: { value: 50, unit: 'PERCENT' }, tags: [{ key: 'side', value: 'a' }], taskDefinition: v1 }, 'the primary set as it was')
  t.match(after.get(b.id), { status: 'ACTIVE', scale: { value: 25 } })
  const service = (await second.ecs.describeServices({ cluster: 'web', services: ['ext'] })).services![0]
  t.equal(service.taskDefinition, v1, 'the service shows its primary set\'s definition')
  await settle(second)
  const running = await byId(second)
  t.equal(running.get(a.id)!.runningCount, 2, 'the primary set runs its 2 tasks again')
  t.equal(running.get(b.id)!.runningCount, 1, 'and the other its 1')
  t.equal(running.get(a.id)!.stabilityStatus, 'STEADY_STATE')
  t.notOk(running.has(c.id), 'the DRAINING set was finished off: gone')
  const again = (await second.ecs.createTaskSet({ cluster: 'web', service: 'ext', taskDefinition: 'app', scale: { value: 50, unit: 'PERCENT' }, externalId: 'a', tags: [{ key: 'side', value: 'a' }], clientToken: 'tok-a' })).taskSet!
  t.equal(again.id, a.id, 'its clientToken answers the same task set after the restart')
  await second.ecs.updateTaskSet({ cluster: 'web', service: 'ext', taskSet: b.id!, scale: { value: 100, unit: 'PERCENT' } })
  await settle(second)
  t.equal((await byId(second)).get(b.id)!.runningCount, 4, 'and the sets are updated as before')
})
