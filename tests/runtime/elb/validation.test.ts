// Bad input is refused with ELBv2's codes, naming the member (and the
// limit), and changes nothing in the store; a listener port that cannot be
// bound refuses CreateListener / ModifyListener with nothing committed and
// the old listener still serving.
import net from 'node:net'
import t from 'tap'
import { backend, elbEngine, freePort, get, refused, refusal, webStack } from './elb-fixtures.js'

t.test('names, health check ranges, protocols and attributes: coded errors, nothing written', async (t) => {
  const engine = await elbEngine(t)
  const elb = engine.elb
  const before = engine.store.revision
  await refusal(t, () => elb.createLoadBalancer({ Name: '-web' }), 'ValidationError', 'Name')
  await refusal(t, () => elb.createLoadBalancer({ Name: 'internal-web' }), 'ValidationError', 'Name')
  await refusal(t, () => elb.createLoadBalancer({ Name: 'x'.repeat(33) }), 'ValidationError', 'Name')
  await refusal(t, () => elb.createLoadBalancer({ Name: 'web_1' }), 'ValidationError', 'Name')
  await refusal(t, () => elb.createLoadBalancer({ Name: 'web', Type: 'gateway' }), 'ValidationError', 'Type')
  await refusal(t, () => elb.createLoadBalancer({ Name: 'web', Scheme: 'public' as never }), 'InvalidScheme', 'Scheme')
  await refusal(t, () => elb.createLoadBalancer({ Name: 'web', Subnets: ['subnet-stratus-us-east-1a'] }), 'ValidationError', 'Subnets')
  await refusal(t, () => elb.createLoadBalancer({ Name: 'web', Subnets: ['subnet-123', 'subnet-456'] }), 'SubnetNotFound', 'Subnets[0]')
  await refusal(t, () => elb.createTargetGroup({ Name: 'tg', Protocol: 'HTTP', Port: 80, HealthCheckIntervalSeconds: 4 }), 'ValidationError', 'HealthCheckIntervalSeconds')
  await refusal(t, () => elb.createTargetGroup({ Name: 'tg', Protocol: 'HTTP', Port: 80, HealthCheckTimeoutSeconds: 30, HealthCheckIntervalSeconds: 30 }), 'ValidationError', 'HealthCheckTimeoutSeconds')
  await refusal(t, () => elb.createTargetGroup({ Name: 'tg', Protocol: 'HTTP', Port: 80, HealthyThresholdCount: 11 }), 'ValidationError', 'HealthyThresholdCount')
  await refusal(t, () => elb.createTargetGroup({ Name: 'tg', Protocol: 'HTTP', Port: 80, Matcher: { HttpCode: '199' } }), 'ValidationError', 'Matcher.HttpCode')
  await refusal(t, () => elb.createTargetGroup({ Name: 'tg', Protocol: 'HTTP', Port: 80, HealthCheckPath: 'health' }), 'ValidationError', 'HealthCheckPath')
  await refusal(t, () => elb.createTargetGroup({ Name: 'tg', Protocol: 'HTTP', Port: 80, HealthCheckProtocol: 'TCP' }), 'ValidationError', 'HealthCheckProtocol')
  await refusal(t, () => elb.createTargetGroup({ Name: 'tg', Protocol: 'GENEVE', Port: 80 }), 'UnsupportedProtocol', 'Protocol')
  await refusal(t, () => elb.createTargetGroup({ Name: 'tg', Protocol: 'HTTP' }), 'ValidationError', 'Port')
  await refusal(t, () => elb.createTargetGroup({ Name: 'tg', Protocol: 'HTTP', Port: 80, TargetType: 'lambda' }), 'ValidationError', 'TargetType')
  await refusal(t, () => elb.createTargetGroup({ Name: 'tg', Protocol: 'HTTP', Port: 80, VpcId: 'vpc-0abc' }), 'ValidationError', 'VpcId')
  t.equal(engine.store.revision, before, 'nothing written')

  // Defaults per protocol (ALB HTTP, NLB TCP).
  const { TargetGroups: [http] = [] } = await elb.createTargetGroup({ Name: 'web', Protocol: 'HTTP', Port: 80, TargetType: 'ip' })
  t.match(http, { HealthCheckIntervalSeconds: 30, HealthCheckTimeoutSeconds: 5, HealthyThresholdCount: 5, UnhealthyThresholdCount: 2, HealthCheckPath: '/', Matcher: { HttpCode: '200' }, HealthCheckEnabled: true, ProtocolVersion: 'HTTP1' })
  const { TargetGroups: [tcp] = [] } = await elb.createTargetGroup({ Name: 'db', Protocol: 'TCP', Port: 5432, TargetType: 'ip' })
  t.match(tcp, { HealthCheckProtocol: 'TCP', HealthCheckIntervalSeconds: 30, HealthCheckTimeoutSeconds: 10, HealthyThresholdCount: 5, UnhealthyThresholdCount: 2 })
  t.equal(tcp.HealthCheckPath, undefined)
  const attrs = Object.fromEntries((await elb.describeTargetGroupAttributes({ TargetGroupArn: http.TargetGroupArn! })).Attributes!.map((a) => [a.Key, a.Value]))
  t.match(attrs, { 'deregistration_delay.timeout_seconds': '300', 'stickiness.enabled': 'false', 'stickiness.type': 'lb_cookie', 'stickiness.lb_cookie.duration_seconds': '86400', 'load_balancing.algorithm.type': 'round_robin', 'slow_start.duration_seconds': '0' })
  // The same create again returns the group; other settings under the same name are a clash.
  const again = await elb.createTargetGroup({ Name: 'web', Protocol: 'HTTP', Port: 80, TargetType: 'ip' })
  t.equal(again.TargetGroups![0].TargetGroupArn, http.TargetGroupArn)
  const mid = engine.store.revision
  await refusal(t, () => elb.createTargetGroup({ Name: 'web', Protocol: 'HTTP', Port: 8080, TargetType: 'ip' }), 'DuplicateTargetGroupName', 'Name')
  await refusal(t, () => elb.modifyTargetGroupAttributes({ TargetGroupArn: http.TargetGroupArn!, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '3601' }] }), 'ValidationError', 'Attributes[0].Value')
  await refusal(t, () => elb.modifyTargetGroupAttributes({ TargetGroupArn: http.TargetGroupArn!, Attributes: [{ Key: 'stickiness.lb_cookie.duration_seconds', Value: '604801' }] }), 'ValidationError', 'Attributes[0].Value')
  await refusal(t, () => elb.modifyTargetGroupAttributes({ TargetGroupArn: http.TargetGroupArn!, Attributes: [{ Key: 'slow_start.duration_seconds', Value: '10' }] }), 'ValidationError', 'Attributes[0].Value')
  await refusal(t, () => elb.modifyTargetGroupAttributes({ TargetGroupArn: http.TargetGroupArn!, Attributes: [{ Key: 'no.such', Value: '1' }] }), 'InvalidConfigurationRequest', 'Attributes[0].Key')
  await refusal(t, () => elb.modifyTargetGroupAttributes({ TargetGroupArn: http.TargetGroupArn!, Attributes: [{ Key: 'stickiness.type', Value: 'source_ip' }] }), 'ValidationError', 'Attributes[0].Value')
  await refusal(t, () => elb.modifyTargetGroup({ TargetGroupArn: http.TargetGroupArn!, HealthCheckIntervalSeconds: 301 }), 'ValidationError', 'HealthCheckIntervalSeconds')
  await refusal(t, () => elb.describeTargetGroups({ Names: ['nope'] }), 'TargetGroupNotFound', 'Names[0]')
  await refusal(t, () => elb.describeTargetGroups({ TargetGroupArns: ['arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/web/0000000000000000'] }), 'ValidationError', 'TargetGroupArns[0]')
  t.equal(engine.store.revision, mid, 'nothing written by the refused changes')
})

