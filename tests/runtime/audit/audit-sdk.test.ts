// cloud.audit.lookup(): an async iterable over every page of LookupEvents,
// newest first, with one filter sent to CloudTrail and the others applied to
// what it returns.
import t from 'tap'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { AuditTrail } from '../../../runtime/audit/audit-trail.js'
import { rootPrincipal } from '../../../runtime/iam/principal.js'
import { AuditClient } from '../../../sdk/audit.js'

const T0 = Date.UTC(2026, 0, 1)

t.test('lookup({ eventName, since, until }) walks every page', async (t) => {
  const trail = new AuditTrail({ store: new MemoryStore(), partition: makePartition(), now: () => T0 })
  for (let i = 0; i < 130; i++) {
    trail.record({
      time: T0 + i * 1000, eventSource: 'batch.amazonaws.com', eventName: i % 2 ? 'DescribeJobs' : 'SubmitJob', region: 'us-east-1', sourceIp: '127.0.0.1',
      userAgent: 'test', principal: rootPrincipal('000000000000', 'aws', i < 100 ? 'test' : 'other'), requestParameters: {}, responseElements: {}, requestId: `r${i}`, readOnly: i % 2 === 1
    })
  }
  const audit = new AuditClient(trail)
  const all: string[] = []
  for await (const e of audit.lookup({ pageSize: 7 })) all.push(e.record.requestID)
  t.equal(all.length, 130)
  t.equal(all[0], 'r129', 'newest first')
  const submits: number[] = []
  for await (const e of audit.lookup({ eventName: 'SubmitJob', since: new Date(T0 + 10_000), until: T0 + 59_000 })) submits.push(e.EventTime.getTime())
  t.same(submits, Array.from({ length: 25 }, (_, i) => T0 + (58 - 2 * i) * 1000))
  let both = 0
  for await (const e of audit.lookup({ eventName: 'SubmitJob', accessKeyId: 'other' })) {
    t.equal(e.EventName, 'SubmitJob')
    t.equal(e.AccessKeyId, 'other')
    both++
  }
  t.equal(both, 15, 'the second filter is applied to what the service returns')
})
