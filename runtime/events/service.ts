// EventBridge on the engine: the operations of the AWSEvents API (rules and
// targets on the default bus, PutEvents, TestEventPattern, connections and
// API destinations), in EventBridge's shapes both ways, plus the Stratus
// extension that reads the dead letters. Events reach rules through the
// store's outbox: `outboxHandler()` is the events topic's consumer
// (subscribers of the in-process bus, then the deliveries), and the worker
// sends what was planned. Scheduled rules (rate()) fire on the Clock
// (schedules.ts) through their own outbox topic (`scheduledHandler()`).
//
//   commit ─► outbox ─► rules match ─► deliveries (one tx) ─► worker ─► API destination
//                                                                 └─► dead letter

import { PageTokens } from '../aws/pagination.js'
import type { Partition } from '../aws/partition.js'
import type { Clock } from '../clock/clock.js'
import { InvalidArgumentError } from '../errors.js'
import type { Store, OutboxEntry } from '../store/store.js'
import type { CloudEvent, EventBus } from './bus.js'
import { Connections } from './connections.js'
import type { EventsContext } from './context.js'
import { DeadLetterPurge } from './dead-letter-purge.js'
import { DeliveryPlanner } from './delivery-planner.js'
import { DeliveryWorker, type BackoffOptions } from './delivery-worker.js'
import { checkTargetParameters } from './http-parameters.js'
import { HttpTargets } from './http-target.js'
import { DEAD_LETTERS, DEFAULT_BUS, LIMITS, type DeadLetter, type Target } from './model.js'
import { EVENTS_TOPIC, type OutboxRelay } from './outbox-relay.js'
import { pageOf, type PageInput } from './paging.js'
import { matches } from './pattern.js'
import { Rules, type TargetKind } from './rules.js'
import { SCHEDULED_TOPIC, Schedules, type ScheduledEntry } from './schedules.js'
import { invalid, parsePattern } from './validation.js'

export interface PutEventsEntry {
  Source?: string; DetailType?: string; Detail?: string; Resources?: string[]; Time?: Date | number; EventBusName?: string; TraceHeader?: string
}
export interface PutEventsResultEntry { EventId?: string; ErrorCode?: string; ErrorMessage?: string }

/** PutEvents' outbox topic: each event with when it was received (its `time` is the caller's). */
export const PUT_EVENTS_TOPIC = 'events:put'
interface PutEntry { event: CloudEvent; ingestedAt: number }

export interface EventBridgeOptions {
  store: Store
  partition: Partition
  clock: Clock
  bus: EventBus
  delivery?: BackoffOptions
}

/** An entry's size as EventBridge counts it: Source, DetailType, Detail and Resources in UTF-8 bytes, 14 for a Time. */
function entrySize(e: PutEventsEntry): number {
  const text = (v: unknown) => typeof v === 'string' ? Buffer.byteLength(v) : 0
  return text(e.Source) + text(e.DetailType) + text(e.Detail) + (Array.isArray(e.Resources) ? e.Resources.reduce((n, r) => n + text(r), 0) : 0) + (e.Time !== undefined ? 14 : 0)
}

/** The largest time a Date holds (ms from the epoch, either way). */
const MAX_TIME_MS = 8.64e15

/** A PutEvents entry's Time (a Date, or epoch seconds as the wire decodes it) in ms, or undefined when it is no time a Date can hold. */
function timeMs(time: unknown): number | undefined {
  const ms = time instanceof Date ? time.getTime() : typeof time === 'number' ? time * 1000 : NaN
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS ? ms : undefined
}

export class EventBridge {
  readonly rules: Rules
  readonly connections: Connections
  readonly #ctx: EventsContext
  readonly #worker: DeliveryWorker
  readonly #http: HttpTargets
  readonly #planner: DeliveryPlanner
  readonly #plan: (payload: unknown, entry: OutboxEntry) => void
  readonly #planPut: (payload: unknown, entry: OutboxEntry) => void
  readonly #planScheduled: (payload: unknown, entry: OutboxEntry) => void
  readonly #schedules: Schedules
  readonly #purge: DeadLetterPurge
  readonly #removeInterest: () => void

