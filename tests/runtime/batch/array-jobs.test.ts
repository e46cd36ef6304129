// Array jobs (2 to 10,000 children): children `id:i`, the parent's
// statusSummary, the parent's states (SUBMITTED, PENDING, SUCCEEDED, FAILED
// only) and its completion once every child has finished.
import t from 'tap'
import type { JobStatus } from '../../../sdk/index.js'
import { oneNode, recordEvents, settle, sim, simulatedCloud, statusesOf } from './fixtures.js'

const PARENT_STATUSES: JobStatus[] = ['SUBMITTED', 'PENDING', 'SUCCEEDED', 'FAILED']

t.test('children are <id>:<i>, with their index; the parent counts them in statusSummary', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 2 })
  const events = recordEvents(cloud)
  const job = await cloud.batch.job('arr').queue(queue).definition(def).array(5).env(sim(10)).submit()
  await settle(cloud)
  const parent = await job.describe()
  t.equal(parent.status, 'PENDING')
  t.equal(parent.arrayProperties?.size, 5)
  t.same(parent.arrayProperties?.statusSummary, { SUBMITTED: 0, PENDING: 0, RUNNABLE: 3, STARTING: 0, RUNNING: 2, SUCCEEDED: 0, FAILED: 0 })

  const children = await job.children()
  t.same(children.map((c) => c.jobId), [0, 1, 2, 3, 4].map((i) => `${job.id}:${i}`))
  t.same(children.map((c) => c.arrayProperties?.index), [0, 1, 2, 3, 4])
  const child = await job.child(3).describe()
  t.equal(child.jobId, `${job.id}:3`)
  t.equal(child.jobArn, `${job.arn}:3`)
  t.equal(child.arrayProperties?.index, 3)
  t.equal(child.status, 'RUNNABLE')

  await cloud.clock.advance(30_000)
  const done = await job.wait()
  t.equal(done.status, 'SUCCEEDED')
  t.same(done.arrayProperties?.statusSummary, { SUBMITTED: 0, PENDING: 0, RUNNABLE: 0, STARTING: 0, RUNNING: 0, SUCCEEDED: 5, FAILED: 0 })
  const c4 = await job.child(4).describe()
  t.equal(c4.status, 'SUCCEEDED')
  t.equal(c4.attempts.length, 1)
  t.equal(c4.attempts[0].container.exitCode, 0)
  t.ok(c4.attempts[0].container.logStreamName, 'a child attempt has its log stream')
  t.not(c4.attempts[0].container.logStreamName, (await job.child(3).describe()).attempts[0].container.logStreamName)

  const parentStatuses = statusesOf(events, job.id)
  t.same(parentStatuses, ['PENDING', 'SUCCEEDED'])
  t.ok(parentStatuses.every((s) => PARENT_STATUSES.includes(s)), 'the parent is never RUNNABLE, STARTING or RUNNING')
  t.same(statusesOf(events, `${job.id}:2`), ['PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED'])
})

t.test('the parent FAILS if any child failed, but only once every child has finished', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  // One node: children run one at a time, 10 s each. Child 0 fails; the parent must wait for 1 and 2.
  const job = await cloud.batch.job('arr').queue(queue).definition(def).array(3).env(sim(10)).submit()
  // Child 0 (running) is terminated: it fails while its siblings still have to run.
  await settle(cloud)
  await job.child(0).terminate('child 0 goes wrong')
  await settle(cloud)
  t.equal((await job.child(0).describe()).status, 'FAILED')
  const mid = await job.describe()
  t.equal(mid.status, 'PENDING', 'children still to run: the parent has not finished')
  t.equal(mid.arrayProperties?.statusSummary?.FAILED, 1)
  await cloud.clock.advance(10_000)
  await settle(cloud)
  t.equal((await job.describe()).status, 'PENDING')
  await cloud.clock.advance(10_000)
  const done = await job.wait()
  t.equal(done.status, 'FAILED')
  t.same(done.arrayProperties?.statusSummary, { SUBMITTED: 0, PENDING: 0, RUNNABLE: 0, STARTING: 0, RUNNING: 0, SUCCEEDED: 2, FAILED: 1 })
  t.equal(done.stoppedAt, cloud.clock.now(), 'stopped when the last child stopped')
})

