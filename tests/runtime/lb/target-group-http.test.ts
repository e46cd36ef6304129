// The real TargetGroup behind the real HTTP listener (runtime/lb/http/), with
// Node servers on 127.0.0.1 as targets and health checks on a ManualClock:
// requests spread round robin; a target that dies is taken out within
// interval × unhealthyThreshold + timeout and no request fails afterwards;
// a draining target finishes the request it holds (none lost) and gets no
// new ones; an AWSALB-pinned client is re-pinned when its target turns
// unhealthy.
import http from 'node:http'
import net from 'node:net'
import t, { type Test } from 'tap'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { HttpListener } from '../../../runtime/lb/http/index.js'
import { DEFAULT_LB_LIMITS, type ListenerConfig, type TargetGroupConfig } from '../../../runtime/lb/model.js'
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

t.test('draining: the request in flight finishes (none lost), no new ones, the target leaves at its end', async (t) => {
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
  t.match(tg.health([slowTarget]), [{ state: 'unused', reason: 'Target.NotRegistered' }], 'gone once its last request ended')
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
