// Dead letters do not pile up for ever: each is deleted 14 days after it was
// written — the longest an SQS queue (EventBridge's dead-letter queues) keeps
// a message — on the engine's Clock. A bound in time rather than in count:
// a letter is evidence of a lost delivery, and a count would drop the
// evidence of one outage under the letters of the next. Letters are keyed by
// their time (pad(Time)/…), so the oldest is the first key: one timer, at
// the oldest letter's expiry, re-armed from the store at start and after
// each purge.

import { channel } from 'node:diagnostics_channel'
import type { TimerHandle } from '../clock/clock.js'
import type { EventsContext } from './context.js'
import { DEAD_LETTERS, type DeadLetter } from './model.js'

/** 14 days: SQS's maximum MessageRetentionPeriod (1,209,600 s). */
export const DEAD_LETTER_RETENTION_MS = 14 * 24 * 3_600_000

const purgeErrors = channel('stratus:events:dead-letter-purge-error')

/** After a purge the store refused: the next try (ms). */
const RETRY_MS = 60_000

/** Letters deleted per transaction (a purge after a long outage is many small commits, not one huge one). */
const BATCH = 1000

export class DeadLetterPurge {
  readonly #ctx: EventsContext
  readonly #retentionMs: number
  #timer: TimerHandle | undefined
  #due = Infinity
  #unwatch: (() => void) | undefined

  constructor(ctx: EventsContext, retentionMs = DEAD_LETTER_RETENTION_MS) {
    this.#ctx = ctx
    this.#retentionMs = retentionMs
  }

  start(): void {
    this.#unwatch ??= this.#ctx.store.watch<DeadLetter>(DEAD_LETTERS, (change) => {
      if (change.value !== undefined) this.#arm(change.value.Time + this.#retentionMs)
    })
    this.#rearm()
  }

  close(): void {
    this.#unwatch?.()
    this.#unwatch = undefined
    this.#ctx.clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#due = Infinity
  }

  /** The timer at the oldest letter's expiry (none when there is no letter). */
  #rearm(): void {
    const [oldest] = this.#ctx.store.scan<DeadLetter>(DEAD_LETTERS, { limit: 1 })
    if (oldest !== undefined) this.#arm(oldest.value.Time + this.#retentionMs)
  }

  #arm(due: number): void {
    if (due >= this.#due || this.#unwatch === undefined) return
    this.#ctx.clock.clearTimeout(this.#timer)
    this.#due = due
    this.#timer = this.#ctx.clock.setTimeout(() => {
      this.#timer = undefined
      this.#due = Infinity
      try {
        this.#purge()
      } catch (error) {
        // The store refused: the letters stay, tried again later (nothing is lost by waiting).
        if (purgeErrors.hasSubscribers) purgeErrors.publish({ error })
        this.#arm(this.#ctx.clock.now() + RETRY_MS)
      }
    }, due - this.#ctx.clock.now())
  }

  #purge(): void {
    const cutoff = this.#ctx.clock.now() - this.#retentionMs
    for (;;) {
      const expired = this.#ctx.store.scan<DeadLetter>(DEAD_LETTERS, { limit: BATCH }).filter((r) => r.value.Time <= cutoff)
      if (expired.length === 0) break
      this.#ctx.store.transaction((tx) => {
        for (const r of expired) tx.delete(DEAD_LETTERS, r.key)
      })
      if (expired.length < BATCH) break
    }
    this.#rearm()
  }
}
