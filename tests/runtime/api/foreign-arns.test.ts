// Regression: an ARN of another partition, region, account or service that
// ends in a local resource's name got past IAM and reached that resource.
// IAM was asked about the ARN as sent while Batch resolved it by the name
// after `:job-queue/`, so a Deny on the local queue's ARN (or on its tags) did
// not stop a SubmitJob to `arn:aws:batch:us-west-2:999999999999:job-queue/qb`,
// and UpdateJobQueue/DeleteJobQueue with `arn:x:y:z:1:job-queue/qb` changed
// the local qb. Now such an ARN is refused (ClientException naming the
// member) and changes nothing; a local ARN is authorized as the canonical ARN.
// ECR the same: a resourceArn of another account or region is refused before
// IAM (and the local repository's policy) is asked, and a registryId of
// another account no longer acts on the local repository of that name.
// CloudWatch Logs: a logGroupIdentifier of another account or region is
// refused before IAM is asked, and an IAM denial is AccessDeniedException
// (400), not ServiceUnavailableException (500).
import t, { type Test } from 'tap'
import {
  BatchClient, CreateComputeEnvironmentCommand, CreateJobQueueCommand, DeleteJobQueueCommand, DescribeJobQueuesCommand, ListJobsCommand,
  RegisterJobDefinitionCommand, SubmitJobCommand, UpdateJobQueueCommand, DeregisterJobDefinitionCommand, DescribeJobDefinitionsCommand,
  UpdateComputeEnvironmentCommand, DescribeComputeEnvironmentsCommand, CreateSchedulingPolicyCommand, DeleteSchedulingPolicyCommand, DescribeSchedulingPoliciesCommand
} from '@aws-sdk/client-batch'
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs'
import { ECRClient, CreateRepositoryCommand, DeleteRepositoryCommand, DescribeRepositoriesCommand, ListTagsForResourceCommand, TagResourceCommand } from '@aws-sdk/client-ecr'
import { Stratus } from '../../../sdk/index.js'
import './clients.js'

type Key = { accessKeyId: string; secretAccessKey: string }
const ROOT: Key = { accessKeyId: 'test', secretAccessKey: 'test' }
const BOB: Key = { accessKeyId: 'AKIABOB0000000000000', secretAccessKey: 'bob-secret' }
const LOCAL = 'arn:aws:batch:us-east-1:000000000000'
const doc = (...Statement: object[]) => ({ Version: '2012-10-17', Statement })

