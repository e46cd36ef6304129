// The client-side timeouts of the load balancers run on the engine's Clock, as every other
// timing: on a manual clock a slow head (408), an idle keep-alive connection, a silent TLS
// handshake (ALB and NLB), an idle HTTP/2 session and an idle WebSocket are cut exactly
// when the clock reaches their deadline, and never before, however long real time runs.
import http2 from 'node:http2'
import net from 'node:net'
import t, { type Test } from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import { ManualClock, RealClock } from '../../../runtime/clock/clock.js'
import { Deadlines } from '../../../runtime/lb/deadlines.js'
import { DEFAULT_LB_LIMITS, type TargetGroupRuntime } from '../../../runtime/lb/model.js'
import { TcpListener } from '../../../runtime/lb/tcp.js'
import { backend, certificate, fixed, group, groupArn, listenerConfig, openListener, statusLine } from './http-fixtures.js'

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A raw connection and what it has received, with whether (and how) it ended. */
async function connect(t: Test, port: number): Promise<{ socket: net.Socket; text: () => string; closed: () => boolean }> {
  const socket = net.connect(port, '127.0.0.1')
  let text = ''
  let closed = false
  socket.setEncoding('latin1')
  socket.on('data', (d: string) => (text += d))
  socket.on('error', () => undefined)
  socket.on('close', () => (closed = true))
  await new Promise((resolve) => socket.once('connect', resolve))
  t.teardown(() => socket.destroy())
  return { socket, text: () => text, closed: () => closed }
}

async function eventually(what: () => boolean, boundMs = 5_000): Promise<boolean> {
  const end = Date.now() + boundMs
  while (!what()) {
    if (Date.now() > end) return false
    await pause(5)
  }
  return true
}

/** Advances the clock to 1 ms before `ms` (asserting `closed()` still false), then to `ms` (asserting it turns true). */
async function cutAt(t: Test, clock: ManualClock, ms: number, closed: () => boolean, before: string, at: string): Promise<void> {
  await clock.advance(ms - 1)
  await pause(50)
  t.equal(closed(), false, before)
  await clock.advance(1)
  t.ok(await eventually(closed), at)
}

t.test('Deadlines: one timer for many, moved by writes, each expiring once at its time', async (t) => {
  const clock = new ManualClock(0)
  const expired: Array<[string, number]> = []
  const d = new Deadlines<string>(clock, (k) => expired.push([k, clock.now()]))
  d.set('a', 100)
  d.set('b', 50)
  d.set('c', 300)
  await clock.advance(60)
  t.same(expired, [['b', 50]], 'the earliest first, at its time')
  d.set('a', 100) // activity at 60: a's deadline moves to 160
  await clock.advance(100)
  t.same(expired, [['b', 50], ['a', 160]], 'a moved deadline expires at the new time, not the old')
  d.delete('c')
  await clock.advance(1_000)
  t.equal(expired.length, 2, 'a deleted deadline never expires')
  t.equal(d.size, 0)
  d.set('x', 10)
  d.close()
  await clock.advance(100)
  t.equal(expired.length, 2, 'nothing expires after close()')
})

t.test('Deadlines on the real clock: a wall-clock step neither cuts early nor stalls', async (t) => {
  const realNow = Date.now
  let step = 0
  Date.now = () => realNow() + step
  t.teardown(() => { Date.now = realNow })
  const clock = new RealClock()
  const expired: string[] = []
  const d = new Deadlines<string>(clock, (k) => expired.push(k))
  t.teardown(() => d.close())

  // Forward: the wall clock jumps an hour while a short and a long deadline wait.
  d.set('short', 50)
  d.set('long', 60_000)
  step = 3_600_000
  t.ok(await eventually(() => expired.includes('short')), 'the short deadline expires')
  t.same(expired, ['short'], 'the long one is still open after the wall clock jumped an hour ahead')

  // Backward: the wall clock goes back two hours; a deadline 50 ms away still comes.
  d.set('after', 50)
  step = -3_600_000
  t.ok(await eventually(() => expired.includes('after')), 'a deadline set before a backward step still expires')
  t.notOk(expired.includes('long'), 'the long one still open')
})

