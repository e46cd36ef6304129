// A load balancer's place in the (one) network: its subnets (hence its
// Availability Zones), security groups and IP address type, as
// CreateLoadBalancer sets them and SetSubnets, SetSecurityGroups and
// SetIpAddressType change them. None of these moves the data plane (every
// load balancer has one 127.x address whatever its zones), so a change is one
// transaction on the record, in the control plane's serial lane.
//
// What the engine knows it checks: subnets are `subnet-stratus-<zone>`, one
// per zone of the region (SubnetNotFound otherwise); security groups have no
// registry here (there is no EC2), so only their form is checked. There is no
// IPv6 on loopback: the subnets have no IPv6 CIDR block, so `dualstack` is
// refused with ELBv2's own words for such subnets.

import type { ElbContext } from './context.js'
import { Elbv2Error, validation } from './errors.js'
import { getByArn, optionalList, optionalString, requireList, requireString } from './input.js'
import type {
  AvailabilityZone, IpAddressType, SetIpAddressTypeInput, SetIpAddressTypeOutput, SetSecurityGroupsInput, SetSecurityGroupsOutput,
  SetSubnetsInput, SetSubnetsOutput, SubnetMapping
} from './model.js'
import { LOAD_BALANCERS, type LoadBalancerRecord } from './records.js'
import type { StoreReader } from '../store/store.js'

/** Security groups per load balancer (ELBv2's quota). */
export const SECURITY_GROUPS_PER_LOAD_BALANCER = 5

/** The subnet id Stratus reports for a zone (one subnet per zone). */
export function subnetOf(zone: string): string {
  return `subnet-stratus-${zone}`
}

/**
 * The zones named by Subnets or SubnetMappings (one of them; neither: every
 * zone of the region when `orAll`, else ValidationError). One subnet per zone;
 * an Application Load Balancer needs two zones.
 */
export function zonesOf(ctx: ElbContext, input: { Subnets?: unknown; SubnetMappings?: unknown }, type: 'application' | 'network', orAll: boolean): string[] {
  const subnets = optionalList<string>(input.Subnets, 'Subnets')
  const mappings = optionalList<SubnetMapping>(input.SubnetMappings, 'SubnetMappings')
  if (subnets !== undefined && mappings !== undefined) throw validation('Subnets', 'You can specify subnets or subnet mappings, not both')
  const ids = subnets ?? mappings?.map((m, i) => requireString(m?.SubnetId, `SubnetMappings[${i}].SubnetId`))
  if (ids === undefined || ids.length === 0) {
    if (orAll) return [...ctx.zones]
    throw validation('Subnets', 'You must specify either subnets or subnet mappings', 1)
  }
  const field = subnets !== undefined ? 'Subnets' : 'SubnetMappings'
  mappings?.forEach((m, i) => {
    // Elastic IPs and chosen private addresses have nothing to stand for: every load balancer has its one 127.x address.
    for (const member of ['AllocationId', 'PrivateIPv4Address', 'IPv6Address'] as const) {
      if (m[member] !== undefined) throw validation(`SubnetMappings[${i}].${member}`, `${member} is not supported: a Stratus load balancer has one 127.x address in every zone`)
    }
  })
  const zones = ids.map((id, i) => {
    const zone = ctx.zones.find((z) => subnetOf(z) === id)
    if (zone === undefined) throw new Elbv2Error('SubnetNotFound', `The subnet ID '${String(id)}' is not valid (Stratus's subnets: ${ctx.zones.map(subnetOf).join(', ')})`, { field: `${field}[${i}]` })
    return zone
  })
  if (new Set(zones).size !== zones.length) throw new Elbv2Error('InvalidConfigurationRequest', 'You can specify only one subnet per Availability Zone', { field })
  if (type === 'application' && zones.length < 2) throw validation(field, 'At least two subnets in two different Availability Zones must be specified', 2)
  return zones
}

/** AvailabilityZones as DescribeLoadBalancers shows them (a network load balancer's address in each). */
export function zonesShown(zones: readonly string[], type: 'application' | 'network', address: string): AvailabilityZone[] {
  return zones.map((z) => ({ ZoneName: z, SubnetId: subnetOf(z), LoadBalancerAddresses: type === 'network' ? [{ IpAddress: address }] : [] }))
}

/** Security group ids of a create or SetSecurityGroups call: `sg-…`, no id twice, at most 5. */
export function checkSecurityGroups(value: unknown, field: string): string[] | undefined {
  const groups = optionalList<unknown>(value, field)
  if (groups === undefined) return undefined
  const seen = new Set<string>()
  groups.forEach((g, i) => {
    if (typeof g !== 'string' || !/^sg-[A-Za-z0-9-]+$/.test(g)) throw new Elbv2Error('InvalidSecurityGroup', `Security group '${String(g)}' does not exist`, { field: `${field}[${i}]` })
    if (seen.has(g)) throw validation(`${field}[${i}]`, `Security group '${g}' is specified more than once`)
    seen.add(g)
  })
  if (groups.length > SECURITY_GROUPS_PER_LOAD_BALANCER) {
    throw validation(field, `You can specify at most ${SECURITY_GROUPS_PER_LOAD_BALANCER} security groups for a load balancer`, SECURITY_GROUPS_PER_LOAD_BALANCER)
  }
  return groups as string[]
}

