// SetSecurityGroups, SetSubnets and SetIpAddressType with the official
// client: the changes DescribeLoadBalancers shows, each refusal as ELBv2's
// exception (an NLB created without security groups, a malformed or sixth
// security group, an unknown subnet, one zone for an ALB, dualstack on
// loopback's IPv4-only subnets, an internal dualstack), nothing half-applied;
// the changes kept over a restart on a durable store; IAM on the load
// balancer's ARN; the Stratus SDK's handle methods.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import {
  CreateLoadBalancerCommand, DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client, ElasticLoadBalancingV2ServiceException,
  InvalidConfigurationRequestException, InvalidSecurityGroupException, LoadBalancerNotFoundException, SetIpAddressTypeCommand,
  SetSecurityGroupsCommand, SetSubnetsCommand, SubnetNotFoundException, type LoadBalancer
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { IAMClient, CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam'
import { Stratus } from '../../sdk/index.js'
import { elbCloud } from './elbv2-helpers.js'

const ACCOUNT = '000000000000'

async function refusal(call: Promise<unknown>): Promise<ElasticLoadBalancingV2ServiceException> {
  const err = await call.then(() => undefined, (e: unknown) => e)
  if (!(err instanceof ElasticLoadBalancingV2ServiceException)) throw new Error(`not refused: ${String(err)}`)
  return err
}

async function describe(elb: ElasticLoadBalancingV2Client, arn: string | undefined): Promise<LoadBalancer> {
  return (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn!] }))).LoadBalancers![0]
}

t.test('SetSecurityGroups replaces an ALB\'s groups; bad ids, a sixth group or none are refused and change nothing', async (t) => {
  const { elb } = await elbCloud(t)
  const alb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'sg-alb' }))).LoadBalancers![0]
  t.same(alb.SecurityGroups, ['sg-stratus'], 'created with the default group')
  const set = await elb.send(new SetSecurityGroupsCommand({ LoadBalancerArn: alb.LoadBalancerArn, SecurityGroups: ['sg-0123456789abcdef0', 'sg-web'] }))
  t.same(set.SecurityGroupIds, ['sg-0123456789abcdef0', 'sg-web'], 'the groups it has now')
  t.equal(set.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, undefined, 'no PrivateLink setting on an ALB')
  t.same((await describe(elb, alb.LoadBalancerArn)).SecurityGroups, ['sg-0123456789abcdef0', 'sg-web'], 'DescribeLoadBalancers shows them')

  const malformed = await refusal(elb.send(new SetSecurityGroupsCommand({ LoadBalancerArn: alb.LoadBalancerArn, SecurityGroups: ['sg-ok', 'web'] })))
  t.ok(malformed instanceof InvalidSecurityGroupException, `a malformed id: ${malformed.name}`)
  t.match(malformed.message, /'web'/)
  const six = await refusal(elb.send(new SetSecurityGroupsCommand({ LoadBalancerArn: alb.LoadBalancerArn, SecurityGroups: ['sg-1', 'sg-2', 'sg-3', 'sg-4', 'sg-5', 'sg-6'] })))
  t.equal(six.name, 'ValidationError')
  t.match(six.message, /at most 5/)
  const twice = await refusal(elb.send(new SetSecurityGroupsCommand({ LoadBalancerArn: alb.LoadBalancerArn, SecurityGroups: ['sg-1', 'sg-1'] })))
  t.equal(twice.name, 'ValidationError', 'one group twice')
  const none = await refusal(elb.send(new SetSecurityGroupsCommand({ LoadBalancerArn: alb.LoadBalancerArn, SecurityGroups: [] })))
  t.equal(none.name, 'ValidationError', 'an empty list')
  const privateLink = await refusal(elb.send(new SetSecurityGroupsCommand({ LoadBalancerArn: alb.LoadBalancerArn, SecurityGroups: ['sg-1'], EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: 'off' })))
  t.ok(privateLink instanceof InvalidConfigurationRequestException, 'the PrivateLink setting is an NLB\'s')
  const missing = await refusal(elb.send(new SetSecurityGroupsCommand({
    LoadBalancerArn: `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:loadbalancer/app/none/0123456789abcdef`, SecurityGroups: ['sg-1']
  })))
  t.ok(missing instanceof LoadBalancerNotFoundException, 'an unknown load balancer')
  t.same((await describe(elb, alb.LoadBalancerArn)).SecurityGroups, ['sg-0123456789abcdef0', 'sg-web'], 'the refused calls changed nothing')
  const badCreate = await refusal(elb.send(new CreateLoadBalancerCommand({ Name: 'sg-bad', SecurityGroups: ['nope'] })))
  t.ok(badCreate instanceof InvalidSecurityGroupException, 'CreateLoadBalancer checks them the same way')
})