t.test('a head not finished within the header timeout on the clock gets 408; real time alone never cuts it', async (t) => {
  const clock = new ManualClock()
  const listener = await openListener(t, listenerConfig({ defaultActions: [fixed('200', 'ok')] }), { clock, limits: { headerTimeoutMs: 60_000 }, idleTimeoutMs: 120_000 })
  const c = await connect(t, listener.port)
  c.socket.write('GET / HTTP/1.1\r\nHost: a\r\n')
  await pause(300)
  await clock.advance(59_999)
  await pause(50)
  t.equal(c.closed(), false, 'open just before the deadline (and after 300 ms of real time)')
  c.socket.write('X-Slow: 1\r\n')
  await pause(20)
  await clock.advance(1)
  t.ok(await eventually(() => c.closed()), 'cut at the deadline: trickled bytes buy no time')
  t.equal(statusLine(c.text()), 'HTTP/1.1 408 Request Time-out')
})

t.test('a keep-alive connection waiting for a request is closed at the idle timeout on the clock; a request in between restarts it', async (t) => {
  const clock = new ManualClock()
  const listener = await openListener(t, listenerConfig({ defaultActions: [fixed('200', 'ok')] }), { clock, idleTimeoutMs: 20_000 })
  const silent = await connect(t, listener.port)
  const c = await connect(t, listener.port)
  await clock.advance(15_000)
  c.socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n')
  t.ok(await eventually(() => c.text().includes('\r\n\r\nok')), 'answered, the connection kept')
  await clock.advance(5_000)
  t.ok(await eventually(() => silent.closed()), 'a connection that never sent a byte is closed at 20 s')
  await pause(30)
  t.equal(c.closed(), false, 'the one that made a request at 15 s is still open at 20 s')
  await cutAt(t, clock, 15_000, c.closed, 'still open just before 20 s after its answer', 'closed 20 s after its answer')

  // A lowered idle timeout applies to a waiting connection from the change.
  const d = await connect(t, listener.port)
  listener.setIdleTimeout(1_000)
  await clock.advance(1_000)
  t.ok(await eventually(() => d.closed()), 'closed 1 s after the idle timeout was lowered to 1 s')
})

t.test('a TLS handshake that never comes is cut at the header timeout on the clock (HTTPS and NLB TLS listeners)', async (t) => {
  const clock = new ManualClock()
  const cert = await certificate('arn:cert/h', ['h.test'], true)
  const https = await openListener(t, listenerConfig({ protocol: 'HTTPS', certificates: [cert], defaultActions: [fixed('200', 'ok')] }), { clock, limits: { headerTimeoutMs: 60_000 } })
  const nlb = await TcpListener.open({ key: 'arn:tls', protocol: 'TLS', port: 0, certificates: [cert], rules: [], defaultActions: [] }, {
    address: '127.0.0.1', idleTimeoutMs: 350_000, limits: { ...DEFAULT_LB_LIMITS, headerTimeoutMs: 60_000 }, clock, targetGroup: () => undefined
  })
  t.teardown(() => nlb.close())
  const a = await connect(t, https.port)
  const b = await connect(t, nlb.port)
  await pause(200)
  await clock.advance(59_999)
  await pause(50)
  t.equal(a.closed(), false, 'HTTPS: open just before the deadline')
  t.equal(b.closed(), false, 'TLS: open just before the deadline')
  await clock.advance(1)
  t.ok(await eventually(() => a.closed()), 'HTTPS: cut at the deadline')
  t.ok(await eventually(() => b.closed()), 'TLS: cut at the deadline')
})

t.test('an HTTP/2 session with no stream open is closed at the idle timeout on the clock, counted from its last stream', async (t) => {
  const clock = new ManualClock()
  const cert = await certificate('arn:cert/h2', ['h2.test'], true)
  const listener = await openListener(t, listenerConfig({ protocol: 'HTTPS', certificates: [cert], defaultActions: [fixed('200', 'ok')] }), { clock, idleTimeoutMs: 30_000 })
  const client = http2.connect(`https://127.0.0.1:${listener.port}`, { servername: 'h2.test', rejectUnauthorized: false })
  client.on('error', () => undefined)
  t.teardown(() => client.destroy())
  let closed = false
  client.on('close', () => (closed = true))
  await new Promise((resolve) => client.once('connect', resolve))
  await clock.advance(20_000)
  const status = await new Promise<number>((resolve, reject) => {
    const req = client.request({ ':path': '/' })
    req.on('response', (h) => resolve(Number(h[':status'])))
    req.on('error', reject)
    req.resume()
    req.end()
  })
  t.equal(status, 200)
  await pause(50)
  await cutAt(t, clock, 30_000, () => closed, 'open 29.999 s after its stream ended (49.999 s after it connected)', 'closed 30 s after its last stream')
})

