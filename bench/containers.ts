// How fast do containers start? Per-container start time (create → running)
// and containers/s at concurrency 1 and 8, in one run, for:
//   docker runner     RUNNERS.docker: start() → running() of a one-container sandbox
//   docker API floor  a minimal client doing only the Engine API's create + start of the same image
//   docker CLI        `docker run -d` of the same image
//   oci runner        RUNNERS.oci: start() → running() (layer cache warm)
//   runc raw          `runc run -d` over a bundle the oci runner prepared once (same rootfs and config)
// and 100 Batch container jobs of `true` to SUCCEEDED on an engine with the docker runner,
// beside a `docker run --rm … true` loop at the same concurrency.
// Contenders run interleaved for --rounds rounds (medians), so a noisy neighbour hurts all
// alike. Prints a table; with --json, one JSON object as the last line. Never fails on time.
// Every container, bundle and process it starts is gone when it ends, also when it fails
// (bench/cleanup.ts; containers carry the label stratus.bench=<run id>).
//
//   node dist/bench/containers.js [--count 30] [--jobs 100] [--rounds 3] [--json]
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { RealClock } from '../runtime/clock/clock.js'
import { RUNNERS, registryImageSource, uninstrumented, type OciRunner, type Runner, type RunnerContext, type SandboxSpec } from '../runtime/runners/index.js'
import { dockerSocketPath } from '../runtime/runners/choice.js'
import { connectEngine, floorStart, removeLabelled } from '../runtime/runners/docker/index.js'
import { Registry } from '../registry/index.js'
import { Stratus } from '../sdk/index.js'
import { loadBusyboxIntoDocker, pushBusybox, BUSYBOX_TAG } from '../tests/fixtures/busybox-image.js'
import { exec, onCleanup, runBench, track } from './cleanup.js'

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`)
  const value = at === -1 ? NaN : Number(process.argv[at + 1])
  return Number.isInteger(value) && value > 0 ? value : fallback
}

const COUNT = option('count', 30)
const JOBS = option('jobs', 100)
const ROUNDS = option('rounds', 3)
const JSON_OUT = process.argv.includes('--json')
const RUN = `bench-${randomUUID().slice(0, 8)}`
const LABELS = { 'stratus.bench': RUN }
const SLEEP = ['sleep', '3600']

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]
}

/** One contender: start one container and resolve when it runs; remove everything it started. */
interface Contender {
  name: string
  start(i: number): Promise<void>
  clear(): Promise<void>
}

interface Figures { startMsP50: number; perSecond1: number; perSecond8: number }

/** count starts one at a time (each timed), then count more 8 at a time; containers cleared between. */
async function measure(c: Contender): Promise<Figures> {
  const times: number[] = []
  let t0 = performance.now()
  for (let i = 0; i < COUNT; i++) {
    const s = performance.now()
    await c.start(i)
    times.push(performance.now() - s)
  }
  const perSecond1 = COUNT / ((performance.now() - t0) / 1000)
  await c.clear()
  let next = 0
  t0 = performance.now()
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < COUNT) await c.start(COUNT + next++)
  }))
  const perSecond8 = COUNT / ((performance.now() - t0) / 1000)
  await c.clear()
  return { startMsP50: median(times), perSecond1, perSecond8 }
}

// --- the Docker Engine API floor: create + start, nothing else, over the runner's own client ---
async function dockerFloor(socketPath: string): Promise<Contender> {
  const client = await connectEngine({ name: 'local', socketPath })
  return {
    name: 'docker API floor',
    async start() {
      await floorStart(client, { image: BUSYBOX_TAG, command: SLEEP, labels: LABELS })
    },
    async clear() {
      await removeLabelled(client, LABELS)
    }
  }
}

// --- the docker CLI ------------------------------------------------------------------------
function dockerCli(): Contender {
  return {
    name: 'docker CLI',
    async start() {
      await exec('docker', ['run', '-d', '--label', `stratus.bench=${RUN}`, BUSYBOX_TAG, ...SLEEP])
    },
    clear: () => removeBenchContainers()
  }
}

async function removeBenchContainers(): Promise<void> {
  const { stdout } = await exec('docker', ['ps', '-aq', '--filter', `label=stratus.bench=${RUN}`])
  const ids = stdout.split('\n').filter(Boolean)
  if (ids.length > 0) await exec('docker', ['rm', '-f', ...ids])
}

// --- a runner from the registration table ---------------------------------------------------
function runnerContender(name: string, runner: Runner, dir: string): Contender {
  const live: string[] = []
  const spec = (i: number): SandboxSpec => ({
    id: `${RUN}-${name}-${i}-${Math.random().toString(36).slice(2, 8)}`,
    labels: LABELS,
    address: `127.0.${10 + (i % 200)}.${1 + Math.floor(i / 200)}`,
    containers: [{
      name: 'main', image: BUSYBOX_TAG, command: SLEEP, env: {}, vcpus: 0.25, memoryMiB: 64, gpus: 0,
      logPath: join(dir, 'logs', `${i}.log`), workDir: join(dir, 'work', String(i))
    }]
  })
  return {
    name: `${name} runner`,
    start(i) {
      const s = spec(i)
      return new Promise<void>((resolve, reject) => {
        runner.start(s, { running: () => { live.push(s.id); resolve() }, exited: () => {}, failed: reject })
      })
    },
    async clear() {
      const ids = live.splice(0)
      await Promise.all(ids.map((id) => new Promise<void>((resolve) => {
        // stop() resolves through the listener; poll inspect until the runner has let go.
        runner.stop(id, { graceMs: 0 })
        const check = () => (runner.inspect(id) === undefined ? resolve() : setTimeout(check, 10))
        check()
      })))
    }
  }
}

// --- raw runc over a bundle the oci runner prepared once (its own config.json and rootfs) ------
async function runcRaw(oci: OciRunner, dir: string): Promise<Contender> {
  const { bundle, binary, root } = await oci.prepareRawBundle({ image: BUSYBOX_TAG, command: SLEEP, dir: join(dir, 'raw-bundle') })
  const ids: string[] = []
  const runc = (args: string[]) => new Promise<void>((resolve, reject) => {
    const child = track(spawn(binary, ['--root', root, ...args], { stdio: 'ignore' }))
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${binary} ${args.join(' ')} exited ${code}`))))
  })
  const clear = async () => {
    await Promise.all(ids.splice(0).map((id) => runc(['delete', '--force', id]).catch(() => {})))
  }
  onCleanup(clear)
  return {
    name: 'runc raw',
    async start(i) {
      const id = `${RUN}-runc-${i}`
      ids.push(id)
      await runc(['run', '-d', '--bundle', bundle, id])
    },
    clear
  }
}