/** An IP address type the load balancer may have: ELBv2's values for its type, then what Stratus's network allows (IPv4 only). */
export function checkIpAddressType(value: unknown, field: string, lb: { type: 'application' | 'network'; scheme: string }): 'ipv4' {
  const v = requireString(value, field) as IpAddressType
  const allowed: readonly string[] = lb.type === 'application' ? ['ipv4', 'dualstack', 'dualstack-without-public-ipv4'] : ['ipv4', 'dualstack']
  if (!allowed.includes(v)) {
    throw validation(field, `IP address type '${v}' is not valid for a load balancer of type '${lb.type}' (valid: ${allowed.join(', ')})`)
  }
  if (v === 'ipv4') return v
  if (lb.scheme === 'internal') throw new Elbv2Error('InvalidConfigurationRequest', `Internal load balancers must use ipv4, not ${v}`, { field })
  // The subnets are loopback's: no IPv6 CIDR block.
  throw validation(field, 'You must specify subnets with an associated IPv6 CIDR block.')
}

const ENFORCE_VALUES = ['on', 'off'] as const

function getLoadBalancer(ctx: ElbContext, value: unknown, field = 'LoadBalancerArn', reader: StoreReader = ctx.store): { record: LoadBalancerRecord; version: number } {
  return getByArn<LoadBalancerRecord>(ctx, LOAD_BALANCERS, 'loadbalancer', value, field, reader)
}

/** Writes a changed LoadBalancer shape to its record (compare-and-set on the version read). */
function update(ctx: ElbContext, arn: string, change: (lb: LoadBalancerRecord['loadBalancer'], r: LoadBalancerRecord) => LoadBalancerRecord['loadBalancer']): LoadBalancerRecord {
  return ctx.store.transaction((tx) => {
    const { record, version } = getLoadBalancer(ctx, arn, 'LoadBalancerArn', tx)
    const next: LoadBalancerRecord = { ...record, loadBalancer: change(record.loadBalancer, record) }
    tx.put(LOAD_BALANCERS, arn, next, version)
    return next
  })
}

export function loadBalancerNetworkOperations(ctx: ElbContext) {
  return {
    async setSecurityGroups(input: SetSecurityGroupsInput): Promise<SetSecurityGroupsOutput> {
      return ctx.serial(() => {
        const { record } = getLoadBalancer(ctx, input.LoadBalancerArn)
        const lb = record.loadBalancer
        const groups = checkSecurityGroups(requireList(input.SecurityGroups, 'SecurityGroups'), 'SecurityGroups')!
        const enforce = optionalString(input.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic')
        if (enforce !== undefined && !(ENFORCE_VALUES as readonly string[]).includes(enforce)) {
          throw validation('EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic', `'${enforce}' is not valid (valid: on, off)`)
        }
        if (lb.Type === 'network') {
          if (lb.SecurityGroups === undefined) {
            throw new Elbv2Error('InvalidConfigurationRequest', 'You cannot set security groups on a Network Load Balancer which was created without any security groups.', { field: 'SecurityGroups' })
          }
        } else if (enforce !== undefined) {
          throw new Elbv2Error('InvalidConfigurationRequest', 'EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic applies to Network Load Balancers only', { field: 'EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic' })
        }
        if (groups.length === 0) {
          // An ALB always has one; an NLB created with security groups keeps at least one.
          throw validation('SecurityGroups', `A ${lb.Type === 'network' ? 'Network' : 'Application'} Load Balancer must have at least one security group`, 1)
        }
        const updated = update(ctx, lb.LoadBalancerArn, (shape) => ({
          ...shape, SecurityGroups: groups,
          ...(shape.Type === 'network' ? { EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: enforce ?? shape.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic ?? 'on' } : {})
        }))
        const out = updated.loadBalancer
        return {
          SecurityGroupIds: out.SecurityGroups,
          ...(out.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic !== undefined ? { EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: out.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic } : {})
        }
      })
    },

    async setSubnets(input: SetSubnetsInput): Promise<SetSubnetsOutput> {
      return ctx.serial(() => {
        const { record } = getLoadBalancer(ctx, input.LoadBalancerArn)
        const lb = record.loadBalancer
        const type = lb.Type === 'network' ? 'network' : 'application'
        const zones = zonesOf(ctx, input, type, false)
        if (input.EnablePrefixForIpv6SourceNat !== undefined && input.EnablePrefixForIpv6SourceNat !== 'off') {
          throw validation('EnablePrefixForIpv6SourceNat', 'An IPv6 prefix for source NAT needs the IP address type dualstack')
        }
        const ipType = input.IpAddressType === undefined ? undefined : checkIpAddressType(input.IpAddressType, 'IpAddressType', { type, scheme: lb.Scheme ?? 'internet-facing' })
        const updated = update(ctx, lb.LoadBalancerArn, (shape, r) => ({
          ...shape, AvailabilityZones: zonesShown(zones, type, r.address), ...(ipType !== undefined ? { IpAddressType: ipType } : {})
        }))
        return { AvailabilityZones: updated.loadBalancer.AvailabilityZones, IpAddressType: updated.loadBalancer.IpAddressType }
      })
    },

    async setIpAddressType(input: SetIpAddressTypeInput): Promise<SetIpAddressTypeOutput> {
      return ctx.serial(() => {
        const { record } = getLoadBalancer(ctx, input.LoadBalancerArn)
        const lb = record.loadBalancer
        const ipType = checkIpAddressType(input.IpAddressType, 'IpAddressType', { type: lb.Type === 'network' ? 'network' : 'application', scheme: lb.Scheme ?? 'internet-facing' })
        const updated = update(ctx, lb.LoadBalancerArn, (shape) => ({ ...shape, IpAddressType: ipType }))
        return { IpAddressType: updated.loadBalancer.IpAddressType }
      })
    }
  }
}
