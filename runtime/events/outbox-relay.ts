// Events leave through the store's outbox: a state change and the event that
// announces it are written in one transaction (emitEvent), and the relay
// hands what was committed to the event bus, then acknowledges it. An
// event is never announced for a change that was undone, and (with a durable
// store) one committed before a crash is still delivered after it.

import type { Store, Transaction } from '../store/store.js'
import { channel } from 'node:diagnostics_channel'
import type { EventBus } from './bus.js'

const unhandled = channel('stratus:outbox:unhandled')
const failed = channel('stratus:outbox:handler-error')

export const EVENTS_TOPIC = 'events'

interface EventEntry {
  source: string
  detailType: string
  resources: string[]
  detail: unknown
  /** When the change happened (engine clock ms). */
  at: number
}

/**
 * Writes an event in the transaction, if anyone could receive it: what it
 * carries is built only then (building a job's detail for every child state change would
 * cost more than the change itself while nobody listens).
 */
export function emitEvent(tx: Transaction, bus: EventBus, source: string, detailType: string, resources: () => string[], detail: () => unknown, at: () => number): void {
  if (!bus.wants(source, detailType)) return
  const entry: EventEntry = { source, detailType, resources: resources(), detail: detail(), at: at() }
  tx.emit(EVENTS_TOPIC, entry)
}

/** The handler of one outbox topic: gets each committed entry's payload, in commit order. */
export type TopicHandler = (payload: unknown) => void

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
  #stop: (() => void) | undefined

  constructor(store: Store) {
    this.#store = store
  }

  on(topic: string, handler: TopicHandler): this {
    this.#handlers.set(topic, handler)
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
  }

  #drain(): void {
    for (;;) {
      const entries = this.#store.outbox.pending(1024)
      if (entries.length === 0) return
      for (const entry of entries) {
        const handler = this.#handlers.get(entry.topic)
        if (handler === undefined) {
          if (unhandled.hasSubscribers) unhandled.publish(entry)
          continue
        }
        try {
          handler(entry.payload)
        } catch (error) {
          if (failed.hasSubscribers) failed.publish({ entry, error })
        }
      }
      this.#store.outbox.ack(entries[entries.length - 1].seq)
    }
  }
}

/** The events topic's handler: each entry published on the bus, with the time of its change. */
export function publishEvents(bus: EventBus): TopicHandler {
  return (payload) => {
    const e = payload as EventEntry
    bus.publish(e.source, e.detailType, e.resources, e.detail, e.at)
  }
}
