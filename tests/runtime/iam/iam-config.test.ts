// The IAM file given at start: its users, roles and root keys are what the
// engine authenticates and authorizes with; a malformed file is refused whole,
// naming the bad member, and changes nothing; state survives as the store
// does; auth iam with no IAM config gets test/test, and with one root has
// only the keys it lists.
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignatureV4 } from '@smithy/signature-v4'
import { Hash } from '@smithy/hash-node'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { Iam, DEFAULT_ROOT_KEY } from '../../../runtime/iam/iam.js'
import { loadIamConfig } from '../../../runtime/iam/config.js'
import type { SignedRequest } from '../../../runtime/api/security.js'

const partition = makePartition('000000000000', 'us-east-1')
const CONFIG = {
  root: { accessKeys: [{ accessKeyId: 'ROOTKEY1', secretAccessKey: 'root-secret' }] },
  users: [
    {
      userName: 'alice', accessKeys: [{ accessKeyId: 'AKIAALICE0000001', secretAccessKey: 'alice-secret' }], tags: { team: 'a' },
      policies: [{ policyName: 'submit', policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'batch:SubmitJob', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } } }] } }]
    },
    { userName: 'bob', accessKeys: [{ accessKeyId: 'AKIABOB000000001', secretAccessKey: 'bob-secret' }] }
  ],
  roles: [{ roleName: 'builder', accessKeys: [{ accessKeyId: 'AKIABUILDER00001', secretAccessKey: 'builder-secret' }], policies: [{ policyName: 'push', policyDocument: '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ecr:*","Resource":"*"}}' }] }]
}

async function signedBy(accessKeyId: string, secretAccessKey: string): Promise<SignedRequest> {
  const s = new SignatureV4({ credentials: { accessKeyId, secretAccessKey }, region: 'us-east-1', service: 'batch', sha256: Hash.bind(null, 'sha256') })
  const r: any = await s.sign({ protocol: 'http:', hostname: '127.0.0.1', method: 'POST', path: '/v1/submitjob', query: {}, headers: { host: '127.0.0.1' }, body: '{}' })
  return { method: 'POST', rawPath: '/v1/submitjob', rawQuery: '', rawHeaders: Object.entries(r.headers as Record<string, string>).flat(), body: Buffer.from('{}') }
}