// --- Batch container jobs vs a docker run loop --------------------------------------------
async function batchJobs(): Promise<{ jobsPerSecond: number; cliLoopPerSecond: number } | undefined> {
  const cloud = await Stratus.embedded({ runner: 'docker' }).catch((error: Error) => {
    process.stderr.write(`batch container jobs skipped: ${error.message}\n`)
    return undefined
  })
  if (cloud === undefined) return undefined
  onCleanup(() => cloud.close())
  // 8 vCPUs, one per job: 8 jobs run at a time, as the docker run loop below.
  const ce = await cloud.batch.computeEnvironment(`${RUN}-ce`).managed().instanceTypes('m5.2xlarge').minVcpus(8).maxVcpus(8).create()
  const queue = await cloud.batch.jobQueue(`${RUN}-q`).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition(`${RUN}-true`).image(BUSYBOX_TAG).command('true').vcpus(1).memory(64).register()
  let t0 = performance.now()
  const jobs = await Promise.all(Array.from({ length: JOBS }, (_, i) => cloud.batch.job(`j${i}`).queue(queue).definition(def).submit()))
  for (const job of jobs) await job.wait()
  const jobsPerSecond = JOBS / ((performance.now() - t0) / 1000)
  let next = 0
  t0 = performance.now()
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next++ < JOBS) await exec('docker', ['run', '--rm', '--label', `stratus.bench=${RUN}`, BUSYBOX_TAG, 'true'])
  }))
  const cliLoopPerSecond = JOBS / ((performance.now() - t0) / 1000)
  await cloud.close()
  return { jobsPerSecond, cliLoopPerSecond }
}

