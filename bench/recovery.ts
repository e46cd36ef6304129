// Recovery benchmark: how long an engine takes to start over the state of
// one that went away, with 100,000 jobs in its data directory (the SQLite
// store) — 60,000 ended (SUCCEEDED or FAILED), 3,000 RUNNING with their task
// rows (each ended with its host by the recovery, and retried or failed), an
// array job of 10,000 children waiting, 36,000 RUNNABLE and 999 PENDING on a
// dependency — measured until Engine.start resolves (the store loaded, the
// caches rebuilt, the tasks recovered, the controllers armed). Baselines,
// same run: the same start over an empty data directory (what every start
// costs: the placement core, the registry, the endpoint), and opening the
// store alone. The state is built once through the engine itself (simulated
// runner, manual clock) and copied for each measured start.
//
//   npm run build:ts && node dist/bench/recovery.js [--json] [--jobs=100000] [--state=DIR: build once, reuse]
//
// Figures: ms (median of 3 starts, each over a fresh copy), and ratios. Never
// fails on time; removes what it made, also when it fails.

import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { Engine } from '../runtime/index.js'
import { SqliteStore } from '../runtime/store/index.js'
import type { SubmitJobRequest } from '../runtime/batch/model.js'

const option = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
const RUNS = 3
const SLOTS = 3_000

const sim = (seconds: number, exit = 0) => [{ name: 'STRATUS_SIM_SECONDS', value: String(seconds) }, { name: 'STRATUS_SIM_EXIT', value: String(exit) }]

/** Builds the state: returns how many jobs of each kind it holds. */
export async function buildState(dataDir: string, total: number): Promise<Record<string, number>> {
  const engine = await Engine.start({ dataDir, clock: 'manual', runner: 'simulated' })
  try {
    const batch = engine.batch
    const clock = engine.clock as unknown as { advance(ms: number): Promise<void> }
    await batch.createComputeEnvironment({ computeEnvironmentName: 'ce', type: 'UNMANAGED' })
    for (let i = 0; i < SLOTS / 100; i++) await batch.registerNode('ce', { vcpus: 100, memory: 100 * 1024 })
    await clock.advance(0)
    await batch.createJobQueue({ jobQueueName: 'q', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }] })
    await batch.registerJobDefinition({ jobDefinitionName: 'work', type: 'container', containerProperties: { command: ['true'], vcpus: 1, memory: 64 } })
    const submit = (n: number, extra: (i: number) => Partial<SubmitJobRequest>) => {
      const ids: string[] = []
      return (async () => {
        for (let i = 0; i < n; i++) ids.push((await batch.submitJob({ jobName: 'j', jobQueue: 'q', jobDefinition: 'work', ...extra(i) })).jobId)
        return ids
      })()
    }
    const ended = Math.round(total * 0.6)
    const running = Math.min(SLOTS, Math.round(total * 0.03))
    const pending = Math.max(0, Math.round(total * 0.01) - 1)
    const runnable = total - ended - running - pending - 1
    // Ended: run to their end (one in ten exits 1).
    await submit(ended, (i) => ({ containerOverrides: { environment: sim(0, i % 10 === 0 ? 1 : 0) } }))
    for (let round = 0; round < 1000 && (await batch.listJobs({ jobQueue: 'q', jobStatus: 'SUCCEEDED', maxResults: 1 })).jobSummaryList.length === 0; round++) await clock.advance(1000)
    while ((await batch.listJobs({ jobQueue: 'q', jobStatus: 'RUNNABLE', maxResults: 1 })).jobSummaryList.length > 0 ||
      (await batch.listJobs({ jobQueue: 'q', jobStatus: 'RUNNING', maxResults: 1 })).jobSummaryList.length > 0 ||
      (await batch.listJobs({ jobQueue: 'q', jobStatus: 'STARTING', maxResults: 1 })).jobSummaryList.length > 0) await clock.advance(1000)
    // Running: hold every slot, with a retry left for half of them.
    const long = await submit(running, (i) => ({ containerOverrides: { environment: sim(1e6) }, ...(i % 2 === 0 ? { retryStrategy: { attempts: 2 } } : {}) }))
    await clock.advance(1000)
    // Waiting: an array of 10,000 children, RUNNABLE jobs, and jobs PENDING on a running one.
    await submit(1, () => ({ arrayProperties: { size: 10_000 }, containerOverrides: { environment: sim(1) } }))
    await submit(runnable, () => ({ containerOverrides: { environment: sim(1) } }))
    await submit(pending, (i) => ({ dependsOn: [{ jobId: long[i % long.length] }], containerOverrides: { environment: sim(1) } }))
    await clock.advance(0)
    return { jobs: await batch.countJobs(), ended, running, array: 1, arrayChildren: 10_000, runnable, pending }
  } finally {
    // Closed, not killed: the task rows stay as a crash leaves them (a closed launcher writes nothing more).
    await engine.close()
  }
}

