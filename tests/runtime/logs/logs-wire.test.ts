// CloudWatch Logs over the wire, and over a restart: the official
// @aws-sdk/client-cloudwatch-logs against an engine over a data directory
// (the SQLite store) creates groups, sets retention and tags, writes a stream
// with PutLogEvents and reads an awslogs file stream registered as ECS's
// tasks do; refusals name the member. A second engine over the same data
// directory serves the same groups, streams, events and times, also to the
// SDK's cloud.logs (embedded and remote).
import t from 'tap'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DeleteLogGroupCommand, DescribeLogGroupsCommand, DescribeLogStreamsCommand,
  FilterLogEventsCommand, GetLogEventsCommand, InvalidParameterException, ListTagsForResourceCommand, PutLogEventsCommand, PutRetentionPolicyCommand,
  ResourceAlreadyExistsException, ResourceNotFoundException, TagResourceCommand
} from '@aws-sdk/client-cloudwatch-logs'
import { Stratus } from '../../../sdk/index.js'
import { AwsLogs } from '../../../runtime/logs/index.js'
import { clientConfig } from '../api/clients.js'

const dataDir = await mkdtemp(join(tmpdir(), 'stratus-logs-wire-'))
t.teardown(() => rm(dataDir, { recursive: true, force: true }))

async function engine() {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated', dataDir })
  const client = new CloudWatchLogsClient(clientConfig(cloud))
  return { cloud, client, close: async () => { client.destroy(); await cloud.close() } }
}

