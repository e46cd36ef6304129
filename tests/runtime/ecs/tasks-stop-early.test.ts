// A task stopped right after RunTask (before the runner reported it running)
// goes DEACTIVATING → STOPPING → DEPROVISIONING → STOPPED as ECS reports a
// stop, and never shows startedAt. Regression: it kept PENDING (or
// PROVISIONING) until DEPROVISIONING and still got startedAt.
import t from 'tap'
import { advance, recordTaskEvents, seedCluster, seedDefinition, settle, sim, simulatedEngine } from './tasks-fixtures.js'

t.test('a task stopped while PENDING kept its status, skipped DEACTIVATING/STOPPING and still got startedAt', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work', { instances: [{ vcpus: 4, memory: 8192 }] })
  seedDefinition(engine, 'app', [{ name: 'app', image: 'busybox', memory: 64, environment: sim(3600) }])
  const events = recordTaskEvents(engine)
  const task = (await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'app' })).tasks![0]
  const stopped = (await engine.ecs.stopTask({ cluster: 'work', task: task.taskArn! })).task!
  t.equal(stopped.lastStatus, 'DEACTIVATING')
  await settle(engine)
  await advance(engine, 60_000)
  const described = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [task.taskArn!] })).tasks![0]
  t.equal(described.lastStatus, 'STOPPED')
  t.equal(described.startedAt, undefined, 'it never ran')
  const statuses = events.map((e) => (e.detail as { lastStatus: string }).lastStatus)
  t.same(statuses.filter((s, i) => s !== statuses[i - 1]), ['PROVISIONING', 'PENDING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'])
})
