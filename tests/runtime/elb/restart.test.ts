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
import { backend, clockOf, freePort, get, refused, spread, webStack } from './elb-fixtures.js'

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

t.test('restart: a target draining when the engine stopped drains for what is left of its delay; an instance target comes back checked, not InvalidState', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-elb-restart-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const start = () => Engine.start({ clock: 'manual', runner: 'simulated', dataDir, ecs: { defaultInstances: { count: 0, instanceType: 'm5.xlarge' } } })
  const [a, b, c] = [await backend(t, 'a'), await backend(t, 'b'), await backend(t, 'c')]

  const first = await start()
  let closed = false
  t.teardown(async () => { if (!closed) await first.close() })
  const { tg, address, port, lb } = await webStack(first, [a])
  const groupArn = tg.TargetGroupArn!
  await first.elb.modifyTargetGroupAttributes({ TargetGroupArn: groupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '60' }] })
  await first.elb.registerTargets({ TargetGroupArn: groupArn, Targets: [{ Id: b.host, Port: b.port }] })
  // An instance group behind a second listener, its target an ECS container instance.
  await first.ecs.createCluster({ clusterName: 'web' })
  const { containerInstance } = await first.ecs.registerContainerInstance({
    cluster: 'web', totalResources: [{ name: 'CPU', type: 'INTEGER', integerValue: 2048 }, { name: 'MEMORY', type: 'INTEGER', integerValue: 4096 }]
  } as never)
  const instanceId = String(containerInstance!.ec2InstanceId)
  const { TargetGroups: [itg] = [] } = await first.elb.createTargetGroup({
    Name: 'instances', Protocol: 'HTTP', Port: c.port, TargetType: 'instance', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2
  })
  await first.elb.registerTargets({ TargetGroupArn: itg.TargetGroupArn!, Targets: [{ Id: instanceId, Port: c.port }] })
  const port2 = await freePort(address)
  await first.elb.createListener({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTP', Port: port2, DefaultActions: [{ Type: 'forward', TargetGroupArn: itg.TargetGroupArn! }] })
  await clockOf(first).advance(0)
  await clockOf(first).advance(5_000)
  const states = async (e: Engine, arn = groupArn) => Object.fromEntries(((await e.elb.describeTargetHealth({ TargetGroupArn: arn })).TargetHealthDescriptions ?? [])
    .map((h) => [`${h.Target!.Id}:${h.Target!.Port}`, `${h.TargetHealth!.State}${h.TargetHealth!.Reason !== undefined ? ` ${h.TargetHealth!.Reason}` : ''}`]))
  t.same(await states(first), { [`${a.host}:${a.port}`]: 'healthy', [`${b.host}:${b.port}`]: 'healthy' })
  t.same(await states(first, itg.TargetGroupArn!), { [`${instanceId}:${c.port}`]: 'healthy' })
  await first.elb.deregisterTargets({ TargetGroupArn: groupArn, Targets: [{ Id: b.host, Port: b.port }] })
  await clockOf(first).advance(20_000)
  t.equal((await states(first))[`${b.host}:${b.port}`], 'draining Target.DeregistrationInProgress')
  const stoppedAt = clockOf(first).now()
  await first.close()
  closed = true

  const second = await start()
  t.teardown(() => second.close())
  const clock = clockOf(second)
  t.ok(clock.now() >= stoppedAt, 'the manual clock goes on from where it was')
  const left = 60_000 - (clock.now() - stoppedAt) - 20_000
  t.same(await states(second), { [`${a.host}:${a.port}`]: 'initial Elb.RegistrationInProgress', [`${b.host}:${b.port}`]: 'draining Target.DeregistrationInProgress' },
    'the registered target starts over; the deregistered one is still draining')
  t.same(await states(second, itg.TargetGroupArn!), { [`${instanceId}:${c.port}`]: 'initial Elb.RegistrationInProgress' }, 'the instance is known at once: no InvalidState')
  await clock.advance(0)
  t.same([...new Set(await spread(address, port, 6))], ['a'], 'nothing new goes to the draining target')
  t.same([...new Set(await spread(address, port2, 2))], ['c'], 'the instance target serves')
  await clock.advance(left - 1)
  t.equal((await states(second))[`${b.host}:${b.port}`], 'draining Target.DeregistrationInProgress', 'until the delay ends')
  await clock.advance(1)
  t.same(Object.keys(await states(second)), [`${a.host}:${a.port}`], 'gone when the delay first begun has passed')
  // Registered again after it left, then deregistered with no delay: nothing is kept to drain.
  await second.elb.modifyTargetGroupAttributes({ TargetGroupArn: groupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '0' }] })
  await second.elb.registerTargets({ TargetGroupArn: groupArn, Targets: [{ Id: b.host, Port: b.port }] })
  await second.elb.deregisterTargets({ TargetGroupArn: groupArn, Targets: [{ Id: b.host, Port: b.port }] })
  t.same(Object.keys(await states(second)), [`${a.host}:${a.port}`])
})
