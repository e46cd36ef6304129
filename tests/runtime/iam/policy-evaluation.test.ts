// The IAM matrix: how a principal's identity policies and a resource's
// policy decide a request, as AWS evaluates them — allow, implicit deny,
// explicit deny over allow, NotAction, NotResource, wildcards, tag conditions
// (aws:ResourceTag, aws:RequestTag, aws:TagKeys, aws:PrincipalTag), IfExists,
// Null, Date, Numeric, Arn, IpAddress, policy variables, and a resource
// policy that allows a principal with no identity policy. Decisions carry
// AWS's denial wording.
import t from 'tap'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { Iam } from '../../../runtime/iam/iam.js'
import { rootPrincipal, type Principal } from '../../../runtime/iam/principal.js'

const ACCOUNT = '000000000000'
const QUEUE_A = `arn:aws:batch:us-east-1:${ACCOUNT}:job-queue/a`
const QUEUE_B = `arn:aws:batch:us-east-1:${ACCOUNT}:job-queue/b`

function setup(policies: object[], tags: Record<string, string> = {}): { iam: Iam; alice: Principal } {
  const iam = new Iam({ store: new MemoryStore(), partition: makePartition(ACCOUNT, 'us-east-1') })
  iam.createUser({ UserName: 'alice', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) })
  policies.forEach((p, i) => iam.putUserPolicy({ UserName: 'alice', PolicyName: `p${i}`, PolicyDocument: JSON.stringify(p) }))
  const user = iam.getUser({ UserName: 'alice' }).User
  const alice: Principal = { type: 'IAMUser', arn: user.Arn, accountId: ACCOUNT, principalId: user.UserId, userName: 'alice', tags }
  return { iam, alice }
}

const allow = (Action: unknown, Resource: unknown = '*', extra: object = {}) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action, Resource, ...extra }] })
const deny = (Action: unknown, Resource: unknown = '*', extra: object = {}) => ({ Version: '2012-10-17', Statement: { Effect: 'Deny', Action, Resource, ...extra } })

t.test('no policy: implicit deny, in AWS\'s words', async (t) => {
  const { iam, alice } = setup([])
  t.same(iam.authorize({ principal: alice, action: 'batch:SubmitJob', resource: QUEUE_B, context: {} }), {
    allowed: false, explicit: false,
    message: `User: arn:aws:iam::${ACCOUNT}:user/alice is not authorized to perform: batch:SubmitJob on resource: ${QUEUE_B} because no identity-based policy allows the batch:SubmitJob action`
  })
})

t.test('allow, case-insensitive actions, wildcards in actions and resources', async (t) => {
  const { iam, alice } = setup([allow(['batch:submit*', 'ecr:Describe?epositories'], `arn:aws:batch:us-east-1:${ACCOUNT}:job-queue/*`)])
  const ask = (action: string, resource = QUEUE_A) => iam.authorize({ principal: alice, action, resource, context: {} }).allowed
  t.ok(ask('batch:SubmitJob'))
  t.ok(ask('BATCH:SUBMITJOB'), 'actions match whatever their case')
  t.ok(ask('ecr:DescribeRepositories', QUEUE_A), '? matches one character')
  t.notOk(ask('batch:CancelJob'))
  t.notOk(ask('batch:SubmitJob', `arn:aws:batch:us-east-1:${ACCOUNT}:job-definition/d:1`))
  t.notOk(ask('batch:SubmitJob', QUEUE_A.toUpperCase()), 'resources are case-sensitive')
})

t.test('explicit deny wins over any allow', async (t) => {
  const { iam, alice } = setup([allow('batch:*'), deny('batch:SubmitJob', QUEUE_B)])
  t.ok(iam.authorize({ principal: alice, action: 'batch:SubmitJob', resource: QUEUE_A, context: {} }).allowed)
  t.same(iam.authorize({ principal: alice, action: 'batch:SubmitJob', resource: QUEUE_B, context: {} }), {
    allowed: false, explicit: true,
    message: `User: arn:aws:iam::${ACCOUNT}:user/alice is not authorized to perform: batch:SubmitJob on resource: ${QUEUE_B} with an explicit deny in an identity-based policy`
  })
})

