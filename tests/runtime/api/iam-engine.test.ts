// IAM on the whole engine: `Stratus.embedded({ auth: 'iam', iam })` with the
// official SDK v3 clients on its endpoint. The seed's tag-based access control
// for Batch, request tags and tag keys, explicit deny, NotAction; SigV4
// refusals (unsigned, unknown key, wrong secret, an old signature) each
// changing nothing; users made over the wire; ECR repository policies on the
// ECR API and on /v2/ (skopeo with the user's own token); and CloudTrail
// LookupEvents reading those calls back.
import t, { type Test } from 'tap'
import {
  BatchClient, CreateComputeEnvironmentCommand, CreateJobQueueCommand, DeleteJobQueueCommand, DescribeComputeEnvironmentsCommand, DescribeJobQueuesCommand,
  ListJobsCommand, RegisterJobDefinitionCommand, SubmitJobCommand
} from '@aws-sdk/client-batch'
import { ECRClient, CreateRepositoryCommand, DescribeImagesCommand, GetAuthorizationTokenCommand, SetRepositoryPolicyCommand } from '@aws-sdk/client-ecr'
import { IAMClient, CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam'
import { CloudTrailClient, LookupEventsCommand, paginateLookupEvents, type Event } from '@aws-sdk/client-cloudtrail'
import { Stratus } from '../../../sdk/index.js'
import { requireTool, run } from '../../registry/helpers.js'
import './clients.js'

type Key = { accessKeyId: string; secretAccessKey: string }
const ROOT: Key = { accessKeyId: 'test', secretAccessKey: 'test' }
const key = (name: string): Key => ({ accessKeyId: `AKIA${name.toUpperCase().padEnd(16, '0')}`, secretAccessKey: `${name}-secret` })
const ACCOUNT = '000000000000'
const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`

const allow = (Action: string | string[], Resource: string | string[] = '*', Condition?: object) => ({ Effect: 'Allow', Action, Resource, ...(Condition ? { Condition } : {}) })
const doc = (...Statement: object[]) => ({ Version: '2012-10-17', Statement })

const IAM_CONFIG = {
  // With an IAM config, root signs only with the keys it lists (no default test/test).
  root: { accessKeys: [{ ...ROOT }] },
  users: [
    {
      userName: 'alice', accessKeys: [key('alice')], tags: { team: 'a' },
      policies: [{
        policyName: 'team-queues',
        policyDocument: doc(
          allow('batch:SubmitJob', 'arn:aws:batch:*:*:job-queue/*', { StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } }),
          allow('batch:SubmitJob', 'arn:aws:batch:*:*:job-definition/*'),
          allow(['batch:Describe*', 'batch:List*'])
        )
      }]
    },
    {
      // May create queues only tagged team=a, with no other tag keys.
      userName: 'creator', accessKeys: [key('creator')],
      policies: [{
        policyName: 'tagged-queues',
        policyDocument: doc(allow('batch:CreateJobQueue', '*', { StringEquals: { 'aws:RequestTag/team': 'a' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team'] } }))
      }]
    },
    {
      userName: 'denied', accessKeys: [key('denied')],
      policies: [{ policyName: 'all-but-submit', policyDocument: doc(allow('batch:*'), { Effect: 'Deny', Action: 'batch:SubmitJob', Resource: '*' }) }]
    },
    {
      userName: 'reader', accessKeys: [key('reader')],
      policies: [{ policyName: 'no-writes', policyDocument: doc({ Effect: 'Allow', NotAction: ['batch:Create*', 'batch:Delete*', 'batch:Update*', 'batch:SubmitJob'], Resource: '*' }) }]
    },
    // carol: no identity policy for ECR images (only for her token); the repository policy lets her pull and push.
    { userName: 'carol', accessKeys: [key('carol')], policies: [{ policyName: 'token', policyDocument: doc(allow('ecr:GetAuthorizationToken')) }] },
    // dave: every ECR action by his identity policy; the repository policy denies him.
    { userName: 'dave', accessKeys: [key('dave')], policies: [{ policyName: 'ecr', policyDocument: doc(allow('ecr:*')) }] }
  ]
}

async function iamCloud(t: Test) {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated', auth: 'iam', iam: IAM_CONFIG })
  t.teardown(() => cloud.close())
  const clients: Array<{ destroy(): void }> = []
  t.teardown(() => { for (const c of clients) c.destroy() })
  const config = (credentials: Key, extra: object = {}) => ({ endpoint: `http://${cloud.endpoint}`, region: 'us-east-1', credentials, maxAttempts: 1, ...extra })
  const client = <C extends { destroy(): void }>(Client: new (c: ReturnType<typeof config>) => C, credentials: Key, extra: object = {}): C => {
    const c = new Client(config(credentials, extra))
    clients.push(c)
    return c
  }
  return { cloud, client }
}

