// The fluent IAM SDK over the IAM service (embedded here): a user with tags,
// an access key, an inline policy that then decides what the key may do; a
// role with a key that acts as it; forced deletes.
import t from 'tap'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { Iam } from '../../../runtime/iam/iam.js'
import { IamClient } from '../../../sdk/iam.js'

t.test('cloud.iam.user(…).create / accessKey / policy / tags / delete({ force })', async (t) => {
  const iam = new Iam({ store: new MemoryStore(), partition: makePartition() })
  const client = new IamClient(iam)
  const alice = client.user('alice')
  t.match(await alice.create({ tags: { team: 'a' } }), { UserName: 'alice', Tags: [{ Key: 'team', Value: 'a' }] })
  const key = await alice.accessKey()
  t.match(key, { AccessKeyId: /^AKIA/, SecretAccessKey: /./ })
  await alice.policy('submit', { Statement: [{ Effect: 'Allow', Action: 'batch:SubmitJob', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } } }] })
  t.same(await alice.policies(), ['submit'])
  t.match(await alice.policyDocument('submit'), { Version: '2012-10-17', Statement: [{ Action: 'batch:SubmitJob' }] })
  const principal = iam.authenticate({ method: 'GET', rawPath: '/', rawQuery: `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${key.AccessKeyId}%2F20260101%2Fus-east-1%2Fbatch%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00`, rawHeaders: [], body: Buffer.alloc(0) })
  t.equal(principal.userName, 'alice', 'auth off: the key names its user')
  t.ok(iam.authorize({ principal, action: 'batch:SubmitJob', resource: 'arn:aws:batch:us-east-1:000000000000:job-queue/a', context: { 'aws:ResourceTag/team': 'a' } }).allowed)
  t.notOk(iam.authorize({ principal, action: 'batch:SubmitJob', resource: 'arn:aws:batch:us-east-1:000000000000:job-queue/b', context: { 'aws:ResourceTag/team': 'b' } }).allowed)
  await alice.tag({ env: 'dev' })
  await alice.untag('team')
  t.same(await alice.tags(), { env: 'dev' })
  await t.rejects(alice.delete(), { code: 'DeleteConflict' })
  await alice.delete({ force: true })
  t.same(await client.users(), [])
})

t.test('cloud.iam.role(…): trust, policies, a key acting as the role; users() and roles() page through everything', async (t) => {
  const iam = new Iam({ store: new MemoryStore(), partition: makePartition() })
  const client = new IamClient(iam)
  const builder = client.role('builder')
  t.match(await builder.create({ tags: { team: 'ci' }, description: 'pushes images' }), { RoleName: 'builder', Description: 'pushes images' })
  await builder.policy('ecr', { Statement: { Effect: 'Allow', Action: 'ecr:*', Resource: '*' } })
  const key = await builder.accessKey()
  t.equal(key.RoleName, 'builder')
  t.same(await builder.tags(), { team: 'ci' })
  await builder.delete({ force: true })
  await t.rejects(builder.describe(), { code: 'NoSuchEntity' })
  for (let i = 0; i < 120; i++) await client.user(`u${String(i).padStart(3, '0')}`).create()
  t.equal((await client.users()).length, 120, 'more than one page of ListUsers')
})
