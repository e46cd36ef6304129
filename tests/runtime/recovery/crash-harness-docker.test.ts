// The crash harness on the docker runner: an engine in a child process over a
// data directory, running Batch container jobs (the test busybox, from the
// engine's own registry by its ECR name), driven through its wire API and
// killed with SIGKILL while containers run — long ones (sleeping) and quick
// ones, in bursts — then started again over the same data directory. Then:
//   - before the restart, the dead engine's containers are still there: Docker
//     keeps them (nothing dies "with" an engine that only talked to dockerd);
//   - the restarted engine finds them by label (stratus.engine) and stops and
//     removes them: none of the dead engine's containers is left once it has
//     recovered; the containers there after that are its own attempts';
//   - every job reaches exactly one terminal state; an attempt that was
//     RUNNING in the dead engine ends with `Host EC2 (instance i-…)
//     terminated.` (no exit code: it was never seen to exit) and is retried
//     when attempts remain; SUCCEEDED only from an attempt that exited 0;
//   - new work runs;
//   - once the engine closes (SIGTERM), no container, network or published
//     port of its engine id is left in Docker, nor any name an engine of the
//     round pulled its image by (127.0.0.1:<its port>/…, dead with it).
// Sometimes the restarted engine is killed again while it recovers, and a
// third one finishes.
// Each round prints its seed; CRASH_SEED=<n> replays from it.
import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Stratus, type StratusClient } from '../../../sdk/index.js'
import type { JobDetail } from '../../../runtime/batch/model.js'
import { dockerObjectsOf, dockerUnreachable, prng, startChildEngine, until, type ChildEngine } from './crash-kit.js'

const ROUNDS = Math.min(Number(process.env.CRASH_ROUNDS ?? 1), 2) // a new random seed every run
const BASE_SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
/** Jobs submitted per round at most: a container start costs far more than a process's. */
const MAX_JOBS = 14
const TAG = 'busybox:1.36'
/** The image by its ECR name: the same across restarts (the endpoint's port is not). */
const IMAGE = `000000000000.dkr.ecr.us-east-1.amazonaws.com/${TAG}`
const HOST_TERMINATED = /^Host EC2 \(instance i-[0-9a-z]+\) terminated\.$/
const TERMINAL = new Set(['SUCCEEDED', 'FAILED'])

type Kind = 'long' | 'quick' | 'failing' | 'array'
/**
 * A long job's first attempt sleeps past the kill (which comes at most 1.2 s after the first one
 * runs) and past the restart; a retry of it is quick.
 */
const SCRIPTS: Record<Kind, string> = {
  long: 'if [ "$AWS_BATCH_JOB_ATTEMPT" = 1 ]; then sleep 3; fi; echo done',
  quick: 'echo quick',
  failing: 'exit 3',
  array: 'echo "child $AWS_BATCH_JOB_ARRAY_INDEX"'
}
interface Submitted { id: string; kind: Kind; attempts: number; arraySize?: number }

const unreachable = await dockerUnreachable()

async function dataDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-crash-docker-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** An engine process on the docker runner, with the test image in its registry; killed at the test's end whatever happens. */
async function engineOn(t: Test, dir: string): Promise<{ engine: ChildEngine; client: StratusClient }> {
  const engine = await startChildEngine(dir, 'docker', { images: [TAG] })
  t.teardown(() => engine.kill())
  const client = await Stratus.connect(`http://${engine.endpoint}`)
  t.teardown(() => client.close())
  return { engine, client }
}

