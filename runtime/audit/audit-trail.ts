// The audit trail: one CloudTrail-shaped record per API call, kept in the
// Store and served by LookupEvents. Writing is cheap: record() only queues the
// entry; the queue is written as one transaction per turn of the event loop
// (or as soon as it holds `batchSize` entries), so a burst of calls costs one
// commit, not one per call. The trail is bounded like CloudTrail's event
// history: 90 days, and at most `maxRecords` (oldest dropped first).
//
//   record() ─► pending[] ─(setImmediate | batchSize)─► flush(): one transaction
//                                                      puts + prunes oldest
//   lookupEvents() ─► flush() ─► scan newest first, matching the attribute
//
// No store index per lookup attribute: eight index updates per call cost the
// wire more than the rare lookup saves (LookupEvents is rate-limited to 2/s on
// AWS); a lookup walks the newest-first keys and stops at a page or StartTime.

import { InvalidArgumentError } from '../errors.js'
import { PageTokens } from '../aws/pagination.js'
import type { Partition } from '../aws/partition.js'
import type { Store } from '../store/store.js'
import type { AuditEntry, AuditSink } from '../api/security.js'
import {
  ATTRIBUTE_INDEX, AUDIT_EVENTS, LOOKUP_ATTRIBUTES, eventKey, timeKey, toStoredEvent, type LookupAttributeKey, type LookupResource, type StoredEvent
} from './records.js'

export const AUDIT_DEFAULTS = { maxRecords: 100_000, retentionMs: 90 * 86_400_000, batchSize: 512 } as const

export interface AuditTrailOptions {
  store: Store
  partition: Partition
  /** The engine's clock (retention). */
  now?: () => number
  maxRecords?: number
  retentionMs?: number
  /** Entries queued before a write is forced without waiting for the next turn. */
  batchSize?: number
}

export interface LookupEventsRequest {
  LookupAttributes?: Array<{ AttributeKey: string; AttributeValue: string }>
  StartTime?: Date | number
  EndTime?: Date | number
  EventCategory?: string
  MaxResults?: number
  NextToken?: string
}

export interface TrailEvent {
  EventId: string
  EventName: string
  ReadOnly: string
  AccessKeyId?: string
  EventTime: Date
  EventSource: string
  Username: string
  Resources: LookupResource[]
  /** The CloudTrail record as JSON text. */
  CloudTrailEvent: string
}

export interface LookupEventsResponse { Events: TrailEvent[]; NextToken?: string }

/** The audit trail as the SDKs see it (embedded, or over the wire). */
export interface AuditService {
  lookupEvents(input: LookupEventsRequest): Promise<LookupEventsResponse> | LookupEventsResponse
}

const SCAN_CHUNK = 1024

/** Whether an attribute function maps a record to `value` (one of its values, for lists). */
function matcher(of: (e: StoredEvent) => string | readonly string[] | undefined, value: string): (e: StoredEvent) => boolean {
  return (e) => {
    const found = of(e)
    return typeof found === 'string' ? found === value : found !== undefined && found.includes(value)
  }
}

function invalid(code: string, message: string, field: string, limit?: number): InvalidArgumentError {
  return new InvalidArgumentError(code, message, { field, ...(limit === undefined ? {} : { limit }) })
}

function epochMs(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value * 1000 : Number.NaN
  if (!Number.isFinite(ms)) throw invalid('InvalidTimeRangeException', `${field} must be a timestamp`, field)
  return ms
}

export class AuditTrail implements AuditSink, AuditService {
  readonly #store: Store
  readonly #partition: Partition
  readonly #now: () => number
  readonly #maxRecords: number
  readonly #retentionMs: number
  readonly #batchSize: number
  readonly #tokens: PageTokens
  #pending: AuditEntry[] = []
  #scheduled: NodeJS.Immediate | undefined
  /** Keys oldest first from #head (a cache of the collection's order, rebuilt at start): what pruning drops. */
  #byAge: string[]
  #head = 0
  #seq = 0

  constructor(options: AuditTrailOptions) {
    this.#store = options.store
    this.#partition = options.partition
    this.#now = options.now ?? Date.now
    this.#maxRecords = options.maxRecords ?? AUDIT_DEFAULTS.maxRecords
    this.#retentionMs = options.retentionMs ?? AUDIT_DEFAULTS.retentionMs
    this.#batchSize = options.batchSize ?? AUDIT_DEFAULTS.batchSize
    if (!Number.isInteger(this.#maxRecords) || this.#maxRecords < 1) throw invalid('InvalidAuditLimit', `maxRecords must be a positive integer, got ${this.#maxRecords}`, 'maxRecords', 1)
    this.#tokens = new PageTokens({ now: this.#now })
    this.#byAge = this.#store.scan(AUDIT_EVENTS).map((r) => r.key).reverse()
  }

  /** Queues one call's record; it is in the store after this turn of the event loop (or at the next lookup / flush). */
  record(entry: AuditEntry): void {
    this.#pending.push(entry)
    if (this.#pending.length >= this.#batchSize) this.flush()
    else if (this.#scheduled === undefined) this.#scheduled = setImmediate(() => this.flush())
  }

  /** Writes every queued record in one transaction and drops what is past the bounds. */
  flush(): void {
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled)
      this.#scheduled = undefined
    }
    const batch = this.#pending
    if (batch.length === 0) return
    this.#pending = []
    const keys: string[] = []
    const cutoff = this.#now() - this.#retentionMs
    this.#store.transaction((tx) => {
      for (const entry of batch) {
        if (entry.time < cutoff) continue
        const stored = toStoredEvent(entry, this.#partition)
        const key = eventKey(entry.time, this.#seq++, stored.event.eventID)
        tx.put(AUDIT_EVENTS, key, stored, 0)
        keys.push(key)
      }
      // Calls arrive in time order but for a few concurrent ones: keep the age list sorted by key (descending = oldest first).
      keys.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))
      this.#byAge.push(...keys)
      this.#prune(tx, cutoff)
    })
  }

