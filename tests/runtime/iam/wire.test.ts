// IAM, STS and CloudTrail over the wire, through the official SDK v3 clients,
// with the real Iam as authenticator and authorizer and the real AuditTrail
// as the audit sink, beside the Batch table of an embedded engine: the seed's
// tag-based access control (a user allowed batch:SubmitJob only on queues of
// her team), SigV4 refusals in awsQuery's names, IAM's typed exceptions, and
// the calls read back with LookupEvents.
import t from 'tap'
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand, GetUserCommand, ListUsersCommand, GetUserPolicyCommand, TagUserCommand, ListUserTagsCommand, CreateRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam'
import { STSClient, GetCallerIdentityCommand, AssumeRoleCommand } from '@aws-sdk/client-sts'
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail'
import { BatchClient, CreateComputeEnvironmentCommand, CreateJobQueueCommand, RegisterJobDefinitionCommand, SubmitJobCommand } from '@aws-sdk/client-batch'
import { ApiRouter } from '../../../runtime/api/index.js'
import { batchTable } from '../../../runtime/api/tables/batch.js'
import { iamTable } from '../../../runtime/api/tables/iam.js'
import { stsTable } from '../../../runtime/api/tables/sts.js'
import { cloudTrailTable } from '../../../runtime/api/tables/cloudtrail.js'
import { anyRoute, startHttp } from '../../../runtime/http/server.js'
import { Iam } from '../../../runtime/iam/iam.js'
import { AuditTrail } from '../../../runtime/audit/audit-trail.js'
import { simulatedCloud } from '../api/clients.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
const ROOT = { accessKeyId: 'test', secretAccessKey: 'test' }

