// The real TargetGroup behind the real HTTP listener (runtime/lb/http/), with
// Node servers on 127.0.0.1 as targets and health checks on a ManualClock:
// requests spread round robin; a target that dies is taken out within
// interval × unhealthyThreshold + timeout and no request fails afterwards;
// a draining target finishes the request it holds (none lost) and gets no
// new ones; an AWSALB-pinned client is re-pinned when its target turns
// unhealthy; least_outstanding_requests sends new requests to the target
// with fewer held open (round robin does not); when every target fails its
// checks, requests still reach them all (fail-open), and the first to turn
// healthy again takes them all.
import { EventEmitter, once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import t, { type Test } from 'tap'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { HttpListener } from '../../../runtime/lb/http/index.js'
import { DEFAULT_LB_LIMITS, type Algorithm, type ListenerConfig, type TargetGroupConfig, type TargetSpec } from '../../../runtime/lb/model.js'
import { TargetGroup } from '../../../runtime/lb/target-group.js'
import { config, httpBackend, type Backend } from './target-group-fixtures.js'

const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2'

async function setUp(t: Test, cfg: TargetGroupConfig) {
  const clock = new ManualClock(2_000_000)
  const tg = new TargetGroup(cfg, { clock })
  t.teardown(() => tg.close())
  const listenerConfig: ListenerConfig = {
    key: LISTENER, protocol: 'HTTP', port: 0, certificates: [], rules: [],
    defaultActions: [{ type: 'forward', targetGroups: [{ key: cfg.key, weight: 1 }] }]
  }
  const listener = await HttpListener.open(listenerConfig, {
    address: '127.0.0.1', idleTimeoutMs: 60_000, limits: DEFAULT_LB_LIMITS, clock,
    targetGroup: (key) => (key === cfg.key ? tg : undefined)
  })
  t.teardown(() => listener.close())
  tg.setInUse(true)
  return { clock, tg, port: listener.port }
}

function get(port: number, path: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; body: string; cookies: string[] }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), cookies: res.headers['set-cookie'] ?? [] }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Which backend got the request for `path`. */
const who = (backends: Backend[], path: string) => backends.findIndex((b) => b.hits.includes(path))

/** Fires the group's first checks and waits (on its change events, not on time) until every target is healthy. */
async function allHealthy(clock: ManualClock, tg: TargetGroup): Promise<void> {
  const done = () => tg.health().every((h) => h.state === 'healthy')
  const reached = new Promise<void>((resolve) => {
    const off = tg.onChange(() => { if (done()) { off(); resolve() } })
    if (done()) { off(); resolve() }
  })
  await clock.advance(0)
  await reached
}

interface Holding {
  readonly port: number
  readonly spec: TargetSpec
  /** What /health answers from now on. */
  health: number
  /** Request paths received (health checks apart). */
  readonly hits: string[]
  /** Requests to /hold… held open now. */
  readonly holding: number
  /** Answers every request held open; returns their paths. */
  release(): string[]
}

/**
 * A target that answers /health with its `health` status, holds requests to
 * /hold… open until release() (emitting 'held' on `events` as each arrives),
 * and answers the rest at once with 200.
 */
async function holdingTarget(t: Test, events: EventEmitter): Promise<Holding> {
  const hits: string[] = []
  const held: { path: string; res: http.ServerResponse }[] = []
  const server = http.createServer((req, res) => {
    const path = req.url ?? ''
    if (path === '/health') {
      res.writeHead(target.health, { 'content-type': 'text/plain' })
      res.end('health')
      return
    }
    hits.push(path)
    if (path.startsWith('/hold')) {
      held.push({ path, res })
      events.emit('held')
      return
    }
    res.end(`ok ${path}`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); return new Promise<void>((resolve) => server.close(() => resolve())) })
  const port = (server.address() as net.AddressInfo).port
  const target: Holding = {
    port,
    spec: { id: '127.0.0.1', port, host: '127.0.0.1' },
    health: 200,
    hits,
    get holding() { return held.length },
    release: () => held.splice(0).map(({ path, res }) => { res.end(`ok ${path}`); return path })
  }
  return target
}

/** Waits (on 'held' events) until the targets hold n requests between them. */
async function untilHeld(events: EventEmitter, targets: readonly Holding[], n: number): Promise<void> {
  while (targets.reduce((sum, x) => sum + x.holding, 0) < n) await once(events, 'held')
}

