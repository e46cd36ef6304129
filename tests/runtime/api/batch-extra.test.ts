// Batch's tags, scheduling policies and ListJobs filters over the wire: the
// official @aws-sdk/client-batch against an embedded cloud's endpoint (the
// whole engine, its router and tables), errors as the SDK's ClientException.
import t, { type Test } from 'tap'
import {
  BatchClient, ClientException, CreateComputeEnvironmentCommand, CreateJobQueueCommand, CreateSchedulingPolicyCommand, DeleteSchedulingPolicyCommand,
  DescribeJobQueuesCommand, DescribeSchedulingPoliciesCommand, ListJobsCommand, ListSchedulingPoliciesCommand, ListTagsForResourceCommand,
  RegisterJobDefinitionCommand, SubmitJobCommand, TagResourceCommand, UntagResourceCommand, UpdateSchedulingPolicyCommand,
  paginateListSchedulingPolicies, type KeyValuesPair
} from '@aws-sdk/client-batch'
import { clientConfig, simulatedCloud } from './clients.js'

const SIM = [{ name: 'STRATUS_SIM_SECONDS', value: '100' }]

async function setUp(t: Test) {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const batch = new BatchClient(clientConfig(cloud))
  t.teardown(() => batch.destroy())
  return { cloud, batch }
}

