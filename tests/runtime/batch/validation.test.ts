// Bad input is refused at submit/register time with a coded error that names
// the field and the limit, and nothing is stored: the job, definition, queue
// or environment is not there afterwards.
import t, { type Test } from 'tap'
import { ConflictError, InvalidArgumentError, LimitExceededError, NotFoundError } from '../../../sdk/index.js'

const CLASSES = { InvalidArgument: InvalidArgumentError, LimitExceeded: LimitExceededError, NotFound: NotFoundError, Conflict: ConflictError } as const
import { oneNode, simulatedCloud, type Cloud } from './fixtures.js'

/** Every job the engine holds, in every status. */
async function allJobs(cloud: Cloud, queue: string): Promise<string[]> {
  const out: string[] = []
  for (const status of ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const) {
    out.push(...(await cloud.batch.listJobs({ queue, status })).map((j) => j.jobName))
  }
  return out
}

async function refused(t: Test, attempt: Promise<unknown>, expected: { kind: string; field: string; limit?: number | string }, message: string) {
  const error = await attempt.then(() => undefined, (e: unknown) => e)
  t.ok(error instanceof CLASSES[expected.kind as keyof typeof CLASSES], `${message}: a ${expected.kind} error`)
  t.match(error, { code: 'ClientException', ...expected }, message)
  if (expected.limit !== undefined) t.match((error as Error).message, String(expected.limit), `${message}: the message names the limit`)
  t.match((error as Error).message, expected.field.split('[')[0].split('.')[0], `${message}: the message names the field`)
}

t.test('SubmitJob: every bad input is refused and nothing is stored', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 4 })
  const a = await cloud.batch.job('a').queue(queue).definition(def).array(3).submit()
  const b = await cloud.batch.job('b').queue(queue).definition(def).array(4).submit()
  const single = await cloud.batch.job('single').queue(queue).definition(def).submit()
  const job = cloud.batch.job('bad').queue(queue).definition(def)
  const count = await cloud.batch.service.countJobs()

  await refused(t, job.array(1).submit(), { kind: 'InvalidArgument', field: 'arrayProperties.size', limit: 2 }, 'array of 1')
  await refused(t, job.array(10_001).submit(), { kind: 'InvalidArgument', field: 'arrayProperties.size', limit: 10_000 }, 'array of 10,001')
  await refused(t, job.array(2.5).submit(), { kind: 'InvalidArgument', field: 'arrayProperties.size' }, 'array of 2.5')
  let many = job
  for (let i = 0; i < 21; i++) many = many.dependsOn(single)
  await refused(t, many.submit(), { kind: 'LimitExceeded', field: 'dependsOn', limit: 20 }, '21 dependencies')
  await refused(t, job.array(3).dependsOn(b, 'N_TO_N').submit(), { kind: 'InvalidArgument', field: 'dependsOn[0].jobId', limit: 4 }, 'N_TO_N of 3 on 4')
  await refused(t, job.array(3).dependsOn(single, 'N_TO_N').submit(), { kind: 'InvalidArgument', field: 'dependsOn[0].jobId' }, 'N_TO_N on a single job')
  await refused(t, job.dependsOn(a, 'N_TO_N').submit(), { kind: 'InvalidArgument', field: 'dependsOn[0].type' }, 'N_TO_N from a single job')
  await refused(t, job.sequential().submit(), { kind: 'InvalidArgument', field: 'dependsOn[0].type' }, 'SEQUENTIAL on a single job')
  await refused(t, job.dependsOn('no-such-job').submit(), { kind: 'NotFound', field: 'dependsOn[0].jobId' }, 'unknown dependency')
  await refused(t, job.queue('no-such-queue').submit(), { kind: 'NotFound', field: 'jobQueue' }, 'unknown queue')
  await refused(t, job.definition('no-such-definition').submit(), { kind: 'NotFound', field: 'jobDefinition' }, 'unknown definition')
  await refused(t, job.definition(`${def.name}:7`).submit(), { kind: 'NotFound', field: 'jobDefinition' }, 'unknown revision')
  await refused(t, job.vcpus(0).submit(), { kind: 'InvalidArgument', field: 'vcpus', limit: 0 }, '0 vCPUs')
  await refused(t, job.vcpus(-1).submit(), { kind: 'InvalidArgument', field: 'vcpus' }, '-1 vCPUs')
  await refused(t, job.memory(0).submit(), { kind: 'InvalidArgument', field: 'memory', limit: 4 }, '0 MiB')
  await refused(t, job.memory(-128).submit(), { kind: 'InvalidArgument', field: 'memory' }, '-128 MiB')
  await refused(t, job.timeout(59).submit(), { kind: 'InvalidArgument', field: 'timeout.attemptDurationSeconds', limit: 60 }, 'timeout 59 s')
  await refused(t, job.retry({ attempts: 0 }).submit(), { kind: 'InvalidArgument', field: 'retryStrategy.attempts', limit: 1 }, '0 attempts')
  await refused(t, job.retry({ attempts: 11 }).submit(), { kind: 'InvalidArgument', field: 'retryStrategy.attempts', limit: 10 }, '11 attempts')
  const six = Array.from({ length: 6 }, (_, i) => ({ onExitCode: String(i), action: 'EXIT' as const }))
  await refused(t, job.retry({ attempts: 2, evaluateOnExit: six }).submit(), { kind: 'InvalidArgument', field: 'retryStrategy.evaluateOnExit', limit: 5 }, '6 rules')
  await refused(t, job.retry({ attempts: 2, evaluateOnExit: [{ onExitCode: 'a*', action: 'EXIT' }] }).submit(),
    { kind: 'InvalidArgument', field: 'retryStrategy.evaluateOnExit[0].onExitCode' }, 'exit code pattern with letters')
  await refused(t, job.retry({ attempts: 2, evaluateOnExit: [{ onExitCode: '1*2', action: 'EXIT' }] }).submit(),
    { kind: 'InvalidArgument', field: 'retryStrategy.evaluateOnExit[0].onExitCode' }, 'a * that is not trailing')
  await refused(t, job.retry({ attempts: 2, evaluateOnExit: [{ onExitCode: '1', action: 'MAYBE' as 'EXIT' }] }).submit(),
    { kind: 'InvalidArgument', field: 'retryStrategy.evaluateOnExit[0].action' }, 'unknown action')
  await refused(t, cloud.batch.job('bad name!').queue(queue).definition(def).submit(), { kind: 'InvalidArgument', field: 'jobName', limit: 128 }, 'bad name')
  await refused(t, cloud.batch.job('x'.repeat(129)).queue(queue).definition(def).submit(), { kind: 'InvalidArgument', field: 'jobName', limit: 128 }, 'long name')
  await refused(t, cloud.batch.job('').queue(queue).definition(def).submit(), { kind: 'InvalidArgument', field: 'jobName' }, 'empty name')
  await refused(t, job.env({ AWS_BATCH_JOB_ID: 'mine' }).submit(), { kind: 'InvalidArgument', field: 'containerOverrides.environment[0].name' }, 'reserved variable')

  t.equal(await cloud.batch.service.countJobs(), count, 'no job was stored')
  t.same((await allJobs(cloud, queue.name)).sort(), ['a', 'b', 'single'])
})