const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected the call to fail') }, (e) => e)

t.test('Batch: tag-based access, request tags, explicit deny, NotAction, users made over the wire', async (t) => {
  const { cloud, client } = await iamCloud(t)
  const root = client(BatchClient, ROOT)
  await root.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: 'ce', type: 'UNMANAGED' }))
  await cloud.batch.service.waitForComputeEnvironment('ce')
  await cloud.batch.service.registerNode('ce', { vcpus: 4, memory: 4096 })
  for (const team of ['a', 'b']) {
    await root.send(new CreateJobQueueCommand({ jobQueueName: `team-${team}`, priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }], tags: { team } }))
  }
  await root.send(new RegisterJobDefinitionCommand({ jobDefinitionName: 'd', type: 'container', containerProperties: { command: ['true'], vcpus: 1, memory: 128 } }))

  // The seed's tag-based access control.
  const alice = client(BatchClient, key('alice'))
  t.ok((await alice.send(new SubmitJobCommand({ jobName: 'mine', jobQueue: 'team-a', jobDefinition: 'd' }))).jobId, 'alice submits to her team\'s queue')
  const denied = await failure(alice.send(new SubmitJobCommand({ jobName: 'theirs', jobQueue: 'team-b', jobDefinition: 'd' })))
  t.equal(denied.name, 'AccessDeniedException')
  t.equal(denied.$metadata.httpStatusCode, 403)
  t.equal(denied.message, `User: ${userArn('alice')} is not authorized to perform: batch:SubmitJob on resource: arn:aws:batch:us-east-1:${ACCOUNT}:job-queue/team-b because no identity-based policy allows the batch:SubmitJob action`,
    'naming the principal, the action and the resource')
  const onB = await root.send(new ListJobsCommand({ jobQueue: 'team-b', filters: [{ name: 'JOB_NAME', values: ['theirs'] }] }))
  t.same(onB.jobSummaryList, [], 'nothing was submitted on team-b')
  t.equal((await alice.send(new DescribeJobQueuesCommand({}))).jobQueues?.length, 2, 'her Describe* allow')

  // aws:RequestTag and aws:TagKeys on CreateJobQueue.
  const creator = client(BatchClient, key('creator'))
  const queue = (name: string, tags?: Record<string, string>) => new CreateJobQueueCommand({ jobQueueName: name, priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }], ...(tags ? { tags } : {}) })
  t.ok((await creator.send(queue('tagged-a', { team: 'a' }))).jobQueueArn, 'team=a: allowed')
  t.equal((await failure(creator.send(queue('tagged-b', { team: 'b' })))).name, 'AccessDeniedException', 'team=b: denied')
  t.equal((await failure(creator.send(queue('untagged')))).name, 'AccessDeniedException', 'no tags: denied')
  t.equal((await failure(creator.send(queue('extra-key', { team: 'a', cost: 'x' })))).name, 'AccessDeniedException', 'another tag key: denied (aws:TagKeys)')
  const names = (await root.send(new DescribeJobQueuesCommand({}))).jobQueues!.map((q) => q.jobQueueName).sort()
  t.same(names, ['tagged-a', 'team-a', 'team-b'], 'the denied queues were not created')

  // Explicit deny wins over batch:*.
  const deny = client(BatchClient, key('denied'))
  t.equal((await deny.send(new DescribeJobQueuesCommand({ jobQueues: ['team-a'] }))).jobQueues?.length, 1, 'allowed by batch:*')
  const explicit = await failure(deny.send(new SubmitJobCommand({ jobName: 'x', jobQueue: 'team-a', jobDefinition: 'd' })))
  t.equal(explicit.name, 'AccessDeniedException')
  t.match(explicit.message, /batch:SubmitJob .*with an explicit deny in an identity-based policy/)

  // NotAction: everything but writes.
  const reader = client(BatchClient, key('reader'))
  t.equal((await reader.send(new DescribeComputeEnvironmentsCommand({}))).computeEnvironments?.length, 1, 'a read is outside NotAction: allowed')
  t.equal((await failure(reader.send(new DeleteJobQueueCommand({ jobQueue: 'team-a' })))).name, 'AccessDeniedException', 'a write is in NotAction: denied')
  t.equal((await failure(reader.send(new SubmitJobCommand({ jobName: 'x', jobQueue: 'team-a', jobDefinition: 'd' })))).name, 'AccessDeniedException')
  t.equal((await root.send(new DescribeJobQueuesCommand({ jobQueues: ['team-a'] }))).jobQueues?.[0].state, 'ENABLED', 'team-a is still there')

  // A user made over the wire, with a key and a policy, calls Batch.
  const iam = client(IAMClient, ROOT)
  await iam.send(new CreateUserCommand({ UserName: 'erin' }))
  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'erin' }))
  const erin = client(BatchClient, { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! })
  t.equal((await failure(erin.send(new DescribeJobQueuesCommand({})))).name, 'AccessDeniedException', 'no policy yet: default deny')
  await iam.send(new PutUserPolicyCommand({ UserName: 'erin', PolicyName: 'submit', PolicyDocument: JSON.stringify(doc(allow(['batch:SubmitJob', 'batch:DescribeJobQueues']))) }))
  t.equal((await erin.send(new DescribeJobQueuesCommand({}))).jobQueues?.length, 3, 'her new policy allows it')
  t.ok((await erin.send(new SubmitJobCommand({ jobName: 'erins', jobQueue: 'team-b', jobDefinition: 'd' }))).jobId)
})

