// Events leave through the store's outbox: a state change and the event that
// announces it are written in one transaction (emitEvent), and the relay
// hands what was committed to the event bus, then acknowledges it. An
// event is never announced for a change that was undone, and (with a durable
// store) one committed before a crash is still delivered after it.

import type { OutboxEntry, Store, Transaction } from '../store/store.js'
import { channel } from 'node:diagnostics_channel'
import type { Clock, TimerHandle } from '../clock/clock.js'
import type { CloudEvent, EventBus } from './bus.js'

const unhandled = channel('stratus:outbox:unhandled')
const failed = channel('stratus:outbox:handler-error')
const flushFailed = channel('stratus:outbox:flush-error')

export interface RelayOptions {
  /** Where a failed flush's retry is timed (without one: retried at the next commit). */
  clock?: Clock
  /** First retry's delay after a failed flush (ms; default 100), doubled at each failure in a row. */
  retryBaseMs?: number
  /** Longest delay between retries of a failed flush (ms; default 30 s). */
  retryCapMs?: number
}

export const EVENTS_TOPIC = 'events'

/**
 * Writes an event in the transaction, if anyone could receive it: what it
 * carries is built only then (building a job's detail for every child state change would
 * cost more than the change itself while nobody listens). The event gets its
 * id and time here, so every delivery of it (a redelivery after a crash too)
 * carries the same id.
 */
export function emitEvent(tx: Transaction, bus: EventBus, source: string, detailType: string, resources: () => string[], detail: () => unknown, at: () => number): void {
  if (!bus.wants(source, detailType)) return
  tx.emit(EVENTS_TOPIC, bus.make(source, detailType, resources(), detail(), at()))
}

/**
 * The handler of one outbox topic: gets each committed entry's payload, in
 * commit order (and the entry, whose seq increases with every entry).
 */
export type TopicHandler = (payload: unknown, entry: OutboxEntry) => void

/**
 * The outbox's one consumer: it hands each committed entry to the handler of
 * its topic, in commit order, then acknowledges it. Whoever writes a topic
 * (events today; audit records and durable targets next) registers its
 * handler here, so no entry is acknowledged past a consumer that has not
 * seen it. An entry of a topic nobody handles is reported on
 * stratus:outbox:unhandled (a bug: a writer without a reader).
 */
export class OutboxRelay {
  readonly #store: Store
  readonly #handlers = new Map<string, TopicHandler>()
  readonly #flushes = new Set<() => void>()
  readonly #clock: Clock | undefined
  readonly #baseMs: number
  readonly #capMs: number
  #stop: (() => void) | undefined
  /** A batch its handlers saw whose flush threw: flushed again (handlers not called twice) before it is acknowledged. */
  #unflushed: OutboxEntry[] | undefined
  #failures = 0
  #retry: TimerHandle | undefined

  constructor(store: Store, options: RelayOptions = {}) {
    this.#store = store
    this.#clock = options.clock
    this.#baseMs = options.retryBaseMs ?? 100
    this.#capMs = options.retryCapMs ?? 30_000
  }

  /**
   * Registers the handler of a topic. `flush`, when given, is called after
   * each batch of entries the handler saw and before they are acknowledged: a
   * consumer may gather a batch's entries and write them in one transaction
   * (flushes shared by several topics are called once).
   */
  on(topic: string, handler: TopicHandler, flush?: () => void): this {
    this.#handlers.set(topic, handler)
    if (flush !== undefined) this.#flushes.add(flush)
    return this
  }

  /** Delivers what is pending now and everything committed from now on. */
  start(): void {
    this.#stop ??= this.#store.outbox.onCommit(() => this.#drain())
    this.#drain()
  }

  stop(): void {
    this.#stop?.()
    this.#stop = undefined
    this.#clock?.clearTimeout(this.#retry)
    this.#retry = undefined
  }

  #drain(): void {
    // A failed flush waits for its timer: commits meanwhile do not retry it in a tight loop.
    if (this.#retry !== undefined) return
    for (;;) {
      const entries = this.#unflushed ?? this.#store.outbox.pending(1024)
      if (entries.length === 0) return
      if (this.#unflushed === undefined) this.#handle(entries)
      if (!this.#flush(entries)) return
      this.#unflushed = undefined
      this.#failures = 0
      this.#store.outbox.ack(entries[entries.length - 1].seq)
    }
  }

  #handle(entries: OutboxEntry[]): void {
    for (const entry of entries) {
      const handler = this.#handlers.get(entry.topic)
      if (handler === undefined) {
        if (unhandled.hasSubscribers) unhandled.publish(entry)
        continue
      }
      try {
        handler(entry.payload, entry)
      } catch (error) {
        if (failed.hasSubscribers) failed.publish({ entry, error })
      }
    }
  }

  /**
   * Calls every flush; false when one threw (the store refused the batch's
   * writes): the batch is then not acknowledged, it stays in the outbox (and
   * survives a restart) and is flushed again after a backoff. Flushing a
   * batch again is safe: the planner dedups on the outbox seq it planned.
   */
  #flush(entries: OutboxEntry[]): boolean {
    for (const flush of this.#flushes) {
      try {
        flush()
      } catch (error) {
        this.#unflushed = entries
        this.#failures++
        const delayMs = Math.min(this.#capMs, this.#baseMs * 2 ** Math.min(this.#failures - 1, 30))
        if (flushFailed.hasSubscribers) flushFailed.publish({ first: entries[0].seq, last: entries[entries.length - 1].seq, failures: this.#failures, retryInMs: delayMs, error })
        if (this.#clock !== undefined && this.#stop !== undefined) {
          this.#retry = this.#clock.setTimeout(() => {
            this.#retry = undefined
            if (this.#stop !== undefined) this.#drain()
          }, delayMs)
        }
        return false
      }
    }
    return true
  }
}

/** The events topic's handler: each event delivered to the bus's subscribers as it was made. */
export function publishEvents(bus: EventBus): TopicHandler {
  return (payload) => {
    bus.deliver(payload as CloudEvent)
  }
}
