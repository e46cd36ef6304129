// The SDK conformance suite's EventBridge part (run by conformance-kit.ts,
// against the embedded and the remote SDK alike): a connection, an API
// destination on a real loopback server and a rule made with the builders;
// Batch's job events and custom events delivered with the connection's
// header; a target out of retries read back as a dead letter; EventBridge's
// errors with the same class, kind, code and field both ways. Not a test file.
import type { Test } from 'tap'
import { InvalidArgumentError, NotFoundError, StratusError, type StratusClient } from '../../sdk/index.js'
import { targetServer } from '../runtime/events/target-server.js'

type Open = (t: Test) => Promise<StratusClient>

async function failure(promise: Promise<unknown>) {
  try {
    await promise
  } catch (error) {
    const e = error as StratusError
    return { invalid: error instanceof InvalidArgumentError, notFound: error instanceof NotFoundError, kind: e.kind, code: e.code, field: e.field }
  }
  throw new Error('expected a rejection')
}

export function eventsConformance(t: Test, open: Open): void {
  t.test('EventBridge: rule → API destination with an API key; custom and Batch events delivered; dead letters', async (t) => {
    const cloud = await open(t)
    const server = await targetServer()
    t.teardown(() => server.close())
    const conn = await cloud.events.connection('hooks').apiKey('x-api-key', 'k').create()
    t.match(conn.arn, /:connection\/hooks\//)
    t.notOk(JSON.stringify(await conn.describe()).includes('"k"'), 'the key is not shown')
    const dest = await cloud.events.apiDestination('hook').connection(conn).endpoint(server.url).rateLimit(100).create()
    t.equal((await dest.describe()).InvocationRateLimitPerSecond, 100)
    const rule = await cloud.events.rule('shop').pattern({ source: ['shop'] }).description('orders').create()
    await rule.target('t', dest, { inputPath: '$.detail', retry: { attempts: 1 } })
    t.same((await rule.targets()).map((x) => x.Id), ['t'])
    const [put] = await cloud.events.put({ source: 'shop', detailType: 'Order Placed', detail: { n: 1 } })
    t.match(put, { EventId: /^[0-9a-f-]{36}$/ })
    await server.receivedAtLeast(1)
    t.same(JSON.parse(server.received[0].body), { n: 1 })
    t.equal(server.received[0].headers['x-api-key'], 'k')
    t.same((await cloud.events.rules()).map((r) => r.Name), ['shop'])
    t.equal(await cloud.events.test({ detail: { n: [1] } }, { id: 'x', account: 'a', source: 's', time: 't', region: 'r', 'detail-type': 'd', detail: { n: 1 } }), true)

    server.mode = 'fail'
    await cloud.events.put({ source: 'shop', detailType: 'Order Placed', detail: { n: 2 } })
    await server.receivedAtLeast(2)
    for (let i = 0; i < 5; i++) await cloud.clock.advance(5_000)
    const letters = await cloud.events.deadLetters({ rule: 'shop' })
    t.equal(letters.length, 1)
    t.match(letters[0], { Event: { detail: { n: 2 } }, TargetId: 't', Attributes: { ERROR_CODE: 'HTTP_STATUS_500', RETRY_ATTEMPTS: 1, TARGET_ARN: dest.arn, RULE_ARN: rule.arn } })

    server.mode = 'ok'
    const batchRule = await cloud.events.rule('jobs').pattern({ source: ['aws.batch'], detail: { status: ['SUCCEEDED'] } }).create()
    await batchRule.target('t', dest)
    const ce = await cloud.batch.computeEnvironment('own').unmanaged().create()
    await ce.registerNode({ vcpus: 2, memory: 2048, id: 'n' })
    const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
    const def = await cloud.batch.jobDefinition('d').command('true').vcpus(1).memory(128).register()
    const job = await cloud.batch.job('j').queue(queue).definition(def).env({ STRATUS_SIM_SECONDS: '2' }).submit()
    await cloud.clock.advance(5_000)
    await job.wait()
    const jobEvent = JSON.parse((await server.receivedWhere((b) => b?.source === 'aws.batch')).body)
    t.match(jobEvent, { detail: { jobId: job.id, status: 'SUCCEEDED', stratus: { sequence: Number } } }, 'the job\'s event, with no subscriber: the rule asked for it')
    await t.rejects(rule.delete(), /has targets/)
    await t.rejects(rule.delete({ force: true }), /has targets: t/, 'force does not remove targets (EventBridge\'s Force is for managed rules)')
    await rule.removeTarget('t')
    await rule.delete()
    t.same((await cloud.events.rules()).map((r) => r.Name), ['jobs'], 'deleted once its targets are removed')
  })

  t.test('EventBridge: errors are the same both ways', async (t) => {
    const cloud = await open(t)
    t.same(await failure(cloud.events.rule('nope').get()), { invalid: false, notFound: true, kind: 'NotFound', code: 'ResourceNotFoundException', field: 'Name' })
    t.same(await failure(cloud.events.rule('bad').pattern({ source: 'x' } as never).create()), { invalid: true, notFound: false, kind: 'InvalidArgument', code: 'InvalidEventPatternException', field: 'EventPattern.source' })
    const conn = await cloud.events.connection('c').basic('u', 'p').create()
    t.same(await failure(cloud.events.apiDestination('far').connection(conn).endpoint('https://example.com/').create()),
      { invalid: true, notFound: false, kind: 'InvalidArgument', code: 'ValidationException', field: 'InvocationEndpoint' })
    const rule = await cloud.events.rule('r').pattern({ source: ['s'] }).create()
    t.same(await failure(rule.target('x', 'arn:aws:sqs:us-east-1:000000000000:q')), { invalid: true, notFound: false, kind: 'InvalidArgument', code: 'ValidationException', field: 'Targets[0].Arn' })
  })
}