t.test('SigV4 refusals on the engine\'s API, each changing nothing', async (t) => {
  const { cloud, client } = await iamCloud(t)
  const make = (name: string) => new CreateComputeEnvironmentCommand({ computeEnvironmentName: name, type: 'UNMANAGED' })

  const unsigned = await fetch(`http://${cloud.endpoint}/v1/createcomputeenvironment`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ computeEnvironmentName: 'unsigned', type: 'UNMANAGED' }) })
  t.equal(unsigned.status, 403)
  t.equal(unsigned.headers.get('x-amzn-errortype')?.split(':')[0], 'MissingAuthenticationTokenException')
  t.ok(unsigned.headers.get('x-amzn-requestid'))

  const stranger = await failure(client(BatchClient, { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' }).send(make('stranger')))
  t.equal(stranger.name, 'UnrecognizedClientException', 'an unknown key')
  t.equal(stranger.$metadata.httpStatusCode, 403)
  const forger = await failure(client(BatchClient, { accessKeyId: key('alice').accessKeyId, secretAccessKey: 'not-her-secret' }).send(make('forger')))
  t.equal(forger.name, 'InvalidSignatureException', 'a wrong secret')
  t.equal(forger.$metadata.httpStatusCode, 403)
  // Root's own key, but the signature dates from 20 minutes ago (beyond the 15-minute window).
  const late = await failure(client(BatchClient, ROOT, { systemClockOffset: -20 * 60 * 1000 }).send(make('late')))
  t.equal(late.name, 'InvalidSignatureException', 'an expired signature')
  t.equal(late.$metadata.httpStatusCode, 403)
  t.match(late.message, /expired/i)
  const ecrStranger = await failure(client(ECRClient, { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' }).send(new CreateRepositoryCommand({ repositoryName: 'stranger' })))
  t.equal(ecrStranger.name, 'UnrecognizedClientException', 'awsJson1_1 the same')

  const root = client(BatchClient, ROOT)
  t.same((await root.send(new DescribeComputeEnvironmentsCommand({}))).computeEnvironments, [], 'none of them made an environment')
  t.same(await cloud.engine.registry.describeRepositories({}).then((r) => r.repositories), [], 'nor a repository')
  t.ok((await root.send(make('signed'))).computeEnvironmentArn, 'a well-signed call works')
})

t.test('ECR repository policies on the API and on /v2/; CloudTrail sees the calls', async (t) => {
  await requireTool('skopeo')
  const { cloud, client } = await iamCloud(t)
  const root = client(ECRClient, ROOT)
  await root.send(new CreateRepositoryCommand({ repositoryName: 'team/app' }))
  const pushed = await cloud.registry.image('team/app:v1').fromScratch().addContent('hello\n', '/etc/motd').push()
  await root.send(new SetRepositoryPolicyCommand({
    repositoryName: 'team/app',
    policyText: JSON.stringify(doc(
      { Sid: 'carol', Effect: 'Allow', Principal: { AWS: userArn('carol') }, Action: ['ecr:DescribeImages', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability', 'ecr:PutImage', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload'] },
      { Sid: 'not-dave', Effect: 'Deny', Principal: { AWS: userArn('dave') }, Action: 'ecr:*' }
    ))
  }))
  await cloud.clock.advance(60_000)
  const start = new Date(cloud.clock.now())

  const carol = client(ECRClient, key('carol'))
  const dave = client(ECRClient, key('dave'))
  const images = await carol.send(new DescribeImagesCommand({ repositoryName: 'team/app' }))
  t.same(images.imageDetails?.map((d) => d.imageDigest), [pushed.imageDigest], 'carol: allowed by the repository policy alone')
  const daveDenied = await failure(dave.send(new DescribeImagesCommand({ repositoryName: 'team/app' })))
  t.equal(daveDenied.name, 'AccessDeniedException', 'dave: denied by the repository policy over his ecr:*')
  t.match(daveDenied.message, new RegExp(`${userArn('dave')} is not authorized to perform: ecr:DescribeImages on resource: arn:aws:ecr:us-east-1:${ACCOUNT}:repository/team/app`))

  // /v2/ with each user's own token.
  const tokenOf = async (ecr: ECRClient) => Buffer.from((await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0].authorizationToken!, 'base64').toString().slice('AWS:'.length)
  const carolToken = await tokenOf(carol)
  const daveToken = await tokenOf(dave)
  const host = cloud.endpoint
  const copy = (token: string, to: string) => run('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `--src-creds=AWS:${token}`, `--dest-creds=AWS:${token}`,
    `docker://${host}/team/app:v1`, `docker://${host}/team/app:${to}`])
  await copy(carolToken, 'carol')
  t.same((await carol.send(new DescribeImagesCommand({ repositoryName: 'team/app', imageIds: [{ imageTag: 'carol' }] }))).imageDetails?.map((d) => d.imageDigest), [pushed.imageDigest], 'carol pushed')
  const davePush = await copy(daveToken, 'dave').then(() => 'pushed', (err: { stderr: string }) => err.stderr)
  t.match(davePush, /denied/i, 'dave gets denied on /v2/')
  const davePull = await run('skopeo', ['inspect', '--tls-verify=false', `--creds=AWS:${daveToken}`, `docker://${host}/team/app:v1`]).then(() => 'pulled', (err: { stderr: string }) => err.stderr)
  t.match(davePull, /denied/i, 'dave may not pull either')
  t.same((await root.send(new DescribeImagesCommand({ repositoryName: 'team/app' }))).imageDetails?.flatMap((d) => d.imageTags).sort(), ['carol', 'v1'], 'dave pushed nothing')

  // CloudTrail: the calls, allowed and denied, with the caller.
  await cloud.clock.advance(60_000)
  const end = new Date(cloud.clock.now())
  const trail = client(CloudTrailClient, ROOT)
  const lookup = async (AttributeKey: 'EventName' | 'Username' | 'EventSource' | 'ReadOnly', AttributeValue: string, range = true) =>
    (await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey, AttributeValue }], ...(range ? { StartTime: start, EndTime: end } : {}) }))).Events!
  const record = (e: Event) => JSON.parse(e.CloudTrailEvent!)
  const describes = await lookup('EventName', 'DescribeImages')
  t.same(describes.map((e) => e.Username), ['root', 'carol', 'dave', 'carol'], 'newest first: root\'s check, carol\'s, dave\'s denial, carol\'s first')
  const daveRecord = record(describes[2])
  t.match(daveRecord, {
    eventSource: 'ecr.amazonaws.com', eventName: 'DescribeImages', errorCode: 'AccessDeniedException', errorMessage: /not authorized/,
    userIdentity: { type: 'IAMUser', userName: 'dave', arn: userArn('dave'), accessKeyId: key('dave').accessKeyId }, readOnly: true,
    requestParameters: { repositoryName: 'team/app' }
  })
  t.equal(record(describes[1]).errorCode, undefined, 'carol\'s call succeeded')
  t.ok(describes.every((e) => e.EventTime!.getTime() >= start.getTime() && e.EventTime!.getTime() <= end.getTime()), 'within the time range')
  const carols = (await lookup('Username', 'carol')).map((e) => e.EventName!)
  const apiCalls = ['DescribeImages', 'GetAuthorizationToken']
  t.same(carols.filter((n) => apiCalls.includes(n)), ['DescribeImages', 'GetAuthorizationToken', 'DescribeImages'], 'carol\'s calls over the ECR API')
  t.same([...new Set(carols.filter((n) => !apiCalls.includes(n)))].sort(), ['BatchCheckLayerAvailability', 'BatchGetImage', 'GetDownloadUrlForLayer', 'PutImage'],
    'and her skopeo copy on /v2/, as the ECR calls it stands for')
  const daveV2 = (await lookup('Username', 'dave')).filter((e) => !apiCalls.includes(e.EventName!)).map(record)
  t.ok(daveV2.length >= 2 && daveV2.every((r) => r.errorCode === 'AccessDeniedException'), 'dave\'s refused copy and inspect on /v2/, recorded as denied')
  t.same(await lookup('EventName', 'SetRepositoryPolicy'), [], 'before the range: left out')
  t.equal((await lookup('EventName', 'SetRepositoryPolicy', false)).length, 1, 'without a range: there')
  // Paging one at a time over the range.
  const ids: string[] = []
  for await (const page of paginateLookupEvents({ client: trail, pageSize: 1 }, { StartTime: start, EndTime: end, LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'ecr.amazonaws.com' }] })) {
    t.ok(page.Events!.length <= 1)
    ids.push(...page.Events!.map((e) => e.EventId!))
  }
  const ecrEvents = (await lookup('EventSource', 'ecr.amazonaws.com')).length
  t.ok(ecrEvents > 6, 'four DescribeImages, two GetAuthorizationToken and the /v2/ requests')
  t.equal(ids.length, ecrEvents, 'one page each')
  t.equal(new Set(ids).size, ecrEvents, 'each once')
})