// bob may do anything in Batch and ECR but touch queue qb (by its ARN, or by its tag team=b) or repository rr.
const IAM_CONFIG = {
  // With an IAM config, root signs only with the keys it lists.
  root: { accessKeys: [{ ...ROOT }] },
  users: [{
    userName: 'bob', accessKeys: [BOB],
    policies: [{
      policyName: 'not-qb',
      policyDocument: doc(
        { Effect: 'Allow', Action: ['batch:*', 'ecr:*', 'logs:*'], Resource: '*' },
        { Effect: 'Deny', Action: ['batch:SubmitJob', 'batch:UpdateJobQueue', 'batch:DeleteJobQueue'], Resource: `${LOCAL}:job-queue/qb` },
        { Effect: 'Deny', Action: 'batch:SubmitJob', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/team': 'b' } } },
        { Effect: 'Deny', Action: ['batch:DeregisterJobDefinition', 'batch:UpdateComputeEnvironment', 'batch:DeleteSchedulingPolicy'], Resource: `${LOCAL}:*` },
        { Effect: 'Deny', Action: ['ecr:TagResource', 'ecr:DeleteRepository'], Resource: 'arn:aws:ecr:us-east-1:000000000000:repository/rr' },
        { Effect: 'Deny', Action: 'logs:GetLogEvents', Resource: 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/batch/job:*' }
      )
    }]
  }]
}

// (The SDK marks a credentials object it is given with $source: each client gets its own copy.)
async function iamCloud(t: Test) {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated', auth: 'iam', iam: IAM_CONFIG })
  t.teardown(() => cloud.close())
  const made: Array<{ destroy(): void }> = []
  t.teardown(() => { for (const c of made) c.destroy() })
  const client = <C extends { destroy(): void }>(Client: new (c: object) => C, credentials: Key): C => {
    const c = new Client({ endpoint: `http://${cloud.endpoint}`, region: 'us-east-1', credentials: { ...credentials }, maxAttempts: 1 })
    made.push(c)
    return c
  }
  return { cloud, client }
}

const failure = (p: Promise<unknown>): Promise<any> => p.then(() => { throw new Error('expected the call to fail') }, (e) => e)

/** Foreign spellings of a local Batch resource `<type>/<id>`: another region, account, partition, service, and junk. */
const foreign = (resource: string) => [
  `arn:aws:batch:us-west-2:999999999999:${resource}`,
  `arn:aws:batch:us-east-1:999999999999:${resource}`,
  `arn:aws:batch:us-west-2:000000000000:${resource}`,
  `arn:aws-cn:batch:us-east-1:000000000000:${resource}`,
  `arn:aws:ecs:us-east-1:000000000000:${resource}`,
  `arn:x:y:z:1:${resource}`
]

t.test('a Batch ARN of another region, account, partition or service does not get past a Deny on the local resource', async (t) => {
  const { cloud, client } = await iamCloud(t)
  const root = client(BatchClient, ROOT)
  const bob = client(BatchClient, BOB)
  await root.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: 'ce', type: 'UNMANAGED' }))
  await cloud.batch.service.waitForComputeEnvironment('ce')
  await root.send(new CreateJobQueueCommand({ jobQueueName: 'qb', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }], tags: { team: 'b' } }))
  await root.send(new RegisterJobDefinitionCommand({ jobDefinitionName: 'd', type: 'container', containerProperties: { command: ['true'], vcpus: 1, memory: 128 } }))
  await root.send(new CreateSchedulingPolicyCommand({ name: 'sp' }))

  const local = await failure(bob.send(new SubmitJobCommand({ jobName: 'j', jobQueue: `${LOCAL}:job-queue/qb`, jobDefinition: 'd' })))
  t.equal(local.name, 'AccessDeniedException', 'the local ARN: denied')
  for (const jobQueue of foreign('job-queue/qb')) {
    const submitted = await failure(bob.send(new SubmitJobCommand({ jobName: 'j', jobQueue, jobDefinition: 'd' })))
    t.equal(submitted.name, 'ClientException', `SubmitJob ${jobQueue}: refused`)
    t.match(submitted.message, /jobQueue/, 'naming the member')
    const updated = await failure(bob.send(new UpdateJobQueueCommand({ jobQueue, state: 'DISABLED' })))
    t.equal(updated.name, 'ClientException', `UpdateJobQueue ${jobQueue}: refused`)
    t.equal((await failure(bob.send(new DeleteJobQueueCommand({ jobQueue })))).name, 'ClientException', `DeleteJobQueue ${jobQueue}: refused`)
    t.equal((await failure(root.send(new DescribeJobQueuesCommand({ jobQueues: [jobQueue] })))).name, 'ClientException', 'DescribeJobQueues refuses it too')
  }
  // The tag condition alone (the queue reached by a foreign ARN would have carried team=b).
  await root.send(new CreateJobQueueCommand({ jobQueueName: 'tagged', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }], tags: { team: 'b' } }))
  t.equal((await failure(bob.send(new SubmitJobCommand({ jobName: 'j', jobQueue: 'arn:aws:batch:us-west-2:999999999999:job-queue/tagged', jobDefinition: 'd' })))).name, 'ClientException')

  const queues = await root.send(new DescribeJobQueuesCommand({ jobQueues: ['qb', 'tagged'] }))
  t.same(queues.jobQueues?.map((q) => [q.jobQueueName, q.state]), [['qb', 'ENABLED'], ['tagged', 'ENABLED']], 'both queues are still there and enabled')
  for (const jobQueue of ['qb', 'tagged']) t.same((await root.send(new ListJobsCommand({ jobQueue }))).jobSummaryList, [], `nothing was submitted to ${jobQueue}`)

  // The other members that name a resource: job definitions, compute environments, scheduling policies.
  for (const jobDefinition of foreign('job-definition/d:1')) {
    t.equal((await failure(bob.send(new DeregisterJobDefinitionCommand({ jobDefinition })))).name, 'ClientException', `DeregisterJobDefinition ${jobDefinition}: refused`)
    t.equal((await failure(root.send(new SubmitJobCommand({ jobName: 'j', jobQueue: 'qb', jobDefinition })))).name, 'ClientException', `SubmitJob's jobDefinition ${jobDefinition}: refused`)
  }
  t.equal((await root.send(new DescribeJobDefinitionsCommand({ jobDefinitions: ['d:1'] }))).jobDefinitions?.[0].status, 'ACTIVE', 'd:1 is still active')
  for (const computeEnvironment of foreign('compute-environment/ce')) {
    t.equal((await failure(bob.send(new UpdateComputeEnvironmentCommand({ computeEnvironment, state: 'DISABLED' })))).name, 'ClientException', `UpdateComputeEnvironment ${computeEnvironment}: refused`)
    const ordered = await failure(root.send(new CreateJobQueueCommand({ jobQueueName: 'q2', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment }] })))
    t.equal(ordered.name, 'ClientException', `computeEnvironmentOrder ${computeEnvironment}: refused`)
  }
  t.equal((await root.send(new DescribeComputeEnvironmentsCommand({ computeEnvironments: ['ce'] }))).computeEnvironments?.[0].state, 'ENABLED', 'ce is still enabled')
  for (const arn of foreign('scheduling-policy/sp')) {
    t.equal((await failure(bob.send(new DeleteSchedulingPolicyCommand({ arn })))).name, 'ClientException', `DeleteSchedulingPolicy ${arn}: refused`)
  }
  t.equal((await root.send(new DescribeSchedulingPoliciesCommand({ arns: [`${LOCAL}:scheduling-policy/sp`] }))).schedulingPolicies?.length, 1, 'sp is still there')
  t.same((await root.send(new DescribeJobQueuesCommand({}))).jobQueues?.map((q) => q.jobQueueName).sort(), ['qb', 'tagged'], 'no queue q2 was made')
})

