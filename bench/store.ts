// Store benchmark: sections, each measuring its figures against a baseline in
// the same run (the machine is shared and noisy: read the ratios). Never fails
// on time; every store, engine and temporary directory a section starts is
// closed and removed, also when it fails.
//
//   memory-ops       the memory store against plain Maps (store-memory-ops.ts)
//   dispatch-rounds  job state changes/s, one transaction per dispatch round
//                    (100 rounds x 1,000 job puts): SQLite against memory, and
//                    one change per transaction (store-sqlite.ts)
//   reopen           opening a SQLite store of 100,000 records: folded tables,
//                    and the files as a kill leaves them (redo log replayed)
//   simulated-batch  bench/batch.ts's simulated scenario (100 arrays x 10,000
//                    children on 5,000 nodes) on the SQLite store against the
//                    memory store: jobs/s and the ratio
//   process-batch    jobs running `true` on the process runner (200), SQLite
//                    against memory: jobs/s and the ratio
//   recovery         bench/recovery.ts, when it exists (the recovery helper's)
//   event-delivery   bench/event-delivery.ts, when it exists (the events helper's)
//
//   npm run bench:store [-- --json] [--only=dispatch-rounds,reopen]
//                       [--arrays=100 --children=10000 --nodes=5000 --jobs=200]
//
// With --json the last line is one JSON object: every section's figures, and
// `sections` saying which ran, were skipped, are missing or failed (why).

import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { processBatch, simulatedBatch } from './batch-scenarios.js'
import { runBench } from './cleanup.js'
import { measureStoreOps } from './store-memory-ops.js'
import { inTempDir, measureDispatchRounds, measureReopen } from './store-sqlite.js'

export { measureStoreOps } from './store-memory-ops.js'

type Figures = Record<string, unknown>

/**
 * The sections, in the order they run. A section is a function, or a module
 * (path relative to this file) exporting `run(): Promise<Record<string, unknown>>`,
 * imported only when it runs and reported 'missing' when it does not exist.
 * Other benchmarks join here: add a line.
 */
const SECTIONS: ReadonlyArray<{ name: string; run?: (o: Options) => Promise<Figures>; module?: string }> = [
  { name: 'memory-ops', run: memoryOps },
  { name: 'dispatch-rounds', run: dispatch },
  { name: 'reopen', run: reopen },
  { name: 'simulated-batch', run: simulated },
  { name: 'process-batch', run: processRunner },
  { name: 'recovery', module: './recovery.js' },
  { name: 'event-delivery', module: './event-delivery.js' }
]

interface Options {
  arrays: number
  children: number
  nodes: number
  jobs: number
  log: (line: string) => void
}

const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const round = (x: number, digits = 0) => Number(x.toFixed(digits))

async function memoryOps(o: Options): Promise<Figures> {
  const f = await measureStoreOps()
  o.log(`  job state change ${fmt(f.storeOpsPerS)}/s against a plain Map ${fmt(f.baselineOpsPerS)}/s -> ${f.ratio.toFixed(3)}; ` +
    `with indexes ${f.indexed.ratio.toFixed(3)}; array child ${fmt(f.arrayChild.storeOpsPerS)}/s (${f.arrayChild.ratio.toFixed(3)}); scans ${f.scans.ratio.toFixed(3)}`)
  return {
    store_ops_per_s: round(f.storeOpsPerS),
    store_baseline_ops_per_s: round(f.baselineOpsPerS),
    store_ratio: round(f.ratio, 3),
    store_indexed_ops_per_s: round(f.indexed.storeOpsPerS),
    store_indexed_ratio: round(f.indexed.ratio, 3),
    store_array_child_ops_per_s: round(f.arrayChild.storeOpsPerS),
    store_array_child_baseline_ops_per_s: round(f.arrayChild.baselineOpsPerS),
    store_array_child_ratio: round(f.arrayChild.ratio, 3),
    store_scan_puts_per_s: round(f.scans.storeOpsPerS),
    store_scan_baseline_puts_per_s: round(f.scans.baselineOpsPerS),
    store_scan_ratio: round(f.scans.ratio, 3)
  }
}

async function dispatch(o: Options): Promise<Figures> {
  const f = await measureDispatchRounds()
  o.log(`  100 rounds x 1,000 job puts: memory ${fmt(f.memoryChangesPerS)} changes/s, SQLite ${fmt(f.sqliteChangesPerS)}/s -> ${f.ratio.toFixed(3)}; ` +
    `SQLite synchronous=full ${fmt(f.sqliteFullChangesPerS)}/s -> ${f.fullRatio.toFixed(3)}`)
  o.log(`  one change per transaction: memory ${fmt(f.memorySinglePerS)}/s, SQLite ${fmt(f.sqliteSinglePerS)}/s -> ${f.singleRatio.toFixed(3)}`)
  return {
    dispatch_memory_job_changes_per_s: round(f.memoryChangesPerS),
    dispatch_sqlite_job_changes_per_s: round(f.sqliteChangesPerS),
    dispatch_sqlite_ratio: round(f.ratio, 3),
    dispatch_sqlite_full_job_changes_per_s: round(f.sqliteFullChangesPerS),
    dispatch_sqlite_full_ratio: round(f.fullRatio, 3),
    single_memory_changes_per_s: round(f.memorySinglePerS),
    single_sqlite_changes_per_s: round(f.sqliteSinglePerS),
    single_sqlite_ratio: round(f.singleRatio, 3)
  }
}

