// The memory store against plain Maps and arrays (no versions, no undo, no
// outbox bookkeeping), measured in the same run: what one job state change
// costs in the store's own code. A section of bench/store.ts; bench/batch.ts
// reports it too.
//
//   job          one transaction: get a job record (~20 fields, an AWS Batch
//                JobDetail), put a copy with the next status using the version
//                read, emit an outbox entry; a consumer drains and acknowledges
//                the outbox every 64 transactions
//   job+index    the same with the indexes the engine keeps (status, queue)
//   array child  one transaction on a ColumnSet of 10,000 children: setCell of
//                the child's state and of its timestamp, emit an outbox entry
//   scan         100,000 creations in random key order, a page of 50 keys
//                (after a random key) scanned every 10 puts; the baseline keeps
//                one sorted array with binary-search insertion
//
// Figures are operations (transactions) per second, median of the runs that
// alternate store and baseline; the ratio is the number to read on a shared,
// noisy machine.

import { performance } from 'node:perf_hooks'
import { ColumnSet, MemoryStore } from '../runtime/store/index.js'

const JOBS = 10_000
const CHILDREN = 10_000
const DRAIN_EVERY = 64
export const STATUSES = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED'] as const

export interface Job {
  readonly jobArn: string
  readonly jobName: string
  readonly jobId: string
  readonly jobQueue: string
  readonly status: string
  readonly shareIdentifier?: string
  readonly schedulingPriority: number
  readonly attempts: readonly unknown[]
  readonly statusReason?: string
  readonly createdAt: number
  readonly startedAt?: number
  readonly stoppedAt?: number
  readonly dependsOn: readonly unknown[]
  readonly jobDefinition: string
  readonly parameters: Readonly<Record<string, string>>
  readonly container: unknown
  readonly tags: Readonly<Record<string, string>>
  readonly propagateTags: boolean
  readonly platformCapabilities: readonly string[]
  readonly retryStrategy: unknown
  readonly timeout: unknown
  readonly isCancelled: boolean
}

export function job(i: number): Job {
  const jobId = `${String(i).padStart(8, '0')}-5f1c-4d2e-9a0b-7c3e2f1a9b8d`
  return {
    jobArn: `arn:aws:batch:us-east-1:000000000000:job/${jobId}`,
    jobName: `job-${i}`,
    jobId,
    jobQueue: `arn:aws:batch:us-east-1:000000000000:job-queue/q${i % 4}`,
    status: 'SUBMITTED',
    schedulingPriority: 0,
    attempts: [{ container: { exitCode: 1, logStreamName: `job/default/${jobId}` }, startedAt: 1767225600000, stoppedAt: 1767225601000, statusReason: 'Essential container in task exited' }],
    createdAt: 1767225600000 + i,
    dependsOn: [],
    jobDefinition: 'arn:aws:batch:us-east-1:000000000000:job-definition/sleep:1',
    parameters: {},
    container: { image: 'busybox', vcpus: 1, memory: 256, command: ['sleep', '1'] },
    tags: { team: 'bench' },
    propagateTags: false,
    platformCapabilities: ['EC2'],
    retryStrategy: { attempts: 3 },
    timeout: { attemptDurationSeconds: 600 },
    isCancelled: false
  }
}

export const nextStatus = (status: string) => STATUSES[(STATUSES.indexOf(status as (typeof STATUSES)[number]) + 1) % STATUSES.length]

interface Side {
  /** Runs `ops` operations; returns a checksum so the work cannot be optimised away. */
  run(ops: number): number
}

// --- job state changes ---------------------------------------------------------

