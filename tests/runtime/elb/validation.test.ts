// Bad input is refused with ELBv2's codes, naming the member (and the
// limit), and changes nothing in the store; a listener port that cannot be
// bound refuses CreateListener / ModifyListener with nothing committed and
// the old listener still serving.
import net from 'node:net'
import t, { type Test } from 'tap'
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

// Both edges of each range: the last valid value is taken, the first invalid
// one refused with the code, naming the member and the limit, and nothing of
// a refused call is left (no group, the group or its attributes as before).
type Limited = Error & { code: string; field?: string; limit?: number | string }

/** A refusal naming the field and the limit (in the error; its message names the bound, by default the limit's numbers). */
async function beyond(t: Test, fn: () => Promise<unknown>, code: string, field: string, limit?: number | string, said?: string): Promise<Limited> {
  const e = await refusal(t, fn, code, field) as Limited
  if (limit === undefined) return e
  t.equal(e.limit, limit, `limit ${limit}`)
  for (const n of said !== undefined ? [said] : String(limit).split('-')) t.match(e.message, n, `the message names ${n}`)
  return e
}

const HEALTH_RANGES: Array<{ field: 'HealthCheckIntervalSeconds' | 'HealthCheckTimeoutSeconds' | 'HealthyThresholdCount' | 'UnhealthyThresholdCount'; with: Record<string, number>; ok: number[]; bad: Array<[number, number]> }> = [
  // The timeout must stay below the interval, so each edge goes with a partner that allows it.
  { field: 'HealthCheckIntervalSeconds', with: { HealthCheckTimeoutSeconds: 2 }, ok: [5, 300], bad: [[4, 5], [301, 300]] },
  { field: 'HealthCheckTimeoutSeconds', with: { HealthCheckIntervalSeconds: 300 }, ok: [2, 120], bad: [[1, 2], [121, 120]] },
  { field: 'HealthyThresholdCount', with: {}, ok: [2, 10], bad: [[1, 2], [11, 10]] },
  { field: 'UnhealthyThresholdCount', with: {}, ok: [2, 10], bad: [[1, 2], [11, 10]] }
]