t.test('the file\'s keys authenticate as its users, roles and root; their policies and tags decide', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-iam-'))
  const file = join(dir, 'iam.json')
  writeFileSync(file, JSON.stringify(CONFIG))
  const iam = new Iam({ store: new MemoryStore(), partition, mode: 'iam', config: file })
  const alice = iam.authenticate(await signedBy('AKIAALICE0000001', 'alice-secret'))
  t.match(alice, { type: 'IAMUser', userName: 'alice', arn: 'arn:aws:iam::000000000000:user/alice', tags: { team: 'a' } })
  t.match(iam.authenticate(await signedBy('ROOTKEY1', 'root-secret')), { type: 'Root', arn: 'arn:aws:iam::000000000000:root' })
  const builder = iam.authenticate(await signedBy('AKIABUILDER00001', 'builder-secret'))
  t.match(builder, { type: 'AssumedRole', roleName: 'builder', arn: /^arn:aws:sts::000000000000:assumed-role\/builder\// })
  t.throws(() => iam.authenticate({ method: 'GET', rawPath: '/', rawQuery: '', rawHeaders: [], body: Buffer.alloc(0) }), { code: 'MissingAuthenticationToken' })
  const wrong = await signedBy('AKIAALICE0000001', 'not-the-secret')
  t.throws(() => iam.authenticate(wrong), { code: 'InvalidSignature' })
  const defaultKey = await signedBy('test', 'test')
  t.throws(() => iam.authenticate(defaultKey), { code: 'UnrecognizedClient' }, 'no default root key when the file gives one')
  const queue = 'arn:aws:batch:us-east-1:000000000000:job-queue/q'
  t.ok(iam.authorize({ principal: alice, action: 'batch:SubmitJob', resource: queue, context: { 'aws:ResourceTag/team': 'a' } }).allowed)
  t.notOk(iam.authorize({ principal: alice, action: 'batch:SubmitJob', resource: queue, context: { 'aws:ResourceTag/team': 'b' } }).allowed)
  t.ok(iam.authorize({ principal: builder, action: 'ecr:PutImage', resource: '*', context: {} }).allowed, 'the role\'s policies apply to its keys')
  t.notOk(iam.authorize({ principal: builder, action: 'batch:SubmitJob', resource: queue, context: {} }).allowed)
})

t.test('auth iam with no root key configured: root signs with test / test', async (t) => {
  const iam = new Iam({ store: new MemoryStore(), partition, mode: 'iam' })
  t.same(DEFAULT_ROOT_KEY, { accessKeyId: 'test', secretAccessKey: 'test' })
  t.match(iam.authenticate(await signedBy('test', 'test')), { type: 'Root', accessKeyId: 'test' })
})

t.test('the default root key test/test was active beside an IAM config restricting its users: with a config, root has only the keys it lists', async (t) => {
  const { root: _root, ...withoutRoot } = CONFIG
  const iam = new Iam({ store: new MemoryStore(), partition, mode: 'iam', config: withoutRoot })
  const byDefaultKey = await signedBy('test', 'test')
  t.throws(() => iam.authenticate(byDefaultKey), { code: 'UnrecognizedClient' }, 'no root key listed: test/test does not sign as root')
  t.match(iam.authenticate(await signedBy('AKIAALICE0000001', 'alice-secret')), { userName: 'alice' }, 'the users\' keys work')
  t.same(iam.directory.keysOf('root'), [], 'root has no key at all')

  // A store an earlier start without a config gave test/test: a start with a config takes it away.
  const store = new MemoryStore()
  const before = new Iam({ store, partition, mode: 'iam' })
  t.match(before.authenticate(byDefaultKey), { type: 'Root' })
  const after = new Iam({ store, partition, mode: 'iam', config: CONFIG })
  t.throws(() => after.authenticate(byDefaultKey), { code: 'UnrecognizedClient' }, 'the stored default key is gone')
  t.match(after.authenticate(await signedBy('ROOTKEY1', 'root-secret')), { type: 'Root' }, 'the listed one signs')
})

t.test('auth off: nothing is refused; a known key is its principal, anything else is root', async (t) => {
  const iam = new Iam({ store: new MemoryStore(), partition, mode: 'off', config: CONFIG })
  t.match(iam.authenticate(await signedBy('AKIAALICE0000001', 'wrong secret')), { userName: 'alice' })
  t.match(iam.authenticate(await signedBy('whatever', 'x')), { type: 'Root', accessKeyId: 'whatever' })
  t.match(iam.authenticate({ method: 'GET', rawPath: '/', rawQuery: '', rawHeaders: [], body: Buffer.alloc(0) }), { type: 'Root' })
})

t.test('state survives as the store does: a second Iam over the same store knows the users', async (t) => {
  const store = new MemoryStore()
  const first = new Iam({ store, partition, mode: 'iam', config: CONFIG })
  const id = first.getUser({ UserName: 'alice' }).User.UserId
  first.createUser({ UserName: 'carol' })
  const second = new Iam({ store, partition, mode: 'iam', config: CONFIG })
  t.equal(second.getUser({ UserName: 'alice' }).User.UserId, id, 'the config applied again keeps the user id')
  t.ok(second.getUser({ UserName: 'carol' }))
  t.match(second.authenticate(await signedBy('AKIAALICE0000001', 'alice-secret')), { userName: 'alice' })
})

t.test('a malformed file is refused naming the member, and changes nothing', async (t) => {
  const refuse = (config: unknown, field: string, message: RegExp) => {
    const store = new MemoryStore()
    t.throws(() => new Iam({ store, partition, mode: 'iam', config: config as object }), { code: 'InvalidIamConfig', field, message }, field)
    t.equal(store.scan('iam:users').length + store.scan('iam:accessKeys').length, 0, `${field}: nothing written`)
  }
  const users = (u: unknown[]) => ({ users: u })
  refuse(users([{ userName: 'a' }, { userName: 'b', accessKeys: [{ accessKeyId: 'AKIAB', secretAccessKey: '' }] }]), 'users[1].accessKeys[0].secretAccessKey', /^users\[1\]\.accessKeys\[0\]\.secretAccessKey: is required/)
  refuse(users([{ userName: 'has space' }]), 'users[0].userName', /must match/)
  refuse(users([{ userName: 'a', polices: [] }]), 'users[0].polices', /unknown member/)
  refuse(users([{ userName: 'a', policies: [{ policyName: 'p', policyDocument: { Statement: [{ Effect: 'Allow', Action: '*' }] } }] }]), 'users[0].policies[0].policyDocument.Statement[0].Resource', /Policy statement must contain resources/)
  refuse(users([{ userName: 'a' }, { userName: 'a' }]), 'users[1].userName', /given twice/)
  refuse(users([{ userName: 'a', accessKeys: [{ accessKeyId: 'K1', secretAccessKey: 's' }] }, { userName: 'b', accessKeys: [{ accessKeyId: 'K1', secretAccessKey: 's' }] }]), 'users[1].accessKeys[0].accessKeyId', /given twice/)
  refuse(users([{ userName: 'a', tags: { 'aws:x': 'y' } }]), 'users[0].tags.aws:x', /reserved/)
  refuse({ roles: [{ roleName: 'r', assumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] } }] }, 'roles[0].assumeRolePolicyDocument.Statement[0].Principal', /Principal/)
  refuse({ groups: [] }, 'groups', /unknown member/)
  t.throws(() => loadIamConfig('/nonexistent/iam.json'), { code: 'InvalidIamConfig', message: /cannot be read/ })
})
