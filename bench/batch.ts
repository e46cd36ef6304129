// AWS Batch engine benchmark, through the SDK as a user would drive it.
//
//   simulated  100 array jobs x 10,000 children on 5,000 simulated nodes, from
//              submission until every child SUCCEEDED; RSS per child retained
//   process    2,000 jobs running `true` on the process runner, from submission
//              until all SUCCEEDED; event-loop block per launch (the synchronous
//              part of runner.start) and main-thread time per job; then 1,000
//              more submitted at 400/s for p99 submission-to-RUNNING; baselines
//              from the same run: plain child_process.spawn of `true` and a C
//              posix_spawn loop (64 in flight each)
//
//   npm run bench:batch [-- --json] [--arrays=100 --children=10000 --nodes=5000 --jobs=2000]
//
// Last line with --json: one JSON object. Figures never fail on time.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { Stratus } from '../sdk/index.js'

const json = process.argv.includes('--json')
const option = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
const ARRAYS = option('arrays', 100)
const CHILDREN = option('children', 10_000)
const NODES = option('nodes', 5000)
const JOBS = option('jobs', 2000)
const PACE = option('pace', 400)
const PACED = option('paced', 1000)
const WINDOW = 64
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.split('=')[1]

const log = (...args: unknown[]) => {
  if (!json) console.log(...args)
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc
  if (g) for (let i = 0; i < 3; i++) g()
}

function findUp(relative: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, relative)
    if (existsSync(candidate)) return candidate
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

async function simulated() {
  await using cloud = await Stratus.embedded({ runner: 'simulated' })
  const own = await cloud.batch.computeEnvironment('sim-nodes').unmanaged().create()
  for (let i = 0; i < NODES; i++) await own.registerNode({ vcpus: 2, memory: 8192, instanceType: 'm5.large' })
  const queue = await cloud.batch.jobQueue('sim').priority(1).computeEnvironments(own).create()
  const def = await cloud.batch.jobDefinition('sim-task').command('true').vcpus(1).memory(512).register()
  gc()
  const rssBefore = process.memoryUsage().rss
  const start = performance.now()
  const jobs = []
  for (let a = 0; a < ARRAYS; a++) jobs.push(await cloud.batch.job(`sweep-${a}`).queue(queue).definition(def).array(CHILDREN).submit())
  const results = await Promise.all(jobs.map((j) => j.wait()))
  const seconds = (performance.now() - start) / 1000
  const succeeded = results.reduce((sum, d) => sum + (d.arrayProperties?.statusSummary?.SUCCEEDED ?? 0), 0)
  gc()
  const rssAfter = process.memoryUsage().rss
  const children = ARRAYS * CHILDREN
  return {
    children,
    succeeded,
    seconds,
    jobsPerS: children / seconds,
    rssPerChild: Math.max(0, rssAfter - rssBefore) / children,
    rounds: cloud.engine.batch.rounds
  }
}

async function processRunner() {
  await using cloud = await Stratus.embedded({ runner: 'process' })
  const own = await cloud.batch.computeEnvironment('local').unmanaged().create()
  for (let i = 0; i < 8; i++) await own.registerNode({ vcpus: 64, memory: 262144 })
  const queue = await cloud.batch.jobQueue('local').priority(1).computeEnvironments(own).create()
  const def = await cloud.batch.jobDefinition('true').command('true').vcpus(1).memory(64).register()
  const submit = (name: string) => cloud.batch.job(name).queue(queue).definition(def).submit()
  // Warm up: the launcher, the placement core, the JIT.
  await Promise.all((await Promise.all(Array.from({ length: 100 }, (_, i) => submit(`warm-${i}`)))).map((j) => j.wait()))

  // The event loop is blocked by a launch for as long as runner.start() runs synchronously.
  const runner = cloud.engine.runner
  const start0 = runner.start.bind(runner)
  let launchMs = 0
  let launches = 0
  runner.start = (task, listener) => {
    const t0 = performance.now()
    start0(task, listener)
    launchMs += performance.now() - t0
    launches++
  }

  // Throughput: submit every job at once, wait for all.
  const elu0 = performance.eventLoopUtilization()
  const start = performance.now()
  const jobs = []
  for (let i = 0; i < JOBS; i++) jobs.push(await submit(`true-${i}`))
  const details = await Promise.all(jobs.map((j) => j.wait()))
  const seconds = (performance.now() - start) / 1000
  const elu = performance.eventLoopUtilization(elu0)

  // Latency: jobs submitted at a steady PACE per second; submission to RUNNING per job.
  const paced = []
  const pacedStart = performance.now()
  for (let i = 0; i < PACED; i++) {
    const due = pacedStart + (i * 1000) / PACE
    const wait = due - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    paced.push(await submit(`paced-${i}`))
  }
  const pacedDetails = await Promise.all(paced.map((j) => j.wait()))
  const delays = pacedDetails.map((d) => (d.startedAt ?? d.createdAt) - d.createdAt).sort((a, b) => a - b)
  return {
    jobs: JOBS,
    succeeded: details.filter((d) => d.status === 'SUCCEEDED').length + pacedDetails.filter((d) => d.status === 'SUCCEEDED').length - PACED,
    seconds,
    jobsPerS: JOBS / seconds,
    p99StartMs: delays[Math.min(delays.length - 1, Math.floor(delays.length * 0.99))],
    p50StartMs: delays[Math.floor(delays.length / 2)],
    loopBusyMsPerLaunch: elu.active / JOBS,
    launchBlockMs: launchMs / launches,
    rounds: cloud.engine.batch.rounds,
    implementation: (cloud.engine.runner as { launcher?: { implementation: string } }).launcher?.implementation ?? 'unknown'
  }
}