t.test('an upgraded (WebSocket) connection with no byte either way is closed at the idle timeout on the clock', async (t) => {
  const clock = new ManualClock()
  const wss = new WebSocketServer({ noServer: true })
  t.teardown(() => wss.close())
  const target = await backend(t, (_req, res) => res.end())
  const TG = groupArn('ws-idle')
  target.server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket as net.Socket, head, (ws) => ws.on('message', (m) => ws.send(m))))
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, TG, [target.port])
  const listener = await openListener(t, listenerConfig({ defaultActions: [{ type: 'forward', targetGroups: [{ key: TG, weight: 1 }] }] }), { groups, clock, idleTimeoutMs: 60_000 })
  const ws = new WebSocket(`ws://127.0.0.1:${listener.port}/`)
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  let code: number | undefined
  ws.on('close', (c) => (code = c))
  await clock.advance(8_000)
  const echoed = new Promise((resolve) => ws.once('message', resolve))
  ws.send('ping')
  await echoed
  await cutAt(t, clock, 60_000, () => code !== undefined, 'open 59.999 s after the last frame', 'closed 60 s after the last frame')
  t.equal(code, 1006, 'cut by the load balancer (no close frame)')
})

t.test('an exchange that stalls after its answer began is closed at the idle timeout on the clock, its target released', async (t) => {
  const clock = new ManualClock()
  const TG = groupArn('stall')
  const target = await backend(t, (req, res) => {
    req.resume()
    if (req.url === '/stall') {
      // A head and a part of the body, then nothing.
      res.writeHead(200, { 'content-length': '100' })
      res.write('part')
      return
    }
    res.end('ok')
  })
  const groups = new Map<string, TargetGroupRuntime>()
  const counted = group(t, groups, TG, [target.port])
  const listener = await openListener(t, listenerConfig({ defaultActions: [{ type: 'forward', targetGroups: [{ key: TG, weight: 1 }] }] }), { groups, clock, idleTimeoutMs: 30_000 })
  const c = await connect(t, listener.port)
  c.socket.write('GET /stall HTTP/1.1\r\nHost: a\r\n\r\n')
  t.ok(await eventually(() => c.text().includes('part')), 'the answer began')
  await cutAt(t, clock, 30_000, c.closed, 'open just before the idle timeout', 'closed at the idle timeout')
  t.ok(await eventually(() => counted.releases === 1), 'the target pick released')

  // Answered early by the load balancer, the client then stops sending its announced body.
  const early = await openListener(t, listenerConfig({ defaultActions: [fixed('403', 'no')] }), { clock, idleTimeoutMs: 30_000 })
  const u = await connect(t, early.port)
  u.socket.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nabc')
  t.ok(await eventually(() => u.text().includes('403')), 'answered before the body')
  await cutAt(t, clock, 30_000, u.closed, 'open just before the idle timeout', 'the stalled upload is closed at the idle timeout')
})

t.test('an HTTP/2 stream stalled after its answer began: its session is destroyed two to three idle periods after its last byte', async (t) => {
  const clock = new ManualClock()
  const TG = groupArn('h2-stall')
  const target = await backend(t, (req, res) => {
    req.resume()
    res.writeHead(200, { 'content-length': '100' })
    res.write('part')
  })
  const groups = new Map<string, TargetGroupRuntime>()
  const counted = group(t, groups, TG, [target.port])
  const cert = await certificate('arn:cert/h2s', ['h2.test'], true)
  const listener = await openListener(t, listenerConfig({ protocol: 'HTTPS', certificates: [cert], defaultActions: [{ type: 'forward', targetGroups: [{ key: TG, weight: 1 }] }] }), { groups, clock, idleTimeoutMs: 30_000 })
  const client = http2.connect(`https://127.0.0.1:${listener.port}`, { servername: 'h2.test', rejectUnauthorized: false })
  client.on('error', () => undefined)
  t.teardown(() => client.destroy())
  let closed = false
  client.on('close', () => (closed = true))
  let body = ''
  const req = client.request({ ':path': '/' })
  req.on('error', () => undefined)
  req.setEncoding('utf8')
  req.on('data', (d: string) => (body += d))
  req.end()
  t.ok(await eventually(() => body.includes('part')), 'the answer began')
  await clock.advance(30_000)
  await pause(50)
  t.equal(closed, false, 'one idle period after its last byte: still open (a waiting stream gets its 504 then)')
  await clock.advance(60_000)
  t.ok(await eventually(() => closed), 'destroyed within three idle periods of its last byte')
  t.ok(await eventually(() => counted.releases === 1), 'the target pick released')
})
