// EventBridge event patterns: what matches what, as EventBridge documents it
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html).
import t, { type Test } from 'tap'
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

const yes = (t: Test, pattern: EventPattern, message: string) => t.ok(matches(pattern, event), `matches: ${message}`)
const no = (t: Test, pattern: EventPattern, message: string) => t.notOk(matches(pattern, event), `no match: ${message}`)

t.test('exact values; a list means any of them; fields are ANDed; unnamed fields are ignored', async (t) => {
  yes(t, { source: ['aws.batch'] }, 'one value')
  yes(t, { source: ['aws.ecs', 'aws.batch'] }, 'any value of the list')
  no(t, { source: ['aws.ecs'] }, 'other value')
  no(t, { source: ['AWS.BATCH'] }, 'case-sensitive')
  yes(t, { source: ['aws.batch'], detail: { status: ['FAILED'] } }, 'all fields match')
  no(t, { source: ['aws.batch'], detail: { status: ['SUCCEEDED'] } }, 'one field does not')
  yes(t, {}, 'the empty pattern matches everything')
  no(t, { detail: { missing: ['x'] } }, 'a named field must exist')
})

t.test('types: numbers, booleans, null and the empty string match only their own kind', async (t) => {
  yes(t, { detail: { container: { exitCode: [137] } } }, 'number')
  no(t, { detail: { container: { exitCode: ['137'] } } }, 'a string is not a number')
  yes(t, { detail: { isCancelled: [false] } }, 'boolean')
  no(t, { detail: { isCancelled: ['false'] } }, 'a string is not a boolean')
  yes(t, { detail: { nothing: [null] } }, 'null')
  no(t, { detail: { empty: [null] } }, 'an empty string is not null')
  yes(t, { detail: { empty: [''] } }, 'empty string')
})

t.test('nested objects, and arrays in the event (any element)', async (t) => {
  yes(t, { detail: { container: { logStreamName: ['etl/default/abc-1'] } } }, 'two levels down')
  no(t, { detail: { container: { logStreamName: [{ exists: true }], nope: { deeper: ['x'] } } } }, 'an intermediate object that does not exist')
  yes(t, { resources: ['arn:aws:batch:us-east-1:000000000000:job-queue/q'] }, 'an array field matches when any element does')
  yes(t, { detail: { tags: ['etl', 'other'] } }, 'intersection of pattern and event arrays is not empty')
  no(t, { detail: { tags: ['weekly'] } }, 'no common element')
  yes(t, { detail: { attempts: { container: { exitCode: [3] } } } }, 'objects inside an event array')
  yes(t, { detail: { attempts: { container: { reason: [{ prefix: 'OutOfMemory' }] } } } }, 'a matcher inside an array of objects')
  no(t, { detail: { attempts: { container: { exitCode: [1] } } } }, 'no element matches')
  no(t, { detail: { status: { nested: ['x'] } } }, 'a nested pattern against a string')
  no(t, { detail: { container: ['x'] } }, 'a value against an object')
})

t.test('prefix and suffix', async (t) => {
  yes(t, { detail: { jobName: [{ prefix: 'nightly-' }] } }, 'prefix')
  yes(t, { detail: { jobName: [{ prefix: '' }] } }, 'empty prefix')
  no(t, { detail: { jobName: [{ prefix: 'weekly-' }] } }, 'other prefix')
  no(t, { detail: { container: { exitCode: [{ prefix: '1' }] } } }, 'a number has no prefix')
  yes(t, { detail: { container: { logStreamName: [{ suffix: '-1' }] } } }, 'suffix')
  no(t, { detail: { container: { logStreamName: [{ suffix: '-2' }] } } }, 'other suffix')
  yes(t, { detail: { jobName: [{ prefix: { 'equals-ignore-case': 'NIGHTLY' } }] } }, 'prefix, ignoring case')
  yes(t, { detail: { jobName: [{ suffix: { 'equals-ignore-case': '-ETL' } }] } }, 'suffix, ignoring case')
  no(t, { detail: { jobName: [{ prefix: { 'equals-ignore-case': 'WEEKLY' } }] } }, 'other prefix, ignoring case')
})

t.test('equals-ignore-case', async (t) => {
  yes(t, { detail: { status: [{ 'equals-ignore-case': 'failed' }] } }, 'lower case')
  yes(t, { source: [{ 'equals-ignore-case': 'AWS.Batch' }] }, 'mixed case')
  no(t, { detail: { status: [{ 'equals-ignore-case': 'fail' }] } }, 'whole value only')
  no(t, { detail: { container: { exitCode: [{ 'equals-ignore-case': '137' }] } } }, 'numbers are not strings')
})

