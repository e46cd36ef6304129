// SUCCEEDED and FAILED jobs are kept 24 hours of clock time after they stop,
// then purged (describe leaves them out, listJobs no longer shows them).
import t from 'tap'
import { HOUR, oneNode, settle, sim, simulatedCloud } from './fixtures.js'

t.test('finished jobs are purged 24 hours after they stopped, not before', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 2 })
  const ok = await cloud.batch.job('ok').queue(queue).definition(def).env(sim(60)).submit()
  const bad = await cloud.batch.job('bad').queue(queue).definition(def).env(sim(120, 1)).submit()
  const arr = await cloud.batch.job('arr').queue(queue).definition(def).array(2).submit()
  await cloud.clock.advance(120_000)
  await settle(cloud)
  t.equal((await ok.describe()).status, 'SUCCEEDED')
  t.equal((await bad.describe()).status, 'FAILED')
  // `ok` stopped at 60 s, `arr` before it, `bad` at 120 s.
  await cloud.clock.advance(24 * HOUR - 60_000 - 1)
  t.equal((await cloud.batch.describeJobs(ok.id, bad.id, arr.id, `${arr.id}:1`)).length, 4, 'a day minus 1 ms: all kept')
  t.equal((await cloud.batch.listJobs({ queue, status: 'SUCCEEDED' })).length, 2)
  await cloud.clock.advance(1)
  t.same((await cloud.batch.describeJobs(ok.id, arr.id, `${arr.id}:1`)), [], 'a day after they stopped: purged')
  t.same((await cloud.batch.listJobs({ queue, status: 'SUCCEEDED' })), [])
  t.equal((await cloud.batch.describeJobs(bad.id)).length, 1, 'the later one is still kept')
  await cloud.clock.advance(60_000)
  t.same(await cloud.batch.describeJobs(bad.id), [])
  t.same(await cloud.batch.listJobs({ queue, status: 'FAILED' }), [])
  t.equal(await cloud.batch.service.countJobs(), 0)
  await t.rejects(ok.describe(), { code: 'ClientException' })
  await t.rejects(cloud.batch.job('dependant').queue(queue).definition(def).dependsOn(ok).submit(), { code: 'ClientException', kind: 'NotFound', field: 'dependsOn[0].jobId' })
})

t.test('unfinished jobs are never purged', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const long = await cloud.batch.job('long').queue(queue).definition(def).env(sim(3 * 24 * 3600)).submit()
  const waiting = await cloud.batch.job('waiting').queue(queue).definition(def).submit()
  await cloud.clock.advance(48 * HOUR)
  t.equal((await long.describe()).status, 'RUNNING')
  t.equal((await waiting.describe()).status, 'RUNNABLE')
})

t.test('a retention period of the engine\'s choosing', async (t) => {
  await using cloud = await simulatedCloud({ batch: { retentionMs: 60_000 } })
  const { queue, def } = await oneNode(cloud)
  const job = await cloud.batch.job('j').queue(queue).definition(def).submit()
  await job.wait()
  await cloud.clock.advance(60_000)
  t.same(await cloud.batch.describeJobs(job.id), [])
})