async function timeStart(dataDir: string): Promise<{ ms: number; tasksLeft: number; jobs: number }> {
  const t0 = performance.now()
  const engine = await Engine.start({ dataDir, clock: 'manual', runner: 'simulated' })
  const ms = performance.now() - t0
  try {
    return { ms, tasksLeft: engine.store.count('tasks'), jobs: await engine.batch.countJobs() }
  } finally {
    await engine.close()
  }
}

function timeOpen(path: string): number {
  const t0 = performance.now()
  const store = SqliteStore.open(path)
  const ms = performance.now() - t0
  void store.close()
  return ms
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const round1 = (n: number) => Math.round(n * 10) / 10

export async function run(options: { jobs?: number; state?: string } = {}): Promise<Record<string, unknown>> {
  const total = options.jobs ?? option('jobs', 100_000)
  const root = await mkdtemp(join(tmpdir(), 'stratus-bench-recovery-'))
  try {
    // --state=DIR keeps the built state there and reuses it on the next run (building 100,000 jobs takes minutes).
    const kept = options.state ?? process.argv.find((a) => a.startsWith('--state='))?.split('=')[1]
    const state = kept ?? join(root, 'state')
    const t0 = performance.now()
    const reuse = kept !== undefined && existsSync(join(kept, 'built.json'))
    const built = reuse ? JSON.parse(readFileSync(join(kept, 'built.json'), 'utf8')) as Record<string, number> : await buildState(state, total)
    if (kept !== undefined && !reuse) writeFileSync(join(kept, 'built.json'), JSON.stringify(built))
    const buildMs = performance.now() - t0
    const recovery: number[] = []
    const empty: number[] = []
    const open: number[] = []
    const restart: number[] = []
    let checked: { tasksLeft: number; jobs: number } | undefined
    for (let i = 0; i < RUNS; i++) {
      // Alternating, each over a fresh copy: the machine is shared and noisy.
      const copy = join(root, `copy-${i}`)
      await cp(state, copy, { recursive: true })
      open.push(timeOpen(join(copy, 'state.db')))
      const r = await timeStart(copy)
      recovery.push(r.ms)
      checked = r
      restart.push((await timeStart(copy)).ms)
      const blank = join(root, `empty-${i}`)
      empty.push((await timeStart(blank)).ms)
      await rm(copy, { recursive: true, force: true })
      await rm(blank, { recursive: true, force: true })
    }
    const recoveryMs = median(recovery)
    const emptyStartMs = median(empty)
    return {
      jobs: built.jobs, state: built, buildMs: Math.round(buildMs),
      recoveryMs: round1(recoveryMs),
      emptyStartMs: round1(emptyStartMs),
      storeOpenMs: round1(median(open)),
      restartNothingToRecoverMs: round1(median(restart)),
      recoveryOverEmptyStart: round1(recoveryMs / emptyStartMs),
      recoveryMinusEmptyStartMs: round1(recoveryMs - emptyStartMs),
      tasksLeftAfterRecovery: checked?.tasksLeft, jobsAfterRecovery: checked?.jobs,
      targetMs: 2000, runs: { recovery: recovery.map(round1), emptyStart: empty.map(round1), storeOpen: open.map(round1) }
    }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const result = await run()
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(result)}\n`)
    return
  }
  console.log(`recovery of ${result.jobs} jobs (${JSON.stringify(result.state)})`)
  console.log(`  Engine.start over them      ${result.recoveryMs} ms   (target < ${result.targetMs} ms)`)
  console.log(`  baseline: over an empty dir ${result.emptyStartMs} ms   → ratio ${result.recoveryOverEmptyStart}×, +${result.recoveryMinusEmptyStartMs} ms`)
  console.log(`  baseline: store open alone  ${result.storeOpenMs} ms`)
  console.log(`  restart, nothing to recover ${result.restartNothingToRecoverMs} ms`)
  console.log(`  after recovery: ${result.tasksLeftAfterRecovery} task rows left, ${result.jobsAfterRecovery} jobs   (state built in ${result.buildMs} ms)`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
