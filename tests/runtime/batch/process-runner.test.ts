// Batch jobs as real processes: the environment AWS sets, a working directory
// per attempt, stdout and stderr in the log (readable while the job runs),
// timeouts (SIGTERM, then SIGKILL after the grace period) and the cgroup
// memory limit with AWS's reason.
import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Stratus, type Job } from '../../../sdk/index.js'

const TIMEOUT = 'Job attempt duration exceeded timeout'

async function setUp(cloud: Stratus) {
  const ce = await cloud.batch.computeEnvironment('local').unmanaged().create()
  await ce.registerNode({ vcpus: 4, memory: 4096 })
  const queue = await cloud.batch.jobQueue('jobs').priority(1).computeEnvironments(ce).create()
  const sh = (script: string) => cloud.batch.jobDefinition('sh').command('sh', '-c', script).vcpus(1).memory(128)
  return { ce, queue, sh }
}

async function logOf(job: Job, attempt?: number): Promise<string[]> {
  const lines: string[] = []
  for await (const line of job.logs({ follow: false, ...(attempt ? { attempt } : {}) })) lines.push(line)
  return lines
}

const scratch = await mkdtemp(join(tmpdir(), 'stratus-batch-process-'))
t.teardown(() => rm(scratch, { recursive: true, force: true }))

t.test('the environment AWS sets, for single jobs and array children', async (t) => {
  await using cloud = await Stratus.embedded({ runner: 'process' })
  const { queue, sh } = await setUp(cloud)
  const def = await sh('echo "$AWS_BATCH_JOB_ID|$AWS_BATCH_JOB_ATTEMPT|$AWS_BATCH_JQ_NAME|$AWS_BATCH_CE_NAME|' +
    '${AWS_BATCH_JOB_ARRAY_INDEX-none}|${AWS_BATCH_JOB_ARRAY_SIZE-none}|$MINE|Ref::p"').env({ MINE: 'mine' }).register()
  const single = await cloud.batch.job('single').queue(queue).definition(def).parameters({ p: 'param' }).submit()
  const array = await cloud.batch.job('array').queue(queue).definition(def).parameters({ p: 'param' }).array(3).submit()
  t.equal((await single.wait()).status, 'SUCCEEDED')
  t.equal((await array.wait()).status, 'SUCCEEDED')
  t.same(await logOf(single), [`${single.id}|1|jobs|local|none|none|mine|param`])
  for (let i = 0; i < 3; i++) t.same(await logOf(array.child(i)), [`${array.id}:${i}|1|jobs|local|${i}|3|mine|param`])
})

t.test('each attempt has its own working directory; a job may succeed on a retry', async (t) => {
  await using cloud = await Stratus.embedded({ runner: 'process' })
  const { queue, sh } = await setUp(cloud)
  const marker = join(scratch, 'second-time')
  // Attempt 1 leaves a file in its directory and fails; attempt 2 finds a clean directory and succeeds.
  const def = await sh('pwd; ls -A; touch left-behind; echo "attempt $AWS_BATCH_JOB_ATTEMPT"; if [ -e "$MARKER" ]; then echo second; else touch "$MARKER"; exit 1; fi').register()
  const job = await cloud.batch.job('twice').queue(queue).definition(def).env({ MARKER: marker }).retry({ attempts: 2 }).submit()
  const d = await job.wait()
  t.equal(d.status, 'SUCCEEDED')
  t.same(d.attempts.map((a) => a.container.exitCode), [1, 0])
  const [first, second] = [await logOf(job, 1), await logOf(job, 2)]
  t.same(first.slice(1), ['attempt 1'], 'attempt 1 saw an empty directory')
  t.same(second.slice(1), ['attempt 2', 'second'], 'attempt 2 saw an empty directory too')
  t.not(first[0], second[0], 'two different directories')
})

