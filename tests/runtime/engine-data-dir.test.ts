// An engine given a data directory keeps its state there (state.db, the
// SQLite store): closed and started again over the same directory — in this
// process, or as `stratus serve --data-dir` stopped with SIGTERM — it has its
// environments, queues, definitions and jobs (with their attempts and array
// children), and new work runs. Without a data directory the state is in
// memory, as before.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { Stratus } from '../../sdk/index.js'
import { sim } from './batch/fixtures.js'

async function dataDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-data-dir-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('Stratus.embedded({ dataDir }): closed and started again, everything is there and new jobs run', async (t) => {
  const dir = await dataDir(t)
  const first = await Stratus.embedded({ clock: 'manual', runner: 'simulated', dataDir: join(dir, 'nested') })
  t.equal(first.engine.store.kind, 'sqlite', 'the state is in the SQLite store')
  t.ok(existsSync(join(dir, 'nested', 'state.db')), 'in <dataDir>/state.db (the directory made as needed)')
  const ce = await first.batch.computeEnvironment('own').unmanaged().create()
  await ce.registerNode({ vcpus: 2, memory: 4096, id: 'node-1' })
  const queue = await first.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await first.batch.jobDefinition('work').command('true').vcpus(1).memory(128).register()
  const retried = await first.batch.job('retried').queue(queue).definition(def).retry({ attempts: 2 }).env(sim(5, 1)).submit()
  const array = await first.batch.job('array').queue(queue).definition(def).array(4).env(sim(5)).submit()
  await first.clock.advance(60_000)
  const ran = await retried.wait()
  t.equal(ran.status, 'FAILED', 'a job ran to its end (twice, exit 1)')
  t.equal(ran.attempts.length, 2)
  t.equal((await array.wait()).status, 'SUCCEEDED')
  const now = first.clock.now()
  await first.close()
  t.ok(existsSync(join(dir, 'nested', 'state.db')), 'close keeps the state')

  await using second = await Stratus.embedded({ clock: 'manual', runner: 'simulated', dataDir: join(dir, 'nested'), startTime: now })
  const batch = second.batch.service
  t.same((await batch.describeComputeEnvironments()).computeEnvironments.map((c) => [c.computeEnvironmentName, c.status, c.state]), [['own', 'VALID', 'ENABLED']], 'the environment is there')
  t.same((await batch.listNodes('own')).map((n) => n.id), ['node-1'], 'with its instance')
  t.same((await batch.describeJobQueues()).jobQueues.map((q) => q.jobQueueName), ['q'])
  t.same((await batch.describeJobDefinitions()).jobDefinitions.map((d) => d.jobDefinitionArn), [def.arn])
  const { jobs } = await batch.describeJobs({ jobs: [retried.id, array.id] })
  t.same(jobs.map((j) => [j.jobName, j.status]), [['retried', 'FAILED'], ['array', 'SUCCEEDED']], 'DescribeJobs finds both, ended as they were')
  t.same(jobs[0].attempts.map((a) => a.container?.exitCode), [1, 1], 'with their attempts')
  t.same(jobs[1].arrayProperties?.statusSummary?.SUCCEEDED, 4, 'and the array\'s children')
  const next = await second.batch.job('next').queue('q').definition('work').env(sim(1)).submit()
  const child = await second.batch.job('array-2').queue('q').definition('work').array(3).env(sim(1)).submit()
  await second.clock.advance(10_000)
  t.equal((await next.wait()).status, 'SUCCEEDED', 'new jobs run')
  t.equal((await child.wait()).arrayProperties?.statusSummary?.SUCCEEDED, 3)
})

t.test('the process runner on a data directory: a job that ran is there after restart, and new ones run', async (t) => {
  const dir = await dataDir(t)
  const first = await Stratus.embedded({ runner: 'process', dataDir: dir, storeSync: 'full' })
  const ce = await first.batch.computeEnvironment('local').unmanaged().create()
  await ce.registerNode({ vcpus: 2, memory: 4096 })
  const queue = await first.batch.jobQueue('local').priority(1).computeEnvironments(ce).create()
  const def = await first.batch.jobDefinition('true').command('true').vcpus(1).memory(64).register()
  const job = await first.batch.job('once').queue(queue).definition(def).submit()
  t.equal((await job.wait()).status, 'SUCCEEDED')
  await first.close()

  await using second = await Stratus.embedded({ runner: 'process', dataDir: dir })
  const again = await second.batch.jobById(job.id)
  const detail = await again.describe()
  t.same([detail.status, detail.attempts.length, detail.attempts[0]?.container?.exitCode], ['SUCCEEDED', 1, 0], 'SUCCEEDED with its attempt')
  const next = await second.batch.job('twice').queue('local').definition('true').submit()
  t.equal((await next.wait()).status, 'SUCCEEDED', 'a new job runs')
})

t.test('without a data directory the state is in memory', async (t) => {
  await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  t.equal(cloud.engine.store.kind, 'memory')
})

const cli = join(fileURLToPath(import.meta.url), '..', '..', '..', 'dist', 'runtime', 'cli', 'main.js')

/** `stratus serve --data-dir dir` on a free port: resolves with its endpoint and a stop() that sends SIGTERM. */
async function serve(dir: string): Promise<{ endpoint: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--runner', 'simulated', '--quiet', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stderr.on('data', (chunk) => (output += chunk))
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk
      const m = /listening on http:\/\/(127\.0\.0\.1:\d+)[\s\S]*data .*state\.db/.exec(output)
      if (m) resolve(m[1])
    })
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)))
  })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    return exited
  }
  return { endpoint, stop }
}

t.test('stratus serve --data-dir, stopped with SIGTERM and started again, keeps its state', { skip: existsSync(cli) ? false : 'the CLI is not built (npm run build)' }, async (t) => {
  const dir = await dataDir(t)
  const first = await serve(dir)
  t.teardown(() => first.stop())
  const client = await Stratus.connect(`http://${first.endpoint}`)
  const ce = await client.batch.computeEnvironment('own').unmanaged().create()
  await ce.registerNode({ vcpus: 1, memory: 2048 })
  const queue = await client.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await client.batch.jobDefinition('work').command('true').vcpus(1).memory(128).register()
  const job = await client.batch.job('quick').queue(queue).definition(def).env(sim(0)).submit()
  t.equal((await job.wait()).status, 'SUCCEEDED')
  t.equal(await first.stop(), 0, 'exits 0 on SIGTERM')

  const second = await serve(dir)
  t.teardown(() => second.stop())
  const again = await Stratus.connect(`http://${second.endpoint}`)
  t.same((await again.batch.service.describeJobQueues()).jobQueues.map((q) => q.jobQueueName), ['q'], 'the queue is there')
  t.equal((await again.batch.service.describeJobs({ jobs: [job.id] })).jobs[0]?.status, 'SUCCEEDED', 'and the job, SUCCEEDED')
  const next = await again.batch.job('next').queue('q').definition('work').env(sim(0)).submit()
  t.equal((await next.wait()).status, 'SUCCEEDED', 'new jobs run')
})