t.test('CloudTrail sees Batch calls denied by tags, with the caller', async (t) => {
  const { cloud, client } = await iamCloud(t)
  const root = client(BatchClient, ROOT)
  await root.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: 'ce', type: 'UNMANAGED' }))
  await cloud.batch.service.waitForComputeEnvironment('ce')
  await root.send(new CreateJobQueueCommand({ jobQueueName: 'team-b', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }], tags: { team: 'b' } }))
  await root.send(new RegisterJobDefinitionCommand({ jobDefinitionName: 'd', type: 'container', containerProperties: { command: ['true'], vcpus: 1, memory: 128 } }))
  await failure(client(BatchClient, key('alice')).send(new SubmitJobCommand({ jobName: 'theirs', jobQueue: 'team-b', jobDefinition: 'd' })))
  const trail = client(CloudTrailClient, ROOT)
  // Recorded in the same turn as the answer was sent: the next call sees it.
  const events = (await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'alice' }] }))).Events!
  t.equal(events.length, 1)
  t.match(JSON.parse(events[0].CloudTrailEvent!), {
    eventSource: 'batch.amazonaws.com', eventName: 'SubmitJob', errorCode: 'AccessDeniedException', readOnly: false,
    userIdentity: { type: 'IAMUser', userName: 'alice', principalId: /^AIDA/ }, requestParameters: { jobName: 'theirs', jobQueue: 'team-b' }, responseElements: null
  })
  t.same((await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }] }))).Events!.map((e) => e.EventName),
    ['SubmitJob', 'RegisterJobDefinition', 'CreateJobQueue', 'CreateComputeEnvironment'], 'ReadOnly=false: the writes, newest first')
})