t.test('Tag, Untag and ListTagsForResource on every Batch resource', async (t) => {
  const { cloud, batch } = await setUp(t)
  const ce = await batch.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: 'ce', type: 'UNMANAGED', tags: { made: 'create' } }))
  await cloud.batch.service.waitForComputeEnvironment('ce')
  await cloud.batch.service.registerNode('ce', { vcpus: 1, memory: 1024 })
  const queue = await batch.send(new CreateJobQueueCommand({ jobQueueName: 'q', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }], tags: { made: 'create' } }))
  await cloud.batch.service.waitForJobQueue('q')
  const def = await batch.send(new RegisterJobDefinitionCommand({
    jobDefinitionName: 'd', type: 'container', tags: { made: 'create' },
    containerProperties: { command: ['true'], resourceRequirements: [{ type: 'VCPU', value: '1' }, { type: 'MEMORY', value: '128' }], environment: SIM }
  }))
  const job = await batch.send(new SubmitJobCommand({ jobName: 'j', jobQueue: 'q', jobDefinition: 'd', tags: { made: 'create' } }))
  const policy = await batch.send(new CreateSchedulingPolicyCommand({ name: 'sp', tags: { made: 'create' } }))

  for (const arn of [ce.computeEnvironmentArn!, queue.jobQueueArn!, def.jobDefinitionArn!, job.jobArn!, policy.arn!]) {
    t.same((await batch.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, { made: 'create' }, `${arn}: the tags it was made with`)
    await batch.send(new TagResourceCommand({ resourceArn: arn, tags: { team: 'a', env: 'dev' } }))
    t.same((await batch.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, { made: 'create', team: 'a', env: 'dev' }, `${arn}: tagged`)
    // DELETE /v1/tags/{arn}?tagKeys=made&tagKeys=env
    await batch.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['made', 'env'] }))
    t.same((await batch.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, { team: 'a' }, `${arn}: untagged`)
  }
  t.same((await batch.send(new DescribeJobQueuesCommand({ jobQueues: ['q'] }))).jobQueues?.[0].tags, { team: 'a' }, 'Describe agrees with ListTagsForResource')

  const missing = await batch.send(new ListTagsForResourceCommand({ resourceArn: 'arn:aws:batch:us-east-1:000000000000:job-queue/nope' })).catch((e) => e)
  t.ok(missing instanceof ClientException, 'an unknown resource: ClientException')
  t.equal(missing.$metadata.httpStatusCode, 400)
  const bad = await batch.send(new TagResourceCommand({ resourceArn: queue.jobQueueArn!, tags: { 'aws:reserved': 'x' } })).catch((e) => e)
  t.ok(bad instanceof ClientException, 'a reserved aws: key: ClientException')
  const tooMany = await batch.send(new TagResourceCommand({ resourceArn: queue.jobQueueArn!, tags: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'])) })).catch((e) => e)
  t.ok(tooMany instanceof ClientException, 'more than 50 tags: ClientException')
  t.same((await batch.send(new ListTagsForResourceCommand({ resourceArn: queue.jobQueueArn! }))).tags, { team: 'a' }, 'refused calls changed nothing')
})

t.test('scheduling policies: create, update, describe, list with paging, delete; a fair-share queue', async (t) => {
  const { cloud, batch } = await setUp(t)
  const fairsharePolicy = { shareDecaySeconds: 3600, computeReservation: 10, shareDistribution: [{ shareIdentifier: 'teamA', weightFactor: 0.5 }, { shareIdentifier: 'teamB*' }] }
  const made = await batch.send(new CreateSchedulingPolicyCommand({ name: 'fair', fairsharePolicy }))
  t.equal(made.arn, 'arn:aws:batch:us-east-1:000000000000:scheduling-policy/fair')
  t.equal(made.name, 'fair')
  const described = await batch.send(new DescribeSchedulingPoliciesCommand({ arns: [made.arn!, 'arn:aws:batch:us-east-1:000000000000:scheduling-policy/unknown'] }))
  t.same(described.schedulingPolicies?.map((p) => ({ name: p.name, arn: p.arn, fairsharePolicy: p.fairsharePolicy })), [{ name: 'fair', arn: made.arn, fairsharePolicy }], 'unknown ARNs left out')

  const dup = await batch.send(new CreateSchedulingPolicyCommand({ name: 'fair' })).catch((e) => e)
  t.ok(dup instanceof ClientException, 'a second policy of the same name')
  const invalid = await batch.send(new CreateSchedulingPolicyCommand({ name: 'x', fairsharePolicy: { shareDecaySeconds: 604_801 } })).catch((e) => e)
  t.ok(invalid instanceof ClientException)
  t.match(invalid.message, /shareDecaySeconds/)

  for (let i = 0; i < 4; i++) await batch.send(new CreateSchedulingPolicyCommand({ name: `p${i}` }))
  const first = await batch.send(new ListSchedulingPoliciesCommand({ maxResults: 2 }))
  t.equal(first.schedulingPolicies?.length, 2)
  t.ok(first.nextToken, 'a next page')
  const seen: string[] = []
  for await (const page of paginateListSchedulingPolicies({ client: batch, pageSize: 2 }, {})) {
    t.ok(page.schedulingPolicies!.length <= 2)
    seen.push(...page.schedulingPolicies!.map((p) => p.arn!.split('/')[1]))
  }
  t.same(seen, ['fair', 'p0', 'p1', 'p2', 'p3'], 'every policy once, across pages')

  await batch.send(new UpdateSchedulingPolicyCommand({ arn: made.arn!, fairsharePolicy: { shareDecaySeconds: 0, shareDistribution: [{ shareIdentifier: 'a' }] } }))
  t.same((await batch.send(new DescribeSchedulingPoliciesCommand({ arns: [made.arn!] }))).schedulingPolicies?.[0].fairsharePolicy, { shareDecaySeconds: 0, shareDistribution: [{ shareIdentifier: 'a' }] })

  // A fair-share queue with the policy: its jobs name their share.
  await batch.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: 'ce', type: 'UNMANAGED' }))
  await cloud.batch.service.waitForComputeEnvironment('ce')
  const fq = await batch.send(new CreateJobQueueCommand({ jobQueueName: 'fq', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }], schedulingPolicyArn: made.arn }))
  await cloud.batch.service.waitForJobQueue('fq')
  t.equal((await batch.send(new DescribeJobQueuesCommand({ jobQueues: [fq.jobQueueArn!] }))).jobQueues?.[0].schedulingPolicyArn, made.arn)
  await batch.send(new RegisterJobDefinitionCommand({ jobDefinitionName: 'd', type: 'container', containerProperties: { command: ['true'], vcpus: 1, memory: 128, environment: SIM } }))
  const noShare = await batch.send(new SubmitJobCommand({ jobName: 'j', jobQueue: 'fq', jobDefinition: 'd' })).catch((e) => e)
  t.ok(noShare instanceof ClientException, 'a job on a fair-share queue without a share identifier')
  t.match(noShare.message, /shareIdentifier/)
  t.ok((await batch.send(new SubmitJobCommand({ jobName: 'j', jobQueue: 'fq', jobDefinition: 'd', shareIdentifier: 'a', schedulingPriorityOverride: 5 }))).jobId)

  const inUse = await batch.send(new DeleteSchedulingPolicyCommand({ arn: made.arn! })).catch((e) => e)
  t.ok(inUse instanceof ClientException, 'a policy a queue names is not deleted')
  await batch.send(new DeleteSchedulingPolicyCommand({ arn: 'arn:aws:batch:us-east-1:000000000000:scheduling-policy/p0' }))
  t.same((await batch.send(new DescribeSchedulingPoliciesCommand({ arns: ['arn:aws:batch:us-east-1:000000000000:scheduling-policy/p0'] }))).schedulingPolicies, [])
  const again = await batch.send(new DeleteSchedulingPolicyCommand({ arn: 'arn:aws:batch:us-east-1:000000000000:scheduling-policy/p0' })).catch((e) => e)
  t.ok(again instanceof ClientException, 'deleting it twice')
})

