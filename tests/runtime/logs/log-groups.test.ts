// Log groups of any name: CreateLogGroup's name rules and
// ResourceAlreadyExistsException, DescribeLogGroups over every group (with
// retention), retention policies (only the documented values; events older
// than the retention are no longer returned), tags both ways (by ARN and by
// name), DeleteLogGroup taking its streams. Bad input changes nothing.
import t from 'tap'
import { logsRig, START } from './fixtures.js'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LogStore, RETENTION_DAYS } from '../../../runtime/logs/index.js'

t.test('groups: create, list, name rules, already exists, delete', async (t) => {
  const rig = await logsRig()
  t.teardown(() => rig.close())
  const { logs } = rig
  t.same(await logs.describeLogGroups({}), { logGroups: [] })
  await logs.createLogGroup({ logGroupName: '/ecs/web', tags: { team: 'a' } })
  await rig.clock.advance(1000)
  await logs.createLogGroup({ logGroupName: 'app#1_x.y-z' })
  const all = await logs.describeLogGroups({})
  t.same(all.logGroups.map((g) => g.logGroupName), ['/ecs/web', 'app#1_x.y-z'], 'every group, by name')
  t.match(all.logGroups[0], {
    creationTime: rig.clock.now() - 1000, arn: 'arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:*',
    logGroupArn: 'arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web', storedBytes: 0
  })
  t.notOk('retentionInDays' in all.logGroups[0], 'no retention: kept forever')
  t.notOk('kmsKeyId' in all.logGroups[0])
  t.same((await logs.describeLogGroups({ logGroupNamePrefix: '/ecs' })).logGroups.map((g) => g.logGroupName), ['/ecs/web'])
  t.same((await logs.describeLogGroups({ logGroupIdentifiers: ['arn:aws:logs:us-east-1:000000000000:log-group:app#1_x.y-z'] })).logGroups.map((g) => g.logGroupName), ['app#1_x.y-z'])

  await t.rejects(logs.createLogGroup({ logGroupName: '/ecs/web' }), { code: 'ResourceAlreadyExistsException', field: 'logGroupName' })
  await t.rejects(logs.createLogGroup({ logGroupName: '' }), { code: 'InvalidParameterException', field: 'logGroupName', limit: 1 })
  await t.rejects(logs.createLogGroup({ logGroupName: 'a'.repeat(513) }), { code: 'InvalidParameterException', field: 'logGroupName', limit: 512 })
  await t.rejects(logs.createLogGroup({ logGroupName: 'has space' }), { code: 'InvalidParameterException', field: 'logGroupName' })
  await t.rejects(logs.createLogGroup({ logGroupName: 'a:b' }), { code: 'InvalidParameterException', field: 'logGroupName' })
  await t.rejects(logs.createLogGroup({ logGroupName: 'k', kmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/x' }), { code: 'InvalidParameterException', field: 'kmsKeyId' })
  await t.rejects(logs.createLogGroup({ logGroupName: 'k', tags: { 'aws:x': '1' } }), { code: 'InvalidParameterException' })
  await logs.createLogGroup({ logGroupName: 'a'.repeat(512) })
  t.equal((await logs.describeLogGroups({})).logGroups.length, 3, 'refused names created nothing; 512 characters is allowed')

  const paged = await logs.describeLogGroups({ limit: 2 })
  t.equal(paged.logGroups.length, 2)
  const rest = await logs.describeLogGroups({ limit: 2, nextToken: paged.nextToken })
  t.same(rest.logGroups.map((g) => g.logGroupName), ['app#1_x.y-z'], 'pages go on after the last name')

  await logs.deleteLogGroup({ logGroupName: '/ecs/web' })
  t.same((await logs.describeLogGroups({ logGroupNamePrefix: '/ecs' })).logGroups, [], 'deleted')
  await t.rejects(logs.deleteLogGroup({ logGroupName: '/ecs/web' }), { code: 'ResourceNotFoundException', message: 'The specified log group does not exist.' })
  await logs.createLogGroup({ logGroupName: '/ecs/web' })
  t.same(await logs.listTagsForResource({ resourceArn: 'arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web' }), { tags: {} }, 'created again: nothing of the old one')
})

t.test('retention: documented values only; older events are not returned; DeleteRetentionPolicy keeps them again', async (t) => {
  const rig = await logsRig()
  t.teardown(() => rig.close())
  const { logs } = rig
  await logs.createLogGroup({ logGroupName: 'app' })
  await logs.createLogStream({ logGroupName: 'app', logStreamName: 's' })
  const day = 86_400_000
  const now = rig.clock.now()
  await t.rejects(logs.putLogEvents({ logGroupName: 'app', logStreamName: 's', logEvents: [{ timestamp: now - 10 * day, message: 'ten days ago' }, { timestamp: now - 2 * day, message: 'two days ago' }] }),
    { code: 'InvalidParameterException', field: 'logEvents' }, 'one call spans at most 24 hours')
  await logs.putLogEvents({ logGroupName: 'app', logStreamName: 's', logEvents: [{ timestamp: now - 10 * day, message: 'ten days ago' }] })
  await logs.putLogEvents({ logGroupName: 'app', logStreamName: 's', logEvents: [{ timestamp: now - 2 * day, message: 'two days ago' }] })
  for (const bad of [0, 2, 4, 8, 3654, 1.5, -1]) {
    await t.rejects(logs.putRetentionPolicy({ logGroupName: 'app', retentionInDays: bad }), { code: 'InvalidParameterException', field: 'retentionInDays' }, `${bad} is refused`)
  }
  await t.rejects(logs.putRetentionPolicy({ logGroupName: 'none', retentionInDays: 7 }), { code: 'ResourceNotFoundException', field: 'logGroupName' })
  t.notOk('retentionInDays' in (await logs.describeLogGroups({})).logGroups[0], 'refusals changed nothing')
  t.equal(RETENTION_DAYS.length, 22)

  await logs.putRetentionPolicy({ logGroupName: 'app', retentionInDays: 7 })
  t.equal((await logs.describeLogGroups({})).logGroups[0].retentionInDays, 7)
  const read = async () => (await logs.getLogEvents({ logGroupName: 'app', logStreamName: 's', startFromHead: true })).events.map((e) => e.message)
  const filtered = async () => (await logs.filterLogEvents({ logGroupName: 'app' })).events.map((e) => e.message)
  t.same(await read(), ['two days ago'], 'the event past 7 days is not returned')
  t.same(await filtered(), ['two days ago'], 'nor filtered')
  await rig.clock.advance(6 * day)
  t.same(await read(), [], 'both are past 7 days now')
  const put = await logs.putLogEvents({ logGroupName: 'app', logStreamName: 's', logEvents: [{ timestamp: rig.clock.now() - 8 * day, message: 'old' }] })
  await logs.putLogEvents({ logGroupName: 'app', logStreamName: 's', logEvents: [{ timestamp: rig.clock.now(), message: 'new' }] })
  t.same(put, { rejectedLogEventsInfo: { expiredLogEventEndIndex: 0 } }, 'an event past the retention is rejected by index')
  await logs.deleteRetentionPolicy({ logGroupName: 'app' })
  t.notOk('retentionInDays' in (await logs.describeLogGroups({})).logGroups[0])
  t.same(await read(), ['ten days ago', 'two days ago', 'new'], 'without a policy: kept forever')
})

t.test('tags: TagResource / UntagResource / ListTagsForResource by ARN, and the older calls by name', async (t) => {
  const rig = await logsRig()
  t.teardown(() => rig.close())
  const { logs } = rig
  const arn = 'arn:aws:logs:us-east-1:000000000000:log-group:app'
  await logs.createLogGroup({ logGroupName: 'app', tags: { a: '1' } })
  await logs.tagResource({ resourceArn: arn, tags: { b: '2' } })
  t.same(await logs.listTagsForResource({ resourceArn: arn }), { tags: { a: '1', b: '2' } })
  t.same(await logs.listTagsForResource({ resourceArn: `${arn}:*` }), { tags: { a: '1', b: '2' } }, 'the ARN with :* names the group too')
  await logs.untagResource({ resourceArn: arn, tagKeys: ['a'] })
  await logs.tagLogGroup({ logGroupName: 'app', tags: { c: '3' } })
  t.same(await logs.listTagsLogGroup({ logGroupName: 'app' }), { tags: { b: '2', c: '3' } })
  await logs.untagLogGroup({ logGroupName: 'app', tags: ['b'] })
  t.same(await logs.listTagsForResource({ resourceArn: arn }), { tags: { c: '3' } })
  const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']))
  await t.rejects(logs.tagResource({ resourceArn: arn, tags: many }), { code: 'InvalidParameterException', limit: 50 }, '50 more make 51 on the group')
  t.same(await logs.listTagsForResource({ resourceArn: arn }), { tags: { c: '3' } }, 'nothing half-applied')
  await t.rejects(logs.tagResource({ resourceArn: 'app', tags: { x: 'y' } }), { code: 'InvalidParameterException', field: 'resourceArn' })
  await t.rejects(logs.listTagsForResource({ resourceArn: 'arn:aws:logs:us-east-1:000000000000:log-group:none' }), { code: 'ResourceNotFoundException', field: 'resourceArn' })
  await t.rejects(logs.listTagsForResource({ resourceArn: 'arn:aws:logs:us-east-1:111111111111:log-group:app' }), { code: 'ResourceNotFoundException' }, 'another account\'s group is none of ours')
})

t.test('Batch\'s /aws/batch/job: listed among the others once a job ran, takes retention and tags, is not deleted, serves its job files', async (t) => {
  // The job's attempt ran and ended at START (what Batch#logStreamAttempt says of it).
  const rig = await logsRig(undefined, undefined, (name) => (name === 'def/default/job-1' ? { startedAt: START, stoppedAt: START, live: false } : undefined))
  t.teardown(() => rig.close())
  const { logs } = rig
  await logs.createLogGroup({ logGroupName: '/aws/ecs/x' })
  await t.rejects(logs.putRetentionPolicy({ logGroupName: '/aws/batch/job', retentionInDays: 1 }), { code: 'ResourceNotFoundException' }, 'no job ran yet: no group')
  // As Batch does when an attempt starts: the LogStore notes the group, the runner writes the stream's file.
  const batchLogs = new LogStore(join(rig.dir, 'batch'))
  batchLogs.noteGroup(rig.clock.now())
  await mkdir(join(rig.dir, 'batch', 'def', 'default'), { recursive: true })
  await writeFile(batchLogs.pathOf('def/default/job-1'), 'job says hi\n')
  t.same((await logs.describeLogGroups({})).logGroups.map((g) => g.logGroupName), ['/aws/batch/job', '/aws/ecs/x'])
  await t.rejects(logs.createLogGroup({ logGroupName: '/aws/batch/job' }), { code: 'ResourceAlreadyExistsException' })
  await logs.putRetentionPolicy({ logGroupName: '/aws/batch/job', retentionInDays: 3 })
  await logs.tagLogGroup({ logGroupName: '/aws/batch/job', tags: { owner: 'batch' } })
  const [batch] = (await logs.describeLogGroups({ logGroupNamePrefix: '/aws/batch' })).logGroups
  t.match(batch, { logGroupName: '/aws/batch/job', retentionInDays: 3, creationTime: rig.clock.now() })
  t.same(await logs.listTagsLogGroup({ logGroupName: '/aws/batch/job' }), { tags: { owner: 'batch' } })
  await t.rejects(logs.deleteLogGroup({ logGroupName: '/aws/batch/job' }), { code: 'InvalidParameterException', field: 'logGroupName' })
  t.same((await logs.describeLogStreams({ logGroupName: '/aws/batch/job' })).logStreams.map((s) => s.logStreamName), ['def/default/job-1'])
  t.same((await logs.getLogEvents({ logGroupName: '/aws/batch/job', logStreamName: 'def/default/job-1' })).events.map((e) => e.message), ['job says hi'])
  await rig.clock.advance(4 * 86_400_000)
  t.same((await logs.getLogEvents({ logGroupName: '/aws/batch/job', logStreamName: 'def/default/job-1' })).events, [], 'past its 3 days of retention')
})
