// ELBv2's errors on the wire: each as the official SDK's exception class
// (`instanceof LoadBalancerNotFoundException`), ValidationError (not a
// modelled exception: a ServiceException named so) with HTTP 400, the XML
// error body itself, and a refused call changing nothing. Plus the listener
// certificate operations and SSL policies, and IAM on ELBv2's actions with
// the calls in the audit trail.
import t from 'tap'
import {
  AddListenerCertificatesCommand, CertificateNotFoundException, CreateListenerCommand, CreateLoadBalancerCommand, CreateRuleCommand,
  CreateTargetGroupCommand, DeleteTargetGroupCommand, DescribeListenerCertificatesCommand, DescribeListenersCommand, DescribeLoadBalancersCommand,
  DescribeRulesCommand, DescribeSSLPoliciesCommand, DescribeTargetGroupsCommand, DuplicateListenerException, DuplicateLoadBalancerNameException,
  ElasticLoadBalancingV2Client, ElasticLoadBalancingV2ServiceException, InvalidTargetException, ListenerNotFoundException, LoadBalancerNotFoundException,
  PriorityInUseException, RegisterTargetsCommand, RemoveListenerCertificatesCommand, ResourceInUseException, RuleNotFoundException,
  TargetGroupNotFoundException, TooManyTagsException, AddTagsCommand
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { IAMClient, CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam'
import { Stratus } from '../../sdk/index.js'
import { elbCloud, listenerPort, signedRequest } from './elbv2-helpers.js'

const ACCOUNT = '000000000000'
const arn = (resource: string) => `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:${resource}`

t.test('each ELBv2 error arrives as the SDK exception class, with HTTP 400', async (t) => {
  const { elb } = await elbCloud(t)
  const fails = async <E>(call: Promise<unknown>, type: new (...a: never[]) => E, name: string): Promise<E> => {
    const err = await call.then(() => undefined, (e: unknown) => e)
    t.ok(err instanceof type, `${name}: ${String((err as Error)?.name)} ${String((err as Error)?.message)}`)
    t.equal((err as ElasticLoadBalancingV2ServiceException).$metadata?.httpStatusCode, 400, `${name}: HTTP 400`)
    return err as E
  }
  await fails(elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn('loadbalancer/app/none/0123456789abcdef')] })), LoadBalancerNotFoundException, 'unknown LB ARN')
  await fails(elb.send(new DescribeLoadBalancersCommand({ Names: ['none'] })), LoadBalancerNotFoundException, 'unknown LB name')
  await fails(elb.send(new DescribeTargetGroupsCommand({ Names: ['none'] })), TargetGroupNotFoundException, 'unknown TG')
  await fails(elb.send(new DescribeListenersCommand({ ListenerArns: [arn('listener/app/none/0123456789abcdef/0123456789abcdef')] })), ListenerNotFoundException, 'unknown listener')
  await fails(elb.send(new DescribeRulesCommand({ RuleArns: [arn('listener-rule/app/none/0123456789abcdef/0123456789abcdef/0123456789abcdef')] })), RuleNotFoundException, 'unknown rule')

  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'errs' }))).LoadBalancers![0]
  t.equal((await elb.send(new CreateLoadBalancerCommand({ Name: 'errs' }))).LoadBalancers![0].LoadBalancerArn, lb.LoadBalancerArn, 'the same create again is the same load balancer')
  await fails(elb.send(new CreateLoadBalancerCommand({ Name: 'errs', Scheme: 'internal' })), DuplicateLoadBalancerNameException, 'same name, other settings')
  const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'errs', Port: 80, Protocol: 'HTTP', TargetType: 'ip' }))).TargetGroups![0]
  await fails(elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: [{ Id: '10.0.0.1' }] })), InvalidTargetException, 'an ip target off loopback')
  const port = listenerPort()
  const forward = [{ Type: 'forward' as const, TargetGroupArn: tg.TargetGroupArn }]
  const listener = (await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: forward }))).Listeners![0]
  await fails(elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }] })), DuplicateListenerException, 'a second listener on the port')
  await fails(elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn })), ResourceInUseException, 'a group a listener forwards to')
  const rule = { ListenerArn: listener.ListenerArn, Priority: 7, Conditions: [{ Field: 'path-pattern', Values: ['/x'] }], Actions: forward }
  await elb.send(new CreateRuleCommand(rule))
  await fails(elb.send(new CreateRuleCommand({ ...rule, Conditions: [{ Field: 'path-pattern', Values: ['/y'] }] })), PriorityInUseException, 'a priority taken')
  await fails(elb.send(new CreateListenerCommand({
    LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTPS', Port: listenerPort(), DefaultActions: forward, Certificates: [{ CertificateArn: `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000` }]
  })), CertificateNotFoundException, 'an HTTPS listener naming no certificate there is')
  const tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }))
  await fails(elb.send(new AddTagsCommand({ ResourceArns: [lb.LoadBalancerArn!], Tags: tags })), TooManyTagsException, 'more than 50 tags')

  const bad = await elb.send(new CreateTargetGroupCommand({ Name: 'bad', Port: 80, Protocol: 'HTTP', TargetType: 'ip', HealthCheckIntervalSeconds: 1 })).then(() => undefined, (e: unknown) => e)
  t.ok(bad instanceof ElasticLoadBalancingV2ServiceException, 'ValidationError is a service exception')
  t.equal((bad as Error).name, 'ValidationError')
  t.equal((bad as ElasticLoadBalancingV2ServiceException).$metadata.httpStatusCode, 400)
  t.same((await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups!.map((g) => g.TargetGroupName), ['errs'], 'the refused calls made nothing')
  t.same((await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners!.map((l) => l.Port), [port])
})