t.test('SubmitJob: a job bigger than every compute environment can ever hold', async (t) => {
  await using cloud = await simulatedCloud()
  const small = await cloud.batch.computeEnvironment('small').managed().maxVcpus(4).instanceTypes('c5.large').create()
  const mid = await cloud.batch.computeEnvironment('mid').managed().maxVcpus(256).instanceTypes('m5.2xlarge').create()
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(small, mid).create()
  const def = await cloud.batch.jobDefinition('d').command('x').vcpus(1).memory(128).register()
  await refused(t, cloud.batch.job('wide').queue(queue).definition(def).vcpus(9).submit(), { kind: 'LimitExceeded', field: 'resources' }, '9 vCPUs; the largest instance has 8')
  await refused(t, cloud.batch.job('tall').queue(queue).definition(def).memory(40_000).submit(), { kind: 'LimitExceeded', field: 'resources' }, '40,000 MiB; the largest instance has 32 GiB')
  await refused(t, cloud.batch.job('gpu').queue(queue).definition(def).gpus(1).submit(), { kind: 'LimitExceeded', field: 'resources' }, 'a GPU; no GPU instance')
  const error = await cloud.batch.job('wide').queue(queue).definition(def).vcpus(9).submit().catch((e: Error) => e)
  t.match((error as Error).message, /m5\.2xlarge/, 'the message names the largest instance')
  t.same(await allJobs(cloud, 'q'), [])
  const fits = await cloud.batch.job('fits').queue(queue).definition(def).vcpus(8).memory(30_000).submit()
  t.ok(fits.id, 'what the largest instance holds is accepted')
})

