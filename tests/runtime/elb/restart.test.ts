// An engine started again over a durable store (the SQLite store of its
// data directory) binds every load balancer's listeners again on the same
// address and port, registers the targets again (health starts again at
// initial) and routes as before; rules and attributes survive. A port taken
// meanwhile does not stop the engine: the load balancer is in startFailures.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import net from 'node:net'
import t from 'tap'
import { Engine } from '../../../runtime/engine.js'
import { backend, get, refused, spread, webStack } from './elb-fixtures.js'

t.test('restart over a durable store re-binds the listeners and re-registers the targets', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-elb-restart-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const start = () => Engine.start({ clock: 'manual', runner: 'simulated', dataDir, ecs: { defaultInstances: { count: 0, instanceType: 'm5.xlarge' } } })
  const [a, b] = [await backend(t, 'a'), await backend(t, 'b')]

  const first = await start()
  let closed = false
  t.teardown(async () => { if (!closed) await first.close() })
  const { tg, listener, address, port, lb } = await webStack(first, [a])
  await first.elb.createRule({
    ListenerArn: listener.ListenerArn!, Priority: 1, Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-who', Values: ['teapot'] } }],
    Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '418' } }]
  })
  await first.elb.registerTargets({ TargetGroupArn: tg.TargetGroupArn!, Targets: [{ Id: b.host, Port: b.port }] })
  await first.elb.modifyTargetGroupAttributes({ TargetGroupArn: tg.TargetGroupArn!, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '5' }] })
  t.same([...new Set(await spread(address, port, 4))].sort(), ['a', 'b'])
  await first.close()
  closed = true
  t.ok(await refused(address, port), 'the listener went with the engine')

  const second = await start()
  let secondClosed = false
  t.teardown(async () => { if (!secondClosed) await second.close() })
  t.same(second.elb.startFailures, [])
  const { LoadBalancers } = await second.elb.describeLoadBalancers({ LoadBalancerArns: [lb.LoadBalancerArn!] })
  t.equal(LoadBalancers![0].DNSName, address, 'the same address')
  const health = (await second.elb.describeTargetHealth({ TargetGroupArn: tg.TargetGroupArn! })).TargetHealthDescriptions!
  t.same(health.map((h) => h.TargetHealth!.State), ['initial', 'initial'], 'targets registered again, health starting over')
  t.same([...new Set(await spread(address, port, 4))].sort(), ['a', 'b'], 'routes on the same port')
  t.equal((await get(address, port, '/', { 'x-who': 'teapot' })).status, 418, 'the rule survived')
  const attrs = (await second.elb.describeTargetGroupAttributes({ TargetGroupArn: tg.TargetGroupArn! })).Attributes!
  t.equal(attrs.find((x) => x.Key === 'deregistration_delay.timeout_seconds')!.Value, '5')
  // A new load balancer after the restart takes another address.
  const { LoadBalancers: [next] = [] } = await second.elb.createLoadBalancer({ Name: 'next' })
  t.not(next.DNSName, address)
  await second.close()
  secondClosed = true

  // The port taken meanwhile by something else: the engine starts, the load balancer is reported, its records stay.
  const squatter = net.createServer()
  await new Promise<void>((resolve) => squatter.listen(port, address, resolve))
  t.teardown(() => new Promise<void>((resolve) => squatter.close(() => resolve())))
  const third = await start()
  t.teardown(() => third.close())
  t.same(third.elb.startFailures.map((f) => f.arn), [lb.LoadBalancerArn])
  t.equal((await third.elb.describeListeners({ LoadBalancerArn: lb.LoadBalancerArn! })).Listeners!.length, 1, 'the listener is still recorded')
})