t.test('SetSecurityGroups on an NLB: refused when it was created without any, else replaced, PrivateLink enforcement on by default', async (t) => {
  const { elb } = await elbCloud(t)
  const bare = (await elb.send(new CreateLoadBalancerCommand({ Name: 'sg-nlb-bare', Type: 'network' }))).LoadBalancers![0]
  const err = await refusal(elb.send(new SetSecurityGroupsCommand({ LoadBalancerArn: bare.LoadBalancerArn, SecurityGroups: ['sg-1'] })))
  t.ok(err instanceof InvalidConfigurationRequestException, err.name)
  t.equal(err.message, 'You cannot set security groups on a Network Load Balancer which was created without any security groups.')
  t.equal((await describe(elb, bare.LoadBalancerArn)).SecurityGroups, undefined, 'still none')

  const nlb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'sg-nlb', Type: 'network', SecurityGroups: ['sg-a'] }))).LoadBalancers![0]
  t.equal(nlb.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'on')
  const set = await elb.send(new SetSecurityGroupsCommand({ LoadBalancerArn: nlb.LoadBalancerArn, SecurityGroups: ['sg-b', 'sg-c'], EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: 'off' }))
  t.same(set.SecurityGroupIds, ['sg-b', 'sg-c'])
  t.equal(set.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'off')
  const shown = await describe(elb, nlb.LoadBalancerArn)
  t.same(shown.SecurityGroups, ['sg-b', 'sg-c'])
  t.equal(shown.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'off')
  const kept = await elb.send(new SetSecurityGroupsCommand({ LoadBalancerArn: nlb.LoadBalancerArn, SecurityGroups: ['sg-d'] }))
  t.equal(kept.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'off', 'not named: the setting stays')
  const removeAll = await refusal(elb.send(new SetSecurityGroupsCommand({ LoadBalancerArn: nlb.LoadBalancerArn, SecurityGroups: [] })))
  t.equal(removeAll.name, 'ValidationError', 'an NLB with security groups keeps at least one')
})

