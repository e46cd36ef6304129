// ListJobs' filters as the Batch API reference describes them: JOB_NAME
// (case-insensitive, `*` prefix), JOB_DEFINITION (a name: every revision; an
// ARN: that revision), BEFORE/AFTER_CREATED_AT, SHARE_IDENTIFIER (with
// jobStatus), one filter at a time; jobStatus ignored otherwise.
import t from 'tap'
import { oneNode, sim, simulatedCloud } from './fixtures.js'

t.test('each filter selects what AWS says it does', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const svc = cloud.batch.service
  const def2 = await svc.registerJobDefinition({ jobDefinitionName: def.name, type: 'container', containerProperties: { command: ['true'], vcpus: 1, memory: 128 } })
  const other = await svc.registerJobDefinition({ jobDefinitionName: `${def.name}X`, type: 'container', containerProperties: { command: ['true'], vcpus: 1, memory: 128 } })
  const submit = async (name: string, definition: string) => (await svc.submitJob({ jobName: name, jobQueue: queue.name, jobDefinition: definition, containerOverrides: { environment: Object.entries(sim(100)).map(([n, value]) => ({ name: n, value })) } })).jobId
  const a = await submit('Test1', `${def.name}:1`)
  await cloud.clock.advance(1000)
  const middle = cloud.clock.now()
  await cloud.clock.advance(1000)
  const b = await submit('test10', def2.jobDefinitionArn)
  const c = await submit('other', other.jobDefinitionArn)
  await cloud.clock.advance(0)
  const list = async (name: 'JOB_NAME' | 'JOB_DEFINITION' | 'BEFORE_CREATED_AT' | 'AFTER_CREATED_AT', value: string) =>
    (await svc.listJobs({ jobQueue: queue.name, jobStatus: 'SUCCEEDED', filters: [{ name, values: [value] }] })).jobSummaryList.map((s) => s.jobId).sort()
  t.same(await list('JOB_NAME', 'test1'), [a], 'case-insensitive, exact')
  t.same(await list('JOB_NAME', 'TEST1*'), [a, b].sort(), 'a prefix with *, case-insensitive')
  t.same(await list('JOB_DEFINITION', def.name), [a, b].sort(), 'a name: every revision, not another definition')
  t.same(await list('JOB_DEFINITION', `${def.name}*`), [a, b, c].sort(), 'a name prefix')
  t.same(await list('JOB_DEFINITION', def2.jobDefinitionArn), [b], 'an ARN: that revision')
  t.same(await list('BEFORE_CREATED_AT', String(middle)), [a])
  t.same(await list('AFTER_CREATED_AT', String(middle)), [b, c].sort())
  await t.rejects(list('JOB_DEFINITION', `${def2.jobDefinitionArn.slice(0, -1)}*`), { code: 'ClientException', field: 'filters[0].values', message: /ARN/ })
  await t.rejects(svc.listJobs({ jobQueue: queue.name, filters: [{ name: 'JOB_NAME', values: ['a'] }, { name: 'JOB_NAME', values: ['b'] }] }), { code: 'ClientException', field: 'filters', limit: 1 })
  await t.rejects(list('AFTER_CREATED_AT', 'yesterday'), { code: 'ClientException', field: 'filters[0].values' })
})

t.test('SHARE_IDENTIFIER goes with jobStatus; the others ignore it', async (t) => {
  await using cloud = await simulatedCloud()
  const { ce, def } = await oneNode(cloud)
  const svc = cloud.batch.service
  const policy = await svc.createSchedulingPolicy({ name: 'p' })
  await svc.createJobQueue({ jobQueueName: 'fq', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: ce.name }], schedulingPolicyArn: policy.arn })
  const env = { environment: Object.entries(sim(100)).map(([name, value]) => ({ name, value })) }
  const first = (await svc.submitJob({ jobName: 'j', jobQueue: 'fq', jobDefinition: def.name, shareIdentifier: 'a', containerOverrides: env })).jobId
  const second = (await svc.submitJob({ jobName: 'j', jobQueue: 'fq', jobDefinition: def.name, shareIdentifier: 'a', containerOverrides: env })).jobId
  await svc.submitJob({ jobName: 'j', jobQueue: 'fq', jobDefinition: def.name, shareIdentifier: 'b', containerOverrides: env })
  await cloud.clock.advance(0)
  const ids = async (status: 'RUNNING' | 'RUNNABLE' | undefined) =>
    (await svc.listJobs({ jobQueue: 'fq', ...(status ? { jobStatus: status } : {}), filters: [{ name: 'SHARE_IDENTIFIER', values: ['a'] }] })).jobSummaryList.map((s) => s.jobId)
  t.same(await ids('RUNNING'), [first], 'share a, RUNNING (one node: the first runs)')
  t.same(await ids('RUNNABLE'), [second])
  t.same((await ids(undefined)).sort(), [first, second].sort(), 'share a, any status')
  t.equal((await svc.listJobs({ jobQueue: 'fq', jobStatus: 'RUNNING', filters: [{ name: 'JOB_NAME', values: ['j'] }] })).jobSummaryList.length, 3, 'JOB_NAME ignores jobStatus')
})

t.test('listing an array\'s children does not apply the filters (as AWS says)', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const svc = cloud.batch.service
  const job = await svc.submitJob({ jobName: 'arr', jobQueue: queue.name, jobDefinition: def.name, arrayProperties: { size: 3 } })
  const r = await svc.listJobs({ arrayJobId: job.jobId, filters: [{ name: 'JOB_NAME', values: ['nomatch'] }] })
  t.equal(r.jobSummaryList.length, 3)
})