t.test('RegisterJobDefinition: bad input refused, no revision stored', async (t) => {
  await using cloud = await simulatedCloud()
  const good = cloud.batch.jobDefinition('d').command('x').vcpus(1).memory(128)
  await good.register()
  const cases: Array<[ReturnType<typeof cloud.batch.jobDefinition>, { kind: string; field: string; limit?: number }, string]> = [
    [good.vcpus(0), { kind: 'InvalidArgument', field: 'containerProperties.vcpus', limit: 0 }, '0 vCPUs'],
    [good.vcpus(-2), { kind: 'InvalidArgument', field: 'containerProperties.vcpus' }, '-2 vCPUs'],
    [good.memory(0), { kind: 'InvalidArgument', field: 'containerProperties.memory', limit: 4 }, '0 MiB'],
    [good.timeout(30), { kind: 'InvalidArgument', field: 'timeout.attemptDurationSeconds', limit: 60 }, 'timeout 30 s'],
    [good.retry({ attempts: 11 }), { kind: 'InvalidArgument', field: 'retryStrategy.attempts', limit: 10 }, '11 attempts'],
    [good.retry({ attempts: 0 }), { kind: 'InvalidArgument', field: 'retryStrategy.attempts', limit: 1 }, '0 attempts'],
    [good.retry({ attempts: 3, evaluateOnExit: Array.from({ length: 6 }, () => ({ onExitCode: '1', action: 'EXIT' as const })) }),
      { kind: 'InvalidArgument', field: 'retryStrategy.evaluateOnExit', limit: 5 }, '6 rules'],
    [good.retry({ attempts: 3, evaluateOnExit: [{ onReason: 'Out of memory!', action: 'EXIT' }] }),
      { kind: 'InvalidArgument', field: 'retryStrategy.evaluateOnExit[0].onReason' }, 'reason pattern with !'],
    [good.env({ AWS_BATCH_CE_NAME: 'x' }), { kind: 'InvalidArgument', field: 'containerProperties.environment[0].name' }, 'reserved variable'],
    [cloud.batch.jobDefinition('-starts-with-dash').command('x'), { kind: 'InvalidArgument', field: 'jobDefinitionName', limit: 128 }, 'bad name']
  ]
  for (const [builder, expected, message] of cases) await refused(t, builder.register(), expected, message)
  const revisions = (await cloud.batch.service.describeJobDefinitions({})).jobDefinitions
  t.same(revisions.map((d) => `${d.jobDefinitionName}:${d.revision}`), ['d:1'], 'only the good registration is stored')
  t.equal((await good.register()).revision, 2, 'and the next good one is revision 2')
})

t.test('compute environments and queues: bad input refused, nothing stored', async (t) => {
  await using cloud = await simulatedCloud()
  const ce = cloud.batch.computeEnvironment('ce').managed().maxVcpus(8)
  await refused(t, ce.instanceTypes('m5.huge').create(), { kind: 'InvalidArgument', field: 'computeResources.instanceTypes[0]' }, 'unknown type')
  await refused(t, ce.minVcpus(16).create(), { kind: 'InvalidArgument', field: 'computeResources.minvCpus', limit: 8 }, 'min above max')
  await refused(t, ce.maxVcpus(0).create(), { kind: 'InvalidArgument', field: 'computeResources.maxvCpus', limit: 1 }, 'max 0')
  await refused(t, ce.desiredVcpus(9).create(), { kind: 'InvalidArgument', field: 'computeResources.desiredvCpus', limit: 8 }, 'desired above max')
  await refused(t, cloud.batch.computeEnvironment('bad/name').unmanaged().create(), { kind: 'InvalidArgument', field: 'computeEnvironmentName', limit: 128 }, 'bad name')
  t.same((await cloud.batch.service.describeComputeEnvironments()).computeEnvironments, [], 'no environment stored')
  const created = await ce.create()
  await refused(t, ce.create(), { kind: 'Conflict', field: 'computeEnvironmentName' }, 'same name twice')
  const q = cloud.batch.jobQueue('q').computeEnvironments(created)
  await refused(t, q.priority(-1).create(), { kind: 'InvalidArgument', field: 'priority', limit: 0 }, 'priority -1')
  await refused(t, q.priority(1001).create(), { kind: 'InvalidArgument', field: 'priority', limit: 1000 }, 'priority 1001')
  await refused(t, q.computeEnvironments('nope').create(), { kind: 'NotFound', field: 'computeEnvironmentOrder[0].computeEnvironment' }, 'unknown environment')
  await refused(t, q.computeEnvironments().create(), { kind: 'InvalidArgument', field: 'computeEnvironmentOrder' }, 'no environment')
  await refused(t, q.computeEnvironments(created, created).create(), { kind: 'InvalidArgument', field: 'computeEnvironmentOrder' }, 'same environment twice')
  t.same((await cloud.batch.service.describeJobQueues()).jobQueues, [], 'no queue stored')
})