function storeJobs(indexed: boolean): Side {
  const store = new MemoryStore()
  if (indexed) {
    store.defineIndex<Job>('jobs', 'status', (j) => j.status)
    store.defineIndex<Job>('jobs', 'queue', (j) => j.jobQueue)
  }
  const ids: string[] = []
  store.transaction((tx) => {
    for (let i = 0; i < JOBS; i++) {
      const j = job(i)
      ids.push(j.jobId)
      tx.put('jobs', j.jobId, j, 0)
    }
  })
  let n = 0
  return {
    run(ops) {
      let acked = 0
      for (let op = 0; op < ops; op++, n++) {
        const id = ids[n % JOBS]
        store.transaction((tx) => {
          const read = tx.get<Job>('jobs', id)!
          const status = nextStatus(read.value.status)
          tx.put('jobs', id, { ...read.value, status, startedAt: n }, read.version)
          tx.emit('job.state', { jobId: id, status })
        })
        if (op % DRAIN_EVERY === DRAIN_EVERY - 1) acked += drain(store)
      }
      return acked + drain(store)
    }
  }
}

function drain(store: MemoryStore): number {
  const pending = store.outbox.pending()
  if (pending.length > 0) store.outbox.ack(pending[pending.length - 1].seq)
  return pending.length
}

/** The same work on a Map and an array queue: no versions, no undo, no indexes. */
function mapJobs(): Side {
  const jobs = new Map<string, Job>()
  const ids: string[] = []
  for (let i = 0; i < JOBS; i++) {
    const j = job(i)
    ids.push(j.jobId)
    jobs.set(j.jobId, j)
  }
  const queue = new PlainQueue()
  let n = 0
  return {
    run(ops) {
      let acked = 0
      for (let op = 0; op < ops; op++, n++) {
        const id = ids[n % JOBS]
        const read = jobs.get(id)!
        const status = nextStatus(read.status)
        jobs.set(id, { ...read, status, startedAt: n })
        queue.push('job.state', { jobId: id, status })
        if (op % DRAIN_EVERY === DRAIN_EVERY - 1) acked += queue.drain()
      }
      return acked + queue.drain()
    }
  }
}

class PlainQueue {
  #entries: Array<{ seq: number; topic: string; payload: unknown }> = []
  #head = 0
  #seq = 0

  push(topic: string, payload: unknown): void {
    this.#entries.push({ seq: ++this.#seq, topic, payload })
  }

  drain(): number {
    const pending = this.#entries.slice(this.#head)
    this.#head = this.#entries.length
    if (this.#head > 1024) {
      this.#entries = []
      this.#head = 0
    }
    return pending.length
  }
}

// --- array children -------------------------------------------------------------

const CHILD_COLUMNS = {
  state: { kind: 'u8', length: CHILDREN },
  attempts: { kind: 'u8', length: CHILDREN },
  exitCode: { kind: 'i32', length: CHILDREN, fill: -1 },
  startedAt: { kind: 'f64', length: CHILDREN },
  stoppedAt: { kind: 'f64', length: CHILDREN }
} as const

function storeChildren(): Side {
  const store = new MemoryStore()
  store.put('arrays', 'parent', ColumnSet.create(CHILD_COLUMNS), 0)
  let n = 0
  return {
    run(ops) {
      let acked = 0
      for (let op = 0; op < ops; op++, n++) {
        const child = n % CHILDREN
        store.transaction((tx) => {
          const set = tx.get<ColumnSet>('arrays', 'parent')!.value
          const state = (set.column('state')[child] + 1) % STATUSES.length
          tx.setCell('arrays', 'parent', 'state', child, state)
          tx.setCell('arrays', 'parent', 'startedAt', child, n)
          tx.emit('job.state', { jobId: `parent:${child}`, status: STATUSES[state] })
        })
        if (op % DRAIN_EVERY === DRAIN_EVERY - 1) acked += drain(store)
      }
      return acked + drain(store)
    }
  }
}

function plainChildren(): Side {
  const state = new Uint8Array(CHILDREN)
  const startedAt = new Float64Array(CHILDREN)
  const queue = new PlainQueue()
  let n = 0
  return {
    run(ops) {
      let acked = 0
      for (let op = 0; op < ops; op++, n++) {
        const child = n % CHILDREN
        const next = (state[child] + 1) % STATUSES.length
        state[child] = next
        startedAt[child] = n
        queue.push('job.state', { jobId: `parent:${child}`, status: STATUSES[next] })
        if (op % DRAIN_EVERY === DRAIN_EVERY - 1) acked += queue.drain()
      }
      return acked + queue.drain()
    }
  }
}