  constructor(options: EventBridgeOptions) {
    const { store, partition, clock, bus } = options
    this.#ctx = { store, partition, clock, bus, tokens: new PageTokens({ now: () => clock.now() }) }
    this.rules = new Rules(this.#ctx)
    this.connections = new Connections(this.#ctx)
    this.#http = new HttpTargets(() => clock.now())
    this.#worker = new DeliveryWorker(this.#ctx, this.connections, this.#http, options.delivery)
    // One planner for both topics: one batch, in outbox order, one transaction per batch.
    this.#planner = new DeliveryPlanner(this.#ctx, this.rules, (key) => this.#worker.enqueue(key))
    this.#plan = this.#planner.handler((payload) => ({ event: payload as CloudEvent, rules: this.rules.matching(payload as CloudEvent) }))
    this.#planPut = this.#planner.handler((payload) => {
      const { event, ingestedAt } = payload as PutEntry
      return { event, rules: this.rules.matching(event), ingestedAt }
    })
    this.#planScheduled = this.#planner.handler((payload) => {
      const { rule, event } = payload as ScheduledEntry
      return { event, rules: [{ name: rule, arn: this.rules.ruleArn(rule) }] }
    })
    this.#schedules = new Schedules(this.#ctx)
    this.#purge = new DeadLetterPurge(this.#ctx)
    // Events are written when an ENABLED rule could match them, not only when someone subscribed.
    this.#removeInterest = bus.addInterest((source, detailType) => this.rules.wants(source, detailType))
  }

  /** The outbox's events topic: the bus's subscribers get the event, and the rules it matches get deliveries. */
  outboxHandler(): (payload: unknown, entry: OutboxEntry) => void {
    return (payload, entry) => {
      this.#ctx.bus.deliver(payload as CloudEvent)
      this.#plan(payload, entry)
    }
  }

  /** The outbox's PutEvents topic: like the events topic, with the time EventBridge received each event. */
  putEventsHandler(): (payload: unknown, entry: OutboxEntry) => void {
    return (payload, entry) => {
      this.#ctx.bus.deliver((payload as PutEntry).event)
      this.#planPut(payload, entry)
    }
  }

  /** The outbox's scheduled-events topic: deliveries to the targets of the one rule that fired. */
  scheduledHandler(): (payload: unknown, entry: OutboxEntry) => void {
    return this.#planScheduled
  }

  /** The relay's flush for both topics: a batch's deliveries written in one transaction, before the batch is acknowledged. */
  get flush(): () => void {
    return this.#planner.flush
  }

  /** Registers both topics on the outbox's consumer. */
  consume(relay: OutboxRelay): OutboxRelay {
    return relay.on(EVENTS_TOPIC, this.outboxHandler(), this.flush).on(PUT_EVENTS_TOPIC, this.putEventsHandler(), this.flush)
      .on(SCHEDULED_TOPIC, this.scheduledHandler(), this.flush)
  }

  /** Starts sending what is pending in the store (after a restart too) and arms the scheduled rules. */
  start(): void {
    this.#worker.start()
    this.#schedules.start()
    this.#purge.start()
  }

  async close(): Promise<void> {
    this.#schedules.close()
    this.#purge.close()
    this.#removeInterest()
    this.rules.close()
    await this.#worker.close()
    await this.#http.close()
  }

  /** Deliveries not yet acknowledged by their target. */
  pendingDeliveries(): number {
    return this.#worker.pending()
  }

  /** Only API destinations of this engine are targets here; anything else is refused naming what is. */
  readonly #kind: TargetKind = (arn, target, field) => {
    const destination = this.connections.destinationByArn(arn)
    if (destination !== undefined) {
      checkTargetParameters(target, field, destination.InvocationEndpoint)
      return { ok: true }
    }
    if (/^arn:[^:]+:events:[^:]*:[^:]*:api-destination\//.test(arn)) {
      return { ok: false, code: 'ResourceNotFoundException', message: `API destination ${arn} does not exist` }
    }
    return { ok: false, code: 'ValidationException', message: `Stratus delivers only to API destinations (arn:…:events:…:api-destination/<name>/<id>); ${arn} is not one` }
  }

  putRule = (input: Parameters<Rules['putRule']>[0]) => this.rules.putRule(input)
  describeRule = (input: Parameters<Rules['describeRule']>[0]) => this.rules.describeRule(input)
  listRules = (input: Parameters<Rules['listRules']>[0] = {}) => this.rules.listRules(input)
  deleteRule = (input: Parameters<Rules['deleteRule']>[0]) => this.rules.deleteRule(input)
  enableRule = (input: { Name: string; EventBusName?: string }) => this.rules.setState(input, 'ENABLED')
  disableRule = (input: { Name: string; EventBusName?: string }) => this.rules.setState(input, 'DISABLED')
  putTargets = (input: { Rule: string; EventBusName?: string; Targets: Target[] }) => this.rules.putTargets(input, this.#kind)
  removeTargets = (input: Parameters<Rules['removeTargets']>[0]) => this.rules.removeTargets(input)
  listTargetsByRule = (input: Parameters<Rules['listTargetsByRule']>[0]) => this.rules.listTargetsByRule(input)
  listRuleNamesByTarget = (input: Parameters<Rules['listRuleNamesByTarget']>[0]) => this.rules.listRuleNamesByTarget(input)

  createConnection = (input: Parameters<Connections['createConnection']>[0]) => this.connections.createConnection(input)
  describeConnection = (input: { Name: string }) => this.connections.describeConnection(input)
  listConnections = (input: Parameters<Connections['listConnections']>[0] = {}) => this.connections.listConnections(input)
  deleteConnection = (input: { Name: string }) => this.connections.deleteConnection(input)
  createApiDestination = (input: Parameters<Connections['createApiDestination']>[0]) => this.connections.createApiDestination(input)
  describeApiDestination = (input: { Name: string }) => this.connections.describeApiDestination(input)
  listApiDestinations = (input: Parameters<Connections['listApiDestinations']>[0] = {}) => this.connections.listApiDestinations(input)
  updateApiDestination = (input: Parameters<Connections['updateApiDestination']>[0]) => this.connections.updateApiDestination(input)
  deleteApiDestination = (input: { Name: string }) => this.connections.deleteApiDestination(input)

  testEventPattern(input: { EventPattern: string; Event: string }): { Result: boolean } {
    const pattern = parsePattern(input.EventPattern)
    let event: unknown
    try {
      event = JSON.parse(input.Event)
    } catch {
      throw invalid('Event', 'is not valid JSON')
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event)) throw invalid('Event', 'must be a JSON object')
    for (const field of ['id', 'account', 'source', 'time', 'region', 'detail-type']) {
      if (!(field in event)) throw invalid('Event', `Parameter Event is not valid: it has no ${field}`)
    }
    return { Result: matches(pattern, event) }
  }

  /**
   * Custom events (up to 10), to the default bus: each accepted entry is
   * written to the outbox in one transaction and goes through the rules (and
   * the bus's subscribers) like the engine's own events. A refused entry is
   * reported in its place, as EventBridge does.
   */
  putEvents(input: { Entries: PutEventsEntry[] }): { FailedEntryCount: number; Entries: PutEventsResultEntry[] } {
    const entries = input?.Entries
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > LIMITS.putEventsEntries) {
      throw invalid('Entries', `must list 1 to ${LIMITS.putEventsEntries} entries`, LIMITS.putEventsEntries)
    }
    // EventBridge's 256 KB is the whole request's: over it, the call is refused and nothing is written.
    const total = entries.reduce((n, e) => n + (e !== null && typeof e === 'object' ? entrySize(e) : 0), 0)
    if (total > LIMITS.eventBytes) throw invalid('Entries', `Total size of the entries in the request is over the limit: ${total} bytes, at most ${LIMITS.eventBytes}`, LIMITS.eventBytes)
    const results: PutEventsResultEntry[] = []
    const events: CloudEvent[] = []
    const ingestedAt = this.#ctx.clock.now()
    for (const e of entries) {
      const refused = this.#refusal(e)
      if (refused !== undefined) {
        results.push(refused)
        continue
      }
      const time = e.Time === undefined ? ingestedAt : timeMs(e.Time)!
      const event = this.#ctx.bus.make(e.Source!, e.DetailType!, [...(e.Resources ?? [])], JSON.parse(e.Detail!) as unknown, time)
      events.push(event)
      results.push({ EventId: event.id })
    }
    if (events.length > 0) {
      this.#ctx.store.transaction((tx) => {
        for (const event of events) if (this.#ctx.bus.wants(event.source, event['detail-type'])) tx.emit(PUT_EVENTS_TOPIC, { event, ingestedAt } satisfies PutEntry)
      })
    }
    const failedCount = results.filter((r) => r.ErrorCode !== undefined).length
    return { FailedEntryCount: failedCount, Entries: results }
  }

  #refusal(e: PutEventsEntry): PutEventsResultEntry | undefined {
    const bad = (ErrorCode: string, ErrorMessage: string) => ({ ErrorCode, ErrorMessage })
    if (e === null || typeof e !== 'object') return bad('InvalidArgument', 'an entry must be an object')
    if (e.EventBusName !== undefined && e.EventBusName !== DEFAULT_BUS) {
      try { this.rules.bus(e.EventBusName) } catch { return bad('InvalidArgument', `Event bus ${e.EventBusName} does not exist (Stratus has only the default event bus)`) }
    }
    if (typeof e.Source !== 'string' || e.Source.length === 0 || e.Source.length > 256) return bad('InvalidArgument', 'Parameter Source is not valid. Reason: Source is a required argument of 1 to 256 characters.')
    if (e.Source.startsWith('aws.')) return bad('NotAuthorizedForSourceException', `Not authorized for the source ${e.Source}: sources starting with aws. are AWS's own`)
    if (typeof e.DetailType !== 'string' || e.DetailType.length === 0 || e.DetailType.length > 128) return bad('InvalidArgument', 'Parameter DetailType is not valid. Reason: DetailType is a required argument of 1 to 128 characters.')
    if (typeof e.Detail !== 'string') return bad('InvalidArgument', 'Parameter Detail is not valid. Reason: Detail is a required argument.')
    let detail: unknown
    try { detail = JSON.parse(e.Detail) } catch { return bad('MalformedDetail', 'Detail is malformed: it is not valid JSON.') }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) return bad('MalformedDetail', 'Detail is malformed: it must be a JSON object.')
    if (e.Resources !== undefined && (!Array.isArray(e.Resources) || e.Resources.some((r) => typeof r !== 'string'))) return bad('InvalidArgument', 'Parameter Resources is not valid: a list of ARNs')
    const size = entrySize(e)
    if (size > LIMITS.eventBytes) return bad('InvalidArgument', `the entry is ${size} bytes; at most ${LIMITS.eventBytes}`)
    if (e.Time !== undefined && timeMs(e.Time) === undefined) {
      return bad('InvalidArgument', `Parameter Time is not valid: a timestamp from ${new Date(-MAX_TIME_MS).toISOString()} to ${new Date(MAX_TIME_MS).toISOString()}, got ${String(e.Time instanceof Date ? 'an invalid date' : e.Time)}`)
    }
    return undefined
  }

  /** Stratus extension: the events given up on, oldest first, with EventBridge's DLQ message attributes. */
  listDeadLetters(input: { Rule?: string; TargetId?: string } & PageInput = {}): { DeadLetters: DeadLetter[]; NextToken?: string } {
    if (input.Rule !== undefined && typeof input.Rule !== 'string') throw new InvalidArgumentError('ValidationException', 'Rule must be a rule name', { field: 'Rule' })
    const page = pageOf<DeadLetter>(this.#ctx.store, this.#ctx.tokens, DEAD_LETTERS, `ListDeadLetters:${input.Rule ?? ''}:${input.TargetId ?? ''}`, input, {
      keep: (r) => (input.Rule === undefined || r.value.Rule === input.Rule) && (input.TargetId === undefined || r.value.TargetId === input.TargetId)
    })
    return { DeadLetters: page.items.map((r) => r.value), ...(page.NextToken ? { NextToken: page.NextToken } : {}) }
  }
}