t.test('round robin through the listener; a dead target is out in time and no request fails after', async (t) => {
  const a = await httpBackend(t)
  const b = await httpBackend(t)
  const intervalMs = 5_000
  const timeoutMs = 2_000
  const unhealthyThreshold = 2
  const { clock, tg, port } = await setUp(t, config({ healthCheck: { path: '/health', intervalMs, timeoutMs, unhealthyThreshold } }))
  tg.register([a.spec, b.spec])
  await clock.advance(0)
  for (let i = 0; i < 4; i++) t.equal((await get(port, `/r${i}`)).status, 200)
  t.same([0, 1, 2, 3].map((i) => who([a, b], `/r${i}`)).sort(), [0, 0, 1, 1], 'two each')
  const diedAt = clock.now()
  await a.stop()
  let outAt: number | undefined
  tg.onChange((h) => { if (h.port === a.port && h.state === 'unhealthy') outAt = clock.now() })
  while (outAt === undefined && clock.now() - diedAt < 60_000) await clock.advance(1_000)
  t.ok(outAt !== undefined && outAt - diedAt <= intervalMs * unhealthyThreshold + timeoutMs, `out ${outAt! - diedAt} ms after it died`)
  for (let i = 0; i < 4; i++) {
    const r = await get(port, `/after${i}`)
    t.equal(r.status, 200, `request ${i} after removal`)
    t.equal(who([a, b], `/after${i}`), 1)
  }
})

t.test('draining: the request in flight finishes (none lost), no new ones, the target shown draining until the delay, then gone', async (t) => {
  const b = await httpBackend(t)
  // A target that holds /slow until told.
  let releaseSlow: () => void = () => {}
  const slowHeld = new Promise<void>((resolve) => { releaseSlow = resolve })
  let slowArrived: () => void = () => {}
  const arrived = new Promise<void>((resolve) => { slowArrived = resolve })
  const hits: string[] = []
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '')
    if (req.url === '/slow') {
      slowArrived()
      void slowHeld.then(() => res.end('slow done'))
      return
    }
    res.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); return new Promise<void>((resolve) => server.close(() => resolve())) })
  const slowPort = (server.address() as net.AddressInfo).port
  const { clock, tg, port } = await setUp(t, config({ healthCheck: { path: '/health' }, stickiness: { enabled: true, type: 'lb_cookie', durationMs: 60_000 } }))
  const slowTarget = { id: '127.0.0.1', port: slowPort, host: '127.0.0.1' }
  tg.register([slowTarget])
  await clock.advance(0)
  t.equal(tg.health()[0].state, 'healthy')
  const inFlight = get(port, '/slow')
  await arrived
  tg.register([b.spec])
  await clock.advance(0)
  tg.deregister([slowTarget])
  t.equal(tg.health([slowTarget])[0].state, 'draining')
  for (let i = 0; i < 3; i++) t.equal((await get(port, `/new${i}`)).status, 200)
  t.same(hits.filter((h) => h.startsWith('/new')), [], 'no new requests to the draining target')
  t.same(b.hits.filter((h) => h.startsWith('/new')), ['/new0', '/new1', '/new2'])
  releaseSlow()
  const done = await inFlight
  t.same([done.status, done.body], [200, 'slow done'], 'the in-flight request finished')
  await clock.advance(0)
  t.equal(tg.inFlight, 0, 'nothing in flight any more')
  t.equal(tg.health([slowTarget])[0].state, 'draining', 'still shown draining (as ELB does until the delay expires)')
  await clock.advance(tg.config.deregistrationDelayMs)
  t.match(tg.health([slowTarget]), [{ state: 'unused', reason: 'Target.NotRegistered' }], 'gone at the deregistration delay')
})

t.test('AWSALB stickiness: pinned, then re-pinned when the target turns unhealthy', async (t) => {
  const a = await httpBackend(t)
  const b = await httpBackend(t)
  const { clock, tg, port } = await setUp(t, config({ healthCheck: { path: '/health', intervalMs: 5_000, unhealthyThreshold: 2 }, stickiness: { enabled: true, type: 'lb_cookie', durationMs: 3_600_000 } }))
  tg.register([a.spec, b.spec])
  await clock.advance(0)
  const first = await get(port, '/s0')
  const cookie = first.cookies.find((c) => c.startsWith('AWSALB='))
  t.ok(cookie, 'AWSALB set')
  const jar = cookie!.split(';')[0]
  const pinned = who([a, b], '/s0')
  for (let i = 1; i < 5; i++) {
    await get(port, `/s${i}`, { cookie: jar })
    t.equal(who([a, b], `/s${i}`), pinned, `request ${i} on the pinned target`)
  }
  ;[a, b][pinned].behave({ status: 500 })
  await clock.advance(5_000)
  await clock.advance(5_000)
  t.equal(tg.health().find((h) => h.port === [a, b][pinned].port)!.state, 'unhealthy')
  const moved = await get(port, '/moved', { cookie: jar })
  t.equal(moved.status, 200)
  t.equal(who([a, b], '/moved'), 1 - pinned, 're-pinned to the healthy target')
  const again = moved.cookies.find((c) => c.startsWith('AWSALB='))!.split(';')[0]
  await get(port, '/moved2', { cookie: again })
  t.equal(who([a, b], '/moved2'), 1 - pinned, 'and stays there')
})

