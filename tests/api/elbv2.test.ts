// ELBv2 on the wire with the official client (@aws-sdk/client-elastic-load-
// balancing-v2) against a real engine: load balancers, target groups with
// Node HTTP targets on 127.0.0.1, listeners and rules that really route,
// target health moving on the manual clock, attributes, tags, pagination and
// ELBv2's errors as the SDK's exception classes.
import t from 'tap'
import {
  AddTagsCommand, CreateListenerCommand, CreateLoadBalancerCommand, CreateRuleCommand, CreateTargetGroupCommand, DeleteListenerCommand,
  DeleteLoadBalancerCommand, DeleteRuleCommand, DeleteTargetGroupCommand, DeregisterTargetsCommand, DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand, DescribeLoadBalancersCommand, DescribeRulesCommand, DescribeTagsCommand, DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ModifyListenerCommand, ModifyLoadBalancerAttributesCommand, ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand, ModifyTargetGroupCommand, RegisterTargetsCommand, RemoveTagsCommand, SetRulePrioritiesCommand,
  paginateDescribeTargetGroups, type TargetGroup
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { backend, elbCloud, get, listenerPort, until, untilHealth } from './elbv2-helpers.js'

const FAST_HEALTH = { HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2 }

t.test('a load balancer, a target group of Node servers and a listener: requests through it reach the targets', async (t) => {
  const { cloud, elb } = await elbCloud(t)
  const [a, b] = [await backend(t, 'a'), await backend(t, 'b')]
  const created = await elb.send(new CreateLoadBalancerCommand({ Name: 'web', Tags: [{ Key: 'team', Value: 'edge' }] }))
  const lb = created.LoadBalancers![0]
  t.match(lb.LoadBalancerArn, /^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer\/app\/web\/[0-9a-f]{16}$/)
  t.match(lb.DNSName, /^127\.250\.\d+\.\d+$/, 'the DNS name is its 127.x address')
  t.equal(lb.Type, 'application')
  t.equal(lb.Scheme, 'internet-facing')
  t.ok(lb.CreatedTime instanceof Date && !Number.isNaN(lb.CreatedTime.getTime()), 'CreatedTime is a timestamp')
  t.ok((lb.AvailabilityZones ?? []).length >= 2, 'an ALB spans two zones or more')
  t.equal(lb.State?.Code, 'provisioning')
  await cloud.clock.advance(60_000)
  const [described] = (await elb.send(new DescribeLoadBalancersCommand({ Names: ['web'] }))).LoadBalancers!
  t.equal(described.State?.Code, 'active', 'active once provisioned (on the clock)')
  t.same((await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lb.LoadBalancerArn!] }))).LoadBalancers!.map((l) => l.LoadBalancerName), ['web'])

  const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'api', Protocol: 'HTTP', Port: a.port, TargetType: 'ip', VpcId: lb.VpcId, ...FAST_HEALTH, HealthCheckPath: '/health' }))).TargetGroups![0]
  t.match(tg, { TargetGroupName: 'api', Protocol: 'HTTP', Port: a.port, TargetType: 'ip', HealthCheckPath: '/health', HealthCheckIntervalSeconds: 5, HealthyThresholdCount: 2, HealthCheckEnabled: true, Matcher: { HttpCode: '200' } })
  t.match(tg.TargetGroupArn, /:targetgroup\/api\/[0-9a-f]{16}$/)
  await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: [{ Id: '127.0.0.1', Port: a.port }, { Id: '127.0.0.1', Port: b.port }] }))
  const unused = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }))).TargetHealthDescriptions!
  t.same(unused.map((d) => [d.Target?.Port, d.TargetHealth?.State, d.TargetHealth?.Reason]).sort(), [[a.port, 'unused', 'Target.NotInUse'], [b.port, 'unused', 'Target.NotInUse']].sort(), 'no listener forwards to the group yet')

  const port = listenerPort()
  const listener = (await elb.send(new CreateListenerCommand({
    LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }]
  }))).Listeners![0]
  t.match(listener, { Port: port, Protocol: 'HTTP', LoadBalancerArn: lb.LoadBalancerArn, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }] })
  t.match(listener.ListenerArn, /:listener\/app\/web\/[0-9a-f]{16}\/[0-9a-f]{16}$/)
  const initial = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: [{ Id: '127.0.0.1', Port: a.port }] }))).TargetHealthDescriptions!
  t.match(initial, [{ Target: { Id: '127.0.0.1', Port: a.port }, TargetHealth: { State: 'initial' } }], 'initial once a listener uses the group')
  await untilHealth(cloud, elb, tg.TargetGroupArn!, 'healthy', 2)
  t.ok(a.seen.some((r) => r.url === '/health'), 'the health check asked the target its path')
  t.same((await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).TargetGroups!.map((g) => g.LoadBalancerArns), [[lb.LoadBalancerArn]])

  const bodies = new Set<string>()
  for (let i = 0; i < 8; i++) {
    const res = await get(`http://${lb.DNSName}:${port}/hello?x=1`)
    t.equal(res.status, 200)
    bodies.add(res.body)
  }
  t.same([...bodies].sort(), ['a /hello?x=1', 'b /hello?x=1'], 'round robin reaches both targets')
  const forwarded = a.seen.find((r) => r.url === '/hello?x=1')!.headers
  t.equal(forwarded['x-forwarded-for'], '127.0.0.1')
  t.equal(forwarded['x-forwarded-proto'], 'http')
  t.equal(forwarded['x-forwarded-port'], String(port))
  t.match(forwarded['x-amzn-trace-id'], /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}/)
  t.same((await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners!.map((l) => l.ListenerArn), [listener.ListenerArn])

  // Deregistration drains: requests in flight finish, no new ones are sent; the target is shown draining until the delay (10 s, on the clock).
  await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '10' }] }))
  const inFlight = [get(`http://${lb.DNSName}:${port}/hold/1`), get(`http://${lb.DNSName}:${port}/hold/2`)]
  await until(() => a.held === 1 && b.held === 1, 'one held request on each target')
  await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: [{ Id: '127.0.0.1', Port: b.port }] }))
  const draining = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: [{ Id: '127.0.0.1', Port: b.port }] }))).TargetHealthDescriptions!
  t.match(draining, [{ TargetHealth: { State: 'draining', Reason: 'Target.DeregistrationInProgress' } }], 'draining while a request is in flight')
  for (let i = 0; i < 4; i++) t.equal((await get(`http://${lb.DNSName}:${port}/after`)).body, 'a /after', 'no new request goes to a draining target')
  a.release()
  b.release()
  const finished = await Promise.all(inFlight)
  t.same(finished.map((r) => r.status), [200, 200], 'the requests in flight finished, none lost')
  t.same(finished.map((r) => r.body.split(' ')[0]).sort(), ['a', 'b'], 'one of them on the draining target')
  const states = async () => (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }))).TargetHealthDescriptions!.map((d) => `${d.Target?.Port} ${d.TargetHealth?.State}`)
  t.same(await states(), [`${a.port} healthy`, `${b.port} draining`], 'nothing in flight any more: still shown draining until the delay expires, as ELB does')
  await cloud.clock.advance(10_000)
  t.same(await states(), [`${a.port} healthy`], 'the drained target has left the group at the deregistration delay')

  // ModifyListener moves it: the old port stops answering, the new one routes.
  const moved = listenerPort()
  const modified = (await elb.send(new ModifyListenerCommand({ ListenerArn: listener.ListenerArn, Port: moved }))).Listeners![0]
  t.equal(modified.Port, moved)
  t.equal((await get(`http://${lb.DNSName}:${moved}/moved`)).body, 'a /moved')
  await t.rejects(get(`http://${lb.DNSName}:${port}/old`), 'nothing listens on the old port')

  await elb.send(new DeleteListenerCommand({ ListenerArn: listener.ListenerArn }))
  await t.rejects(get(`http://${lb.DNSName}:${moved}/gone`), 'a deleted listener closes its port')
  await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn }))
  await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }))
  t.same((await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers, [], 'deleted')
  t.same((await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups, [])
})

