// NLB listeners (runtime/lb/tcp.ts) over real loopback sockets: connection-
// level round robin with half-close, no target, a refusing target, the
// connection limit, the idle timeout on the manual clock, a port already
// taken, and TCP_UDP / UDP flows.
import t, { type Test } from 'tap'
import net from 'node:net'
import dgram from 'node:dgram'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { StratusError } from '../../../runtime/errors.js'
import { DEFAULT_LB_LIMITS, type LbLimits, type ListenerConfig, type TargetGroupRuntime } from '../../../runtime/lb/model.js'
import { TcpListener } from '../../../runtime/lb/tcp.js'
import { TargetGroup } from '../../../runtime/lb/target-group.js'
import { backend, converse, firstLine, freePort, tcpGroupConfig, tcpListenerConfig, udpBackend, type Backend } from './tcp-fixtures.js'


const HOST = '127.0.0.1'

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5))
  if (!check()) throw new Error(`not reached: ${what}`)
}

async function backends(t: Test, ...names: string[]): Promise<Backend[]> {
  const list = await Promise.all(names.map((n) => backend(n)))
  t.teardown(() => Promise.all(list.map((b) => b.close())))
  return list
}

/** What the group's targets have open: a connection holds its pick until release(). */
const held = (g: TargetGroup): number => g.inFlight

function group(clock: ManualClock, key: string, targets: readonly { port: number; host: string }[]): TargetGroup {
  const g = new TargetGroup(tcpGroupConfig(key), { clock })
  g.register(targets.map((b) => ({ id: b.host, port: b.port, host: b.host })))
  return g
}

async function open(t: Test, config: ListenerConfig, groups: readonly TargetGroupRuntime[], o: { clock?: ManualClock; limits?: Partial<LbLimits>; idleTimeoutMs?: number } = {}): Promise<TcpListener> {
  const clock = o.clock ?? new ManualClock()
  const byKey = new Map(groups.map((g) => [g.config.key, g]))
  const listener = await TcpListener.open(config, {
    address: HOST, idleTimeoutMs: o.idleTimeoutMs ?? 350_000, limits: { ...DEFAULT_LB_LIMITS, ...o.limits }, clock,
    targetGroup: (key) => byKey.get(key)
  })
  t.teardown(() => listener.close())
  return listener
}

t.test('connections go round robin over two targets, bytes flow both ways, half-close reaches the target and its answer comes back', async (t) => {
  const clock = new ManualClock()
  const [a, b] = await backends(t, 'a', 'b')
  const g = group(clock, 'tg-rr', [a, b])
  const listener = await open(t, tcpListenerConfig('l-rr', 0, ['tg-rr']), [g], { clock })
  t.not(listener.port, 0, 'bound on a real port')
  const seen: string[] = []
  for (let i = 0; i < 4; i++) {
    const c = await converse(listener.port, HOST, `ping ${i}\n`)
    const name = c.received.split('\n')[0]
    seen.push(name)
    t.equal(c.received, `${name}\nping ${i}\nbye ${name}\n`, `connection ${i}: echo, then the target's answer to the half-close`)
    t.equal(c.error, undefined)
  }
  t.not(seen[0], seen[1], 'one target per connection, in turn')
  t.same(seen.slice(2), seen.slice(0, 2))
  t.equal(a.ended + b.ended, 4, 'each target saw the client half-close')
  await until('no connection left', () => listener.connections === 0)
  t.equal(held(g), 0, 'every connection released its target')
})

t.test('with no target, or a group that does not exist, or no forward action, the connection is reset', async (t) => {
  const empty = new TargetGroup(tcpGroupConfig('tg-empty'), { clock: new ManualClock() })
  for (const [what, config] of [
    ['no registered target', tcpListenerConfig('l1', 0, ['tg-empty'])],
    ['an unknown target group', tcpListenerConfig('l2', 0, ['tg-missing'])],
    ['a fixed-response default action', tcpListenerConfig('l3', 0, [], { defaultActions: [{ type: 'fixed-response', statusCode: '200' }] })]
  ] as const) {
    const listener = await open(t, config, [empty])
    const c = await converse(listener.port, HOST, 'hello\n')
    t.equal(c.received, '', `${what}: nothing comes back`)
    t.equal(c.error, 'ECONNRESET', `${what}: the client sees a reset`)
  }
})

t.test('a target that refuses the connection: the client is reset and the pick released', async (t) => {
  const clock = new ManualClock()
  const port = await freePort(HOST)
  const g = group(clock, 'tg-refuse', [{ host: HOST, port }])
  const listener = await open(t, tcpListenerConfig('l-refuse', 0, ['tg-refuse']), [g], { clock })
  const c = await converse(listener.port, HOST, 'x\n')
  t.equal(c.received, '')
  t.equal(c.error, 'ECONNRESET')
  await until('no connection left', () => listener.connections === 0)
  t.equal(held(g), 0, 'the pick was released')
})

