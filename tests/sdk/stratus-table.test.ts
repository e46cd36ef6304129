// The /stratus/ API's table over a real engine, called as the router calls it
// (input, CallContext): authorization per operation, and the long calls and
// streams that must end when the client goes away (ctx.signal).
import t, { type Test } from 'tap'
import { Stratus } from '../../sdk/index.js'
import { stratusTable } from '../../runtime/api/tables/stratus.js'
import type { CallContext, Operation } from '../../runtime/api/operation.js'
import { rootPrincipal } from '../../runtime/iam/principal.js'

async function setUp(t: Test, options: Parameters<typeof Stratus.embedded>[0]) {
  const cloud = await Stratus.embedded(options)
  t.teardown(() => cloud.close())
  const e = cloud.engine
  const table = stratusTable({ batch: e.batch, clock: e.clock, events: e.events, registry: e.registry, partition: e.partition })
  const ops = new Map<string, Operation>(table.operations.map((o) => [o.name, o]))
  const client = () => {
    const controller = new AbortController()
    const ctx: CallContext = { principal: rootPrincipal(e.accountId), requestId: 'r', sourceIp: '127.0.0.1', userAgent: 'test', signal: controller.signal }
    return { ctx, leave: () => controller.abort() }
  }
  const op = (name: string) => ops.get(name)!
  return { cloud, table, op, client }
}

t.test('the table: stratusJson, signing name stratus, actions stratus:<Op> on the resources named', async (t) => {
  const { table, op, client } = await setUp(t, { clock: 'manual', runner: 'simulated' })
  t.match(table, { protocol: 'stratusJson', signingName: 'stratus' })
  const { ctx } = client()
  t.same(op('ListNodes').authorize({ computeEnvironment: 'own' }, ctx), { action: 'stratus:ListNodes', resources: ['arn:aws:batch:us-east-1:000000000000:compute-environment/own'] })
  t.same(op('WaitForJob').authorize({ jobId: 'abc' }, ctx).resources, ['arn:aws:batch:us-east-1:000000000000:job/abc'])
  t.same(op('SetAnonymousPull').authorize({ repositoryName: 'team/app' }, ctx).resources, ['arn:aws:ecr:us-east-1:000000000000:repository/team/app'])
  t.same(op('GetClock').authorize({}, ctx).resources, ['*'])
  t.match(table.error(new Error('x')), { status: 500 })
  t.equal(op('AdvanceClock').readOnly, false)
  t.equal(op('GetClock').readOnly, true)
})

t.test('WaitForJob ends with ClientGone when the client goes away; AdvanceClock moves the clock', async (t) => {
  const { cloud, op, client } = await setUp(t, { clock: 'manual', runner: 'simulated' })
  const ce = await cloud.batch.computeEnvironment('own').unmanaged().create()
  await ce.registerNode({ vcpus: 1, memory: 1024 })
  const queue = await cloud.batch.jobQueue('q').computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('x').vcpus(1).memory(128).register()
  const job = await cloud.batch.job('j').queue(queue).definition(def).env({ STRATUS_SIM_SECONDS: '10' }).submit()
  const first = client()
  const waiting = Promise.resolve(op('WaitForJob').call({ jobId: job.id }, first.ctx))
  first.leave()
  await t.rejects(waiting, { code: 'ClientGone', kind: 'Unavailable' })
  const second = client()
  const waited = Promise.resolve(op('WaitForJob').call({ jobId: job.id }, second.ctx))
  const before = cloud.clock.now()
  t.same(await op('AdvanceClock').call({ ms: 10_000 }, second.ctx), { kind: 'manual', now: before + 10_000 })
  t.match(await waited, { job: { jobId: job.id, status: 'SUCCEEDED' } })
  await t.rejects(Promise.resolve(op('AdvanceClock').call({ ms: -1 }, second.ctx)), { code: 'InvalidDuration', field: 'ms' })
})

t.test('JobLogs, followed, ends when the client goes away while the job still runs', async (t) => {
  const { cloud, op, client } = await setUp(t, { runner: 'process' })
  const ce = await cloud.batch.computeEnvironment('own').unmanaged().create()
  await ce.registerNode({ vcpus: 1, memory: 1024 })
  const queue = await cloud.batch.jobQueue('q').computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('sh', '-c', 'echo first; exec sleep 60').vcpus(1).memory(64).register()
  const job = await cloud.batch.job('j').queue(queue).definition(def).submit()
  t.teardown(() => job.terminate('test over').catch(() => undefined))
  const { ctx, leave } = client()
  const stream = (await op('JobLogs').call({ jobId: job.id }, ctx)) as AsyncIterable<string>
  const iterator = stream[Symbol.asyncIterator]()
  t.same(await iterator.next(), { value: 'first', done: false })
  const next = iterator.next()
  leave()
  t.same(await next, { value: undefined, done: true }, 'the stream ends although the job runs on')
  t.equal(await job.status(), 'RUNNING')
})

t.test('Subscribe: ready first, then matching events, until the client goes away', async (t) => {
  const { cloud, op, client } = await setUp(t, { clock: 'manual', runner: 'simulated' })
  const { ctx, leave } = client()
  const stream = (await op('Subscribe').call({ pattern: { source: ['test.source'] } }, ctx)) as AsyncIterable<unknown>
  const iterator = stream[Symbol.asyncIterator]()
  t.same(await iterator.next(), { value: { ready: true }, done: false })
  cloud.engine.events.publish('other.source', 'Ignored', [], { n: 0 })
  cloud.engine.events.publish('test.source', 'Wanted', [], { n: 1 })
  t.match(await iterator.next(), { value: { event: { source: 'test.source', 'detail-type': 'Wanted', detail: { n: 1 } } }, done: false })
  const next = iterator.next()
  leave()
  t.same(await next, { value: undefined, done: true })
  await t.rejects((async () => op('Subscribe').call({ pattern: { source: 'x' } }, client().ctx))(), { code: 'InvalidEventPattern' }, 'a bad pattern is refused before the stream starts')
})