t.test('SetSubnets moves a load balancer to other zones; unknown subnets, one zone for an ALB, both forms at once are refused', async (t) => {
  const { elb } = await elbCloud(t)
  const alb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'subnets-alb' }))).LoadBalancers![0]
  t.same(alb.AvailabilityZones!.map((z) => z.ZoneName), ['us-east-1a', 'us-east-1b', 'us-east-1c'], 'every zone by default')
  const set = await elb.send(new SetSubnetsCommand({ LoadBalancerArn: alb.LoadBalancerArn, Subnets: ['subnet-stratus-us-east-1b', 'subnet-stratus-us-east-1c'] }))
  t.same(set.AvailabilityZones!.map((z) => [z.ZoneName, z.SubnetId]), [['us-east-1b', 'subnet-stratus-us-east-1b'], ['us-east-1c', 'subnet-stratus-us-east-1c']])
  t.equal(set.IpAddressType, 'ipv4')
  t.same((await describe(elb, alb.LoadBalancerArn)).AvailabilityZones!.map((z) => z.ZoneName), ['us-east-1b', 'us-east-1c'], 'DescribeLoadBalancers shows the new zones')

  const unknown = await refusal(elb.send(new SetSubnetsCommand({ LoadBalancerArn: alb.LoadBalancerArn, Subnets: ['subnet-stratus-us-east-1a', 'subnet-0abc'] })))
  t.ok(unknown instanceof SubnetNotFoundException, unknown.name)
  t.match(unknown.message, /subnet-0abc/)
  const one = await refusal(elb.send(new SetSubnetsCommand({ LoadBalancerArn: alb.LoadBalancerArn, Subnets: ['subnet-stratus-us-east-1a'] })))
  t.equal(one.name, 'ValidationError', 'an ALB needs two zones')
  const sameZone = await refusal(elb.send(new SetSubnetsCommand({ LoadBalancerArn: alb.LoadBalancerArn, Subnets: ['subnet-stratus-us-east-1a', 'subnet-stratus-us-east-1a'] })))
  t.ok(sameZone instanceof InvalidConfigurationRequestException, 'one subnet per zone')
  const both = await refusal(elb.send(new SetSubnetsCommand({
    LoadBalancerArn: alb.LoadBalancerArn, Subnets: ['subnet-stratus-us-east-1a', 'subnet-stratus-us-east-1b'], SubnetMappings: [{ SubnetId: 'subnet-stratus-us-east-1c' }]
  })))
  t.equal(both.name, 'ValidationError', 'subnets and subnet mappings together')
  const neither = await refusal(elb.send(new SetSubnetsCommand({ LoadBalancerArn: alb.LoadBalancerArn })))
  t.equal(neither.name, 'ValidationError', 'neither')
  const dualstack = await refusal(elb.send(new SetSubnetsCommand({ LoadBalancerArn: alb.LoadBalancerArn, Subnets: ['subnet-stratus-us-east-1a', 'subnet-stratus-us-east-1b'], IpAddressType: 'dualstack' })))
  t.equal(dualstack.name, 'ValidationError', 'a dualstack type with the subnets')
  t.same((await describe(elb, alb.LoadBalancerArn)).AvailabilityZones!.map((z) => z.ZoneName), ['us-east-1b', 'us-east-1c'], 'the refused calls changed nothing')

  const nlb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'subnets-nlb', Type: 'network' }))).LoadBalancers![0]
  const moved = await elb.send(new SetSubnetsCommand({ LoadBalancerArn: nlb.LoadBalancerArn, SubnetMappings: [{ SubnetId: 'subnet-stratus-us-east-1c' }] }))
  t.same(moved.AvailabilityZones!.map((z) => [z.ZoneName, z.LoadBalancerAddresses!.map((a) => a.IpAddress)]), [['us-east-1c', [nlb.DNSName]]], 'an NLB in one zone, its address there')
  const eip = await refusal(elb.send(new SetSubnetsCommand({ LoadBalancerArn: nlb.LoadBalancerArn, SubnetMappings: [{ SubnetId: 'subnet-stratus-us-east-1a', AllocationId: 'eipalloc-1' }] })))
  t.equal(eip.name, 'ValidationError', 'an Elastic IP has nothing to stand for')
})

t.test('SetIpAddressType: ipv4 is kept; dualstack is refused with ELBv2\'s words for subnets without IPv6, internal ones must use ipv4', async (t) => {
  const { elb } = await elbCloud(t)
  const alb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'ip-alb' }))).LoadBalancers![0]
  t.equal((await elb.send(new SetIpAddressTypeCommand({ LoadBalancerArn: alb.LoadBalancerArn, IpAddressType: 'ipv4' }))).IpAddressType, 'ipv4')
  for (const type of ['dualstack', 'dualstack-without-public-ipv4'] as const) {
    const err = await refusal(elb.send(new SetIpAddressTypeCommand({ LoadBalancerArn: alb.LoadBalancerArn, IpAddressType: type })))
    t.equal(err.name, 'ValidationError', type)
    t.equal(err.message, 'You must specify subnets with an associated IPv6 CIDR block.')
  }
  const internal = (await elb.send(new CreateLoadBalancerCommand({ Name: 'ip-internal', Scheme: 'internal' }))).LoadBalancers![0]
  const err = await refusal(elb.send(new SetIpAddressTypeCommand({ LoadBalancerArn: internal.LoadBalancerArn, IpAddressType: 'dualstack' })))
  t.ok(err instanceof InvalidConfigurationRequestException, `internal: ${err.name}`)
  t.match(err.message, /Internal load balancers must use ipv4/)
  const nlb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'ip-nlb', Type: 'network' }))).LoadBalancers![0]
  const nlbType = await refusal(elb.send(new SetIpAddressTypeCommand({ LoadBalancerArn: nlb.LoadBalancerArn, IpAddressType: 'dualstack-without-public-ipv4' })))
  t.equal(nlbType.name, 'ValidationError', 'an NLB has no dualstack-without-public-ipv4')
  t.match(nlbType.message, /network/)
  const bogus = await refusal(elb.send(new SetIpAddressTypeCommand({ LoadBalancerArn: nlb.LoadBalancerArn, IpAddressType: 'ipv6' as never })))
  t.equal(bogus.name, 'ValidationError')
  const created = await refusal(elb.send(new CreateLoadBalancerCommand({ Name: 'ip-dual', IpAddressType: 'dualstack' })))
  t.equal(created.message, 'You must specify subnets with an associated IPv6 CIDR block.', 'CreateLoadBalancer refuses it the same way')
  t.equal((await describe(elb, alb.LoadBalancerArn)).IpAddressType, 'ipv4')
})