t.test('rules: conditions route by path, header and method; modify, reorder and delete them', async (t) => {
  const { cloud, elb } = await elbCloud(t)
  const [api, www] = [await backend(t, 'api'), await backend(t, 'www')]
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'rules' }))).LoadBalancers![0]
  const group = async (name: string, port: number) => {
    const g = (await elb.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: port, TargetType: 'ip', ...FAST_HEALTH }))).TargetGroups![0]
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: g.TargetGroupArn, Targets: [{ Id: '127.0.0.1' }] }))
    return g.TargetGroupArn!
  }
  const [apiArn, wwwArn] = [await group('api', api.port), await group('www', www.port)]
  const port = listenerPort()
  const listener = (await elb.send(new CreateListenerCommand({
    LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port,
    DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'no route' } }]
  }))).Listeners![0]
  const url = `http://${lb.DNSName}:${port}`
  t.match(await get(`${url}/api/x`), { status: 404, body: 'no route' }, 'the default action answers before any rule exists')

  const apiRule = (await elb.send(new CreateRuleCommand({
    ListenerArn: listener.ListenerArn, Priority: 10,
    Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }, { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET'] } }],
    Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: apiArn, Weight: 1 }] } }]
  }))).Rules![0]
  t.match(apiRule, { Priority: '10', IsDefault: false, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }, { Field: 'http-request-method' }] })
  t.match(apiRule.RuleArn, /:listener-rule\/app\/rules\/[0-9a-f]{16}\/[0-9a-f]{16}\/[0-9a-f]{16}$/)
  const wwwRule = (await elb.send(new CreateRuleCommand({
    ListenerArn: listener.ListenerArn, Priority: 20,
    Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Site', Values: ['www'] } }],
    Actions: [{ Type: 'forward', TargetGroupArn: wwwArn }]
  }))).Rules![0]
  await untilHealth(cloud, elb, apiArn, 'healthy', 1)
  await untilHealth(cloud, elb, wwwArn, 'healthy', 1)

  t.equal((await get(`${url}/api/users`)).body, 'api /api/users', 'path and method match the api rule')
  t.equal((await get(`${url}/api/users`, { method: 'POST' })).status, 404, 'a POST does not match the GET-only rule')
  t.equal((await get(`${url}/home`, { headers: { 'x-site': 'www' } })).body, 'www /home', 'the header rule')
  t.equal((await get(`${url}/api/both`, { headers: { 'x-site': 'www' } })).body, 'api /api/both', 'the lower priority number wins')

  const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules!
  t.same(rules.map((r) => [r.Priority, r.IsDefault]), [['10', false], ['20', false], ['default', true]], 'by priority, the default last')

  await elb.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: apiRule.RuleArn, Priority: 30 }, { RuleArn: wwwRule.RuleArn, Priority: 5 }] }))
  t.equal((await get(`${url}/api/both`, { headers: { 'x-site': 'www' } })).body, 'www /api/both', 'after SetRulePriorities the header rule comes first')

  const modified = (await elb.send(new ModifyRuleCommand({
    RuleArn: wwwRule.RuleArn, Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['www.example.com'] } }],
    Actions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }]
  }))).Rules![0]
  t.match(modified, { Priority: '5', Conditions: [{ Field: 'host-header' }], Actions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }] })
  const redirected = await get(`${url}/a?b=c`, { headers: { host: 'www.example.com' } })
  t.equal(redirected.status, 301)
  t.match(redirected.headers.location, /^https:\/\/www\.example\.com(:443)?\/a\?b=c$/, 'to https, the host, path and query kept')

  await elb.send(new DeleteRuleCommand({ RuleArn: modified.RuleArn }))
  t.same((await elb.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules!.map((r) => r.Priority), ['30', 'default'])
  t.same((await elb.send(new DescribeRulesCommand({ RuleArns: [apiRule.RuleArn!] }))).Rules!.map((r) => r.RuleArn), [apiRule.RuleArn])
})