t.test('listeners and rules: protocols, actions, priorities, certificates, limits; ResourceInUse for a group in use', async (t) => {
  const engine = await elbEngine(t)
  const elb = engine.elb
  const a = await backend(t, 'a')
  const { lb, tg, listener, address, port } = await webStack(engine, [a])
  const lbArn = lb.LoadBalancerArn!
  const { TargetGroups: [tcp] = [] } = await elb.createTargetGroup({ Name: 'tcp', Protocol: 'TCP', Port: 5432, TargetType: 'ip' })
  const { LoadBalancers: [other] = [] } = await elb.createLoadBalancer({ Name: 'other' })
  const before = engine.store.revision
  const p = await freePort()
  const fwd = (arn: string) => [{ Type: 'forward' as const, TargetGroupArn: arn }]
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lbArn, Protocol: 'TCP', Port: p, DefaultActions: fwd(tg.TargetGroupArn!) }), 'UnsupportedProtocol', 'Protocol')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lbArn, Protocol: 'HTTPS', Port: p, DefaultActions: fwd(tg.TargetGroupArn!) }), 'ValidationError', 'Certificates')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lbArn, Protocol: 'HTTPS', Port: p, Certificates: [{ CertificateArn: 'arn:aws:acm:us-east-1:000000000000:certificate/nope' }], DefaultActions: fwd(tg.TargetGroupArn!) }), 'CertificateNotFound', 'Certificates[0].CertificateArn')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: p, DefaultActions: fwd(tcp.TargetGroupArn!) }), 'IncompatibleProtocols', 'DefaultActions[0].TargetGroupArn')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: port, DefaultActions: fwd(tg.TargetGroupArn!) }), 'DuplicateListener', 'Port')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: other.LoadBalancerArn!, Protocol: 'HTTP', Port: p, DefaultActions: fwd(tg.TargetGroupArn!) }), 'TargetGroupAssociationLimit', 'DefaultActions[0].TargetGroupArn')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: p, DefaultActions: [] }), 'ValidationError', 'DefaultActions')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: p, DefaultActions: [{ Type: 'authenticate-oidc' }] }), 'InvalidLoadBalancerAction', 'DefaultActions[0].Type')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: p, DefaultActions: [{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301' } }] }), 'InvalidLoadBalancerAction', 'DefaultActions[0].RedirectConfig')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: p, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '302' } }] }), 'ValidationError', 'DefaultActions[0].FixedResponseConfig.StatusCode')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: 0, DefaultActions: fwd(tg.TargetGroupArn!) }), 'ValidationError', 'Port')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lbArn.replace(/[0-9a-f]{16}$/, '0000000000000000'), Protocol: 'HTTP', Port: p, DefaultActions: fwd(tg.TargetGroupArn!) }), 'LoadBalancerNotFound', 'LoadBalancerArn')
  const rule = (over: Record<string, unknown>) => elb.createRule({
    ListenerArn: listener.ListenerArn!, Priority: 10, Conditions: [{ Field: 'path-pattern', Values: ['/a'] }], Actions: fwd(tg.TargetGroupArn!), ...over
  } as never)
  await refusal(t, () => rule({ Priority: 0 }), 'ValidationError', 'Priority')
  await refusal(t, () => rule({ Priority: 50001 }), 'ValidationError', 'Priority')
  await refusal(t, () => rule({ Conditions: [] }), 'ValidationError', 'Conditions')
  await refusal(t, () => rule({ Conditions: [{ Field: 'cookie', Values: ['x'] }] }), 'ValidationError', 'Conditions[0].Field')
  await refusal(t, () => rule({ Conditions: [{ Field: 'path-pattern', Values: ['/1', '/2', '/3'] }, { Field: 'host-header', Values: ['a', 'b', 'c'] }] }), 'ValidationError', 'Conditions')
  await refusal(t, () => rule({ Conditions: [{ Field: 'path-pattern', Values: ['/a'] }, { Field: 'path-pattern', Values: ['/b'] }] }), 'ValidationError', 'Conditions[1].Field')
  t.equal(engine.store.revision, before, 'nothing written by the refused calls')
  t.ok(await refused(address, p), 'no listener bound for them')

  const { Rules: [r10] = [] } = await rule({})
  await refusal(t, () => rule({}), 'PriorityInUse', 'Priority')
  const defaultRule = (await elb.describeRules({ ListenerArn: listener.ListenerArn! })).Rules!.find((r) => r.IsDefault)!.RuleArn!
  await refusal(t, () => elb.deleteRule({ RuleArn: defaultRule }), 'OperationNotPermitted', 'RuleArn')
  await refusal(t, () => elb.deleteTargetGroup({ TargetGroupArn: tg.TargetGroupArn! }), 'ResourceInUse', 'TargetGroupArn')
  await refusal(t, () => elb.modifyRule({ RuleArn: r10.RuleArn!.replace(/[0-9a-f]{16}$/, '0000000000000000') }), 'RuleNotFound', 'RuleArn')
  t.equal((await get(address, port, '/a')).body, 'a /a', 'still serving')

  // Deleting the listener frees the group; deleting the group then works (and twice is fine).
  await elb.deleteListener({ ListenerArn: listener.ListenerArn! })
  t.ok(await refused(address, port), 'the listener is unbound')
  await refusal(t, () => elb.describeRules({ RuleArns: [r10.RuleArn!] }), 'RuleNotFound', 'RuleArns[0]')
  await elb.deleteTargetGroup({ TargetGroupArn: tg.TargetGroupArn! })
  await elb.deleteTargetGroup({ TargetGroupArn: tg.TargetGroupArn! })
  await refusal(t, () => elb.describeTargetGroups({ TargetGroupArns: [tg.TargetGroupArn!] }), 'TargetGroupNotFound')

  // Deletion protection.
  await elb.modifyLoadBalancerAttributes({ LoadBalancerArn: lbArn, Attributes: [{ Key: 'deletion_protection.enabled', Value: 'true' }] })
  await refusal(t, () => elb.deleteLoadBalancer({ LoadBalancerArn: lbArn }), 'OperationNotPermitted', 'LoadBalancerArn')
  await refusal(t, () => elb.modifyLoadBalancerAttributes({ LoadBalancerArn: lbArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '4001' }] }), 'ValidationError', 'Attributes[0].Value')
  await elb.modifyLoadBalancerAttributes({ LoadBalancerArn: lbArn, Attributes: [{ Key: 'deletion_protection.enabled', Value: 'false' }] })
  await elb.deleteLoadBalancer({ LoadBalancerArn: lbArn })
  await refusal(t, () => elb.describeLoadBalancers({ LoadBalancerArns: [lbArn] }), 'LoadBalancerNotFound', 'LoadBalancerArns[0]')
})

