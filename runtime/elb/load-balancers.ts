// Load balancers: CreateLoadBalancer, DescribeLoadBalancers,
// DeleteLoadBalancer, Describe/ModifyLoadBalancerAttributes (subnets,
// security groups and IP address type: load-balancer-network.ts). Each gets a
// 127.x address of its own (addresses.ts), which is its DNSName; State is
// provisioning for a moment on the clock, then active. Its listeners bind
// on that address as soon as they are created.

import { arn } from '../aws/arn.js'
import type { StoreReader } from '../store/store.js'
import { DEFAULT_SECURITY_GROUP, VPC_ID, type ElbContext } from './context.js'
import { Elbv2Error, validation } from './errors.js'
import { checkArn, checkName, checkTags, hexId, optionalList, optionalString, page, requireList, requireString, getByArn } from './input.js'
import { checkIpAddressType, checkSecurityGroups, zonesOf, zonesShown } from './load-balancer-network.js'
import type {
  CreateLoadBalancerInput, CreateLoadBalancerOutput, DeleteLoadBalancerInput, DescribeLoadBalancerAttributesInput,
  DescribeLoadBalancerAttributesOutput, DescribeLoadBalancersInput, DescribeLoadBalancersOutput, Empty, LoadBalancer,
  ModifyLoadBalancerAttributesInput, ModifyLoadBalancerAttributesOutput
} from './model.js'
import { LISTENERS, LOAD_BALANCERS, RULES, type ListenerRecord, type LoadBalancerRecord, type RuleRecord } from './records.js'
import { applyThenCommit } from './reconcile.js'

/** How long a new load balancer is `provisioning` (clock ms) before it is `active`. */
export const PROVISIONING_MS = 1000
/** Route 53 hosted zone ids ELBv2 reports (us-east-1's). */
const HOSTED_ZONE = { application: 'Z35SXDOTRQ7X7K', network: 'Z26RNL4JYFTOTI' } as const

/** The load balancer a request's LoadBalancerArn names; LoadBalancerNotFound otherwise. */
export function getLoadBalancer(ctx: ElbContext, value: unknown, field = 'LoadBalancerArn', reader: StoreReader = ctx.store): { record: LoadBalancerRecord; version: number } {
  return getByArn<LoadBalancerRecord>(ctx, LOAD_BALANCERS, 'loadbalancer', value, field, reader)
}

/** The LoadBalancer shape DescribeLoadBalancers returns (State as of now on the clock). */
export function describeLoadBalancer(ctx: ElbContext, r: LoadBalancerRecord): LoadBalancer {
  const active = ctx.clock.now() >= r.activeAt
  return { ...r.loadBalancer, State: { Code: active ? 'active' : 'provisioning' } }
}

function defaultAttributes(type: 'application' | 'network'): Record<string, string> {
  if (type === 'application') {
    return {
      'access_logs.s3.enabled': 'false',
      'access_logs.s3.bucket': '',
      'access_logs.s3.prefix': '',
      'connection_logs.s3.enabled': 'false',
      'connection_logs.s3.bucket': '',
      'connection_logs.s3.prefix': '',
      'deletion_protection.enabled': 'false',
      'idle_timeout.timeout_seconds': '60',
      'client_keep_alive.seconds': '3600',
      'routing.http.desync_mitigation_mode': 'defensive',
      'routing.http.drop_invalid_header_fields.enabled': 'false',
      'routing.http.preserve_host_header.enabled': 'false',
      'routing.http.x_amzn_tls_version_and_cipher_suite.enabled': 'false',
      'routing.http.xff_client_port.enabled': 'false',
      'routing.http.xff_header_processing.mode': 'append',
      'routing.http2.enabled': 'true',
      'waf.fail_open.enabled': 'false',
      'load_balancing.cross_zone.enabled': 'true',
      'zonal_shift.config.enabled': 'false'
    }
  }
  return {
    'access_logs.s3.enabled': 'false',
    'access_logs.s3.bucket': '',
    'access_logs.s3.prefix': '',
    'deletion_protection.enabled': 'false',
    'load_balancing.cross_zone.enabled': 'false',
    'dns_record.client_routing_policy': 'any_availability_zone',
    'ipv6.deny_all_igw_traffic': 'false',
    'zonal_shift.config.enabled': 'false'
  }
}

