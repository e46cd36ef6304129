// Scheduling policies (fair share): stored and returned as AWS describes
// them, named by fair-share queues, whose jobs must name their share.
import t from 'tap'
import { oneNode, simulatedCloud } from './fixtures.js'

t.test('a policy is created, described, listed with paging, updated and deleted', async (t) => {
  await using cloud = await simulatedCloud()
  const svc = cloud.batch.service
  const fairsharePolicy = { shareDecaySeconds: 3600, computeReservation: 10, shareDistribution: [{ shareIdentifier: 'teamA', weightFactor: 0.5 }, { shareIdentifier: 'teamB*' }] }
  const made = await svc.createSchedulingPolicy({ name: 'fair', fairsharePolicy, tags: { team: 'a' } })
  t.equal(made.arn, 'arn:aws:batch:us-east-1:000000000000:scheduling-policy/fair')
  t.same(await svc.describeSchedulingPolicies({ arns: [made.arn, 'arn:aws:batch:us-east-1:000000000000:scheduling-policy/unknown'] }), {
    schedulingPolicies: [{ name: 'fair', arn: made.arn, fairsharePolicy, tags: { team: 'a' } }]
  }, 'unknown ARNs are left out')
  await t.rejects(svc.createSchedulingPolicy({ name: 'fair' }), { code: 'ClientException', kind: 'Conflict', field: 'name' })
  for (let i = 0; i < 4; i++) await svc.createSchedulingPolicy({ name: `p${i}` })
  const seen: string[] = []
  let nextToken: string | undefined
  do {
    const page = await svc.listSchedulingPolicies({ maxResults: 2, ...(nextToken ? { nextToken } : {}) })
    t.ok(page.schedulingPolicies.length <= 2)
    seen.push(...page.schedulingPolicies.map((p) => p.arn.split('/')[1]))
    nextToken = page.nextToken
  } while (nextToken !== undefined)
  t.same(seen, ['fair', 'p0', 'p1', 'p2', 'p3'])
  await svc.updateSchedulingPolicy({ arn: made.arn, fairsharePolicy: { shareDecaySeconds: 0 } })
  t.same((await svc.describeSchedulingPolicies({ arns: [made.arn] })).schedulingPolicies[0].fairsharePolicy, { shareDecaySeconds: 0 })
  await svc.deleteSchedulingPolicy({ arn: made.arn })
  t.same((await svc.describeSchedulingPolicies({ arns: [made.arn] })).schedulingPolicies, [])
  await t.rejects(svc.deleteSchedulingPolicy({ arn: made.arn }), { code: 'ClientException', kind: 'NotFound', field: 'arn' })
})

t.test('fair-share limits are checked, naming the field and the limit, and nothing is stored', async (t) => {
  await using cloud = await simulatedCloud()
  const svc = cloud.batch.service
  const bad = async (fairsharePolicy: unknown, field: string, limit?: number) =>
    t.rejects(svc.createSchedulingPolicy({ name: 'x', fairsharePolicy: fairsharePolicy as never }), { code: 'ClientException', field, ...(limit === undefined ? {} : { limit }) })
  await bad({ shareDecaySeconds: 604_801 }, 'fairsharePolicy.shareDecaySeconds', 604_800)
  await bad({ shareDecaySeconds: -1 }, 'fairsharePolicy.shareDecaySeconds', 0)
  await bad({ computeReservation: 100 }, 'fairsharePolicy.computeReservation', 99)
  await bad({ shareDistribution: [{ shareIdentifier: 'a', weightFactor: 1000 }] }, 'fairsharePolicy.shareDistribution[0].weightFactor', 999.9999)
  await bad({ shareDistribution: [{ shareIdentifier: 'a', weightFactor: 0.00001 }] }, 'fairsharePolicy.shareDistribution[0].weightFactor', 0.0001)
  await bad({ shareDistribution: [{ shareIdentifier: 'a'.repeat(256) }] }, 'fairsharePolicy.shareDistribution[0].shareIdentifier', 255)
  await bad({ shareDistribution: [{ shareIdentifier: 'a b' }] }, 'fairsharePolicy.shareDistribution[0].shareIdentifier')
  await bad({ shareDistribution: [{ shareIdentifier: 'UserA*' }, { shareIdentifier: 'UserA1' }] }, 'fairsharePolicy.shareDistribution[1].shareIdentifier')
  await bad({ shareDistribution: Array.from({ length: 501 }, (_, i) => ({ shareIdentifier: `s${i}x` })) }, 'fairsharePolicy.shareDistribution', 500)
  await t.rejects(svc.createSchedulingPolicy({ name: 'x', quotaSharePolicy: { idleResourceAssignmentStrategy: 'LIFO' as 'FIFO' } }), { code: 'ClientException', field: 'quotaSharePolicy.idleResourceAssignmentStrategy' })
  await t.rejects(svc.createSchedulingPolicy({ name: 'bad name' }), { code: 'ClientException', field: 'name', limit: 128 })
  t.same((await svc.listSchedulingPolicies()).schedulingPolicies, [], 'nothing stored')
  const ok = await svc.createSchedulingPolicy({ name: 'x', fairsharePolicy: { shareDistribution: Array.from({ length: 500 }, (_, i) => ({ shareIdentifier: `s${i}x`, weightFactor: 999.9999 })) } })
  t.equal((await svc.describeSchedulingPolicies({ arns: [ok.arn] })).schedulingPolicies[0].fairsharePolicy!.shareDistribution!.length, 500, 'at the limit is fine')
})

