// From a committed event to its deliveries: the outbox hands each event here
// (the events topic: the ENABLED rules it matches; the scheduled topic: the
// rule that fired); each (rule, target) gives one delivery record, with the
// body already shaped by the target's input members and its HttpParameters
// resolved (every attempt sends what was planned). The relay calls
// flush() after each batch of entries and before acknowledging them: the
// batch's deliveries are written in one store transaction with the last
// outbox seq planned (events:meta). So a crash between the events' commit and
// their deliveries loses nothing, and an entry seen again after a crash is
// not planned twice (its seq is not above the last one planned).

import { channel } from 'node:diagnostics_channel'
import type { OutboxEntry } from '../store/store.js'
import type { CloudEvent } from './bus.js'
import type { EventsContext } from './context.js'
import { resolveHttp } from './http-parameters.js'
import { targetInput } from './input.js'
import { DELIVERIES, EVENTS_META, pad, type DeliveryRecord } from './model.js'
import type { Rules } from './rules.js'
import { retryPolicy } from './validation.js'

const planned = channel('stratus:events:planned')

interface PlanMeta { outboxSeq: number; next: number }

/** Which rules an outbox entry is for: those its event matches (the events topic), or the one it names (scheduled events). */
export type RuleSelection = (payload: unknown) => { event: CloudEvent; rules: ReadonlyArray<{ name: string; arn: string }>; ingestedAt?: number }

interface Matched { event: CloudEvent; rules: ReadonlyArray<{ name: string; arn: string }>; seq: number; ingestedAt: number | undefined }

export class DeliveryPlanner {
  readonly #ctx: EventsContext
  readonly #rules: Rules
  readonly #enqueue: (key: string) => void
  #batch: Matched[] = []

  constructor(ctx: EventsContext, rules: Rules, enqueue: (key: string) => void) {
    this.#ctx = ctx
    this.#rules = rules
    this.#enqueue = enqueue
  }

  /** An outbox topic's handler: the entry's rules are chosen now (the rules as they are at this point of the stream). */
  handler(select: RuleSelection): (payload: unknown, entry: OutboxEntry) => void {
    return (payload, entry) => {
      const { event, rules, ingestedAt } = select(payload)
      if (rules.length > 0) this.#batch.push({ event, rules, seq: entry.seq, ingestedAt })
    }
  }

  /**
   * Writes the batch's deliveries in one transaction (called by the relay
   * before it acknowledges the batch). If the store refuses it, the batch is
   * kept for the relay's next flush (the error goes to the relay, which then
   * does not acknowledge the entries).
   */
  readonly flush = (): void => {
    const batch = this.#batch
    if (batch.length === 0) return
    this.#ctx.store.transaction((tx) => {
      const meta = tx.get<PlanMeta>(EVENTS_META, 'plan')
      const done = meta?.value.outboxSeq ?? 0
      let next = meta?.value.next ?? 1
      const now = this.#ctx.clock.now()
      const keys: string[] = []
      let last = done
      for (const { event, rules, seq, ingestedAt } of batch) {
        if (seq <= done) continue
        last = Math.max(last, seq)
        for (const rule of rules) {
          for (const target of this.#rules.targetsOf(tx, rule.name)) {
            const policy = retryPolicy(target.RetryPolicy, 'RetryPolicy')
            const key = `${rule.name}/${target.Id}/${pad(next++)}`
            const http = resolveHttp(target, event)
            const record: DeliveryRecord = {
              event, rule: rule.name, ruleArn: rule.arn, targetId: target.Id, targetArn: target.Arn, body: targetInput(target, event, rule, ingestedAt),
              ...(http !== undefined ? { http } : {}),
              maximumRetryAttempts: policy.maximumRetryAttempts, maximumEventAgeSeconds: policy.maximumEventAgeSeconds, attempts: 0, createdAt: now, nextAttemptAt: now
            }
            tx.put(DELIVERIES, key, record, 0)
            keys.push(key)
          }
        }
      }
      if (keys.length === 0) return
      tx.put(EVENTS_META, 'plan', { outboxSeq: last, next }, meta?.version ?? 0)
      tx.afterCommit(() => {
        if (planned.hasSubscribers) planned.publish({ keys })
        for (const key of keys) this.#enqueue(key)
      })
    })
    this.#batch = []
  }
}
