// Network Load Balancers through the control plane (a TCP listener in front
// of a TCP target group with TCP health checks, forwarding only), tags on
// every kind of resource, and Marker/PageSize pagination of the Describe
// calls.
import net from 'node:net'
import t, { type Test } from 'tap'
import { clockOf, elbEngine, freePort, refusal } from './elb-fixtures.js'

async function echo(t: Test, name: string): Promise<number> {
  const server = net.createServer((s) => { s.on('data', (d) => s.end(`${name}:${d.toString()}`)) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return (server.address() as net.AddressInfo).port
}

function converse(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = ''
    const s = net.connect(port, host, () => s.write(text))
    s.on('data', (d) => { got += d.toString() })
    s.on('end', () => resolve(got))
    s.on('error', reject)
  })
}

t.test('an NLB TCP listener forwards connections to a TCP target group; NLB-only rules of protocols and actions', async (t) => {
  const engine = await elbEngine(t)
  const elb = engine.elb
  const [p1, p2] = [await echo(t, 'one'), await echo(t, 'two')]
  const { LoadBalancers: [lb] = [] } = await elb.createLoadBalancer({ Name: 'db', Type: 'network', Scheme: 'internal' })
  t.match(lb, { Type: 'network', Scheme: 'internal', LoadBalancerArn: /:loadbalancer\/net\/db\/[0-9a-f]{16}$/ })
  t.equal(lb.SecurityGroups, undefined, 'an NLB has no security groups unless named')
  t.same(lb.AvailabilityZones![0].LoadBalancerAddresses, [{ IpAddress: lb.DNSName }])
  const attrs = Object.fromEntries((await elb.describeLoadBalancerAttributes({ LoadBalancerArn: lb.LoadBalancerArn! })).Attributes!.map((a) => [a.Key, a.Value]))
  t.equal(attrs['load_balancing.cross_zone.enabled'], 'false')
  t.equal(attrs['idle_timeout.timeout_seconds'], undefined, 'no ALB idle timeout on an NLB')
  const { TargetGroups: [tg] = [] } = await elb.createTargetGroup({ Name: 'db', Protocol: 'TCP', Port: 5432, TargetType: 'ip', HealthCheckIntervalSeconds: 10 })
  await elb.registerTargets({ TargetGroupArn: tg.TargetGroupArn!, Targets: [{ Id: '127.0.0.1', Port: p1 }, { Id: '127.0.0.1', Port: p2 }] })
  const { TargetGroups: [web] = [] } = await elb.createTargetGroup({ Name: 'web', Protocol: 'HTTP', Port: 80, TargetType: 'ip' })
  const port = await freePort()
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] }), 'UnsupportedProtocol', 'Protocol')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'TCP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: web.TargetGroupArn! }] }), 'IncompatibleProtocols')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'TCP', Port: port, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }] }), 'InvalidLoadBalancerAction', 'DefaultActions[0].Type')
  const { Listeners: [listener] = [] } = await elb.createListener({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'TCP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] })
  await refusal(t, () => elb.createRule({ ListenerArn: listener.ListenerArn!, Priority: 1, Conditions: [{ Field: 'path-pattern', Values: ['/'] }], Actions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] }), 'OperationNotPermitted', 'ListenerArn')
  await clockOf(engine).advance(0)
  const states = (await elb.describeTargetHealth({ TargetGroupArn: tg.TargetGroupArn! })).TargetHealthDescriptions!.map((d) => d.TargetHealth!.State)
  t.same(states, ['healthy', 'healthy'], 'TCP health checks pass')
  const answers = new Set<string>()
  for (let i = 0; i < 4; i++) answers.add((await converse(lb.DNSName!, port, 'hi')).split(':')[0])
  t.same([...answers].sort(), ['one', 'two'], 'connections spread over both targets')
})