// --- creations with scans interleaved ------------------------------------------------

const SCAN_RECORDS = 100_000
const randomKeys = (count: number, seed: number) => {
  const keys: string[] = []
  let s = seed
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) % 2147483648
    keys.push(`${s.toString(36)}-${i}`)
  }
  return keys
}

/** ops creations into a fresh store (ops is SCAN_RECORDS), a 50-key page every 10. */
function storeScans(): Side {
  return {
    run(ops) {
      const store = new MemoryStore()
      const keys = randomKeys(ops, 5)
      let seen = 0
      for (let i = 0; i < ops; i++) {
        store.put('jobs', keys[i], i, 0)
        if (i % 10 === 9) seen += store.scan('jobs', { after: keys[(i * 7) % i], limit: 50 }).length
      }
      return seen
    }
  }
}

function sortedArrayScans(): Side {
  return {
    run(ops) {
      const map = new Map<string, number>()
      const sorted: string[] = []
      const keys = randomKeys(ops, 5)
      let seen = 0
      for (let i = 0; i < ops; i++) {
        map.set(keys[i], i)
        sorted.splice(upperBound(sorted, keys[i]), 0, keys[i])
        if (i % 10 === 9) {
          const from = upperBound(sorted, keys[(i * 7) % i])
          const page: number[] = []
          for (let k = from; k < sorted.length && page.length < 50; k++) page.push(map.get(sorted[k])!)
          seen += page.length
        }
      }
      return seen
    }
  }
}

function upperBound(sorted: string[], key: string): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid] <= key) lo = mid + 1
    else hi = mid
  }
  return lo
}

// --- measuring ----------------------------------------------------------------------

export interface Comparison {
  storeOpsPerS: number
  baselineOpsPerS: number
  /** store / baseline: 1 means the store costs nothing over plain Maps. */
  ratio: number
}

export interface StoreOpsFigures extends Comparison {
  /** storeOpsPerS etc. above are the job state change; these are the other variants. */
  indexed: Comparison
  arrayChild: Comparison
  scans: Comparison
}

function opsPerS(side: Side, ops: number): number {
  const start = performance.now()
  side.run(ops)
  return ops / ((performance.now() - start) / 1000)
}

/** Median ops/s of store and baseline over `repeats` alternating runs (after a warm-up run each). */
function compare(store: () => Side, baseline: () => Side, ops: number, repeats: number, fresh = false): Comparison {
  let s = store()
  let b = baseline()
  opsPerS(s, Math.min(ops, 20_000))
  opsPerS(b, Math.min(ops, 20_000))
  const a: number[] = []
  const c: number[] = []
  for (let r = 0; r < repeats; r++) {
    if (fresh) {
      s = store()
      b = baseline()
    }
    a.push(opsPerS(s, ops))
    c.push(opsPerS(b, ops))
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]
  const storeOpsPerS = median(a)
  const baselineOpsPerS = median(c)
  return { storeOpsPerS, baselineOpsPerS, ratio: storeOpsPerS / baselineOpsPerS }
}

export async function measureStoreOps(options: { ops?: number; repeats?: number } = {}): Promise<StoreOpsFigures> {
  const ops = options.ops ?? 300_000
  const repeats = options.repeats ?? 5
  const jobs = compare(() => storeJobs(false), mapJobs, ops, repeats)
  const indexed = compare(() => storeJobs(true), mapJobs, ops, repeats)
  const arrayChild = compare(storeChildren, plainChildren, ops, repeats)
  const scans = compare(storeScans, sortedArrayScans, SCAN_RECORDS, Math.max(1, Math.floor(repeats / 2)), true)
  return { ...jobs, indexed, arrayChild, scans }
}