t.test('least_outstanding_requests: new requests go to the target with fewer held open; round robin alternates regardless', async (t) => {
  type Reply = Awaited<ReturnType<typeof get>>
  // Two targets each holding 3 requests; those on B are answered: A has 3 outstanding, B none.
  const loaded = async (algorithm: Algorithm) => {
    const events = new EventEmitter()
    const a = await holdingTarget(t, events)
    const b = await holdingTarget(t, events)
    const { clock, tg, port } = await setUp(t, config({ algorithm, healthCheck: { path: '/health' } }))
    tg.register([a.spec, b.spec])
    await allHealthy(clock, tg)
    const replies = new Map<string, Promise<Reply>>()
    let total = 0
    /** A request to /hold…, resolved once a target holds it (it must not be answered first). */
    const hold = async (path: string) => {
      const reply = get(port, path)
      replies.set(path, reply)
      total++
      const first = await Promise.race([untilHeld(events, [a, b], total).then(() => 'held'), reply.then((r) => `answered ${r.status}`)])
      t.equal(first, 'held', `${path} held`)
    }
    for (let i = 0; i < 6; i++) await hold(`/hold${i}`)
    t.same([a.holding, b.holding], [3, 3], `${algorithm}: 3 held on each`)
    const released = b.release()
    total -= released.length
    for (const path of released) t.equal((await replies.get(path)!).status, 200, `${path} answered by B`)
    t.same([a.holding, b.holding], [3, 0], `${algorithm}: A has 3 outstanding, B none`)
    /** Releases everything still held and checks every held request was answered. */
    const finish = async () => {
      a.release()
      b.release()
      for (const [path, reply] of replies) t.equal((await reply).status, 200, `${path} answered`)
    }
    return { a, b, port, hold, finish }
  }

  const lor = await loaded('least_outstanding_requests')
  for (let i = 0; i < 4; i++) t.equal((await get(lor.port, `/next${i}`)).status, 200, `request ${i}`)
  t.same(lor.a.hits.filter((h) => h.startsWith('/next')), [], 'least_outstanding_requests: none to A while it has 3 outstanding')
  t.same(lor.b.hits.filter((h) => h.startsWith('/next')), ['/next0', '/next1', '/next2', '/next3'], 'all to B')
  // B catches up: it takes new held requests until both hold 3, then they share again.
  for (let i = 0; i < 3; i++) await lor.hold(`/holdB${i}`)
  t.same([lor.a.holding, lor.b.holding], [3, 3], 'the next 3 held go to B (fewer outstanding)')
  for (let i = 0; i < 2; i++) await lor.hold(`/holdAB${i}`)
  t.same([lor.a.holding, lor.b.holding], [4, 4], 'then one each')
  await lor.finish()

  const rr = await loaded('round_robin')
  for (let i = 0; i < 4; i++) t.equal((await get(rr.port, `/next${i}`)).status, 200, `request ${i}`)
  t.equal(rr.a.hits.filter((h) => h.startsWith('/next')).length, 2, 'round_robin: half to A despite its 3 outstanding')
  t.equal(rr.b.hits.filter((h) => h.startsWith('/next')).length, 2, 'and half to B')
  await rr.finish()
})

t.test('fail-open: every target failing its checks still gets requests; the first healthy again gets them all', async (t) => {
  const events = new EventEmitter()
  const a = await holdingTarget(t, events)
  const b = await holdingTarget(t, events)
  const intervalMs = 5_000
  const { clock, tg, port } = await setUp(t, config({ healthCheck: { path: '/health', intervalMs, timeoutMs: 2_000, unhealthyThreshold: 2, healthyThreshold: 3 } }))
  tg.register([a.spec, b.spec])
  await allHealthy(clock, tg)
  const state = (x: Holding) => tg.health([x.spec])[0].state
  a.health = 500
  b.health = 500
  for (let i = 0; i < 20 && !(state(a) === 'unhealthy' && state(b) === 'unhealthy'); i++) await clock.advance(intervalMs)
  t.match(tg.health([a.spec, b.spec]), [
    { port: a.port, state: 'unhealthy', reason: 'Target.ResponseCodeMismatch' },
    { port: b.port, state: 'unhealthy', reason: 'Target.ResponseCodeMismatch' }
  ], 'both unhealthy')
  for (let i = 0; i < 6; i++) {
    const r = await get(port, `/open${i}`)
    t.same([r.status, r.body], [200, `ok /open${i}`], `request ${i} answered while all are unhealthy`)
  }
  t.same([a.hits.length, b.hits.length], [3, 3], 'spread over both unhealthy targets (fail-open)')
  a.health = 200
  for (let i = 0; i < 40 && state(a) !== 'healthy'; i++) await clock.advance(intervalMs)
  t.same([state(a), state(b)], ['healthy', 'unhealthy'], 'A healthy again, B still not')
  for (let i = 0; i < 6; i++) t.equal((await get(port, `/after${i}`)).status, 200, `request ${i} after A's recovery`)
  t.same(a.hits.filter((h) => h.startsWith('/after')), ['/after0', '/after1', '/after2', '/after3', '/after4', '/after5'], 'all to A')
  t.same(b.hits.filter((h) => h.startsWith('/after')), [], 'none to the unhealthy B')
})