t.test('health check ranges, both edges, via CreateTargetGroup and ModifyTargetGroup: a refused call leaves nothing', async (t) => {
  const engine = await elbEngine(t)
  const elb = engine.elb
  let n = 0
  const create = (o: Record<string, unknown>, protocol = 'HTTP') => elb.createTargetGroup({ Name: `r${++n}`, Protocol: protocol as 'HTTP', Port: 80, TargetType: 'ip', ...o })
  /** A create refused: nothing written, no group by that name. */
  const createRefused = async (o: Record<string, unknown>, field: string, limit?: number | string, protocol = 'HTTP', said?: string) => {
    const before = engine.store.revision
    await beyond(t, () => create(o, protocol), 'ValidationError', field, limit, said)
    t.equal(engine.store.revision, before, 'nothing written')
    await refusal(t, () => elb.describeTargetGroups({ Names: [`r${n}`] }), 'TargetGroupNotFound', 'Names[0]')
  }
  const { TargetGroups: [tg] = [] } = await create({})
  const arn = tg.TargetGroupArn!
  const now = async () => (await elb.describeTargetGroups({ TargetGroupArns: [arn] })).TargetGroups![0]
  /** A modify refused: nothing written, DescribeTargetGroups as before. */
  const modifyRefused = async (o: Record<string, unknown>, field: string, limit?: number | string, group = arn, said?: string) => {
    const before = engine.store.revision
    const seen = (await elb.describeTargetGroups({ TargetGroupArns: [group] })).TargetGroups![0]
    await beyond(t, () => elb.modifyTargetGroup({ TargetGroupArn: group, ...o }), 'ValidationError', field, limit, said)
    t.equal(engine.store.revision, before, 'nothing written')
    t.same((await elb.describeTargetGroups({ TargetGroupArns: [group] })).TargetGroups![0], seen, 'DescribeTargetGroups unchanged')
  }

  for (const r of HEALTH_RANGES) {
    for (const v of r.ok) {
      const { TargetGroups: [made] = [] } = await create({ ...r.with, [r.field]: v })
      t.match(made, { ...r.with, [r.field]: v }, `CreateTargetGroup ${r.field} ${v} accepted`)
      const { TargetGroups: [changed] = [] } = await elb.modifyTargetGroup({ TargetGroupArn: arn, ...r.with, [r.field]: v })
      t.match(changed, { ...r.with, [r.field]: v }, `ModifyTargetGroup ${r.field} ${v} accepted`)
      t.match(await now(), { ...r.with, [r.field]: v }, 'and described')
    }
    for (const [v, limit] of r.bad) {
      await createRefused({ ...r.with, [r.field]: v }, r.field, limit)
      await modifyRefused({ ...r.with, [r.field]: v }, r.field, limit)
    }
  }
  // The other members of a refused modify are not applied either.
  await modifyRefused({ HealthCheckIntervalSeconds: 200, HealthCheckPath: '/ok', HealthyThresholdCount: 11 }, 'HealthyThresholdCount', 10)

  // ALB: the timeout below the interval (interval − 1 is the limit).
  t.match((await create({ HealthCheckIntervalSeconds: 6, HealthCheckTimeoutSeconds: 5 })).TargetGroups![0], { HealthCheckIntervalSeconds: 6, HealthCheckTimeoutSeconds: 5 })
  await createRefused({ HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 5 }, 'HealthCheckTimeoutSeconds', 4, 'HTTP', "interval '5'")
  await createRefused({ HealthCheckIntervalSeconds: 5 }, 'HealthCheckTimeoutSeconds', 4, 'HTTP', "interval '5'") // against the default timeout of 5
  await elb.modifyTargetGroup({ TargetGroupArn: arn, HealthCheckIntervalSeconds: 30, HealthCheckTimeoutSeconds: 29 })
  await modifyRefused({ HealthCheckTimeoutSeconds: 30 }, 'HealthCheckTimeoutSeconds', 29, arn, "interval '30'")
  await modifyRefused({ HealthCheckIntervalSeconds: 29 }, 'HealthCheckTimeoutSeconds', 28, arn, "interval '29'") // against the group's timeout of 29
  // NLB: the timeout may equal the interval.
  const { TargetGroups: [tcp] = [] } = await create({ HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 10 }, 'TCP')
  t.match(tcp, { HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 10 })
  await createRefused({ HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 11 }, 'HealthCheckTimeoutSeconds', 10, 'TCP', "interval '10'")
  await modifyRefused({ HealthCheckTimeoutSeconds: 11 }, 'HealthCheckTimeoutSeconds', 10, tcp.TargetGroupArn!, "interval '10'")

  // Matcher HttpCode: 200–499 for HTTP and HTTPS groups, as one code, a list or a range.
  for (const protocol of ['HTTP', 'HTTPS']) {
    const { TargetGroups: [g] = [] } = await create({}, protocol)
    for (const code of ['200', '499', '200-499', '200,302', '200,202-204,499']) {
      t.match((await create({ Matcher: { HttpCode: code } }, protocol)).TargetGroups![0].Matcher, { HttpCode: code }, `${protocol} CreateTargetGroup matcher ${code} accepted`)
      t.match((await elb.modifyTargetGroup({ TargetGroupArn: g.TargetGroupArn!, Matcher: { HttpCode: code } })).TargetGroups![0].Matcher, { HttpCode: code }, `${protocol} ModifyTargetGroup matcher ${code} accepted`)
    }
    for (const code of ['199', '500', '200-500', '199-299', '200,500', '', '2000', '300-200']) {
      await createRefused({ Matcher: { HttpCode: code } }, 'Matcher.HttpCode', '200-499', protocol)
      await modifyRefused({ Matcher: { HttpCode: code } }, 'Matcher.HttpCode', '200-499', g.TargetGroupArn!)
    }
  }
  // An NLB's HTTP health check takes 200–599.
  t.match((await create({ HealthCheckProtocol: 'HTTP', Matcher: { HttpCode: '200-599' } }, 'TCP')).TargetGroups![0].Matcher, { HttpCode: '200-599' })
  await createRefused({ HealthCheckProtocol: 'HTTP', Matcher: { HttpCode: '600' } }, 'Matcher.HttpCode', '200-599', 'TCP')

  // HealthCheckPort: 1–65535 or traffic-port.
  for (const port of ['1', '65535', 'traffic-port']) {
    t.equal((await create({ HealthCheckPort: port })).TargetGroups![0].HealthCheckPort, port, `CreateTargetGroup HealthCheckPort ${port} accepted`)
    t.equal((await elb.modifyTargetGroup({ TargetGroupArn: arn, HealthCheckPort: port })).TargetGroups![0].HealthCheckPort, port, `ModifyTargetGroup HealthCheckPort ${port} accepted`)
    t.equal((await now()).HealthCheckPort, port, 'and described')
  }
  await elb.modifyTargetGroup({ TargetGroupArn: arn, HealthCheckPort: '8080' })
  for (const port of ['0', '65536', '-1', 'traffic', '']) {
    await createRefused({ HealthCheckPort: port }, 'HealthCheckPort', '1-65535')
    await modifyRefused({ HealthCheckPort: port }, 'HealthCheckPort', '1-65535')
  }
  t.equal((await now()).HealthCheckPort, '8080', 'the port as it was')
})

