// The crash harness: an engine in a child process over a data directory (the
// SQLite store), driven through its wire API, killed with SIGKILL at a random
// point of a random workload — submit bursts, array jobs, retries,
// dependencies, cancels and terminates, a queue deleted with jobs in it — and
// started again (sometimes killed again while it recovers). Then:
//   - every call acknowledged before the kill is there (each SubmitJob's job,
//     each created queue; a deleted queue is going or gone);
//   - every job reaches exactly one terminal state: SUCCEEDED only when an
//     attempt exited 0 (never twice, never from a guess), a job that always
//     fails never SUCCEEDS, attempts stay within the retry strategy, an
//     attempt lost with its engine ends with its host, dependencies held;
//   - nothing of the dead engine keeps running: its jobs' processes die with
//     it (the launcher's parent-death signal);
//   - new work runs.
// Each round prints its seed; CRASH_SEED=<n> replays from it.
import t, { type Test } from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Stratus, type StratusClient } from '../../../sdk/index.js'
import type { JobDetail } from '../../../runtime/batch/model.js'
import { childrenOf, describeProcess, launcherCgroups, prng, processesMarked, startChildEngine, until, type ChildEngine } from './crash-kit.js'

const MARK = 'STRATUS_CRASH_MARK'
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 2) // a new random seed every run; CRASH_ROUNDS=20 for a longer soak
/** Jobs submitted per round at most (the rest of the workload goes on: cancels, terminates, queues). */
const MAX_JOBS = 60
const BASE_SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))

async function dataDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-crash-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** An engine process the test kills at its end whatever happens. */
async function engineOn(t: Test, dir: string): Promise<{ engine: ChildEngine; client: StratusClient }> {
  const engine = await startChildEngine(dir)
  t.teardown(() => engine.kill())
  const client = await Stratus.connect(`http://${engine.endpoint}`)
  t.teardown(() => client.close())
  return { engine, client }
}

