// Target groups: CreateTargetGroup, DescribeTargetGroups, ModifyTargetGroup,
// Describe/ModifyTargetGroupAttributes, DeleteTargetGroup. Each change is one
// transaction; the group's runtime in the data plane follows after the commit.

import { arn } from '../aws/arn.js'
import type { StoreReader } from '../store/store.js'
import type { TargetGroupProtocol } from '../lb/model.js'
import { VPC_ID, type ElbContext } from './context.js'
import { Elbv2Error, validation } from './errors.js'
import { checkArn, checkName, checkTags, hexId, notFound, optionalInt, optionalList, optionalString, page, requireList, requireString, getByArn } from './input.js'
import type {
  CreateTargetGroupInput, CreateTargetGroupOutput, DeleteTargetGroupInput, DescribeTargetGroupAttributesInput, DescribeTargetGroupAttributesOutput,
  DescribeTargetGroupsInput, DescribeTargetGroupsOutput, Empty, ModifyTargetGroupAttributesInput, ModifyTargetGroupAttributesOutput,
  ModifyTargetGroupInput, ModifyTargetGroupOutput, TargetGroup
} from './model.js'
import { LOAD_BALANCERS, TARGET_GROUPS, type TargetGroupRecord } from './records.js'
import { applyTargetGroupAttributes, defaultTargetGroupAttributes, effectiveAttributes, resolveHealthCheck, TARGET_GROUP_PROTOCOLS } from './target-group-settings.js'
import { dropGroup, loadBalancersOf, syncGroup } from './group-runtimes.js'

/** The group a request's TargetGroupArn names; TargetGroupNotFound otherwise. */
export function getTargetGroup(ctx: ElbContext, value: unknown, field = 'TargetGroupArn', reader: StoreReader = ctx.store): { record: TargetGroupRecord; version: number } {
  return getByArn<TargetGroupRecord>(ctx, TARGET_GROUPS, 'targetgroup', value, field, reader)
}

/** The TargetGroup shape DescribeTargetGroups returns (LoadBalancerArns computed). */
export function describeGroup(reader: StoreReader, r: TargetGroupRecord): TargetGroup {
  return { ...r.targetGroup, LoadBalancerArns: loadBalancersOf(reader, r.targetGroup.TargetGroupArn) }
}