t.test('a fair-share queue names its policy, which cannot be deleted while in use; its jobs name a share', async (t) => {
  await using cloud = await simulatedCloud()
  const { ce, def } = await oneNode(cloud)
  const svc = cloud.batch.service
  const policy = await svc.createSchedulingPolicy({ name: 'fair', fairsharePolicy: { shareDistribution: [{ shareIdentifier: 'a' }] } })
  const other = await svc.createSchedulingPolicy({ name: 'other' })
  await t.rejects(svc.createJobQueue({ jobQueueName: 'bad', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: ce.name }], schedulingPolicyArn: `${policy.arn}x` }),
    { code: 'ClientException', kind: 'NotFound', field: 'schedulingPolicyArn' })
  await svc.createJobQueue({ jobQueueName: 'fq', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: ce.name }], schedulingPolicyArn: policy.arn })
  t.equal((await svc.describeJobQueues({ jobQueues: ['fq'] })).jobQueues[0].schedulingPolicyArn, policy.arn)
  await t.rejects(svc.deleteSchedulingPolicy({ arn: policy.arn }), { code: 'ClientException', kind: 'Conflict', field: 'arn', message: /fq/ })
  await t.rejects(svc.submitJob({ jobName: 'j', jobQueue: 'fq', jobDefinition: def.name }), { code: 'ClientException', field: 'shareIdentifier', message: /required/ })
  await t.rejects(svc.submitJob({ jobName: 'j', jobQueue: 'q', jobDefinition: def.name, shareIdentifier: 'a' }), { code: 'ClientException', field: 'shareIdentifier' }, 'a FIFO queue refuses a share')
  await t.rejects(svc.submitJob({ jobName: 'j', jobQueue: 'fq', jobDefinition: def.name, shareIdentifier: 'a', schedulingPriorityOverride: 10_000 }), { code: 'ClientException', field: 'schedulingPriorityOverride', limit: 9999 })
  const job = await svc.submitJob({ jobName: 'j', jobQueue: 'fq', jobDefinition: def.name, shareIdentifier: 'a', schedulingPriorityOverride: 5 })
  const detail = (await svc.describeJobs({ jobs: [job.jobId] })).jobs[0]
  t.equal(detail.shareIdentifier, 'a')
  t.equal(detail.schedulingPriority, 5)
  await t.rejects(svc.updateJobQueue({ jobQueue: 'q', schedulingPolicyArn: policy.arn }), { code: 'ClientException', field: 'schedulingPolicyArn', message: /FIFO/ })
  await svc.updateJobQueue({ jobQueue: 'fq', schedulingPolicyArn: other.arn })
  t.equal((await svc.describeJobQueues({ jobQueues: ['fq'] })).jobQueues[0].schedulingPolicyArn, other.arn, 'replaced')
  await svc.deleteSchedulingPolicy({ arn: policy.arn })
  t.same((await svc.describeSchedulingPolicies({ arns: [policy.arn] })).schedulingPolicies ?? [], [], 'no longer in use: deleted')
})
