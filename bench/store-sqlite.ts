// The SQLite store against the memory store, measured in the same run.
//
//   dispatch rounds  job state changes as the engine makes them: one
//                    transaction per dispatch round, each round getting and
//                    putting `perRound` job records (the next status, with the
//                    version read) and emitting an event per job; the outbox
//                    drained and acknowledged after each round. Memory, SQLite
//                    (synchronous normal) and SQLite (synchronous full).
//   single changes   one job state change per transaction (the per-commit cost)
//   reopen           opening a store of `records` job records: from the tables
//                    (closed cleanly, folded) and from the redo log (as a kill
//                    leaves it: every commit since the last fold replayed)
//
// Every store lives in a temporary directory removed when the section ends,
// also when it fails.

import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { MemoryStore, SqliteStore, type Store } from '../runtime/store/index.js'
import { onCleanup } from './cleanup.js'
import { job, nextStatus, type Job } from './store-memory-ops.js'

/** A temporary directory for fn, removed afterwards (and on every exit path of the benchmark). */
export async function inTempDir<R>(prefix: string, fn: (dir: string) => Promise<R> | R): Promise<R> {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const remove = () => rmSync(dir, { recursive: true, force: true })
  onCleanup(remove)
  try {
    return await fn(dir)
  } finally {
    remove()
  }
}

function seed(store: Store, jobs: number): string[] {
  const ids: string[] = []
  store.transaction((tx) => {
    for (let i = 0; i < jobs; i++) {
      const j = job(i)
      ids.push(j.jobId)
      tx.put('jobs', j.jobId, j, 0)
    }
  })
  return ids
}

/** rounds transactions of perRound job state changes each; returns job state changes per second. */
function dispatchRounds(store: Store, ids: string[], rounds: number, perRound: number, start: number): number {
  const t0 = performance.now()
  let n = start
  for (let r = 0; r < rounds; r++) {
    store.transaction((tx) => {
      for (let i = 0; i < perRound; i++, n++) {
        const id = ids[n % ids.length]
        const read = tx.get<Job>('jobs', id)!
        const status = nextStatus(read.value.status)
        tx.put('jobs', id, { ...read.value, status, startedAt: n }, read.version)
        tx.emit('job.state', { jobId: id, status })
      }
    })
    const pending = store.outbox.pending()
    if (pending.length > 0) store.outbox.ack(pending[pending.length - 1].seq)
  }
  return (rounds * perRound) / ((performance.now() - t0) / 1000)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

export interface DispatchFigures {
  memoryChangesPerS: number
  sqliteChangesPerS: number
  sqliteFullChangesPerS: number
  /** sqlite / memory */
  ratio: number
  fullRatio: number
  memorySinglePerS: number
  sqliteSinglePerS: number
  singleRatio: number
}

export async function measureDispatchRounds(o: { rounds?: number; perRound?: number; jobs?: number; repeats?: number; singles?: number } = {}): Promise<DispatchFigures> {
  const rounds = o.rounds ?? 100
  const perRound = o.perRound ?? 1000
  const jobs = o.jobs ?? 10_000
  const repeats = o.repeats ?? 3
  const singles = o.singles ?? 20_000
  return inTempDir('stratus-bench-store-', async (dir) => {
    const memory = new MemoryStore()
    const normal = SqliteStore.open(join(dir, 'normal.db'))
    const full = SqliteStore.open(join(dir, 'full.db'), { synchronous: 'full' })
    try {
      const ids = [memory, normal, full].map((s) => seed(s, jobs))[0]
      // Warm-up, then alternating runs (the machine is shared: the medians and ratios are what to read).
      for (const s of [memory, normal, full]) dispatchRounds(s, ids, 5, perRound, 0)
      const m: number[] = []
      const n: number[] = []
      const f: number[] = []
      for (let r = 0; r < repeats; r++) {
        m.push(dispatchRounds(memory, ids, rounds, perRound, r * rounds * perRound))
        n.push(dispatchRounds(normal, ids, rounds, perRound, r * rounds * perRound))
        f.push(dispatchRounds(full, ids, Math.max(1, Math.floor(rounds / 4)), perRound, r * rounds * perRound))
      }
      const ms: number[] = []
      const ns: number[] = []
      for (let r = 0; r < repeats; r++) {
        ms.push(dispatchRounds(memory, ids, singles, 1, r * singles))
        ns.push(dispatchRounds(normal, ids, singles, 1, r * singles))
      }
      const memoryChangesPerS = median(m)
      const sqliteChangesPerS = median(n)
      const sqliteFullChangesPerS = median(f)
      return {
        memoryChangesPerS, sqliteChangesPerS, sqliteFullChangesPerS,
        ratio: sqliteChangesPerS / memoryChangesPerS, fullRatio: sqliteFullChangesPerS / memoryChangesPerS,
        memorySinglePerS: median(ms), sqliteSinglePerS: median(ns), singleRatio: median(ns) / median(ms)
      }
    } finally {
      await Promise.all([memory.close(), normal.close(), full.close()])
    }
  })
}

export interface ReopenFigures {
  records: number
  /** Opening a cleanly closed store (tables only). */
  openFoldedMs: number
  /** Opening the files as a kill leaves them: every commit since the last fold replayed from the redo log. */
  openReplayMs: number
  replayedCommits: number
}

export async function measureReopen(o: { records?: number; perCommit?: number } = {}): Promise<ReopenFigures> {
  const records = o.records ?? 100_000
  const perCommit = o.perCommit ?? 10
  return inTempDir('stratus-bench-reopen-', async (dir) => {
    const path = join(dir, 'state.db')
    // Folds never happen on their own here: every commit stays in the redo log until close.
    const store = SqliteStore.open(path, { foldRows: Number.MAX_SAFE_INTEGER })
    let commits = 0
    for (let i = 0; i < records; i += perCommit) {
      store.transaction((tx) => {
        for (let k = i; k < Math.min(records, i + perCommit); k++) tx.put('jobs', job(k).jobId, job(k), 0)
      })
      commits++
    }
    // The files as a kill would leave them now.
    const crashed = join(dir, 'crashed.db')
    copyFileSync(path, crashed)
    for (const suffix of ['-wal', '-redo']) if (existsSync(`${path}${suffix}`)) copyFileSync(`${path}${suffix}`, `${crashed}${suffix}`)
    await store.close()
    let t0 = performance.now()
    const folded = SqliteStore.open(path)
    const openFoldedMs = performance.now() - t0
    const count = folded.count('jobs')
    await folded.close()
    t0 = performance.now()
    const replayed = SqliteStore.open(crashed)
    const openReplayMs = performance.now() - t0
    const replayedCount = replayed.count('jobs')
    await replayed.close()
    if (count !== records || replayedCount !== records) throw new Error(`reopen found ${count} and ${replayedCount} of ${records} records`)
    return { records, openFoldedMs, openReplayMs, replayedCommits: commits }
  })
}