t.test('NotAction and NotResource', async (t) => {
  const { iam, alice } = setup([
    { Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }, { Effect: 'Deny', Action: 'batch:*', NotResource: QUEUE_A }] }
  ])
  const ask = (action: string, resource: string) => iam.authorize({ principal: alice, action, resource, context: {} }).allowed
  t.ok(ask('batch:SubmitJob', QUEUE_A))
  t.notOk(ask('batch:SubmitJob', QUEUE_B), 'denied on every resource but queue a')
  t.notOk(ask('iam:CreateUser', '*'), 'NotAction allows everything but iam:*')
  t.ok(ask('ecr:DescribeRepositories', '*'))
})

t.test('tag-based access: aws:ResourceTag, aws:RequestTag, aws:TagKeys, aws:PrincipalTag', async (t) => {
  const { iam, alice } = setup([
    allow('batch:SubmitJob', '*', { Condition: { StringEquals: { 'aws:ResourceTag/team': 'a' } } }),
    allow('batch:TagResource', '*', { Condition: { StringEquals: { 'aws:RequestTag/team': '${aws:PrincipalTag/team}' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'owner'] } } }),
    allow('batch:CreateJobQueue', '*', { Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': 'cost-*' } } })
  ], { team: 'a' })
  const ask = (action: string, context: Record<string, string | string[]>) => iam.authorize({ principal: alice, action, resource: QUEUE_A, context }).allowed
  t.ok(ask('batch:SubmitJob', { 'aws:ResourceTag/team': 'a' }), 'queue tagged team=a')
  t.notOk(ask('batch:SubmitJob', { 'aws:ResourceTag/team': 'b' }), 'queue tagged team=b')
  t.notOk(ask('batch:SubmitJob', {}), 'untagged queue')
  t.ok(ask('batch:SubmitJob', { 'aws:resourcetag/TEAM': 'a' }), 'condition keys are case-insensitive')
  t.ok(ask('batch:TagResource', { 'aws:RequestTag/team': 'a', 'aws:TagKeys': ['team'] }), 'the request tag matches the principal tag')
  t.notOk(ask('batch:TagResource', { 'aws:RequestTag/team': 'b', 'aws:TagKeys': ['team'] }), 'another team')
  t.notOk(ask('batch:TagResource', { 'aws:RequestTag/team': 'a', 'aws:TagKeys': ['team', 'secret'] }), 'ForAllValues: a key outside the set')
  t.ok(ask('batch:CreateJobQueue', { 'aws:TagKeys': ['x', 'cost-center'] }), 'ForAnyValue: one key matches')
  t.notOk(ask('batch:CreateJobQueue', { 'aws:TagKeys': ['x'] }))
  t.notOk(ask('batch:CreateJobQueue', {}), 'ForAnyValue with no keys at all')
})

t.test('IfExists, Null and the negated operators on an absent key', async (t) => {
  const { iam, alice } = setup([
    allow('batch:SubmitJob', '*', { Condition: { StringEqualsIfExists: { 'aws:ResourceTag/team': 'a' } } }),
    allow('batch:CancelJob', '*', { Condition: { Null: { 'aws:ResourceTag/team': 'false' } } }),
    allow('batch:TerminateJob', '*', { Condition: { StringNotEquals: { 'aws:ResourceTag/team': 'b' } } })
  ])
  const ask = (action: string, context: Record<string, string>) => iam.authorize({ principal: alice, action, resource: QUEUE_A, context }).allowed
  t.ok(ask('batch:SubmitJob', {}), 'IfExists: absent key holds')
  t.ok(ask('batch:SubmitJob', { 'aws:ResourceTag/team': 'a' }))
  t.notOk(ask('batch:SubmitJob', { 'aws:ResourceTag/team': 'b' }))
  t.ok(ask('batch:CancelJob', { 'aws:ResourceTag/team': 'x' }), 'Null false: the key is present')
  t.notOk(ask('batch:CancelJob', {}))
  t.ok(ask('batch:TerminateJob', {}), 'a negated operator holds when the key is absent')
  t.notOk(ask('batch:TerminateJob', { 'aws:ResourceTag/team': 'b' }))
})

t.test('Date, Numeric, Bool, Arn and IpAddress conditions', async (t) => {
  const { iam, alice } = setup([
    allow('batch:SubmitJob', '*', {
      Condition: {
        DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' }, DateGreaterThanEquals: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' },
        NumericLessThanEquals: { 'batch:Priority': 10 }, Bool: { 'aws:SecureTransport': 'false' },
        IpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1/128'] }
      }
    }),
    allow('batch:DescribeJobs', '*', { Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:user/al*` }, NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } })
  ])
  const ok = { 'aws:CurrentTime': '2026-06-01T00:00:00Z', 'batch:Priority': 5, 'aws:SecureTransport': false, 'aws:SourceIp': '127.0.0.1' }
  const ask = (action: string, context: Record<string, string | number | boolean>) => iam.authorize({ principal: alice, action, resource: '*', context }).allowed
  t.ok(ask('batch:SubmitJob', ok))
  t.ok(ask('batch:SubmitJob', { ...ok, 'aws:SourceIp': '::1' }), 'IPv6 loopback')
  t.ok(ask('batch:SubmitJob', { ...ok, 'aws:SourceIp': '::ffff:127.0.0.1' }), 'IPv4-mapped IPv6')
  t.notOk(ask('batch:SubmitJob', { ...ok, 'aws:CurrentTime': '2031-01-01T00:00:00Z' }), 'after the date')
  t.notOk(ask('batch:SubmitJob', { ...ok, 'batch:Priority': 11 }), 'above the number')
  t.notOk(ask('batch:SubmitJob', { ...ok, 'aws:SecureTransport': true }))
  t.notOk(ask('batch:SubmitJob', { ...ok, 'aws:SourceIp': '192.168.1.1' }), 'outside the CIDR')
  t.ok(ask('batch:DescribeJobs', { 'aws:SourceIp': '127.0.0.1' }), 'ArnLike on the principal ARN the Authorizer adds')
  t.notOk(ask('batch:DescribeJobs', { 'aws:SourceIp': '10.1.2.3' }))
})

t.test('policy variables: ${aws:username} in a resource', async (t) => {
  const { iam, alice } = setup([allow('iam:*AccessKey*', `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`)])
  t.ok(iam.authorize({ principal: alice, action: 'iam:CreateAccessKey', resource: `arn:aws:iam::${ACCOUNT}:user/alice`, context: {} }).allowed)
  t.notOk(iam.authorize({ principal: alice, action: 'iam:CreateAccessKey', resource: `arn:aws:iam::${ACCOUNT}:user/bob`, context: {} }).allowed)
})

t.test('a resource policy allows a principal with no identity policy; its explicit deny wins', async (t) => {
  const { iam, alice } = setup([])
  const repo = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app`
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Pull', Effect: 'Allow', Principal: { AWS: alice.arn }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] },
      { Sid: 'NoPush', Effect: 'Deny', Principal: '*', Action: 'ecr:PutImage' }
    ]
  })
  t.ok(iam.authorize({ principal: alice, action: 'ecr:BatchGetImage', resource: repo, context: {}, resourcePolicy: policy }).allowed)
  t.notOk(iam.authorize({ principal: alice, action: 'ecr:BatchGetImage', resource: repo, context: {} }).allowed, 'not without the policy')
  t.match(iam.authorize({ principal: alice, action: 'ecr:PutImage', resource: repo, context: {}, resourcePolicy: policy }), {
    allowed: false, explicit: true, message: /with an explicit deny in a resource-based policy$/
  })
  iam.createUser({ UserName: 'bob' })
  const bob: Principal = { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/bob`, accountId: ACCOUNT, principalId: 'AIDABOB', userName: 'bob', tags: {} }
  t.notOk(iam.authorize({ principal: bob, action: 'ecr:BatchGetImage', resource: repo, context: {}, resourcePolicy: policy }).allowed, 'a principal the policy does not name')
})

t.test('a resource policy naming the account granted its action to every principal of the account: it defers to identity policies, its Deny applies', async (t) => {
  const { iam, alice } = setup([])
  const repo = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app`
  const policyNaming = (AWS: string, Effect = 'Allow') => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect, Principal: { AWS }, Action: 'ecr:BatchGetImage' }] })
  for (const name of [ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`]) {
    t.match(iam.authorize({ principal: alice, action: 'ecr:BatchGetImage', resource: repo, context: {}, resourcePolicy: policyNaming(name) }), {
      allowed: false, explicit: false, message: /because no identity-based policy allows the ecr:BatchGetImage action$/
    }, `${name}: alice, with no identity policy, is not allowed`)
  }
  const withIdentity = setup([allow('ecr:BatchGetImage')])
  t.ok(withIdentity.iam.authorize({ principal: withIdentity.alice, action: 'ecr:BatchGetImage', resource: repo, context: {}, resourcePolicy: policyNaming(ACCOUNT) }).allowed,
    'with an identity-policy Allow she is')
  t.match(withIdentity.iam.authorize({ principal: withIdentity.alice, action: 'ecr:BatchGetImage', resource: repo, context: {}, resourcePolicy: policyNaming(`arn:aws:iam::${ACCOUNT}:root`, 'Deny') }), {
    allowed: false, explicit: true, message: /explicit deny in a resource-based policy$/
  }, 'a Deny naming the account applies to its principals')
  t.ok(iam.authorize({ principal: alice, action: 'ecr:BatchGetImage', resource: repo, context: {}, resourcePolicy: policyNaming(alice.arn) }).allowed, 'naming her own ARN grants by itself')
  t.ok(iam.authorize({ principal: alice, action: 'ecr:BatchGetImage', resource: repo, context: {}, resourcePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage' }] }) }).allowed, 'so does "*"')
  iam.createRole({ RoleName: 'builder', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: alice.arn }, Action: 'sts:AssumeRole' }] }) })
  const role = iam.getRole({ RoleName: 'builder' }).Role
  const session: Principal = { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/builder/ci`, accountId: ACCOUNT, principalId: `${role.RoleId}:ci`, roleName: 'builder', tags: {} }
  t.ok(iam.authorize({ principal: session, action: 'ecr:BatchGetImage', resource: repo, context: {}, resourcePolicy: policyNaming(role.Arn) }).allowed, 'a role\'s ARN grants its sessions')
  t.ok(iam.authorize({ principal: session, action: 'ecr:BatchGetImage', resource: repo, context: {}, resourcePolicy: policyNaming(session.arn) }).allowed, 'as does the session\'s ARN')
  t.notOk(iam.authorize({ principal: session, action: 'ecr:BatchGetImage', resource: repo, context: {}, resourcePolicy: policyNaming(ACCOUNT) }).allowed, 'the account does not')
  // The default trust policy names the account: a user needs sts:AssumeRole in her identity policy to assume the role.
  iam.createUser({ UserName: 'bob' })
  const bob: Principal = { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/bob`, accountId: ACCOUNT, principalId: iam.getUser({ UserName: 'bob' }).User.UserId, userName: 'bob', tags: {} }
  const accountTrust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] })
  iam.createRole({ RoleName: 'shared', AssumeRolePolicyDocument: accountTrust })
  t.throws(() => iam.assumeRole({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/shared`, RoleSessionName: 'ci' }, bob), { code: 'AccessDenied' }, 'bob, with no identity policy, cannot assume it')
  iam.putUserPolicy({ UserName: 'bob', PolicyName: 'assume', PolicyDocument: JSON.stringify(allow('sts:AssumeRole', `arn:aws:iam::${ACCOUNT}:role/shared`)) })
  t.ok(iam.assumeRole({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/shared`, RoleSessionName: 'ci' }, bob).Credentials.AccessKeyId, 'with it he can')
})

t.test('a repository policy with a hyphenated Sid was ignored, its Deny with it: resource policies take any Sid, and one that cannot be evaluated denies', async (t) => {
  const { iam, alice } = setup([allow('ecr:*')])
  const repo = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app`
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'not alice-here', Effect: 'Deny', Principal: { AWS: alice.arn }, Action: 'ecr:*' }] })
  t.match(iam.authorize({ principal: alice, action: 'ecr:DescribeImages', resource: repo, context: {}, resourcePolicy: policy }), {
    allowed: false, explicit: true, message: /with an explicit deny in a resource-based policy$/
  }, 'the Deny applies over her ecr:*')
  t.match(iam.authorize({ principal: alice, action: 'ecr:DescribeImages', resource: repo, context: {}, resourcePolicy: '{"Statement": "nonsense"}' }), {
    allowed: false, explicit: true, message: /resource-based policy cannot be evaluated/
  }, 'fail closed')
  t.throws(() => iam.putUserPolicy({ UserName: 'alice', PolicyName: 'sid', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'a-b', Effect: 'Allow', Action: '*', Resource: '*' }] }) }),
    { code: 'MalformedPolicyDocument', message: /alpha-numeric/ }, 'identity policies keep IAM\'s alphanumeric Sids')
})