t.test('tags on load balancers, target groups, listeners and rules; pagination with Marker and PageSize', async (t) => {
  const engine = await elbEngine(t)
  const elb = engine.elb
  const made: string[] = []
  for (const name of ['lb-a', 'lb-b', 'lb-c']) {
    const { LoadBalancers: [lb] = [] } = await elb.createLoadBalancer({ Name: name, Tags: [{ Key: 'team', Value: name }] })
    made.push(lb.LoadBalancerArn!)
  }
  const { TargetGroups: [tg] = [] } = await elb.createTargetGroup({ Name: 'tagged', Protocol: 'HTTP', Port: 80, Tags: [{ Key: 'env', Value: 'test' }] })
  const { Listeners: [l] = [] } = await elb.createListener({ LoadBalancerArn: made[0], Protocol: 'HTTP', Port: await freePort(), DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }], Tags: [{ Key: 'l', Value: '1' }] })
  const { Rules: [r] = [] } = await elb.createRule({ ListenerArn: l.ListenerArn!, Priority: 3, Conditions: [{ Field: 'host-header', Values: ['a.example.test'] }], Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '204' } }], Tags: [{ Key: 'r', Value: '1' }] })
  await elb.addTags({ ResourceArns: [made[0], tg.TargetGroupArn!, l.ListenerArn!, r.RuleArn!], Tags: [{ Key: 'owner', Value: 'stratus' }] })
  const { TagDescriptions } = await elb.describeTags({ ResourceArns: [made[0], tg.TargetGroupArn!, l.ListenerArn!, r.RuleArn!] })
  t.same(TagDescriptions!.map((d) => d.Tags!.map((x) => `${x.Key}=${x.Value}`)), [['team=lb-a', 'owner=stratus'], ['env=test', 'owner=stratus'], ['l=1', 'owner=stratus'], ['r=1', 'owner=stratus']])
  await elb.removeTags({ ResourceArns: [made[0]], TagKeys: ['team'] })
  t.same((await elb.describeTags({ ResourceArns: [made[0]] })).TagDescriptions![0].Tags, [{ Key: 'owner', Value: 'stratus' }])
  const before = engine.store.revision
  await refusal(t, () => elb.addTags({ ResourceArns: [made[1]], Tags: [{ Key: 'aws:x', Value: '1' }] }), 'ValidationError', 'Tags[0].Key')
  await refusal(t, () => elb.addTags({ ResourceArns: [made[1]], Tags: [{ Key: 'k', Value: '1' }, { Key: 'k', Value: '2' }] }), 'DuplicateTagKeys', 'Tags[1].Key')
  await refusal(t, () => elb.addTags({ ResourceArns: [made[1], made[0].replace(/[0-9a-f]{16}$/, '0000000000000000')], Tags: [{ Key: 'k', Value: '1' }] }), 'LoadBalancerNotFound', 'ResourceArns[1]')
  await refusal(t, () => elb.addTags({ ResourceArns: [made[1]], Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: '' })) }), 'TooManyTags')
  t.equal(engine.store.revision, before, 'a refused AddTags tags nothing (not even the resources before the bad one)')

  const first = await elb.describeLoadBalancers({ PageSize: 2 })
  t.equal(first.LoadBalancers!.length, 2)
  t.type(first.NextMarker, 'string')
  const second = await elb.describeLoadBalancers({ PageSize: 2, Marker: first.NextMarker })
  t.equal(second.LoadBalancers!.length, 1)
  t.equal(second.NextMarker, undefined)
  t.same([...first.LoadBalancers!, ...second.LoadBalancers!].map((x) => x.LoadBalancerArn).sort(), [...made].sort())
  await refusal(t, () => elb.describeLoadBalancers({ PageSize: 401 }), 'ValidationError', 'PageSize')
  await refusal(t, () => elb.describeLoadBalancers({ Marker: 'bogus' }), 'ValidationError', 'Marker')
  const policies = await elb.describeSSLPolicies({ Names: ['ELBSecurityPolicy-TLS13-1-2-2021-06'] })
  t.match(policies.SslPolicies, [{ Name: 'ELBSecurityPolicy-TLS13-1-2-2021-06', SslProtocols: ['TLSv1.2', 'TLSv1.3'] }])
  await refusal(t, () => elb.describeSSLPolicies({ Names: ['ELBSecurityPolicy-TLS-1-0-2015-04'] }), 'SSLPolicyNotFound', 'Names[0]')
  t.match((await elb.describeSSLPolicies({ Names: ['ELBSecurityPolicy-2016-08'] })).SslPolicies, [{ SslProtocols: ['TLSv1.2'] }], 'the old default, served with TLS 1.2')
})
