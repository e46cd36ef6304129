// The audit trail never holds a secret a call hands out once: CreateAccessKey's
// SecretAccessKey, AssumeRole's SecretAccessKey and SessionToken, and the
// Stratus-only CreateRoleAccessKey's SecretAccessKey are left out of
// responseElements (as CloudTrail does), while the rest of the answer (the key
// id) is kept; a connection's credentials given to CreateConnection (API key,
// password, client secret, secret invocation parameters) are kept out of
// requestParameters (AuthParameters: HIDDEN_DUE_TO_SECURITY_REASONS, as
// CloudTrail shows EventBridge's). Searched for in every record LookupEvents serves.
import t from 'tap'
import { IAMClient, CreateAccessKeyCommand, CreateUserCommand } from '@aws-sdk/client-iam'
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts'
import { CloudTrailClient, paginateLookupEvents } from '@aws-sdk/client-cloudtrail'
import { EventBridgeClient, CreateConnectionCommand } from '@aws-sdk/client-eventbridge'
import { Stratus } from '../../../sdk/index.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
const ROOT = { accessKeyId: 'AKIAROOTSECRETSTEST0', secretAccessKey: 'root-secret-of-the-audit-secrets-test' }
const ACCOUNT = '000000000000'

t.test('secret access keys and session tokens written into the audit trail', async (t) => {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated', auth: 'iam', iam: { root: { accessKeys: [ROOT] }, roles: [{ roleName: 'builder' }] } })
  t.teardown(() => cloud.close())
  const config = { endpoint: `http://${cloud.endpoint}`, region: 'us-east-1', credentials: ROOT, maxAttempts: 1 }
  const iam = new IAMClient(config)
  const sts = new STSClient(config)
  const trail = new CloudTrailClient(config)
  t.teardown(() => { iam.destroy(); sts.destroy(); trail.destroy() })

  await iam.send(new CreateUserCommand({ UserName: 'alice' }))
  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))
  const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/builder`, RoleSessionName: 'ci' }))
  const remote = await Stratus.connect(`http://${cloud.endpoint}`, { credentials: ROOT })
  t.teardown(() => remote.close())
  const roleKey = await remote.iam.role('builder').accessKey()
  const secrets = { user: AccessKey!.SecretAccessKey!, session: Credentials!.SecretAccessKey!, token: Credentials!.SessionToken!, role: roleKey.SecretAccessKey }
  for (const [what, secret] of Object.entries(secrets)) t.ok(typeof secret === 'string' && secret.length >= 16, `the caller got the ${what} secret`)

  const records: Record<string, any> = {}
  const texts: string[] = []
  for await (const page of paginateLookupEvents({ client: trail }, {})) {
    for (const e of page.Events!) {
      texts.push(e.CloudTrailEvent!)
      records[e.EventName!] = JSON.parse(e.CloudTrailEvent!)
    }
  }
  t.ok(records.CreateAccessKey && records.AssumeRole && records.CreateRoleAccessKey, 'the three calls are recorded')
  for (const [what, secret] of Object.entries(secrets)) {
    t.notOk(texts.some((text) => text.includes(secret)), `no record holds the ${what} secret`)
  }
  t.match(records.CreateAccessKey.responseElements, { AccessKey: { AccessKeyId: AccessKey!.AccessKeyId, UserName: 'alice', Status: 'Active' } }, 'the key id is kept')
  t.notOk('SecretAccessKey' in records.CreateAccessKey.responseElements.AccessKey)
  t.match(records.AssumeRole.responseElements, { Credentials: { AccessKeyId: Credentials!.AccessKeyId }, AssumedRoleUser: { Arn: /assumed-role\/builder\/ci$/ } })
  t.notOk('SessionToken' in records.AssumeRole.responseElements.Credentials)
  t.match(records.CreateRoleAccessKey.responseElements, { AccessKey: { AccessKeyId: roleKey.AccessKeyId, RoleName: 'builder' } })
})

t.test('connection secrets written into the audit trail', async (t) => {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated', auth: 'iam', iam: { root: { accessKeys: [{ accessKeyId: ROOT.accessKeyId, secretAccessKey: ROOT.secretAccessKey }] } } })
  t.teardown(() => cloud.close())
  const config = { endpoint: `http://${cloud.endpoint}`, region: 'us-east-1', credentials: { accessKeyId: ROOT.accessKeyId, secretAccessKey: ROOT.secretAccessKey }, maxAttempts: 1 }
  const eb = new EventBridgeClient(config)
  const trail = new CloudTrailClient(config)
  t.teardown(() => { eb.destroy(); trail.destroy() })
  const secrets = { apiKey: 'secret-api-key-of-the-audit-test', password: 'secret-password-of-the-audit-test', clientSecret: 'secret-client-secret-of-the-audit-test', header: 'secret-header-of-the-audit-test' }
  const invocation = { HeaderParameters: [{ Key: 'x-token', Value: secrets.header, IsValueSecret: true }] }
  await eb.send(new CreateConnectionCommand({ Name: 'k', AuthorizationType: 'API_KEY', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: secrets.apiKey }, InvocationHttpParameters: invocation } }))
  await eb.send(new CreateConnectionCommand({ Name: 'b', AuthorizationType: 'BASIC', AuthParameters: { BasicAuthParameters: { Username: 'ann', Password: secrets.password } } }))
  await eb.send(new CreateConnectionCommand({ Name: 'o', AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS', AuthParameters: { OAuthParameters: {
    AuthorizationEndpoint: 'http://127.0.0.1:9/token', HttpMethod: 'POST', ClientParameters: { ClientID: 'id', ClientSecret: secrets.clientSecret }
  } } }))
  const records: any[] = []
  const texts: string[] = []
  for await (const page of paginateLookupEvents({ client: trail }, {})) {
    for (const e of page.Events!) {
      texts.push(e.CloudTrailEvent!)
      if (e.EventName === 'CreateConnection') records.push(JSON.parse(e.CloudTrailEvent!))
    }
  }
  t.equal(records.length, 3, 'the three calls are recorded')
  for (const [what, secret] of Object.entries(secrets)) t.notOk(texts.some((text) => text.includes(secret)), `no record holds the ${what}`)
  for (const r of records) {
    t.equal(r.requestParameters.AuthParameters, 'HIDDEN_DUE_TO_SECURITY_REASONS', `${r.requestParameters.Name}: AuthParameters hidden, as CloudTrail shows them`)
    t.ok(['k', 'b', 'o'].includes(r.requestParameters.Name) && typeof r.requestParameters.AuthorizationType === 'string', 'the rest of the request is kept')
  }
})