t.test('the account root is allowed everything', async (t) => {
  const { iam } = setup([])
  t.ok(iam.authorize({ principal: rootPrincipal(ACCOUNT), action: 'iam:DeleteUser', resource: '*', context: {} }).allowed)
})

t.test('the account root bypassed an explicit Deny in a resource policy: it applies to root too', async (t) => {
  const { iam } = setup([])
  const root = rootPrincipal(ACCOUNT)
  const repo = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app`
  const denying = (Principal: unknown) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal, Action: 'ecr:PutImage' }] })
  for (const principal of ['*', { AWS: ACCOUNT }, { AWS: `arn:aws:iam::${ACCOUNT}:root` }]) {
    t.match(iam.authorize({ principal: root, action: 'ecr:PutImage', resource: repo, context: {}, resourcePolicy: denying(principal) }), {
      allowed: false, explicit: true, message: `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: ecr:PutImage on resource: ${repo} with an explicit deny in a resource-based policy`
    }, `Principal ${JSON.stringify(principal)}`)
  }
  t.ok(iam.authorize({ principal: root, action: 'ecr:BatchGetImage', resource: repo, context: {}, resourcePolicy: denying('*') }).allowed, 'other actions: still no Allow needed')
  t.ok(iam.authorize({ principal: root, action: 'ecr:PutImage', resource: repo, context: {}, resourcePolicy: denying({ AWS: `arn:aws:iam::${ACCOUNT}:user/alice` }) }).allowed, 'a Deny naming someone else')
})

t.test('policy documents are checked when put: MalformedPolicyDocument naming the problem, nothing changed', async (t) => {
  const { iam } = setup([])
  const put = (doc: unknown) => () => iam.putUserPolicy({ UserName: 'alice', PolicyName: 'bad', PolicyDocument: typeof doc === 'string' ? doc : JSON.stringify(doc) })
  t.throws(put('{not json'), { code: 'MalformedPolicyDocument', message: /^Syntax errors in policy/ })
  t.throws(put({ Version: '2012-10-17', Statement: [{ Effect: 'Maybe', Action: '*', Resource: '*' }] }), { code: 'MalformedPolicyDocument', field: 'Statement[0].Effect', message: /Invalid effect: Maybe/ })
  t.throws(put({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*' }] }), { code: 'MalformedPolicyDocument', message: 'Policy statement must contain resources.' })
  t.throws(put({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'SubmitJob', Resource: '*' }] }), { code: 'MalformedPolicyDocument', message: /must be prefaced by a vendor/ })
  t.throws(put({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringSortOf: { 'aws:x': 'y' } } }] }), { code: 'MalformedPolicyDocument', message: /Invalid Condition type : StringSortOf/ })
  t.throws(put({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] }), { code: 'MalformedPolicyDocument', message: 'Policy document should not specify a principal.' })
  t.throws(put({ Version: '2013-01-01', Statement: [] }), { code: 'MalformedPolicyDocument', field: 'Version' })
  t.same(iam.listUserPolicies({ UserName: 'alice' }).PolicyNames, [], 'nothing was stored')
})
