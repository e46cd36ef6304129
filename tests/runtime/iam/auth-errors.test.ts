// Authentication failures as AWS sends them, through the official SDK v3
// clients, with the real Iam behind the router: a credential scope for
// another region or another service is refused (InvalidSignatureException /
// SignatureDoesNotMatch), expired AssumeRole credentials are ExpiredToken
// (not an unknown key), and each protocol answers with AWS's status —
// awsJson1_1 (ECR) 400, restJson1 (Batch) 403, awsQuery (IAM, STS) its own.
import t, { type Test } from 'tap'
import { BatchClient, DescribeComputeEnvironmentsCommand } from '@aws-sdk/client-batch'
import { ECRClient, DescribeRepositoriesCommand } from '@aws-sdk/client-ecr'
import { IAMClient, CreateRoleCommand, ListUsersCommand } from '@aws-sdk/client-iam'
import { STSClient, AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts'
import { ApiRouter } from '../../../runtime/api/index.js'
import { batchTable } from '../../../runtime/api/tables/batch.js'
import { ecrTable } from '../../../runtime/api/tables/ecr.js'
import { iamTable } from '../../../runtime/api/tables/iam.js'
import { stsTable } from '../../../runtime/api/tables/sts.js'
import { anyRoute, startHttp } from '../../../runtime/http/server.js'
import { Iam } from '../../../runtime/iam/iam.js'
import { simulatedCloud, signedRequest } from '../api/clients.js'

const ROOT = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected the call to fail') }, (e) => e)

async function setup(t: Test) {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const { store, partition } = cloud.engine
  let offset = 0
  const iam = new Iam({ store, partition, mode: 'iam', config: { root: { accessKeys: [ROOT] } }, now: () => cloud.clock.now(), wallClock: () => Date.now() + offset })
  const router = new ApiRouter({
    tables: [batchTable(cloud.engine.batch, partition), ecrTable(cloud.engine.registry, partition), iamTable(iam), stsTable(iam)], partition,
    authenticator: iam, authorizer: iam
  })
  const http = await startHttp([anyRoute('api', router.handle)])
  t.teardown(() => http.close())
  const clients: Array<{ destroy(): void }> = []
  t.teardown(() => { for (const c of clients) c.destroy() })
  const client = <C extends { destroy(): void }>(Client: new (c: object) => C, credentials: object = { ...ROOT }, extra: object = {}): C => {
    const c = new Client({ endpoint: `http://${http.address}`, region: 'us-east-1', credentials, maxAttempts: 1, ...extra })
    clients.push(c)
    return c
  }
  return { http, client, advanceWallClock: (ms: number) => { offset += ms } }
}

t.test('a credential scope for another region or service was accepted: refused as AWS does', async (t) => {
  const { http, client } = await setup(t)
  const elsewhere = await failure(client(BatchClient, { ...ROOT }, { region: 'eu-west-9' }).send(new DescribeComputeEnvironmentsCommand({})))
  t.match(elsewhere, { name: 'InvalidSignatureException', message: "Credential should be scoped to a valid region, not 'eu-west-9'." })
  t.equal(elsewhere.$metadata.httpStatusCode, 403)
  const ecr = await failure(client(ECRClient, { ...ROOT }, { region: 'eu-west-9' }).send(new DescribeRepositoriesCommand({})))
  t.match(ecr, { name: 'InvalidSignatureException', message: /scoped to a valid region/ })
  t.equal(ecr.$metadata.httpStatusCode, 400, 'awsJson1_1: 400')
  const iamElsewhere = await failure(client(IAMClient, { ...ROOT }, { region: 'eu-west-9', signingRegion: 'eu-west-9' }).send(new ListUsersCommand({})))
  t.match(iamElsewhere, { name: 'SignatureDoesNotMatch', message: /scoped to a valid region, not 'eu-west-9'/ })
  t.ok((await client(IAMClient).send(new ListUsersCommand({}))).Users, 'IAM signed for us-east-1 is fine')

  // Signed for ECS, sent to Batch's path.
  const wrongService = await signedRequest(http.address, { service: 'ecs', path: '/v1/describecomputeenvironments', headers: { 'content-type': 'application/json' }, body: '{}' })
  t.equal(wrongService.status, 403)
  t.equal(wrongService.headers.get('x-amzn-errortype')?.split(':')[0], 'InvalidSignatureException')
  t.match(JSON.parse(wrongService.text), { message: "Credential should be scoped to correct service: 'batch'." })
  t.ok((await client(BatchClient).send(new DescribeComputeEnvironmentsCommand({}))).computeEnvironments, 'well scoped: answered')
})

t.test('expired AssumeRole credentials answered UnrecognizedClient: ExpiredTokenException / ExpiredToken', async (t) => {
  const { client, advanceWallClock } = await setup(t)
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: 'sts:AssumeRole' }] }
  const { Role } = await client(IAMClient).send(new CreateRoleCommand({ RoleName: 'builder', AssumeRolePolicyDocument: JSON.stringify(trust) }))
  const { Credentials } = await client(STSClient).send(new AssumeRoleCommand({ RoleArn: Role!.Arn, RoleSessionName: 'ci', DurationSeconds: 900 }))
  const session = { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken! }
  t.match(await client(STSClient, session).send(new GetCallerIdentityCommand({})), { Arn: /assumed-role\/builder\/ci$/ }, 'current: it signs')

  advanceWallClock(901_000)
  const later = { systemClockOffset: 901_000 }
  const batch = await failure(client(BatchClient, session, later).send(new DescribeComputeEnvironmentsCommand({})))
  t.match(batch, { name: 'ExpiredTokenException', message: 'The security token included in the request is expired' })
  t.equal(batch.$metadata.httpStatusCode, 403, 'restJson1: 403')
  const ecr = await failure(client(ECRClient, session, later).send(new DescribeRepositoriesCommand({})))
  t.match(ecr, { name: 'ExpiredTokenException' })
  t.equal(ecr.$metadata.httpStatusCode, 400, 'awsJson1_1: 400')
  const sts = await failure(client(STSClient, session, later).send(new GetCallerIdentityCommand({})))
  t.match(sts, { name: 'ExpiredToken', message: 'The security token included in the request is expired' })
})

t.test('the JSON protocols\' authentication errors carry AWS\'s statuses: awsJson1_1 400, restJson1 403', async (t) => {
  const { client } = await setup(t)
  const stranger = { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' }
  const ecr = await failure(client(ECRClient, stranger).send(new DescribeRepositoriesCommand({})))
  t.match(ecr, { name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 400 } })
  const ecrForged = await failure(client(ECRClient, { accessKeyId: ROOT.accessKeyId, secretAccessKey: 'wrong' }).send(new DescribeRepositoriesCommand({})))
  t.match(ecrForged, { name: 'InvalidSignatureException', $metadata: { httpStatusCode: 400 } })
  const batch = await failure(client(BatchClient, stranger).send(new DescribeComputeEnvironmentsCommand({})))
  t.match(batch, { name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 403 } })
  const iam = await failure(client(IAMClient, stranger).send(new ListUsersCommand({})))
  t.match(iam, { name: 'InvalidClientTokenId', $metadata: { httpStatusCode: 403 } })
})