t.test('groups, retention, tags, user streams and an awslogs file stream over the wire; all of it after a restart', async (t) => {
  const logFile = join(dataDir, 'ecs-work', 'task1', 'web.log')
  let expected: { events: Array<[string, number]>; created: number; groups: unknown }
  {
    const { cloud, client, close } = await engine()
    try {
      const now = cloud.engine.clock.now()
      await client.send(new CreateLogGroupCommand({ logGroupName: '/ecs/web', tags: { team: 'web' } }))
      const again = await client.send(new CreateLogGroupCommand({ logGroupName: '/ecs/web' })).catch((e) => e)
      t.ok(again instanceof ResourceAlreadyExistsException, 'ResourceAlreadyExistsException')
      const bad = await client.send(new CreateLogGroupCommand({ logGroupName: 'no spaces' })).catch((e) => e)
      t.ok(bad instanceof InvalidParameterException)
      t.match(bad.message, /^logGroupName: /, 'names the member')
      const missing = await client.send(new CreateLogGroupCommand({} as never)).catch((e) => e)
      t.ok(missing instanceof InvalidParameterException, 'a missing required member')
      t.match(missing.message, /logGroupName/)
      const badRetention = await client.send(new PutRetentionPolicyCommand({ logGroupName: '/ecs/web', retentionInDays: 2 })).catch((e) => e)
      t.ok(badRetention instanceof InvalidParameterException)
      t.match(badRetention.message, /^retentionInDays: must be one of 1, 3, 5, 7/)
      await client.send(new PutRetentionPolicyCommand({ logGroupName: '/ecs/web', retentionInDays: 30 }))
      await client.send(new TagResourceCommand({ resourceArn: 'arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web', tags: { env: 'test' } }))
      const notFound = await client.send(new PutRetentionPolicyCommand({ logGroupName: '/ecs/none', retentionInDays: 1 })).catch((e) => e)
      t.ok(notFound instanceof ResourceNotFoundException)
      t.equal(notFound.$metadata.httpStatusCode, 400)

      await client.send(new CreateLogStreamCommand({ logGroupName: '/ecs/web', logStreamName: 'manual' }))
      await client.send(new PutLogEventsCommand({ logGroupName: '/ecs/web', logStreamName: 'manual', logEvents: [{ timestamp: now - 1, message: 'by hand' }] }))
      // As ECS's tasks register a container's output (the runner writes the file).
      await mkdir(join(dataDir, 'ecs-work', 'task1'), { recursive: true })
      await writeFile(logFile, 'listening on 8080\nready\n')
      AwsLogs.open(cloud.engine.store, { group: '/ecs/web', stream: 'ecs/web/task1', filePath: logFile, createdAt: now, createGroup: false })
      await cloud.clock.advance(1500)
      const got = await client.send(new GetLogEventsCommand({ logGroupName: '/ecs/web', logStreamName: 'ecs/web/task1', startFromHead: true }))
      t.same(got.events?.map((e) => e.message), ['listening on 8080', 'ready'], 'the container\'s lines')
      AwsLogs.end(cloud.engine.store, { group: '/ecs/web', stream: 'ecs/web/task1', endedAt: cloud.engine.clock.now() })
      const filtered = await client.send(new FilterLogEventsCommand({ logGroupName: '/ecs/web', filterPattern: 'ready' }))
      t.same(filtered.events?.map((e) => [e.logStreamName, e.message]), [['ecs/web/task1', 'ready']])
      const streams = await client.send(new DescribeLogStreamsCommand({ logGroupName: '/ecs/web' }))
      t.same(streams.logStreams?.map((s) => s.logStreamName), ['ecs/web/task1', 'manual'])
      const groups = await client.send(new DescribeLogGroupsCommand({}))
      t.match(groups.logGroups, [{ logGroupName: '/ecs/web', retentionInDays: 30, arn: 'arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:*' }])
      await client.send(new CreateLogGroupCommand({ logGroupName: 'doomed' }))
      await client.send(new DeleteLogGroupCommand({ logGroupName: 'doomed' }))
      expected = {
        events: [...got.events!.map((e) => [e.message!, e.timestamp!] as [string, number])],
        created: now,
        groups: groups.logGroups
      }
    } finally {
      await close()
    }
  }
  {
    const { cloud, client, close } = await engine()
    try {
      t.same((await client.send(new DescribeLogGroupsCommand({}))).logGroups, expected.groups, 'the same groups after a restart (retention included; the deleted one stays gone)')
      // The SDK: cloud.logs, embedded and remote (over the same API), the same answers and coded errors.
      const remote = await Stratus.connect(`http://${cloud.endpoint}`)
      t.teardown(() => remote.close())
      t.same((await remote.logs.describeLogGroups({})).logGroups, expected.groups, 'remote SDK: the same groups')
      t.same((await cloud.logs.describeLogGroups({})).logGroups, expected.groups, 'embedded SDK: the same groups')
      t.same((await remote.logs.getLogEvents({ logGroupName: '/ecs/web', logStreamName: 'ecs/web/task1', startFromHead: true })).events.map((e) => [e.message, e.timestamp]), expected.events)
      await t.rejects(remote.logs.createLogGroup({ logGroupName: 'bad name' }), { code: 'InvalidParameterException', field: 'logGroupName' }, 'remote: the field named')
      await t.rejects(cloud.logs.createLogGroup({ logGroupName: '/ecs/web' }), { code: 'ResourceAlreadyExistsException' })
      t.same((await client.send(new ListTagsForResourceCommand({ resourceArn: 'arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web' }))).tags, { team: 'web', env: 'test' })
      const streams = await client.send(new DescribeLogStreamsCommand({ logGroupName: '/ecs/web' }))
      t.same(streams.logStreams?.map((s) => [s.logStreamName, s.creationTime]), [['ecs/web/task1', expected.created], ['manual', expected.created]])
      const file = await client.send(new GetLogEventsCommand({ logGroupName: '/ecs/web', logStreamName: 'ecs/web/task1', startFromHead: true }))
      t.same(file.events?.map((e) => [e.message, e.timestamp]), expected.events, 'the file stream\'s lines, with the times they had')
      const manual = await client.send(new GetLogEventsCommand({ logGroupName: '/ecs/web', logStreamName: 'manual', startFromHead: true }))
      t.same(manual.events?.map((e) => e.message), ['by hand'], 'PutLogEvents\' events are in the store')
    } finally {
      await close()
    }
  }
})
