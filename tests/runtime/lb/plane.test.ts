// The data plane (runtime/lb/plane.ts) with TCP listeners over real sockets:
// apply() binds on the load balancer's 127.x address, updates listeners in
// place (an open connection survives), rebinds on a port or protocol change,
// rolls back when a port is taken, and keeps setInUse following the listeners.
import t, { type Test } from 'tap'
import net from 'node:net'
import tls from 'node:tls'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { StratusError } from '../../../runtime/errors.js'
import type { ListenerConfig, LoadBalancerConfig } from '../../../runtime/lb/model.js'
import { LoadBalancerPlane } from '../../../runtime/lb/plane.js'
import { TargetGroup } from './tcp-stub-group.js'
import { backend, converse, firstLine, freePort, listenerCertificate, tcpGroupConfig, tcpListenerConfig, testAddress, type Backend } from './tcp-fixtures.js'

function makePlane(t: Test): { plane: LoadBalancerPlane; clock: ManualClock } {
  const clock = new ManualClock()
  const plane = new LoadBalancerPlane({ clock, createTargetGroup: (c, o) => new TargetGroup(c, o) })
  t.teardown(() => plane.close())
  return { plane, clock }
}

function nlb(address: string, listeners: ListenerConfig[], overrides: Partial<LoadBalancerConfig> = {}): LoadBalancerConfig {
  return { key: 'arn:lb/net/web', name: 'web', type: 'network', address, idleTimeoutMs: 350_000, listeners, ...overrides }
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
  const blue = plane.targetGroup(tcpGroupConfig('tg-blue')) as TargetGroup
  const green = plane.targetGroup(tcpGroupConfig('tg-green')) as TargetGroup
  blue.register([a, b].map((x) => ({ id: x.host, port: x.port, host: x.host })))
  green.register([{ id: c.host, port: c.port, host: c.host }])
  t.equal(blue.inUse, false, 'no listener yet: not in use')
  const address = testAddress()
  const port = await freePort(address)
  await plane.apply(nlb(address, [tcpListenerConfig('l-1', port, ['tg-blue'])]))
  t.same(plane.listeners('arn:lb/net/web'), [{ key: 'l-1', protocol: 'TCP', port }])
  t.equal(blue.inUse, true, 'forwarded to: in use')
  t.equal(green.inUse, false)
  t.same([await whoAnswers(port, address), await whoAnswers(port, address)], ['a', 'b'], 'round robin on the load balancer address')

  const open = net.connect(port, address)
  t.teardown(() => open.destroy())
  t.equal(await firstLine(open), 'a')
  await plane.apply(nlb(address, [tcpListenerConfig('l-1', port, ['tg-green'])]))
  t.equal(await whoAnswers(port, address), 'c', 'new connections follow the new action')
  t.equal(blue.inUse, false, 'blue no longer forwarded to')
  t.equal(green.inUse, true)
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
  const one = plane.targetGroup(tcpGroupConfig('tg-1')) as TargetGroup
  const two = plane.targetGroup(tcpGroupConfig('tg-2')) as TargetGroup
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
  t.equal(one.inUse, true)
  t.equal(two.inUse, false, 'in use unchanged')

  // Once the port is free, the same configuration applies.
  await new Promise<void>((r) => squatter.close(() => r()))
  await plane.apply(nlb(address, [tcpListenerConfig('l-1', p1, ['tg-2']), tcpListenerConfig('l-taken', taken, ['tg-2'])]))
  t.equal(await whoAnswers(taken, address), 'b')
  t.equal(await whoAnswers(p1, address), 'b')
  t.equal(one.inUse, false)
})

t.test('setInUse follows the listeners: every weighted group counts, a group created later starts in use, remove() releases', async (t) => {
  const { plane } = makePlane(t)
  const address = testAddress()
  const port = await freePort(address)
  const x = plane.targetGroup(tcpGroupConfig('tg-x')) as TargetGroup
  await plane.apply(nlb(address, [tcpListenerConfig('l', port, ['tg-x', 'tg-y'])]))
  t.equal(x.inUse, true)
  const y = plane.targetGroup(tcpGroupConfig('tg-y')) as TargetGroup
  t.equal(y.inUse, true, 'created after the listener that forwards to it: in use at once')
  t.equal(plane.targetGroup(tcpGroupConfig('tg-y')), y, 'the same key gives the same runtime')
  await plane.remove('arn:lb/net/web')
  t.ok(await refused(port, address), 'remove() closes the listeners')
  t.equal(x.inUse, false)
  t.equal(y.inUse, false)
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
