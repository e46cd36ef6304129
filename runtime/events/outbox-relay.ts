// Events leave through the store's outbox: a state change and the event that
// announces it are written in one transaction (emitEvent), and the relay
// publishes what was committed to the event bus, then acknowledges it. An
// event is never announced for a change that was undone, and (with a durable
// store) one committed before a crash is still delivered after it.

import type { Store, Transaction } from '../store/store.js'
import type { EventBus } from './bus.js'

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

/** Publishes committed outbox events to the bus, in commit order; returns the function that stops it. */
export function relayOutbox(store: Store, bus: EventBus): () => void {
  const drain = () => {
    for (;;) {
      const entries = store.outbox.pending(1024)
      if (entries.length === 0) return
      for (const entry of entries) {
        if (entry.topic !== EVENTS_TOPIC) continue
        const e = entry.payload as EventEntry
        bus.publish(e.source, e.detailType, e.resources, e.detail, e.at)
      }
      store.outbox.ack(entries[entries.length - 1].seq)
    }
  }
  const stop = store.outbox.onCommit(drain)
  drain()
  return stop
}
