// Targets through the control plane: DescribeTargetHealth's states moving on
// the manual clock (unused while no listener forwards to the group, initial,
// healthy, unhealthy with ALB's reasons), deregistration draining for the
// deregistration delay, and the TargetRegistry ECS uses (register writes the
// record, deregister resolves once the target has left).
import t from 'tap'
import { backend, clockOf, elbEngine, freePort, get, holding, refusal, spread, webStack } from './elb-fixtures.js'
import { TARGET_GROUPS } from '../../../runtime/elb/index.js'

t.test('DescribeTargetHealth: unused until a listener forwards, then initial → healthy → unhealthy → healthy on the clock', async (t) => {
  const engine = await elbEngine(t)
  const clock = clockOf(engine)
  const elb = engine.elb
  const a = await backend(t, 'a')
  const { TargetGroups } = await elb.createTargetGroup({
    Name: 'api', Protocol: 'HTTP', Port: 80, TargetType: 'ip', HealthCheckPath: '/health', HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 2, UnhealthyThresholdCount: 3, HealthyThresholdCount: 2
  })
  const tgArn = TargetGroups![0].TargetGroupArn!
  t.match(TargetGroups![0], { HealthCheckProtocol: 'HTTP', HealthCheckPort: 'traffic-port', HealthCheckPath: '/health', Matcher: { HttpCode: '200' }, LoadBalancerArns: [] })
  await elb.registerTargets({ TargetGroupArn: tgArn, Targets: [{ Id: a.host, Port: a.port }] })
  const health = async () => (await elb.describeTargetHealth({ TargetGroupArn: tgArn })).TargetHealthDescriptions!
  t.match(await health(), [{ Target: { Id: '127.0.0.1', Port: a.port }, HealthCheckPort: String(a.port), TargetHealth: { State: 'unused', Reason: 'Target.NotInUse' } }])
  t.same(a.hits, [], 'no health checks while unused')

  const { LoadBalancers } = await elb.createLoadBalancer({ Name: 'api' })
  await elb.createListener({ LoadBalancerArn: LoadBalancers![0].LoadBalancerArn!, Protocol: 'HTTP', Port: await freePort(), DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }] })
  t.match((await health())[0].TargetHealth, { State: 'initial' })
  await clock.advance(0)
  t.match((await health())[0].TargetHealth, { State: 'healthy' })
  t.ok(a.hits.includes('/health'), 'checked on its path')

  a.status = 500
  for (let i = 0; i < 3; i++) await clock.advance(10_000)
  t.match((await health())[0].TargetHealth, { State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch', Description: 'Health checks failed with these codes: [500]' })
  a.status = 200
  for (let i = 0; i < 2; i++) await clock.advance(10_000)
  t.match((await health())[0].TargetHealth, { State: 'healthy' })

  // Asking for a target that is not registered: unused, NotRegistered.
  const other = (await elb.describeTargetHealth({ TargetGroupArn: tgArn, Targets: [{ Id: '127.0.0.9', Port: 81 }] })).TargetHealthDescriptions!
  t.match(other, [{ Target: { Id: '127.0.0.9', Port: 81 }, TargetHealth: { State: 'unused', Reason: 'Target.NotRegistered' } }])

  // ModifyTargetGroup reaches the runtime: a matcher the target does not meet turns it unhealthy.
  await elb.modifyTargetGroup({ TargetGroupArn: tgArn, Matcher: { HttpCode: '204' } })
  for (let i = 0; i < 3; i++) await clock.advance(10_000)
  t.match((await health())[0].TargetHealth, { State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch' })
})

t.test('DeregisterTargets drains for the deregistration delay: no new requests, gone after the delay; the record forgets at once', async (t) => {
  const engine = await elbEngine(t)
  const clock = clockOf(engine)
  const elb = engine.elb
  const [a, b] = [await backend(t, 'a'), await backend(t, 'b')]
  const { tg, address, port } = await webStack(engine, [a, b])
  const tgArn = tg.TargetGroupArn!
  await elb.modifyTargetGroupAttributes({ TargetGroupArn: tgArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '20' }] })
  await clock.advance(0)
  // One request in flight to each: a draining target with none would leave at once (ALB's rule).
  const inFlight = [get(address, port, '/slow'), get(address, port, '/slow')]
  await holding(a, 1)
  await holding(b, 1)
  await elb.deregisterTargets({ TargetGroupArn: tgArn, Targets: [{ Id: a.host, Port: a.port }] })
  const states = async () => (await elb.describeTargetHealth({ TargetGroupArn: tgArn })).TargetHealthDescriptions!.map((d) => `${d.Target!.Port === a.port ? 'a' : 'b'}:${d.TargetHealth!.State}`).sort()
  t.same(await states(), ['a:draining', 'b:healthy'])
  t.match((await elb.describeTargetHealth({ TargetGroupArn: tgArn, Targets: [{ Id: a.host, Port: a.port }] })).TargetHealthDescriptions![0].TargetHealth, { State: 'draining', Reason: 'Target.DeregistrationInProgress' })
  t.same(await spread(address, port, 4), ['b', 'b', 'b', 'b'], 'no new requests to the draining target')
  const stored = engine.store.get<{ targets: Array<{ Port: number }> }>(TARGET_GROUPS, tgArn)!.value
  t.same(stored.targets.map((x) => x.Port), [b.port], 'the record has the remaining target only')
  await clock.advance(19_999)
  t.same(await states(), ['a:draining', 'b:healthy'], 'still draining just before the delay ends')
  await clock.advance(1)
  t.same(await states(), ['b:healthy'], 'gone after the delay')
  for (const release of [...a.held, ...b.held]) release()
  const answers = await Promise.all(inFlight)
  t.same(answers.map((x) => x.status), [200, 200], 'the in-flight requests finished')
  await refusal(t, () => elb.deregisterTargets({ TargetGroupArn: tgArn, Targets: [{ Id: a.host, Port: a.port }] }), 'InvalidTarget', 'Targets')
})