t.test('quotas: listeners per load balancer, targets per group, load balancers per region', async (t) => {
  const engine = await elbEngine(t)
  const ctx = engine.elb.context as { quotas: { listenersPerLoadBalancer: number; targetsPerTargetGroup: number; loadBalancersPerRegion: number } }
  Object.assign(ctx.quotas, { listenersPerLoadBalancer: 2, targetsPerTargetGroup: 3, loadBalancersPerRegion: 2 })
  const elb = engine.elb
  const { LoadBalancers: [lb] = [] } = await elb.createLoadBalancer({ Name: 'q1' })
  await elb.createLoadBalancer({ Name: 'q2' })
  await refusal(t, () => elb.createLoadBalancer({ Name: 'q3' }), 'TooManyLoadBalancers')
  const fixed = [{ Type: 'fixed-response' as const, FixedResponseConfig: { StatusCode: '200' } }]
  for (let i = 0; i < 2; i++) await elb.createListener({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTP', Port: await freePort(), DefaultActions: fixed })
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTP', Port: 1, DefaultActions: fixed }), 'TooManyListeners')
  const { TargetGroups: [tg] = [] } = await elb.createTargetGroup({ Name: 'q', Protocol: 'HTTP', Port: 80, TargetType: 'ip' })
  await elb.registerTargets({ TargetGroupArn: tg.TargetGroupArn!, Targets: [{ Id: '127.0.0.2' }, { Id: '127.0.0.3' }] })
  await refusal(t, () => elb.registerTargets({ TargetGroupArn: tg.TargetGroupArn!, Targets: [{ Id: '127.0.0.4' }, { Id: '127.0.0.5' }] }), 'TooManyTargets', 'Targets')
  await elb.registerTargets({ TargetGroupArn: tg.TargetGroupArn!, Targets: [{ Id: '127.0.0.2' }, { Id: '127.0.0.4' }] })
  t.equal((await elb.describeTargetHealth({ TargetGroupArn: tg.TargetGroupArn! })).TargetHealthDescriptions!.length, 3, 'a target registered twice counts once')
})

t.test('a listener port that cannot be bound: refused, nothing committed; ModifyListener onto it leaves the old listener serving', async (t) => {
  const engine = await elbEngine(t)
  const elb = engine.elb
  const a = await backend(t, 'a')
  const { listener, address, port, tg } = await webStack(engine, [a])
  // Something else holds a port on the load balancer's own address.
  const squatter = net.createServer()
  await new Promise<void>((resolve) => squatter.listen(0, address, resolve))
  t.teardown(() => new Promise<void>((resolve) => squatter.close(() => resolve())))
  const taken = (squatter.address() as net.AddressInfo).port
  const before = engine.store.revision
  const e = await refusal(t, () => elb.createListener({ LoadBalancerArn: listener.LoadBalancerArn!, Protocol: 'HTTP', Port: taken, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] }), 'InvalidConfigurationRequest', 'Port')
  t.match(e.message, new RegExp(`${taken}`))
  t.equal(engine.store.revision, before, 'nothing committed')
  t.equal((await elb.describeListeners({ LoadBalancerArn: listener.LoadBalancerArn! })).Listeners!.length, 1)

  await refusal(t, () => elb.modifyListener({ ListenerArn: listener.ListenerArn!, Port: taken }), 'InvalidConfigurationRequest', 'Port')
  t.equal(engine.store.revision, before, 'nothing committed')
  t.equal((await elb.describeListeners({ ListenerArns: [listener.ListenerArn!] })).Listeners![0].Port, port)
  t.equal((await get(address, port, '/x')).body, 'a /x', 'the old listener still serves')

  // To a free port: moved (the old port let go).
  const next = await freePort()
  await elb.modifyListener({ ListenerArn: listener.ListenerArn!, Port: next })
  t.equal((await get(address, next, '/y')).body, 'a /y')
  t.ok(await refused(address, port), 'the old port is free again')
})

t.test('concurrent changes go one at a time: of two CreateListener calls on one port, one wins', async (t) => {
  const engine = await elbEngine(t)
  const elb = engine.elb
  const a = await backend(t, 'a')
  const { lb, tg, address } = await webStack(engine, [a])
  const port = await freePort()
  const make = () => elb.createListener({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] })
  const results = await Promise.allSettled([make(), make()])
  t.same(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'])
  const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!
  t.equal((lost.reason as { code: string }).code, 'DuplicateListener')
  t.equal((await elb.describeListeners({ LoadBalancerArn: lb.LoadBalancerArn! })).Listeners!.filter((l) => l.Port === port).length, 1)
  t.equal((await get(address, port, '/z')).body, 'a /z')
})
