// The fluent ELBv2 SDK, embedded and remote (one body of checks against
// each, over one engine: manual clock): a load balancer, target groups of
// Node HTTP servers, a listener forwarding to one, a rule to the other by
// path, weighted forwarding, a network load balancer's TCP listener, health
// on the clock, attributes, tags, errors with the same kind and code both
// ways, timestamps as epoch ms both ways.
import t, { type Test } from 'tap'
import { Stratus, StratusError, type StratusClient, type TargetGroupHandle } from '../../sdk/index.js'
import { backend, get, listenerPort } from '../api/elbv2-helpers.js'

const FAST = { intervalSeconds: 5, timeoutSeconds: 2, healthyThreshold: 2, unhealthyThreshold: 2 }

async function untilHealthy(cloud: StratusClient, group: TargetGroupHandle, count: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await group.health()).filter((h) => h.state === 'healthy').length >= count) return
    await cloud.clock.advance(5_000)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`not healthy: ${JSON.stringify(await group.health())}`)
}

async function checks(t: Test, cloud: StratusClient, prefix: string): Promise<void> {
  const [one, two, other] = [await backend(t, 'one'), await backend(t, 'two'), await backend(t, 'other')]
  const web = await cloud.elbv2.targetGroup(`${prefix}-web`, { port: one.port, healthCheck: { ...FAST, path: '/up' }, tags: { side: prefix } }).create()
  t.match(await web.describe(), { TargetGroupName: `${prefix}-web`, Protocol: 'HTTP', Port: one.port, TargetType: 'ip', HealthCheckPath: '/up', HealthCheckIntervalSeconds: 5 })
  await web.register(`127.0.0.1:${one.port}`, { id: '127.0.0.1', port: two.port })
  const api = await cloud.elbv2.targetGroup(`${prefix}-api`, { port: other.port, healthCheck: FAST }).create()
  await api.register('127.0.0.1')

  const lb = await cloud.elbv2.loadBalancer(`${prefix}-lb`).create({ tags: { side: prefix } })
  const shown = await lb.describe()
  t.match(await lb.address(), /^127\.250\./)
  t.type(shown.CreatedTime, 'number', 'CreatedTime in epoch ms')
  t.ok(Math.abs((shown.CreatedTime as number) - cloud.clock.now()) < 60_000, 'on the engine clock')
  const port = listenerPort()
  const listener = await lb.listener(port).forwardTo(web)
  t.equal(listener.port, port)
  const rule = await listener.rule(10).path('/api/*').forwardTo(api)
  t.equal(rule.priority, '10')
  t.same((await listener.rules()).map((r) => r.priority), ['10', 'default'])
  const before = (await web.health()).sort((x, y) => (x.port ?? 0) - (y.port ?? 0))
  t.same(before.map((h) => [h.id, h.port, h.state]), [['127.0.0.1', one.port, 'initial'], ['127.0.0.1', two.port, 'initial']].sort((x, y) => (x[1] as number) - (y[1] as number)))
  t.ok(before.every((h) => /^Elb\./.test(h.reason ?? '')), 'with an Elb.* reason until the first checks')
  await untilHealthy(cloud, web, 2)
  await untilHealthy(cloud, api, 1)
  t.ok(one.seen.some((r) => r.url === '/up'), 'the health check path')

  const url = await lb.url(port)
  const bodies = new Set<string>()
  for (let i = 0; i < 6; i++) bodies.add((await get(`${url}/page`)).body)
  t.same([...bodies].sort(), ['one /page', 'two /page'], 'the default forwards across the group')
  t.equal((await get(`${url}/api/v1`)).body, 'other /api/v1', 'the rule by path')

  // Weighted forwarding: all weight on api.
  await listener.defaultTo().forwardTo([{ group: web, weight: 0 }, { group: api, weight: 1 }])
  for (let i = 0; i < 3; i++) t.equal((await get(`${url}/w`)).body, 'other /w', 'weight 0 gets nothing')
  await listener.defaultTo().fixedResponse(503, 'down for a moment')
  t.match(await get(`${url}/x`), { status: 503, body: 'down for a moment' })
  const moved = await rule.setPriority(3)
  t.equal(moved.priority, '3')

  t.match(await web.setAttributes({ 'deregistration_delay.timeout_seconds': 0 }), { 'deregistration_delay.timeout_seconds': '0' })
  t.equal((await web.attributes())['deregistration_delay.timeout_seconds'], '0')
  t.match(await lb.setAttributes({ 'idle_timeout.timeout_seconds': 30 }), { 'idle_timeout.timeout_seconds': '30' })
  await lb.tag({ owner: 'me' })
  t.same(await lb.tags(), { side: prefix, owner: 'me' })
  await lb.untag('owner')
  t.same(await lb.tags(), { side: prefix })
  const modified = await web.healthCheck({ path: '/ready', matcher: '200-299' })
  t.match(modified, { HealthCheckPath: '/ready', Matcher: { HttpCode: '200-299' } })

  await web.deregister(`127.0.0.1:${two.port}`)
  await cloud.clock.advance(1_000)
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.same((await web.health()).map((h) => h.port), [one.port], 'deregistered (delay 0): gone')

  const err = await cloud.elbv2.loadBalancer(`${prefix}-none`).describe().then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof StratusError)
  t.match(err, { kind: 'NotFound', code: 'LoadBalancerNotFound' }, 'the same kind and code both ways')
  const dup = await lb.listener(port).fixedResponse(200).then(() => undefined, (e: unknown) => e)
  t.match(dup, { code: 'DuplicateListener' })
  const bad = await cloud.elbv2.targetGroup(`${prefix}-bad`, { port: 80, healthCheck: { intervalSeconds: 1 } }).create().then(() => undefined, (e: unknown) => e)
  t.match(bad, { kind: 'InvalidArgument', code: 'ValidationError' })

  // A network load balancer: its listener TCP by default, connections piped to the group's targets.
  const nlb = await cloud.elbv2.loadBalancer(`${prefix}-nlb`).create({ type: 'network' })
  const tcp = await cloud.elbv2.targetGroup(`${prefix}-tcp`, { protocol: 'TCP', port: other.port, healthCheck: { intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 2 } }).create()
  await tcp.register('127.0.0.1')
  const tcpPort = listenerPort()
  const tcpListener = await nlb.listener(tcpPort).forwardTo(tcp)
  t.equal(tcpListener.protocol, 'TCP', 'TCP on a network load balancer')
  await untilHealthy(cloud, tcp, 1)
  t.equal((await get(`${await nlb.url(tcpPort)}/over-tcp`)).body, 'other /over-tcp', 'an HTTP request through the TCP listener')
  await nlb.delete()
  await tcp.delete()

  // Subnets, security groups and IP address type (SetSubnets, SetSecurityGroups, SetIpAddressType).
  const placed = await cloud.elbv2.loadBalancer(`${prefix}-placed`).create({ type: 'network', securityGroups: ['sg-a'], subnets: ['subnet-stratus-us-east-1a'] })
  t.same((await placed.describe()).AvailabilityZones!.map((z) => z.ZoneName), ['us-east-1a'], 'created in the subnet named')
  t.same(await placed.setSecurityGroups('sg-b', 'sg-c'), ['sg-b', 'sg-c'])
  t.same((await placed.setSubnets('subnet-stratus-us-east-1b')).map((z) => z.ZoneName), ['us-east-1b'])
  t.equal(await placed.setIpAddressType('ipv4'), 'ipv4')
  const dual = await placed.setIpAddressType('dualstack').then(() => undefined, (e: unknown) => e)
  t.equal((dual as { code?: string })?.code, 'ValidationError', 'no IPv6 on loopback')
  t.same((await placed.describe()).SecurityGroups, ['sg-b', 'sg-c'])
  await placed.delete()

  t.ok((await cloud.elbv2.sslPolicies()).some((p) => p.Name === 'ELBSecurityPolicy-TLS-1-2-2017-01'))
  t.ok((await cloud.elbv2.loadBalancers()).some((l) => l.name === `${prefix}-lb`))
  t.ok((await cloud.elbv2.targetGroups()).some((g) => g.name === `${prefix}-api`))
  await listener.delete()
  await lb.delete()
  await web.delete()
  await api.delete()
  t.notOk((await cloud.elbv2.loadBalancers()).some((l) => l.name === `${prefix}-lb`), 'deleted')
}

t.test('ELBv2 SDK, embedded and remote', async (t) => {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  t.teardown(() => cloud.close())
  const remote = await Stratus.connect(`http://${cloud.endpoint}`)
  t.teardown(() => remote.close())
  await t.test('embedded', (t) => checks(t, cloud, 'em'))
  await t.test('remote', (t) => checks(t, remote, 're'))
})