await runBench(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-containers-'))
  onCleanup(() => rm(dir, { recursive: true, force: true }))
  onCleanup(() => removeBenchContainers())
  await loadBusyboxIntoDocker()
  const registry = await Registry.open({ storage: { driver: 'inmemory' } })
  onCleanup(() => registry.close())
  registry.setEndpoint('127.0.0.1:1')
  await pushBusybox(registry)
  const clock = new RealClock()
  const context: RunnerContext = { clock, engineId: RUN, images: registryImageSource(registry, '000000000000', 'us-east-1'), stateDir: join(dir, 'state') }
  const table = RUNNERS as unknown as Record<string, ((c: RunnerContext) => Promise<Runner>) | undefined>
  const contenders: Contender[] = []
  let oci: OciRunner | undefined
  for (const name of ['docker', 'oci']) {
    const make = table[name]
    if (make === undefined) { process.stderr.write(`${name} runner: not registered\n`); continue }
    const runner = await make({ ...context, stateDir: join(dir, 'state', name) }).catch((error: Error) => {
      process.stderr.write(`${name} runner unavailable: ${error.message}\n`)
      return undefined
    })
    if (runner === undefined) continue
    onCleanup(() => runner.close())
    if (name === 'oci') oci = uninstrumented(runner) as OciRunner
    contenders.push(runnerContender(name, runner, join(dir, name)))
  }
  contenders.push(await dockerFloor(dockerSocketPath()), dockerCli())
  if (oci !== undefined) contenders.push(await runcRaw(oci, dir))

  const results = new Map<string, Figures[]>()
  for (let round = 0; round < ROUNDS; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length])
    for (const c of order) {
      const figures = await measure(c)
      results.set(c.name, [...(results.get(c.name) ?? []), figures])
    }
  }
  const summary = (name: string): Figures | undefined => {
    const all = results.get(name)
    if (all === undefined) return undefined
    return { startMsP50: median(all.map((f) => f.startMsP50)), perSecond1: median(all.map((f) => f.perSecond1)), perSecond8: median(all.map((f) => f.perSecond8)) }
  }
  const batch = await batchJobs()
  const fig = Object.fromEntries(contenders.map((c) => [c.name, summary(c.name)!]))
  const docker = fig['docker runner']
  const floor = fig['docker API floor']
  const cli = fig['docker CLI']
  const ociFig = fig['oci runner']
  const runc = fig['runc raw']
  const round2 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? null : Math.round(x * 100) / 100)
  console.log(`containers: ${COUNT} starts per contender per concurrency, ${ROUNDS} rounds (medians)`)
  console.log('contender            start p50 ms   per s (c=1)   per s (c=8)')
  for (const c of contenders) {
    const f = fig[c.name]
    console.log(`${c.name.padEnd(20)} ${f.startMsP50.toFixed(1).padStart(12)} ${f.perSecond1.toFixed(1).padStart(13)} ${f.perSecond8.toFixed(1).padStart(13)}`)
  }
  if (docker && floor) console.log(`docker runner / API floor: ${(docker.startMsP50 / floor.startMsP50).toFixed(2)}× (target ≤ 1.15)`)
  if (docker && cli) console.log(`docker runner / CLI: ${(docker.startMsP50 / cli.startMsP50).toFixed(2)}× (target ≤ 0.8)`)
  if (ociFig && runc) console.log(`oci runner / raw runc: ${(ociFig.startMsP50 / runc.startMsP50).toFixed(2)}× (target ≤ 1.3)`)
  if (batch) console.log(`batch: ${JOBS} container jobs at ${batch.jobsPerSecond.toFixed(1)}/s, docker run loop (8 at a time) ${batch.cliLoopPerSecond.toFixed(1)}/s: ${(batch.jobsPerSecond / batch.cliLoopPerSecond).toFixed(2)}× (target ≥ 0.8)`)
  if (JSON_OUT) {
    console.log(JSON.stringify({
      count: COUNT, rounds: ROUNDS,
      docker_runner_start_ms_p50: round2(docker?.startMsP50),
      docker_api_floor_ms_p50: round2(floor?.startMsP50),
      docker_cli_start_ms_p50: round2(cli?.startMsP50),
      oci_runner_start_ms_p50: round2(ociFig?.startMsP50),
      runc_raw_start_ms_p50: round2(runc?.startMsP50),
      docker_runner_of_api_floor: round2(docker && floor ? docker.startMsP50 / floor.startMsP50 : undefined),
      docker_runner_of_cli: round2(docker && cli ? docker.startMsP50 / cli.startMsP50 : undefined),
      oci_runner_of_runc: round2(ociFig && runc ? ociFig.startMsP50 / runc.startMsP50 : undefined),
      containers_per_s: Object.fromEntries(contenders.map((c) => [c.name.replace(/ /g, '_'), { c1: round2(fig[c.name].perSecond1), c8: round2(fig[c.name].perSecond8) }])),
      batch_container_jobs_per_s: round2(batch?.jobsPerSecond),
      docker_cli_loop_per_s: round2(batch?.cliLoopPerSecond),
      batch_of_cli_loop: round2(batch ? batch.jobsPerSecond / batch.cliLoopPerSecond : undefined)
    }))
  }
})