/** Plain child_process.spawn of `true`, WINDOW in flight. */
async function nodeSpawnBaseline(count: number): Promise<number> {
  const start = performance.now()
  let started = 0
  let finished = 0
  await new Promise<void>((resolve, reject) => {
    const next = () => {
      if (started >= count) return
      started++
      const child = spawn('true', [], { stdio: 'ignore' })
      child.once('error', reject)
      child.once('exit', () => {
        if (++finished === count) resolve()
        else next()
      })
    }
    for (let i = 0; i < WINDOW; i++) next()
  })
  return count / ((performance.now() - start) / 1000)
}

function cBaseline(count: number): number | null {
  const binary = findUp('build/bench/posix-spawn-loop')
  if (!binary) return null
  const run = spawnSync(binary, [String(count), String(WINDOW), '/usr/bin/true'], { encoding: 'utf8' })
  if (run.status !== 0) return null
  return (JSON.parse(run.stdout.trim()) as { spawns_per_s: number }).spawns_per_s
}

const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

let sim = { children: 0, succeeded: 0, seconds: 0, jobsPerS: 0, rssPerChild: 0, rounds: 0 }
if (ONLY === undefined || ONLY === 'simulated') {
  log(`simulated: ${ARRAYS} arrays x ${fmt(CHILDREN)} children on ${fmt(NODES)} nodes…`)
  sim = await simulated()
  log(`  ${fmt(sim.succeeded)} of ${fmt(sim.children)} children SUCCEEDED in ${fmt(sim.seconds, 2)} s: ${fmt(sim.jobsPerS)} jobs/s, ` +
    `${fmt(sim.rssPerChild, 1)} bytes of RSS per child, ${sim.rounds} dispatch rounds`)
}
if (ONLY === 'simulated') process.exit(0)

log(`process runner: ${fmt(JOBS)} jobs running true, then ${fmt(PACED)} at ${PACE}/s…`)
const cFirst = ONLY === 'process' ? null : cBaseline(JOBS)
const nodeRate = ONLY === 'process' ? 0 : await nodeSpawnBaseline(JOBS)
const proc = await processRunner()
const cSecond = ONLY === 'process' ? null : cBaseline(JOBS)
const cRate = cFirst !== null && cSecond !== null ? (cFirst + cSecond) / 2 : cFirst ?? cSecond
log(`  ${proc.succeeded}/${proc.jobs} SUCCEEDED in ${fmt(proc.seconds, 2)} s: ${fmt(proc.jobsPerS)} jobs/s (launcher: ${proc.implementation}), ${proc.rounds} dispatch rounds`)
log(`  event loop blocked ${fmt(proc.launchBlockMs, 3)} ms per launch; the whole engine (submit, dispatch, state, exit) ${fmt(proc.loopBusyMsPerLaunch, 3)} ms of main thread per job`)
log(`  paced at ${PACE}/s: submission to RUNNING p50 ${fmt(proc.p50StartMs, 1)} ms, p99 ${fmt(proc.p99StartMs, 1)} ms`)
log(`  baselines: child_process.spawn ${fmt(nodeRate)}/s, C posix_spawn loop ${cRate === null ? 'n/a (no cc)' : `${fmt(cRate)}/s`}` +
  (cRate ? ` -> engine at ${fmt(proc.jobsPerS / cRate, 2)} of C` : ''))

const result = {
  sim_jobs_per_s: Math.round(sim.jobsPerS),
  sim_rss_bytes_per_child: Number(sim.rssPerChild.toFixed(1)),
  sim_children: sim.children,
  process_jobs_per_s: Math.round(proc.jobsPerS),
  process_p99_start_ms: Number(proc.p99StartMs.toFixed(2)),
  loop_block_ms_per_launch: Number(proc.launchBlockMs.toFixed(4)),
  engine_main_thread_ms_per_job: Number(proc.loopBusyMsPerLaunch.toFixed(3)),
  node_spawn_per_s: Math.round(nodeRate),
  c_posix_spawn_per_s: cRate === null ? null : Math.round(cRate),
  process_ratio_vs_c: cRate ? Number((proc.jobsPerS / cRate).toFixed(3)) : null
}
console.log(JSON.stringify(result))
