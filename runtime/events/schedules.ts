// Scheduled rules: `rate(5 minutes)` fires on the engine's Clock, each time
// writing an EventBridge "Scheduled Event" (source aws.events, resources
// [the rule's ARN]) for that rule's targets alone, in the same transaction as
// the rule's next firing time (events:schedules), so an engine started over
// the store re-arms it (a firing missed while no engine ran happens once, at
// start, as EventBridge does not backfill). cron() is refused, naming rate().

import { channel } from 'node:diagnostics_channel'
import type { TimerHandle } from '../clock/clock.js'
import type { CloudEvent } from './bus.js'
import type { EventsContext } from './context.js'
import { RULES, type RuleRecord } from './model.js'
import { invalid } from './validation.js'

export const SCHEDULES = 'events:schedules'
/** Outbox topic of scheduled events: { rule, event }, for that rule's targets only. */
export const SCHEDULED_TOPIC = 'events:scheduled'

export interface ScheduledEntry { rule: string; event: CloudEvent }
interface ScheduleRecord { periodMs: number; nextAt: number }

const fired = channel('stratus:events:schedule-fired')
const UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }

/** The period of a rate() expression in ms; anything else refused naming the member. */
export function schedulePeriod(expression: unknown, field = 'ScheduleExpression'): number {
  if (typeof expression !== 'string' || expression.length > 256) throw invalid(field, 'must be rate(<value> <unit>) of at most 256 characters', 256)
  if (expression.startsWith('cron(')) throw invalid(field, 'cron() schedules are not supported by Stratus; use rate(<value> minute(s)|hour(s)|day(s))', 'rate()')
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression)
  if (m === null) throw invalid(field, `must be rate(<value> minute(s)|hour(s)|day(s)), got ${JSON.stringify(expression)}`, 'rate()')
  const value = Number(m[1])
  const unit = m[2].replace(/s$/, '')
  if (value < 1) throw invalid(field, 'the rate must be at least 1', 1)
  if ((value === 1) !== (m[2] === unit)) throw invalid(field, `write rate(1 ${unit}) for one and rate(${value === 1 ? 2 : value} ${unit}s) for more, as EventBridge does`)
  return value * UNITS[unit]
}

export class Schedules {
  readonly #ctx: EventsContext
  readonly #timers = new Map<string, TimerHandle>()
  #unwatch: (() => void) | undefined
  #closed = false

  constructor(ctx: EventsContext) {
    this.#ctx = ctx
  }

  /** Arms every ENABLED scheduled rule, and follows the rules from now on. */
  start(): void {
    this.#unwatch = this.#ctx.store.watch<RuleRecord>(RULES, (change) => this.#follow(change.key, change.value))
    for (const { key, value } of this.#ctx.store.scan<RuleRecord>(RULES)) this.#follow(key, value)
  }

  close(): void {
    this.#closed = true
    this.#unwatch?.()
    for (const timer of this.#timers.values()) this.#ctx.clock.clearTimeout(timer)
    this.#timers.clear()
  }

  #follow(name: string, rule: RuleRecord | undefined): void {
    if (this.#closed) return
    this.#ctx.clock.clearTimeout(this.#timers.get(name))
    this.#timers.delete(name)
    const store = this.#ctx.store
    const current = store.get<ScheduleRecord>(SCHEDULES, name)
    if (rule?.ScheduleExpression === undefined || rule.State !== 'ENABLED') {
      if (current !== undefined) store.delete(SCHEDULES, name)
      return
    }
    const periodMs = schedulePeriod(rule.ScheduleExpression)
    let nextAt = current?.value.nextAt
    if (current === undefined || current.value.periodMs !== periodMs) {
      nextAt = this.#ctx.clock.now() + periodMs
      store.put<ScheduleRecord>(SCHEDULES, name, { periodMs, nextAt }, current?.version ?? 0)
    }
    this.#timers.set(name, this.#ctx.clock.setTimeout(() => this.#fire(name), Math.max(0, nextAt! - this.#ctx.clock.now())))
  }

  #fire(name: string): void {
    this.#timers.delete(name)
    if (this.#closed) return
    const now = this.#ctx.clock.now()
    const next = this.#ctx.store.transaction((tx) => {
      const rule = tx.get<RuleRecord>(RULES, name)?.value
      const schedule = tx.get<ScheduleRecord>(SCHEDULES, name)
      if (rule === undefined || rule.State !== 'ENABLED' || rule.ScheduleExpression === undefined || schedule === undefined) return undefined
      const event = this.#ctx.bus.make('aws.events', 'Scheduled Event', [rule.Arn], {}, schedule.value.nextAt)
      tx.emit(SCHEDULED_TOPIC, { rule: name, event } satisfies ScheduledEntry)
      let nextAt = schedule.value.nextAt + schedule.value.periodMs
      if (nextAt <= now) nextAt = now + schedule.value.periodMs
      tx.put<ScheduleRecord>(SCHEDULES, name, { periodMs: schedule.value.periodMs, nextAt }, schedule.version)
      if (fired.hasSubscribers) tx.afterCommit(() => fired.publish({ rule: name, event }))
      return nextAt
    })
    if (next !== undefined && !this.#closed) this.#timers.set(name, this.#ctx.clock.setTimeout(() => this.#fire(name), Math.max(0, next - this.#ctx.clock.now())))
  }
}
