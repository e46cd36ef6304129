// Events to API destinations, at least once: a rule's target is an HTTP
// endpoint on loopback (a real server here) that answers, fails with 500,
// hangs, and comes back; the manual clock moves the backoff on. Every event
// arrives, in order per target, none lost; a delivery the target
// acknowledged is not sent again; the retry policy's end is a dead letter.
import t from 'tap'
import { engine, hook, ns, order } from './fixtures.js'
import { targetServer } from './target-server.js'
import type { ManualClock } from '../../../runtime/clock/clock.js'

t.test('a matching event reaches the API destination once, with the connection\'s API key and JSON content type', async (t) => {
  const e = await engine()
  const server = await targetServer()
  t.teardown(async () => { await e.close(); await server.close() })
  hook(e, server)
  const [id] = order(e, 1)
  e.eventBridge.putEvents({ Entries: [{ Source: 'shop', DetailType: 'Order Shipped', Detail: '{"n":99}' }] })
  await server.receivedAtLeast(1)
  await (e.clock as ManualClock).advance(60_000)
  t.equal(server.received.length, 1, 'only the matching event, once')
  const [r] = server.received
  t.equal(r.method, 'POST')
  t.equal(r.headers['x-api-key'], 'sekret')
  t.equal(r.headers['content-type'], 'application/json')
  const body = JSON.parse(r.body)
  t.match(body, { id, source: 'shop', 'detail-type': 'Order Placed', detail: { n: 1 }, account: e.accountId, region: e.region })
  t.equal(e.eventBridge.pendingDeliveries(), 0, 'the acknowledged delivery is gone from the store')
})

t.test('basic auth of the connection is applied', async (t) => {
  const e = await engine()
  const server = await targetServer()
  t.teardown(async () => { await e.close(); await server.close() })
  hook(e, server, { auth: { Name: 'b', AuthorizationType: 'BASIC', AuthParameters: { BasicAuthParameters: { Username: 'ann', Password: 'pw' } } } })
  order(e, 1)
  await server.receivedAtLeast(1)
  t.equal(server.received[0].headers.authorization, `Basic ${Buffer.from('ann:pw').toString('base64')}`)
  t.notOk(JSON.stringify(e.eventBridge.describeConnection({ Name: 'b' })).includes('pw'), 'Describe never returns the password')
})

t.test('OAuth client credentials: a token fetched from the loopback authorization endpoint, sent as a bearer token and reused', async (t) => {
  const e = await engine()
  const server = await targetServer()
  const tokens: string[] = []
  const { createServer } = await import('node:http')
  const auth = createServer((req, res) => {
    tokens.push(String(req.headers.authorization))
    req.resume()
    req.on('end', () => res.end(JSON.stringify({ access_token: `tok${tokens.length}`, expires_in: 3600 })))
  })
  await new Promise<void>((resolve) => auth.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { await e.close(); await server.close(); auth.closeAllConnections(); auth.close() })
  const port = (auth.address() as { port: number }).port
  hook(e, server, { auth: { Name: 'o', AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS', AuthParameters: { OAuthParameters: {
    AuthorizationEndpoint: `http://127.0.0.1:${port}/token`, HttpMethod: 'POST', ClientParameters: { ClientID: 'id', ClientSecret: 'shh' }
  } } } })
  order(e, 1, 2)
  await server.receivedAtLeast(2)
  t.same(server.received.map((r) => r.headers.authorization), ['Bearer tok1', 'Bearer tok1'], 'one token, reused')
  t.same(tokens, [`Basic ${Buffer.from('id:shh').toString('base64')}`], 'fetched once with the client credentials')
  t.throws(() => e.eventBridge.createConnection({ Name: 'far', AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS', AuthParameters: { OAuthParameters: {
    AuthorizationEndpoint: 'https://login.example.com/token', HttpMethod: 'POST', ClientParameters: { ClientID: 'id', ClientSecret: 'shh' }
  } } }), { code: 'ValidationException', field: 'AuthParameters.OAuthParameters.AuthorizationEndpoint' })
})

