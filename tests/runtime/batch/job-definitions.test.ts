// Job definitions: revisions, Ref::name parameter substitution in the command
// (the job's parameters override the definition's), environment, resources,
// and what a job inherits from its definition.
import t from 'tap'
import { oneNode, simulatedCloud } from './fixtures.js'

t.test('each registration of a name is a new revision; references by name, name:revision or ARN', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue } = await oneNode(cloud)
  const base = cloud.batch.jobDefinition('etl').command('echo', 'v1').vcpus(1).memory(128)
  const v1 = await base.register()
  const v2 = await base.command('echo', 'v2').register()
  t.equal(v1.revision, 1)
  t.equal(v2.revision, 2)
  t.match(v2.arn, /^arn:aws:batch:us-east-1:000000000000:job-definition\/etl:2$/)
  const byName = await cloud.batch.job('a').queue(queue).definition('etl').submit()
  const byRevision = await cloud.batch.job('b').queue(queue).definition('etl:1').submit()
  const byArn = await cloud.batch.job('c').queue(queue).definition(v1.arn).submit()
  t.same((await byName.describe()).container.command, ['echo', 'v2'], 'the name means the latest ACTIVE revision')
  t.equal((await byName.describe()).jobDefinition, v2.arn)
  t.same((await byRevision.describe()).container.command, ['echo', 'v1'])
  t.equal((await byArn.describe()).jobDefinition, v1.arn)

  await cloud.batch.service.deregisterJobDefinition({ jobDefinition: 'etl:2' })
  const after = await cloud.batch.job('d').queue(queue).definition('etl').submit()
  t.equal((await after.describe()).jobDefinition, v1.arn, 'an INACTIVE revision is skipped')
  await t.rejects(cloud.batch.job('e').queue(queue).definition('etl:2').submit(), { code: 'ClientException', field: 'jobDefinition' }, 'an INACTIVE revision cannot be used')
  t.same((await cloud.batch.service.describeJobDefinitions({ status: 'INACTIVE' })).jobDefinitions.map((d) => d.revision), [2])
})

t.test('Ref::name takes the parameter; the job\'s parameters override the definition\'s', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue } = await oneNode(cloud)
  const def = await cloud.batch.jobDefinition('p').command('process', '--in', 'Ref::input', '--mode=Ref::mode', 'Ref::missing')
    .parameters({ input: 's3://bucket/default', mode: 'fast' }).vcpus(1).memory(128).register()
  const plain = await cloud.batch.job('plain').queue(queue).definition(def).submit()
  const custom = await cloud.batch.job('custom').queue(queue).definition(def).parameters({ mode: 'slow' }).submit()
  t.same((await plain.describe()).container.command, ['process', '--in', 's3://bucket/default', '--mode=fast', 'Ref::missing'],
    'an unknown parameter stays as written')
  const d = await custom.describe()
  t.same(d.container.command, ['process', '--in', 's3://bucket/default', '--mode=slow', 'Ref::missing'])
  t.same(d.parameters, { input: 's3://bucket/default', mode: 'slow' })
})

t.test('a job inherits environment, resources, retry strategy, timeout and tags; overrides win', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue } = await oneNode(cloud, { vcpus: 4 })
  const def = await cloud.batch.jobDefinition('inherit').command('x').image('busybox:1.36').vcpus(0.5).memory(256)
    .env({ A: '1', B: '2' }).retry({ attempts: 3 }).timeout(300).tags({ team: 'data' }).register()
  t.same(def.detail.containerProperties?.resourceRequirements, [{ type: 'VCPU', value: '0.5' }, { type: 'MEMORY', value: '256' }])
  t.same(def.detail.tags, { team: 'data' })
  const plain = await (await cloud.batch.job('plain').queue(queue).definition(def).submit()).describe()
  t.same(plain.container.environment, [{ name: 'A', value: '1' }, { name: 'B', value: '2' }])
  t.equal(plain.container.vcpus, 0.5)
  t.equal(plain.container.memory, 256)
  t.equal(plain.container.image, 'busybox:1.36')
  t.same(plain.retryStrategy, { attempts: 3 })
  t.same(plain.timeout, { attemptDurationSeconds: 300 })
  const custom = await (await cloud.batch.job('custom').queue(queue).definition(def).env({ B: 'two', C: '3' }).vcpus(2).memory(512)
    .retry({ attempts: 1 }).timeout(60).command('y').tags({ run: '7' }).submit()).describe()
  t.same(custom.container.environment, [{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }])
  t.same(custom.container.command, ['y'])
  t.equal(custom.container.vcpus, 2)
  t.equal(custom.container.memory, 512)
  t.same(custom.retryStrategy, { attempts: 1 })
  t.same(custom.timeout, { attemptDurationSeconds: 60 })
  t.same(custom.tags, { run: '7' })
})
