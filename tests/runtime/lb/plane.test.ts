// The data plane (runtime/lb/plane.ts) with TCP listeners over real sockets:
// apply() binds on the load balancer's 127.x address, updates listeners in
// place (an open connection survives), rebinds on a port or protocol change,
// rolls back when a port is taken, and keeps setInUse following the listeners.
import t, { type Test } from 'tap'
import http from 'node:http'
import net from 'node:net'
import tls from 'node:tls'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { StratusError } from '../../../runtime/errors.js'
import type { ListenerConfig, LoadBalancerConfig, TargetGroupRuntime } from '../../../runtime/lb/model.js'
import { LoadBalancerPlane } from '../../../runtime/lb/plane.js'
import { backend, converse, firstLine, freePort, listenerCertificate, tcpGroupConfig, tcpListenerConfig, testAddress, type Backend } from './tcp-fixtures.js'

function makePlane(t: Test): { plane: LoadBalancerPlane; clock: ManualClock } {
  const clock = new ManualClock()
  const plane = new LoadBalancerPlane({ clock })
  t.teardown(() => plane.close())
  return { plane, clock }
}

function nlb(address: string, listeners: ListenerConfig[], overrides: Partial<LoadBalancerConfig> = {}): LoadBalancerConfig {
  return { key: 'arn:lb/net/web', name: 'web', type: 'network', address, idleTimeoutMs: 350_000, listeners, ...overrides }
}

/** In use: its targets are out of `unused` (Target.NotInUse) and health checked. */
function inUse(g: TargetGroupRuntime): boolean {
  const states = g.health().map((h) => h.state)
  if (states.length === 0) throw new Error('inUse() needs a registered target')
  return !states.includes('unused')
}

async function backends(t: Test, ...names: string[]): Promise<Backend[]> {
  const list = await Promise.all(names.map((n) => backend(n)))
  t.teardown(() => Promise.all(list.map((b) => b.close())))
  return list
}

/** Whether a connection to address:port is refused (nothing bound there). */
function refused(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host)
    s.once('connect', () => { s.destroy(); resolve(false) })
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'))
  })
}

async function whoAnswers(port: number, host: string): Promise<string> {
  return (await converse(port, host, 'x\n')).received.split('\n')[0]
}

t.test('apply binds the listeners on the load balancer address; a changed action applies in place and an open connection survives', async (t) => {
  const { plane } = makePlane(t)
  const [a, b, c] = await backends(t, 'a', 'b', 'c')
  const blue = plane.targetGroup(tcpGroupConfig('tg-blue'))
  const green = plane.targetGroup(tcpGroupConfig('tg-green'))
  blue.register([a, b].map((x) => ({ id: x.host, port: x.port, host: x.host })))
  green.register([{ id: c.host, port: c.port, host: c.host }])
  t.equal(inUse(blue), false, 'no listener yet: not in use')
  const address = testAddress()
  const port = await freePort(address)
  await plane.apply(nlb(address, [tcpListenerConfig('l-1', port, ['tg-blue'])]))
  t.same(plane.listeners('arn:lb/net/web'), [{ key: 'l-1', protocol: 'TCP', port }])
  t.equal(inUse(blue), true, 'forwarded to: in use')
  t.equal(inUse(green), false)
  t.same([await whoAnswers(port, address), await whoAnswers(port, address)], ['a', 'b'], 'round robin on the load balancer address')

  const open = net.connect(port, address)
  t.teardown(() => open.destroy())
  t.equal(await firstLine(open), 'a')
  await plane.apply(nlb(address, [tcpListenerConfig('l-1', port, ['tg-green'])]))
  t.equal(await whoAnswers(port, address), 'c', 'new connections follow the new action')
  t.equal(inUse(blue), false, 'blue no longer forwarded to')
  t.equal(inUse(green), true)
  open.write('still here\n')
  t.equal(await firstLine(open), 'still here', 'the connection opened before the change still flows')
})

t.test('a port change rebinds (the old port is freed), a protocol change on the same port too, and removed listeners close', async (t) => {
  const { plane } = makePlane(t)
  const [a] = await backends(t, 'a')
  plane.targetGroup(tcpGroupConfig('tg')).register([{ id: a.host, port: a.port, host: a.host }])
  const address = testAddress()
  const [p1, p2, p3] = [await freePort(address), await freePort(address), await freePort(address)]
  await plane.apply(nlb(address, [tcpListenerConfig('l-1', p1, ['tg']), tcpListenerConfig('l-2', p2, ['tg'])]))
  t.equal(await whoAnswers(p1, address), 'a')
  await plane.apply(nlb(address, [tcpListenerConfig('l-1', p3, ['tg']), tcpListenerConfig('l-2', p2, ['tg'])]))
  t.ok(await refused(p1, address), 'the old port is free')
  t.equal(await whoAnswers(p3, address), 'a', 'the new port serves')
  t.equal(await whoAnswers(p2, address), 'a', 'the unchanged listener still serves')

  const certificates = [await listenerCertificate('cert', ['web.example.com'], true)]
  await plane.apply(nlb(address, [tcpListenerConfig('l-1', p3, ['tg'], { protocol: 'TLS', certificates })]))
  const viaTls = await converse(p3, address, 'secret\n', () => tls.connect({ port: p3, host: address, servername: 'web.example.com', rejectUnauthorized: false }))
  t.equal(viaTls.received, 'a\nsecret\nbye a\n', 'TCP → TLS on the same port')
  t.ok(await refused(p2, address), 'the listener gone from the configuration is closed')
  t.same(plane.listeners('arn:lb/net/web').map((l) => `${l.protocol}:${l.port}`), [`TLS:${p3}`])
})

