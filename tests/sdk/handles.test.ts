// SDK handles: their lifecycle (a job handle describes, waits, and is
// finished), and Symbol.asyncDispose: `await using` terminates an unfinished
// job, deletes a queue (terminating its jobs) and a compute environment, and
// closes the whole cloud.
import t from 'tap'
import { existsSync } from 'node:fs'
import { Stratus, type FinishedJobDetail, type JobStatus } from '../../sdk/index.js'

const sim = (seconds: number) => ({ STRATUS_SIM_SECONDS: String(seconds) })

async function setUp(cloud: Stratus) {
  const ce = await cloud.batch.computeEnvironment('own').unmanaged().create()
  await ce.registerNode({ vcpus: 4, memory: 4096 })
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('x').vcpus(1).memory(128).register()
  return { ce, queue, def }
}

t.test('a job handle: describe, wait (typed as finished), children, a handle by id', async (t) => {
  await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  const { queue, def } = await setUp(cloud)
  const job = await cloud.batch.job('arr').queue(queue).definition(def).array(2).env(sim(10)).submit()
  t.match(job, { name: 'arr', id: /^[0-9a-f-]{36}$/, arn: /:job\// })
  await cloud.clock.advance(0) // the scheduler's first look at it (SUBMITTED → PENDING) is its own turn
  const status: JobStatus = await job.status()
  t.equal(status, 'PENDING')
  await cloud.clock.advance(10_000)
  const done: FinishedJobDetail = await job.wait()
  const finished: 'SUCCEEDED' | 'FAILED' = done.status
  t.equal(finished, 'SUCCEEDED')
  t.same((await job.children()).map((c) => c.jobId), [`${job.id}:0`, `${job.id}:1`])
  t.same((await job.children('FAILED')), [])
  t.equal((await job.child(1).wait()).status, 'SUCCEEDED')
  t.equal((await cloud.batch.jobById(job.id)).arn, job.arn)
  t.same((await queue.jobs('SUCCEEDED')).map((s) => s.jobId), [job.id])
  t.throws(() => job.child(-1), { code: 'ClientException', kind: 'InvalidArgument', field: 'index' })
})

t.test('await using a job terminates it if it has not finished; a finished one is left alone', async (t) => {
  await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  const { queue, def } = await setUp(cloud)
  let longId = ''
  let quickId = ''
  {
    await using long = await cloud.batch.job('long').queue(queue).definition(def).retry({ attempts: 3 }).env(sim(3600)).submit()
    await using quick = await cloud.batch.job('quick').queue(queue).definition(def).submit()
    await quick.wait()
    longId = long.id
    quickId = quick.id
    await cloud.clock.advance(1_000)
    t.equal(await long.status(), 'RUNNING')
  }
  const d = await (await cloud.batch.jobById(longId)).wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.isTerminated, true)
  t.equal(d.statusReason, 'Disposed')
  t.equal(d.attempts.length, 1, 'terminated, not retried')
  const [quick] = await cloud.batch.describeJobs(quickId)
  t.equal(quick.status, 'SUCCEEDED')
  t.notOk(quick.isTerminated)
})

t.test('await using a queue deletes it and terminates its jobs; an environment is deleted after its queue', async (t) => {
  await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  const def = await cloud.batch.jobDefinition('d').command('x').vcpus(1).memory(128).register()
  let jobId = ''
  {
    await using ce = await cloud.batch.computeEnvironment('scoped').unmanaged().create()
    await ce.registerNode({ vcpus: 1, memory: 1024 })
    await using queue = await cloud.batch.jobQueue('scoped').priority(1).computeEnvironments(ce).create()
    const job = await cloud.batch.job('running').queue(queue).definition(def).env(sim(3600)).submit()
    await cloud.clock.advance(0)
    t.equal(await job.status(), 'RUNNING')
    jobId = job.id
  }
  t.same((await cloud.batch.service.describeJobQueues({ jobQueues: ['scoped'] })).jobQueues, [], 'the queue is gone')
  t.same((await cloud.batch.service.describeComputeEnvironments({ computeEnvironments: ['scoped'] })).computeEnvironments, [], 'the environment is gone')
  t.same(await cloud.batch.describeJobs(jobId), [], 'jobs of a deleted queue go with it')
})

t.test('await using the cloud closes the engine and removes its temporary directories', async (t) => {
  let dataDir = ''
  let runDir = ''
  {
    await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
    dataDir = cloud.engine.dataDir
    runDir = cloud.engine.runDir
    t.ok(existsSync(dataDir))
    t.ok(existsSync(runDir))
    const { queue, def } = await setUp(cloud)
    await cloud.batch.job('j').queue(queue).definition(def).env(sim(3600)).submit()
  }
  t.notOk(existsSync(dataDir), 'its data directory is removed')
  t.notOk(existsSync(runDir), 'and the directory of job logs and working directories')
})

t.test('advance() on a real clock is refused with a typed error', async (t) => {
  await using cloud = await Stratus.embedded({ runner: 'simulated' })
  t.equal(cloud.clock.kind, 'real')
  await t.rejects(cloud.clock.advance(1), { code: 'ClockNotManual', kind: 'InvalidArgument' })
})

t.test('await using a job definition deregisters that revision', async (t) => {
  await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  const { queue } = await setUp(cloud)
  const base = cloud.batch.jobDefinition('scoped').command('x').vcpus(1).memory(128)
  const kept = await base.register()
  {
    await using scoped = await base.env({ V: '2' }).register()
    t.equal(scoped.revision, 2)
    t.equal((await scoped.describe()).status, 'ACTIVE')
  }
  t.same((await cloud.batch.service.describeJobDefinitions({ jobDefinitionName: 'scoped', status: 'INACTIVE' })).jobDefinitions.map((d) => d.revision), [2])
  t.equal((await kept.describe()).status, 'ACTIVE', 'other revisions are untouched')
  const job = await cloud.batch.job('j').queue(queue).definition('scoped').submit()
  t.equal((await job.describe()).jobDefinition, kept.arn, 'the name now means revision 1')
  await t.rejects(cloud.batch.job('j').queue(queue).definition('scoped:2').submit(), { code: 'ClientException', field: 'jobDefinition' })
})

t.test('regression: closing the cloud ends every wait (they hung forever)', async (t) => {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  const { queue, def } = await setUp(cloud)
  const job = await cloud.batch.job('long').queue(queue).definition(def).env(sim(3600)).submit()
  await cloud.clock.advance(0)
  const waiting = job.wait()
  waiting.catch(() => {}) // asserted below, once the cloud has closed
  const lines: string[] = []
  const following = (async () => {
    for await (const line of job.logs()) lines.push(line)
  })()
  await cloud.close()
  await t.rejects(waiting, { name: 'UnavailableError', code: 'EngineClosed' })
  await following
  t.same(lines, [], 'following the log ends too')
})
