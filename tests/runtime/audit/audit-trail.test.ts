// The audit trail: one CloudTrail-shaped record per call, in the Store,
// served newest first by LookupEvents with CloudTrail's filters (one lookup
// attribute), time range, paging and errors; bounded by count and by 90 days.
import t from 'tap'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { AuditTrail } from '../../../runtime/audit/audit-trail.js'
import { rootPrincipal, type Principal } from '../../../runtime/iam/principal.js'
import type { AuditEntry } from '../../../runtime/api/security.js'

const partition = makePartition('000000000000', 'us-east-1')
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)
const alice: Principal = { type: 'IAMUser', arn: 'arn:aws:iam::000000000000:user/alice', accountId: '000000000000', principalId: 'AIDAALICE', userName: 'alice', accessKeyId: 'AKIAALICE', tags: {} }
const QUEUE = 'arn:aws:batch:us-east-1:000000000000:job-queue/q'

function entry(i: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    time: T0 + i * 1000, eventSource: 'batch.amazonaws.com', eventName: i % 2 === 0 ? 'SubmitJob' : 'DescribeJobs', region: 'us-east-1',
    sourceIp: '127.0.0.1', userAgent: 'aws-sdk-js/3', principal: i % 3 === 0 ? rootPrincipal('000000000000', 'aws', 'test') : alice,
    requestParameters: { jobName: `j${i}`, jobQueue: QUEUE }, responseElements: { jobId: `id-${i}` }, requestId: `req-${i}`, readOnly: i % 2 === 1, ...over
  }
}

t.test('a record is CloudTrail\'s shape, in the store after the turn, and LookupEvents serves it', async (t) => {
  const store = new MemoryStore()
  const trail = new AuditTrail({ store, partition, now: () => T0 })
  trail.record(entry(2, { principal: alice }))
  trail.record(entry(3, { principal: alice, errorCode: 'AccessDeniedException', errorMessage: 'User: … is not authorized' }))
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(store.count('audit:events'), 2, 'written without a lookup')
  const { Events } = trail.lookupEvents()
  t.same(Events.map((e) => e.EventName), ['DescribeJobs', 'SubmitJob'], 'newest first')
  const submit = Events[1]
  t.match(submit, { EventName: 'SubmitJob', ReadOnly: 'false', AccessKeyId: 'AKIAALICE', EventSource: 'batch.amazonaws.com', Username: 'alice',
    Resources: [{ ResourceType: 'AWS::Batch::JobQueue', ResourceName: QUEUE }] })
  t.same(submit.EventTime, new Date(T0 + 2000))
  const record = JSON.parse(submit.CloudTrailEvent)
  t.match(record, {
    eventVersion: '1.08', eventTime: '2026-01-01T12:00:02Z', eventSource: 'batch.amazonaws.com', eventName: 'SubmitJob', awsRegion: 'us-east-1',
    sourceIPAddress: '127.0.0.1', userAgent: 'aws-sdk-js/3',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAALICE', arn: alice.arn, accountId: '000000000000', accessKeyId: 'AKIAALICE', userName: 'alice' },
    requestParameters: { jobName: 'j2', jobQueue: QUEUE }, responseElements: { jobId: 'id-2' }, requestID: 'req-2',
    eventID: /^[0-9a-f-]{36}$/, readOnly: false, eventType: 'AwsApiCall', managementEvent: true, recipientAccountId: '000000000000', eventCategory: 'Management'
  })
  const failed = JSON.parse(Events[0].CloudTrailEvent)
  t.match(failed, { errorCode: 'AccessDeniedException', errorMessage: /not authorized/, responseElements: null, readOnly: true }, 'a read-only call keeps no response elements')
  t.same(trail.lookupEvents({ LookupAttributes: [{ AttributeKey: 'EventId', AttributeValue: record.eventID }] }).Events.map((e) => e.EventId), [record.eventID])
})