t.test('every child failing with its exit code: parent FAILED', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 4 })
  const job = await cloud.batch.job('arr').queue(queue).definition(def).array(4).env(sim(5, 9)).submit()
  await cloud.clock.advance(5_000)
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.arrayProperties?.statusSummary?.FAILED, 4)
  const child = await job.child(1).describe()
  t.equal(child.status, 'FAILED')
  t.equal(child.container.exitCode, 9)
  t.equal(child.attempts[0].container.exitCode, 9)
})

t.test('array sizes at the limits: 2 and 10,000 children', async (t) => {
  await using cloud = await simulatedCloud()
  const ce = await cloud.batch.computeEnvironment('big').unmanaged().create()
  await ce.registerNode({ vcpus: 4096, memory: 4096 * 1024 })
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('true').vcpus(1).memory(128).register()
  await cloud.batch.job('two').queue(queue).definition(def).array(2).submit()
  const big = await cloud.batch.job('big').queue(queue).definition(def).array(10_000).env(sim(60)).submit()
  await settle(cloud)
  const running = await big.describe()
  t.equal(running.arrayProperties?.size, 10_000)
  t.equal(running.arrayProperties?.statusSummary?.RUNNING, 4096, 'as many as the node holds')
  t.equal(running.arrayProperties?.statusSummary?.RUNNABLE, 10_000 - 4096)
  await cloud.clock.advance(180_000)
  const done = await big.wait()
  t.equal(done.status, 'SUCCEEDED')
  t.equal(done.arrayProperties?.statusSummary?.SUCCEEDED, 10_000)
  const last = await big.child(9999).describe()
  t.equal(last.status, 'SUCCEEDED')
  t.equal(last.arrayProperties?.index, 9999)
  t.equal(last.attempts.length, 1)
  t.equal(last.attempts[0].container.exitCode, 0)
  t.equal(last.statusReason, 'Essential container in task exited')
  t.same(await cloud.batch.describeJobs(`${big.id}:10000`), [], 'no child beyond the size')
})

t.test('a retried child keeps each attempt; the others are not affected', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 3 })
  const job = await cloud.batch.job('arr').queue(queue).definition(def).array(3).retry({ attempts: 2 }).env(sim(10, 1)).submit()
  await cloud.clock.advance(20_000)
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  for (let i = 0; i < 3; i++) {
    const child = await job.child(i).describe()
    t.equal(child.attempts.length, 2, `child ${i} ran twice`)
    t.same(child.attempts.map((a) => a.container.exitCode), [1, 1])
  }
})

t.test('waiting on one child resolves when that child ends, and forgetting a job ends every wait', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 4 })
  const arr = await cloud.batch.job('a').queue(queue).definition(def).array(3).env(sim(30)).submit()
  const child = arr.child(1).wait()
  let done = false
  void child.then(() => (done = true))
  await cloud.clock.advance(29_000)
  t.notOk(done, 'not before the child ends')
  await cloud.clock.advance(1_000)
  t.equal((await child).status, 'SUCCEEDED')
  // A job whose queue is deleted while someone waits on it: the wait ends (the job is terminated, then forgotten).
  const long = await cloud.batch.job('long').queue(queue).definition(def).array(2).env(sim(3600)).submit()
  await settle(cloud)
  const waits = [long.wait(), long.child(0).wait()]
  await queue.delete() // disables, terminates what runs, forgets the jobs once they have ended
  for (const w of waits) t.match(await w, { status: 'FAILED' }, 'the wait ends with the job\'s end')
  t.equal((await waits[0]).statusReason, 'Job queue deleted')
  await t.rejects(long.wait(), { name: 'NotFoundError' }, 'and the job is gone with its queue')
})