t.test('attributes of load balancers and target groups, and ModifyTargetGroup', async (t) => {
  const { elb } = await elbCloud(t)
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'attrs' }))).LoadBalancers![0]
  const attrs = (await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Attributes!
  t.match(Object.fromEntries(attrs.map((a) => [a.Key, a.Value])), { 'idle_timeout.timeout_seconds': '60', 'deletion_protection.enabled': 'false' })
  const changed = (await elb.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '120' }] }))).Attributes!
  t.equal(changed.find((a) => a.Key === 'idle_timeout.timeout_seconds')?.Value, '120')
  t.equal((await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Attributes!.find((a) => a.Key === 'idle_timeout.timeout_seconds')?.Value, '120', 'kept')

  const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'attrs', Protocol: 'HTTP', Port: 8080, TargetType: 'ip' }))).TargetGroups![0]
  t.match(tg, { HealthCheckIntervalSeconds: 30, HealthCheckTimeoutSeconds: 5, HealthyThresholdCount: 5, UnhealthyThresholdCount: 2, HealthCheckPath: '/', HealthCheckPort: 'traffic-port', HealthCheckProtocol: 'HTTP' }, "ALB's defaults")
  const tgAttrs = Object.fromEntries((await elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }))).Attributes!.map((a) => [a.Key, a.Value]))
  t.match(tgAttrs, { 'deregistration_delay.timeout_seconds': '300', 'stickiness.enabled': 'false', 'stickiness.type': 'lb_cookie', 'stickiness.lb_cookie.duration_seconds': '86400', 'load_balancing.algorithm.type': 'round_robin', 'slow_start.duration_seconds': '0' })
  const sticky = Object.fromEntries((await elb.send(new ModifyTargetGroupAttributesCommand({
    TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'stickiness.enabled', Value: 'true' }, { Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' }]
  }))).Attributes!.map((a) => [a.Key, a.Value]))
  t.match(sticky, { 'stickiness.enabled': 'true', 'load_balancing.algorithm.type': 'least_outstanding_requests' })
  const modified = (await elb.send(new ModifyTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn, HealthCheckPath: '/ready', HealthCheckIntervalSeconds: 10, Matcher: { HttpCode: '200-299' } }))).TargetGroups![0]
  t.match(modified, { HealthCheckPath: '/ready', HealthCheckIntervalSeconds: 10, Matcher: { HttpCode: '200-299' } })
})