function checkAttribute(key: string, value: string, field: string): void {
  const bool = ['true', 'false']
  const range = (min: number, max: number) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw validation(field, `'${value}' is not a valid value for attribute '${key}': it must be an integer from ${min} to ${max}`, `${min}-${max}`)
    }
  }
  const oneOf = (values: readonly string[]) => {
    if (!values.includes(value)) throw validation(field, `'${value}' is not a valid value for attribute '${key}' (valid: ${values.join(', ')})`)
  }
  if (key === 'idle_timeout.timeout_seconds') range(1, 4000)
  else if (key === 'client_keep_alive.seconds') range(60, 604800)
  else if (key === 'routing.http.desync_mitigation_mode') oneOf(['monitor', 'defensive', 'strictest'])
  else if (key === 'routing.http.xff_header_processing.mode') oneOf(['append', 'preserve', 'remove'])
  else if (key === 'dns_record.client_routing_policy') oneOf(['availability_zone_affinity', 'partial_availability_zone_affinity', 'any_availability_zone'])
  else if (key.endsWith('.bucket') || key.endsWith('.prefix')) {
    if (value.length > 255) throw validation(field, `The value of attribute '${key}' can be at most 255 characters long`, 255)
  } else oneOf(bool)
  if ((key === 'access_logs.s3.enabled' || key === 'connection_logs.s3.enabled') && value === 'true') {
    throw new Elbv2Error('InvalidConfigurationRequest', `Attribute '${key}' cannot be enabled: Stratus has no S3 bucket to write logs to`, { field })
  }
}

