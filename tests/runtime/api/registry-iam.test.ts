// IAM and CloudTrail on the registry's /v2/, over the whole engine with
// `auth: 'iam'`: a docker-style client (Basic AWS:<token> from the user's own
// GetAuthorizationToken) is decided with the same condition keys as the ECR
// API (aws:ResourceTag of the repository, aws:SourceIp, aws:CurrentTime,
// aws:SecureTransport), and each of its requests is recorded as the ECR event
// it stands for, allowed or denied.
import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { BatchGetImageCommand, CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr'
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail'
import { Stratus } from '../../../sdk/index.js'
import './clients.js'

type Key = { accessKeyId: string; secretAccessKey: string }
const ROOT: Key = { accessKeyId: 'test', secretAccessKey: 'test' }
const key = (name: string): Key => ({ accessKeyId: `AKIA${name.toUpperCase().padEnd(16, '0')}`, secretAccessKey: `${name}-secret` })
const doc = (...Statement: object[]) => ({ Version: '2012-10-17', Statement })
const START = Date.parse('2030-01-01T00:00:00Z')
const HOUR = 3_600_000

const IAM_CONFIG = {
  // With an IAM config, root signs only with the keys it lists.
  root: { accessKeys: [{ ...ROOT }] },
  users: [
    // Everything on ECR but what is tagged env=prod.
    {
      userName: 'eve', accessKeys: [key('eve')],
      policies: [{ policyName: 'not-prod', policyDocument: doc(
        { Effect: 'Allow', Action: 'ecr:*', Resource: '*' },
        { Effect: 'Deny', Action: 'ecr:*', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/env': 'prod' } } }
      ) }]
    },
    // Pulls only from loopback, over plain HTTP, during the first hour.
    {
      userName: 'gina', accessKeys: [key('gina')],
      policies: [{ policyName: 'guarded', policyDocument: doc(
        { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        {
          Effect: 'Allow', Action: ['ecr:BatchGetImage', 'ecr:ListImages'], Resource: '*',
          Condition: { IpAddress: { 'aws:SourceIp': '127.0.0.0/8' }, Bool: { 'aws:SecureTransport': 'false' }, DateLessThan: { 'aws:CurrentTime': new Date(START + HOUR).toISOString() } }
        }
      ) }]
    }
  ]
}

async function iamCloud(t: Test) {
  const cloud = await Stratus.embedded({ clock: 'manual', startTime: START, runner: 'simulated', auth: 'iam', iam: IAM_CONFIG })
  t.teardown(() => cloud.close())
  const clients: Array<{ destroy(): void }> = []
  t.teardown(() => { for (const c of clients) c.destroy() })
  const client = <C extends { destroy(): void }>(Client: new (c: object) => C, credentials: Key): C => {
    const c = new Client({ endpoint: `http://${cloud.endpoint}`, region: 'us-east-1', credentials, maxAttempts: 1 })
    clients.push(c)
    return c
  }
  const root = client(ECRClient, ROOT)
  for (const env of ['prod', 'dev']) {
    await root.send(new CreateRepositoryCommand({ repositoryName: `${env}-app`, tags: [{ Key: 'env', Value: env }] }))
    await cloud.registry.image(`${env}-app:v1`).fromScratch().addContent(`${env}\n`, '/etc/env').push()
  }
  /** A /v2/ client logged in as docker does with the user's own token (docker login -u AWS -p …). */
  const v2As = async (user: string) => {
    const ecr = client(ECRClient, key(user))
    const authorization = `Basic ${(await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0].authorizationToken!}`
    return async (method: string, path: string, body?: Buffer) => {
      const res = await fetch(`http://${cloud.endpoint}${path}`, {
        method, headers: { authorization, 'user-agent': `docker/test (${user})`, accept: 'application/vnd.oci.image.manifest.v1+json' }, ...(body !== undefined ? { body } : {})
      })
      return { status: res.status, text: await res.text() }
    }
  }
  return { cloud, client, v2As }
}

t.test('/v2/ applies the conditions of IAM policies: a Deny on aws:ResourceTag stops docker pull and push as it stops the ECR API', async (t) => {
  const { client, v2As } = await iamCloud(t)
  const eve = await v2As('eve')
  const api = await client(ECRClient, key('eve')).send(new BatchGetImageCommand({ repositoryName: 'prod-app', imageIds: [{ imageTag: 'v1' }] })).catch((e) => e)
  t.equal(api.name, 'AccessDeniedException', 'the ECR API refuses prod')

  const pull = await eve('GET', '/v2/prod-app/manifests/v1')
  t.equal(pull.status, 403, 'a pull from prod is refused')
  t.match(pull.text, /"DENIED".*user\/eve is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:000000000000:repository\/prod-app.*explicit deny/)
  t.equal((await eve('GET', '/v2/prod-app/tags/list')).status, 403, 'so is listing its tags')
  t.equal((await eve('POST', '/v2/prod-app/blobs/uploads/')).status, 403, 'and starting a push')

  t.equal((await eve('GET', '/v2/dev-app/manifests/v1')).status, 200, 'dev is hers')
  t.same(JSON.parse((await eve('GET', '/v2/dev-app/tags/list')).text).tags, ['v1'])
  t.equal((await eve('POST', '/v2/dev-app/blobs/uploads/')).status, 202)
})

t.test('/v2/ applies aws:SourceIp, aws:SecureTransport and aws:CurrentTime: an Allow conditioned on them holds, until its time is past', async (t) => {
  const { cloud, v2As } = await iamCloud(t)
  const gina = await v2As('gina')
  t.equal((await gina('GET', '/v2/dev-app/manifests/v1')).status, 200, 'from 127.0.0.1, over HTTP, within the hour')
  t.same(JSON.parse((await gina('GET', '/v2/prod-app/tags/list')).text).tags, ['v1'])
  t.equal((await gina('POST', '/v2/dev-app/blobs/uploads/')).status, 403, 'not a push: her Allow is for pulls')
  await cloud.clock.advance(2 * HOUR)
  const late = await gina('GET', '/v2/dev-app/manifests/v1')
  t.equal(late.status, 403, 'past the hour (on the engine clock): refused')
  t.match(late.text, /ecr:BatchGetImage/)
})

t.test('/v2/ requests are audited as the ECR events they stand for, allowed and denied, with the caller, source IP and user agent', async (t) => {
  const { client, v2As } = await iamCloud(t)
  const eve = await v2As('eve')
  t.equal((await eve('GET', '/v2/dev-app/manifests/v1')).status, 200)
  t.equal((await eve('GET', '/v2/prod-app/manifests/v1')).status, 403)
  t.equal((await eve('GET', '/v2/dev-app/manifests/nope')).status, 404)
  const layer = Buffer.from('a layer pushed in one request\n')
  const digest = `sha256:${createHash('sha256').update(layer).digest('hex')}`
  t.equal((await eve('POST', `/v2/dev-app/blobs/uploads/?digest=${digest}`, layer)).status, 201, 'a monolithic blob push')
  t.equal((await eve('HEAD', `/v2/dev-app/blobs/${digest}`)).status, 200)

  const trail = client(CloudTrailClient, ROOT)
  const events = (await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'eve' }] }))).Events!
  t.same(events.map((e) => e.EventName), ['BatchCheckLayerAvailability', 'InitiateLayerUpload', 'BatchGetImage', 'BatchGetImage', 'BatchGetImage', 'GetAuthorizationToken'],
    'newest first: one record per /v2/ request, after the token call')
  const [check, push, missing, denied, pulled] = events.map((e) => JSON.parse(e.CloudTrailEvent!))
  const caller = {
    eventSource: 'ecr.amazonaws.com', awsRegion: 'us-east-1', sourceIPAddress: '127.0.0.1', userAgent: 'docker/test (eve)',
    userIdentity: { type: 'IAMUser', userName: 'eve', arn: 'arn:aws:iam::000000000000:user/eve' }
  }
  t.match(pulled, { ...caller, eventName: 'BatchGetImage', readOnly: true, requestParameters: { registryId: '000000000000', repositoryName: 'dev-app', imageIds: [{ imageTag: 'v1' }] } })
  t.equal(pulled.errorCode, undefined, 'the allowed pull has no error')
  t.match(denied, {
    ...caller, eventName: 'BatchGetImage', errorCode: 'AccessDeniedException', errorMessage: /user\/eve is not authorized to perform: ecr:BatchGetImage/,
    requestParameters: { repositoryName: 'prod-app' }
  })
  t.match(missing, { ...caller, eventName: 'BatchGetImage', errorCode: 'ImageNotFoundException', requestParameters: { imageIds: [{ imageTag: 'nope' }] } })
  t.match(push, { ...caller, eventName: 'InitiateLayerUpload', readOnly: false, requestParameters: { repositoryName: 'dev-app' } })
  t.equal(push.errorCode, undefined)
  t.match(check, { ...caller, eventName: 'BatchCheckLayerAvailability', readOnly: true, requestParameters: { layerDigests: [digest] } })
})