t.test('tags: on creation, AddTags, DescribeTags, RemoveTags', async (t) => {
  const { elb } = await elbCloud(t)
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'tagged', Tags: [{ Key: 'env', Value: 'dev' }] }))).LoadBalancers![0]
  const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'tagged', Port: 80, Protocol: 'HTTP', TargetType: 'ip', Tags: [{ Key: 'team', Value: 'a' }] }))).TargetGroups![0]
  await elb.send(new AddTagsCommand({ ResourceArns: [lb.LoadBalancerArn!, tg.TargetGroupArn!], Tags: [{ Key: 'owner', Value: 'ops' }, { Key: 'empty' }] }))
  const described = (await elb.send(new DescribeTagsCommand({ ResourceArns: [lb.LoadBalancerArn!, tg.TargetGroupArn!] }))).TagDescriptions!
  const byArn = Object.fromEntries(described.map((d) => [d.ResourceArn, Object.fromEntries((d.Tags ?? []).map((x) => [x.Key, x.Value ?? '']))]))
  t.same(byArn[lb.LoadBalancerArn!], { env: 'dev', owner: 'ops', empty: '' })
  t.same(byArn[tg.TargetGroupArn!], { team: 'a', owner: 'ops', empty: '' })
  await elb.send(new RemoveTagsCommand({ ResourceArns: [lb.LoadBalancerArn!], TagKeys: ['owner', 'empty'] }))
  const after = (await elb.send(new DescribeTagsCommand({ ResourceArns: [lb.LoadBalancerArn!] }))).TagDescriptions!
  t.same(after.map((d) => d.Tags), [[{ Key: 'env', Value: 'dev' }]])
})

t.test('pagination: Marker and PageSize, NextMarker, and the SDK paginator', async (t) => {
  const { elb } = await elbCloud(t)
  const names = ['p1', 'p2', 'p3', 'p4', 'p5']
  for (const Name of names) await elb.send(new CreateTargetGroupCommand({ Name, Port: 80, Protocol: 'HTTP', TargetType: 'ip' }))
  const first = await elb.send(new DescribeTargetGroupsCommand({ PageSize: 2 }))
  t.equal(first.TargetGroups!.length, 2)
  t.type(first.NextMarker, 'string', 'a full page says where to go on')
  const seen: string[] = first.TargetGroups!.map((g) => g.TargetGroupName!)
  let marker = first.NextMarker
  while (marker !== undefined) {
    const page = await elb.send(new DescribeTargetGroupsCommand({ PageSize: 2, Marker: marker }))
    seen.push(...page.TargetGroups!.map((g) => g.TargetGroupName!))
    marker = page.NextMarker
  }
  t.same(seen.sort(), names, 'every group once across the pages')
  const paged: TargetGroup[] = []
  for await (const page of paginateDescribeTargetGroups({ client: elb, pageSize: 3 }, {})) paged.push(...(page.TargetGroups ?? []))
  t.same(paged.map((g) => g.TargetGroupName).sort(), names, 'the paginator walks them too')

  for (const Name of ['l1', 'l2', 'l3']) await elb.send(new CreateLoadBalancerCommand({ Name }))
  const lbPage = await elb.send(new DescribeLoadBalancersCommand({ PageSize: 2 }))
  t.equal(lbPage.LoadBalancers!.length, 2)
  const rest = await elb.send(new DescribeLoadBalancersCommand({ PageSize: 2, Marker: lbPage.NextMarker }))
  t.equal(rest.LoadBalancers!.length, 1)
  t.equal(rest.NextMarker, undefined, 'the last page has no NextMarker')
})