t.test('the changes are kept over a restart on a durable store', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-elb-network-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const open = () => Stratus.embedded({ clock: 'manual', runner: 'simulated', dataDir })
  const first = await open()
  const lb = await first.elbv2.loadBalancer('kept').create()
  t.same(await lb.setSecurityGroups('sg-kept'), ['sg-kept'], 'the SDK handle: setSecurityGroups')
  t.same((await lb.setSubnets('subnet-stratus-us-east-1a', 'subnet-stratus-us-east-1c')).map((z) => z.ZoneName), ['us-east-1a', 'us-east-1c'], 'setSubnets')
  t.equal(await lb.setIpAddressType('ipv4'), 'ipv4', 'setIpAddressType')
  await first.close()
  const second = await open()
  t.teardown(() => second.close())
  const shown = await second.elbv2.loadBalancer('kept').describe()
  t.same(shown.SecurityGroups, ['sg-kept'])
  t.same(shown.AvailabilityZones!.map((z) => z.ZoneName), ['us-east-1a', 'us-east-1c'])
})

t.test('IAM: elasticloadbalancing:SetSecurityGroups / SetSubnets / SetIpAddressType on the load balancer\'s ARN', async (t) => {
  const ROOT = { accessKeyId: 'test', secretAccessKey: 'test' }
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated', auth: 'iam', iam: { root: { accessKeys: [ROOT] } } })
  t.teardown(() => cloud.close())
  const config = (credentials: typeof ROOT) => ({ endpoint: `http://${cloud.endpoint}`, region: 'us-east-1', credentials, maxAttempts: 1 })
  const root = new ElasticLoadBalancingV2Client(config(ROOT))
  const iam = new IAMClient(config(ROOT))
  t.teardown(() => { root.destroy(); iam.destroy() })
  const mine = (await root.send(new CreateLoadBalancerCommand({ Name: 'team-web' }))).LoadBalancers![0]
  const theirs = (await root.send(new CreateLoadBalancerCommand({ Name: 'other-web' }))).LoadBalancers![0]
  await iam.send(new CreateUserCommand({ UserName: 'netops' }))
  await iam.send(new PutUserPolicyCommand({
    UserName: 'netops', PolicyName: 'lb', PolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['elasticloadbalancing:SetSecurityGroups', 'elasticloadbalancing:SetSubnets'], Resource: 'arn:aws:elasticloadbalancing:*:*:loadbalancer/app/team-*' }]
    })
  }))
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'netops' }))).AccessKey!
  const netops = new ElasticLoadBalancingV2Client(config({ accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }))
  t.teardown(() => netops.destroy())
  t.same((await netops.send(new SetSecurityGroupsCommand({ LoadBalancerArn: mine.LoadBalancerArn, SecurityGroups: ['sg-team'] }))).SecurityGroupIds, ['sg-team'], 'allowed on its ARN')
  await netops.send(new SetSubnetsCommand({ LoadBalancerArn: mine.LoadBalancerArn, Subnets: ['subnet-stratus-us-east-1a', 'subnet-stratus-us-east-1b'] }))
  const denied = await refusal(netops.send(new SetSecurityGroupsCommand({ LoadBalancerArn: theirs.LoadBalancerArn, SecurityGroups: ['sg-team'] })))
  t.equal(denied.name, 'AccessDenied')
  t.equal(denied.$metadata.httpStatusCode, 403)
  t.match(denied.message, /elasticloadbalancing:SetSecurityGroups/)
  const notGranted = await refusal(netops.send(new SetIpAddressTypeCommand({ LoadBalancerArn: mine.LoadBalancerArn, IpAddressType: 'ipv4' })))
  t.equal(notGranted.name, 'AccessDenied', 'SetIpAddressType is its own action')
  t.same((await describe(root, theirs.LoadBalancerArn)).SecurityGroups, ['sg-stratus'], 'the denied call changed nothing')
})