async function reopen(o: Options): Promise<Figures> {
  const f = await measureReopen()
  o.log(`  ${fmt(f.records)} records: open ${fmt(f.openFoldedMs)} ms from the tables; ${fmt(f.openReplayMs)} ms as a kill leaves them ` +
    `(${fmt(f.replayedCommits)} commits replayed from the redo log and folded)`)
  return { reopen_records: f.records, reopen_folded_ms: round(f.openFoldedMs, 1), reopen_replay_ms: round(f.openReplayMs, 1), reopen_replayed_commits: f.replayedCommits }
}

async function simulated(o: Options): Promise<Figures> {
  const size = { arrays: o.arrays, children: o.children, nodes: o.nodes }
  o.log(`  ${o.arrays} arrays x ${fmt(o.children)} children on ${fmt(o.nodes)} simulated nodes: memory, then SQLite…`)
  const memory = await simulatedBatch(size)
  const sqlite = await inTempDir('stratus-bench-sim-', (dir) => simulatedBatch({ ...size, engine: { dataDir: join(dir, 'data') } }))
  const ratio = sqlite.jobsPerS / memory.jobsPerS
  o.log(`  memory ${fmt(memory.jobsPerS)} jobs/s (${fmt(memory.seconds, 1)} s), SQLite ${fmt(sqlite.jobsPerS)} jobs/s (${fmt(sqlite.seconds, 1)} s) -> ${ratio.toFixed(3)}; ` +
    `${fmt(sqlite.succeeded)} of ${fmt(sqlite.children)} SUCCEEDED on SQLite`)
  return {
    sim_children: memory.children,
    sim_memory_jobs_per_s: round(memory.jobsPerS),
    sim_sqlite_jobs_per_s: round(sqlite.jobsPerS),
    sim_sqlite_ratio: round(ratio, 3),
    sim_memory_succeeded: memory.succeeded,
    sim_sqlite_succeeded: sqlite.succeeded
  }
}

async function processRunner(o: Options): Promise<Figures> {
  const run = { jobs: o.jobs, pace: 1, paced: 0, warmup: 20 }
  o.log(`  ${fmt(o.jobs)} jobs running true on the process runner: memory, then SQLite…`)
  const memory = await processBatch(run)
  const sqlite = await inTempDir('stratus-bench-proc-', (dir) => processBatch({ ...run, engine: { dataDir: join(dir, 'data') } }))
  const ratio = sqlite.jobsPerS / memory.jobsPerS
  o.log(`  memory ${fmt(memory.jobsPerS)} jobs/s, SQLite ${fmt(sqlite.jobsPerS)} jobs/s -> ${ratio.toFixed(3)} (${sqlite.succeeded}/${sqlite.jobs} SUCCEEDED on SQLite)`)
  return {
    process_jobs: o.jobs,
    process_memory_jobs_per_s: round(memory.jobsPerS),
    process_sqlite_jobs_per_s: round(sqlite.jobsPerS),
    process_sqlite_ratio: round(ratio, 3),
    process_sqlite_succeeded: sqlite.succeeded
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const json = argv.includes('--json')
  const option = (name: string, fallback: number) => Number(argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
  const only = argv.find((a) => a.startsWith('--only='))?.split('=')[1]?.split(',')
  const o: Options = {
    arrays: option('arrays', 100), children: option('children', 10_000), nodes: option('nodes', 5000), jobs: option('jobs', 200),
    log: (line) => { if (!json) console.log(line) }
  }
  const figures: Figures = {}
  const sections: Record<string, string> = {}
  for (const section of SECTIONS) {
    if (only !== undefined && !only.includes(section.name)) {
      sections[section.name] = 'skipped'
      continue
    }
    o.log(`${section.name}:`)
    try {
      let run = section.run
      if (run === undefined) {
        const url = new URL(section.module!, import.meta.url)
        const loaded = await import(url.href).catch((error: { code?: string }) => {
          if (error.code === 'ERR_MODULE_NOT_FOUND' && (error as Error).message.includes(url.pathname)) return undefined
          throw error
        }) as { run?: () => Promise<Figures> } | undefined
        if (loaded?.run === undefined) {
          sections[section.name] = 'missing'
          o.log(`  n/a (${section.module} does not exist yet)`)
          continue
        }
        run = () => loaded.run!()
      }
      const result = await run(o)
      Object.assign(figures, result)
      if (section.run === undefined) o.log(`  ${JSON.stringify(result)}`)
      sections[section.name] = 'ran'
    } catch (error) {
      sections[section.name] = `failed: ${(error as Error).message}`
      o.log(`  failed: ${(error as Error).stack}`)
    }
  }
  console.log(JSON.stringify({ ...figures, sections }))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await runBench(main)