export function loadBalancerOperations(ctx: ElbContext) {
  return {
    async createLoadBalancer(input: CreateLoadBalancerInput): Promise<CreateLoadBalancerOutput> {
      return ctx.serial(() => {
        const name = checkName(input.Name, 'Name', 'load balancer')
        const type = optionalString(input.Type, 'Type') ?? 'application'
        if (type !== 'application' && type !== 'network') throw validation('Type', `Load balancer type '${type}' is not supported (Stratus supports application and network)`)
        const scheme = optionalString(input.Scheme, 'Scheme') ?? 'internet-facing'
        if (scheme !== 'internet-facing' && scheme !== 'internal') throw new Elbv2Error('InvalidScheme', `Scheme '${scheme}' must be internet-facing or internal`, { field: 'Scheme' })
        if (input.IpAddressType !== undefined) checkIpAddressType(input.IpAddressType, 'IpAddressType', { type, scheme })
        if (input.CustomerOwnedIpv4Pool !== undefined) throw validation('CustomerOwnedIpv4Pool', 'Customer-owned IPv4 pools are not supported')
        const zones = zonesOf(ctx, input, type, true)
        const groups = checkSecurityGroups(input.SecurityGroups, 'SecurityGroups')
        const tags = checkTags(ctx, input.Tags, 'Tags')
        const id = hexId()
        const lbArn = arn(ctx.partition, 'elasticloadbalancing', `loadbalancer/${type === 'application' ? 'app' : 'net'}/${name}/${id}`)
        const record = ctx.store.transaction((tx) => {
          const same = tx.scan<LoadBalancerRecord>(LOAD_BALANCERS, { index: { name: 'name', value: name } })[0]
          if (same !== undefined) {
            const s = same.value.loadBalancer
            // The same call again returns the load balancer it made (ELBv2's create is idempotent); other settings are a clash.
            if (s.Type === type && s.Scheme === scheme && JSON.stringify(s.AvailabilityZones?.map((z) => z.ZoneName)) === JSON.stringify(zones)) return same.value
            throw new Elbv2Error('DuplicateLoadBalancerName', `A load balancer with the same name '${name}' exists, but with different settings`, { field: 'Name' })
          }
          const ofType = tx.scan<LoadBalancerRecord>(LOAD_BALANCERS).filter((r) => r.value.loadBalancer.Type === type).length
          if (ofType >= ctx.quotas.loadBalancersPerRegion) {
            throw new Elbv2Error('TooManyLoadBalancers', `You've reached the limit of ${ctx.quotas.loadBalancersPerRegion} ${type === 'application' ? 'Application' : 'Network'} Load Balancers per region`, { limit: ctx.quotas.loadBalancersPerRegion })
          }
          const address = ctx.addresses.take((a) => tx.count(LOAD_BALANCERS, { index: { name: 'address', value: a } }) > 0)
          const hostname = `${scheme === 'internal' ? 'internal-' : ''}${name}-${parseInt(id.slice(0, 8), 16)}.${ctx.partition.region}.elb.stratus.local`
          const r: LoadBalancerRecord = {
            loadBalancer: {
              LoadBalancerArn: lbArn, DNSName: address, CanonicalHostedZoneId: HOSTED_ZONE[type], CreatedTime: ctx.clock.now(),
              LoadBalancerName: name, Scheme: scheme, VpcId: VPC_ID, State: { Code: 'provisioning' }, Type: type,
              AvailabilityZones: zonesShown(zones, type, address),
              ...(groups !== undefined || type === 'application' ? { SecurityGroups: groups ?? [DEFAULT_SECURITY_GROUP] } : {}),
              // An NLB created with security groups has them (SetSecurityGroups can change them, never add them to one without).
              ...(groups !== undefined && type === 'network' ? { EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: 'on' } : {}),
              IpAddressType: 'ipv4'
            },
            address, hostname, attributes: defaultAttributes(type), tags, activeAt: ctx.clock.now() + PROVISIONING_MS
          }
          tx.put(LOAD_BALANCERS, lbArn, r, 0)
          return r
        })
        return { LoadBalancers: [describeLoadBalancer(ctx, record)] }
      })
    },

    async describeLoadBalancers(input: DescribeLoadBalancersInput): Promise<DescribeLoadBalancersOutput> {
      const arns = optionalList<string>(input.LoadBalancerArns, 'LoadBalancerArns')
      const names = optionalList<string>(input.Names, 'Names')
      if (arns !== undefined && names !== undefined) throw validation('LoadBalancerArns', 'Load balancer names and load balancer ARNs cannot be specified at the same time')
      let records: LoadBalancerRecord[]
      if (arns !== undefined) records = arns.map((a, i) => getLoadBalancer(ctx, a, `LoadBalancerArns[${i}]`).record)
      else if (names !== undefined) {
        records = names.map((n, i) => {
          const found = ctx.store.scan<LoadBalancerRecord>(LOAD_BALANCERS, { index: { name: 'name', value: requireString(n, `Names[${i}]`) } })[0]
          if (found === undefined) throw new Elbv2Error('LoadBalancerNotFound', `Load balancers '[${n}]' not found`, { field: `Names[${i}]` })
          return found.value
        })
      } else records = ctx.store.scan<LoadBalancerRecord>(LOAD_BALANCERS).map((v) => v.value)
      const out = page(ctx, `DescribeLoadBalancers:${JSON.stringify([arns, names])}`, records, (r) => r.loadBalancer.LoadBalancerArn, input)
      return { LoadBalancers: out.items.map((r) => describeLoadBalancer(ctx, r)), ...(out.NextMarker !== undefined ? { NextMarker: out.NextMarker } : {}) }
    },

    async deleteLoadBalancer(input: DeleteLoadBalancerInput): Promise<Empty> {
      return ctx.serial(async () => {
        const key = checkArn(ctx, input.LoadBalancerArn, 'LoadBalancerArn', 'loadbalancer')
        const found = ctx.store.get<LoadBalancerRecord>(LOAD_BALANCERS, key)
        // Deleting a load balancer that does not exist (any more) succeeds, as ELBv2's does.
        if (found === undefined) return {}
        if (found.value.attributes['deletion_protection.enabled'] === 'true') {
          throw new Elbv2Error('OperationNotPermitted', `Load balancer '${key}' cannot be deleted because deletion protection is enabled`, { field: 'LoadBalancerArn' })
        }
        await applyThenCommit(ctx, key, (tx) => {
          for (const { key: k } of tx.scan<RuleRecord>(RULES, { index: { name: 'loadBalancer', value: key } })) tx.delete(RULES, k)
          for (const { key: k } of tx.scan<ListenerRecord>(LISTENERS, { index: { name: 'loadBalancer', value: key } })) tx.delete(LISTENERS, k)
          tx.delete(LOAD_BALANCERS, key)
        })
        return {}
      })
    },

    async describeLoadBalancerAttributes(input: DescribeLoadBalancerAttributesInput): Promise<DescribeLoadBalancerAttributesOutput> {
      const { record } = getLoadBalancer(ctx, input.LoadBalancerArn)
      return { Attributes: Object.entries(record.attributes).map(([Key, Value]) => ({ Key, Value })) }
    },

    async modifyLoadBalancerAttributes(input: ModifyLoadBalancerAttributesInput): Promise<ModifyLoadBalancerAttributesOutput> {
      return ctx.serial(async () => {
        const { record } = getLoadBalancer(ctx, input.LoadBalancerArn)
        const changes = requireList<{ Key?: string; Value?: string }>(input.Attributes, 'Attributes')
        if (changes.length === 0) throw validation('Attributes', 'At least one attribute must be specified', 1)
        const next = { ...record.attributes }
        changes.forEach((a, i) => {
          const k = a?.Key
          if (typeof k !== 'string' || !(k in next)) {
            throw new Elbv2Error('InvalidConfigurationRequest', `Key ${String(k)} not valid for load balancers of type ${record.loadBalancer.Type}`, { field: `Attributes[${i}].Key` })
          }
          const v = typeof a.Value === 'string' ? a.Value : ''
          checkAttribute(k, v, `Attributes[${i}].Value`)
          next[k] = v
        })
        const lbArn = record.loadBalancer.LoadBalancerArn
        const updated = await applyThenCommit(ctx, lbArn, (tx) => {
          const { record: r, version } = getLoadBalancer(ctx, lbArn, 'LoadBalancerArn', tx)
          const n: LoadBalancerRecord = { ...r, attributes: next }
          tx.put(LOAD_BALANCERS, lbArn, n, version)
          return n
        })
        return { Attributes: Object.entries(updated.attributes).map(([Key, Value]) => ({ Key, Value })) }
      })
    }
  }
}
