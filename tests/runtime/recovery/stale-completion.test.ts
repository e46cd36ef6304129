// Fencing: a runner's report for an attempt the store no longer has live is
// refused. Here the engine that ran attempt 1 has not really gone (two
// engines over one store, as after a restart while the old process still
// runs): the new one ended attempt 1 with its host and started attempt 2;
// when the old engine's runner then reports attempt 1 exited 0, the job must
// not SUCCEED from it, nor change at all — attempt 2 alone decides.
import t from 'tap'
import { MemoryStore } from '../../../runtime/index.js'
import { oneNode, settle, sim, simulatedCloud } from '../batch/fixtures.js'

const START = Date.UTC(2031, 4, 1)

t.test('a completion from an older attempt of the same job is refused', async (t) => {
  const store = new MemoryStore()
  const old = await simulatedCloud({ store, startTime: START })
  t.teardown(() => old.close())
  const { queue, def } = await oneNode(old)
  // 100 s, then exit 0; the retried attempt (same spec) is held on the new engine's clock, which does not move.
  const single = await old.batch.job('single').queue(queue).definition(def).env(sim(100)).retry({ attempts: 3 }).submit()
  await old.clock.advance(1000)
  t.equal((await single.describe()).status, 'RUNNING', 'attempt 1 runs on the old engine')

  const fresh = await simulatedCloud({ store })
  t.teardown(() => fresh.close())
  await settle(fresh)
  const handle = await fresh.batch.jobById(single.id)
  const before = await handle.describe()
  t.equal(before.status, 'RUNNING', 'the new engine ended attempt 1 with its host and runs attempt 2')
  t.match(before.attempts.map((a) => a.statusReason), [/^Host EC2 \(instance .*\) terminated\.$/])

  // The old engine's runner reports attempt 1: it ran its 100 s and exited 0.
  await old.clock.advance(100_000)
  const after = await handle.describe()
  t.equal(after.status, 'RUNNING', 'not SUCCEEDED from attempt 1\'s exit')
  t.equal(after.attempts.length, 1, 'no attempt added')
  t.equal(after.container?.exitCode, undefined)

  await fresh.clock.advance(100_000)
  const done = await handle.wait()
  t.equal(done.status, 'SUCCEEDED', 'attempt 2 decides')
  t.same(done.attempts.map((a) => a.container?.exitCode), [undefined, 0])
})

t.test('an array child\'s completion from an older attempt is refused too', async (t) => {
  const store = new MemoryStore()
  const old = await simulatedCloud({ store, startTime: START })
  t.teardown(() => old.close())
  const { queue, def } = await oneNode(old, { vcpus: 2 })
  const array = await old.batch.job('array').queue(queue).definition(def).array(2).env(sim(100, 0)).retry({ attempts: 2 }).submit()
  await old.clock.advance(1000)

  const fresh = await simulatedCloud({ store })
  t.teardown(() => fresh.close())
  await settle(fresh)
  await old.clock.advance(100_000)
  const children = await fresh.batch.describeJobs(`${array.id}:0`, `${array.id}:1`)
  t.same(children.map((c) => c.status), ['RUNNING', 'RUNNING'], 'each child\'s second attempt runs; the first attempts\' exits changed nothing')
  t.same(children.map((c) => c.attempts.length), [1, 1])
  await fresh.clock.advance(100_000)
  t.equal((await (await fresh.batch.jobById(array.id)).wait()).status, 'SUCCEEDED')
})
