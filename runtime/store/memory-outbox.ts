// The memory store's outbox: committed entries in seq order, a head that
// acknowledgements move forward (compacted now and then, never shifted one by
// one), and the listeners told after each commit that added entries.

import { channel } from 'node:diagnostics_channel'
import { InternalError } from '../errors.js'
import { checkFunction, checkLimit, checkVersion } from './arguments.js'
import type { Outbox, OutboxEntry } from './store.js'

const listenerErrors = channel('stratus:store:outbox-listener-error')

export class MemoryOutbox implements Outbox {
  readonly #entries: OutboxEntry[] = []
  #head = 0
  #seq = 0
  readonly #listeners = new Set<() => void>()
  readonly #checkOpen: () => void

  /** checkOpen throws when the store is closed. */
  constructor(checkOpen: () => void) {
    this.#checkOpen = checkOpen
  }

  /** Store only: appends a committed entry. */
  append(topic: string, payload: unknown): void {
    this.#entries.push(Object.freeze({ seq: ++this.#seq, topic, payload }))
  }

  /** Store only: the seq the last entry took (the next takes seq + 1). */
  get seq(): number {
    return this.#seq
  }

  /** Store only: appends entries made (and persisted) already, with the next seqs. */
  appendEntries(entries: readonly OutboxEntry[]): void {
    for (const entry of entries) {
      if (entry.seq !== this.#seq + 1) throw new InternalError('StoreOutboxSeq', `outbox entry ${entry.seq} does not follow ${this.#seq}`)
      this.#seq = entry.seq
      this.#entries.push(entry)
    }
  }

  /** Store only, before any commit: the state read back from disk. */
  restore(seq: number, entries: Iterable<OutboxEntry>): void {
    for (const entry of entries) this.#entries.push(Object.freeze(entry))
    const last = this.#entries.length > 0 ? this.#entries[this.#entries.length - 1].seq : 0
    this.#seq = Math.max(seq, last)
  }

  get hasListeners(): boolean {
    return this.#listeners.size > 0
  }

  /** Store only: tells every listener, each isolated from the others' failures. */
  notify(): void {
    for (const listener of this.#listeners) {
      try {
        listener()
      } catch (error) {
        listenerErrors.publish({ error })
      }
    }
  }

  pending(limit?: number): OutboxEntry[] {
    this.#checkOpen()
    if (limit !== undefined) checkLimit('limit', limit)
    const end = limit === undefined ? this.#entries.length : Math.min(this.#entries.length, this.#head + limit)
    return this.#entries.slice(this.#head, end)
  }

  ack(seq: number): void {
    this.#checkOpen()
    checkVersion('seq', seq)
    const entries = this.#entries
    let head = this.#head
    while (head < entries.length && entries[head].seq <= seq) head++
    if (head > 1024 && head * 2 > entries.length) {
      entries.splice(0, head)
      head = 0
    }
    this.#head = head
  }

  onCommit(listener: () => void): () => void {
    this.#checkOpen()
    checkFunction('listener', listener)
    // A wrapper per registration, so registering one function twice needs removing twice.
    const entry = () => listener()
    this.#listeners.add(entry)
    return () => {
      this.#listeners.delete(entry)
    }
  }
}
