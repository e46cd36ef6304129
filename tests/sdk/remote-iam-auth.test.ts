// The remote SDK against an engine with `auth: 'iam'`: connected with a
// user's key, the calls its policy allows work (Batch, IAM on itself, an image
// push through /v2/ with a token bound to the user), the others fail with the
// AccessDeniedError the engine's authorization throws — same class, code,
// field and message as the engine's own decision — and change nothing; a
// repository policy denies the user's pull on /v2/.
import t from 'tap'
import { Stratus, AccessDeniedError, RegistryError, type StratusClient } from '../../sdk/index.js'

const ACCOUNT = '000000000000'
const DEV_ARN = `arn:aws:iam::${ACCOUNT}:user/dev`
const DEV_KEY = { accessKeyId: 'AKIADEVEXAMPLE0001', secretAccessKey: 'dev-secret-key-for-the-remote-sdk-test-0001' }

const devPolicy = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['stratus:GetClock', 'batch:DescribeJobQueues', 'batch:DescribeComputeEnvironments', 'ecr:GetAuthorizationToken'], Resource: '*' },
    { Effect: 'Allow', Action: ['iam:GetUser', 'iam:ListAccessKeys'], Resource: 'arn:aws:iam::*:user/${aws:username}' },
    {
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Resource: 'arn:aws:ecr:*:*:repository/team/*'
    }
  ]
}

/** The error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

/** A manifest GET on /v2/ with a bearer token traded for the ECR authorization token `basic` (base64 AWS:<token>). */
async function pull(endpoint: string, repository: string, tag: string, basic: string): Promise<{ status: number; body: string }> {
  const manifest = `http://${endpoint}/v2/${repository}/manifests/${tag}`
  const challenge = (await fetch(manifest)).headers.get('www-authenticate') ?? ''
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]))
  const realm = new URL(params.realm!)
  realm.searchParams.set('service', params.service!)
  realm.searchParams.set('scope', `repository:${repository}:pull`)
  const traded = await fetch(`http://${endpoint}${realm.pathname}${realm.search}`, { headers: { authorization: `Basic ${basic}` } })
  if (traded.status !== 200) return { status: traded.status, body: await traded.text() }
  const { token } = await traded.json() as { token: string }
  const res = await fetch(manifest, { headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } })
  return { status: res.status, body: await res.text() }
}

