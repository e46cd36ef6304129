// The AWS layer every service shares: the partition (account, region, and the
// partition name that follows from the region) in every ARN; tags by AWS's
// rules; pagination tokens that are opaque, bound to their query,
// tamper-checked and expiring.
import t from 'tap'
import { PageTokens, arns, checkTags, makePartition, nameFromArn, parseArn, tagsFromList, tagsToList } from '../../../runtime/aws/index.js'

t.test('ARNs carry the partition, account and region; one builder for every service', async (t) => {
  const p = makePartition('123456789012', 'eu-west-1')
  t.equal(arns.batch.jobQueue(p, 'q'), 'arn:aws:batch:eu-west-1:123456789012:job-queue/q')
  t.equal(arns.batch.jobDefinition(p, 'd', 3), 'arn:aws:batch:eu-west-1:123456789012:job-definition/d:3')
  t.equal(arns.ecs.containerInstance(p, 'c', 'i-1'), 'arn:aws:ecs:eu-west-1:123456789012:container-instance/c/i-1')
  t.match(arns.ecs.task(p, 'c', 'run#1'), /^arn:aws:ecs:eu-west-1:123456789012:task\/c\/[0-9a-f]{32}$/)
  t.equal(arns.ecs.task(p, 'c', 'run#1'), arns.ecs.task(p, 'c', 'run#1'), 'the same run has the same task ARN')
  t.equal(arns.ecr.repository(p, 'team/app'), 'arn:aws:ecr:eu-west-1:123456789012:repository/team/app')
  t.equal(arns.batch.jobQueue(makePartition('123456789012', 'cn-north-1'), 'q'), 'arn:aws-cn:batch:cn-north-1:123456789012:job-queue/q')
  t.equal(arns.batch.jobQueue(makePartition('123456789012', 'us-gov-west-1'), 'q'), 'arn:aws-us-gov:batch:us-gov-west-1:123456789012:job-queue/q')
  t.same(parseArn('arn:aws:batch:eu-west-1:123456789012:job-definition/d:3'), {
    partition: 'aws', service: 'batch', region: 'eu-west-1', accountId: '123456789012', resource: 'job-definition/d:3'
  })
  t.equal(nameFromArn('arn:aws:batch:eu-west-1:123456789012:job-queue/q', 'job-queue'), 'q')
  t.equal(nameFromArn('plain-name', 'job-queue'), 'plain-name')
  t.throws(() => makePartition('12345', 'eu-west-1'), { code: 'InvalidAccountId', field: 'accountId' })
  t.throws(() => makePartition('123456789012', 'Mars'), { code: 'InvalidRegion', field: 'region' })
})

t.test('tags follow AWS\'s rules', async (t) => {
  t.same(checkTags({ team: 'a', empty: '' }, 'tags'), { team: 'a', empty: '' })
  t.equal(checkTags(undefined, 'tags'), undefined)
  const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']))
  t.throws(() => checkTags(many, 'tags'), { code: 'ClientException', kind: 'LimitExceeded', field: 'tags', limit: 50 })
  t.throws(() => checkTags({ ['k'.repeat(129)]: 'v' }, 'tags'), { code: 'ClientException', kind: 'InvalidArgument', limit: 128 })
  t.throws(() => checkTags({ k: 'v'.repeat(257) }, 'tags'), { code: 'ClientException', kind: 'InvalidArgument', field: 'tags.k', limit: 256 })
  t.throws(() => checkTags({ 'aws:owner': 'me' }, 'tags'), { code: 'ClientException', kind: 'InvalidArgument', field: 'tags.aws:owner' })
  t.throws(() => checkTags({ k: 1 }, 'tags'), { code: 'ClientException', kind: 'InvalidArgument', field: 'tags.k' })
  t.same(tagsToList({ a: '1' }), [{ key: 'a', value: '1' }])
  t.same(tagsFromList([{ key: 'a', value: '1' }], 'tags'), { a: '1' })
})

t.test('page tokens: opaque, bound to their query, tamper-checked, expiring', async (t) => {
  let now = 1_000_000
  const tokens = new PageTokens({ now: () => now, ttlMs: 60_000 })
  const token = tokens.issue('ListJobs|q|RUNNING', 'job-42')
  t.notMatch(token, /job-42/, 'the position is not in plain sight')
  t.equal(tokens.read(token, 'ListJobs|q|RUNNING', { code: 'ClientException' }), 'job-42')
  t.throws(() => tokens.read(token, 'ListJobs|q|FAILED', { code: 'ClientException' }), { code: 'ClientException', field: 'nextToken', message: /another request/ })
  const [body, mac] = token.split('.')
  const forged = `${Buffer.from(Buffer.from(body, 'base64url').toString().replace('job-42', 'job-43')).toString('base64url')}.${mac}`
  t.throws(() => tokens.read(forged, 'ListJobs|q|RUNNING', { code: 'ClientException' }), { code: 'ClientException', field: 'nextToken', message: /not a token this API returned/ })
  t.throws(() => tokens.read('garbage', 'ListJobs|q|RUNNING', { code: 'ClientException' }), { code: 'ClientException', field: 'nextToken' })
  t.throws(() => new PageTokens({ now: () => now }).read(token, 'ListJobs|q|RUNNING', { code: 'ClientException' }), { code: 'ClientException', field: 'nextToken' }, 'another engine\'s key')
  now += 60_001
  t.throws(() => tokens.read(token, 'ListJobs|q|RUNNING', { code: 'ClientException' }), { code: 'ClientException', field: 'nextToken', message: /expired/ })
})

t.test('the engine hands its partition to every service: Batch and the registry\'s ECR ARNs agree', async (t) => {
  const { Stratus } = await import('../../../sdk/index.js')
  await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated', accountId: '123456789012', region: 'cn-north-1' })
  const repository = await cloud.registry.repository('team/app').create()
  t.equal(repository.repositoryArn, 'arn:aws-cn:ecr:cn-north-1:123456789012:repository/team/app')
  const ce = await cloud.batch.computeEnvironment('ce').unmanaged().create()
  t.equal(ce.arn, 'arn:aws-cn:batch:cn-north-1:123456789012:compute-environment/ce')
  t.match((await ce.describe()).ecsClusterArn, /^arn:aws-cn:ecs:cn-north-1:123456789012:cluster\/ce_Batch_/)
})