t.test('a target that fails with 500, then hangs, then comes back gets every event, in order, none lost', async (t) => {
  const e = await engine()
  const clock = e.clock as ManualClock
  const server = await targetServer('fail')
  t.teardown(async () => { await e.close(); await server.close() })
  hook(e, server)
  order(e, 0, 20)
  await server.receivedAtLeast(1)
  await clock.advance(1_000)
  await clock.advance(2_000)
  t.ok(server.received.length >= 2, 'the head is retried with backoff')
  t.same(new Set(ns(server.received.map((r) => r.body))), new Set([0]), 'while the head fails, later events wait behind it')
  const attempts = server.received.length
  server.mode = 'hang'
  await clock.advance(10_000)
  await server.receivedAtLeast(attempts + 1)
  await clock.advance(6_000) // the call's 5 s timeout, then the backoff
  server.mode = 'ok'
  for (let i = 0; i < 20 && server.acknowledged.length < 20; i++) await clock.advance(30_000)
  await clock.advance(1_000)
  t.same(ns(server.acknowledged), Array.from({ length: 20 }, (_, i) => i), 'every event acknowledged once, in order')
  t.equal(e.eventBridge.pendingDeliveries(), 0)
  t.same(e.eventBridge.listDeadLetters().DeadLetters, [])
})

t.test('out of retries (MaximumRetryAttempts 2): a dead letter with EventBridge\'s DLQ attributes; the next event goes on', async (t) => {
  const e = await engine()
  const clock = e.clock as ManualClock
  const server = await targetServer('fail')
  t.teardown(async () => { await e.close(); await server.close() })
  const arn = hook(e, server, { target: { RetryPolicy: { MaximumRetryAttempts: 2 }, DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:000000000000:dlq' } } })
  const [id] = order(e, 7)
  await server.receivedAtLeast(1)
  for (let i = 0; i < 5; i++) await clock.advance(10_000)
  t.equal(server.received.length, 3, 'the first attempt and two retries')
  const [letter] = e.eventBridge.listDeadLetters().DeadLetters
  t.match(letter, {
    Event: { id, detail: { n: 7 } }, Rule: 'orders', TargetId: 't1', DeadLetterArn: 'arn:aws:sqs:us-east-1:000000000000:dlq',
    Attributes: { ERROR_CODE: 'HTTP_STATUS_500', RULE_ARN: e.eventBridge.rules.ruleArn('orders'), TARGET_ARN: arn, RETRY_ATTEMPTS: 2, EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts' }
  })
  t.match(letter.Attributes.ERROR_MESSAGE, /answered 500/)
  server.mode = 'ok'
  order(e, 8)
  await server.receivedAtLeast(4)
  await clock.advance(1_000)
  t.same(ns(server.acknowledged), [8])
})

t.test('a 4xx other than 429 is not retried: dead letter at once', async (t) => {
  const e = await engine()
  const server = await targetServer('bad-request')
  t.teardown(async () => { await e.close(); await server.close() })
  hook(e, server)
  order(e, 1)
  await server.receivedAtLeast(1)
  await (e.clock as ManualClock).advance(600_000)
  t.equal(server.received.length, 1)
  t.match(e.eventBridge.listDeadLetters().DeadLetters, [{ Attributes: { ERROR_CODE: 'HTTP_STATUS_400', RETRY_ATTEMPTS: 0, EXHAUSTED_RETRY_CONDITION: 'NonRetryableError' } }])
})

t.test('MaximumEventAgeInSeconds ends the retries of an old event', async (t) => {
  const e = await engine()
  const clock = e.clock as ManualClock
  const server = await targetServer('fail')
  t.teardown(async () => { await e.close(); await server.close() })
  hook(e, server, { target: { RetryPolicy: { MaximumEventAgeInSeconds: 60 } } })
  order(e, 1)
  await server.receivedAtLeast(1)
  for (let i = 0; i < 10; i++) await clock.advance(30_000)
  t.match(e.eventBridge.listDeadLetters().DeadLetters, [{ Attributes: { EXHAUSTED_RETRY_CONDITION: 'MaximumEventAgeInSeconds', ERROR_CODE: 'HTTP_STATUS_500' } }])
  t.equal(e.eventBridge.pendingDeliveries(), 0)
})

t.test('InvocationRateLimitPerSecond is honoured on the engine\'s clock', async (t) => {
  const e = await engine()
  const clock = e.clock as ManualClock
  const server = await targetServer()
  t.teardown(async () => { await e.close(); await server.close() })
  hook(e, server, { rate: 2 })
  order(e, 0, 6)
  await server.receivedAtLeast(2)
  await clock.advance(0)
  t.equal(server.received.length, 2, 'a second\'s worth at once')
  await clock.advance(1_000)
  t.equal(server.received.length, 4, 'then two per second')
  await clock.advance(1_000)
  t.same(ns(server.acknowledged), [0, 1, 2, 3, 4, 5])
})
