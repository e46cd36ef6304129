// Events to API destinations, at least once: a rule's target is an HTTP
// endpoint on loopback (a real server here) that answers, fails with 500,
// hangs, and comes back; the manual clock moves the backoff on. Every event
// arrives, in order per target, none lost; a delivery the target
// acknowledged is not sent again; the retry policy's end is a dead letter.
import t from 'tap'
import { createServer, type IncomingMessage } from 'node:http'
import { channel } from 'node:diagnostics_channel'
import { engine, hook, ns, order } from './fixtures.js'
import { failingStore } from './failing-store.js'
import { targetServer } from './target-server.js'
import type { ManualClock } from '../../../runtime/clock/clock.js'
import { DELIVERIES } from '../../../runtime/events/model.js'
import { MemoryStore } from '../../../runtime/store/memory.js'

/** A loopback OAuth authorization endpoint: hands out tok1, tok2, … and records each token request. */
async function authServer(t: { teardown: (fn: () => void) => void }): Promise<{ url: string; requests: Array<{ url: string; headers: IncomingMessage['headers']; body: string }>; status: number }> {
  const self = { url: '', requests: [] as Array<{ url: string; headers: IncomingMessage['headers']; body: string }>, status: 200 }
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => {
      self.requests.push({ url: req.url ?? '', headers: req.headers, body })
      res.statusCode = self.status
      res.end(self.status === 200 ? JSON.stringify({ access_token: `tok${self.requests.length}`, expires_in: 3600 }) : '{"error":"invalid_client"}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  self.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/token`
  return self
}

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

t.test('a 4xx other than 401, 407, 409 and 429 is not retried: dead letter at once', async (t) => {
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

t.test('401, 407 and 409 were dead-lettered at once: EventBridge retries them, as 429 and 5xx', async (t) => {
  const e = await engine()
  const clock = e.clock as ManualClock
  const server = await targetServer()
  t.teardown(async () => { await e.close(); await server.close() })
  hook(e, server)
  for (const [i, status] of [401, 407, 409, 429, 503].entries()) {
    server.mode = status
    const before = server.received.length
    order(e, i)
    await server.receivedAtLeast(before + 1)
    await clock.advance(1_000)
    await clock.advance(2_000)
    t.ok(server.received.length >= before + 2, `${status} is retried`)
    t.equal(e.eventBridge.listDeadLetters().DeadLetters.length, 0, `${status}: no dead letter`)
    server.mode = 'ok'
    for (let k = 0; k < 5 && e.eventBridge.pendingDeliveries() > 0; k++) await clock.advance(5_000)
    t.same(ns(server.acknowledged).at(-1), i, `${status}: delivered once the target answers 2xx`)
  }
  for (const status of [400, 403, 404, 410]) {
    server.mode = status
    const before = server.received.length
    order(e, status)
    await server.receivedAtLeast(before + 1)
    await clock.advance(600_000)
    t.equal(server.received.length, before + 1, `${status} is not retried`)
  }
  t.same(e.eventBridge.listDeadLetters().DeadLetters.map((l) => l.Attributes.ERROR_CODE), ['HTTP_STATUS_400', 'HTTP_STATUS_403', 'HTTP_STATUS_404', 'HTTP_STATUS_410'])
})

t.test('a cached OAuth token kept after the target answered 401', async (t) => {
  const e = await engine()
  const clock = e.clock as ManualClock
  const server = await targetServer(401)
  const auth = await authServer(t)
  t.teardown(async () => { await e.close(); await server.close() })
  hook(e, server, { auth: { Name: 'o', AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS', AuthParameters: { OAuthParameters: {
    AuthorizationEndpoint: auth.url, HttpMethod: 'POST', ClientParameters: { ClientID: 'id', ClientSecret: 'shh' }
  } } } })
  order(e, 1)
  await server.receivedAtLeast(1)
  server.mode = 'ok'
  for (let i = 0; i < 5 && server.acknowledged.length === 0; i++) await clock.advance(2_000)
  t.same(server.received.map((r) => r.headers.authorization), ['Bearer tok1', 'Bearer tok2'], 'the token the target refused is not sent again: a new one is fetched')
  t.equal(auth.requests.length, 2)
  t.same(ns(server.acknowledged), [1])
})

t.test('OAuthHttpParameters were not sent with the token request; a 4xx from the authorization endpoint is not retried', async (t) => {
  const e = await engine()
  const clock = e.clock as ManualClock
  const server = await targetServer()
  const auth = await authServer(t)
  t.teardown(async () => { await e.close(); await server.close() })
  hook(e, server, { auth: { Name: 'o', AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS', AuthParameters: { OAuthParameters: {
    AuthorizationEndpoint: auth.url, HttpMethod: 'POST', ClientParameters: { ClientID: 'id', ClientSecret: 'shh' },
    OAuthHttpParameters: {
      BodyParameters: [{ Key: 'audience', Value: 'https://api.example' }, { Key: 'scope', Value: 'events:write' }],
      HeaderParameters: [{ Key: 'x-tenant', Value: 'acme' }], QueryStringParameters: [{ Key: 'realm', Value: 'r1' }]
    }
  } } } })
  order(e, 1)
  await server.receivedAtLeast(1)
  const [request] = auth.requests
  t.same(Object.fromEntries(new URLSearchParams(request.body)), { grant_type: 'client_credentials', audience: 'https://api.example', scope: 'events:write' }, 'body parameters, form-encoded beside grant_type')
  t.equal(request.headers['x-tenant'], 'acme')
  t.equal(new URL(request.url, 'http://x').searchParams.get('realm'), 'r1')
  t.notOk(JSON.stringify(e.eventBridge.describeConnection({ Name: 'o' })).includes('shh'), 'Describe shows no client secret')

  const other = await targetServer()
  t.teardown(() => other.close())
  auth.status = 400
  hook(e, other, { rule: 'wrong', auth: { Name: 'wrong-conn', AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS', AuthParameters: { OAuthParameters: {
    AuthorizationEndpoint: `${auth.url}?wrong`, HttpMethod: 'POST', ClientParameters: { ClientID: 'id', ClientSecret: 'wrong' }
  } } } })
  const asked = auth.requests.length
  order(e, 2)
  await clock.advance(600_000)
  t.equal(auth.requests.length - asked, 1, 'asked once: wrong credentials are not retried for 24 hours')
  t.match(e.eventBridge.listDeadLetters({ Rule: 'wrong' }).DeadLetters, [{ Attributes: { ERROR_CODE: 'OAUTH_FAILED', EXHAUSTED_RETRY_CONDITION: 'NonRetryableError' } }])
})

