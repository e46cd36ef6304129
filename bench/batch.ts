// AWS Batch engine benchmark, through the SDK as a user would drive it.
//
//   simulated  100 array jobs x 10,000 children on 5,000 simulated nodes, from
//              submission until every child SUCCEEDED; RSS per child retained
//   process    2,000 jobs running `true` on the process runner, from submission
//              until all SUCCEEDED; time inside the synchronous runner.start()
//              call per launch and main-thread time per job (throughput phase
//              only); then 1,000 more submitted at 400/s for p50/p99
//              submission-to-RUNNING (performance.now() at submit and when the
//              runner reports the process running); baselines from the same
//              run: plain child_process.spawn of `true` and a C posix_spawn loop
//
// Concurrency: the engine gets 8 nodes x 64 vCPUs and each job takes 1 vCPU, so
// up to 512 jobs run at once; both baselines keep WINDOW = 512 (the engine's total
// vCPUs) processes in flight, so every side may run the same number at once.
//
//   npm run bench:batch [-- --json] [--arrays=100 --children=10000 --nodes=5000 --jobs=2000]
//                       [--only=simulated|process|store]
//
// Last line with --json: one JSON object; figures of a phase that did not run
// (--only) are null there and 'n/a' in the text. Figures never fail on time.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { measureStoreOps } from './store-memory-ops.js'
import { NODE_VCPUS, PROCESS_NODES, processBatch, simulatedBatch } from './batch-scenarios.js'
import { track } from './cleanup.js'

const json = process.argv.includes('--json')
const option = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
const ARRAYS = option('arrays', 100)
const CHILDREN = option('children', 10_000)
const NODES = option('nodes', 5000)
const JOBS = option('jobs', 2000)
const PACE = option('pace', 400)
const PACED = option('paced', 1000)
// The baselines' window is the process phase's total vCPUs.
const WINDOW = PROCESS_NODES * NODE_VCPUS
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.split('=')[1]