t.test('wildcard', async (t) => {
  yes(t, { detail: { jobName: [{ wildcard: 'nightly-*' }] } }, 'trailing *')
  yes(t, { detail: { jobName: [{ wildcard: '*-etl' }] } }, 'leading *')
  yes(t, { detail: { container: { logStreamName: [{ wildcard: 'etl/*/abc-*' }] } } }, 'several *')
  yes(t, { detail: { jobName: [{ wildcard: '*' }] } }, '* alone')
  yes(t, { detail: { jobName: [{ wildcard: 'nightly-etl' }] } }, 'no * is an exact match')
  yes(t, { detail: { jobName: [{ wildcard: 'nightly*-etl' }] } }, '* matching nothing')
  no(t, { detail: { jobName: [{ wildcard: 'nightly' }] } }, 'no * and not equal')
  no(t, { detail: { jobName: [{ wildcard: 'nightly-*-etl' }] } }, 'the middle part must be there')
  no(t, { detail: { jobName: [{ wildcard: '*ly-etl-*' }] } }, 'parts in order, not overlapping')
  no(t, { detail: { jobName: [{ wildcard: 'nightly-etl*x' }] } }, 'suffix after the star')
})

t.test('anything-but', async (t) => {
  yes(t, { detail: { status: [{ 'anything-but': 'SUCCEEDED' }] } }, 'one value')
  no(t, { detail: { status: [{ 'anything-but': 'FAILED' }] } }, 'the value itself')
  yes(t, { detail: { status: [{ 'anything-but': ['SUCCEEDED', 'RUNNING'] }] } }, 'a list')
  no(t, { detail: { status: [{ 'anything-but': ['SUCCEEDED', 'FAILED'] }] } }, 'a list holding the value')
  yes(t, { detail: { container: { exitCode: [{ 'anything-but': [0, 1] }] } } }, 'numbers')
  no(t, { detail: { container: { exitCode: [{ 'anything-but': 137 }] } } }, 'the number itself')
  yes(t, { detail: { jobName: [{ 'anything-but': { prefix: 'weekly-' } }] } }, 'anything but a prefix')
  no(t, { detail: { jobName: [{ 'anything-but': { prefix: 'nightly-' } }] } }, 'the prefix itself')
  yes(t, { detail: { jobName: [{ 'anything-but': { suffix: '.png' } }] } }, 'anything but a suffix')
  no(t, { detail: { jobName: [{ 'anything-but': { suffix: '-etl' } }] } }, 'the suffix itself')
  no(t, { detail: { status: [{ 'anything-but': { 'equals-ignore-case': 'failed' } }] } }, 'anything but, ignoring case')
  no(t, { detail: { status: [{ 'anything-but': { 'equals-ignore-case': ['succeeded', 'failed'] } }] } }, 'anything but a list, ignoring case')
  yes(t, { detail: { status: [{ 'anything-but': { 'equals-ignore-case': ['succeeded', 'running'] } }] } }, 'not in the list, ignoring case')
  no(t, { detail: { jobName: [{ 'anything-but': { wildcard: '*-etl' } }] } }, 'anything but a wildcard')
  no(t, { detail: { missing: [{ 'anything-but': 'x' }] } }, 'a field that is not there is not "anything but"')
})

t.test('numeric', async (t) => {
  yes(t, { detail: { container: { exitCode: [{ numeric: ['>', 0] }] } } }, '>')
  yes(t, { detail: { container: { exitCode: [{ numeric: ['>=', 137] }] } } }, '>= the value')
  no(t, { detail: { container: { exitCode: [{ numeric: ['<', 137] }] } } }, '< the value')
  yes(t, { detail: { container: { exitCode: [{ numeric: ['<=', 137] }] } } }, '<= the value')
  yes(t, { detail: { container: { exitCode: [{ numeric: ['=', 137] }] } } }, '=')
  yes(t, { detail: { container: { vcpus: [{ numeric: ['>', 0, '<=', 2] }] } } }, 'a range')
  no(t, { detail: { container: { memory: [{ numeric: ['>', 0, '<', 2048] }] } } }, 'outside the range')
  yes(t, { detail: { container: { memory: [{ numeric: ['<', 10] }, { numeric: ['>=', 2048] }] } } }, 'either of two ranges')
  no(t, { detail: { status: [{ numeric: ['>', 0] }] } }, 'a string is not a number')
  yes(t, { detail: { container: { exitCode: [{ numeric: ['>', 1.5e2 - 14] }] } } }, 'any JSON number as a bound')
})

t.test('exists', async (t) => {
  yes(t, { detail: { statusReason: [{ exists: true }] } }, 'present')
  no(t, { detail: { statusReason: [{ exists: false }] } }, 'present, not absent')
  yes(t, { detail: { stoppedAt: [{ exists: false }] } }, 'absent')
  no(t, { detail: { stoppedAt: [{ exists: true }] } }, 'absent, not present')
  yes(t, { detail: { nothing: [{ exists: true }] } }, 'null is a value that exists')
  yes(t, { detail: { stoppedAt: [{ exists: false }, 5] } }, 'absent, or 5')
})

t.test('$or', async (t) => {
  yes(t, { detail: { $or: [{ status: ['SUCCEEDED'] }, { container: { exitCode: [137] } }] } }, 'the second branch matches')
  no(t, { detail: { $or: [{ status: ['SUCCEEDED'] }, { container: { exitCode: [0] } }] } }, 'no branch matches')
  yes(t, { source: ['aws.batch'], $or: [{ 'detail-type': ['x'] }, { detail: { jobName: [{ prefix: 'nightly' }] } }] }, 'at the top')
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
