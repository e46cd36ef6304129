// The SDK conformance suite's IAM and audit part (run by conformance-kit.ts,
// so against the embedded and the remote SDK alike): users with tags, keys and
// policies, lists over pages, forced deletes, IAM's errors with the same
// class, kind and code both ways; the audit trail read back by eventName and
// time range, newest first, across pages. Not a test file.
import type { Test } from 'tap'
import { BatchClient as AwsBatch, DescribeJobQueuesCommand } from '@aws-sdk/client-batch'
import { StratusError, NotFoundError, ConflictError, InvalidArgumentError, type StratusClient } from '../../sdk/index.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

type Open = (t: Test) => Promise<StratusClient>

async function failure(promise: Promise<unknown>) {
  try {
    await promise
  } catch (error) {
    const e = error as StratusError
    return {
      stratus: error instanceof StratusError, notFound: error instanceof NotFoundError, conflict: error instanceof ConflictError,
      invalid: error instanceof InvalidArgumentError, kind: e.kind, code: e.code, field: e.field
    }
  }
  throw new Error('expected a rejection')
}

export function iamConformance(t: Test, open: Open): void {
  t.test('IAM: a user with tags, an access key and a policy; forced deletes', async (t) => {
    const cloud = await open(t)
    const alice = cloud.iam.user('alice')
    const created = await alice.create({ tags: { team: 'a', env: 'dev' } })
    t.match(created, { UserName: 'alice', Path: '/', Arn: 'arn:aws:iam::000000000000:user/alice', UserId: /^AIDA/ })
    t.type(created.CreateDate, Date)
    t.same(await alice.tags(), { env: 'dev', team: 'a' })
    t.same((await alice.describe()).UserId, created.UserId)
    const key = await alice.accessKey()
    t.match(key, { UserName: 'alice', AccessKeyId: /^AKIA/, SecretAccessKey: /^.{40}$/, Status: 'Active' })
    t.type(key.CreateDate, Date)
    t.match(await alice.accessKeys(), [{ AccessKeyId: key.AccessKeyId, Status: 'Active' }])
    t.notOk('SecretAccessKey' in (await alice.accessKeys())[0]!, 'a listed key has no secret')
    const document = { Statement: [{ Effect: 'Allow', Action: ['batch:SubmitJob', 'batch:Describe*'], Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } } }] }
    await alice.policy('submit', document)
    t.same(await alice.policies(), ['submit'])
    t.same(await alice.policyDocument('submit'), { Version: '2012-10-17', ...document })
    await alice.tag({ owner: 'ops & <dev>' })
    await alice.untag('env')
    t.same(await alice.tags(), { owner: 'ops & <dev>', team: 'a' }, 'values with XML\'s special characters survive')

    t.match(await failure(alice.create()), { stratus: true, conflict: true, kind: 'Conflict', code: 'EntityAlreadyExists' })
    t.match(await failure(alice.policy('bad', '{"Statement": "nope"}')), { stratus: true, kind: 'InvalidArgument', code: 'MalformedPolicyDocument' })
    t.match(await failure(alice.delete()), { stratus: true, kind: 'Conflict', code: 'DeleteConflict' }, 'IAM refuses to delete a user with keys and policies')
    t.equal((await alice.describe()).UserName, 'alice', 'the refused delete changed nothing')
    await alice.delete({ force: true })
    t.match(await failure(alice.describe()), { stratus: true, notFound: true, kind: 'NotFound', code: 'NoSuchEntity' })

    const builder = cloud.iam.role('builder')
    const role = await builder.create({ tags: { team: 'ci' }, description: 'pushes images', maxSessionDuration: 7200 })
    t.match(role, { RoleName: 'builder', Arn: 'arn:aws:iam::000000000000:role/builder', RoleId: /^AROA/, Description: 'pushes images', MaxSessionDuration: 7200 })
    t.type(role.CreateDate, Date)
    t.match(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!)), { Statement: [{ Action: 'sts:AssumeRole' }] })
    await builder.policy('ecr', { Statement: { Effect: 'Allow', Action: 'ecr:*', Resource: '*' } })
    t.same(await builder.policies(), ['ecr'])
    const roleKey = await builder.accessKey()
    t.match(roleKey, { RoleName: 'builder', AccessKeyId: /^AKIA/, Status: 'Active' })
    t.type(roleKey.CreateDate, Date, 'the Stratus-only role key has a Date both ways')
    t.match(await failure(builder.delete()), { stratus: true, kind: 'Conflict', code: 'DeleteConflict' })
    await builder.delete({ force: true })
    t.match(await failure(builder.describe()), { stratus: true, notFound: true, code: 'NoSuchEntity' })
    t.match(await failure(cloud.iam.role('ghost').accessKey()), { stratus: true, notFound: true, code: 'NoSuchEntity' })
  })

  t.test('IAM: users and roles listed over every page', async (t) => {
    const cloud = await open(t)
    const names = Array.from({ length: 105 }, (_, i) => `u${String(i).padStart(3, '0')}`)
    for (const name of names) await cloud.iam.user(name).create()
    for (let i = 0; i < 102; i++) await cloud.iam.role(`r${String(i).padStart(3, '0')}`).create()
    const first = await cloud.iam.service.listUsers({})
    t.equal(first.Users.length, 100, 'ListUsers gives 100 at a time')
    t.equal(first.IsTruncated, true)
    t.type(first.Marker, 'string')
    t.same((await cloud.iam.users()).map((u) => u.UserName), names, 'users() walks every page, in name order')
    const roles = await cloud.iam.roles()
    t.equal(roles.length, 102)
    t.ok(roles.every((r) => r.CreateDate instanceof Date))
    const small = await cloud.iam.service.listRoles({ MaxItems: 2 })
    t.same(small.Roles.map((r) => r.RoleName), ['r000', 'r001'])
    t.same((await cloud.iam.service.listRoles({ MaxItems: 2, Marker: small.Marker! })).Roles.map((r) => r.RoleName), ['r002', 'r003'])
  })

  t.test('audit: calls found by eventName and time range, newest first, across pages', async (t) => {
    const cloud = await open(t)
    const start = cloud.clock.now()
    const aws = new AwsBatch({ endpoint: `http://${cloud.endpoint}`, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 })
    t.teardown(() => aws.destroy())
    for (let i = 1; i <= 6; i++) {
      await aws.send(new DescribeJobQueuesCommand({ maxResults: i }))
      await cloud.clock.advance(10_000)
    }
    await cloud.batch.service.describeJobQueues({})
    const found = []
    for await (const e of cloud.audit.lookup({ eventName: 'DescribeJobQueues', since: start + 10_000, until: new Date(start + 40_000), pageSize: 2 })) found.push(e)
    t.same(found.map((e) => e.EventTime.getTime()), [40_000, 30_000, 20_000, 10_000].map((ms) => start + ms), 'in the range, newest first, over two pages')
    t.same(found.map((e) => (e.record.requestParameters as { maxResults: number }).maxResults), [5, 4, 3, 2])
    t.match(found[0], { EventName: 'DescribeJobQueues', EventSource: 'batch.amazonaws.com', ReadOnly: 'true', Username: 'root', AccessKeyId: 'test' })
    t.type(found[0]!.EventTime, Date)
    t.match(found[0]!.record, { eventName: 'DescribeJobQueues', eventSource: 'batch.amazonaws.com', userIdentity: { type: 'Root' }, readOnly: true, responseElements: null })
    const all = []
    for await (const e of cloud.audit.lookup({ eventName: 'DescribeJobQueues', eventSource: 'batch.amazonaws.com' })) all.push(e.EventTime.getTime())
    t.ok(all.length >= 6, 'every wire call is there')
    t.same(all, [...all].sort((a, b) => b - a), 'newest first')
    t.match(await failure((async () => { for await (const e of cloud.audit.lookup({ pageSize: 51 })) void e })()),
      { stratus: true, invalid: true, kind: 'InvalidArgument', code: 'InvalidMaxResultsException' })
  })
}