t.test('target group attribute ranges, both edges, via ModifyTargetGroupAttributes: a refused call changes no attribute', async (t) => {
  const engine = await elbEngine(t)
  const elb = engine.elb
  const { TargetGroups: [http] = [] } = await elb.createTargetGroup({ Name: 'web', Protocol: 'HTTP', Port: 80, TargetType: 'ip' })
  const { TargetGroups: [tcp] = [] } = await elb.createTargetGroup({ Name: 'db', Protocol: 'TCP', Port: 5432, TargetType: 'ip' })
  const attrs = async (arn: string) => Object.fromEntries((await elb.describeTargetGroupAttributes({ TargetGroupArn: arn })).Attributes!.map((a) => [a.Key, a.Value]))
  const set = async (arn: string, key: string, value: string) => {
    const out = Object.fromEntries((await elb.modifyTargetGroupAttributes({ TargetGroupArn: arn, Attributes: [{ Key: key, Value: value }] })).Attributes!.map((a) => [a.Key, a.Value]))
    t.equal(out[key], value, `${key} ${value} accepted`)
    t.equal((await attrs(arn))[key], value, 'and described')
  }
  const refuse = async (arn: string, changes: Array<{ Key: string; Value: string }>, field: string, limit?: string, code = 'ValidationError') => {
    const before = engine.store.revision
    const seen = await attrs(arn)
    const group = (await elb.describeTargetGroups({ TargetGroupArns: [arn] })).TargetGroups![0]
    const e = await beyond(t, () => elb.modifyTargetGroupAttributes({ TargetGroupArn: arn, Attributes: changes }), code, field, limit)
    t.equal(engine.store.revision, before, 'nothing written')
    t.same(await attrs(arn), seen, 'DescribeTargetGroupAttributes unchanged')
    t.same((await elb.describeTargetGroups({ TargetGroupArns: [arn] })).TargetGroups![0], group, 'DescribeTargetGroups unchanged')
    return e
  }
  const ranges: Array<[string, string[], string[], string]> = [
    ['deregistration_delay.timeout_seconds', ['0', '3600'], ['-1', '3601'], '0-3600'],
    ['stickiness.lb_cookie.duration_seconds', ['1', '604800'], ['0', '604801'], '1-604800'],
    ['stickiness.app_cookie.duration_seconds', ['1', '604800'], ['0', '604801'], '1-604800']
  ]
  for (const [key, ok, bad, limit] of ranges) {
    for (const v of ok) await set(http.TargetGroupArn!, key, v)
    for (const v of [...bad, '', 'ten', '1.5']) await refuse(http.TargetGroupArn!, [{ Key: key, Value: v }], 'Attributes[0].Value', limit)
  }
  // NLB groups have the deregistration delay too.
  await set(tcp.TargetGroupArn!, 'deregistration_delay.timeout_seconds', '3600')
  await refuse(tcp.TargetGroupArn!, [{ Key: 'deregistration_delay.timeout_seconds', Value: '3601' }], 'Attributes[0].Value', '0-3600')
  // A list with a good change before a bad one: neither applied.
  await set(http.TargetGroupArn!, 'deregistration_delay.timeout_seconds', '300')
  await refuse(http.TargetGroupArn!, [{ Key: 'deregistration_delay.timeout_seconds', Value: '0' }, { Key: 'stickiness.lb_cookie.duration_seconds', Value: '604801' }], 'Attributes[1].Value', '1-604800')
  t.equal((await attrs(http.TargetGroupArn!))['deregistration_delay.timeout_seconds'], '300', 'the good change was not applied')

  // The application cookie's name: not beginning with AWSALB, AWSALBAPP or AWSALBTG (the load balancer's own).
  for (const name of ['session', 'MY-AWSALB', 'AWSAL', 'XAWSALBTG']) await set(http.TargetGroupArn!, 'stickiness.app_cookie.cookie_name', name)
  for (const name of ['AWSALB', 'AWSALBAPP', 'AWSALBTG', 'AWSALBsession', 'AWSALBAPP-1', 'AWSALBTGCORS']) {
    const e = await refuse(http.TargetGroupArn!, [{ Key: 'stickiness.app_cookie.cookie_name', Value: name }], 'Attributes[0].Value')
    t.match(e.message, /AWSALB, AWSALBAPP or AWSALBTG/, 'the message names the reserved prefixes')
  }
  t.equal((await attrs(http.TargetGroupArn!))['stickiness.app_cookie.cookie_name'], 'XAWSALBTG', 'the last good name kept')

  // stickiness.type per protocol: lb_cookie / app_cookie for HTTP(S), source_ip for TCP.
  for (const type of ['app_cookie', 'lb_cookie']) await set(http.TargetGroupArn!, 'stickiness.type', type)
  for (const type of ['source_ip', 'source_ip_dest_ip', 'LB_COOKIE', '']) await refuse(http.TargetGroupArn!, [{ Key: 'stickiness.type', Value: type }], 'Attributes[0].Value')
  await set(tcp.TargetGroupArn!, 'stickiness.type', 'source_ip')
  for (const type of ['lb_cookie', 'app_cookie', 'source_ip_dest_ip_proto']) await refuse(tcp.TargetGroupArn!, [{ Key: 'stickiness.type', Value: type }], 'Attributes[0].Value')
  // Keys of the other protocol are not the group's.
  await refuse(tcp.TargetGroupArn!, [{ Key: 'stickiness.lb_cookie.duration_seconds', Value: '60' }], 'Attributes[0].Key', undefined, 'InvalidConfigurationRequest')
  await refuse(http.TargetGroupArn!, [{ Key: 'proxy_protocol_v2.enabled', Value: 'true' }], 'Attributes[0].Key', undefined, 'InvalidConfigurationRequest')
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
