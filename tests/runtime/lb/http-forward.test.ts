// Forwarding to targets: the request and answer streamed through with ALB's
// headers, pooled keep-alive connections to targets, weighted target groups,
// and ALB's errors — 503 (no target), 502 (refused / reset, never retried),
// 504 (target timeout, on the clock) — with every pick released exactly once.
import http from 'node:http'
import net from 'node:net'
import t from 'tap'
import { ManualClock } from '../../../runtime/clock/clock.js'
import type { TargetGroupRuntime } from '../../../runtime/lb/model.js'
import { backend, group, groupArn, listenerConfig, openListener, request } from './http-fixtures.js'

const TG = groupArn('web')

function forwardTo(...groups: Array<[string, number]>): ListenerDefault {
  return [{ type: 'forward', targetGroups: groups.map(([key, weight]) => ({ key, weight })) }]
}
type ListenerDefault = ReturnType<typeof listenerConfig>['defaultActions']

/** A closed port on 127.0.0.1 (bound, then released). */
async function closedPort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise((resolve) => s.close(resolve))
  return port
}

t.test('request and response pass through with ALB headers', async (t) => {
  let seen: http.IncomingMessage | undefined
  let seenBody = ''
  const target = await backend(t, (req, res) => {
    seen = req
    req.setEncoding('utf8')
    req.on('data', (c: string) => (seenBody += c))
    req.on('end', () => {
      res.writeHead(201, 'Made', { 'X-App': 'yes', 'Keep-Alive': 'timeout=5', 'X-Hop': 'drop me', Connection: 'X-Hop' })
      res.end(`got ${seenBody.length}`)
    })
  })
  const groups = new Map<string, TargetGroupRuntime>()
  const counted = group(t, groups, TG, [target.port])
  const listener = await openListener(t, listenerConfig({ defaultActions: forwardTo([TG, 1]) }), { groups })

  const body = 'x'.repeat(200_000)
  const reply = await request(listener.port, '/p/a?q=1', {
    method: 'POST',
    body,
    headers: {
      host: 'shop.example.com',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'spoofed',
      connection: 'keep-alive, X-Secret',
      'x-secret': 'hop',
      te: 'trailers',
      'content-type': 'text/plain'
    }
  })
  t.equal(reply.status, 201)
  t.equal(reply.body, 'got 200000', 'the body streamed through')
  t.equal(reply.headers['x-app'], 'yes')
  t.equal(reply.headers['x-hop'], undefined, 'a header the target named in Connection is dropped')
  t.not(reply.headers['keep-alive'], 'timeout=5', 'the target’s Keep-Alive is its hop’s, not the client’s')
  t.ok(seen)
  const h = seen!.headers
  t.equal(seen!.method, 'POST')
  t.equal(seen!.url, '/p/a?q=1')
  t.equal(h.host, 'shop.example.com', 'Host is kept')
  t.equal(h['x-forwarded-for'], '203.0.113.7, 127.0.0.1', 'the client IP is appended')
  t.equal(h['x-forwarded-proto'], 'http', 'the proto is the listener’s, whatever the client said')
  t.equal(h['x-forwarded-port'], String(listener.port))
  t.match(h['x-amzn-trace-id'], /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/)
  const epoch = parseInt(/Root=1-([0-9a-f]{8})/.exec(String(h['x-amzn-trace-id']))![1]!, 16)
  t.ok(Math.abs(epoch - Date.now() / 1000) < 600, 'the trace id carries the epoch in seconds')
  t.equal(h['x-secret'], undefined, 'a header the client named in Connection is dropped')
  t.equal(h.te, undefined)
  t.equal(h['content-type'], 'text/plain')
  t.equal(counted.picks, 1)
  t.equal(counted.releases, 1)
})

t.test('an incoming trace id is kept, with Self= added first', async (t) => {
  const traces: string[] = []
  const target = await backend(t, (req, res) => {
    traces.push(String(req.headers['x-amzn-trace-id']))
    res.end()
  })
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, TG, [target.port])
  const listener = await openListener(t, listenerConfig({ defaultActions: forwardTo([TG, 1]) }), { groups })
  const root = 'Root=1-67891233-abcdef012345678912345678'
  await request(listener.port, '/', { headers: { 'x-amzn-trace-id': `${root};CalledFrom=app` } })
  await request(listener.port, '/', { headers: { 'x-amzn-trace-id': `Self=1-67891234-12456789abcdef012345678;${root}` } })
  await request(listener.port, '/', { headers: { 'x-amzn-trace-id': 'garbage' } })
  t.match(traces[0], new RegExp(`^Self=1-[0-9a-f]{8}-[0-9a-f]{24};${root};CalledFrom=app$`))
  t.match(traces[1], new RegExp(`^Self=1-[0-9a-f]{8}-[0-9a-f]{24};${root}$`), 'an earlier Self is replaced')
  t.notMatch(traces[1], '12456789abcdef012345678')
  t.match(traces[2], /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/, 'an invalid one is replaced by a new Root')
})

