// From a committed event to its deliveries: the outbox's events topic hands
// each event here; the ENABLED rules it matches and their targets give one
// delivery record each (with the body already shaped by the target's input
// members), all written in one store transaction with the outbox seq it came
// from. The outbox entry is acknowledged only after that, so a crash between
// the event's commit and its deliveries' loses nothing, and an entry seen
// again after a crash is not planned twice (its seq is not above the last one
// planned).

import { channel } from 'node:diagnostics_channel'
import type { OutboxEntry } from '../store/store.js'
import type { CloudEvent } from './bus.js'
import type { EventsContext } from './context.js'
import { targetInput } from './input.js'
import { DELIVERIES, EVENTS_META, pad, type DeliveryRecord } from './model.js'
import type { Rules } from './rules.js'
import { retryPolicy } from './validation.js'

const planned = channel('stratus:events:planned')

interface PlanMeta { outboxSeq: number; next: number }

/** Which rules an outbox entry is for: those its event matches (the events topic), or the one it names (scheduled events). */
export type RuleSelection = (payload: unknown) => { event: CloudEvent; rules: ReadonlyArray<{ name: string; arn: string }> }

export function planDeliveries(ctx: EventsContext, rules: Rules, select: RuleSelection, enqueue: (key: string) => void): (payload: unknown, entry: OutboxEntry) => void {
  return (payload, entry) => {
    const { event, rules: matched } = select(payload)
    if (matched.length === 0) return
    ctx.store.transaction((tx) => {
      const meta = tx.get<PlanMeta>(EVENTS_META, 'plan')
      if (meta !== undefined && meta.value.outboxSeq >= entry.seq) return
      let next = meta?.value.next ?? 1
      const now = ctx.clock.now()
      const keys: string[] = []
      for (const rule of matched) {
        for (const target of rules.targetsOf(tx, rule.name)) {
          const policy = retryPolicy(target.RetryPolicy, 'RetryPolicy')
          const key = `${rule.name}/${target.Id}/${pad(next++)}`
          const record: DeliveryRecord = {
            event, rule: rule.name, ruleArn: rule.arn, targetId: target.Id, targetArn: target.Arn, body: targetInput(target, event, rule),
            maximumRetryAttempts: policy.maximumRetryAttempts, maximumEventAgeSeconds: policy.maximumEventAgeSeconds, attempts: 0, createdAt: now, nextAttemptAt: now
          }
          tx.put(DELIVERIES, key, record, 0)
          keys.push(key)
        }
      }
      if (keys.length === 0) return
      tx.put(EVENTS_META, 'plan', { outboxSeq: entry.seq, next }, meta?.version ?? 0)
      tx.afterCommit(() => {
        if (planned.hasSubscribers) planned.publish({ event, keys })
        for (const key of keys) enqueue(key)
      })
    })
  }
}