t.test('stdout and stderr are in the log, readable while the job runs', async (t) => {
  await using cloud = await Stratus.embedded({ runner: 'process' })
  const { queue, sh } = await setUp(cloud)
  const go = join(scratch, 'go')
  const def = await sh('echo first; while [ ! -e "$GO" ]; do sleep 0.01; done; echo second >&2; echo third').register()
  const job = await cloud.batch.job('talker').queue(queue).definition(def).env({ GO: go }).submit()
  const lines: string[] = []
  for await (const line of job.logs()) {
    lines.push(line)
    if (line === 'first') {
      t.equal((await job.describe()).status, 'RUNNING', 'the first line is readable while the job runs')
      await writeFile(go, '')
    }
  }
  await writeFile(go, '') // (had the log never shown `first`, the job must still end)
  t.same(lines, ['first', 'second', 'third'], 'stdout and stderr, in order; following ends with the job')
  t.equal((await job.wait()).status, 'SUCCEEDED')
})

t.test('terminate stops a real process with SIGTERM', async (t) => {
  await using cloud = await Stratus.embedded({ runner: 'process' })
  const { queue, sh } = await setUp(cloud)
  const def = await sh('echo started; exec sleep 600').register()
  const job = await cloud.batch.job('sleeper').queue(queue).definition(def).retry({ attempts: 3 }).submit()
  for await (const line of job.logs()) if (line === 'started') break
  await job.terminate('no more sleeping')
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.statusReason, 'no more sleeping')
  t.equal(d.attempts.length, 1)
  t.equal(d.container.exitCode, 143, '128 + SIGTERM')
})

t.test('timeout: SIGTERM, then SIGKILL after the grace period; FAILED and not retried (manual clock, real process)', async (t) => {
  await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'process', batch: { killGraceMs: 200 } })
  const { queue, sh } = await setUp(cloud)
  const def = await sh('trap "echo got TERM" TERM; echo ready; while :; do sleep 1; done').timeout(60).register()
  const job = await cloud.batch.job('stubborn').queue(queue).definition(def).retry({ attempts: 3 }).submit()
  for await (const line of job.logs()) if (line === 'ready') break
  await cloud.clock.advance(59_000)
  t.equal((await job.describe()).status, 'RUNNING')
  await cloud.clock.advance(1_000)
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.statusReason, TIMEOUT)
  t.equal(d.attempts.length, 1, 'not retried')
  t.equal(d.container.exitCode, 137, 'it survived SIGTERM, so SIGKILL ended it')
  t.ok((await logOf(job)).includes('got TERM'), 'it was sent SIGTERM first')
})

t.test('memory limit: a job above its memory is killed with AWS\'s reason', async (t) => {
  await using cloud = await Stratus.embedded({ runner: 'process' })
  if (cloud.engine.runner.capabilities.memoryLimits !== 'enforced') {
    t.plan(0, 'memory cgroups are not available on this machine')
    return
  }
  const { queue } = await setUp(cloud)
  const def = await cloud.batch.jobDefinition('hog').command(process.execPath, '-e',
    'const keep = []; for (let i = 0; i < 25; i++) keep.push(Buffer.alloc(16 * 1024 * 1024, 1)); console.log("survived")')
    .vcpus(1).memory(128).register()
  const job = await cloud.batch.job('hog').queue(queue).definition(def).submit()
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.container.reason, 'OutOfMemoryError: Container killed due to memory usage')
  t.equal(d.attempts[0].container.reason, 'OutOfMemoryError: Container killed due to memory usage')
  t.equal(d.container.exitCode, 137)
  t.notOk((await logOf(job)).includes('survived'))
  // The same program within a larger limit runs to the end.
  const roomy = await cloud.batch.job('roomy').queue(queue).definition(def).memory(1024).submit()
  t.equal((await roomy.wait()).status, 'SUCCEEDED')
  t.ok((await logOf(roomy)).includes('survived'))
})

t.test('a command that cannot be started fails the job with the reason', async (t) => {
  await using cloud = await Stratus.embedded({ runner: 'process' })
  const { queue } = await setUp(cloud)
  const def = await cloud.batch.jobDefinition('missing').command('/no/such/program').vcpus(1).memory(128).register()
  const d = await (await cloud.batch.job('missing').queue(queue).definition(def).submit()).wait()
  t.equal(d.status, 'FAILED')
  t.match(d.container.reason, /^CannotStartContainerError: /)
})
