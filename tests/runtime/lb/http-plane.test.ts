// HTTP listeners in the data plane (LoadBalancerPlane with HttpListener.open,
// as the engine wires it): bound on the load balancer's 127.x address,
// targets reached from that address, rules changed in place by apply()
// without dropping a keep-alive connection, and closed with the plane.
import http from 'node:http'
import t from 'tap'
import { RealClock } from '../../../runtime/clock/clock.js'
import { HttpListener } from '../../../runtime/lb/http/index.js'
import { DEFAULT_LB_LIMITS, type ListenerConfig, type LoadBalancerConfig } from '../../../runtime/lb/model.js'
import { LoadBalancerPlane } from '../../../runtime/lb/plane.js'
import { TargetGroup } from '../../../runtime/lb/target-group.js'
import { backend, fixed, groupArn, groupConfig, request } from './http-fixtures.js'
import { freePort, testAddress } from './tcp-fixtures.js'

const TG = groupArn('plane')

function alb(address: string, listeners: ListenerConfig[], idleTimeoutMs = 60_000): LoadBalancerConfig {
  return { key: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188', name: 'web', type: 'application', address, idleTimeoutMs, listeners }
}

function http80(port: number, rules: ListenerConfig['rules'] = []): ListenerConfig {
  return { key: 'arn:listener/app/web/1/1', protocol: 'HTTP', port, certificates: [], rules, defaultActions: [{ type: 'forward', targetGroups: [{ key: TG, weight: 1 }] }] }
}

t.test('an ALB listener through the plane', async (t) => {
  const plane = new LoadBalancerPlane({ clock: new RealClock(), createTargetGroup: (c, o) => new TargetGroup(c, o), openHttpListener: (c, o) => HttpListener.open(c, o) })
  t.teardown(() => plane.close())
  const peers: string[] = []
  const target = await backend(t, (req, res) => {
    // Forwarded requests only (the group's health checks come here too).
    if (req.headers['x-forwarded-for'] !== undefined) peers.push(String(req.socket.remoteAddress))
    res.end('from target')
  })
  plane.targetGroup(groupConfig(TG)).register([{ id: '127.0.0.1', port: target.port, host: '127.0.0.1' }])
  const address = testAddress()
  const port = await freePort(address)
  await plane.apply(alb(address, [http80(port)]))

  const reply = await request(port, '/', { host: address })
  t.equal(reply.status, 200)
  t.equal(reply.body, 'from target')
  t.same(peers, [address], "the target sees the load balancer's address")

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  let sockets = 0
  const before = await request(port, '/x', { host: address, agent })
  t.equal(before.body, 'from target')
  const socket = Object.values(agent.freeSockets)[0]?.[0]
  socket?.on('close', () => sockets++)
  await plane.apply(alb(address, [http80(port, [{ key: 'r', priority: 1, conditions: [{ field: 'path-pattern', values: ['/x'] }], actions: [fixed('200', 'rule')] }])], 30_000))
  const after = await request(port, '/x', { host: address, agent })
  t.equal(after.body, 'rule', 'the new rule applies')
  t.equal(sockets, 0, 'on the same keep-alive connection')

  await plane.remove(alb(address, []).key)
  await t.rejects(request(port, '/', { host: address }), { code: 'ECONNREFUSED' }, 'removed with its load balancer')
})

t.test('a port already taken: a coded error, nothing left bound', async (t) => {
  const address = testAddress()
  const port = await freePort(address)
  const first = await HttpListener.open(http80(port), { address, idleTimeoutMs: 60_000, limits: DEFAULT_LB_LIMITS, targetGroup: () => undefined, clock: new RealClock() })
  t.teardown(() => first.close())
  await t.rejects(
    HttpListener.open(http80(port), { address, idleTimeoutMs: 60_000, limits: DEFAULT_LB_LIMITS, targetGroup: () => undefined, clock: new RealClock() }),
    { code: 'ListenerPortUnavailable', kind: 'Conflict', field: 'Port' }
  )
  await t.rejects(
    HttpListener.open({ ...http80(0), protocol: 'TCP' }, { address, idleTimeoutMs: 60_000, limits: DEFAULT_LB_LIMITS, targetGroup: () => undefined, clock: new RealClock() }),
    { code: 'UnsupportedListenerProtocol', field: 'Protocol' }
  )
  t.throws(() => first.update({ ...http80(port), protocol: 'HTTPS' }), { code: 'ListenerRebindRequired' })
})
