// The IAM API in IAM's shapes and errors: users, access keys (two per user),
// inline policies (URL-encoded on the way out, size-limited), tags, roles,
// paging; GetCallerIdentity and AssumeRole (temporary keys that sign and
// expire, allowed by the role's trust policy).
import t from 'tap'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { Iam } from '../../../runtime/iam/iam.js'
import { rootPrincipal } from '../../../runtime/iam/principal.js'

const partition = makePartition('000000000000', 'us-east-1')
const doc = (action: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] })
const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:user/alice' }, Action: 'sts:AssumeRole' }] })

t.test('users: create, get, list with paging, delete; IAM\'s errors', async (t) => {
  const iam = new Iam({ store: new MemoryStore(), partition })
  const { User } = iam.createUser({ UserName: 'alice', Path: '/team/', Tags: [{ Key: 'team', Value: 'a' }] })
  t.match(User, { UserName: 'alice', Path: '/team/', Arn: 'arn:aws:iam::000000000000:user/team/alice', UserId: /^AIDA[A-Z2-7]{16}$/, Tags: [{ Key: 'team', Value: 'a' }] })
  t.ok(User.CreateDate instanceof Date)
  t.throws(() => iam.createUser({ UserName: 'alice' }), { code: 'EntityAlreadyExists', message: 'User with name alice already exists.' })
  t.throws(() => iam.createUser({ UserName: 'a b' }), { code: 'ValidationError', field: 'userName' })
  t.throws(() => iam.getUser({ UserName: 'nobody' }), { code: 'NoSuchEntity', message: 'The user with name nobody cannot be found.' })
  for (const n of ['bob', 'carol', 'dave']) iam.createUser({ UserName: n })
  const first = iam.listUsers({ MaxItems: 2 })
  t.same(first.Users.map((u) => u.UserName), ['alice', 'bob'])
  t.equal(first.IsTruncated, true)
  const second = iam.listUsers({ MaxItems: 2, Marker: first.Marker })
  t.same(second.Users.map((u) => u.UserName), ['carol', 'dave'])
  t.equal(second.IsTruncated, false)
  t.throws(() => iam.listUsers({ Marker: 'forged' }), { code: 'InvalidInput' })
  t.same(iam.listUsers({ PathPrefix: '/team/' }).Users.map((u) => u.UserName), ['alice'])
  t.same(iam.getUser({}, { ...rootPrincipal('000000000000'), type: 'IAMUser', userName: 'bob' }).User.UserName, 'bob', 'GetUser without a name is the caller')
  iam.deleteUser({ UserName: 'dave' })
  t.throws(() => iam.getUser({ UserName: 'dave' }), { code: 'NoSuchEntity' })
})

t.test('access keys: two per user, listed without secrets, deactivated, deleted; a user with keys or policies cannot be deleted', async (t) => {
  const iam = new Iam({ store: new MemoryStore(), partition })
  iam.createUser({ UserName: 'alice' })
  const a = iam.createAccessKey({ UserName: 'alice' }).AccessKey
  t.match(a, { UserName: 'alice', AccessKeyId: /^AKIA[A-Z2-7]{16}$/, Status: 'Active', SecretAccessKey: /^.{40}$/ })
  iam.createAccessKey({ UserName: 'alice' })
  t.throws(() => iam.createAccessKey({ UserName: 'alice' }), { code: 'LimitExceeded', message: 'Cannot exceed quota for AccessKeysPerUser: 2', limit: 2 })
  const listed = iam.listAccessKeys({ UserName: 'alice' }).AccessKeyMetadata
  t.equal(listed.length, 2)
  t.notOk('SecretAccessKey' in listed[0])
  iam.putUserPolicy({ UserName: 'alice', PolicyName: 'p', PolicyDocument: doc('batch:*') })
  t.throws(() => iam.deleteUser({ UserName: 'alice' }), { code: 'DeleteConflict', message: 'Cannot delete entity, must delete policies first.' })
  iam.deleteUserPolicy({ UserName: 'alice', PolicyName: 'p' })
  t.throws(() => iam.deleteUser({ UserName: 'alice' }), { code: 'DeleteConflict', message: 'Cannot delete entity, must delete access keys first.' })
  iam.updateAccessKey({ UserName: 'alice', AccessKeyId: a.AccessKeyId, Status: 'Inactive' })
  t.equal(iam.listAccessKeys({ UserName: 'alice' }).AccessKeyMetadata.find((k) => k.AccessKeyId === a.AccessKeyId)!.Status, 'Inactive')
  for (const k of iam.listAccessKeys({ UserName: 'alice' }).AccessKeyMetadata) iam.deleteAccessKey({ UserName: 'alice', AccessKeyId: k.AccessKeyId })
  t.throws(() => iam.deleteAccessKey({ UserName: 'alice', AccessKeyId: a.AccessKeyId }), { code: 'NoSuchEntity' })
  iam.deleteUser({ UserName: 'alice' })
})

