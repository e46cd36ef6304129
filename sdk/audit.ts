// The audit part of the SDK: `for await (const e of cloud.audit.lookup({ eventName, since, until }))`
// walks every page of CloudTrail's LookupEvents, newest first, over the audit
// service interface (runtime/audit) — embedded or remote.

import { InvalidArgumentError } from '../runtime/index.js'
import type { AuditService, CloudTrailRecord, LookupEventsRequest, TrailEvent } from '../runtime/index.js'

export interface AuditFilter {
  eventName?: string
  eventSource?: string
  username?: string
  accessKeyId?: string
  eventId?: string
  readOnly?: boolean
  resourceName?: string
  resourceType?: string
  since?: Date | number
  until?: Date | number
  /** Events per page (1–50, default 50). */
  pageSize?: number
}

/** An event as LookupEvents returns it, with its CloudTrail record parsed. */
export interface AuditEvent extends TrailEvent {
  readonly record: CloudTrailRecord
}

const ATTRIBUTES: Array<[keyof AuditFilter, string]> = [
  ['eventId', 'EventId'], ['eventName', 'EventName'], ['username', 'Username'], ['accessKeyId', 'AccessKeyId'], ['resourceName', 'ResourceName'],
  ['resourceType', 'ResourceType'], ['eventSource', 'EventSource'], ['readOnly', 'ReadOnly']
]

function asDate(value: Date | number | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined
  const d = value instanceof Date ? value : new Date(value)
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('InvalidTimeRangeException', `${field}: must be a Date or epoch milliseconds`, { field })
  return d
}

export class AuditClient {
  readonly service: AuditService

  constructor(service: AuditService) {
    this.service = service
  }

  /**
   * Every matching event, newest first, across all pages. CloudTrail filters
   * on one attribute: the first one given goes to the service, any others
   * are applied to what it returns.
   */
  async *lookup(filter: AuditFilter = {}): AsyncIterableIterator<AuditEvent> {
    const given = ATTRIBUTES.filter(([k]) => filter[k] !== undefined).map(([k, AttributeKey]) => ({ AttributeKey, AttributeValue: String(filter[k]) }))
    const [server, ...local] = given
    const since = asDate(filter.since, 'since')
    const until = asDate(filter.until, 'until')
    const base: LookupEventsRequest = {
      ...(server ? { LookupAttributes: [server] } : {}), ...(since ? { StartTime: since } : {}), ...(until ? { EndTime: until } : {}),
      ...(filter.pageSize ? { MaxResults: filter.pageSize } : {})
    }
    let NextToken: string | undefined
    do {
      const page = await this.service.lookupEvents({ ...base, ...(NextToken ? { NextToken } : {}) })
      for (const event of page.Events) {
        const record = JSON.parse(event.CloudTrailEvent) as CloudTrailRecord
        const audited: AuditEvent = { ...event, record }
        if (local.every((a) => matches(audited, a.AttributeKey, a.AttributeValue))) yield audited
      }
      NextToken = page.NextToken
    } while (NextToken !== undefined)
  }
}

function matches(e: AuditEvent, key: string, value: string): boolean {
  switch (key) {
    case 'EventId': return e.EventId === value
    case 'EventName': return e.EventName === value
    case 'Username': return e.Username === value
    case 'AccessKeyId': return e.AccessKeyId === value
    case 'EventSource': return e.EventSource === value
    case 'ReadOnly': return e.ReadOnly === value.toLowerCase()
    case 'ResourceName': return e.Resources.some((r) => r.ResourceName === value || r.ResourceName.endsWith(`/${value}`))
    case 'ResourceType': return e.Resources.some((r) => r.ResourceType === value)
    default: return false
  }
}
