// The simulated runner under the engine: a job lasts STRATUS_SIM_SECONDS
// (default 0) of the engine's clock, exits with STRATUS_SIM_EXIT (default 0),
// and writes STRATUS_SIM_OUTPUT to its log.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { oneNode, settle, sim, simulatedCloud } from './fixtures.js'

t.test('defaults: no time, exit 0', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const t0 = cloud.clock.now()
  const job = await cloud.batch.job('j').queue(queue).definition(def).submit()
  const d = await job.wait()
  t.equal(d.status, 'SUCCEEDED')
  t.equal(d.container.exitCode, 0)
  t.equal(d.startedAt, t0)
  t.equal(d.stoppedAt, t0, 'no clock time passed')
})

t.test('STRATUS_SIM_SECONDS of clock time, fractions included; STRATUS_SIM_EXIT is the exit code', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const job = await cloud.batch.job('j').queue(queue).definition(def).env(sim(2.5, 42)).submit()
  await cloud.clock.advance(2_499)
  await settle(cloud)
  t.equal((await job.describe()).status, 'RUNNING')
  await cloud.clock.advance(1)
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.container.exitCode, 42)
  t.equal(d.stoppedAt! - d.startedAt!, 2_500)
})

t.test('STRATUS_SIM_OUTPUT goes to the log, and the job still lasts its seconds of clock time', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const job = await cloud.batch.job('talk').queue(queue).definition(def).env(sim(10, 0, { STRATUS_SIM_OUTPUT: 'hello\nworld' })).submit()
  // Time moves on at once, while the output is being written.
  await cloud.clock.advance(10_000)
  const lines: string[] = []
  while (lines.length < 2) {
    lines.length = 0
    for await (const line of job.logs({ follow: false })) lines.push(line)
    if (lines.length < 2) await sleep(10)
  }
  t.same(lines, ['hello', 'world'])
  await settle(cloud)
  const d = await job.describe()
  t.equal(d.status, 'SUCCEEDED', 'ended 10 s of clock time after it started')
  t.equal(d.stoppedAt! - d.startedAt!, 10_000)
})