t.test('a port already taken: apply throws a coded error naming it and nothing changes', async (t) => {
  const { plane } = makePlane(t)
  const [a, b] = await backends(t, 'a', 'b')
  const one = plane.targetGroup(tcpGroupConfig('tg-1'))
  const two = plane.targetGroup(tcpGroupConfig('tg-2'))
  one.register([{ id: a.host, port: a.port, host: a.host }])
  two.register([{ id: b.host, port: b.port, host: b.host }])
  const address = testAddress()
  const [p1, pFree] = [await freePort(address), await freePort(address)]
  await plane.apply(nlb(address, [tcpListenerConfig('l-1', p1, ['tg-1'])]))

  const squatter = net.createServer()
  await new Promise<void>((r) => squatter.listen(0, address, r))
  t.teardown(() => new Promise<void>((r) => squatter.close(() => r())))
  const taken = (squatter.address() as net.AddressInfo).port
  const error = await plane.apply(nlb(address, [
    tcpListenerConfig('l-1', p1, ['tg-2']),
    tcpListenerConfig('l-free', pFree, ['tg-2']),
    tcpListenerConfig('l-taken', taken, ['tg-2'])
  ])).then(() => undefined, (e: unknown) => e)
  t.ok(error instanceof StratusError, 'a coded error')
  t.equal((error as StratusError).code, 'ListenerPortUnavailable')
  t.match((error as StratusError).message, new RegExp(`port ${taken} on ${address.replace(/\./g, '\\.')} is already in use`))
  t.ok(await refused(pFree, address), 'the new port bound alongside was closed again')
  t.equal(await whoAnswers(p1, address), 'a', 'the old listener still forwards to its old group')
  t.equal(inUse(one), true)
  t.equal(inUse(two), false, 'in use unchanged')

  // Once the port is free, the same configuration applies.
  await new Promise<void>((r) => squatter.close(() => r()))
  await plane.apply(nlb(address, [tcpListenerConfig('l-1', p1, ['tg-2']), tcpListenerConfig('l-taken', taken, ['tg-2'])]))
  t.equal(await whoAnswers(taken, address), 'b')
  t.equal(await whoAnswers(p1, address), 'b')
  t.equal(inUse(one), false)
})

t.test('setInUse follows the listeners: every weighted group counts, a group created later starts in use, remove() releases', async (t) => {
  const { plane } = makePlane(t)
  const address = testAddress()
  const port = await freePort(address)
  const x = plane.targetGroup(tcpGroupConfig('tg-x'))
  x.register([{ id: '127.0.0.1', port: 9, host: '127.0.0.1' }])
  await plane.apply(nlb(address, [tcpListenerConfig('l', port, ['tg-x', 'tg-y'])]))
  t.equal(inUse(x), true)
  const y = plane.targetGroup(tcpGroupConfig('tg-y'))
  y.register([{ id: '127.0.0.1', port: 9, host: '127.0.0.1' }])
  t.equal(inUse(y), true, 'created after the listener that forwards to it: in use at once')
  t.equal(plane.targetGroup(tcpGroupConfig('tg-y')), y, 'the same key gives the same runtime')
  await plane.remove('arn:lb/net/web')
  t.ok(await refused(port, address), 'remove() closes the listeners')
  t.equal(inUse(x), false)
  t.equal(inUse(y), false)
  plane.removeTargetGroup('tg-x')
  t.equal(plane.getTargetGroup('tg-x'), undefined)
})

