// The control plane drives the data plane: a load balancer, a target group
// of real Node HTTP servers and a listener made through Elbv2's operations
// answer on the load balancer's 127.250.x address (its DNSName); rules by
// path and weighted forwards route as configured, and changes to them reach
// the listener in place.
import t from 'tap'
import { backend, elbEngine, get, spread, webStack, clockOf } from './elb-fixtures.js'

t.test('create LB + target group + listener: requests through the DNSName reach the targets, round robin', async (t) => {
  const engine = await elbEngine(t)
  const [a, b] = [await backend(t, 'a'), await backend(t, 'b')]
  const { lb, address, port } = await webStack(engine, [a, b])
  t.match(address, /^127\.250\.\d+\.\d+$/, 'DNSName is the 127.250.x address')
  t.match(lb, {
    Type: 'application', Scheme: 'internet-facing', VpcId: 'vpc-stratus', IpAddressType: 'ipv4', State: { Code: 'provisioning' },
    LoadBalancerArn: /^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer\/app\/web\/[0-9a-f]{16}$/
  })
  t.same(lb.AvailabilityZones!.map((z) => z.ZoneName), ['us-east-1a', 'us-east-1b', 'us-east-1c'])
  await clockOf(engine).advance(1000)
  const { LoadBalancers } = await engine.elb.describeLoadBalancers({ Names: ['web'] })
  t.equal(LoadBalancers![0].State!.Code, 'active', 'active after provisioning on the clock')
  t.match(engine.elb.names(), [{ name: 'web', address, hostname: /^web-\d+\.us-east-1\.elb\.stratus\.local$/ }])

  const seen = await spread(address, port, 6)
  t.same([...new Set(seen)].sort(), ['a', 'b'], 'both targets answer')
  t.equal(seen.filter((x) => x === 'a').length, 3, 'round robin: half each')
  const answer = await get(address, port, '/hello')
  t.match(answer.body, /^[ab] \/hello$/)
  t.ok(answer.headers['x-amzn-trace-id'] === undefined || typeof answer.headers['x-amzn-trace-id'] === 'string')
})

t.test('rules by path and fixed responses; weighted forwards shift traffic when a rule is modified', async (t) => {
  const engine = await elbEngine(t)
  const [a, b, c] = [await backend(t, 'a'), await backend(t, 'b'), await backend(t, 'c')]
  const { lb, listener, address, port } = await webStack(engine, [a])
  const elb = engine.elb
  const tg = async (name: string, target: typeof a) => {
    const { TargetGroups } = await elb.createTargetGroup({ Name: name, Protocol: 'HTTP', Port: 80, TargetType: 'ip' })
    await elb.registerTargets({ TargetGroupArn: TargetGroups![0].TargetGroupArn!, Targets: [{ Id: target.host, Port: target.port }] })
    return TargetGroups![0].TargetGroupArn!
  }
  const blue = await tg('blue', b)
  const green = await tg('green', c)
  const { Rules } = await elb.createRule({
    ListenerArn: listener.ListenerArn!, Priority: 10,
    Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }],
    Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue, Weight: 1 }, { TargetGroupArn: green, Weight: 0 }] } }]
  })
  const rule = Rules![0]
  t.match(rule, { Priority: '10', IsDefault: false, Conditions: [{ Field: 'path-pattern', Values: ['/api/*'], PathPatternConfig: { Values: ['/api/*'] } }] })
  await elb.createRule({
    ListenerArn: listener.ListenerArn!, Priority: 5,
    Conditions: [{ Field: 'path-pattern', Values: ['/teapot'] }],
    Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '418', ContentType: 'text/plain', MessageBody: 'short and stout' } }]
  })
  t.same(await spread(address, port, 3, '/api/x'), ['b', 'b', 'b'], 'the rule forwards /api/* to blue (weight 1 of 1)')
  t.same(await spread(address, port, 2, '/other'), ['a', 'a'], 'anything else: the default action')
  const teapot = await get(address, port, '/teapot')
  t.equal(teapot.status, 418)
  t.equal(teapot.body, 'short and stout')

  await elb.modifyRule({ RuleArn: rule.RuleArn!, Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue, Weight: 0 }, { TargetGroupArn: green, Weight: 1 }] } }] })
  t.same(await spread(address, port, 3, '/api/x'), ['c', 'c', 'c'], 'after ModifyRule: all to green')

  const described = await elb.describeRules({ ListenerArn: listener.ListenerArn! })
  t.same(described.Rules!.map((r) => r.Priority), ['5', '10', 'default'], 'by priority, the default rule last')
  t.same(described.Rules![2].IsDefault, true)

  const groups = await elb.describeTargetGroups({ LoadBalancerArn: lb.LoadBalancerArn! })
  t.same(groups.TargetGroups!.map((g) => g.TargetGroupName).sort(), ['blue', 'green', 'web-tg'])
  t.same(groups.TargetGroups!.find((g) => g.TargetGroupName === 'blue')!.LoadBalancerArns, [lb.LoadBalancerArn])

  // SetRulePriorities: the fixed response moves behind the forward rule (no overlap: both still answer).
  const swapped = await elb.setRulePriorities({ RulePriorities: [{ RuleArn: rule.RuleArn!, Priority: 1 }] })
  t.same(swapped.Rules!.map((r) => r.Priority), ['1'])
  await elb.deleteRule({ RuleArn: rule.RuleArn! })
  t.same(await spread(address, port, 2, '/api/x'), ['a', 'a'], 'rule deleted: the default action again')

  // ModifyListener's default action: forward becomes a redirect.
  await elb.modifyListener({ ListenerArn: listener.ListenerArn!, DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }] })
  const moved = await get(address, port, '/x?y=1')
  t.equal(moved.status, 301)
  t.equal(moved.headers.location, `https://${address}/x?y=1`, 'to HTTPS on 443 (the default port, left out)')
})