t.test('lookup attributes, time range and paging', async (t) => {
  const trail = new AuditTrail({ store: new MemoryStore(), partition, now: () => T0 })
  for (let i = 0; i < 30; i++) trail.record(entry(i))
  const by = (AttributeKey: string, AttributeValue: string) => trail.lookupEvents({ LookupAttributes: [{ AttributeKey, AttributeValue }] }).Events
  t.equal(by('EventName', 'SubmitJob').length, 15)
  t.ok(by('EventName', 'SubmitJob').every((e) => e.EventName === 'SubmitJob'))
  t.equal(by('ReadOnly', 'true').length, 15)
  t.equal(by('Username', 'root').length, 10)
  t.equal(by('Username', 'alice').length, 20)
  t.equal(by('AccessKeyId', 'test').length, 10)
  t.equal(by('EventSource', 'batch.amazonaws.com').length, 30)
  t.equal(by('ResourceType', 'AWS::Batch::JobQueue').length, 30)
  t.equal(by('ResourceName', QUEUE).length, 30)
  t.equal(by('ResourceName', 'q').length, 30, 'by the resource\'s name too')
  t.equal(by('EventName', 'CancelJob').length, 0)
  const ranged = trail.lookupEvents({ StartTime: new Date(T0 + 10_000), EndTime: new Date(T0 + 19_000) }).Events
  t.same(ranged.map((e) => e.EventTime.getTime()), Array.from({ length: 10 }, (_, i) => T0 + (19 - i) * 1000), 'inclusive range, newest first')
  const seen: string[] = []
  let NextToken: string | undefined
  let pages = 0
  do {
    const page = trail.lookupEvents({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'SubmitJob' }], MaxResults: 4, ...(NextToken ? { NextToken } : {}) })
    seen.push(...page.Events.map((e) => JSON.parse(e.CloudTrailEvent).requestID))
    NextToken = page.NextToken
    pages++
  } while (NextToken !== undefined)
  t.equal(pages, 4)
  t.same(seen, Array.from({ length: 15 }, (_, i) => `req-${28 - 2 * i}`), 'every SubmitJob once, newest first')
  t.equal(trail.lookupEvents({ EventCategory: 'insight' }).Events.length, 0)
})

t.test('CloudTrail\'s errors', async (t) => {
  const trail = new AuditTrail({ store: new MemoryStore(), partition, now: () => T0 })
  trail.record(entry(0))
  t.throws(() => trail.lookupEvents({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'a' }, { AttributeKey: 'Username', AttributeValue: 'b' }] }), { code: 'InvalidLookupAttributesException' })
  t.throws(() => trail.lookupEvents({ LookupAttributes: [{ AttributeKey: 'Colour', AttributeValue: 'a' }] }), { code: 'InvalidLookupAttributesException', message: /AttributeKey must be one of/ })
  t.throws(() => trail.lookupEvents({ StartTime: new Date(T0 + 1), EndTime: new Date(T0) }), { code: 'InvalidTimeRangeException' })
  t.throws(() => trail.lookupEvents({ MaxResults: 51 }), { code: 'InvalidMaxResultsException', limit: 50 })
  t.throws(() => trail.lookupEvents({ MaxResults: 0 }), { code: 'InvalidMaxResultsException' })
  t.throws(() => trail.lookupEvents({ NextToken: 'forged' }), { code: 'InvalidNextTokenException' })
  for (let i = 1; i < 5; i++) trail.record(entry(i))
  const { NextToken } = trail.lookupEvents({ MaxResults: 2 })
  t.throws(() => trail.lookupEvents({ MaxResults: 2, NextToken, LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'SubmitJob' }] }), { code: 'InvalidNextTokenException' }, 'a token of another query')
})

t.test('bounded: a count cap (oldest dropped) and 90 days of history; the trail survives as the store does', async (t) => {
  const store = new MemoryStore()
  let now = T0
  const trail = new AuditTrail({ store, partition, now: () => now, maxRecords: 10 })
  for (let i = 0; i < 25; i++) trail.record(entry(i))
  t.equal(trail.size, 10)
  t.same(trail.lookupEvents().Events.map((e) => JSON.parse(e.CloudTrailEvent).requestID), Array.from({ length: 10 }, (_, i) => `req-${24 - i}`), 'the newest 10 are kept')
  const again = new AuditTrail({ store, partition, now: () => now, maxRecords: 10 })
  t.equal(again.lookupEvents().Events.length, 10, 'a trail over the same store has the records')
  now = T0 + 90 * 86_400_000 + 15_500
  again.record(entry(100, { time: now }))
  again.flush()
  t.same(again.lookupEvents().Events.map((e) => JSON.parse(e.CloudTrailEvent).requestID), ['req-100', 'req-24', 'req-23', 'req-22', 'req-21', 'req-20', 'req-19', 'req-18', 'req-17', 'req-16'],
    'records older than 90 days are dropped')
  now += 86_400_000
  again.record(entry(101, { time: now }))
  t.same(again.lookupEvents().Events.map((e) => JSON.parse(e.CloudTrailEvent).requestID), ['req-101', 'req-100'])
})
