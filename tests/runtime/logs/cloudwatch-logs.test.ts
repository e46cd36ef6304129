// CloudWatch Logs over real job output (the process runner): the group
// /aws/batch/job once a job ran, the streams Batch names in
// container.logStreamName, GetLogEvents' tokens (the forward one repeats when
// nothing is new), FilterLogEvents' patterns and paging, and the times of
// lines: within their attempt, kept once seen while it runs.
import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Stratus } from '../../../sdk/index.js'
import { CloudWatchLogs, LogStore } from '../../../runtime/logs/index.js'
import { PageTokens } from '../../../runtime/aws/index.js'

const scratch = await mkdtemp(join(tmpdir(), 'stratus-logs-'))
t.teardown(() => rm(scratch, { recursive: true, force: true }))

/** The engine's CloudWatch Logs, built from its parts (as the engine wires it). */
function logsOf(cloud: Stratus): CloudWatchLogs {
  const e = cloud.engine
  const now = () => e.clock.now()
  return new CloudWatchLogs({
    store: e.store, logs: new LogStore(join(e.runDir, 'logs')), now, partition: e.partition, tokens: new PageTokens({ now }),
    attempt: (name) => e.batch.logStreamAttempt(name)
  })
}

async function setUp(cloud: Stratus) {
  const ce = await cloud.batch.computeEnvironment('local').unmanaged().create()
  await ce.registerNode({ vcpus: 4, memory: 4096 })
  const queue = await cloud.batch.jobQueue('jobs').priority(1).computeEnvironments(ce).create()
  return { queue, sh: (name: string, script: string) => cloud.batch.jobDefinition(name).command('sh', '-c', script).vcpus(1).memory(128).register() }
}

