// EventBridge event patterns: what matches what, as EventBridge documents it
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html).
import t from 'tap'
import { matches, validatePattern, type EventPattern } from '../../../runtime/events/pattern.js'

const event = {
  version: '0',
  source: 'aws.batch',
  'detail-type': 'Batch Job State Change',
  resources: ['arn:aws:batch:us-east-1:000000000000:job/abc', 'arn:aws:batch:us-east-1:000000000000:job-queue/q'],
  detail: {
    jobName: 'nightly-etl',
    status: 'FAILED',
    statusReason: 'Essential container in task exited',
    attempts: [{ container: { exitCode: 3 } }, { container: { exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' } }],
    container: { exitCode: 137, vcpus: 2, memory: 2048, logStreamName: 'etl/default/abc-1' },
    tags: ['nightly', 'etl'],
    isCancelled: false,
    parameters: {},
    empty: '',
    nothing: null
  }
}

const yes = (pattern: EventPattern, message: string) => t.ok(matches(pattern, event), `matches: ${message}`)
const no = (pattern: EventPattern, message: string) => t.notOk(matches(pattern, event), `no match: ${message}`)

t.test('exact values; a list means any of them; fields are ANDed; unnamed fields are ignored', async () => {
  yes({ source: ['aws.batch'] }, 'one value')
  yes({ source: ['aws.ecs', 'aws.batch'] }, 'any value of the list')
  no({ source: ['aws.ecs'] }, 'other value')
  no({ source: ['AWS.BATCH'] }, 'case-sensitive')
  yes({ source: ['aws.batch'], detail: { status: ['FAILED'] } }, 'all fields match')
  no({ source: ['aws.batch'], detail: { status: ['SUCCEEDED'] } }, 'one field does not')
  yes({}, 'the empty pattern matches everything')
  no({ detail: { missing: ['x'] } }, 'a named field must exist')
})

t.test('types: numbers, booleans, null and the empty string match only their own kind', async () => {
  yes({ detail: { container: { exitCode: [137] } } }, 'number')
  no({ detail: { container: { exitCode: ['137'] } } }, 'a string is not a number')
  yes({ detail: { isCancelled: [false] } }, 'boolean')
  no({ detail: { isCancelled: ['false'] } }, 'a string is not a boolean')
  yes({ detail: { nothing: [null] } }, 'null')
  no({ detail: { empty: [null] } }, 'an empty string is not null')
  yes({ detail: { empty: [''] } }, 'empty string')
})

t.test('nested objects, and arrays in the event (any element)', async () => {
  yes({ detail: { container: { logStreamName: ['etl/default/abc-1'] } } }, 'two levels down')
  no({ detail: { container: { logStreamName: [{ exists: true }], nope: { deeper: ['x'] } } } }, 'an intermediate object that does not exist')
  yes({ resources: ['arn:aws:batch:us-east-1:000000000000:job-queue/q'] }, 'an array field matches when any element does')
  yes({ detail: { tags: ['etl', 'other'] } }, 'intersection of pattern and event arrays is not empty')
  no({ detail: { tags: ['weekly'] } }, 'no common element')
  yes({ detail: { attempts: { container: { exitCode: [3] } } } }, 'objects inside an event array')
  yes({ detail: { attempts: { container: { reason: [{ prefix: 'OutOfMemory' }] } } } }, 'a matcher inside an array of objects')
  no({ detail: { attempts: { container: { exitCode: [1] } } } }, 'no element matches')
  no({ detail: { status: { nested: ['x'] } } }, 'a nested pattern against a string')
  no({ detail: { container: ['x'] } }, 'a value against an object')
})

t.test('prefix and suffix', async () => {
  yes({ detail: { jobName: [{ prefix: 'nightly-' }] } }, 'prefix')
  yes({ detail: { jobName: [{ prefix: '' }] } }, 'empty prefix')
  no({ detail: { jobName: [{ prefix: 'weekly-' }] } }, 'other prefix')
  no({ detail: { container: { exitCode: [{ prefix: '1' }] } } }, 'a number has no prefix')
  yes({ detail: { container: { logStreamName: [{ suffix: '-1' }] } } }, 'suffix')
  no({ detail: { container: { logStreamName: [{ suffix: '-2' }] } } }, 'other suffix')
  yes({ detail: { jobName: [{ prefix: { 'equals-ignore-case': 'NIGHTLY' } }] } }, 'prefix, ignoring case')
  yes({ detail: { jobName: [{ suffix: { 'equals-ignore-case': '-ETL' } }] } }, 'suffix, ignoring case')
  no({ detail: { jobName: [{ prefix: { 'equals-ignore-case': 'WEEKLY' } }] } }, 'other prefix, ignoring case')
})

t.test('equals-ignore-case', async () => {
  yes({ detail: { status: [{ 'equals-ignore-case': 'failed' }] } }, 'lower case')
  yes({ source: [{ 'equals-ignore-case': 'AWS.Batch' }] }, 'mixed case')
  no({ detail: { status: [{ 'equals-ignore-case': 'fail' }] } }, 'whole value only')
  no({ detail: { container: { exitCode: [{ 'equals-ignore-case': '137' }] } } }, 'numbers are not strings')
})

t.test('wildcard', async () => {
  yes({ detail: { jobName: [{ wildcard: 'nightly-*' }] } }, 'trailing *')
  yes({ detail: { jobName: [{ wildcard: '*-etl' }] } }, 'leading *')
  yes({ detail: { container: { logStreamName: [{ wildcard: 'etl/*/abc-*' }] } } }, 'several *')
  yes({ detail: { jobName: [{ wildcard: '*' }] } }, '* alone')
  yes({ detail: { jobName: [{ wildcard: 'nightly-etl' }] } }, 'no * is an exact match')
  yes({ detail: { jobName: [{ wildcard: 'nightly*-etl' }] } }, '* matching nothing')
  no({ detail: { jobName: [{ wildcard: 'nightly' }] } }, 'no * and not equal')
  no({ detail: { jobName: [{ wildcard: 'nightly-*-etl' }] } }, 'the middle part must be there')
  no({ detail: { jobName: [{ wildcard: '*ly-etl-*' }] } }, 'parts in order, not overlapping')
  no({ detail: { jobName: [{ wildcard: 'nightly-etl*x' }] } }, 'suffix after the star')
})

t.test('anything-but', async () => {
  yes({ detail: { status: [{ 'anything-but': 'SUCCEEDED' }] } }, 'one value')
  no({ detail: { status: [{ 'anything-but': 'FAILED' }] } }, 'the value itself')
  yes({ detail: { status: [{ 'anything-but': ['SUCCEEDED', 'RUNNING'] }] } }, 'a list')
  no({ detail: { status: [{ 'anything-but': ['SUCCEEDED', 'FAILED'] }] } }, 'a list holding the value')
  yes({ detail: { container: { exitCode: [{ 'anything-but': [0, 1] }] } } }, 'numbers')
  no({ detail: { container: { exitCode: [{ 'anything-but': 137 }] } } }, 'the number itself')
  yes({ detail: { jobName: [{ 'anything-but': { prefix: 'weekly-' } }] } }, 'anything but a prefix')
  no({ detail: { jobName: [{ 'anything-but': { prefix: 'nightly-' } }] } }, 'the prefix itself')
  yes({ detail: { jobName: [{ 'anything-but': { suffix: '.png' } }] } }, 'anything but a suffix')
  no({ detail: { jobName: [{ 'anything-but': { suffix: '-etl' } }] } }, 'the suffix itself')
  no({ detail: { status: [{ 'anything-but': { 'equals-ignore-case': 'failed' } }] } }, 'anything but, ignoring case')
  no({ detail: { status: [{ 'anything-but': { 'equals-ignore-case': ['succeeded', 'failed'] } }] } }, 'anything but a list, ignoring case')
  yes({ detail: { status: [{ 'anything-but': { 'equals-ignore-case': ['succeeded', 'running'] } }] } }, 'not in the list, ignoring case')
  no({ detail: { jobName: [{ 'anything-but': { wildcard: '*-etl' } }] } }, 'anything but a wildcard')
  no({ detail: { missing: [{ 'anything-but': 'x' }] } }, 'a field that is not there is not "anything but"')
})

t.test('numeric', async () => {
  yes({ detail: { container: { exitCode: [{ numeric: ['>', 0] }] } } }, '>')
  yes({ detail: { container: { exitCode: [{ numeric: ['>=', 137] }] } } }, '>= the value')
  no({ detail: { container: { exitCode: [{ numeric: ['<', 137] }] } } }, '< the value')
  yes({ detail: { container: { exitCode: [{ numeric: ['<=', 137] }] } } }, '<= the value')
  yes({ detail: { container: { exitCode: [{ numeric: ['=', 137] }] } } }, '=')
  yes({ detail: { container: { vcpus: [{ numeric: ['>', 0, '<=', 2] }] } } }, 'a range')
  no({ detail: { container: { memory: [{ numeric: ['>', 0, '<', 2048] }] } } }, 'outside the range')
  yes({ detail: { container: { memory: [{ numeric: ['<', 10] }, { numeric: ['>=', 2048] }] } } }, 'either of two ranges')
  no({ detail: { status: [{ numeric: ['>', 0] }] } }, 'a string is not a number')
  yes({ detail: { container: { exitCode: [{ numeric: ['>', 1.5e2 - 14] }] } } }, 'any JSON number as a bound')
})

t.test('exists', async () => {
  yes({ detail: { statusReason: [{ exists: true }] } }, 'present')
  no({ detail: { statusReason: [{ exists: false }] } }, 'present, not absent')
  yes({ detail: { stoppedAt: [{ exists: false }] } }, 'absent')
  no({ detail: { stoppedAt: [{ exists: true }] } }, 'absent, not present')
  yes({ detail: { nothing: [{ exists: true }] } }, 'null is a value that exists')
  yes({ detail: { stoppedAt: [{ exists: false }, 5] } }, 'absent, or 5')
})

t.test('$or', async () => {
  yes({ detail: { $or: [{ status: ['SUCCEEDED'] }, { container: { exitCode: [137] } }] } }, 'the second branch matches')
  no({ detail: { $or: [{ status: ['SUCCEEDED'] }, { container: { exitCode: [0] } }] } }, 'no branch matches')
  yes({ source: ['aws.batch'], $or: [{ 'detail-type': ['x'] }, { detail: { jobName: [{ prefix: 'nightly' }] } }] }, 'at the top')
})

t.test('invalid patterns are refused, naming the field', async (t) => {
  const refused = (pattern: unknown, field: string, message: string) =>
    t.throws(() => validatePattern(pattern), { code: 'InvalidEventPattern', field }, message)
  refused({ source: [] }, 'pattern.source', 'an empty list')
  refused({ source: 'aws.batch' }, 'pattern.source', 'a bare value')
  refused({ detail: { status: ['a', { prefx: 'F' }] } }, 'pattern.detail.status', 'an unknown matcher')
  refused({ detail: { code: [{ numeric: ['>'] }] } }, 'pattern.detail.code', 'numeric without a bound')
  refused({ detail: { code: [{ numeric: ['~', 1] }] } }, 'pattern.detail.code', 'numeric with an unknown operator')
  refused({ detail: { code: [{ numeric: ['>', '1'] }] } }, 'pattern.detail.code', 'numeric with a string bound')
  refused({ detail: { code: [{ prefix: 5 }] } }, 'pattern.detail.code', 'a prefix that is not a string')
  refused({ detail: { code: [{ exists: 'yes' }] } }, 'pattern.detail.code', 'exists that is not a boolean')
  refused({ $or: [{ source: ['a'] }] }, 'pattern.$or', '$or with one branch')
  refused([], 'pattern', 'not an object')
  t.doesNotThrow(() => validatePattern({ source: ['aws.batch'], detail: { n: [{ numeric: ['>', 0, '<=', 5] }], s: [{ 'anything-but': ['a', 'b'] }], e: [{ exists: false }] } }))
})