const log = (...args: unknown[]) => {
  if (!json) console.log(...args)
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

/** Plain child_process.spawn of `true`, WINDOW in flight. */
async function nodeSpawnBaseline(count: number): Promise<number> {
  const start = performance.now()
  let started = 0
  let finished = 0
  await new Promise<void>((resolve, reject) => {
    const next = () => {
      if (started >= count) return
      started++
      const child = track(spawn('true', [], { stdio: 'ignore' }))
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
/** A figure for the text output: 'n/a' when its phase did not run. */
const text = (x: number | null | undefined, digits = 0, unit = '') => (x === null || x === undefined ? 'n/a' : `${fmt(x, digits)}${unit}`)
const round = (x: number | null | undefined, digits = 0) => (x === null || x === undefined ? null : Number(x.toFixed(digits)))

let sim: Awaited<ReturnType<typeof simulatedBatch>> | null = null
if (ONLY === undefined || ONLY === 'simulated') {
  log(`simulated: ${ARRAYS} arrays x ${fmt(CHILDREN)} children on ${fmt(NODES)} nodes…`)
  sim = await simulatedBatch({ arrays: ARRAYS, children: CHILDREN, nodes: NODES })
  log(`  ${fmt(sim.succeeded)} of ${fmt(sim.children)} children SUCCEEDED in ${fmt(sim.seconds, 2)} s: ${fmt(sim.jobsPerS)} jobs/s, ` +
    `${fmt(sim.rssPerChild, 1)} bytes of RSS per child, ${sim.rounds} dispatch rounds`)
} else {
  log('simulated: n/a (skipped by --only)')
}

let proc: Awaited<ReturnType<typeof processBatch>> | null = null
let nodeRate: number | null = null
let cRate: number | null = null
const baselines = ONLY === undefined
if (ONLY === undefined || ONLY === 'process') {
  log(`process runner: ${fmt(JOBS)} jobs running true on ${PROCESS_NODES} x ${NODE_VCPUS} vCPUs (up to ${WINDOW} at once), then ${fmt(PACED)} at ${PACE}/s…`)
  const cFirst = baselines ? cBaseline(JOBS) : null
  nodeRate = baselines ? await nodeSpawnBaseline(JOBS) : null
  proc = await processBatch({ jobs: JOBS, pace: PACE, paced: PACED })
  const cSecond = baselines ? cBaseline(JOBS) : null
  cRate = cFirst !== null && cSecond !== null ? (cFirst + cSecond) / 2 : cFirst ?? cSecond
  log(`  throughput: ${proc.succeeded}/${proc.jobs} SUCCEEDED in ${fmt(proc.seconds, 2)} s: ${fmt(proc.jobsPerS)} jobs/s (launcher: ${proc.implementation}), ${proc.rounds} dispatch rounds`)
  log(`  runner.start() call ${text(proc.startCallMsPerLaunch, 3)} ms per launch (${proc.launches} launches); ` +
    `the whole engine (submit, dispatch, state, exit) ${fmt(proc.loopBusyMsPerLaunch, 3)} ms of main thread per job`)
  log(`  paced at ${PACE}/s: ${proc.pacedSucceeded}/${proc.paced} SUCCEEDED; submission to RUNNING p50 ${text(proc.p50StartMs, 1, ' ms')}, ` +
    `p99 ${text(proc.p99StartMs, 1, ' ms')} (${proc.pacedNeverRan} never RUNNING, excluded)`)
  const skipped = baselines ? '' : ' (skipped by --only)'
  log(`  baselines, ${WINDOW} in flight: child_process.spawn ${nodeRate === null ? `n/a${skipped}` : `${fmt(nodeRate)}/s`}, ` +
    `C posix_spawn loop ${cRate === null ? `n/a${baselines ? ' (no cc)' : skipped}` : `${fmt(cRate)}/s`}` +
    (cRate ? ` -> engine at ${fmt(proc.jobsPerS / cRate, 2)} of C` : ''))
} else {
  log('process runner: n/a (skipped by --only)')
}

// The store's own cost: transactions of one job state change (memory store), against plain Maps.
log('store: transactions of one job state change…')
const store = ONLY === undefined || ONLY === 'store' ? await measureStoreOps({ ops: 200_000, repeats: 3 }) : null
if (store) log(`  ${fmt(store.storeOpsPerS)} transactions/s (get, put with compare-and-set, outbox event); plain Map doing the same ${fmt(store.baselineOpsPerS)}/s -> ${fmt(store.ratio, 2)}; array child ${fmt(store.arrayChild.storeOpsPerS)}/s`)

const result = {
  sim_jobs_per_s: round(sim?.jobsPerS),
  sim_rss_bytes_per_child: round(sim?.rssPerChild, 1),
  sim_children: sim?.children ?? null,
  process_jobs_per_s: round(proc?.jobsPerS),
  process_succeeded: proc?.succeeded ?? null,
  paced_succeeded: proc?.pacedSucceeded ?? null,
  process_p50_start_ms: round(proc?.p50StartMs, 2),
  process_p99_start_ms: round(proc?.p99StartMs, 2),
  paced_never_running: proc?.pacedNeverRan ?? null,
  process_dispatch_rounds: proc?.rounds ?? null,
  start_call_ms_per_launch: round(proc?.startCallMsPerLaunch, 4),
  engine_main_thread_ms_per_job: round(proc?.loopBusyMsPerLaunch, 3),
  baseline_window: WINDOW,
  node_spawn_per_s: round(nodeRate),
  c_posix_spawn_per_s: round(cRate),
  process_ratio_vs_c: proc && cRate ? Number((proc.jobsPerS / cRate).toFixed(3)) : null,
  store_ops_per_s: round(store?.storeOpsPerS),
  store_baseline_map_ops_per_s: round(store?.baselineOpsPerS),
  store_ratio_vs_map: store ? Number(store.ratio.toFixed(3)) : null,
  store_array_child_ops_per_s: round(store?.arrayChild.storeOpsPerS)
}
console.log(JSON.stringify(result))