/** The names the local Docker engine has for images, among those given. */
function imageNamesLeft(names: readonly string[]): string[] {
  return names.filter((name) => {
    try {
      execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', name], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  })
}

async function describeAll(client: StratusClient, ids: readonly string[]): Promise<Map<string, JobDetail>> {
  const out = new Map<string, JobDetail>()
  for (let i = 0; i < ids.length; i += 100) {
    const { jobs } = await client.batch.service.describeJobs({ jobs: ids.slice(i, i + 100) })
    for (const j of jobs) out.set(j.jobId, j as JobDetail)
  }
  return out
}

async function round(t: Test, seed: number): Promise<void> {
  const rnd = prng(seed)
  const phases: string[] = []
  let since = Date.now()
  const phase = (name: string) => { phases.push(`${name} ${Date.now() - since} ms`); since = Date.now() }
  const dir = await dataDir(t)
  const first = await engineOn(t, dir)
  const engineId = first.engine.engineId
  /** The names each engine of the round pulls the image by: its endpoint's (its port dies with it). */
  const pulledNames = [`${first.engine.endpoint}/${TAG}`]
  // Whatever happens, nothing of this engine id stays in Docker (the checks below say whether the engine removed it).
  t.teardown(async () => {
    const { containers } = await dockerObjectsOf(engineId).catch(() => ({ containers: [] }))
    for (const c of containers) {
      try {
        execFileSync('docker', ['rm', '-f', c.id], { stdio: 'ignore' })
      } catch {
        // Gone meanwhile.
      }
    }
  })
  phase('start')
  const { client } = first
  const ce = await client.batch.computeEnvironment('crash').unmanaged().create()
  await ce.registerNode({ vcpus: 8, memory: 8192 })
  await client.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  await client.batch.jobDefinition('work').image(IMAGE).command('sh', '-c', 'true').vcpus(1).memory(64).register()

  const submitted: Submitted[] = []
  let killed = false
  let slots = MAX_JOBS
  const submit = async (kind: Kind) => {
    if (slots === 0) return
    slots--
    const attempts = rnd.int(1, 2)
    const arraySize = kind === 'array' ? rnd.int(2, 3) : undefined
    const { jobId } = await client.batch.service.submitJob({
      jobName: `${kind}-${submitted.length}`, jobQueue: 'q', jobDefinition: 'work',
      containerOverrides: { command: ['sh', '-c', SCRIPTS[kind]] },
      retryStrategy: { attempts },
      ...(arraySize !== undefined ? { arrayProperties: { size: arraySize } } : {})
    })
    submitted.push({ id: jobId, kind, attempts, ...(arraySize !== undefined ? { arraySize } : {}) })
  }
  // Two long jobs first, so that containers surely run at the kill; then bursts of the rest until it.
  await submit('long')
  await submit('long')
  const kinds: Kind[] = ['long', 'quick', 'quick', 'failing', 'array']
  const workers = Array.from({ length: 2 }, async () => {
    while (!killed && slots > 0) {
      await Promise.all(Array.from({ length: rnd.int(1, 3) }, () => submit(rnd.pick(kinds)).catch((error) => {
        if (!killed) throw error // a call cut by the kill is unacknowledged
      })))
      await new Promise((resolve) => setTimeout(resolve, rnd.int(20, 150)))
    }
  })
  const running = await until(async () => {
    const all = await describeAll(client, submitted.filter((s) => s.kind === 'long').map((s) => s.id))
    return [...all.values()].some((j) => j.status === 'RUNNING')
  }, 20_000)
  t.ok(running, `seed ${seed}: a long job runs`)
  // A random point after that: starts, exits and removals of the others are under way.
  const killAfter = rnd.int(0, 1200)
  await new Promise((resolve) => setTimeout(resolve, killAfter))
  const before = await describeAll(client, submitted.map((s) => s.id))
  const runningAtKill = new Set([...before.values()].filter((j) => j.status === 'RUNNING' && j.jobName.startsWith('long-')).map((j) => j.jobId))
  killed = true
  await first.engine.kill()
  await Promise.allSettled(workers)
  phase('workload')

  // (1) Docker keeps the dead engine's containers: the long attempts' still run.
  const left = await dockerObjectsOf(engineId)
  const deadSandboxes = new Set(left.containers.map((c) => c.sandbox))
  t.ok(left.containers.filter((c) => c.state === 'running').length >= runningAtKill.size,
    `seed ${seed}: the dead engine's containers are still there (${left.containers.length}, ${left.containers.filter((c) => c.state === 'running').length} running; ${runningAtKill.size} long jobs were RUNNING; killed ${killAfter} ms after one ran, ${submitted.length} jobs acknowledged)`)

  t.same(imageNamesLeft(pulledNames), pulledNames, `seed ${seed}: the name the dead engine pulled its image by is still there (it never closed)`)

  // (2) Restarted over the same data dir: recovery finds them by label, stops and removes them.
  let second = await engineOn(t, dir)
  t.same(imageNamesLeft(pulledNames), [], `seed ${seed}: regression: a killed engine's pulled names (127.0.0.1:<its dead port>/…) piled up in Docker, one more per crash; the next engine untags them as it starts`)
  pulledNames.push(`${second.engine.endpoint}/${TAG}`)
  t.equal(second.engine.engineId, engineId, `seed ${seed}: the same engine id (kept in its store)`)
  const killedAgain = rnd.next() < 0.4
  if (killedAgain) {
    // Killed again while it recovers (removing the first one's containers, starting retries): the next one finishes.
    await new Promise((resolve) => setTimeout(resolve, rnd.int(0, 600)))
    await second.engine.kill()
    for (const x of (await dockerObjectsOf(engineId)).containers) deadSandboxes.add(x.sandbox)
    second = await engineOn(t, dir)
  }
  pulledNames.push(`${second.engine.endpoint}/${TAG}`)
  const c = second.client
  phase('restart')
  const stale = await until(async () => {
    const now = await dockerObjectsOf(engineId)
    const theirs = now.containers.filter((x) => deadSandboxes.has(x.sandbox))
    return theirs.length === 0 ? [] : undefined
  }, 15_000)
  if (stale === undefined) {
    const now = await dockerObjectsOf(engineId)
    t.same(now.containers.filter((x) => deadSandboxes.has(x.sandbox)).map((x) => `${x.name} ${x.state}`), [], `seed ${seed}: recovery removed the dead engine's containers`)
  } else {
    t.pass(`seed ${seed}: recovery removed the dead engine's containers (${deadSandboxes.size} sandboxes)`)
  }

  phase('recovery')
  const ids = submitted.map((s) => s.id)
  const ended = await until(async () => {
    const all = await describeAll(c, ids)
    return [...all.values()].every((j) => TERMINAL.has(j.status)) && all.size === ids.length ? all : undefined
  }, 25_000)
  if (ended === undefined) {
    const all = await describeAll(c, ids)
    t.fail(`seed ${seed}: jobs never ended: ${ids.map((id) => `${id}:${all.get(id)?.status ?? 'missing'}`).filter((x) => !/SUCCEEDED|FAILED/.test(x)).join(', ')}`)
    return
  }
  phase('all ended')
  const problems: string[] = []
  for (const s of submitted) {
    const j = ended.get(s.id)!
    const where = `${j.jobName} (${s.id})`
    const exits = j.attempts.map((a) => a.container?.exitCode)
    if (j.attempts.length > s.attempts) problems.push(`${where}: ${j.attempts.length} attempts, more than ${s.attempts}`)
    for (const a of j.attempts) {
      if (HOST_TERMINATED.test(a.statusReason ?? '') && a.container?.exitCode !== undefined) problems.push(`${where}: a host-terminated attempt has exit code ${a.container.exitCode}`)
    }
    if (s.kind === 'failing' && j.status === 'SUCCEEDED') problems.push(`${where}: a job that always exits 3 SUCCEEDED`)
    if (s.arraySize === undefined && j.status === 'SUCCEEDED' && (exits.filter((e) => e === 0).length !== 1 || exits.at(-1) !== 0)) {
      problems.push(`${where}: SUCCEEDED with attempts exiting ${JSON.stringify(exits)}`)
    }
    if (s.arraySize === undefined && j.status === 'FAILED' && exits.includes(0)) problems.push(`${where}: FAILED though an attempt exited 0`)
    if (runningAtKill.has(s.id)) {
      // Its first attempt ran (sleeping) in the dead engine: it ends with its host, and the retry strategy decides.
      const lost = j.attempts[0]
      if (lost === undefined || !HOST_TERMINATED.test(lost.statusReason ?? '')) problems.push(`${where}: RUNNING at the kill, its first attempt ended ${JSON.stringify(lost?.statusReason)}`)
      // Its retry succeeds — unless the retry too was lost, with the engine killed again while recovering.
      const retryLost = killedAgain && j.status === 'FAILED' && j.attempts.length === 2 && HOST_TERMINATED.test(j.attempts[1].statusReason ?? '')
      if (s.attempts === 2 && !retryLost && (j.status !== 'SUCCEEDED' || j.attempts.length !== 2)) problems.push(`${where}: RUNNING at the kill with an attempt left: ${j.status} after ${j.attempts.length} attempts`)
      if (s.attempts === 1 && (j.status !== 'FAILED' || !HOST_TERMINATED.test(j.statusReason ?? ''))) problems.push(`${where}: RUNNING at the kill with no attempt left: ${j.status} (${j.statusReason})`)
    }
    if (s.arraySize !== undefined) {
      const childIds = Array.from({ length: s.arraySize }, (_, i) => `${s.id}:${i}`)
      const children = await describeAll(c, childIds)
      const statuses = childIds.map((id) => children.get(id)?.status)
      if (statuses.some((st) => st === undefined || !TERMINAL.has(st))) problems.push(`${where}: children not all ended: ${JSON.stringify(statuses)}`)
      if ((j.status === 'SUCCEEDED') !== statuses.every((st) => st === 'SUCCEEDED')) problems.push(`${where}: parent ${j.status} with children ${JSON.stringify(statuses)}`)
      for (const child of children.values()) {
        const ex = child.attempts.map((a) => a.container?.exitCode)
        if (child.status === 'SUCCEEDED' && (ex.filter((e) => e === 0).length !== 1 || ex.at(-1) !== 0)) problems.push(`${child.jobId}: SUCCEEDED with attempts exiting ${JSON.stringify(ex)}`)
        if (child.status === 'FAILED' && ex.includes(0)) problems.push(`${child.jobId}: FAILED though an attempt exited 0`)
      }
    }
  }
  const retried = [...runningAtKill].filter((id) => ended.get(id)!.attempts.length === 2).length
  t.same(problems, [], `seed ${seed}: every job ended once, consistently with its attempts (${runningAtKill.size} were RUNNING at the kill, ${retried} of them retried${killedAgain ? '; killed again while recovering' : ''})`)
  // Exactly one terminal state: a while later, nothing has moved.
  await new Promise((resolve) => setTimeout(resolve, 300))
  const later = await describeAll(c, ids)
  t.same(ids.filter((id) => later.get(id)?.status !== ended.get(id)?.status || later.get(id)?.attempts.length !== ended.get(id)?.attempts.length), [], `seed ${seed}: no job left its terminal state`)

  const next = await c.batch.job('after').queue('q').definition('work').command('sh', '-c', 'echo after').submit()
  t.equal(await until(async () => { const d = await next.describe(); return TERMINAL.has(d.status) ? d.status : undefined }, 15_000), 'SUCCEEDED', `seed ${seed}: new work runs`)

  // (3) Once the engine closes, nothing of its engine id is left in Docker.
  t.equal(await second.engine.close(), 0, `seed ${seed}: the engine closes`)
  const after = await dockerObjectsOf(engineId)
  t.same(after.containers.map((x) => `${x.name} ${x.state} ${x.ports}`), [], `seed ${seed}: no container (nor any port it published) is left`)
  t.same(after.networks, [], `seed ${seed}: no network is left`)
  t.same(imageNamesLeft(pulledNames), [], `seed ${seed}: no name an engine of the round pulled its image by is left (their ports died with them)`)
  phase('new work and close')
  t.comment(`seed ${seed}: ${phases.join(', ')}`)
}

for (let i = 0; i < ROUNDS; i++) {
  const seed = (BASE_SEED + i * 7919) % 2 ** 31
  t.test(`docker crash round ${i + 1} (CRASH_SEED=${seed} CRASH_ROUNDS=1 replays it)`, { skip: unreachable ?? false }, async (t) => round(t, seed))
}