export function targetGroupOperations(ctx: ElbContext) {
  return {
    async createTargetGroup(input: CreateTargetGroupInput): Promise<CreateTargetGroupOutput> {
      return ctx.serial(() => {
        const name = checkName(input.Name, 'Name', 'target group')
        const targetType = optionalString(input.TargetType, 'TargetType') ?? 'instance'
        if (targetType !== 'instance' && targetType !== 'ip') {
          throw validation('TargetType', `Target type '${targetType}' is not supported (Stratus supports instance and ip)`)
        }
        const protocol = requireString(input.Protocol, 'Protocol') as TargetGroupProtocol
        if (!TARGET_GROUP_PROTOCOLS.includes(protocol)) {
          throw new Elbv2Error('UnsupportedProtocol', `Protocol '${protocol}' is not supported for target groups (${TARGET_GROUP_PROTOCOLS.join(', ')})`, { field: 'Protocol' })
        }
        const port = optionalInt(input.Port, 'Port', 1, 65535)
        if (port === undefined) throw validation('Port', 'A port must be specified for target groups with target type instance or ip')
        const vpc = optionalString(input.VpcId, 'VpcId') ?? VPC_ID
        if (vpc !== VPC_ID) throw validation('VpcId', `The VPC ID '${vpc}' is not found (Stratus has one VPC: ${VPC_ID})`)
        const pv = optionalString(input.ProtocolVersion, 'ProtocolVersion')
        if (pv !== undefined && pv !== 'HTTP1') throw validation('ProtocolVersion', `Protocol version '${pv}' is not supported (Stratus supports HTTP1)`)
        if (pv !== undefined && protocol !== 'HTTP' && protocol !== 'HTTPS') throw validation('ProtocolVersion', 'A protocol version can be specified only for HTTP and HTTPS target groups')
        const ipType = optionalString(input.IpAddressType, 'IpAddressType') ?? 'ipv4'
        if (ipType !== 'ipv4') throw validation('IpAddressType', `IP address type '${ipType}' is not supported (Stratus supports ipv4)`)
        const health = resolveHealthCheck(input, protocol, targetType, undefined)
        const tags = checkTags(ctx, input.Tags, 'Tags')
        const tgArn = arn(ctx.partition, 'elasticloadbalancing', `targetgroup/${name}/${hexId()}`)
        const record = ctx.store.transaction((tx) => {
          const same = tx.scan<TargetGroupRecord>(TARGET_GROUPS, { index: { name: 'name', value: name } })[0]
          if (same !== undefined) {
            const s = same.value.targetGroup
            // Creating a group again with the same settings returns it, as ELBv2 does.
            const again = s.Protocol === protocol && s.Port === port && s.TargetType === targetType && JSON.stringify(pickHealth(s)) === JSON.stringify(pickHealth(health))
            if (again) return same.value
            throw new Elbv2Error('DuplicateTargetGroupName', `A target group with the same name '${name}' exists, but with different settings`, { field: 'Name' })
          }
          if (tx.count(TARGET_GROUPS) >= ctx.quotas.targetGroupsPerRegion) {
            throw new Elbv2Error('TooManyTargetGroups', `You have reached the limit of ${ctx.quotas.targetGroupsPerRegion} target groups`, { limit: ctx.quotas.targetGroupsPerRegion })
          }
          const r: TargetGroupRecord = {
            targetGroup: {
              TargetGroupArn: tgArn, TargetGroupName: name, Protocol: protocol, Port: port, VpcId: VPC_ID, ...health,
              TargetType: targetType, ...(protocol === 'HTTP' || protocol === 'HTTPS' ? { ProtocolVersion: pv ?? 'HTTP1' } : {}), IpAddressType: 'ipv4'
            },
            attributes: defaultTargetGroupAttributes(protocol, targetType),
            targets: [],
            tags
          }
          tx.put(TARGET_GROUPS, tgArn, r, 0)
          return r
        })
        syncGroup(ctx, record)
        return { TargetGroups: [describeGroup(ctx.store, record)] }
      })
    },

    async describeTargetGroups(input: DescribeTargetGroupsInput): Promise<DescribeTargetGroupsOutput> {
      const arns = optionalList<string>(input.TargetGroupArns, 'TargetGroupArns')
      const names = optionalList<string>(input.Names, 'Names')
      const lb = optionalString(input.LoadBalancerArn, 'LoadBalancerArn')
      if ([arns, names, lb].filter((x) => x !== undefined).length > 1) {
        throw validation('TargetGroupArns', 'Only one of LoadBalancerArn, TargetGroupArns and Names can be specified')
      }
      let records: TargetGroupRecord[]
      if (arns !== undefined) {
        records = arns.map((a, i) => getTargetGroup(ctx, a, `TargetGroupArns[${i}]`).record)
      } else if (names !== undefined) {
        records = names.map((n, i) => {
          const found = ctx.store.scan<TargetGroupRecord>(TARGET_GROUPS, { index: { name: 'name', value: requireString(n, `Names[${i}]`) } })[0]
          if (found === undefined) throw notFound('targetgroup', `Names[${i}]`)
          return found.value
        })
      } else if (lb !== undefined) {
        const key = checkArn(ctx, lb, 'LoadBalancerArn', 'loadbalancer')
        if (ctx.store.get(LOAD_BALANCERS, key) === undefined) throw notFound('loadbalancer', 'LoadBalancerArn')
        records = ctx.store.scan<TargetGroupRecord>(TARGET_GROUPS).map((v) => v.value).filter((r) => loadBalancersOf(ctx.store, r.targetGroup.TargetGroupArn).includes(key))
      } else {
        records = ctx.store.scan<TargetGroupRecord>(TARGET_GROUPS).map((v) => v.value)
      }
      const scope = `DescribeTargetGroups:${JSON.stringify([arns, names, lb])}`
      const out = page(ctx, scope, records, (r) => r.targetGroup.TargetGroupArn, input)
      return { TargetGroups: out.items.map((r) => describeGroup(ctx.store, r)), ...(out.NextMarker !== undefined ? { NextMarker: out.NextMarker } : {}) }
    },

    async modifyTargetGroup(input: ModifyTargetGroupInput): Promise<ModifyTargetGroupOutput> {
      return ctx.serial(() => {
        const record = ctx.store.transaction((tx) => {
          const { record: r, version } = getTargetGroup(ctx, input.TargetGroupArn, 'TargetGroupArn', tx)
          const tg = r.targetGroup
          const health = resolveHealthCheck(input, tg.Protocol as TargetGroupProtocol, tg.TargetType, tg)
          const { HealthCheckPath: _p, Matcher: _m, ...rest } = tg
          const next: TargetGroupRecord = { ...r, targetGroup: { ...rest, ...health } }
          tx.put(TARGET_GROUPS, tg.TargetGroupArn, next, version)
          return next
        })
        syncGroup(ctx, record)
        return { TargetGroups: [describeGroup(ctx.store, record)] }
      })
    },

    async describeTargetGroupAttributes(input: DescribeTargetGroupAttributesInput): Promise<DescribeTargetGroupAttributesOutput> {
      const { record } = getTargetGroup(ctx, input.TargetGroupArn)
      return { Attributes: Object.entries(effectiveAttributes(record)).map(([Key, Value]) => ({ Key, Value })) }
    },

    async modifyTargetGroupAttributes(input: ModifyTargetGroupAttributesInput): Promise<ModifyTargetGroupAttributesOutput> {
      return ctx.serial(() => {
        const changes = requireList<{ Key?: string; Value?: string }>(input.Attributes, 'Attributes')
        if (changes.length === 0) throw validation('Attributes', 'At least one attribute must be specified', 1)
        const record = ctx.store.transaction((tx) => {
          const { record: r, version } = getTargetGroup(ctx, input.TargetGroupArn, 'TargetGroupArn', tx)
          const next: TargetGroupRecord = { ...r, attributes: applyTargetGroupAttributes(effectiveAttributes(r), changes, r.targetGroup.Protocol as TargetGroupProtocol) }
          tx.put(TARGET_GROUPS, r.targetGroup.TargetGroupArn, next, version)
          return next
        })
        syncGroup(ctx, record)
        return { Attributes: Object.entries(effectiveAttributes(record)).map(([Key, Value]) => ({ Key, Value })) }
      })
    },

    async deleteTargetGroup(input: DeleteTargetGroupInput): Promise<Empty> {
      return ctx.serial(() => {
        const key = checkArn(ctx, input.TargetGroupArn, 'TargetGroupArn', 'targetgroup')
        const deleted = ctx.store.transaction((tx) => {
          const found = tx.get<TargetGroupRecord>(TARGET_GROUPS, key)
          // Deleting a group that does not exist (any more) succeeds, as ELBv2's does.
          if (found === undefined) return false
          if (loadBalancersOf(tx, key).length > 0) {
            throw new Elbv2Error('ResourceInUse', `Target group '${key}' is currently in use by a listener or a rule`, { field: 'TargetGroupArn' })
          }
          tx.delete(TARGET_GROUPS, key, found.version)
          return true
        })
        if (deleted) dropGroup(ctx, key)
        return {}
      })
    }
  }
}

function pickHealth(t: Partial<TargetGroup>): unknown[] {
  return [t.HealthCheckProtocol, t.HealthCheckPort, t.HealthCheckPath, t.HealthCheckIntervalSeconds, t.HealthCheckTimeoutSeconds, t.HealthyThresholdCount, t.UnhealthyThresholdCount, t.Matcher?.HttpCode]
}