t.test('the group exists once a job ran; its streams are the ones Batch reports; events are the lines, timed within the attempt', async (t) => {
  await using cloud = await Stratus.embedded({ runner: 'process' })
  const logs = logsOf(cloud)
  t.same(await logs.describeLogGroups({}), { logGroups: [] }, 'no job ran yet: no group')
  await t.rejects(logs.describeLogStreams({ logGroupName: '/aws/batch/job' }), { code: 'ResourceNotFoundException', message: 'The specified log group does not exist.' })
  const { queue, sh } = await setUp(cloud)
  const def = await sh('three', 'echo alpha; echo "beta ERROR x"; echo gamma')
  const job = await cloud.batch.job('j').queue(queue).definition(def).submit()
  const detail = await job.wait()
  t.equal(detail.status, 'SUCCEEDED')
  const stream = detail.container.logStreamName!
  t.match(stream, /^three\/default\//)
  const groups = await logs.describeLogGroups({ logGroupNamePrefix: '/aws/batch' })
  t.equal(groups.logGroups.length, 1)
  t.match(groups.logGroups[0], { logGroupName: '/aws/batch/job', arn: 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/batch/job:*', logGroupArn: 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/batch/job' })
  t.ok(groups.logGroups[0].creationTime <= detail.startedAt!, 'created when the first attempt started')
  t.same((await logs.describeLogGroups({ logGroupNamePattern: 'BATCH' })).logGroups.length, 1, 'the pattern is a case-insensitive substring')
  t.same((await logs.describeLogGroups({ logGroupNamePrefix: '/other' })).logGroups, [])
  const streams = await logs.describeLogStreams({ logGroupIdentifier: groups.logGroups[0].logGroupArn })
  t.same(streams.logStreams.map((s) => s.logStreamName), [stream])
  const events = await logs.getLogEvents({ logGroupName: '/aws/batch/job', logStreamName: stream, startFromHead: true })
  t.same(events.events.map((e) => e.message), ['alpha', 'beta ERROR x', 'gamma'])
  // The stream's times are its attempt's (the runner's start and end), not the job's: the job's startedAt is when
  // its RUNNING was recorded, which may come after a short attempt already ended.
  const attempt = detail.attempts[0]
  for (const e of events.events) t.ok(e.timestamp >= attempt.startedAt! && e.timestamp <= attempt.stoppedAt!, 'within the attempt')
  const again = await logs.getLogEvents({ logGroupName: '/aws/batch/job', logStreamName: stream, nextToken: events.nextForwardToken })
  t.same(again.events, [], 'nothing new')
  t.equal(again.nextForwardToken, events.nextForwardToken, 'the forward token repeats when there is nothing new')
  // Backward from the end, one at a time.
  const seen: string[] = []
  let page = await logs.getLogEvents({ logGroupName: '/aws/batch/job', logStreamName: stream, limit: 1 })
  seen.unshift(...page.events.map((e) => e.message))
  for (let i = 0; i < 3; i++) {
    page = await logs.getLogEvents({ logGroupName: '/aws/batch/job', logStreamName: stream, limit: 1, nextToken: page.nextBackwardToken })
    seen.unshift(...page.events.map((e) => e.message))
  }
  t.same(seen, ['alpha', 'beta ERROR x', 'gamma'], 'the default reads the last events; backward tokens go to the head')
  await t.rejects(logs.getLogEvents({ logGroupName: '/aws/batch/job', logStreamName: 'three/default/none' }), { code: 'ResourceNotFoundException', message: 'The specified log stream does not exist.' })
  await t.rejects(logs.getLogEvents({ logGroupName: '/aws/batch/other', logStreamName: stream }), { code: 'ResourceNotFoundException', message: 'The specified log group does not exist.' })
  await t.rejects(logs.getLogEvents({ logGroupName: '/aws/batch/job', logStreamName: stream, limit: 10_001 }), { code: 'InvalidParameterException', field: 'limit', limit: 10_000 })
  await t.rejects(logs.getLogEvents({ logGroupName: '/aws/batch/job', logStreamName: stream, nextToken: 'f/0/AAAAAAAAAAAAAAAA' }), { code: 'InvalidParameterException', field: 'nextToken' })
  const other = await logs.getLogEvents({ logGroupName: '/aws/batch/job', logStreamName: stream, startTime: detail.startedAt!, startFromHead: true })
  await t.rejects(logs.getLogEvents({ logGroupName: '/aws/batch/job', logStreamName: stream, nextToken: other.nextForwardToken }), { code: 'InvalidParameterException', field: 'nextToken' }, 'a token is bound to its time range')
  t.same((await logs.getLogEvents({ logGroupName: '/aws/batch/job', logStreamName: stream, endTime: attempt.startedAt! - 1 })).events, [], 'endTime excludes later events')
  await t.rejects(logs.describeLogStreams({ logGroupName: '/aws/batch/job', limit: 51 }), { code: 'InvalidParameterException', field: 'limit', limit: 50 })
  await t.rejects(logs.describeLogStreams({ logGroupName: '/aws/batch/job', orderBy: 'LastEventTime', logStreamNamePrefix: 'three' }), { code: 'InvalidParameterException', field: 'logStreamNamePrefix' })
})

t.test('a running attempt\'s lines appear as they are written, each keeping the time it was first seen', async (t) => {
  await using cloud = await Stratus.embedded({ runner: 'process' })
  const logs = logsOf(cloud)
  const { queue, sh } = await setUp(cloud)
  const gate = join(scratch, 'gate')
  const def = await sh('gated', `echo first; while [ ! -e ${gate} ]; do sleep 0.02; done; printf 'second\\npartial'`)
  const job = await cloud.batch.job('live').queue(queue).definition(def).submit()
  let stream: string | undefined
  let first: Awaited<ReturnType<CloudWatchLogs['getLogEvents']>> | undefined
  for (let i = 0; i < 500 && first === undefined; i++) {
    const d = (await cloud.batch.service.describeJobs({ jobs: [job.id] })).jobs[0]
    stream = d.status === 'RUNNING' ? d.container.logStreamName : undefined
    if (stream !== undefined) {
      const r = await logs.getLogEvents({ logGroupName: '/aws/batch/job', logStreamName: stream, startFromHead: true })
      if (r.events.length > 0) first = r
    }
    if (first === undefined) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.ok(first, 'the first line shows while the job runs')
  t.same(first!.events.map((e) => e.message), ['first'])
  const seenAt = first!.events[0].timestamp
  await writeFile(gate, '')
  const done = await job.wait()
  t.equal(done.status, 'SUCCEEDED')
  const next = await logs.getLogEvents({ logGroupName: '/aws/batch/job', logStreamName: stream!, nextToken: first!.nextForwardToken })
  t.same(next.events.map((e) => e.message), ['second', 'partial'], 'the forward token gives what came since; the unterminated last line once the attempt ended')
  t.ok(next.events[0].timestamp >= seenAt && next.events[0].timestamp <= done.stoppedAt!)
  const whole = await logs.getLogEvents({ logGroupName: '/aws/batch/job', logStreamName: stream!, startFromHead: true })
  t.equal(whole.events[0].timestamp, seenAt, 'the first line keeps the time it was seen')
  const listed = (await logs.describeLogStreams({ logGroupName: '/aws/batch/job' })).logStreams[0]
  t.equal(listed.firstEventTimestamp, seenAt)
  t.equal(listed.lastEventTimestamp, whole.events.at(-1)!.timestamp)
})

t.test('FilterLogEvents: terms, quoted phrases, ?any, -exclude, stream choice, paging across streams', async (t) => {
  await using cloud = await Stratus.embedded({ runner: 'process' })
  const logs = logsOf(cloud)
  const { queue, sh } = await setUp(cloud)
  const def = await sh('arr', 'echo "child $AWS_BATCH_JOB_ARRAY_INDEX start"; echo "ERROR disk full on $AWS_BATCH_JOB_ARRAY_INDEX"; echo "WARN slow"; echo done')
  const job = await cloud.batch.job('a').queue(queue).definition(def).array(3).submit()
  t.equal((await job.wait()).status, 'SUCCEEDED')
  const group = { logGroupName: '/aws/batch/job' }
  const messages = async (filterPattern: string, extra = {}) => (await logs.filterLogEvents({ ...group, filterPattern, ...extra })).events.map((e) => e.message).sort()
  t.same(await messages('ERROR'), ['ERROR disk full on 0', 'ERROR disk full on 1', 'ERROR disk full on 2'])
  t.same(await messages('ERROR 1'), ['ERROR disk full on 1'], 'every term must appear')
  t.same(await messages('"full on 2"'), ['ERROR disk full on 2'], 'a quoted phrase as written')
  t.same(await messages('?WARN ?done'), ['WARN slow', 'WARN slow', 'WARN slow', 'done', 'done', 'done'], '?terms: any of them')
  t.same(await messages('child -1 -2'), ['child 0 start'], '-terms exclude')
  t.same(await messages('error'), [], 'case-sensitive')
  await t.rejects(logs.filterLogEvents({ ...group, filterPattern: '{ $.level = "ERROR" }' }), { code: 'InvalidParameterException', field: 'filterPattern' })
  await t.rejects(logs.filterLogEvents({ ...group, filterPattern: '"open' }), { code: 'InvalidParameterException', field: 'filterPattern' })
  const streams = (await logs.describeLogStreams({ ...group, logStreamNamePrefix: 'arr/' })).logStreams.map((s) => s.logStreamName)
  t.equal(streams.length, 3)
  t.same(await messages('ERROR', { logStreamNames: [streams[1]] }), [`ERROR disk full on ${streams[1].match(/-(\d)-1$/)![1]}`])
  t.equal((await messages('done', { logStreamNamePrefix: streams[2] })).length, 1)
  await t.rejects(logs.filterLogEvents({ ...group, logStreamNames: [streams[0]], logStreamNamePrefix: 'arr' }), { code: 'InvalidParameterException' })
  // Paging: every event once, interleaved by time.
  const all: string[] = []
  const ids = new Set<string>()
  let nextToken: string | undefined
  let pages = 0
  do {
    const page = await logs.filterLogEvents({ ...group, limit: 5, ...(nextToken ? { nextToken } : {}) })
    for (const e of page.events) {
      all.push(`${e.logStreamName}|${e.message}`)
      ids.add(e.eventId)
    }
    for (let i = 1; i < page.events.length; i++) t.ok(page.events[i].timestamp >= page.events[i - 1].timestamp, 'in time order')
    nextToken = page.nextToken
    pages++
  } while (nextToken !== undefined)
  t.equal(all.length, 12)
  t.equal(new Set(all).size, 12, 'no event twice')
  t.equal(ids.size, 12, 'distinct event ids')
  t.equal(pages, 3)
  const byTime = await logs.describeLogStreams({ ...group, orderBy: 'LastEventTime', descending: true, limit: 2 })
  t.equal(byTime.logStreams.length, 2)
  t.ok(byTime.nextToken)
  const rest = await logs.describeLogStreams({ ...group, orderBy: 'LastEventTime', descending: true, limit: 2, nextToken: byTime.nextToken })
  t.equal(rest.logStreams.length, 1)
  t.same(new Set([...byTime.logStreams, ...rest.logStreams].map((s) => s.logStreamName)), new Set(streams))
  t.ok(byTime.logStreams[0].lastEventTimestamp! >= byTime.logStreams[1].lastEventTimestamp!, 'descending')
})