t.test('ListJobs with every filter AWS has', async (t) => {
  const { cloud, batch } = await setUp(t)
  await batch.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: 'ce', type: 'UNMANAGED' }))
  await cloud.batch.service.waitForComputeEnvironment('ce')
  for (let i = 0; i < 4; i++) await cloud.batch.service.registerNode('ce', { vcpus: 1, memory: 1024 })
  await batch.send(new CreateJobQueueCommand({ jobQueueName: 'q', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }] }))
  await cloud.batch.service.waitForJobQueue('q')
  const container = { command: ['true'], resourceRequirements: [{ type: 'VCPU' as const, value: '1' }, { type: 'MEMORY' as const, value: '128' }], environment: SIM }
  const d1 = await batch.send(new RegisterJobDefinitionCommand({ jobDefinitionName: 'work', type: 'container', containerProperties: container }))
  const d2 = await batch.send(new RegisterJobDefinitionCommand({ jobDefinitionName: 'work', type: 'container', containerProperties: container }))
  const other = await batch.send(new RegisterJobDefinitionCommand({ jobDefinitionName: 'other', type: 'container', containerProperties: container }))
  const mnp = await batch.send(new RegisterJobDefinitionCommand({
    jobDefinitionName: 'mnp', type: 'multinode', nodeProperties: { numNodes: 2, mainNode: 0, nodeRangeProperties: [{ targetNodes: ':', container }] }
  }))

  const submit = async (jobName: string, jobDefinition: string, extra: object = {}) => (await batch.send(new SubmitJobCommand({ jobName, jobQueue: 'q', jobDefinition, ...extra }))).jobId!
  const a = await submit('Test1', d1.jobDefinitionArn!)
  await cloud.clock.advance(1000)
  const middle = cloud.clock.now()
  await cloud.clock.advance(1000)
  const b = await submit('test10', d2.jobDefinitionArn!)
  const c = await submit('other', other.jobDefinitionArn!)
  await cloud.clock.advance(0)
  const list = async (name: string, value: string) =>
    (await batch.send(new ListJobsCommand({ jobQueue: 'q', filters: [{ name, values: [value] } as KeyValuesPair] }))).jobSummaryList!.map((s) => s.jobId).sort()
  t.same(await list('JOB_NAME', 'test1'), [a], 'JOB_NAME: case-insensitive, exact')
  t.same(await list('JOB_NAME', 'TEST1*'), [a, b].sort(), 'JOB_NAME: a prefix')
  t.same(await list('JOB_DEFINITION', 'work'), [a, b].sort(), 'JOB_DEFINITION: a name, every revision')
  t.same(await list('JOB_DEFINITION', d2.jobDefinitionArn!), [b], 'JOB_DEFINITION: an ARN, that revision')
  t.same(await list('BEFORE_CREATED_AT', String(middle)), [a], 'BEFORE_CREATED_AT')
  t.same(await list('AFTER_CREATED_AT', String(middle)), [b, c].sort(), 'AFTER_CREATED_AT')

  const running = (await batch.send(new ListJobsCommand({ jobQueue: 'q', jobStatus: 'RUNNING' }))).jobSummaryList!.map((s) => s.jobId).sort()
  t.same(running, [a, b, c].sort(), 'jobStatus RUNNING')
  t.same((await batch.send(new ListJobsCommand({ jobQueue: 'q', jobStatus: 'SUCCEEDED' }))).jobSummaryList, [], 'jobStatus SUCCEEDED: none yet')

  const array = await submit('arr', 'work', { arrayProperties: { size: 3 } })
  const children = (await batch.send(new ListJobsCommand({ arrayJobId: array }))).jobSummaryList!
  t.same(children.map((s) => s.jobId).sort(), [`${array}:0`, `${array}:1`, `${array}:2`], 'arrayJobId: the children')
  t.same(children.map((s) => s.arrayProperties?.index).sort(), [0, 1, 2])

  // Multi-node parallel jobs run on MANAGED environments only.
  await batch.send(new CreateComputeEnvironmentCommand({
    computeEnvironmentName: 'managed', type: 'MANAGED', computeResources: { type: 'EC2', minvCpus: 4, maxvCpus: 4, instanceTypes: ['m5.large'], subnets: ['subnet-1'], instanceRole: 'ecsInstanceRole' }
  }))
  await cloud.batch.service.waitForComputeEnvironment('managed')
  await batch.send(new CreateJobQueueCommand({ jobQueueName: 'mq', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'managed' }] }))
  await cloud.batch.service.waitForJobQueue('mq')
  const multi = (await batch.send(new SubmitJobCommand({ jobName: 'mnp', jobQueue: 'mq', jobDefinition: mnp.jobDefinitionArn! }))).jobId!
  await cloud.clock.advance(0)
  const nodes = (await batch.send(new ListJobsCommand({ multiNodeJobId: multi }))).jobSummaryList!
  t.same(nodes.map((s) => s.jobId).sort(), [`${multi}#0`, `${multi}#1`], 'multiNodeJobId: the nodes')

  const twoFilters = await batch.send(new ListJobsCommand({ jobQueue: 'q', filters: [{ name: 'JOB_NAME', values: ['a'] }, { name: 'JOB_NAME', values: ['b'] }] })).catch((e) => e)
  t.ok(twoFilters instanceof ClientException, 'two filters')
  t.equal(twoFilters.$metadata.httpStatusCode, 400)
  const badDate = await batch.send(new ListJobsCommand({ jobQueue: 'q', filters: [{ name: 'AFTER_CREATED_AT', values: ['yesterday'] }] })).catch((e) => e)
  t.ok(badDate instanceof ClientException, 'a date that is not one')
  const badName = await batch.send(new ListJobsCommand({ jobQueue: 'q', filters: [{ name: 'COLOUR', values: ['x'] }] })).catch((e) => e)
  t.ok(badName instanceof ClientException, 'an unknown filter name')
  const notArray = await batch.send(new ListJobsCommand({ arrayJobId: a })).catch((e) => e)
  t.ok(notArray instanceof ClientException, 'arrayJobId of a job that is not an array')
  const both = await batch.send(new ListJobsCommand({ jobQueue: 'q', arrayJobId: array })).catch((e) => e)
  t.ok(both instanceof ClientException, 'jobQueue and arrayJobId together')
  const none = await batch.send(new ListJobsCommand({})).catch((e) => e)
  t.ok(none instanceof ClientException, 'no queue, array or multi-node job')
})