t.test('on the wire: the XML error, a member that is not its shape, a missing required member', async (t) => {
  const { cloud } = await elbCloud(t)
  const call = (form: Record<string, string>) => signedRequest(cloud.endpoint, {
    service: 'elasticloadbalancing', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams({ Version: '2015-12-01', ...form }).toString()
  })
  const notFound = await call({ Action: 'DescribeLoadBalancers', 'Names.member.1': 'nope' })
  t.equal(notFound.status, 400)
  t.equal(notFound.headers.get('content-type'), 'text/xml')
  t.match(notFound.text, /^<ErrorResponse xmlns="http:\/\/elasticloadbalancing\.amazonaws\.com\/doc\/2015-12-01\/"><Error><Type>Sender<\/Type><Code>LoadBalancerNotFound<\/Code><Message>[^<]*nope[^<]*<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/)
  t.match(JSON.parse(notFound.headers.get('x-stratus-error')!), { kind: 'NotFound', code: 'LoadBalancerNotFound' })

  const port = await call({ Action: 'CreateTargetGroup', Name: 'shape', Protocol: 'HTTP', Port: 'eighty', TargetType: 'ip' })
  t.equal(port.status, 400)
  t.match(port.text, /<Code>ValidationError<\/Code><Message>1 validation error detected: Value &apos;eighty&apos; at &apos;Port&apos; failed to satisfy constraint: Member must be an integer<\/Message>/)
  const missing = await call({ Action: 'RegisterTargets', TargetGroupArn: arn('targetgroup/x/0123456789abcdef') })
  t.equal(missing.status, 400)
  t.match(missing.text, /<Code>ValidationError<\/Code><Message>1 validation error detected: Value null at &apos;Targets&apos; failed to satisfy constraint: Member must not be null<\/Message>/)
  const nested = await call({ Action: 'AddTags', 'ResourceArns.member.1': arn('targetgroup/x/0123456789abcdef'), 'Tags.member.1.Value': 'v' })
  t.match(nested.text, /Value null at &apos;Tags\.member\.1\.Key&apos;/)
  const unknown = await call({ Action: 'CreateTrustStore', Name: 'x' })
  t.equal(unknown.status, 400)
  t.match(unknown.text, /<Code>UnknownOperationException<\/Code>/)
  const listed = await call({ Action: 'DescribeTargetGroups' })
  t.equal(listed.status, 200)
  t.match(listed.text, /^<DescribeTargetGroupsResponse xmlns="http:\/\/elasticloadbalancing\.amazonaws\.com\/doc\/2015-12-01\/"><DescribeTargetGroupsResult><TargetGroups><\/TargetGroups><\/DescribeTargetGroupsResult><ResponseMetadata><RequestId>/, 'an empty list is an empty element')
  t.same((await cloud.elbv2.service.describeTargetGroups({})).TargetGroups, [], 'the shape error created nothing')
})

