// Array children, compactly: 10,000 children of an array job are a handful of
// typed arrays (state, attempts, outstanding dependencies, timestamps, exit
// code), not 10,000 objects. Details that only some children have (a retry's
// attempt history, a failure's reason) live in a sparse map; DescribeJobs
// expands a child on read.

import { JOB_STATUSES, type AttemptDetail, type JobStatus } from './model.js'

export const NO_EXIT = -1

export interface ChildExtra {
  attempts: AttemptDetail[]
  statusReason?: string
  /** This child alone was cancelled or terminated (the parent's flags cover the whole job). */
  isCancelled?: boolean
  isTerminated?: boolean
}

/**
 * Runnable children in dispatch order: single indices (retries, children whose
 * dependencies were just met) first, then a contiguous range (children with no
 * per-child dependency), so a 10,000-child array costs two numbers to queue.
 */
export class RunQueue {
  #items: number[] = []
  #head = 0
  #next = 0
  #end = 0

  addRange(from: number, to: number): void {
    if (this.#next >= this.#end) {
      this.#next = from
      this.#end = to
    } else {
      for (let i = from; i < to; i++) this.#items.push(i)
    }
  }

  add(index: number): void {
    this.#items.push(index)
  }

  get size(): number {
    return this.#items.length - this.#head + this.#end - this.#next
  }

  /** Removes and returns up to `limit` children, in order. */
  take(limit: number): number[] {
    const out: number[] = []
    while (out.length < limit && this.#head < this.#items.length) out.push(this.#items[this.#head++])
    while (out.length < limit && this.#next < this.#end) out.push(this.#next++)
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return out
  }

  /** Returns children taken but not dispatched, to the front, keeping their order. */
  putBack(indices: readonly number[]): void {
    if (indices.length === 0) return
    this.#items = indices.concat(this.#items.slice(this.#head))
    this.#head = 0
  }

  /** Drops a child (cancelled while runnable). O(queue); rare. */
  remove(index: number): void {
    const at = this.#items.indexOf(index, this.#head)
    if (at >= 0) {
      this.#items.splice(at, 1)
      return
    }
    if (index >= this.#next && index < this.#end) {
      for (let i = index + 1; i < this.#end; i++) this.#items.push(i)
      this.#end = index
    }
  }

}

export class ArrayChildren {
  readonly size: number
  readonly status: Uint8Array
  readonly attempts: Uint8Array
  /** Per-child dependencies still outstanding (N_TO_N, SEQUENTIAL). */
  readonly pending: Uint16Array
  readonly startedAt: Float64Array
  readonly stoppedAt: Float64Array
  readonly exitCode: Int16Array
  readonly counts = new Int32Array(JOB_STATUSES.length)
  readonly extra = new Map<number, ChildExtra>()
  readonly runnable = new RunQueue()

  constructor(size: number) {
    this.size = size
    this.status = new Uint8Array(size)
    this.attempts = new Uint8Array(size)
    this.pending = new Uint16Array(size)
    this.startedAt = new Float64Array(size)
    this.stoppedAt = new Float64Array(size)
    this.exitCode = new Int16Array(size).fill(NO_EXIT)
    this.counts[0] = size
  }

  setStatus(index: number, status: number): void {
    this.counts[this.status[index]]--
    this.status[index] = status
    this.counts[status]++
  }

  extraOf(index: number): ChildExtra {
    let e = this.extra.get(index)
    if (e === undefined) {
      e = { attempts: [] }
      this.extra.set(index, e)
    }
    return e
  }

  statusSummary(): Record<JobStatus, number> {
    const out = {} as Record<JobStatus, number>
    JOB_STATUSES.forEach((name, i) => (out[name] = this.counts[i]))
    return out
  }
}