t.test('IAM users and policies decide Batch calls; STS and CloudTrail answer', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const { store, partition } = cloud.engine
  const iam = new Iam({ store, partition, mode: 'iam', now: () => cloud.clock.now() })
  const audit = new AuditTrail({ store, partition, now: () => cloud.clock.now() })
  const router = new ApiRouter({
    tables: [batchTable(cloud.engine.batch, partition), iamTable(iam), stsTable(iam), cloudTrailTable(audit)], partition,
    authenticator: iam, authorizer: iam, audit, now: () => cloud.clock.now()
  })
  const http = await startHttp([anyRoute('api', router.handle)])
  t.teardown(() => http.close())
  const config = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => ({ endpoint: `http://${http.address}`, region: 'us-east-1', credentials, maxAttempts: 1 })
  const rootIam = new IAMClient(config(ROOT))
  const rootBatch = new BatchClient(config(ROOT))
  t.teardown(() => { rootIam.destroy(); rootBatch.destroy() })

  // alice of team a may submit to her team's queues only.
  const { User } = await rootIam.send(new CreateUserCommand({ UserName: 'alice', Tags: [{ Key: 'team', Value: 'a' }] }))
  t.match(User, { UserName: 'alice', Arn: 'arn:aws:iam::000000000000:user/alice', UserId: /^AIDA/ })
  t.ok(User!.CreateDate instanceof Date)
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'batch:SubmitJob', Resource: 'arn:aws:batch:*:*:job-queue/*', Condition: { StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } } },
      { Effect: 'Allow', Action: 'batch:SubmitJob', Resource: 'arn:aws:batch:*:*:job-definition/*' }
    ]
  }
  await rootIam.send(new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'team-queues', PolicyDocument: JSON.stringify(policy) }))
  t.same(JSON.parse(decodeURIComponent((await rootIam.send(new GetUserPolicyCommand({ UserName: 'alice', PolicyName: 'team-queues' }))).PolicyDocument!)), policy)
  const { AccessKey } = await rootIam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))
  const aliceKey = { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! }
  await rootIam.send(new TagUserCommand({ UserName: 'alice', Tags: [{ Key: 'env', Value: 'dev' }] }))
  t.same((await rootIam.send(new ListUserTagsCommand({ UserName: 'alice' }))).Tags, [{ Key: 'env', Value: 'dev' }, { Key: 'team', Value: 'a' }])

  const sts = new STSClient(config(aliceKey))
  t.teardown(() => sts.destroy())
  t.match(await sts.send(new GetCallerIdentityCommand({})), { Account: '000000000000', Arn: 'arn:aws:iam::000000000000:user/alice', UserId: User!.UserId })

  await rootBatch.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: 'ce', type: 'UNMANAGED' }))
  await cloud.batch.service.waitForComputeEnvironment('ce')
  for (const team of ['a', 'b']) {
    await rootBatch.send(new CreateJobQueueCommand({ jobQueueName: `team-${team}`, priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }], tags: { team } }))
  }
  await rootBatch.send(new RegisterJobDefinitionCommand({ jobDefinitionName: 'd', type: 'container', containerProperties: { image: 'busybox', command: ['true'], vcpus: 1, memory: 128 } }))

  const aliceBatch = new BatchClient(config(aliceKey))
  t.teardown(() => aliceBatch.destroy())
  t.ok((await aliceBatch.send(new SubmitJobCommand({ jobName: 'ok', jobQueue: 'team-a', jobDefinition: 'd:1' }))).jobId, 'her team\'s queue')
  const denied = await aliceBatch.send(new SubmitJobCommand({ jobName: 'no', jobQueue: 'team-b', jobDefinition: 'd:1' })).catch((e) => e)
  t.equal(denied.name, 'AccessDeniedException')
  t.equal(denied.$metadata.httpStatusCode, 403)
  t.equal(denied.message, 'User: arn:aws:iam::000000000000:user/alice is not authorized to perform: batch:SubmitJob on resource: arn:aws:batch:us-east-1:000000000000:job-queue/team-b because no identity-based policy allows the batch:SubmitJob action')
  const aliceIam = new IAMClient(config(aliceKey))
  t.teardown(() => aliceIam.destroy())
  t.match(await aliceIam.send(new ListUsersCommand({})).catch((e) => e), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }, 'no IAM rights: awsQuery\'s AccessDenied')

  // SigV4 refusals, in awsQuery's names.
  const stranger = new IAMClient(config({ accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' }))
  const forger = new IAMClient(config({ accessKeyId: aliceKey.accessKeyId, secretAccessKey: 'not-her-secret' }))
  t.teardown(() => { stranger.destroy(); forger.destroy() })
  t.match(await stranger.send(new GetUserCommand({})).catch((e) => e), { name: 'InvalidClientTokenId', $metadata: { httpStatusCode: 403 }, message: 'The security token included in the request is invalid.' })
  t.match(await forger.send(new GetUserCommand({})).catch((e) => e), { name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } })

  // IAM's typed exceptions.
  t.match(await rootIam.send(new GetUserCommand({ UserName: 'nobody' })).catch((e) => e), { name: 'NoSuchEntityException', $metadata: { httpStatusCode: 404 } })
  t.match(await rootIam.send(new CreateUserCommand({ UserName: 'alice' })).catch((e) => e), { name: 'EntityAlreadyExistsException', $metadata: { httpStatusCode: 409 } })
  t.match(await rootIam.send(new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'bad', PolicyDocument: '{"Statement":[{"Effect":"Allow"}]}' })).catch((e) => e),
    { name: 'MalformedPolicyDocumentException', $metadata: { httpStatusCode: 400 } })
  t.match(await rootIam.send(new CreateAccessKeyCommand({ UserName: 'alice' })).then(() => rootIam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).catch((e) => e),
    { name: 'LimitExceededException', $metadata: { httpStatusCode: 409 } })
  for (let i = 0; i < 5; i++) await rootIam.send(new CreateUserCommand({ UserName: `user${i}` }))
  const page1 = await rootIam.send(new ListUsersCommand({ MaxItems: 4 }))
  const page2 = await rootIam.send(new ListUsersCommand({ MaxItems: 4, Marker: page1.Marker }))
  t.same([...page1.Users!, ...page2.Users!].map((u) => u.UserName), ['alice', 'user0', 'user1', 'user2', 'user3', 'user4'])
  t.equal(page1.IsTruncated, true)

  // A role alice may assume; its temporary credentials sign as the role.
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: User!.Arn }, Action: 'sts:AssumeRole' }] }
  const { Role } = await rootIam.send(new CreateRoleCommand({ RoleName: 'builder', AssumeRolePolicyDocument: JSON.stringify(trust) }))
  t.same(JSON.parse(decodeURIComponent((await rootIam.send(new GetRoleCommand({ RoleName: 'builder' }))).Role!.AssumeRolePolicyDocument!)), trust)
  const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: 'ci' }))
  const asRole = new STSClient(config({ accessKeyId: assumed.Credentials!.AccessKeyId!, secretAccessKey: assumed.Credentials!.SecretAccessKey!, sessionToken: assumed.Credentials!.SessionToken! }))
  t.teardown(() => asRole.destroy())
  t.match(await asRole.send(new GetCallerIdentityCommand({})), { Arn: 'arn:aws:sts::000000000000:assumed-role/builder/ci' })

  // Every call is in the trail.
  const trail = new CloudTrailClient(config(ROOT))
  t.teardown(() => trail.destroy())
  const submits = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'SubmitJob' }] }))
  t.same(submits.Events!.map((e) => JSON.parse(e.CloudTrailEvent!).requestParameters.jobName), ['no', 'ok'], 'newest first, the denied call too')
  const deniedRecord = JSON.parse(submits.Events![0].CloudTrailEvent!)
  t.match(deniedRecord, { errorCode: 'AccessDeniedException', userIdentity: { type: 'IAMUser', userName: 'alice', accessKeyId: aliceKey.accessKeyId }, eventSource: 'batch.amazonaws.com' })
  t.ok(submits.Events![0].EventTime instanceof Date)
  t.equal(submits.Events![0].Username, 'alice')
  const firstPage = await trail.send(new LookupEventsCommand({ MaxResults: 1, LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'iam.amazonaws.com' }] }))
  t.equal(firstPage.Events!.length, 1)
  t.ok(firstPage.NextToken)
  const next = await trail.send(new LookupEventsCommand({ MaxResults: 1, NextToken: firstPage.NextToken, LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'iam.amazonaws.com' }] }))
  t.not(next.Events![0].EventId, firstPage.Events![0].EventId)
  t.match(await trail.send(new LookupEventsCommand({ MaxResults: 51 })).catch((e) => e), { name: 'InvalidMaxResultsException', $metadata: { httpStatusCode: 400 } })
  t.match(await trail.send(new LookupEventsCommand({ StartTime: new Date(2), EndTime: new Date(1) })).catch((e) => e), { name: 'InvalidTimeRangeException' })
})
