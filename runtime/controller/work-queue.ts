// The work queue that drives a reconciler (client-go's workqueue, on the
// engine's Clock):
//   - add(key) marks a key dirty; a key is held once however often it is
//     added, and keys added during a turn are handled on the next one, so a
//     burst of changes costs one reconcile per key;
//   - work runs on the next turn of the event loop; under load (the previous
//     turn ended less than minGapMs ago) it waits out the gap, so one turn takes
//     many changes at once (a real-time batching gap, not engine time);
//   - addAfter(key, ms) adds the key once ms of clock time has passed (the
//     earliest request per key wins);
//   - a key is never reconciled twice at once; one added while its reconcile
//     runs is reconciled again after it;
//   - a reconcile that throws is retried with per-key exponential backoff on
//     the clock, and its error published on the diagnostics channel
//     stratus:controller:error; a conflict (a store version conflict: the
//     state moved under the reconciler) is first retried on the next turn, a
//     few times;
//   - on a manual clock the queue registers a busy probe, so advance() waits
//     until the queue has settled.

import { channel } from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'
import type { Clock, TimerHandle } from '../clock/clock.js'
import { StratusError } from '../errors.js'
import type { ReconcileResult, Reconciler } from './reconciler.js'

const errors = channel('stratus:controller:error')
/** Conflicts retried on the next turn before the clock's backoff applies. */
const IMMEDIATE_CONFLICT_RETRIES = 3

export interface WorkQueueOptions<K extends string> {
  /** For diagnostics: which controller this queue drives. */
  name: string
  clock: Clock
  reconciler: Reconciler<K>
  /** Least real time between two turns under load (default 0: every turn runs at once). */
  minGapMs?: number
  /** Order of the keys within a turn (default: the order they were added in). */
  sort?: (keys: K[]) => K[]
  /** Backoff of a failing key: first retry after baseMs, doubling up to maxMs (defaults 5 and 10,000). */
  backoff?: { baseMs?: number; maxMs?: number }
}

export interface WorkQueueStats {
  turns: number
  reconciles: number
  /** Reconciles that threw a conflict (a Conflict-kind error: retried at once). */
  conflicts: number
  /** Reconciles that threw anything else. */
  errors: number
}

export class WorkQueue<K extends string = string> {
  readonly name: string
  readonly stats: WorkQueueStats = { turns: 0, reconciles: 0, conflicts: 0, errors: 0 }
  readonly #clock: Clock
  readonly #reconciler: Reconciler<K>
  readonly #minGapMs: number
  readonly #sort: ((keys: K[]) => K[]) | undefined
  readonly #baseMs: number
  readonly #maxMs: number
  #dirty = new Set<K>()
  readonly #running = new Set<K>()
  /** Keys added while their reconcile was in flight (async reconcilers). */
  readonly #rerun = new Set<K>()
  readonly #timers = new Map<K, TimerHandle>()
  readonly #failures = new Map<K, number>()
  #scheduled = false
  #inFlight = 0
  #lastTurn = -Infinity
  #closed = false
  readonly #removeProbe: (() => void) | undefined

  constructor(options: WorkQueueOptions<K>) {
    this.name = options.name
    this.#clock = options.clock
    this.#reconciler = options.reconciler
    this.#minGapMs = options.minGapMs ?? 0
    this.#sort = options.sort
    this.#baseMs = options.backoff?.baseMs ?? 5
    this.#maxMs = options.backoff?.maxMs ?? 10_000
    this.#removeProbe = options.clock.addBusyProbe?.(() => this.busy)
  }

  /** Work is waiting for this turn or running (timers set with addAfter do not count: the clock holds them). */
  get busy(): boolean {
    return this.#scheduled || this.#dirty.size > 0 || this.#inFlight > 0
  }

  /** Keys waiting for a turn. */
  get length(): number {
    return this.#dirty.size
  }

  add(key: K): void {
    if (this.#closed) return
    if (this.#running.has(key)) {
      this.#rerun.add(key)
      return
    }
    this.#dirty.add(key)
    this.#schedule()
  }

  /** Adds key after ms of clock time (0: now). An earlier pending request for the key is kept. */
  addAfter(key: K, ms: number): void {
    if (this.#closed) return
    if (!(ms > 0)) {
      this.add(key)
      return
    }
    const due = this.#clock.now() + ms
    const existing = this.#timers.get(key)
    if (existing !== undefined) {
      if (existing.due <= due) return
      this.#clock.clearTimeout(existing)
    }
    this.#timers.set(key, this.#clock.setTimeout(() => {
      this.#timers.delete(key)
      this.add(key)
    }, ms))
  }

  /** Forgets a key: no turn, no timer, no backoff (its resource is gone). */
  forget(key: K): void {
    this.#dirty.delete(key)
    this.#rerun.delete(key)
    this.#failures.delete(key)
    const timer = this.#timers.get(key)
    if (timer !== undefined) this.#clock.clearTimeout(timer)
    this.#timers.delete(key)
  }

  close(): void {
    this.#closed = true
    this.#removeProbe?.()
    for (const timer of this.#timers.values()) this.#clock.clearTimeout(timer)
    this.#timers.clear()
    this.#dirty.clear()
    this.#rerun.clear()
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return
    this.#scheduled = true
    const since = performance.now() - this.#lastTurn
    if (since < this.#minGapMs) setTimeout(() => this.#turn(), this.#minGapMs - since)
    else setImmediate(() => this.#turn())
  }

  #turn(): void {
    this.#scheduled = false
    if (this.#closed) return
    this.stats.turns++
    const dirty = this.#dirty
    this.#dirty = new Set()
    const keys = this.#sort !== undefined && dirty.size > 1 ? this.#sort([...dirty]) : dirty
    for (const key of keys) {
      if (this.#closed) return
      this.#run(key)
    }
    this.#lastTurn = performance.now()
    if (this.#dirty.size > 0) this.#schedule()
  }

  #run(key: K): void {
    this.#running.add(key)
    this.stats.reconciles++
    let result: ReconcileResult | Promise<ReconcileResult>
    try {
      result = this.#reconciler.reconcile(key)
    } catch (error) {
      this.#finish(key, undefined, error)
      return
    }
    if (result instanceof Promise) {
      this.#inFlight++
      result.then(
        (value) => { this.#inFlight--; this.#finish(key, value, undefined) },
        (error: unknown) => { this.#inFlight--; this.#finish(key, undefined, error) }
      )
      return
    }
    this.#finish(key, result, undefined)
  }

  #finish(key: K, result: ReconcileResult, error: unknown): void {
    this.#running.delete(key)
    if (this.#closed) return
    if (error !== undefined) {
      // A conflict (a store version conflict, or state found changed under a decision) is retried at once.
      const conflict = error instanceof StratusError && error.kind === 'Conflict'
      if (conflict) this.stats.conflicts++
      else {
        this.stats.errors++
        if (errors.hasSubscribers) errors.publish({ queue: this.name, key, error })
      }
      const failures = (this.#failures.get(key) ?? 0) + 1
      this.#failures.set(key, failures)
      this.#rerun.delete(key)
      // A conflict means the state moved under the reconciler: look again on the next turn
      // (a few times), then back off on the clock like any other failure.
      if (conflict && failures <= IMMEDIATE_CONFLICT_RETRIES) this.add(key)
      else this.addAfter(key, Math.min(this.#maxMs, this.#baseMs * 2 ** (failures - 1)))
      return
    }
    this.#failures.delete(key)
    if (this.#rerun.delete(key)) this.add(key)
    else if (result !== undefined) this.addAfter(key, result.againAfterMs)
  }
}