t.test('ECR: a registry id or repository ARN of another account or region does not reach the local repository', async (t) => {
  const { client } = await iamCloud(t)
  const root = client(ECRClient, ROOT)
  const bob = client(ECRClient, BOB)
  await root.send(new CreateRepositoryCommand({ repositoryName: 'rr' }))
  const deleted = await failure(root.send(new DeleteRepositoryCommand({ repositoryName: 'rr', registryId: '999999999999' })))
  t.equal(deleted.name, 'InvalidParameterException', 'DeleteRepository in another account\'s registry: refused')
  t.match(deleted.message, /registryId/, 'naming the member')
  t.same((await root.send(new DescribeRepositoriesCommand({}))).repositories?.map((r) => r.repositoryName), ['rr'], 'rr is still there')
  t.equal((await failure(bob.send(new DeleteRepositoryCommand({ repositoryName: 'rr', registryId: '000000000000' })))).name, 'AccessDeniedException', 'its own registry id: IAM decides')

  for (const resourceArn of ['arn:aws:ecr:us-west-2:999999999999:repository/rr', 'arn:aws:ecr:us-east-1:999999999999:repository/rr', 'arn:x:y:z:1:repository/rr']) {
    const tagged = await failure(bob.send(new TagResourceCommand({ resourceArn, tags: [{ Key: 'k', Value: 'v' }] })))
    t.equal(tagged.name, 'InvalidParameterException', `TagResource ${resourceArn}: refused`)
    t.match(tagged.message, /resourceArn/, 'naming the member')
  }
  t.equal((await failure(bob.send(new TagResourceCommand({ resourceArn: 'arn:aws:ecr:us-east-1:000000000000:repository/rr', tags: [{ Key: 'k', Value: 'v' }] })))).name,
    'AccessDeniedException', 'the local ARN: denied')
  t.same((await root.send(new ListTagsForResourceCommand({ resourceArn: 'arn:aws:ecr:us-east-1:000000000000:repository/rr' }))).tags, [], 'rr has no tags')
})

t.test('Logs: a log group ARN of another account or region is refused before IAM is asked; a denial is AccessDeniedException', async (t) => {
  const { client } = await iamCloud(t)
  const bob = client(CloudWatchLogsClient, BOB)
  for (const logGroupIdentifier of ['arn:aws:logs:us-east-1:000000000000:log-group:/aws/batch/job', 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/batch/job:*', '/aws/batch/job']) {
    const denied = await failure(bob.send(new GetLogEventsCommand({ logGroupIdentifier, logStreamName: 's' })))
    t.equal(denied.name, 'AccessDeniedException', `${logGroupIdentifier}: the canonical ARN is denied`)
    t.equal(denied.$metadata.httpStatusCode, 400, 'a 400, as CloudWatch Logs answers it')
  }
  for (const logGroupIdentifier of ['arn:aws:logs:us-west-2:999999999999:log-group:/aws/batch/job', 'arn:aws:logs:us-east-1:999999999999:log-group:/aws/batch/job:*', 'arn:x:y:z:1:log-group:/aws/batch/job']) {
    const read = await failure(bob.send(new GetLogEventsCommand({ logGroupIdentifier, logStreamName: 's' })))
    t.equal(read.name, 'InvalidParameterException', `${logGroupIdentifier}: refused`)
    t.match(read.message, /logGroupIdentifier/, 'naming the member')
  }
})