t.test('a target that resets mid-connection resets the client', async (t) => {
  const clock = new ManualClock()
  const server = net.createServer((s) => { s.write('hi\n'); s.on('data', () => s.resetAndDestroy()) })
  await new Promise<void>((r) => server.listen(0, HOST, r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const g = group(clock, 'tg-reset', [{ host: HOST, port: (server.address() as net.AddressInfo).port }])
  const listener = await open(t, tcpListenerConfig('l-reset', 0, ['tg-reset']), [g], { clock })
  const socket = net.connect(listener.port, HOST)
  t.equal(await firstLine(socket), 'hi')
  const error = new Promise<string>((resolve) => socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')))
  socket.write('boom\n')
  t.equal(await error, 'ECONNRESET')
  await until('no connection left', () => listener.connections === 0)
  t.equal(held(g), 0, 'the pick was released')
})

t.test('the connection limit: connections beyond it are closed at once, and a freed slot is usable again', async (t) => {
  const clock = new ManualClock()
  const [a] = await backends(t, 'a')
  const g = group(clock, 'tg-limit', [a])
  const listener = await open(t, tcpListenerConfig('l-limit', 0, ['tg-limit']), [g], { clock, limits: { maxConnectionsPerListener: 2 } })
  const held = [net.connect(listener.port, HOST), net.connect(listener.port, HOST)]
  t.teardown(() => { for (const s of held) s.destroy() })
  for (const s of held) t.equal(await firstLine(s), 'a')
  const extra = await converse(listener.port, HOST, 'x\n')
  t.equal(extra.received, '', 'the third connection gets nothing')
  t.equal(a.connections, 2, 'and never reaches the target')
  held[0].destroy()
  await until('a slot freed', () => listener.connections === 1)
  const again = await converse(listener.port, HOST, 'y\n')
  t.equal(again.received, 'a\ny\nbye a\n')
})

t.test('idle connections are closed after the idle timeout on the clock; active ones stay', async (t) => {
  const clock = new ManualClock()
  const [a] = await backends(t, 'a')
  const g = group(clock, 'tg-idle', [a])
  const listener = await open(t, tcpListenerConfig('l-idle', 0, ['tg-idle']), [g], { clock, idleTimeoutMs: 10_000 })
  const idle = net.connect(listener.port, HOST)
  const busy = net.connect(listener.port, HOST)
  t.teardown(() => { idle.destroy(); busy.destroy() })
  t.equal(await firstLine(idle), 'a')
  t.equal(await firstLine(busy), 'a')
  const idleClosed = new Promise<void>((r) => idle.once('close', () => r()))
  let busyClosed = false
  busy.once('close', () => { busyClosed = true })
  for (let i = 0; i < 12; i++) {
    busy.write('tick\n')
    await new Promise((r) => setTimeout(r, 5))
    await clock.advance(1_000)
  }
  await idleClosed
  t.pass('the idle connection was closed')
  t.notOk(busyClosed, 'the connection with traffic was not')
  await until('one connection left', () => listener.connections === 1)
  t.equal(held(g), 1, 'the open connection holds its target')
  busy.destroy()
  await until('released', () => held(g) === 0)
  t.pass('and releases it when it closes')
})

t.test('a port already taken on the address: a coded error naming the port', async (t) => {
  const taken = net.createServer()
  await new Promise<void>((r) => taken.listen(0, HOST, r))
  t.teardown(() => new Promise<void>((r) => taken.close(() => r())))
  const port = (taken.address() as net.AddressInfo).port
  const error = await TcpListener.open(tcpListenerConfig('l-taken', port, []), {
    address: HOST, idleTimeoutMs: 0, limits: DEFAULT_LB_LIMITS, clock: new ManualClock(), targetGroup: () => undefined
  }).then(() => undefined, (e: unknown) => e)
  t.ok(error instanceof StratusError)
  t.equal((error as StratusError).code, 'ListenerPortUnavailable')
  t.equal((error as StratusError).kind, 'Conflict')
  t.match((error as StratusError).message, new RegExp(`port ${port} on ${HOST} is already in use`))
})

t.test('UDP and TCP_UDP: each client flow keeps its target, replies come back, idle flows end on the clock', async (t) => {
  const clock = new ManualClock()
  const ua = await udpBackend('ua')
  const ub = await udpBackend('ub')
  t.teardown(() => Promise.all([ua.close(), ub.close()]))
  const [ta] = await backends(t, 'ta')
  const g = new TargetGroup(tcpGroupConfig('tg-udp', { protocol: 'TCP_UDP' }), { clock })
  // The same port serves both: the TCP and the UDP backends share no port here, so each target is its own.
  g.register([{ id: HOST, port: ua.port, host: HOST }, { id: HOST, port: ub.port, host: HOST }])
  const listener = await open(t, tcpListenerConfig('l-udp', 0, ['tg-udp'], { protocol: 'UDP' }), [g], { clock })
  const clients = [dgram.createSocket('udp4'), dgram.createSocket('udp4')]
  t.teardown(() => { for (const c of clients) c.close() })
  const ask = (c: dgram.Socket, text: string) => new Promise<string>((resolve) => {
    c.once('message', (m) => resolve(m.toString()))
    c.send(text, listener.port, HOST)
  })
  const first = [await ask(clients[0], 'one'), await ask(clients[1], 'two')]
  t.same(first.map((s) => s.split(':')[0]).sort(), ['ua', 'ub'], 'two flows, two targets')
  t.equal(await ask(clients[0], 'again'), `${first[0].split(':')[0]}:again`, 'a flow keeps its target')
  t.equal(listener.flows, 2)
  t.equal(held(g), 2, 'each flow holds its target')
  await clock.advance(130_000)
  t.equal(listener.flows, 0, 'idle flows ended after the UDP idle timeout')
  t.equal(held(g), 0, 'and released their targets')

  const both = await open(t, tcpListenerConfig('l-tcpudp', 0, ['tg-tcpudp'], { protocol: 'TCP_UDP' }), [
    (() => { const x = new TargetGroup(tcpGroupConfig('tg-tcpudp', { protocol: 'TCP_UDP' }), { clock }); x.register([{ id: HOST, port: ta.port, host: HOST }]); return x })()
  ], { clock })
  const c = await converse(both.port, HOST, 'tcp\n')
  t.equal(c.received, 'ta\ntcp\nbye ta\n', 'TCP on a TCP_UDP listener')
  const bound = await new Promise<boolean>((resolve) => {
    const s = dgram.createSocket('udp4')
    s.once('error', () => resolve(true))
    s.bind({ port: both.port, address: HOST, exclusive: true }, () => { s.close(); resolve(false) })
  })
  t.ok(bound, 'and the same port is bound for UDP')
})

t.test('source_ip stickiness: every connection from one client address goes to the same target', async (t) => {
  const clock = new ManualClock()
  const list = await backends(t, 'a', 'b', 'c')
  const g = new TargetGroup(tcpGroupConfig('tg-sticky', { stickiness: { enabled: true, type: 'source_ip', durationMs: 0 } }), { clock })
  g.register(list.map((b) => ({ id: b.host, port: b.port, host: b.host })))
  const listener = await open(t, tcpListenerConfig('l-sticky', 0, ['tg-sticky']), [g], { clock })
  const seen = new Set<string>()
  for (let i = 0; i < 6; i++) seen.add((await converse(listener.port, HOST, 'x\n')).received.split('\n')[0])
  t.equal(seen.size, 1, `one target for 127.0.0.1 (${[...seen].join(', ')})`)
})

t.test('weighted target groups: connections split by weight, a weight-0 group gets none; update() switches groups for new connections', async (t) => {
  const clock = new ManualClock()
  const [a, b] = await backends(t, 'a', 'b')
  const ga = group(clock, 'tg-a', [a])
  const gb = group(clock, 'tg-b', [b])
  const weighted = (wa: number, wb: number) => tcpListenerConfig('l-w', 0, [], {
    defaultActions: [{ type: 'forward', targetGroups: [{ key: 'tg-a', weight: wa }, { key: 'tg-b', weight: wb }] }]
  })
  const listener = await open(t, weighted(1, 0), [ga, gb], { clock })
  for (let i = 0; i < 5; i++) t.equal((await converse(listener.port, HOST, 'x\n')).received.split('\n')[0], 'a', `connection ${i}: weight 0 gets none`)
  listener.update({ ...weighted(0, 1), port: listener.port })
  for (let i = 0; i < 5; i++) t.equal((await converse(listener.port, HOST, 'x\n')).received.split('\n')[0], 'b', `connection ${i} after update()`)
  listener.update({ ...weighted(1, 1), port: listener.port })
  const names = new Set<string>()
  for (let i = 0; i < 40 && names.size < 2; i++) names.add((await converse(listener.port, HOST, 'x\n')).received.split('\n')[0])
  t.same([...names].sort(), ['a', 'b'], 'equal weights reach both groups')
  t.throws(() => listener.update({ ...weighted(1, 1), protocol: 'TLS' }), { code: 'ListenerRebindRequired' }, 'a protocol change needs a new listener')
})