t.test('a user\'s key over the wire: allowed calls work, denied ones throw the engine\'s AccessDeniedError', async (t) => {
  const cloud = await Stratus.embedded({
    clock: 'manual', runner: 'simulated', auth: 'iam',
    iam: { root: { accessKeys: [{ accessKeyId: 'test', secretAccessKey: 'test' }] }, users: [{ userName: 'dev', accessKeys: [DEV_KEY], policies: [{ policyName: 'dev', policyDocument: devPolicy }], tags: { team: 'a' } }] }
  })
  t.teardown(() => cloud.close())
  const url = `http://${cloud.endpoint}`
  const { engine } = cloud
  const principal = engine.iam.principalByArn(DEV_ARN)!
  t.ok(principal, 'the user of the IAM file exists')
  const engineDecision = (action: string, resource: string) => engine.iam.authorize({ principal, action, resource, context: {} })

  const ce = await cloud.batch.computeEnvironment('own').unmanaged().create()
  await cloud.batch.jobQueue('q').computeEnvironments(ce).create()
  await cloud.registry.repository('team/app').create()
  await cloud.iam.user('other').create()
  await cloud.iam.role('builder').create()

  t.match(await rejection(Stratus.connect(url, { credentials: { ...DEV_KEY, secretAccessKey: 'wrong' } })), { kind: 'AccessDenied' }, 'a wrong secret is refused at connect')
  const dev: StratusClient = await Stratus.connect(url, { credentials: DEV_KEY })
  t.teardown(() => dev.close())

  // Allowed: Batch reads, IAM on the user itself (${aws:username}), a push through /v2/.
  t.match((await dev.batch.service.describeJobQueues({ jobQueues: ['q'] })).jobQueues, [{ jobQueueName: 'q', state: 'ENABLED' }])
  t.match(await dev.iam.user('dev').describe(), { UserName: 'dev', Arn: DEV_ARN })
  t.match(await dev.iam.user('dev').accessKeys(), [{ AccessKeyId: DEV_KEY.accessKeyId }])
  const pushed = await dev.registry.image('team/app:1').fromScratch().addContent('hello\n', '/hello').push()
  t.match(pushed, { repositoryName: 'team/app', imageTag: '1', imageDigest: /^sha256:/ })
  t.same((await cloud.registry.repository('team/app').images()).map((i) => i.imageDigest), [pushed.imageDigest], 'the image is in the registry')

  // Denied, on each protocol: restJson1 (Batch), awsQuery (IAM), /stratus/.
  const denials: Array<[string, Promise<unknown>, string, string]> = [
    ['Batch', dev.batch.computeEnvironment('x').unmanaged().create(), 'batch:CreateComputeEnvironment', `arn:aws:batch:us-east-1:${ACCOUNT}:compute-environment/x`],
    ['IAM', dev.iam.user('eve').create(), 'iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/eve`],
    ['IAM on another user', dev.iam.user('other').describe(), 'iam:GetUser', `arn:aws:iam::${ACCOUNT}:user/other`],
    ['the /stratus/ API', dev.clock.advance(1_000), 'stratus:AdvanceClock', '*'],
    ['a role\'s key (over /stratus/, as an IAM action)', dev.iam.role('builder').accessKey(), 'iam:CreateRoleAccessKey', `arn:aws:iam::${ACCOUNT}:role/builder`]
  ]
  for (const [what, call, action, resource] of denials) {
    const error = await rejection(call)
    const decision = engineDecision(action, resource)
    if (decision.allowed) throw new Error(`${action} on ${resource} should be denied`)
    t.ok(error instanceof AccessDeniedError, `${what}: an AccessDeniedError`)
    t.match(error, { kind: 'AccessDenied', code: 'AccessDenied', field: resource }, `${what}: the engine's code and field`)
    t.equal((error as Error).message, decision.message, `${what}: the engine's message`)
  }
  t.same((await cloud.batch.service.describeComputeEnvironments({ computeEnvironments: ['x'] })).computeEnvironments, [], 'nothing was created')
  t.same((await cloud.iam.users()).map((u) => u.UserName), ['dev', 'other'])
  const outside = await rejection(dev.registry.image('other/app:1').fromScratch().addContent('x', '/x').push())
  t.ok(outside instanceof RegistryError, 'a push outside the policy\'s repositories is refused by the registry')
  t.match(outside, { kind: 'Forbidden', code: 'DENIED', message: /user\/dev is not authorized to perform: ecr:\w+ on resource: arn:aws:ecr:us-east-1:000000000000:repository\/other\/app/ })

  // The user pulls, until a repository policy denies it; the root still pulls.
  const devToken = (await dev.registry.repository('team/app').authorizationToken()).authorizationToken
  t.equal((await pull(cloud.endpoint, 'team/app', '1', devToken)).status, 200, 'the identity policy allows the pull')
  await engine.registry.setRepositoryPolicy({
    repositoryName: 'team/app',
    policyText: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'nopull', Effect: 'Deny', Principal: { AWS: DEV_ARN }, Action: 'ecr:BatchGetImage' }] })
  })
  const denied = await pull(cloud.endpoint, 'team/app', '1', devToken)
  t.equal(denied.status, 403)
  t.match(JSON.parse(denied.body), { errors: [{ code: 'DENIED', message: /user\/dev is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:000000000000:repository\/team\/app/ }] })
  const root = await Stratus.connect(url)
  t.teardown(() => root.close())
  t.equal((await pull(cloud.endpoint, 'team/app', '1', (await root.registry.repository('team/app').authorizationToken()).authorizationToken)).status, 200, 'the root is not denied')

  // The denied IAM call went through IAM's own API and is in the audit trail as such.
  const created = []
  for await (const e of root.audit.lookup({ eventName: 'CreateUser', username: 'dev' })) created.push(e.record)
  t.match(created, [{ eventSource: 'iam.amazonaws.com', errorCode: /AccessDenied/, userIdentity: { type: 'IAMUser', arn: DEV_ARN } }])
})