async function setUp(client: StratusClient, vcpus: number) {
  const ce = await client.batch.computeEnvironment('crash').unmanaged().create()
  await ce.registerNode({ vcpus, memory: vcpus * 1024 })
  const queue = await client.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await client.batch.jobDefinition('work').command('true').vcpus(1).memory(64).register()
  return { ce, queue, def }
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED'])

async function describeAll(client: StratusClient, ids: readonly string[]): Promise<Map<string, JobDetail>> {
  const out = new Map<string, JobDetail>()
  for (let i = 0; i < ids.length; i += 100) {
    const { jobs } = await client.batch.service.describeJobs({ jobs: ids.slice(i, i + 100) })
    for (const j of jobs) out.set(j.jobId, j as JobDetail)
  }
  return out
}

t.test('the processes of an engine killed with SIGKILL die with it; a restarted engine ends their jobs with the host', async (t) => {
  const dir = await dataDir(t)
  const mark = `pdeathsig-${process.pid}`
  const first = await engineOn(t, dir)
  const { queue, def } = await setUp(first.client, 2)
  const job = await first.client.batch.job('long').queue(queue).definition(def).command('sleep', '300').env({ [MARK]: mark }).submit()
  t.ok(await until(async () => (await job.describe()).status === 'RUNNING', 10_000), 'the job runs')
  t.ok(await until(() => processesMarked(MARK, mark).length > 0, 5000), 'its process is there')
  await first.engine.kill()
  await until(() => processesMarked(MARK, mark).length === 0, 5000)
  t.same(processesMarked(MARK, mark).map(describeProcess), [], 'gone with its engine')
  const second = await engineOn(t, dir)
  const d = await (await second.client.batch.jobById(job.id)).describe()
  t.equal(d.status, 'FAILED')
  t.match(d.statusReason, /^Host EC2 \(instance .+\) terminated\.$/)
  t.equal(d.attempts.length, 1)
  t.equal(d.attempts[0].container?.exitCode, undefined, 'no exit code: it was never seen to exit')
})

t.test('regression: an engine and its launcher killed together — the jobs die with the launcher, and the next launcher sweeps its cgroups even while the dead one is an unreaped zombie', async (t) => {
  const dir = await dataDir(t)
  const mark = `launcher-killed-${process.pid}`
  const first = await engineOn(t, dir)
  const { queue, def } = await setUp(first.client, 2)
  const job = await first.client.batch.job('long').queue(queue).definition(def).command('sleep', '300').env({ [MARK]: mark }).submit()
  t.ok(await until(async () => (await job.describe()).status === 'RUNNING', 10_000), 'the job runs')
  const launchers = childrenOf(first.engine.pid).filter((pid) => /stratus-launcher/.test(describeProcess(pid)))
  const theirs = launcherCgroups().filter((path) => launchers.some((pid) => path.endsWith(`/stratus-launcher-${pid}`)))
  // Frozen first, so that the engine cannot hear of its launcher's death: both go as if killed at one instant.
  process.kill(first.engine.pid, 'SIGSTOP')
  for (const pid of launchers) process.kill(pid, 'SIGKILL')
  await first.engine.kill()
  await until(() => processesMarked(MARK, mark).length === 0, 5000)
  t.same(processesMarked(MARK, mark).map(describeProcess), [], 'the job died with its launcher (its parent-death signal)')
  const second = await engineOn(t, dir)
  const d = await (await second.client.batch.jobById(job.id)).describe()
  t.match(d.statusReason, /^Host EC2 \(instance .+\) terminated\.$/)
  // The launcher starts with the first job of the process runner: one quick job makes the new one sweep.
  const next = await second.client.batch.job('next').queue('q').definition('work').submit()
  t.equal(await until(async () => { const s = (await next.describe()).status; return TERMINAL.has(s) ? s : undefined }, 10_000), 'SUCCEEDED')
  if (theirs.length === 0) t.comment('no memory cgroup was in use here (not writable): nothing to sweep')
  t.same(theirs.filter((path) => launcherCgroups().includes(path)), [], `the dead launcher's cgroups are gone (${theirs.length} were there)`)
})

type Kind = 'quick' | 'medium' | 'long' | 'failing' | 'array' | 'dependant'
interface Submitted { id: string; kind: Kind; attempts: number; dependsOn?: string; arraySize?: number; queue: string; terminatedAt?: number; terminateAckedAt?: number }

const COMMANDS: Record<Exclude<Kind, 'array' | 'dependant'>, string[]> = {
  quick: ['sh', '-c', 'sleep 0.02'],
  medium: ['sleep', '0.3'],
  long: ['sleep', '0.8'],
  failing: ['sh', '-c', 'exit 3']
}

/** One round: a random workload, killed at a random point, restarted (and maybe killed again while recovering), then checked. */
async function round(t: Test, seed: number): Promise<void> {
  const rnd = prng(seed)
  const dir = await dataDir(t)
  const mark = `round-${seed}-${process.pid}`
  const first = await engineOn(t, dir)
  const { client } = first
  await setUp(client, 8)
  const submitted: Submitted[] = []
  const createdQueues: string[] = []
  const deletedQueues: string[] = []
  const deletingQueues: string[] = []
  let queueNames = 0
  let killed = false
  const env = { [MARK]: mark }

  const submit = async (kind: Kind, queue = 'q') => {
    if (submitted.length >= MAX_JOBS) return
    const attempts = kind === 'failing' ? rnd.int(1, 3) : rnd.int(1, 2)
    const dependsOn = kind === 'dependant' && submitted.length > 0 ? rnd.pick(submitted).id : undefined
    const arraySize = kind === 'array' ? rnd.int(2, 6) : undefined
    const command = kind === 'array' || kind === 'dependant' ? COMMANDS.quick : COMMANDS[kind]
    const { jobId } = await client.batch.service.submitJob({
      jobName: `${kind}-${submitted.length}`, jobQueue: queue, jobDefinition: 'work',
      containerOverrides: { command, environment: Object.entries(env).map(([name, value]) => ({ name, value })) },
      retryStrategy: { attempts, ...(kind === 'failing' && rnd.next() < 0.5 ? { evaluateOnExit: [{ onExitCode: '3', action: 'RETRY' }] } : {}) },
      ...(dependsOn !== undefined ? { dependsOn: [{ jobId: dependsOn }] } : {}),
      ...(arraySize !== undefined ? { arrayProperties: { size: arraySize } } : {})
    })
    submitted.push({ id: jobId, kind, attempts, queue, ...(dependsOn !== undefined ? { dependsOn } : {}), ...(arraySize !== undefined ? { arraySize } : {}) })
  }
  const operations: Array<() => Promise<void>> = [
    () => submit('quick'), () => submit('quick'), () => submit('medium'), () => submit('long'), () => submit('failing'),
    () => submit('array'), () => submit('dependant'),
    async () => {
      if (submitted.length === 0) return
      await client.batch.service.cancelJob({ jobId: rnd.pick(submitted).id, reason: 'cancelled by the harness' })
    },
    async () => {
      if (submitted.length === 0) return
      const target = rnd.pick(submitted)
      // Asked (maybe acknowledged): a stopped attempt that exits 0 anyway still FAILS the job.
      target.terminatedAt ??= Date.now()
      await client.batch.service.terminateJob({ jobId: target.id, reason: 'terminated by the harness' })
      target.terminateAckedAt ??= Date.now()
    },
    async () => {
      // A queue with a job in it, disabled and deleted: it goes once its jobs have ended.
      const name = `extra-${queueNames++}`
      await client.batch.service.createJobQueue({ jobQueueName: name, priority: 2, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'crash' }] })
      createdQueues.push(name)
      await submit('quick', name)
      await client.batch.service.updateJobQueue({ jobQueue: name, state: 'DISABLED' })
      // Asked (maybe acknowledged): its ended jobs may be gone with it.
      deletingQueues.push(name)
      await client.batch.service.deleteJobQueue({ jobQueue: name })
      deletedQueues.push(name)
    }
  ]

  // Bursts of calls, several in flight, until the kill (a random point: 100 ms to 1.5 s in).
  const killAfter = rnd.int(100, 1500)
  const workers = Array.from({ length: 4 }, async () => {
    while (!killed) {
      const burst = rnd.int(1, 6)
      await Promise.all(Array.from({ length: burst }, () => rnd.pick(operations)().catch((error) => {
        // Refused calls are fine (a cancel of a node, a queue not yet VALID); calls cut by the kill are unacknowledged.
        if (!killed && !/ClientException|Conflict|Exception/.test(String(error?.code ?? error?.name ?? error))) throw error
      })))
      await new Promise((resolve) => setTimeout(resolve, rnd.int(0, 40)))
    }
  })
  await new Promise((resolve) => setTimeout(resolve, killAfter))
  killed = true
  await first.engine.kill()
  await Promise.allSettled(workers)
  const killedAt = Date.now()
  const alive = processesMarked(MARK, mark).map(describeProcess)
  await until(() => processesMarked(MARK, mark).length === 0, 5000)
  const leftovers = processesMarked(MARK, mark)
  if (alive.length > 0) t.comment(`seed ${seed}: ${alive.length} marked at the kill, ${leftovers.length} after ${Date.now() - killedAt} ms: ${[...new Set(alive.map((a) => describeProcess(Number(/ppid (\d+)/.exec(a)?.[1]))))].join('; ')}`)
  t.same(leftovers.map(describeProcess), [], `seed ${seed}: nothing of the dead engine runs (killed at ${killAfter} ms, ${submitted.length} jobs acknowledged)`)

  let final = await engineOn(t, dir)
  if (rnd.next() < 0.4) {
    // Killed again while it recovers and carries on.
    await new Promise((resolve) => setTimeout(resolve, rnd.int(0, 400)))
    await final.engine.kill()
    final = await engineOn(t, dir)
  }
  const c = final.client
  const queues = (await c.batch.service.describeJobQueues({})).jobQueues
  t.ok(queues.some((q) => q.jobQueueName === 'q'), `seed ${seed}: the queue is there`)
  for (const name of createdQueues) {
    const q = queues.find((x) => x.jobQueueName === name)
    if (deletedQueues.includes(name)) t.ok(q === undefined || q.status === 'DELETING' || q.status === 'DELETED', `seed ${seed}: deleted queue ${name} is going or gone (${q?.status})`)
    else if (!deletingQueues.includes(name)) t.ok(q !== undefined, `seed ${seed}: created queue ${name} is there`)
  }
  // A deleted queue's jobs go with it once they have ended (as on AWS): only the others must stay.
  const kept = submitted.filter((s) => !deletingQueues.includes(s.queue))
  const found = await describeAll(c, kept.map((s) => s.id))
  t.same(kept.filter((s) => !found.has(s.id)).map((s) => `${s.kind}:${s.id}`), [], `seed ${seed}: every acknowledged SubmitJob's job exists`)
  const ids = kept.map((s) => s.id)

  const ended = await until(async () => {
    const all = await describeAll(c, ids)
    return [...all.values()].every((j) => TERMINAL.has(j.status)) ? all : undefined
  }, 30_000)
  if (ended === undefined) {
    const stuck = [...(await describeAll(c, ids)).values()].filter((j) => !TERMINAL.has(j.status)).map((j) => `${j.jobName}:${j.status}`)
    t.fail(`seed ${seed}: jobs never ended: ${stuck.join(', ')}`)
    return
  }
  const problems: string[] = []
  for (const s of kept) {
    const j = ended.get(s.id)!
    const where = `${j.jobName} (${s.id})`
    const exits = j.attempts.map((a) => a.container?.exitCode)
    if (j.attempts.length > s.attempts) problems.push(`${where}: ${j.attempts.length} attempts, more than ${s.attempts}`)
    if (s.arraySize === undefined) {
      const zeros = exits.filter((e) => e === 0).length
      if (j.status === 'SUCCEEDED' && (zeros !== 1 || exits.at(-1) !== 0)) problems.push(`${where}: SUCCEEDED with attempts exiting ${JSON.stringify(exits)}`)
      if (j.status === 'FAILED' && zeros > 0 && s.terminatedAt === undefined) problems.push(`${where}: FAILED though an attempt exited 0`)
    }
    if (s.kind === 'failing' && j.status === 'SUCCEEDED') problems.push(`${where}: a job that always exits 3 SUCCEEDED`)
    for (const a of j.attempts) {
      if (/^Host EC2/.test(a.statusReason ?? '') && a.container?.exitCode !== undefined) problems.push(`${where}: a host-terminated attempt has exit code ${a.container.exitCode}`)
    }
    if (s.dependsOn !== undefined && j.status === 'SUCCEEDED') {
      const dep = ended.get(s.dependsOn)
      if (dep !== undefined && dep.status !== 'SUCCEEDED') problems.push(`${where}: SUCCEEDED though its dependency ${dep.status}`)
      if (dep?.stoppedAt !== undefined && j.startedAt !== undefined && j.startedAt < dep.stoppedAt) problems.push(`${where}: started before its dependency stopped`)
    }
    if (s.terminateAckedAt !== undefined && j.status === 'SUCCEEDED' && (j.stoppedAt ?? 0) > s.terminateAckedAt + 1000) problems.push(`${where}: SUCCEEDED after it was terminated`)
    if (s.arraySize !== undefined) {
      const childIds = Array.from({ length: s.arraySize }, (_, i) => `${s.id}:${i}`)
      const children = await describeAll(c, childIds)
      const statuses = childIds.map((id) => children.get(id)?.status)
      if (statuses.some((st) => st === undefined || !TERMINAL.has(st))) problems.push(`${where}: children not all ended: ${JSON.stringify(statuses)}`)
      if ((j.status === 'SUCCEEDED') !== statuses.every((st) => st === 'SUCCEEDED')) problems.push(`${where}: parent ${j.status} with children ${JSON.stringify(statuses)}`)
      for (const child of children.values()) {
        const ex = child.attempts.map((a) => a.container?.exitCode)
        if (child.status === 'SUCCEEDED' && ex.length > 0 && (ex.filter((e) => e === 0).length !== 1 || ex.at(-1) !== 0)) problems.push(`${child.jobId}: SUCCEEDED with attempts exiting ${JSON.stringify(ex)}`)
        if (child.status === 'FAILED' && ex.includes(0) && s.terminatedAt === undefined) problems.push(`${child.jobId}: FAILED though an attempt exited 0`)
      }
    }
  }
  t.same(problems, [], `seed ${seed}: every job ended once, consistently with its attempts`)
  // Exactly one terminal state: a while later, nothing has moved.
  await new Promise((resolve) => setTimeout(resolve, 200))
  const later = await describeAll(c, ids)
  const moved = ids.filter((id) => later.get(id)?.status !== ended.get(id)?.status || later.get(id)?.attempts.length !== ended.get(id)?.attempts.length)
  t.same(moved, [], `seed ${seed}: no job left its terminal state`)
  const next = await c.batch.job('after').queue('q').definition('work').command(...COMMANDS.quick).submit()
  t.equal((await until(async () => { const d = await next.describe(); return TERMINAL.has(d.status) ? d.status : undefined }, 10_000)), 'SUCCEEDED', `seed ${seed}: new work runs`)
  t.same(processesMarked(MARK, mark), [], `seed ${seed}: nothing marked is left running`)
}

for (let i = 0; i < ROUNDS; i++) {
  const seed = (BASE_SEED + i * 7919) % 2 ** 31
  t.test(`crash round ${i + 1} (CRASH_SEED=${seed} CRASH_ROUNDS=1 replays it)`, async (t) => round(t, seed))
}