t.test('inline policies: put, get (URL-encoded, as IAM returns it), list, size limit; tags', async (t) => {
  const iam = new Iam({ store: new MemoryStore(), partition })
  iam.createUser({ UserName: 'alice' })
  iam.putUserPolicy({ UserName: 'alice', PolicyName: 'submit', PolicyDocument: doc('batch:SubmitJob') })
  const got = iam.getUserPolicy({ UserName: 'alice', PolicyName: 'submit' })
  t.equal(decodeURIComponent(got.PolicyDocument), doc('batch:SubmitJob'))
  t.same(iam.listUserPolicies({ UserName: 'alice' }).PolicyNames, ['submit'])
  const big = JSON.stringify({ Version: '2012-10-17', Statement: Array.from({ length: 40 }, (_, i) => ({ Effect: 'Allow', Action: `batch:Action${i}`, Resource: '*' })) })
  t.throws(() => iam.putUserPolicy({ UserName: 'alice', PolicyName: 'big', PolicyDocument: big }), { code: 'LimitExceeded', message: /Maximum policy size of 2048 bytes exceeded for user alice/ })
  t.throws(() => iam.getUserPolicy({ UserName: 'alice', PolicyName: 'none' }), { code: 'NoSuchEntity' })
  iam.tagUser({ UserName: 'alice', Tags: [{ Key: 'team', Value: 'a' }, { Key: 'env', Value: 'dev' }] })
  iam.untagUser({ UserName: 'alice', TagKeys: ['env'] })
  t.same(iam.listUserTags({ UserName: 'alice' }).Tags, [{ Key: 'team', Value: 'a' }])
  t.throws(() => iam.tagUser({ UserName: 'alice', Tags: [{ Key: 'aws:x', Value: 'y' }] }), { code: 'InvalidInput' })
})

t.test('roles: create with a trust policy, policies, tags, access keys that act as the role, delete', async (t) => {
  const iam = new Iam({ store: new MemoryStore(), partition })
  const { Role } = iam.createRole({ RoleName: 'builder', AssumeRolePolicyDocument: trust, Tags: [{ Key: 'team', Value: 'a' }] })
  t.match(Role, { RoleName: 'builder', Arn: 'arn:aws:iam::000000000000:role/builder', RoleId: /^AROA/, MaxSessionDuration: 3600 })
  t.equal(decodeURIComponent(Role.AssumeRolePolicyDocument!), trust)
  t.throws(() => iam.createRole({ RoleName: 'bad', AssumeRolePolicyDocument: doc('sts:AssumeRole') }), { code: 'MalformedPolicyDocument' }, 'a trust policy names a principal')
  iam.putRolePolicy({ RoleName: 'builder', PolicyName: 'ecr', PolicyDocument: doc('ecr:*') })
  t.same(iam.listRolePolicies({ RoleName: 'builder' }).PolicyNames, ['ecr'])
  iam.tagRole({ RoleName: 'builder', Tags: [{ Key: 'env', Value: 'ci' }] })
  t.same(iam.listRoleTags({ RoleName: 'builder' }).Tags.map((x) => x.Key), ['env', 'team'])
  const key = iam.createRoleAccessKey({ RoleName: 'builder' }).AccessKey
  t.match(key, { RoleName: 'builder', AccessKeyId: /^AKIA/ })
  t.throws(() => iam.deleteRole({ RoleName: 'builder' }), { code: 'DeleteConflict' })
  iam.deleteRolePolicy({ RoleName: 'builder', PolicyName: 'ecr' })
  iam.deleteRole({ RoleName: 'builder' })
  t.throws(() => iam.getRole({ RoleName: 'builder' }), { code: 'NoSuchEntity', message: 'The role with name builder cannot be found.' })
})