t.test('the TargetRegistry: register writes the record, health and onHealthChange follow, deregister resolves when the target left', async (t) => {
  const engine = await elbEngine(t)
  const clock = clockOf(engine)
  const [a, b] = [await backend(t, 'a'), await backend(t, 'b')]
  const { tg, lb, address, port } = await webStack(engine, [a])
  const tgArn = tg.TargetGroupArn!
  const registry = engine.elb.targets
  t.match(registry.describe(tgArn), { arn: tgArn, name: 'web-tg', targetType: 'ip', protocol: 'HTTP', port: 80, loadBalancerArns: [lb.LoadBalancerArn] })
  t.equal(registry.describe(tgArn.replace(/[0-9a-f]{16}$/, '0000000000000000')), undefined)
  const changes: string[] = []
  const off = registry.onHealthChange((arn, h, prev) => { if (arn === tgArn && h.port === b.port) changes.push(`${prev ?? '-'}>${h.state}`) })
  t.teardown(off)
  registry.register(tgArn, [{ id: b.host, port: b.port, host: b.host }])
  t.same(engine.store.get<{ targets: Array<{ Port: number }> }>(TARGET_GROUPS, tgArn)!.value.targets.map((x) => x.Port), [a.port, b.port])
  await clock.advance(0)
  t.equal(registry.health(tgArn, { id: b.host, port: b.port })?.state, 'healthy')
  t.same([...new Set(await spread(address, port, 4))].sort(), ['a', 'b'])

  // b holds a request: it drains (no new requests), shown draining until the group's delay (300 s) has passed.
  const pending: Array<Promise<unknown>> = []
  for (let i = 0; i < 4 && b.held.length === 0; i++) pending.push(get(address, port, '/slow'))
  await holding(b, 1)
  let left = false
  const gone = registry.deregister(tgArn, [{ id: b.host, port: b.port }]).then(() => { left = true })
  await clock.advance(1000)
  t.equal(left, false, 'still draining')
  t.equal(registry.health(tgArn, { id: b.host, port: b.port })?.state, 'draining')
  for (const release of b.held) release()
  for (const release of a.held) release()
  await Promise.all(pending)
  await clock.advance(0)
  t.equal(left, false, 'its request finished: still draining (ELB shows it so until the delay expires)')
  t.equal(registry.health(tgArn, { id: b.host, port: b.port })?.state, 'draining')
  await clock.advance(299_000)
  await gone
  t.equal(left, true, 'resolved at the deregistration delay')
  t.match(changes, ['->initial', 'initial>initial', 'initial>healthy', 'healthy>draining', 'draining>unused'])
  t.same(await spread(address, port, 2), ['a', 'a'])

  // Registered again by RegisterTargets while a deregistration waits on it: the wait is over (no drain goes on), at once.
  registry.register(tgArn, [{ id: b.host, port: b.port, host: b.host }])
  await clock.advance(0)
  let over = false
  const waiting = registry.deregister(tgArn, [{ id: b.host, port: b.port }]).then(() => { over = true })
  await clock.advance(1000)
  t.equal(over, false, 'draining')
  await engine.elb.registerTargets({ TargetGroupArn: tgArn, Targets: [{ Id: b.host, Port: b.port }] })
  await clock.advance(0)
  await Promise.race([waiting, new Promise((resolve) => setTimeout(resolve, 1000))])
  t.equal(over, true, 'resolved once the target was registered again')
  t.not(registry.health(tgArn, { id: b.host, port: b.port })?.state, 'draining')
})

t.test('instance targets resolve through the engine; unknown instances and addresses outside 127/8 are InvalidTarget, nothing written', async (t) => {
  const engine = await elbEngine(t)
  const elb = engine.elb
  const { TargetGroups } = await elb.createTargetGroup({ Name: 'inst', Protocol: 'HTTP', Port: 80 })
  t.equal(TargetGroups![0].TargetType, 'instance', 'instance by default')
  const before = engine.store.revision
  await refusal(t, () => elb.registerTargets({ TargetGroupArn: TargetGroups![0].TargetGroupArn!, Targets: [{ Id: 'i-0123456789abcdef0' }] }), 'InvalidTarget', 'Targets')
  const { TargetGroups: ip } = await elb.createTargetGroup({ Name: 'ips', Protocol: 'HTTP', Port: 80, TargetType: 'ip' })
  const mid = engine.store.revision
  const e = await refusal(t, () => elb.registerTargets({ TargetGroupArn: ip![0].TargetGroupArn!, Targets: [{ Id: '10.0.0.5' }, { Id: '127.0.0.2' }] }), 'InvalidTarget', 'Targets')
  t.match(e.message, /10\.0\.0\.5/)
  await refusal(t, () => elb.registerTargets({ TargetGroupArn: ip![0].TargetGroupArn!, Targets: [{ Id: '127.0.0.2', Port: 70000 }] }), 'ValidationError', 'Targets[0].Port')
  t.equal(engine.store.revision, mid, 'nothing written by the refused registrations')
  t.ok(mid > before)
  // A target registered without a port takes the group's.
  await elb.registerTargets({ TargetGroupArn: ip![0].TargetGroupArn!, Targets: [{ Id: '127.0.0.2' }] })
  t.match((await elb.describeTargetHealth({ TargetGroupArn: ip![0].TargetGroupArn! })).TargetHealthDescriptions, [{ Target: { Id: '127.0.0.2', Port: 80 } }])
  void get
})
