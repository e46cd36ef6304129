// A job's states with AWS's meanings, its timestamps, statusReason and
// attempts[] (exit code and log stream per attempt), on the manual clock.
import t from 'tap'
import { oneNode, recordEvents, settle, sim, simulatedCloud, statusesOf } from './fixtures.js'

t.test('a job is SUBMITTED until the scheduler evaluates it', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const service = cloud.batch.service
  const { jobId } = await service.submitJob({ jobName: 'fresh', jobQueue: queue.name, jobDefinition: def.arn })
  t.equal((await service.describeJobs({ jobs: [jobId] })).jobs[0].status, 'SUBMITTED', 'nothing has looked at it yet')
  await settle(cloud)
  t.equal((await service.describeJobs({ jobs: [jobId] })).jobs[0].status, 'SUCCEEDED', 'a zero-second job then runs to the end')
})

t.test('SUBMITTED → PENDING → RUNNABLE → STARTING → RUNNING → SUCCEEDED, with timestamps on the clock', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const events = recordEvents(cloud)
  const t0 = cloud.clock.now()
  const first = await cloud.batch.job('first').queue(queue).definition(def).env(sim(30)).submit()
  // `second` waits for `first` (PENDING); `third` has no dependency but no room on the single node (RUNNABLE).
  const second = await cloud.batch.job('second').queue(queue).definition(def).dependsOn(first).env(sim(20)).submit()
  const third = await cloud.batch.job('third').queue(queue).definition(def).env(sim(10)).submit()
  await settle(cloud)
  t.equal((await first.describe()).status, 'RUNNING')
  t.equal((await second.describe()).status, 'PENDING', 'waits for its dependency')
  t.equal((await third.describe()).status, 'RUNNABLE', 'waits for capacity')

  await cloud.clock.advance(30_000)
  await settle(cloud)
  const firstDone = await first.describe()
  t.equal(firstDone.status, 'SUCCEEDED')
  t.equal(firstDone.createdAt, t0)
  t.equal(firstDone.startedAt, t0)
  t.equal(firstDone.stoppedAt, t0 + 30_000)
  t.equal(firstDone.statusReason, 'Essential container in task exited')

  // One node: `second` (RUNNABLE from t0+30s) and `third` run one after the other, in submission order.
  await cloud.clock.advance(60_000)
  await settle(cloud)
  const [secondDone, thirdDone] = [await second.describe(), await third.describe()]
  t.equal(secondDone.status, 'SUCCEEDED')
  t.equal(thirdDone.status, 'SUCCEEDED')
  t.equal(secondDone.startedAt, t0 + 30_000, 'submitted first, runs first')
  t.equal(secondDone.stoppedAt, t0 + 50_000)
  t.equal(thirdDone.startedAt, t0 + 50_000)
  t.equal(thirdDone.stoppedAt, t0 + 60_000)

  t.same(statusesOf(events, first.id), ['RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED'], 'no dependency: straight to RUNNABLE, as on AWS')
  t.same(statusesOf(events, second.id), ['PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED'])
  t.same(statusesOf(events, third.id), ['RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED'])
})

t.test('a succeeded job has one attempt with exit code 0 and its log stream', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const job = await cloud.batch.job('ok').queue(queue).definition(def).env(sim(5)).submit()
  await cloud.clock.advance(5_000)
  const d = await job.wait()
  t.equal(d.status, 'SUCCEEDED')
  t.equal(d.attempts.length, 1)
  const [a] = d.attempts
  t.equal(a.container.exitCode, 0)
  t.match(a.container.logStreamName, /^work\/default\/.+/, 'AWS-style <definition>/default/<task>')
  t.equal(a.startedAt, d.startedAt)
  t.equal(a.stoppedAt, d.stoppedAt)
  t.equal(a.statusReason, 'Essential container in task exited')
  t.equal(d.container.exitCode, 0)
  t.equal(d.container.logStreamName, a.container.logStreamName)
})

t.test('a failed job: FAILED with the exit code of every attempt and a log stream per attempt', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const t0 = cloud.clock.now()
  const job = await cloud.batch.job('bad').queue(queue).definition(def).retry({ attempts: 3 }).env(sim(10, 4)).submit()
  await cloud.clock.advance(10_000)
  await settle(cloud)
  const mid = await job.describe()
  t.equal(mid.status, 'RUNNING', 'the second attempt runs')
  t.equal(mid.attempts.length, 1)
  await cloud.clock.advance(20_000)
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.statusReason, 'Essential container in task exited')
  t.equal(d.attempts.length, 3)
  t.same(d.attempts.map((a) => a.container.exitCode), [4, 4, 4])
  t.same(d.attempts.map((a) => a.startedAt), [t0, t0 + 10_000, t0 + 20_000])
  t.same(d.attempts.map((a) => a.stoppedAt), [t0 + 10_000, t0 + 20_000, t0 + 30_000])
  const streams = d.attempts.map((a) => a.container.logStreamName)
  t.equal(new Set(streams).size, 3, 'each attempt has its own log stream')
  t.equal(d.container.exitCode, 4)
  t.equal(d.stoppedAt, t0 + 30_000)
})

t.test('a job that cannot start (the runner refuses it) fails with the reason', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const job = await cloud.batch.job('broken').queue(queue).definition(def).env({ STRATUS_SIM_EXIT: 'not a number' }).submit()
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.attempts.length, 1)
  t.match(d.attempts[0].container.reason, /^CannotStartContainerError: /)
  t.equal(d.attempts[0].container.exitCode, undefined, 'it never ran, so it has no exit code')
  t.equal(d.attempts[0].startedAt, undefined)
})

t.test('listJobs: by queue and status (RUNNING when none is given, as on AWS), by name', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const running = await cloud.batch.job('long').queue(queue).definition(def).env(sim(100)).submit()
  const waiting = await cloud.batch.job('later').queue(queue).definition(def).env(sim(1)).submit()
  await settle(cloud)
  t.same((await cloud.batch.listJobs({ queue })).map((s) => s.jobId), [running.id])
  t.same((await cloud.batch.listJobs({ queue, status: 'RUNNABLE' })).map((s) => s.jobId), [waiting.id])
  t.same((await cloud.batch.listJobs({ queue, name: 'lat*' })).map((s) => s.jobId), [waiting.id])
  t.same(await cloud.batch.listJobs({ queue, status: 'SUCCEEDED' }), [])
})
