// TagResource, UntagResource and ListTagsForResource on every taggable Batch
// resource, with Batch's limits; the tags given at create are the same tags.
import t from 'tap'
import { oneNode, sim, simulatedCloud } from './fixtures.js'

t.test('tags given at create are listed, added to, removed from, and seen by Describe and by IAM', async (t) => {
  await using cloud = await simulatedCloud()
  const svc = cloud.batch.service
  const ce = await svc.createComputeEnvironment({ computeEnvironmentName: 'ce', type: 'UNMANAGED', tags: { team: 'a' } })
  const queue = await svc.createJobQueue({ jobQueueName: 'q', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }], tags: { team: 'a' } })
  const def = await svc.registerJobDefinition({ jobDefinitionName: 'd', type: 'container', containerProperties: { command: ['true'], vcpus: 1, memory: 128 }, tags: { cost: '1' } })
  const policy = await svc.createSchedulingPolicy({ name: 'p', tags: { owner: 'me' } })
  await svc.registerNode('ce', { vcpus: 1, memory: 1024 })
  const job = await svc.submitJob({ jobName: 'j', jobQueue: 'q', jobDefinition: 'd', tags: { run: '7' }, containerOverrides: { environment: [{ name: 'STRATUS_SIM_SECONDS', value: '100' }] } })
  const arns = { ce: ce.computeEnvironmentArn, queue: queue.jobQueueArn, def: def.jobDefinitionArn, policy: policy.arn, job: job.jobArn }
  t.same((await svc.listTagsForResource({ resourceArn: arns.ce })).tags, { team: 'a' })
  t.same((await svc.listTagsForResource({ resourceArn: arns.queue })).tags, { team: 'a' })
  t.same((await svc.listTagsForResource({ resourceArn: arns.def })).tags, { cost: '1' })
  t.same((await svc.listTagsForResource({ resourceArn: arns.policy })).tags, { owner: 'me' })
  t.same((await svc.listTagsForResource({ resourceArn: arns.job })).tags, { run: '7' })
  for (const arn of Object.values(arns)) {
    await svc.tagResource({ resourceArn: arn, tags: { env: 'test', team: 'b' } })
    await svc.untagResource({ resourceArn: arn, tagKeys: ['env', 'absent'] })
  }
  t.same((await svc.listTagsForResource({ resourceArn: arns.ce })).tags, { team: 'b' }, 'an existing key is replaced, removed keys are gone')
  t.same((await svc.describeComputeEnvironments({ computeEnvironments: ['ce'] })).computeEnvironments[0].tags, { team: 'b' })
  t.same((await svc.describeJobQueues({ jobQueues: ['q'] })).jobQueues[0].tags, { team: 'b' })
  t.same((await svc.describeJobDefinitions({ jobDefinitions: ['d:1'] })).jobDefinitions[0].tags, { cost: '1', team: 'b' })
  t.same((await svc.describeSchedulingPolicies({ arns: [arns.policy] })).schedulingPolicies[0].tags, { owner: 'me', team: 'b' })
  t.same((await svc.describeJobs({ jobs: [job.jobId] })).jobs[0].tags, { run: '7', team: 'b' })
  t.same(cloud.engine.batch.resourceTags(arns.queue), { team: 'b' }, 'what the wire layer reads for aws:ResourceTag')
  t.equal(cloud.engine.batch.resourceTags(arns.queue.replace(':job-queue/q', ':job-queue/nope')), undefined)
  await svc.untagResource({ resourceArn: arns.queue, tagKeys: ['team'] })
  t.same((await svc.listTagsForResource({ resourceArn: arns.queue })).tags, {})
  t.notOk('tags' in (await svc.describeJobQueues({ jobQueues: ['q'] })).jobQueues[0], 'no tags left: the member is absent, as on AWS')
})

t.test('children of an array job are not taggable; IAM sees their parent job\'s tags', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const svc = cloud.batch.service
  const job = await svc.submitJob({ jobName: 'a', jobQueue: queue.name, jobDefinition: def.name, arrayProperties: { size: 2 }, tags: { team: 'a' } })
  await t.rejects(svc.tagResource({ resourceArn: `${job.jobArn}:1`, tags: { x: 'y' } }), { code: 'ClientException', field: 'resourceArn', message: /child jobs/ })
  t.same(cloud.engine.batch.resourceTags(`${job.jobArn}:1`), { team: 'a' })
})

t.test('Batch\'s tag limits are enforced and a refused call changes nothing', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue } = await oneNode(cloud)
  const svc = cloud.batch.service
  const arn = (await svc.describeJobQueues({ jobQueues: [queue.name] })).jobQueues[0].jobQueueArn
  const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']))
  await svc.tagResource({ resourceArn: arn, tags: fifty })
  await t.rejects(svc.tagResource({ resourceArn: arn, tags: { one: 'more' } }), { code: 'ClientException', field: 'tags', limit: 50 })
  await t.rejects(svc.tagResource({ resourceArn: arn, tags: { ['k'.repeat(129)]: 'v' } }), { code: 'ClientException', limit: 128 })
  await t.rejects(svc.tagResource({ resourceArn: arn, tags: { k0: 'v'.repeat(257) } }), { code: 'ClientException', limit: 256 })
  await t.rejects(svc.tagResource({ resourceArn: arn, tags: { 'aws:x': 'v' } }), { code: 'ClientException', message: /aws: prefix/ })
  await t.rejects(svc.tagResource({ resourceArn: arn, tags: {} }), { code: 'ClientException', field: 'tags' })
  await t.rejects(svc.untagResource({ resourceArn: arn, tagKeys: [] }), { code: 'ClientException', field: 'tagKeys' })
  await t.rejects(svc.untagResource({ resourceArn: arn, tagKeys: ['aws:x'] }), { code: 'ClientException', field: 'tagKeys[0]' })
  t.equal(Object.keys((await svc.listTagsForResource({ resourceArn: arn })).tags).length, 50, 'nothing changed')
  t.same((await svc.listTagsForResource({ resourceArn: arn })).tags.k0, 'v')
  await t.rejects(svc.listTagsForResource({ resourceArn: arn.replace('job-queue/q', 'job-queue/none') }), { code: 'ClientException', kind: 'NotFound', field: 'resourceArn' })
  await t.rejects(svc.listTagsForResource({ resourceArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/x' }), { code: 'ClientException', field: 'resourceArn' })
  await t.rejects(svc.listTagsForResource({ resourceArn: arn.replace('us-east-1', 'eu-west-1') }), { code: 'ClientException', field: 'resourceArn', message: /not in this account/ })
  await t.rejects(svc.tagResource({ resourceArn: arn.replace('job-queue/q', 'job-definition/d'), tags: { a: 'b' } }), { code: 'ClientException', message: /revision/ })
  void sim
})