t.test('InvocationHttpParameters with CR/LF or over the limits were accepted at CreateConnection (and failed every attempt)', async (t) => {
  const e = await engine()
  t.teardown(() => e.close())
  const connection = (InvocationHttpParameters: unknown) => () => e.eventBridge.createConnection({
    Name: 'c', AuthorizationType: 'API_KEY', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'k', ApiKeyValue: 'v' }, InvocationHttpParameters } as never
  })
  const field = 'AuthParameters.InvocationHttpParameters'
  t.throws(connection({ HeaderParameters: [{ Key: 'x-a', Value: 'one\r\nx-injected: two' }] }), { code: 'ValidationException', field: `${field}.HeaderParameters[0].Value` })
  t.throws(connection({ HeaderParameters: [{ Key: 'bad header', Value: 'v' }] }), { code: 'ValidationException', field: `${field}.HeaderParameters[0].Key` })
  t.throws(connection({ QueryStringParameters: [{ Key: 'q', Value: 'x'.repeat(513) }] }), { code: 'ValidationException', field: `${field}.QueryStringParameters[0].Value`, limit: 512 })
  t.throws(connection({ BodyParameters: Array.from({ length: 101 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) }), { code: 'ValidationException', field: `${field}.BodyParameters`, limit: 100 })
  t.throws(connection({ BodyParameters: [{ Key: 'k', Value: 'v', IsValueSecret: 'yes' }] }), { code: 'ValidationException', field: `${field}.BodyParameters[0].IsValueSecret` })
  t.throws(connection({ HeaderParameters: [{ Key: 'x-a' }] }), { code: 'ValidationException', field: `${field}.HeaderParameters[0].Value` })
  t.same(e.eventBridge.listConnections().Connections, [], 'nothing was created')
  connection({ HeaderParameters: [{ Key: 'x-a', Value: 'fine value', IsValueSecret: true }] })()
  t.equal(e.eventBridge.listConnections().Connections.length, 1)
})

t.test('a pending retry was sent with the target\'s HttpParameters as they are at send time, literally', async (t) => {
  const e = await engine()
  const clock = e.clock as ManualClock
  const server = await targetServer('fail')
  t.teardown(async () => { await e.close(); await server.close() })
  const connection = e.eventBridge.createConnection({ Name: 'c', AuthorizationType: 'API_KEY', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: 'k' } } })
  const { ApiDestinationArn } = e.eventBridge.createApiDestination({ Name: 'd', ConnectionArn: connection.ConnectionArn, InvocationEndpoint: `${server.url}/*/items/*`, HttpMethod: 'POST' })
  e.eventBridge.putRule({ Name: 'orders', EventPattern: JSON.stringify({ source: ['shop'] }) })
  t.throws(() => e.eventBridge.putTargets({ Rule: 'orders', Targets: [{ Id: 't1', Arn: ApiDestinationArn, HttpParameters: { PathParameterValues: ['one'] } }] }),
    { code: 'ValidationException', field: 'Targets[0].HttpParameters.PathParameterValues', limit: 2 }, 'one value for two *s is refused')
  t.throws(() => e.eventBridge.putTargets({ Rule: 'orders', Targets: [{ Id: 't1', Arn: ApiDestinationArn, HttpParameters: { PathParameterValues: ['a', 'b'], HeaderParameters: { 'x-a': 'a\nb' } } }] }),
    { code: 'ValidationException', field: 'Targets[0].HttpParameters.HeaderParameters.x-a' })
  e.eventBridge.putTargets({ Rule: 'orders', Targets: [{ Id: 't1', Arn: ApiDestinationArn, HttpParameters: {
    PathParameterValues: ['$.detail.shop', 'fixed'], HeaderParameters: { 'x-order': '$.detail.n', 'x-team': 'blue' }, QueryStringParameters: { n: '$.detail.n', kind: 'order' }
  } }] })
  e.eventBridge.putEvents({ Entries: [{ Source: 'shop', DetailType: 'Order Placed', Detail: JSON.stringify({ n: 7, shop: 'north/1' }) }] })
  await server.receivedAtLeast(1)
  // The target is changed, then removed: the pending retry keeps what was planned.
  e.eventBridge.putTargets({ Rule: 'orders', Targets: [{ Id: 't1', Arn: ApiDestinationArn, HttpParameters: { PathParameterValues: ['new', 'new'], HeaderParameters: { 'x-team': 'red' } } }] })
  e.eventBridge.removeTargets({ Rule: 'orders', Ids: ['t1'] })
  server.mode = 'ok'
  await clock.advance(2_000)
  await server.receivedAtLeast(2)
  for (const r of server.received) {
    const url = new URL(r.url, 'http://x')
    t.equal(url.pathname, '/hook/north%2F1/items/fixed', 'path parameters: a JSONPath takes the event\'s value')
    t.same(Object.fromEntries(url.searchParams), { n: '7', kind: 'order' })
    t.equal(r.headers['x-order'], '7')
    t.equal(r.headers['x-team'], 'blue')
  }
  t.same(ns(server.acknowledged), [7])
})

