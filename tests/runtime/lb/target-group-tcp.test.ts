// The real TargetGroup behind the real TCP listener (NLB): TCP health checks
// on a ManualClock, connections spread round robin, least outstanding counts
// open connections (released when they close), source_ip keeps a client on
// one target, and a stopped target is taken out by the TCP checks.
import net from 'node:net'
import t, { type Test } from 'tap'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { DEFAULT_LB_LIMITS, type ListenerConfig, type TargetGroupConfig, type TargetSpec } from '../../../runtime/lb/model.js'
import { TcpListener } from '../../../runtime/lb/tcp.js'
import { TargetGroup } from '../../../runtime/lb/target-group.js'
import { config, tcpBackend } from './target-group-fixtures.js'

const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/net/web/50dc6c495c0c9188/f2f7dc8efc522ab2'

/** A TCP target that greets each connection with its name and keeps it open until the client ends it. */
function greeter(t: Test, name: string): Promise<{ spec: TargetSpec; stop(): Promise<void> }> {
  return tcpBackend(t, (s) => {
    s.on('end', () => s.end())
    s.write(name)
  })
}

async function setUp(t: Test, cfg: TargetGroupConfig) {
  const clock = new ManualClock(3_000_000)
  const tg = new TargetGroup(cfg, { clock })
  t.teardown(() => tg.close())
  const lc: ListenerConfig = { key: LISTENER, protocol: 'TCP', port: 0, certificates: [], rules: [], defaultActions: [{ type: 'forward', targetGroups: [{ key: cfg.key, weight: 1 }] }] }
  const listener = await TcpListener.open(lc, { address: '127.0.0.1', idleTimeoutMs: 350_000, limits: DEFAULT_LB_LIMITS, clock, targetGroup: (key) => (key === cfg.key ? tg : undefined) })
  t.teardown(() => listener.close())
  tg.setInUse(true)
  return { clock, tg, port: listener.port }
}

/** Connects and reads the greeting; the socket stays open until closed by the caller. */
function hello(port: number): Promise<{ name: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.once('data', (d: Buffer) => resolve({ name: d.toString(), socket }))
    socket.once('error', reject)
    socket.once('close', () => reject(new Error('closed before a greeting')))
  })
}

function close(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.once('close', () => resolve())
    socket.end()
  })
}

const tcp = (over: Parameters<typeof config>[0] = {}) => config({ protocol: 'TCP', port: 9000, ...over, healthCheck: { protocol: 'TCP', intervalMs: 10_000, unhealthyThreshold: 2, ...over.healthCheck } })

t.test('round robin over connections; a stopped target is taken out by TCP checks', async (t) => {
  const a = await greeter(t, 'a')
  const b = await greeter(t, 'b')
  const { clock, tg, port } = await setUp(t, tcp())
  tg.register([a.spec, b.spec])
  await clock.advance(0)
  t.same(tg.health().map((h) => h.state), ['healthy', 'healthy'])
  const names: string[] = []
  for (let i = 0; i < 4; i++) {
    const c = await hello(port)
    names.push(c.name)
    await close(c.socket)
  }
  t.same(names.sort(), ['a', 'a', 'b', 'b'])
  await a.stop()
  await clock.advance(10_000)
  await clock.advance(10_000)
  t.match(tg.health()[0], { state: 'unhealthy', reason: 'Target.FailedHealthChecks' })
  for (let i = 0; i < 3; i++) {
    const c = await hello(port)
    t.equal(c.name, 'b')
    await close(c.socket)
  }
})

t.test('least outstanding: open connections count until they close', async (t) => {
  const a = await greeter(t, 'a')
  const b = await greeter(t, 'b')
  const { clock, tg, port } = await setUp(t, tcp({ algorithm: 'least_outstanding_requests' }))
  tg.register([a.spec, b.spec])
  await clock.advance(0)
  const first = await hello(port)
  // first's connection is open: the next goes to the other target.
  const second = await hello(port)
  t.not(second.name, first.name)
  await close(second.socket)
  // first's target has 1 open, the other 0 (second closed).
  const third = await hello(port)
  t.not(third.name, first.name, 'the idle target')
  await close(first.socket)
  await close(third.socket)
})

t.test('source_ip: every connection from one client reaches one target; draining keeps its open connection', async (t) => {
  const a = await greeter(t, 'a')
  const b = await greeter(t, 'b')
  const { clock, tg, port } = await setUp(t, tcp({ stickiness: { enabled: true, type: 'source_ip', durationMs: 0 }, deregistrationDelayMs: 30_000 }))
  tg.register([a.spec, b.spec])
  await clock.advance(0)
  const open = await hello(port)
  for (let i = 0; i < 3; i++) {
    const c = await hello(port)
    t.equal(c.name, open.name, `connection ${i}: same target`)
    await close(c.socket)
  }
  const pinned = open.name === 'a' ? a : b
  tg.deregister([pinned.spec])
  t.equal(tg.health([pinned.spec])[0].state, 'draining')
  const moved = await hello(port)
  t.not(moved.name, open.name, 'new connections go to the other target')
  await close(moved.socket)
  // The open connection still works while draining.
  open.socket.write('ping')
  await close(open.socket)
  await clock.advance(0)
  t.equal(tg.health([pinned.spec])[0].state, 'draining', 'closed: still shown draining until the delay')
  await clock.advance(30_000)
  t.match(tg.health([pinned.spec]), [{ state: 'unused', reason: 'Target.NotRegistered' }], 'gone at the delay')
})