t.test('bad configurations are refused with coded errors before anything is bound', async (t) => {
  const { plane } = makePlane(t)
  const address = testAddress()
  const port = await freePort(address)
  const cases: Array<[string, LoadBalancerConfig, string, string]> = [
    ['duplicate ports', nlb(address, [tcpListenerConfig('a', port, []), tcpListenerConfig('b', port, [])]), 'DuplicateListenerPort', 'listeners[1].port'],
    ['an address off loopback', nlb('10.0.0.1', [tcpListenerConfig('a', port, [])]), 'LoadBalancerAddressNotLoopback', 'address'],
    ['HTTP on a network load balancer', nlb(address, [tcpListenerConfig('a', port, [], { protocol: 'HTTP' })]), 'ListenerProtocolNotSupported', 'listeners[0].protocol'],
    ['TCP on an application load balancer', nlb(address, [tcpListenerConfig('a', port, [])], { type: 'application' }), 'ListenerProtocolNotSupported', 'listeners[0].protocol'],
    ['port 0', nlb(address, [tcpListenerConfig('a', 0, [])]), 'ListenerPortOutOfRange', 'listeners[0].port']
  ]
  for (const [what, config, code, field] of cases) {
    const error = await plane.apply(config).then(() => undefined, (e: unknown) => e)
    t.equal((error as StratusError).code, code, what)
    t.equal((error as StratusError).field, field, `${what}: the field`)
  }
  t.ok(await refused(port, address), 'nothing was bound')
  await plane.close()
  const closed = await plane.apply(nlb(address, [])).then(() => undefined, (e: unknown) => e)
  t.equal((closed as StratusError).code, 'LbPlaneClosed')
})

t.test('an application load balancer: HTTP listeners through the plane, groups in use through rules, a taken port is the same coded error', async (t) => {
  const { plane } = makePlane(t)
  const [a, b] = await Promise.all(['web', 'api'].map(async (name) => {
    const server = http.createServer((_req, res) => res.end(name))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()) }))
    return (server.address() as net.AddressInfo).port
  }))
  const web = plane.targetGroup({ ...tcpGroupConfig('tg-web'), protocol: 'HTTP' })
  const api = plane.targetGroup({ ...tcpGroupConfig('tg-api'), protocol: 'HTTP' })
  web.register([{ id: '127.0.0.1', port: a, host: '127.0.0.1' }])
  api.register([{ id: '127.0.0.1', port: b, host: '127.0.0.1' }])
  const address = testAddress()
  const port = await freePort(address)
  const alb = (listeners: ListenerConfig[]): LoadBalancerConfig => ({ key: 'arn:lb/app/site', name: 'site', type: 'application', address, idleTimeoutMs: 60_000, listeners })
  const listener = (rules: ListenerConfig['rules'], p = port): ListenerConfig => ({
    key: `l-http-${p}`, protocol: 'HTTP', port: p, certificates: [], rules,
    defaultActions: [{ type: 'forward', targetGroups: [{ key: 'tg-web', weight: 1 }] }]
  })
  const apiRule = { key: 'rule-api', priority: 10, conditions: [{ field: 'path-pattern' as const, values: ['/api/*'] }], actions: [{ type: 'forward' as const, targetGroups: [{ key: 'tg-api', weight: 1 }] }] }
  await plane.apply(alb([listener([apiRule])]))
  const get = async (path: string): Promise<string> => (await fetch(`http://${address}:${port}${path}`)).text()
  t.equal(await get('/'), 'web')
  t.equal(await get('/api/users'), 'api', 'the rule forwards to its group')
  t.equal(inUse(api), true, 'a group forwarded to by a rule only is in use')
  await plane.apply(alb([listener([])]))
  t.equal(inUse(api), false, 'the rule removed: no longer in use')
  t.equal(await get('/api/users'), 'web', 'rules changed in place')

  const squatter = net.createServer()
  await new Promise<void>((r) => squatter.listen(0, address, r))
  t.teardown(() => new Promise<void>((r) => squatter.close(() => r())))
  const taken = (squatter.address() as net.AddressInfo).port
  const error = await plane.apply(alb([listener([]), listener([], taken)])).then(() => undefined, (e: unknown) => e)
  t.equal((error as StratusError).code, 'ListenerPortUnavailable')
  t.match((error as StratusError).message, new RegExp(`HTTP listener port ${taken} on .* is already in use`))
  t.equal(await get('/'), 'web', 'the HTTP listener already there still serves')
})

t.test('a changed idle timeout reaches the listeners already bound (on the clock)', async (t) => {
  const { plane, clock } = makePlane(t)
  const [a] = await backends(t, 'a')
  plane.targetGroup(tcpGroupConfig('tg')).register([{ id: a.host, port: a.port, host: a.host }])
  const address = testAddress()
  const port = await freePort(address)
  await plane.apply(nlb(address, [tcpListenerConfig('l', port, ['tg'])]))
  const socket = net.connect(port, address)
  t.teardown(() => socket.destroy())
  t.equal(await firstLine(socket), 'a')
  let closed = false
  socket.once('close', () => { closed = true })
  await clock.advance(60_000)
  t.notOk(closed, 'idle 60 s under the 350 s timeout: open')
  await plane.apply(nlb(address, [tcpListenerConfig('l', port, ['tg'])], { idleTimeoutMs: 10_000 }))
  await clock.advance(25_000)
  await new Promise((r) => setTimeout(r, 20))
  t.ok(closed, 'closed once idle past the new 10 s timeout')
})