t.test('keep-alive: many client requests reuse a few pooled target connections', async (t) => {
  let connections = 0
  const target = await backend(t, (_req, res) => res.end('ok'))
  target.server.on('connection', () => connections++)
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, TG, [target.port])
  const listener = await openListener(t, listenerConfig({ defaultActions: forwardTo([TG, 1]) }), { groups })
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })
  t.teardown(() => agent.destroy())
  for (let round = 0; round < 10; round++) {
    const replies = await Promise.all([1, 2, 3, 4].map(() => request(listener.port, '/', { agent })))
    t.same(replies.map((r) => r.body), ['ok', 'ok', 'ok', 'ok'])
  }
  t.ok(connections <= 4, `40 requests over ${connections} target connections`)
})

t.test('weighted target groups: each gets its weight, weight 0 none', async (t) => {
  const hits: string[] = []
  const a = await backend(t, (_req, res) => (hits.push('a'), res.end()))
  const b = await backend(t, (_req, res) => (hits.push('b'), res.end()))
  const c = await backend(t, (_req, res) => (hits.push('c'), res.end()))
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, groupArn('a'), [a.port])
  group(t, groups, groupArn('b'), [b.port])
  group(t, groups, groupArn('c'), [c.port])
  const listener = await openListener(t, listenerConfig({ defaultActions: forwardTo([groupArn('a'), 1], [groupArn('b'), 3], [groupArn('c'), 0]) }), { groups })
  for (let i = 0; i < 40; i++) await request(listener.port, '/')
  t.equal(hits.filter((h) => h === 'a').length, 10)
  t.equal(hits.filter((h) => h === 'b').length, 30)
  t.equal(hits.filter((h) => h === 'c').length, 0)
})

t.test('503 when there is no target: an empty group, an unknown group, all weights 0', async (t) => {
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, TG, [])
  const listener = await openListener(t, listenerConfig({
    rules: [
      { key: 'r1', priority: 1, conditions: [{ field: 'path-pattern', values: ['/unknown'] }], actions: forwardTo([groupArn('gone'), 1]) },
      { key: 'r2', priority: 2, conditions: [{ field: 'path-pattern', values: ['/zero'] }], actions: forwardTo([TG, 0], [groupArn('gone'), 0]) }
    ],
    defaultActions: forwardTo([TG, 1])
  }), { groups })
  for (const path of ['/', '/unknown', '/zero']) {
    const reply = await request(listener.port, path)
    t.equal(reply.status, 503, path)
    t.match(reply.body, '<title>503 Service Temporarily Unavailable</title>')
  }
})

t.test('502 when the target refuses the connection', async (t) => {
  const groups = new Map<string, TargetGroupRuntime>()
  const counted = group(t, groups, TG, [await closedPort()])
  const listener = await openListener(t, listenerConfig({ defaultActions: forwardTo([TG, 1]) }), { groups })
  const reply = await request(listener.port, '/')
  t.equal(reply.status, 502)
  t.match(reply.body, '<html>\r\n<head><title>502 Bad Gateway</title></head>')
  t.equal(reply.headers.server, 'awselb/2.0')
  t.equal(counted.releases, 1)
  t.equal(counted.doubleReleases, 0)
})

t.test('502 when the target resets before answering, and the request is not retried elsewhere', async (t) => {
  let aHits = 0
  let bHits = 0
  const a = await backend(t, (req) => {
    aHits++
    req.socket.destroy()
  })
  const b = await backend(t, (req) => {
    bHits++
    req.socket.destroy()
  })
  const groups = new Map<string, TargetGroupRuntime>()
  const counted = group(t, groups, TG, [a.port, b.port])
  const listener = await openListener(t, listenerConfig({ defaultActions: forwardTo([TG, 1]) }), { groups })
  const reply = await request(listener.port, '/', { method: 'POST', body: 'payload' })
  t.equal(reply.status, 502)
  t.equal(aHits + bHits, 1, 'one target saw it, once')
  t.equal(counted.picks, 1)
  t.equal(counted.releases, 1)
})