t.test('STS: GetCallerIdentity; AssumeRole allowed by the trust policy, denied otherwise; temporary keys expire', async (t) => {
  let wall = Date.UTC(2026, 0, 1)
  const store = new MemoryStore()
  const iam = new Iam({ store, partition, wallClock: () => wall })
  iam.createUser({ UserName: 'alice' })
  iam.createUser({ UserName: 'bob' })
  iam.createRole({ RoleName: 'builder', AssumeRolePolicyDocument: trust })
  const alice = { type: 'IAMUser' as const, arn: 'arn:aws:iam::000000000000:user/alice', accountId: '000000000000', principalId: 'AIDAALICE', userName: 'alice', tags: {} }
  t.same(iam.getCallerIdentity({}, alice), { UserId: 'AIDAALICE', Account: '000000000000', Arn: alice.arn })
  const assumed = iam.assumeRole({ RoleArn: 'arn:aws:iam::000000000000:role/builder', RoleSessionName: 'ci' }, alice)
  t.match(assumed, { AssumedRoleUser: { Arn: 'arn:aws:sts::000000000000:assumed-role/builder/ci' }, Credentials: { AccessKeyId: /^ASIA/, SessionToken: /./ } })
  const bob = { ...alice, arn: 'arn:aws:iam::000000000000:user/bob', userName: 'bob' }
  t.throws(() => iam.assumeRole({ RoleArn: 'arn:aws:iam::000000000000:role/builder', RoleSessionName: 'ci' }, bob), { code: 'AccessDenied', message: /user\/bob is not authorized to perform: sts:AssumeRole/ })
  t.throws(() => iam.assumeRole({ RoleArn: 'arn:aws:iam::000000000000:role/nothing', RoleSessionName: 'ci' }, alice), { code: 'NoSuchEntity' })
  const { SignatureV4 } = await import('@smithy/signature-v4')
  const { Hash } = await import('@smithy/hash-node')
  const c = assumed.Credentials
  const sign = async () => {
    const r: any = await new SignatureV4({ credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken }, region: 'us-east-1', service: 'sts', sha256: Hash.bind(null, 'sha256') })
      .sign({ protocol: 'http:', hostname: '127.0.0.1', method: 'POST', path: '/', query: {}, headers: { host: '127.0.0.1' }, body: '' }, { signingDate: new Date(wall) })
    return { method: 'POST', rawPath: '/', rawQuery: '', rawHeaders: Object.entries(r.headers as Record<string, string>).flat(), body: Buffer.alloc(0) }
  }
  const strict = new Iam({ store, partition, mode: 'iam', wallClock: () => wall })
  t.match(strict.authenticate(await sign()), { type: 'AssumedRole', arn: 'arn:aws:sts::000000000000:assumed-role/builder/ci', roleName: 'builder' })
  wall += 3601_000
  const late = await sign()
  t.throws(() => strict.authenticate(late), { code: 'ExpiredToken', message: 'The security token included in the request is expired' }, 'the temporary key expired with its session')
})
