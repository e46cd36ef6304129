// SDK errors are typed: every failure is a StratusError subclass exported by
// the SDK (NotFoundError, InvalidArgumentError, LimitExceededError,
// ConflictError) with a stable code, the field at fault and the limit.
import t from 'tap'
import {
  ConflictError, InvalidArgumentError, LimitExceededError, NotFoundError, Stratus, StratusError
} from '../../sdk/index.js'

t.test('errors are classes with kind, code, field and limit', async (t) => {
  await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  const ce = await cloud.batch.computeEnvironment('own').unmanaged().create()
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('x').vcpus(1).memory(128).register()

  const limit = await cloud.batch.job('j').queue(queue).definition(def).array(20_000).submit().catch((e: unknown) => e)
  t.ok(limit instanceof StratusError)
  t.ok(limit instanceof InvalidArgumentError)
  t.match(limit, { name: 'InvalidArgumentError', kind: 'InvalidArgument', code: 'ClientException', field: 'arrayProperties.size', limit: 10_000 })
  t.same((limit as StratusError).toJSON(), {
    kind: 'InvalidArgument', code: 'ClientException', message: (limit as Error).message, field: 'arrayProperties.size', limit: 10_000
  })

  const many = await [...Array(21)].reduce((b) => b.dependsOn('x'), cloud.batch.job('j').queue(queue).definition(def)).submit().catch((e: unknown) => e)
  t.ok(many instanceof LimitExceededError)
  t.match(many, { kind: 'LimitExceeded', field: 'dependsOn', limit: 20 })

  const missing = await cloud.batch.job('j').queue('nope').definition(def).submit().catch((e: unknown) => e)
  t.ok(missing instanceof NotFoundError)
  t.match(missing, { kind: 'NotFound', field: 'jobQueue' })

  const twice = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create().catch((e: unknown) => e)
  t.ok(twice instanceof ConflictError)
  t.match(twice, { kind: 'Conflict', field: 'jobQueueName' })
})

t.test('a bad request fails as a rejected promise, never a synchronous throw', async (t) => {
  await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  let result: Promise<unknown> | undefined
  t.doesNotThrow(() => {
    result = cloud.batch.job('j').definition('d').submit()
  })
  await t.rejects(result!, InvalidArgumentError)
  t.doesNotThrow(() => {
    result = cloud.batch.jobDefinition('d').vcpus(-1).register()
  })
  await t.rejects(result!, { code: 'ClientException', field: 'containerProperties.vcpus' })
})

t.test('handles on things that no longer exist fail with NotFoundError', async (t) => {
  await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated', batch: { retentionMs: 1000 } })
  const ce = await cloud.batch.computeEnvironment('own').unmanaged().create()
  await ce.registerNode({ vcpus: 1, memory: 1024 })
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('x').vcpus(1).memory(128).register()
  const job = await cloud.batch.job('j').queue(queue).definition(def).submit()
  await job.wait()
  await cloud.clock.advance(1000)
  await t.rejects(job.describe(), NotFoundError, 'a purged job')
  await t.rejects(job.describe(), { code: 'ClientException', kind: 'NotFound', field: 'jobId' })
  await t.rejects(cloud.batch.jobById(job.id), NotFoundError)
  await t.rejects(job.child(3).describe(), NotFoundError)
  await queue.delete()
  await t.rejects(queue.describe(), NotFoundError, 'a deleted queue')
  await ce.delete()
  await t.rejects(ce.describe(), NotFoundError, 'a deleted environment')
  await t.rejects(ce.registerNode({ vcpus: 1, memory: 64 }), NotFoundError)
})