t.test('without a set target timeout, 504 comes at the load balancer\'s idle timeout (as ALB), and follows a change of it', async (t) => {
  const clock = new ManualClock()
  const arrivals: Array<() => void> = []
  const held: http.ServerResponse[] = []
  const target = await backend(t, (_req, res) => {
    held.push(res)
    arrivals.shift()?.()
  })
  t.teardown(() => { for (const res of held) res.destroy() })
  const groups = new Map<string, TargetGroupRuntime>()
  const counted = group(t, groups, TG, [target.port], {}, clock)
  const listener = await openListener(t, listenerConfig({ defaultActions: forwardTo([TG, 1]) }), { groups, clock, idleTimeoutMs: 120_000 })
  const arrived = () => new Promise<void>((resolve) => arrivals.push(resolve))
  let came = arrived()
  let pending = request(listener.port, '/slow')
  await came
  await clock.advance(60_000)
  t.equal(counted.releases, 0, 'past 60 s (the default target timeout before): still waiting')
  await clock.advance(59_999)
  t.equal(counted.releases, 0, 'just before the idle timeout')
  await clock.advance(1)
  t.equal((await pending).status, 504, '504 at the idle timeout')
  listener.setIdleTimeout(20_000)
  came = arrived()
  pending = request(listener.port, '/slow')
  await came
  await clock.advance(19_999)
  t.equal(counted.releases, 1, 'the idle timeout lowered to 20 s: still waiting just before it')
  await clock.advance(1)
  t.equal((await pending).status, 504, '504 at the new idle timeout')
})

t.test('504 when the target sends no response headers within the target timeout (on the clock)', async (t) => {
  const clock = new ManualClock()
  let arrived!: () => void
  const arrival = new Promise<void>((resolve) => (arrived = resolve))
  const held: http.ServerResponse[] = []
  const target = await backend(t, (_req, res) => {
    held.push(res)
    arrived()
  })
  const groups = new Map<string, TargetGroupRuntime>()
  const counted = group(t, groups, TG, [target.port], {}, clock)
  const listener = await openListener(t, listenerConfig({ defaultActions: forwardTo([TG, 1]) }), { groups, clock, limits: { targetTimeoutMs: 30_000 } })
  const pending = request(listener.port, '/slow')
  await arrival
  await clock.advance(29_999)
  t.equal(counted.releases, 0, 'still waiting just before the timeout')
  await clock.advance(1)
  const reply = await pending
  t.equal(reply.status, 504)
  t.match(reply.body, '<title>504 Gateway Time-out</title>')
  t.equal(counted.releases, 1)
  held[0]!.end('too late')
  t.equal(counted.doubleReleases, 0)
})

t.test('a client that goes away mid-response releases its pick and cuts the target exchange', async (t) => {
  let targetClosed!: () => void
  const closed = new Promise<void>((resolve) => (targetClosed = resolve))
  const target = await backend(t, (_req, res) => {
    res.writeHead(200)
    res.write('first chunk')
    res.on('close', () => targetClosed())
  })
  const groups = new Map<string, TargetGroupRuntime>()
  const counted = group(t, groups, TG, [target.port])
  const listener = await openListener(t, listenerConfig({ defaultActions: forwardTo([TG, 1]) }), { groups })
  await new Promise<void>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: listener.port, path: '/', agent: false }, (res) => {
      res.once('data', () => {
        req.destroy()
        resolve()
      })
    })
    req.on('error', () => undefined)
  })
  await closed
  t.equal(counted.releases, 1)
  t.equal(counted.doubleReleases, 0)
})

t.test('a pooled connection the target already closed: a body-less request is sent again on a fresh one, a request with a body gets 502', async (t) => {
  // The target drops every connection's second request unanswered (as a
  // target whose idle timeout closed the connection while the request was on its way).
  const perSocket = new WeakMap<object, number>()
  let answered = 0
  const target = await backend(t, (req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1
    perSocket.set(req.socket, n)
    if (n >= 2) {
      req.socket.destroy()
      return
    }
    answered++
    req.resume()
    req.on('end', () => res.end(`answer ${answered}`))
  })
  const groups = new Map<string, TargetGroupRuntime>()
  const counted = group(t, groups, TG, [target.port])
  const listener = await openListener(t, listenerConfig({ defaultActions: forwardTo([TG, 1]) }), { groups })
  t.equal((await request(listener.port, '/one')).body, 'answer 1')
  const again = await request(listener.port, '/two')
  t.equal(again.status, 200, 'GET on the stale connection: sent again on a fresh one')
  t.equal(again.body, 'answer 2')
  const post = await request(listener.port, '/three', { method: 'POST', body: 'data' })
  t.equal(post.status, 502, 'a request with a body is never sent twice')
  t.equal(answered, 2)
  t.equal(counted.releases, 3)
  t.equal(counted.doubleReleases, 0)
})
