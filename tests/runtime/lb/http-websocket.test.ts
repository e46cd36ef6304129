// WebSocket through the listener: the upgrade is forwarded to a target (with
// the forwarded headers), frames flow both ways, the pick is released when the
// connection ends; a target that declines has its answer relayed, and rules
// and errors apply to upgrade requests as to others.
import net from 'node:net'
import t from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import { ManualClock } from '../../../runtime/clock/clock.js'
import type { TargetGroupRuntime } from '../../../runtime/lb/model.js'
import { backend, fixed, group, groupArn, listenerConfig, openListener, raw, statusLine, until } from './http-fixtures.js'

const TG = groupArn('ws')

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)))
  })
}

t.test('frames flow both ways through an upgraded connection', async (t) => {
  let forwardedFor: string | undefined
  let proto: string | undefined
  const wss = new WebSocketServer({ noServer: true })
  const target = await backend(t, (_req, res) => res.end('plain'))
  target.server.on('upgrade', (req, socket, head) => {
    forwardedFor = req.headers['x-forwarded-for'] as string
    proto = req.headers['x-forwarded-proto'] as string
    wss.handleUpgrade(req, socket as net.Socket, head, (ws) => ws.on('message', (data, binary) => ws.send(binary ? data : `echo ${String(data)}`)))
  })
  t.teardown(() => wss.close())
  const groups = new Map<string, TargetGroupRuntime>()
  const counted = group(t, groups, TG, [target.port])
  const listener = await openListener(t, listenerConfig({ defaultActions: [{ type: 'forward', targetGroups: [{ key: TG, weight: 1 }] }] }), { groups })

  const ws = await open(`ws://127.0.0.1:${listener.port}/chat`)
  const replies: string[] = []
  const got = new Promise<void>((resolve) =>
    ws.on('message', (data) => {
      replies.push(String(data))
      if (replies.length === 3) resolve()
    })
  )
  ws.send('one')
  ws.send('two')
  ws.send(Buffer.from('three'), { binary: true })
  await got
  t.same(replies, ['echo one', 'echo two', 'three'])
  t.equal(forwardedFor, '127.0.0.1')
  t.equal(proto, 'http')
  t.equal(counted.releases, 0, 'held while the connection is open')
  const closed = new Promise((resolve) => ws.once('close', resolve))
  ws.close()
  await closed
  await until(() => counted.releases > 0)
  t.equal(counted.releases, 1, 'released once the connection ends')
  t.equal(counted.doubleReleases, 0)
})

t.test('a target that declines the upgrade has its answer relayed', async (t) => {
  const target = await backend(t, (_req, res) => {
    res.writeHead(403, { 'Content-Type': 'text/plain' })
    res.end('no sockets here')
  })
  const groups = new Map<string, TargetGroupRuntime>()
  const counted = group(t, groups, TG, [target.port])
  const listener = await openListener(t, listenerConfig({ defaultActions: [{ type: 'forward', targetGroups: [{ key: TG, weight: 1 }] }] }), { groups })
  const reply = await raw(listener.port, 'GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
  t.equal(statusLine(reply.text), 'HTTP/1.1 403 Forbidden')
  t.match(reply.text, /no sockets here$/)
  await until(() => counted.releases > 0)
  t.equal(counted.releases, 1)
})

t.test('upgrade requests follow the rules and get ALB errors', async (t) => {
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, TG, [])
  const listener = await openListener(t, listenerConfig({
    rules: [{ key: 'r', priority: 1, conditions: [{ field: 'path-pattern', values: ['/closed'] }], actions: [fixed('418', 'teapot')] }],
    defaultActions: [{ type: 'forward', targetGroups: [{ key: TG, weight: 1 }] }]
  }), { groups })
  const upgrade = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`
  const fixedReply = await raw(listener.port, upgrade('/closed'))
  t.match(statusLine(fixedReply.text), /^HTTP\/1\.1 418/)
  t.match(fixedReply.text, /teapot$/)
  const none = await raw(listener.port, upgrade('/'))
  t.equal(statusLine(none.text), 'HTTP/1.1 503 Service Temporarily Unavailable', 'no target: 503')
})

t.test('an upgrade to a target that refuses: 502; an upgraded connection idle past the idle timeout is closed', async (t) => {
  const closedPort = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
  const groups = new Map<string, TargetGroupRuntime>()
  const refused = group(t, groups, groupArn('refused'), [closedPort])
  const wss = new WebSocketServer({ noServer: true })
  t.teardown(() => wss.close())
  const target = await backend(t, (_req, res) => res.end())
  target.server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket as net.Socket, head, () => undefined))
  group(t, groups, TG, [target.port])
  const listener = await openListener(t, listenerConfig({
    rules: [{ key: 'r', priority: 1, conditions: [{ field: 'path-pattern', values: ['/refused'] }], actions: [{ type: 'forward', targetGroups: [{ key: groupArn('refused'), weight: 1 }] }] }],
    defaultActions: [{ type: 'forward', targetGroups: [{ key: TG, weight: 1 }] }]
  }), { groups, idleTimeoutMs: 200 })
  const reply = await raw(listener.port, 'GET /refused HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
  t.equal(statusLine(reply.text), 'HTTP/1.1 502 Bad Gateway')
  await until(() => refused.releases > 0)
  t.equal(refused.releases, 1)

  const ws = await open(`ws://127.0.0.1:${listener.port}/idle`)
  const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)))
  t.equal(code, 1006, 'the silent connection is cut by the load balancer (no close frame)')
})

t.test('an upgrade the target never answers: 504 after the target timeout (on the clock), the page whole', async (t) => {
  const clock = new ManualClock()
  let arrived!: () => void
  const arrival = new Promise<void>((resolve) => (arrived = resolve))
  const target = await backend(t, (_req, res) => res.end())
  target.server.on('upgrade', (_req, socket) => {
    socket.on('error', () => undefined)
    t.teardown(() => socket.destroy())
    arrived()
  })
  const groups = new Map<string, TargetGroupRuntime>()
  const counted = group(t, groups, TG, [target.port], {}, clock)
  const listener = await openListener(t, listenerConfig({ defaultActions: [{ type: 'forward', targetGroups: [{ key: TG, weight: 1 }] }] }), { groups, clock, limits: { targetTimeoutMs: 10_000 } })
  const pending = raw(listener.port, 'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
  await arrival
  await clock.advance(10_000)
  const reply = await pending
  t.equal(statusLine(reply.text), 'HTTP/1.1 504 Gateway Time-out')
  t.match(reply.text, /<\/html>\r\n$/, 'the whole page arrives before the connection closes')
  await until(() => counted.releases > 0)
  t.equal(counted.releases, 1)
})