  #prune(tx: import('../store/store.js').Transaction, cutoff: number): void {
    const cutoffKey = timeKey(cutoff)
    while (this.#byAge.length - this.#head > this.#maxRecords || (this.#head < this.#byAge.length && this.#byAge[this.#head] > cutoffKey && !this.#byAge[this.#head].startsWith(cutoffKey))) {
      tx.delete(AUDIT_EVENTS, this.#byAge[this.#head++])
    }
    if (this.#head > 4096 && this.#head * 2 > this.#byAge.length) {
      this.#byAge = this.#byAge.slice(this.#head)
      this.#head = 0
    }
  }

  /** Records kept (after a flush). */
  get size(): number {
    this.flush()
    return this.#byAge.length - this.#head
  }

  /** CloudTrail LookupEvents: newest first, one lookup attribute at most, a time range, pages of 1–50. */
  lookupEvents(input: LookupEventsRequest = {}): LookupEventsResponse {
    const attributes = input.LookupAttributes ?? []
    if (!Array.isArray(attributes) || attributes.length > 1) {
      throw invalid('InvalidLookupAttributesException', 'You cannot specify more than one lookup attribute.', 'LookupAttributes', 1)
    }
    const attribute = attributes[0]
    if (attribute !== undefined) {
      if (!(LOOKUP_ATTRIBUTES as readonly string[]).includes(attribute.AttributeKey)) {
        throw invalid('InvalidLookupAttributesException', `LookupAttributes[0].AttributeKey must be one of ${LOOKUP_ATTRIBUTES.join(', ')}, got ${String(attribute.AttributeKey)}`, 'LookupAttributes[0].AttributeKey')
      }
      if (typeof attribute.AttributeValue !== 'string' || attribute.AttributeValue.length < 1 || attribute.AttributeValue.length > 2000) {
        throw invalid('InvalidLookupAttributesException', 'LookupAttributes[0].AttributeValue must be 1 to 2000 characters', 'LookupAttributes[0].AttributeValue', 2000)
      }
    }
    const start = epochMs(input.StartTime, 'StartTime')
    const end = epochMs(input.EndTime, 'EndTime')
    if (start !== undefined && end !== undefined && start > end) throw invalid('InvalidTimeRangeException', 'StartTime must be earlier than EndTime', 'StartTime')
    const max = input.MaxResults ?? 50
    if (!Number.isInteger(max) || max < 1 || max > 50) throw invalid('InvalidMaxResultsException', `MaxResults must be from 1 to 50, got ${String(input.MaxResults)}`, 'MaxResults', 50)
    if (input.EventCategory !== undefined && input.EventCategory !== 'insight') {
      throw invalid('InvalidEventCategoryException', `EventCategory must be insight, got ${String(input.EventCategory)}`, 'EventCategory')
    }
    const scope = JSON.stringify(['LookupEvents', attribute?.AttributeKey, attribute?.AttributeValue, start, end, input.EventCategory])
    let after = end === undefined ? undefined : timeKey(end)
    if (input.NextToken !== undefined) {
      const position = this.#tokens.read(input.NextToken, scope, { code: 'InvalidNextTokenException', field: 'NextToken' })
      if (after === undefined || position > after) after = position
    }
    if (input.EventCategory === 'insight') return { Events: [] }
    this.flush()
    const value = attribute === undefined ? undefined : attribute.AttributeKey === 'ReadOnly' ? attribute.AttributeValue.toLowerCase() : attribute.AttributeValue
    const matches = attribute === undefined ? undefined : matcher(ATTRIBUTE_INDEX[attribute.AttributeKey as LookupAttributeKey], value!)
    const rows = this.#newestFirst(after, start, max + 1, matches)
    const page = rows.slice(0, max)
    const more = rows.length > max
    return {
      Events: page.map(({ value: e }) => ({
        EventId: e.event.eventID, EventName: e.event.eventName, ReadOnly: String(e.event.readOnly),
        ...(e.event.userIdentity.accessKeyId === undefined ? {} : { AccessKeyId: e.event.userIdentity.accessKeyId }),
        EventTime: new Date(e.time), EventSource: e.event.eventSource, Username: e.username, Resources: [...e.resources], CloudTrailEvent: JSON.stringify(e.event)
      })),
      ...(more ? { NextToken: this.#tokens.issue(scope, rows[max - 1].key) } : {})
    }
  }

  /** Up to `limit` records after key `after` (newest first), at or after `start`, that `matches` accepts. */
  #newestFirst(after: string | undefined, start: number | undefined, limit: number, matches: ((e: StoredEvent) => boolean) | undefined) {
    const out: Array<{ key: string; value: StoredEvent }> = []
    let from = after
    for (;;) {
      const chunk = this.#store.scan<StoredEvent>(AUDIT_EVENTS, { ...(from === undefined ? {} : { after: from }), limit: SCAN_CHUNK })
      for (const row of chunk) {
        if (start !== undefined && row.value.time < start) return out
        if (matches !== undefined && !matches(row.value)) continue
        out.push(row)
        if (out.length === limit) return out
      }
      if (chunk.length < SCAN_CHUNK) return out
      from = chunk[chunk.length - 1].key
    }
  }

  /** Writes what is queued; the trail keeps working (close is for the engine's shutdown). */
  close(): void {
    this.flush()
  }
}
