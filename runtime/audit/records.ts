// Audit records as CloudTrail writes them (event version 1.08), and how they
// are kept in the Store: one collection, keyed so that ascending key order is
// newest first (an inverted time, then an inverted sequence). No index per
// LookupEvents attribute: a lookup walks the keys and reads each record's
// value for the attribute (ATTRIBUTE_INDEX).

import { randomUUID } from 'node:crypto'
import type { AuditEntry } from '../api/security.js'
import { sessionRoleArn } from '../iam/principal.js'
import type { Partition } from '../aws/partition.js'

export const AUDIT_EVENTS = 'audit:events'

/** The lookup attributes CloudTrail has. */
export const LOOKUP_ATTRIBUTES = ['EventId', 'EventName', 'ReadOnly', 'Username', 'ResourceType', 'ResourceName', 'EventSource', 'AccessKeyId'] as const
export type LookupAttributeKey = (typeof LOOKUP_ATTRIBUTES)[number]

export interface CloudTrailUserIdentity {
  type: string
  principalId: string
  arn: string
  accountId: string
  accessKeyId?: string
  userName?: string
  sessionContext?: { sessionIssuer: { type: 'Role'; principalId: string; arn: string; accountId: string; userName: string } }
}

export interface CloudTrailRecord {
  eventVersion: '1.08'
  userIdentity: CloudTrailUserIdentity
  eventTime: string
  eventSource: string
  eventName: string
  awsRegion: string
  sourceIPAddress: string
  userAgent: string
  errorCode?: string
  errorMessage?: string
  requestParameters: unknown
  responseElements: unknown
  requestID: string
  eventID: string
  readOnly: boolean
  resources?: Array<{ ARN: string; accountId: string; type: string }>
  eventType: 'AwsApiCall'
  managementEvent: true
  recipientAccountId: string
  eventCategory: 'Management'
}

export interface LookupResource { ResourceType: string; ResourceName: string }

/** What the store keeps per call. */
export interface StoredEvent {
  readonly time: number
  readonly username: string
  readonly resources: readonly LookupResource[]
  readonly event: CloudTrailRecord
}

const MAX_TIME = 99_999_999_999_999
const MAX_SEQ = 9_999_999_999

/** The key prefix of every record at `time` (records at that time sort right after it). */
export function timeKey(time: number): string {
  return String(MAX_TIME - Math.max(0, Math.min(MAX_TIME, Math.floor(time)))).padStart(14, '0')
}

export function eventKey(time: number, seq: number, eventId: string): string {
  return `${timeKey(time)}.${String(MAX_SEQ - (seq % MAX_SEQ)).padStart(10, '0')}.${eventId.slice(0, 8)}`
}

const SERVICE_NAMES: Record<string, string> = {
  batch: 'Batch', ecr: 'ECR', ecs: 'ECS', iam: 'IAM', sts: 'STS', logs: 'Logs', lightsail: 'Lightsail', events: 'Events', cloudtrail: 'CloudTrail', elasticloadbalancing: 'ElasticLoadBalancingV2'
}

function pascal(text: string): string {
  return text.split(/[-_]/).map((w) => (w.length === 0 ? w : w[0].toUpperCase() + w.slice(1))).join('')
}

/** `arn:aws:batch:…:job-queue/q` → AWS::Batch::JobQueue. */
export function resourceTypeOf(arn: string): string | undefined {
  const parts = arn.split(':')
  if (parts.length < 6) return undefined
  const resource = parts.slice(5).join(':')
  const type = resource.split(/[/:]/)[0]
  if (type.length === 0) return undefined
  return `AWS::${SERVICE_NAMES[parts[2]] ?? pascal(parts[2])}::${pascal(type)}`
}

/** The ARNs a call names (its input and output, a few levels deep): CloudTrail's resources. */
export function resourcesOf(...values: unknown[]): LookupResource[] {
  const seen = new Set<string>()
  const out: LookupResource[] = []
  const visit = (v: unknown, depth: number): void => {
    if (out.length >= 20 || depth > 4) return
    if (typeof v === 'string') {
      if (v.startsWith('arn:') && !seen.has(v)) {
        const type = resourceTypeOf(v)
        if (type !== undefined) {
          seen.add(v)
          out.push({ ResourceType: type, ResourceName: v })
        }
      }
    } else if (Array.isArray(v)) {
      for (const item of v) visit(item, depth + 1)
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      for (const item of Object.values(v)) visit(item, depth + 1)
    }
  }
  for (const v of values) visit(v, 0)
  return out
}

/** CloudTrail's Username of a principal: the user name, `root`, or a role session's name. */
function usernameOf(entry: AuditEntry): string {
  const p = entry.principal
  if (p.userName !== undefined) return p.userName
  if (p.type === 'Root') return 'root'
  return p.arn.slice(p.arn.lastIndexOf('/') + 1)
}

export function toStoredEvent(entry: AuditEntry, partition: Partition): StoredEvent {
  const p = entry.principal
  const userIdentity: CloudTrailUserIdentity = {
    type: p.type, principalId: p.principalId, arn: p.arn, accountId: p.accountId,
    ...(p.accessKeyId === undefined ? {} : { accessKeyId: p.accessKeyId }),
    ...(p.userName === undefined ? {} : { userName: p.userName }),
    ...(p.type === 'AssumedRole' && p.roleName !== undefined
      ? { sessionContext: { sessionIssuer: { type: 'Role' as const, principalId: p.principalId.split(':')[0], arn: sessionRoleArn(p)!, accountId: p.accountId, userName: p.roleName } } }
      : {})
  }
  const resources = resourcesOf(entry.requestParameters, entry.responseElements)
  const event: CloudTrailRecord = {
    eventVersion: '1.08', userIdentity, eventTime: new Date(entry.time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: entry.eventSource, eventName: entry.eventName, awsRegion: entry.region, sourceIPAddress: entry.sourceIp, userAgent: entry.userAgent,
    ...(entry.errorCode === undefined ? {} : { errorCode: entry.errorCode }),
    ...(entry.errorMessage === undefined ? {} : { errorMessage: entry.errorMessage }),
    requestParameters: entry.requestParameters ?? null, responseElements: entry.readOnly ? null : (entry.responseElements ?? null),
    requestID: entry.requestId, eventID: randomUUID(), readOnly: entry.readOnly,
    ...(resources.length === 0 ? {} : { resources: resources.map((r) => ({ ARN: r.ResourceName, accountId: partition.accountId, type: r.ResourceType })) }),
    eventType: 'AwsApiCall', managementEvent: true, recipientAccountId: partition.accountId, eventCategory: 'Management'
  }
  return { time: entry.time, username: usernameOf(entry), resources, event }
}

/** The values a stored event is found under, per lookup attribute. */
export const ATTRIBUTE_INDEX: Record<LookupAttributeKey, (e: StoredEvent) => string | readonly string[] | undefined> = {
  EventId: (e) => e.event.eventID,
  EventName: (e) => e.event.eventName,
  ReadOnly: (e) => String(e.event.readOnly),
  Username: (e) => e.username,
  ResourceType: (e) => [...new Set(e.resources.map((r) => r.ResourceType))],
  ResourceName: (e) => [...new Set(e.resources.flatMap((r) => [r.ResourceName, r.ResourceName.slice(r.ResourceName.lastIndexOf('/') + 1)]))],
  EventSource: (e) => e.event.eventSource,
  AccessKeyId: (e) => e.event.userIdentity.accessKeyId
}
