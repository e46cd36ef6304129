// AWS Batch over the wire: the official @aws-sdk/client-batch against an
// embedded cloud's endpoint, every BatchApi operation round-tripping, and
// Batch's errors surfacing as the SDK's typed exceptions.
import t from 'tap'
import {
  BatchClient, CancelJobCommand, ClientException, CreateComputeEnvironmentCommand, CreateJobQueueCommand, DeleteComputeEnvironmentCommand,
  DeleteJobQueueCommand, DeregisterJobDefinitionCommand, DescribeComputeEnvironmentsCommand, DescribeJobDefinitionsCommand, DescribeJobQueuesCommand,
  DescribeJobsCommand, ListJobsCommand, RegisterJobDefinitionCommand, SubmitJobCommand, TerminateJobCommand, UpdateComputeEnvironmentCommand,
  UpdateJobQueueCommand, paginateListJobs
} from '@aws-sdk/client-batch'
import { clientConfig, simulatedCloud } from './clients.js'

t.test('compute environment, queue, definition, jobs: every Batch operation through the SDK', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const batch = new BatchClient(clientConfig(cloud))
  t.teardown(() => batch.destroy())

  const ce = await batch.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: 'own', type: 'UNMANAGED', tags: { team: 'a' } }))
  t.equal(ce.computeEnvironmentArn, 'arn:aws:batch:us-east-1:000000000000:compute-environment/own')
  t.equal(ce.computeEnvironmentName, 'own')
  await cloud.batch.service.waitForComputeEnvironment('own')
  await cloud.batch.service.registerNode('own', { vcpus: 1, memory: 1024 })
  const described = await batch.send(new DescribeComputeEnvironmentsCommand({ computeEnvironments: ['own'] }))
  t.equal(described.computeEnvironments?.[0].status, 'VALID')
  t.same(described.computeEnvironments?.[0].tags, { team: 'a' })
  const updated = await batch.send(new UpdateComputeEnvironmentCommand({ computeEnvironment: 'own', state: 'ENABLED' }))
  t.equal(updated.computeEnvironmentName, 'own')

  const queue = await batch.send(new CreateJobQueueCommand({ jobQueueName: 'q', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'own' }] }))
  t.equal(queue.jobQueueArn, 'arn:aws:batch:us-east-1:000000000000:job-queue/q')
  await cloud.batch.service.waitForJobQueue('q')
  await batch.send(new UpdateJobQueueCommand({ jobQueue: 'q', priority: 5 }))
  const queues = await batch.send(new DescribeJobQueuesCommand({ jobQueues: ['q'] }))
  t.equal(queues.jobQueues?.[0].priority, 5)
  t.equal(queues.jobQueues?.[0].computeEnvironmentOrder?.[0].computeEnvironment, ce.computeEnvironmentArn)

  const def = await batch.send(new RegisterJobDefinitionCommand({
    jobDefinitionName: 'work', type: 'container',
    containerProperties: { command: ['sh', '-c', 'true'], resourceRequirements: [{ type: 'VCPU', value: '1' }, { type: 'MEMORY', value: '128' }], environment: [{ name: 'STRATUS_SIM_SECONDS', value: '60' }] }
  }))
  t.equal(def.revision, 1)
  t.equal(def.jobDefinitionArn, 'arn:aws:batch:us-east-1:000000000000:job-definition/work:1')
  const defs = await batch.send(new DescribeJobDefinitionsCommand({ jobDefinitionName: 'work', status: 'ACTIVE' }))
  t.equal(defs.jobDefinitions?.length, 1)

  const submitted = await batch.send(new SubmitJobCommand({ jobName: 'first', jobQueue: 'q', jobDefinition: 'work' }))
  t.match(submitted.jobId, /^[0-9a-f-]{36}$/)
  t.equal(submitted.jobArn, `arn:aws:batch:us-east-1:000000000000:job/${submitted.jobId}`)
  await cloud.clock.advance(0)
  const [detail] = (await batch.send(new DescribeJobsCommand({ jobs: [submitted.jobId!] }))).jobs!
  t.equal(detail.jobName, 'first')
  t.equal(detail.status, 'RUNNING', 'one node: the first job runs')
  t.equal(typeof detail.createdAt, 'number', 'Batch timestamps are epoch milliseconds')

  // Five more wait behind it; ListJobs pages through them two at a time.
  const waiting: string[] = []
  for (let i = 0; i < 5; i++) waiting.push((await batch.send(new SubmitJobCommand({ jobName: `next-${i}`, jobQueue: 'q', jobDefinition: 'work:1' }))).jobId!)
  await cloud.clock.advance(0)
  const first = await batch.send(new ListJobsCommand({ jobQueue: 'q', jobStatus: 'RUNNABLE', maxResults: 2 }))
  t.equal(first.jobSummaryList?.length, 2)
  t.ok(first.nextToken, 'a next page')
  const listed: string[] = []
  for await (const page of paginateListJobs({ client: batch, pageSize: 2 }, { jobQueue: 'q', jobStatus: 'RUNNABLE' })) {
    t.ok(page.jobSummaryList!.length <= 2)
    listed.push(...page.jobSummaryList!.map((j) => j.jobId!))
  }
  t.same(listed.sort(), [...waiting].sort(), 'every page, every waiting job once')

  await batch.send(new CancelJobCommand({ jobId: waiting[0], reason: 'not needed' }))
  await batch.send(new TerminateJobCommand({ jobId: submitted.jobId!, reason: 'stop' }))
  await cloud.clock.advance(0)
  const ended = (await batch.send(new DescribeJobsCommand({ jobs: [waiting[0], submitted.jobId!] }))).jobs!
  const byId = new Map(ended.map((j) => [j.jobId, j]))
  t.equal(byId.get(waiting[0])?.status, 'FAILED', 'cancelled')
  t.equal(byId.get(waiting[0])?.statusReason, 'not needed')
  t.equal(byId.get(submitted.jobId)?.status, 'FAILED', 'terminated')

  await batch.send(new DeregisterJobDefinitionCommand({ jobDefinition: 'work:1' }))
  t.equal((await batch.send(new DescribeJobDefinitionsCommand({ jobDefinitions: ['work:1'] }))).jobDefinitions?.[0].status, 'INACTIVE')
  await batch.send(new UpdateJobQueueCommand({ jobQueue: 'q', state: 'DISABLED' }))
  for (const id of waiting.slice(1)) await batch.send(new CancelJobCommand({ jobId: id, reason: 'cleanup' }))
  await cloud.clock.advance(0)
  await batch.send(new DeleteJobQueueCommand({ jobQueue: 'q' }))
  await cloud.batch.service.waitForJobQueue('q').catch(() => undefined)
  t.same((await batch.send(new DescribeJobQueuesCommand({ jobQueues: ['q'] }))).jobQueues, [], 'the queue is gone')
  await batch.send(new UpdateComputeEnvironmentCommand({ computeEnvironment: 'own', state: 'DISABLED' }))
  await cloud.batch.service.waitForComputeEnvironment('own')
  await batch.send(new DeleteComputeEnvironmentCommand({ computeEnvironment: 'own' }))
  await cloud.batch.service.waitForComputeEnvironment('own').catch(() => undefined)
  t.same((await batch.send(new DescribeComputeEnvironmentsCommand({}))).computeEnvironments, [], 'the environment is gone')
})

t.test('Batch errors are the SDK\'s ClientException, with the engine\'s message', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const batch = new BatchClient(clientConfig(cloud))
  t.teardown(() => batch.destroy())
  const err = await batch.send(new SubmitJobCommand({ jobName: 'x', jobQueue: 'missing', jobDefinition: 'nothing' })).catch((e) => e)
  t.ok(err instanceof ClientException, 'a typed ClientException')
  t.equal(err.$metadata.httpStatusCode, 400)
  t.match(err.message, /missing|nothing/)
  t.ok(err.$metadata.requestId, 'the request id reaches the SDK')
  const dup = await batch.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: 'same', type: 'UNMANAGED' }))
    .then(() => batch.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: 'same', type: 'UNMANAGED' }))).catch((e) => e)
  t.ok(dup instanceof ClientException, 'a second environment of the same name')
})
