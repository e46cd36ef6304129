// The audit trail never holds a secret a call hands out once: CreateAccessKey's
// SecretAccessKey, AssumeRole's SecretAccessKey and SessionToken, and the
// Stratus-only CreateRoleAccessKey's SecretAccessKey are left out of
// responseElements (as CloudTrail does), while the rest of the answer (the key
// id) is kept. Searched for in every record LookupEvents serves.
import t from 'tap'
import { IAMClient, CreateAccessKeyCommand, CreateUserCommand } from '@aws-sdk/client-iam'
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts'
import { CloudTrailClient, paginateLookupEvents } from '@aws-sdk/client-cloudtrail'
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