t.test('listener certificates on an HTTP listener, and SSL policies', async (t) => {
  const { elb } = await elbCloud(t)
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'certs' }))).LoadBalancers![0]
  const listener = (await elb.send(new CreateListenerCommand({
    LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: listenerPort(), DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }]
  }))).Listeners![0]
  t.same((await elb.send(new DescribeListenerCertificatesCommand({ ListenerArn: listener.ListenerArn }))).Certificates, [], 'an HTTP listener has none')
  const certificate = `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/11111111-1111-1111-1111-111111111111`
  const added = await elb.send(new AddListenerCertificatesCommand({ ListenerArn: listener.ListenerArn, Certificates: [{ CertificateArn: certificate }] })).then(() => undefined, (e: unknown) => e)
  t.equal((added as Error)?.name, 'ValidationError', 'certificates go on HTTPS and TLS listeners only')
  await elb.send(new RemoveListenerCertificatesCommand({ ListenerArn: listener.ListenerArn, Certificates: [{ CertificateArn: certificate }] }))
  t.same((await elb.send(new DescribeListenerCertificatesCommand({ ListenerArn: listener.ListenerArn }))).Certificates, [], 'removing one it does not have changes nothing')
  const policies = (await elb.send(new DescribeSSLPoliciesCommand({}))).SslPolicies!
  const recommended = policies.find((p) => p.Name === 'ELBSecurityPolicy-TLS13-1-2-2021-06')
  t.ok(recommended, "ELBv2's recommended policy is there")
  t.ok(recommended!.SslProtocols!.includes('TLSv1.3'))
  t.ok(recommended!.Ciphers!.every((c) => typeof c.Priority === 'number' && typeof c.Name === 'string'), 'ciphers with numeric priorities')
  const one = (await elb.send(new DescribeSSLPoliciesCommand({ Names: ['ELBSecurityPolicy-TLS-1-2-2017-01'] }))).SslPolicies!
  t.same(one.map((p) => p.Name), ['ELBSecurityPolicy-TLS-1-2-2017-01'])
})

t.test('IAM: elasticloadbalancing:<Operation> on the resources it touches', async (t) => {
  const ROOT = { accessKeyId: 'test', secretAccessKey: 'test' }
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated', auth: 'iam', iam: { root: { accessKeys: [ROOT] } } })
  t.teardown(() => cloud.close())
  const config = (credentials: typeof ROOT) => ({ endpoint: `http://${cloud.endpoint}`, region: 'us-east-1', credentials, maxAttempts: 1 })
  const iam = new IAMClient(config(ROOT))
  t.teardown(() => iam.destroy())
  await iam.send(new CreateUserCommand({ UserName: 'reader' }))
  await iam.send(new PutUserPolicyCommand({
    UserName: 'reader', PolicyName: 'lb', PolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'elasticloadbalancing:Describe*', Resource: '*' },
        { Effect: 'Allow', Action: 'elasticloadbalancing:CreateLoadBalancer', Resource: 'arn:aws:elasticloadbalancing:*:*:loadbalancer/app/team-*' }
      ]
    })
  }))
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'reader' }))).AccessKey!
  const reader = new ElasticLoadBalancingV2Client(config({ accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }))
  t.teardown(() => reader.destroy())
  t.same((await reader.send(new DescribeLoadBalancersCommand({}))).LoadBalancers, [], 'Describe* allowed')
  const made = (await reader.send(new CreateLoadBalancerCommand({ Name: 'team-a' }))).LoadBalancers![0]
  t.equal(made.LoadBalancerName, 'team-a', 'a create on the ARN pattern allowed')
  const denied = await reader.send(new CreateLoadBalancerCommand({ Name: 'other' })).then(() => undefined, (e: unknown) => e)
  t.equal((denied as ElasticLoadBalancingV2ServiceException)?.$metadata?.httpStatusCode, 403)
  t.equal((denied as Error)?.name, 'AccessDenied')
  t.match((denied as Error).message, /elasticloadbalancing:CreateLoadBalancer/)
  const deniedTg = await reader.send(new CreateTargetGroupCommand({ Name: 'tg', Port: 80, Protocol: 'HTTP', TargetType: 'ip' })).then(() => undefined, (e: unknown) => e)
  t.equal((deniedTg as Error)?.name, 'AccessDenied')
  const root = new ElasticLoadBalancingV2Client(config(ROOT))
  t.teardown(() => root.destroy())
  t.same((await root.send(new DescribeLoadBalancersCommand({}))).LoadBalancers!.map((l) => l.LoadBalancerName), ['team-a'], 'only the allowed create happened')
  const trail: Array<{ name: string; error?: string; readOnly: boolean; lbName?: unknown }> = []
  for await (const e of cloud.audit.lookup({ eventSource: 'elasticloadbalancing.amazonaws.com' })) {
    trail.push({ name: e.record.eventName, readOnly: e.record.readOnly, ...(e.record.errorCode !== undefined ? { error: e.record.errorCode } : {}), lbName: (e.record.requestParameters as { Name?: unknown } | null)?.Name })
  }
  t.same(trail.reverse().map((e) => [e.name, e.error ?? 'ok', e.readOnly]), [
    ['DescribeLoadBalancers', 'ok', true], ['CreateLoadBalancer', 'ok', false], ['CreateLoadBalancer', 'AccessDenied', false],
    ['CreateTargetGroup', 'AccessDenied', false], ['DescribeLoadBalancers', 'ok', true]
  ], 'each call in the audit trail with ELBv2 as its event source, refusals too')
  t.equal(trail.find((e) => e.name === 'CreateLoadBalancer')?.lbName, 'team-a', 'with its request parameters')
})