t.test('a store error while the worker records an outcome killed the engine', async (t) => {
  const failing = failingStore()
  const e = await engine({ store: failing.store })
  const clock = e.clock as ManualClock
  const server = await targetServer()
  t.teardown(async () => { await e.close(); await server.close() })
  const reported: Array<{ failures: number; retryInMs: number; error: { code?: string } }> = []
  const onError = (m: unknown) => reported.push(m as (typeof reported)[number])
  channel('stratus:events:worker-error').subscribe(onError)
  t.teardown(() => channel('stratus:events:worker-error').unsubscribe(onError))
  hook(e, server)
  order(e, 1)
  // The delivery is planned; the transactions recording its 2xx are refused twice.
  failing.failNext(2, { collection: DELIVERIES })
  await server.receivedAtLeast(1)
  while (reported.length < 1) await new Promise((resolve) => setImmediate(resolve))
  t.equal(reported[0].error.code, 'StoreWriteFailed', 'published on stratus:events:worker-error')
  t.equal(e.eventBridge.pendingDeliveries(), 1, 'not recorded yet')
  await clock.advance(reported[0].retryInMs)
  t.equal(reported.length, 2, 'recorded again after a backoff on the clock (refused once more)')
  t.ok(reported[1].retryInMs > 0)
  await clock.advance(reported[1].retryInMs)
  t.equal(e.eventBridge.pendingDeliveries(), 0, 'recorded at the third try')
  t.equal(server.received.length, 1, 'the outcome is recorded again, the call is not made again')

  // The same for a failure's outcome (a 500 whose retry deadline cannot be written).
  server.mode = 'fail'
  order(e, 2)
  failing.failNext(1, { collection: DELIVERIES })
  await server.receivedAtLeast(2)
  while (reported.length < 3) await new Promise((resolve) => setImmediate(resolve))
  server.mode = 'ok'
  await clock.advance(reported[2].retryInMs)
  for (let i = 0; i < 5 && e.eventBridge.pendingDeliveries() > 0; i++) await clock.advance(2_000)
  t.same(ns(server.acknowledged), [1, 2], 'the engine lives on and delivers')
})

t.test('dead letters were never purged: each is deleted 14 days after it was written (SQS\'s longest retention), also by an engine started later', async (t) => {
  const store = new MemoryStore()
  const e = await engine({ store })
  const clock = e.clock as ManualClock
  const server = await targetServer('bad-request')
  t.teardown(async () => { await server.close(); await store.close() })
  hook(e, server)
  order(e, 1)
  await server.receivedAtLeast(1)
  await clock.advance(1_000)
  const DAY = 86_400_000
  await clock.advance(7 * DAY)
  order(e, 2)
  await server.receivedAtLeast(2)
  await clock.advance(1_000)
  t.equal(e.eventBridge.listDeadLetters().DeadLetters.length, 2)
  await clock.advance(7 * DAY - 60_000)
  t.equal(e.eventBridge.listDeadLetters().DeadLetters.length, 2, 'kept for 14 days')
  await clock.advance(60_000)
  t.same(e.eventBridge.listDeadLetters().DeadLetters.map((l) => ns([JSON.stringify(l.Event)])[0]), [2], 'the first is gone after 14 days, the second stays')
  await e.close()
  const next = await engine({ store, startTime: clock.now() })
  t.teardown(() => next.close())
  await (next.clock as ManualClock).advance(7 * DAY)
  t.same(next.eventBridge.listDeadLetters().DeadLetters, [], 'an engine started over the store purges the rest on time')
})
