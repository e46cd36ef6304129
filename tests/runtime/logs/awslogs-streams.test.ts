// ECS's awslogs streams: AwsLogs.open registers a container's output file as
// a stream (creating the group when asked, refused with ECS's stoppedReason
// when the group is missing), its lines are the events, each timed when the
// engine first saw it (the marks sidecar, as Batch's job output) and never
// after AwsLogs.end; DescribeLogStreams / GetLogEvents / FilterLogEvents
// serve them in any group; deleting the group removes the records and the
// files. The files are written here as the runner would.
import t from 'tap'
import { appendFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { logsRig } from './fixtures.js'
import { AwsLogs, AwsLogsGroupMissingError, AWSLOGS_GROUP_MISSING_REASON, awslogsStreamName, LOG_STREAMS } from '../../../runtime/logs/index.js'

const exists = (p: string) => stat(p).then(() => true, () => false)

t.test('open: a missing group without createGroup fails as ECS says; with it the group is created', async (t) => {
  const rig = await logsRig()
  t.teardown(() => rig.close())
  const filePath = join(rig.dir, 'web.log')
  const spec = { group: '/ecs/web', stream: awslogsStreamName('ecs', 'web', 'a1b2c3'), filePath, createdAt: rig.clock.now(), createGroup: false }
  t.equal(spec.stream, 'ecs/web/a1b2c3', 'prefix/container-name/task-id')
  const err = (() => { try { AwsLogs.open(rig.store, spec) } catch (e) { return e } })() as AwsLogsGroupMissingError
  t.ok(err instanceof AwsLogsGroupMissingError)
  t.equal(err.message, 'ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.')
  t.equal(err.message, AWSLOGS_GROUP_MISSING_REASON)
  t.equal(err.kind, 'NotFound')
  t.equal(rig.store.count(LOG_STREAMS), 0, 'nothing written')
  t.same((await rig.logs.describeLogGroups({})).logGroups, [])

  // In the caller's transaction: undone with it.
  t.throws(() => rig.store.transaction((tx) => { AwsLogs.open(tx, { ...spec, createGroup: true }); throw new Error('task intent refused') }), /task intent refused/)
  t.same((await rig.logs.describeLogGroups({})).logGroups, [], 'the caller\'s transaction undone: no group, no stream')

  AwsLogs.open(rig.store, { ...spec, createGroup: true })
  t.same((await rig.logs.describeLogGroups({})).logGroups.map((g) => [g.logGroupName, g.creationTime]), [['/ecs/web', spec.createdAt]], 'awslogs-create-group made the group')
  AwsLogs.open(rig.store, spec)
  t.equal(rig.store.count(LOG_STREAMS), 1, 'opened again with the same file (a resumed task): unchanged')
  t.throws(() => AwsLogs.open(rig.store, { ...spec, filePath: join(rig.dir, 'other.log') }), { code: 'ResourceAlreadyExistsException', field: 'logStreamName' })
  t.throws(() => AwsLogs.open(rig.store, { ...spec, group: 'bad group' }), { code: 'InvalidParameterException', field: 'logConfiguration.options.awslogs-group' })
  t.throws(() => AwsLogs.open(rig.store, { ...spec, stream: 'a:b' }), { code: 'InvalidParameterException', field: 'logStreamName' })
  const described = await rig.logs.describeLogStreams({ logGroupName: '/ecs/web' })
  t.match(described.logStreams, [{ logStreamName: 'ecs/web/a1b2c3', creationTime: spec.createdAt, arn: 'arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:log-stream:ecs/web/a1b2c3' }])
  t.notOk('firstEventTimestamp' in described.logStreams[0], 'no file yet: no events')
  t.same((await rig.logs.getLogEvents({ logGroupName: '/ecs/web', logStreamName: 'ecs/web/a1b2c3' })).events, [])
})

t.test('a container\'s lines are the events, each timed when first seen, never after the stream ended', async (t) => {
  const rig = await logsRig()
  t.teardown(() => rig.close())
  const { logs, clock } = rig
  await logs.createLogGroup({ logGroupName: 'svc' })
  const created = clock.now()
  const web = join(rig.dir, 'web.log')
  const side = join(rig.dir, 'side.log')
  AwsLogs.open(rig.store, { group: 'svc', stream: 'p/web/t1', filePath: web, createdAt: created, createGroup: false })
  AwsLogs.open(rig.store, { group: 'svc', stream: 'p/side/t1', filePath: side, createdAt: created, createGroup: false })
  await writeFile(web, 'GET / 200\nGET /x 404\npart')
  await writeFile(side, 'sidecar up\n')
  await clock.advance(1000)
  const seen1 = clock.now()
  const first = await logs.getLogEvents({ logGroupName: 'svc', logStreamName: 'p/web/t1', startFromHead: true })
  t.same(first.events.map((e) => [e.message, e.timestamp]), [['GET / 200', seen1], ['GET /x 404', seen1]], 'timed when first read; the unfinished last line waits for its newline')
  t.same((await logs.getLogEvents({ logGroupName: 'svc', logStreamName: 'p/side/t1' })).events.map((e) => e.timestamp), [seen1])
  await appendFile(web, 'ial line\nGET /y 500\n')
  await clock.advance(5000)
  const seen2 = clock.now()
  const second = await logs.getLogEvents({ logGroupName: 'svc', logStreamName: 'p/web/t1', startFromHead: true })
  t.same(second.events.map((e) => [e.message, e.timestamp]), [['GET / 200', seen1], ['GET /x 404', seen1], ['partial line', seen2], ['GET /y 500', seen2]], 'earlier lines keep their times')
  t.equal((await stat(`${web}.marks`)).isFile(), true, 'the marks sidecar sits next to the file')
  const next = await logs.getLogEvents({ logGroupName: 'svc', logStreamName: 'p/web/t1', nextToken: second.nextForwardToken })
  t.same(next.events, [], 'nothing new')
  t.equal(next.nextForwardToken, second.nextForwardToken, 'the forward token repeats')

  // The container stops: written but never read before, its last lines take the end's time at most.
  await appendFile(web, 'shutting down\n')
  const ended = clock.now() + 2000
  await clock.advance(2000)
  rig.store.transaction((tx) => AwsLogs.end(tx, { group: 'svc', stream: 'p/web/t1', endedAt: ended }))
  AwsLogs.end(rig.store, { group: 'svc', stream: 'p/web/t1', endedAt: ended + 99 })
  await clock.advance(60_000)
  const last = await logs.getLogEvents({ logGroupName: 'svc', logStreamName: 'p/web/t1', limit: 1 })
  t.same(last.events.map((e) => [e.message, e.timestamp]), [['shutting down', ended]], 'never after the stream ended (the first end() stands)')

  const streams = await logs.describeLogStreams({ logGroupName: 'svc' })
  t.same(streams.logStreams.map((s) => s.logStreamName), ['p/side/t1', 'p/web/t1'])
  t.match(streams.logStreams[1], { firstEventTimestamp: seen1, lastEventTimestamp: ended })
  const byTime = await logs.describeLogStreams({ logGroupName: 'svc', orderBy: 'LastEventTime', descending: true })
  t.same(byTime.logStreams.map((s) => s.logStreamName), ['p/web/t1', 'p/side/t1'], 'by last event time')

  const errors = await logs.filterLogEvents({ logGroupName: 'svc', filterPattern: '?404 ?500 ?sidecar' })
  t.same(errors.events.map((e) => [e.logStreamName, e.message]), [['p/side/t1', 'sidecar up'], ['p/web/t1', 'GET /x 404'], ['p/web/t1', 'GET /y 500']], 'interleaved by time across the group\'s streams')
  t.same((await logs.filterLogEvents({ logGroupName: 'svc', logStreamNamePrefix: 'p/side' })).events.map((e) => e.message), ['sidecar up'])
  await t.rejects(logs.putLogEvents({ logGroupName: 'svc', logStreamName: 'p/web/t1', logEvents: [{ timestamp: clock.now(), message: 'x' }] }), { code: 'InvalidParameterException', field: 'logStreamName' }, 'a container\'s stream takes no PutLogEvents')
  await t.rejects(logs.getLogEvents({ logGroupName: 'svc', logStreamName: 'p/none/t1' }), { code: 'ResourceNotFoundException', message: 'The specified log stream does not exist.' })

  await logs.deleteLogGroup({ logGroupName: 'svc' })
  t.equal(rig.store.count(LOG_STREAMS), 0, 'the group\'s streams went with it')
  t.notOk(await exists(web), 'its files were removed')
  t.notOk(await exists(`${web}.marks`), 'and their marks')
  t.notOk(await exists(side))
  await t.rejects(logs.describeLogStreams({ logGroupName: 'svc' }), { code: 'ResourceNotFoundException' })
  AwsLogs.end(rig.store, { group: 'svc', stream: 'p/web/t1', endedAt: clock.now() })
  t.pass('end() of a stream whose group was deleted is a no-op (the task stops later)')
})

t.test('user-written streams: CreateLogStream, PutLogEvents (order, limits, rejected events), DeleteLogStream', async (t) => {
  const rig = await logsRig()
  t.teardown(() => rig.close())
  const { logs, clock } = rig
  await logs.createLogGroup({ logGroupName: 'app' })
  await t.rejects(logs.createLogStream({ logGroupName: 'none', logStreamName: 's' }), { code: 'ResourceNotFoundException', field: 'logGroupName' })
  await logs.createLogStream({ logGroupName: 'app', logStreamName: 's' })
  await t.rejects(logs.createLogStream({ logGroupName: 'app', logStreamName: 's' }), { code: 'ResourceAlreadyExistsException' })
  await t.rejects(logs.createLogStream({ logGroupName: 'app', logStreamName: 'x*' }), { code: 'InvalidParameterException', field: 'logStreamName' })
  await t.rejects(logs.createLogStream({ logGroupName: 'app', logStreamName: 'x'.repeat(513) }), { code: 'InvalidParameterException', field: 'logStreamName', limit: 512 })
  const now = clock.now()
  const r = await logs.putLogEvents({ logGroupName: 'app', logStreamName: 's', logEvents: [{ timestamp: now - 15 * 86_400_000, message: 'too old' }, { timestamp: now - 5, message: 'a' }, { timestamp: now, message: 'b' }, { timestamp: now + 3 * 3_600_000, message: 'too new' }] }).catch((e) => e)
  t.match(r, { code: 'InvalidParameterException', field: 'logEvents' }, 'more than 24 hours in one call')
  const ok = await logs.putLogEvents({ logGroupName: 'app', logStreamName: 's', logEvents: [{ timestamp: now - 5, message: 'a' }, { timestamp: now, message: 'b' }, { timestamp: now + 3 * 3_600_000, message: 'too new' }] })
  t.same(ok, { rejectedLogEventsInfo: { tooNewLogEventStartIndex: 2 } }, 'more than 2 hours ahead: rejected by index, the rest kept')
  await t.rejects(logs.putLogEvents({ logGroupName: 'app', logStreamName: 's', logEvents: [{ timestamp: now, message: 'b' }, { timestamp: now - 1, message: 'a' }] }), { code: 'InvalidParameterException', field: 'logEvents' }, 'not in chronological order')
  await t.rejects(logs.putLogEvents({ logGroupName: 'app', logStreamName: 's', logEvents: [] }), { code: 'InvalidParameterException', field: 'logEvents', limit: 1 })
  await t.rejects(logs.putLogEvents({ logGroupName: 'app', logStreamName: 's', logEvents: Array.from({ length: 10_001 }, () => ({ timestamp: now, message: 'x' })) }), { code: 'InvalidParameterException', field: 'logEvents', limit: 10_000 })
  await t.rejects(logs.putLogEvents({ logGroupName: 'app', logStreamName: 's', logEvents: [{ timestamp: now, message: 'x'.repeat(1_048_576) }] }), { code: 'InvalidParameterException', field: 'logEvents', limit: 1_048_576 })
  await t.rejects(logs.putLogEvents({ logGroupName: 'app', logStreamName: 's', logEvents: [{ timestamp: now, message: '' }] }), { code: 'InvalidParameterException', field: 'logEvents[0].message' })
  await t.rejects(logs.putLogEvents({ logGroupName: 'app', logStreamName: 'none', logEvents: [{ timestamp: now, message: 'x' }] }), { code: 'ResourceNotFoundException', field: 'logStreamName' })
  await clock.advance(10)
  await logs.putLogEvents({ logGroupName: 'app', logStreamName: 's', logEvents: [{ timestamp: now - 2, message: 'between' }] })
  const events = (await logs.getLogEvents({ logGroupName: 'app', logStreamName: 's', startFromHead: true })).events
  t.same(events.map((e) => e.message), ['a', 'between', 'b'], 'served in time order across calls; refused calls wrote nothing')
  t.same(events.map((e) => e.ingestionTime), [now, now + 10, now], 'ingestion: when each call came')
  const s = (await logs.describeLogStreams({ logGroupName: 'app' })).logStreams[0]
  t.match(s, { logStreamName: 's', firstEventTimestamp: now - 5, lastEventTimestamp: now, lastIngestionTime: now + 10 })
  await logs.deleteLogStream({ logGroupName: 'app', logStreamName: 's' })
  t.same((await logs.describeLogStreams({ logGroupName: 'app' })).logStreams, [])
  await t.rejects(logs.deleteLogStream({ logGroupName: 'app', logStreamName: 's' }), { code: 'ResourceNotFoundException' })
  await logs.createLogStream({ logGroupName: 'app', logStreamName: 's' })
  t.same((await logs.getLogEvents({ logGroupName: 'app', logStreamName: 's' })).events, [], 'created again: empty')
})
