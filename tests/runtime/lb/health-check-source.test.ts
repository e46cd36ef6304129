// Health checks come from the load balancer's address (runtime/lb/
// health-check.ts, target-group.ts, plane.ts), as its data connections do:
// a target recording where its health checks come from sees the 127.x
// address of the load balancer that forwards to its group, HTTP and TCP
// checks alike; a group two load balancers use is checked from the one with
// the lowest key, and from the other once that one is gone.
import t, { type Test } from 'tap'
import http from 'node:http'
import net from 'node:net'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { probe, parseMatcher } from '../../../runtime/lb/health-check.js'
import type { HealthCheckConfig, LoadBalancerConfig, TargetGroupConfig } from '../../../runtime/lb/model.js'
import { LoadBalancerPlane } from '../../../runtime/lb/plane.js'
import { freePort, tcpGroupConfig, tcpListenerConfig, testAddress } from './tcp-fixtures.js'

const HOST = '127.0.0.1'

/** An HTTP target answering 200, keeping the remote address of every request. */
async function httpTarget(t: Test): Promise<{ port: number; from: string[] }> {
  const from: string[] = []
  const server = http.createServer((req, res) => {
    from.push(req.socket.remoteAddress ?? '')
    res.end('ok')
  })
  await new Promise<void>((r) => server.listen(0, HOST, r))
  t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()) }))
  return { port: (server.address() as net.AddressInfo).port, from }
}

/** A TCP target keeping the remote address of every connection. */
async function tcpTarget(t: Test): Promise<{ port: number; from: string[] }> {
  const from: string[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    from.push(s.remoteAddress ?? '')
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, HOST, r))
  t.teardown(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()) }))
  return { port: (server.address() as net.AddressInfo).port, from }
}

const HTTP_CHECK: HealthCheckConfig = { enabled: true, protocol: 'HTTP', port: 'traffic-port', path: '/health', intervalMs: 5_000, timeoutMs: 2_000, healthyThreshold: 2, unhealthyThreshold: 2, matcher: '200' }

function lb(key: string, type: 'application' | 'network', address: string, port: number, group: string): LoadBalancerConfig {
  return {
    key, name: key, type, address, idleTimeoutMs: 60_000,
    listeners: [tcpListenerConfig(`${key}-l`, port, [group], { protocol: type === 'application' ? 'HTTP' : 'TCP' })]
  }
}

async function until(what: string, check: () => boolean, clock: ManualClock): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) {
    await clock.advance(1_000)
    await new Promise((r) => setTimeout(r, 5))
  }
  if (!check()) throw new Error(`not reached: ${what}`)
}

t.test('a probe connects from the address it is given (HTTP and TCP)', async (t) => {
  const clock = new ManualClock()
  const web = await httpTarget(t)
  const raw = await tcpTarget(t)
  const from = testAddress()
  const target = (port: number) => ({ id: HOST, port, host: HOST })
  const ok = await probe(HTTP_CHECK, parseMatcher('200'), target(web.port), { clock, localAddress: from })
  t.same(ok, { ok: true, statusCode: 200 })
  t.same(web.from, [from], 'the HTTP check came from it')
  t.same(await probe({ ...HTTP_CHECK, protocol: 'TCP' }, parseMatcher('200'), target(raw.port), { clock, localAddress: from }), { ok: true })
  await new Promise((r) => setTimeout(r, 20))
  t.same(raw.from, [from], 'the TCP check too')
})

t.test('health checks of a group come from the address of the load balancer that forwards to it', async (t) => {
  const clock = new ManualClock()
  const plane = new LoadBalancerPlane({ clock })
  t.teardown(() => plane.close())
  const web = await httpTarget(t)
  const raw = await tcpTarget(t)
  const httpGroup: TargetGroupConfig = { ...tcpGroupConfig('tg-web', { protocol: 'HTTP', healthCheck: HTTP_CHECK }) }
  const tcpGroup = tcpGroupConfig('tg-raw', { healthCheck: { ...HTTP_CHECK, protocol: 'TCP' } })
  plane.targetGroup(httpGroup).register([{ id: HOST, port: web.port, host: HOST }])
  plane.targetGroup(tcpGroup).register([{ id: HOST, port: raw.port, host: HOST }])
  const alb = testAddress()
  const nlb = testAddress()
  await plane.apply(lb('arn:alb', 'application', alb, await freePort(alb), 'tg-web'))
  await plane.apply(lb('arn:nlb', 'network', nlb, await freePort(nlb), 'tg-raw'))
  await until('both checked twice', () => web.from.length >= 2 && raw.from.length >= 2, clock)
  t.same([...new Set(web.from)], [alb], `HTTP checks from the ALB's ${alb}, not 127.0.0.1`)
  t.same([...new Set(raw.from)], [nlb], `TCP checks from the NLB's ${nlb}`)
  t.equal(plane.getTargetGroup('tg-web')!.health()[0].state, 'healthy', 'and they pass')
})

t.test('a group two load balancers use is checked from the one with the lowest key, then from the other when it goes', async (t) => {
  const clock = new ManualClock()
  const plane = new LoadBalancerPlane({ clock })
  t.teardown(() => plane.close())
  const raw = await tcpTarget(t)
  plane.targetGroup(tcpGroupConfig('tg-shared', { healthCheck: { ...HTTP_CHECK, protocol: 'TCP' } })).register([{ id: HOST, port: raw.port, host: HOST }])
  const first = testAddress()
  const second = testAddress()
  // Applied in the other order: the choice is by key, not by which came last.
  await plane.apply(lb('arn:b', 'network', second, await freePort(second), 'tg-shared'))
  await plane.apply(lb('arn:a', 'network', first, await freePort(first), 'tg-shared'))
  const seen = raw.from.length
  await until('checked twice more', () => raw.from.length >= seen + 2, clock)
  t.equal(raw.from.at(-1), first, 'from arn:a\'s address')
  await plane.remove('arn:a')
  const after = raw.from.length
  await until('checked again', () => raw.from.length >= after + 2, clock)
  t.equal(raw.from.at(-1), second, 'arn:a gone: from arn:b\'s address')
})
