// CloudWatch Logs over the wire: the official @aws-sdk/client-cloudwatch-logs
// against an embedded cloud's endpoint (the whole engine, the process runner:
// a job really prints lines). The group /aws/batch/job, the stream Batch
// reports in container.logStreamName, GetLogEvents' tokens, FilterLogEvents,
// and ResourceNotFoundException for what is not there.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { BatchClient, CreateComputeEnvironmentCommand, CreateJobQueueCommand, DescribeJobsCommand, RegisterJobDefinitionCommand, SubmitJobCommand, type JobDetail } from '@aws-sdk/client-batch'
import {
  CloudWatchLogsClient, DescribeLogGroupsCommand, DescribeLogStreamsCommand, FilterLogEventsCommand, GetLogEventsCommand, InvalidParameterException,
  ResourceNotFoundException, paginateFilterLogEvents
} from '@aws-sdk/client-cloudwatch-logs'
import { Stratus } from '../../../sdk/index.js'
import { clientConfig } from './clients.js'

async function finished(batch: BatchClient, jobId: string): Promise<JobDetail> {
  for (;;) {
    const [job] = (await batch.send(new DescribeJobsCommand({ jobs: [jobId] }))).jobs!
    if (job.status === 'SUCCEEDED' || job.status === 'FAILED') return job
    await sleep(20)
  }
}

t.test('a job\'s printed lines, read through the CloudWatch Logs API', async (t) => {
  const cloud = await Stratus.embedded({ runner: 'process' })
  t.teardown(() => cloud.close())
  const batch = new BatchClient(clientConfig(cloud))
  const logs = new CloudWatchLogsClient(clientConfig(cloud))
  t.teardown(() => { batch.destroy(); logs.destroy() })

  t.same((await logs.send(new DescribeLogGroupsCommand({}))).logGroups, [], 'no job ran yet: no group')
  const noGroup = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/batch/job' })).catch((e) => e)
  t.ok(noGroup instanceof ResourceNotFoundException, 'no group yet: ResourceNotFoundException')
  t.equal(noGroup.$metadata.httpStatusCode, 400)

  await batch.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: 'local', type: 'UNMANAGED' }))
  await cloud.batch.service.waitForComputeEnvironment('local')
  await cloud.batch.service.registerNode('local', { vcpus: 2, memory: 2048 })
  await batch.send(new CreateJobQueueCommand({ jobQueueName: 'jobs', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'local' }] }))
  await cloud.batch.service.waitForJobQueue('jobs')
  // No image: the process runner runs the command.
  await batch.send(new RegisterJobDefinitionCommand({
    jobDefinitionName: 'printer', type: 'container',
    containerProperties: { command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo "line $i"; done; echo "ERROR disk full"; echo done'], resourceRequirements: [{ type: 'VCPU', value: '1' }, { type: 'MEMORY', value: '128' }] }
  }))
  const { jobId } = await batch.send(new SubmitJobCommand({ jobName: 'print', jobQueue: 'jobs', jobDefinition: 'printer' }))
  const job = await finished(batch, jobId!)
  t.equal(job.status, 'SUCCEEDED')
  const stream = job.container!.logStreamName!
  t.match(stream, /^printer\/default\//, 'Batch reports the stream')

  const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/batch' }))
  t.same(groups.logGroups?.map((g) => g.logGroupName), ['/aws/batch/job'])
  t.equal(groups.logGroups?.[0].arn, 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/batch/job:*')
  t.equal(typeof groups.logGroups?.[0].creationTime, 'number', 'epoch milliseconds, as CloudWatch Logs sends them')
  const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/batch/job' }))
  t.same(streams.logStreams?.map((s) => s.logStreamName), [stream], 'the stream Batch reports')
  // The stream's times are its attempt's (the runner's start and end), not the job's: the job's startedAt is when
  // its RUNNING was recorded, which may come after a short attempt already ended.
  const attempt = job.attempts![0]
  t.ok(streams.logStreams![0].firstEventTimestamp! >= attempt.startedAt!)

  const lines = ['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'ERROR disk full', 'done']
  const all = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/batch/job', logStreamName: stream, startFromHead: true }))
  t.same(all.events?.map((e) => e.message), lines, 'the job\'s output, in order')
  for (const e of all.events!) t.ok(e.timestamp! >= attempt.startedAt! && e.timestamp! <= attempt.stoppedAt!, 'timed within the attempt')

  // Forward from the head, three at a time.
  const read: string[] = []
  let token: string | undefined
  let page = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/batch/job', logStreamName: stream, startFromHead: true, limit: 3 }))
  while (page.events!.length > 0) {
    t.ok(page.events!.length <= 3)
    read.push(...page.events!.map((e) => e.message!))
    token = page.nextForwardToken
    page = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/batch/job', logStreamName: stream, startFromHead: true, limit: 3, nextToken: token }))
  }
  t.same(read, lines, 'forward tokens read every line once')
  t.equal(page.nextForwardToken, token, 'at the end the forward token repeats')
  const tail = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/batch/job', logStreamName: stream, limit: 2 }))
  t.same(tail.events?.map((e) => e.message), ['ERROR disk full', 'done'], 'without startFromHead: the last events')

  const errors = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/batch/job', filterPattern: 'ERROR' }))
  t.same(errors.events?.map((e) => [e.message, e.logStreamName]), [['ERROR disk full', stream]], 'a term')
  t.same((await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/batch/job', filterPattern: '"line 3"' }))).events?.map((e) => e.message), ['line 3'], 'a quoted phrase')
  const paged: string[] = []
  for await (const p of paginateFilterLogEvents({ client: logs, pageSize: 2 }, { logGroupName: '/aws/batch/job', filterPattern: 'line' })) paged.push(...p.events!.map((e) => e.message!))
  t.same(paged, lines.slice(0, 5), 'paging across pages')

  const missing = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/batch/job', logStreamName: 'printer/default/none' })).catch((e) => e)
  t.ok(missing instanceof ResourceNotFoundException, 'a missing stream')
  t.equal(missing.message, 'The specified log stream does not exist.')
  t.equal(missing.$metadata.httpStatusCode, 400)
  const otherGroup = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/batch/other', logStreamName: stream })).catch((e) => e)
  t.ok(otherGroup instanceof ResourceNotFoundException, 'a missing group')
  const tooMany = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/batch/job', logStreamName: stream, limit: 10_001 })).catch((e) => e)
  t.ok(tooMany instanceof InvalidParameterException, 'a limit over 10,000')
  t.match(tooMany.message, /limit/)
  const badPattern = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/batch/job', filterPattern: '"open' })).catch((e) => e)
  t.ok(badPattern instanceof InvalidParameterException, 'a pattern that does not parse')
})
