// Capacity providers: FARGATE and FARGATE_SPOT, built in (listed, never
// created, updated or deleted), and Auto Scaling group providers. There is no
// EC2 Auto Scaling here: the group ARN names a *virtual* group whose instances
// Stratus launches itself, as container instances of the cluster the provider
// is associated with (one cluster at most, as ECS allows), when managed scaling
// asks for them (cluster-scaling.ts). What the group would say is read from
// the provider's tags (Stratus extensions; tags pass through every client):
//   stratus:instanceType   the instances' type (default m5.xlarge)
//   stratus:minSize        fewest instances scale-in keeps (default 0)
//   stratus:maxSize        most instances scale-out launches (default 100)
// PutClusterCapacityProviders (here, beside the providers it checks) sets a
// cluster's providers and default strategy.

import { arn, parseArn } from '../aws/arn.js'
import { INSTANCE_TYPES, type InstanceType } from '../cluster/instance-types.js'
import type { Transaction } from '../store/store.js'
import type { EcsContext } from './context.js'
import { EcsError, clientException, invalidParameter } from './errors.js'
import { CAPACITY_PROVIDERS, SERVICES, TASKS, type ServiceRecord, type TaskRecord } from './records.js'
import type {
  AutoScalingGroupProvider, CapacityProvider, CreateCapacityProviderRequest, DeleteCapacityProviderRequest, DescribeCapacityProvidersRequest,
  Failure, ManagedScaling, PutClusterCapacityProvidersRequest, Tag, UpdateCapacityProviderRequest
} from './model-clusters.js'
import { FARGATE_PROVIDERS, checkInteger, checkName, checkStrategy, checkTagList, localName, optionalList, pageSize, requireString } from './cluster-input.js'
import { clusterShape, getCluster, updateClusterRecord } from './clusters.js'
import type { ClusterScaling } from './cluster-scaling.js'

export interface CapacityProviderRecord {
  /** The AWS shape (tags included), with managed scaling's defaults filled in. */
  capacityProvider: CapacityProvider
  /** The cluster it is associated with, if any. */
  clusterName?: string
  createdAt: number
}

export interface VirtualGroup {
  instanceType: InstanceType
  minSize: number
  maxSize: number
}

const DEFAULT_INSTANCE_TYPE = 'm5.xlarge'
const DEFAULT_MAX_SIZE = 100

export function providerArn(ctx: EcsContext, name: string): string {
  return arn(ctx.partition, 'ecs', `capacity-provider/${name}`)
}

function builtIn(ctx: EcsContext, name: string): CapacityProvider {
  return { capacityProviderArn: providerArn(ctx, name), name, status: 'ACTIVE', tags: [] }
}

/** The virtual group a provider's tags describe; throws naming the tag when one is not valid. */
export function groupOf(tags: Tag[] | undefined, field = 'tags'): VirtualGroup {
  const tag = (key: string) => (tags ?? []).find((t) => t.key === key)?.value
  const typeName = tag('stratus:instanceType') ?? DEFAULT_INSTANCE_TYPE
  const instanceType = INSTANCE_TYPES.find((t) => t.name === typeName)
  if (instanceType === undefined) throw invalidParameter(`${field}.stratus:instanceType`, `stratus:instanceType must be an instance type Stratus knows (${INSTANCE_TYPES.map((t) => t.name).join(', ')}), got ${typeName}.`)
  const size = (key: string, fallback: number) => {
    const v = tag(key)
    if (v === undefined) return fallback
    if (!/^\d{1,5}$/.test(v)) throw invalidParameter(`${field}.${key}`, `${key} must be an integer from 0 to 10000, got ${v}.`, '0-10000')
    return Number(v)
  }
  const minSize = size('stratus:minSize', 0)
  const maxSize = size('stratus:maxSize', DEFAULT_MAX_SIZE)
  if (minSize > maxSize) throw invalidParameter(`${field}.stratus:minSize`, `stratus:minSize (${minSize}) must not exceed stratus:maxSize (${maxSize}).`)
  return { instanceType, minSize, maxSize }
}

function checkManagedScaling(value: ManagedScaling | undefined, field: string, base?: ManagedScaling): ManagedScaling {
  if (value !== undefined && (value === null || typeof value !== 'object')) throw invalidParameter(field, `${field} must be an object.`)
  const v = { ...base, ...value }
  const status = v.status ?? (value === undefined ? 'DISABLED' : 'ENABLED')
  if (status !== 'ENABLED' && status !== 'DISABLED') throw invalidParameter(`${field}.status`, 'status must be ENABLED or DISABLED.')
  const out: ManagedScaling = {
    status,
    targetCapacity: v.targetCapacity === undefined ? 100 : checkInteger(v.targetCapacity, `${field}.targetCapacity`, 1, 100),
    minimumScalingStepSize: v.minimumScalingStepSize === undefined ? 1 : checkInteger(v.minimumScalingStepSize, `${field}.minimumScalingStepSize`, 1, 10000),
    maximumScalingStepSize: v.maximumScalingStepSize === undefined ? 10000 : checkInteger(v.maximumScalingStepSize, `${field}.maximumScalingStepSize`, 1, 10000),
    instanceWarmupPeriod: v.instanceWarmupPeriod === undefined ? 300 : checkInteger(v.instanceWarmupPeriod, `${field}.instanceWarmupPeriod`, 0, 10000)
  }
  if (out.minimumScalingStepSize! > out.maximumScalingStepSize!) {
    throw invalidParameter(`${field}.minimumScalingStepSize`, 'The minimum scaling step size must be less than or equal to the maximum scaling step size.')
  }
  return out
}

function checkGroupProvider(ctx: EcsContext, value: Partial<AutoScalingGroupProvider> | undefined, field: string, base?: AutoScalingGroupProvider): AutoScalingGroupProvider {
  if (value === undefined || value === null || typeof value !== 'object') throw invalidParameter(field, `${field} is required.`)
  const groupArn = base?.autoScalingGroupArn ?? requireString(value.autoScalingGroupArn, `${field}.autoScalingGroupArn`)
  if (base === undefined) {
    const parsed = parseArn(groupArn)
    if (parsed === undefined || parsed.service !== 'autoscaling' || !parsed.resource.startsWith('autoScalingGroup:') || parsed.region !== ctx.partition.region) {
      throw invalidParameter(`${field}.autoScalingGroupArn`, `The specified Auto Scaling group ARN is not valid: an arn:${ctx.partition.partition}:autoscaling:${ctx.partition.region}:<account>:autoScalingGroup:<uuid>:autoScalingGroupName/<name> is needed.`)
    }
  }
  const managedScaling = checkManagedScaling(value.managedScaling, `${field}.managedScaling`, base?.managedScaling)
  const protection = value.managedTerminationProtection ?? base?.managedTerminationProtection ?? 'DISABLED'
  if (protection !== 'ENABLED' && protection !== 'DISABLED') throw invalidParameter(`${field}.managedTerminationProtection`, 'managedTerminationProtection must be ENABLED or DISABLED.')
  if (protection === 'ENABLED' && managedScaling.status !== 'ENABLED') {
    throw invalidParameter(`${field}.managedTerminationProtection`, 'The managed termination protection setting for the capacity provider is invalid. To enable managed termination protection for a capacity provider, managed scaling must be turned on.')
  }
  const draining = value.managedDraining ?? base?.managedDraining ?? 'ENABLED'
  if (draining !== 'ENABLED' && draining !== 'DISABLED') throw invalidParameter(`${field}.managedDraining`, 'managedDraining must be ENABLED or DISABLED.')
  return { autoScalingGroupArn: groupArn, managedScaling, managedTerminationProtection: protection, managedDraining: draining }
}

function providerName(ctx: EcsContext, value: unknown, field: string): string {
  return localName(ctx, requireString(value, field), 'capacity-provider/', field)
}

/** The provider's record, ACTIVE, or undefined. */
export function activeProvider(reader: Pick<Transaction, 'get'>, name: string): { value: CapacityProviderRecord; version: number } | undefined {
  const r = reader.get<CapacityProviderRecord>(CAPACITY_PROVIDERS, name)
  return r === undefined || r.value.capacityProvider.status !== 'ACTIVE' ? undefined : r
}

/** A cluster's capacity providers, checked: FARGATE, FARGATE_SPOT, or ACTIVE group providers not associated with another cluster. */
export function checkProviderNames(ctx: EcsContext, value: unknown, field: string, cluster: string): string[] {
  const list = optionalList<string>(value, field) ?? []
  const seen = new Set<string>()
  return list.map((v, i) => {
    const at = `${field}[${i}]`
    const name = providerName(ctx, v, at)
    if (seen.has(name)) throw invalidParameter(at, `The capacity provider ${name} is specified more than once.`)
    seen.add(name)
    if (FARGATE_PROVIDERS.includes(name)) return name
    const found = activeProvider(ctx.store, name)
    if (found === undefined) throw invalidParameter(at, `The specified capacity provider does not exist. Specify a valid capacity provider and try again. (${name})`)
    if (found.value.clusterName !== undefined && found.value.clusterName !== cluster) {
      throw invalidParameter(at, `The specified capacity provider ${name} is already associated with cluster ${found.value.clusterName}. An Auto Scaling group capacity provider can be associated with one cluster only.`)
    }
    return name
  })
}

/** Associates `add` with the cluster and disassociates `remove` (group providers; FARGATE ones have nothing to record). */
export function attachProviders(ctx: EcsContext, tx: Transaction, cluster: string, add: readonly string[], remove: readonly string[]): void {
  for (const name of remove) {
    const r = tx.get<CapacityProviderRecord>(CAPACITY_PROVIDERS, name)
    if (r === undefined || r.value.clusterName !== cluster) continue
    const { clusterName: _gone, ...rest } = r.value
    void _gone
    tx.put(CAPACITY_PROVIDERS, name, rest, r.version)
  }
  for (const name of add) {
    if (FARGATE_PROVIDERS.includes(name)) continue
    const r = activeProvider(tx, name)
    if (r === undefined) throw invalidParameter('capacityProviders', `The specified capacity provider does not exist. (${name})`)
    if (r.value.clusterName === cluster) continue
    if (r.value.clusterName !== undefined) throw invalidParameter('capacityProviders', `The specified capacity provider ${name} is already associated with cluster ${r.value.clusterName}.`)
    tx.put(CAPACITY_PROVIDERS, name, { ...r.value, clusterName: cluster }, r.version)
  }
}

/** Is the provider in use in the cluster: a task not yet STOPPED or an ACTIVE / DRAINING service's strategy naming it? */
function inUse(tx: Transaction, cluster: string, name: string): boolean {
  const tasks = tx.scan<TaskRecord>(TASKS, { index: { name: 'cluster', value: cluster } })
  if (tasks.some((t) => t.value.task.lastStatus !== 'STOPPED' && t.value.task.capacityProviderName === name)) return true
  return tx.scan<ServiceRecord>(SERVICES, { index: { name: 'cluster', value: cluster } }).some((s) =>
    s.value.service.status !== 'INACTIVE' && (s.value.service.capacityProviderStrategy ?? []).some((i: { capacityProvider?: string }) => i.capacityProvider === name))
}

function putClusterCapacityProviders(ctx: EcsContext, scaling: ClusterScaling, input: PutClusterCapacityProvidersRequest) {
  requireString(input?.cluster, 'cluster')
  if (input.capacityProviders === undefined || input.capacityProviders === null) throw invalidParameter('capacityProviders', 'capacityProviders is required.')
  if (input.defaultCapacityProviderStrategy === undefined || input.defaultCapacityProviderStrategy === null) {
    throw invalidParameter('defaultCapacityProviderStrategy', 'defaultCapacityProviderStrategy is required.')
  }
  const name = getCluster(ctx, input.cluster).cluster.clusterName as string
  const providers = checkProviderNames(ctx, input.capacityProviders, 'capacityProviders', name)
  const strategy = checkStrategy(input.defaultCapacityProviderStrategy, 'defaultCapacityProviderStrategy', (p) => providers.includes(p))
  const record = ctx.store.transaction((tx) => {
    const have: string[] = getCluster(ctx, name, 'cluster', tx).cluster.capacityProviders ?? []
    const removed = have.filter((p) => !providers.includes(p))
    for (const p of removed) {
      if (inUse(tx, name, p)) throw new EcsError('ResourceInUseException', `The specified capacity provider is in use and cannot be removed. (${p})`, { field: 'capacityProviders' })
    }
    attachProviders(ctx, tx, name, providers, removed)
    return updateClusterRecord(ctx, tx, name, 'cluster', (c) => ({ ...c, capacityProviders: providers, defaultCapacityProviderStrategy: strategy }))
  })
  for (const p of providers) if (!FARGATE_PROVIDERS.includes(p)) scaling.enqueue(p)
  return { cluster: clusterShape(ctx, record) }
}

function shape(record: CapacityProviderRecord, includeTags: boolean): CapacityProvider {
  const { tags, ...rest } = structuredClone(record.capacityProvider)
  return includeTags ? { ...rest, tags: tags ?? [] } : rest
}

function createCapacityProvider(ctx: EcsContext, scaling: ClusterScaling, input: CreateCapacityProviderRequest): CapacityProvider {
  const name = checkName(input?.name, 'name', 'capacity provider')
  if (/^(aws|ecs|fargate)/i.test(name)) throw invalidParameter('name', 'The capacity provider name cannot begin with the following prefixes: "aws", "ecs", or "fargate".')
  const group = checkGroupProvider(ctx, input.autoScalingGroupProvider, 'autoScalingGroupProvider')
  const tags = checkTagList(input.tags) ?? []
  groupOf(tags)
  const record = ctx.store.transaction((tx) => {
    const existing = tx.get<CapacityProviderRecord>(CAPACITY_PROVIDERS, name)
    if (existing !== undefined && existing.value.capacityProvider.status === 'ACTIVE') {
      throw clientException('name', `The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider. (${name})`)
    }
    const taken = tx.scan<CapacityProviderRecord>(CAPACITY_PROVIDERS).find((r) =>
      r.value.capacityProvider.status === 'ACTIVE' && r.value.capacityProvider.autoScalingGroupProvider?.autoScalingGroupArn === group.autoScalingGroupArn)
    if (taken !== undefined) {
      throw clientException('autoScalingGroupProvider.autoScalingGroupArn', `The specified Auto Scaling group ARN is already being used by capacity provider ${taken.key}.`)
    }
    const next: CapacityProviderRecord = {
      capacityProvider: { capacityProviderArn: providerArn(ctx, name), name, status: 'ACTIVE', autoScalingGroupProvider: group, tags },
      createdAt: ctx.clock.now()
    }
    tx.put(CAPACITY_PROVIDERS, name, next, existing?.version ?? 0)
    return next
  })
  scaling.enqueue(name)
  return shape(record, true)
}

function updateCapacityProvider(ctx: EcsContext, scaling: ClusterScaling, input: UpdateCapacityProviderRequest): CapacityProvider {
  const name = providerName(ctx, input?.name, 'name')
  if (FARGATE_PROVIDERS.includes(name)) throw invalidParameter('name', `The ${name} capacity provider is managed by Amazon ECS and cannot be updated.`)
  const record = ctx.store.transaction((tx) => {
    const found = activeProvider(tx, name)
    if (found === undefined) throw invalidParameter('name', `The specified capacity provider does not exist. Specify a valid name or ARN and try again. (${name})`)
    const base = found.value.capacityProvider.autoScalingGroupProvider!
    if (input.autoScalingGroupProvider?.managedScaling === undefined && input.autoScalingGroupProvider?.managedTerminationProtection === undefined && input.autoScalingGroupProvider?.managedDraining === undefined) {
      throw invalidParameter('autoScalingGroupProvider', 'autoScalingGroupProvider must change managedScaling, managedTerminationProtection or managedDraining.')
    }
    const group = checkGroupProvider(ctx, { ...input.autoScalingGroupProvider, autoScalingGroupArn: base.autoScalingGroupArn }, 'autoScalingGroupProvider', base)
    const next: CapacityProviderRecord = { ...found.value, capacityProvider: { ...found.value.capacityProvider, autoScalingGroupProvider: group, updateStatus: 'UPDATE_COMPLETE' } }
    tx.put(CAPACITY_PROVIDERS, name, next, found.version)
    return next
  })
  scaling.enqueue(name)
  return shape(record, false)
}

function deleteCapacityProvider(ctx: EcsContext, input: DeleteCapacityProviderRequest): CapacityProvider {
  const name = providerName(ctx, input?.capacityProvider, 'capacityProvider')
  if (FARGATE_PROVIDERS.includes(name)) throw invalidParameter('capacityProvider', `The ${name} capacity provider is managed by Amazon ECS and cannot be deleted.`)
  const record = ctx.store.transaction((tx) => {
    const found = activeProvider(tx, name)
    if (found === undefined) throw invalidParameter('capacityProvider', `The specified capacity provider does not exist. Specify a valid name or ARN and try again. (${name})`)
    if (found.value.clusterName !== undefined) {
      throw new EcsError('ResourceInUseException', `The specified capacity provider is in use and cannot be deleted: it is associated with cluster ${found.value.clusterName}. Remove it from the cluster (PutClusterCapacityProviders) and try again.`, { field: 'capacityProvider' })
    }
    const next: CapacityProviderRecord = { ...found.value, capacityProvider: { ...found.value.capacityProvider, status: 'INACTIVE', updateStatus: 'DELETE_COMPLETE' } }
    tx.put(CAPACITY_PROVIDERS, name, next, found.version)
    return next
  })
  return shape(record, false)
}

function describeCapacityProviders(ctx: EcsContext, input: DescribeCapacityProvidersRequest) {
  const include = optionalList<string>(input.include, 'include') ?? []
  for (const f of include) if (f !== 'TAGS') throw invalidParameter('include', `include must be TAGS, got ${String(f)}.`)
  const tags = include.includes('TAGS')
  const names = optionalList<string>(input.capacityProviders, 'capacityProviders', 100)
  if (names !== undefined) {
    const capacityProviders: CapacityProvider[] = []
    const failures: Failure[] = []
    names.forEach((v, i) => {
      const name = providerName(ctx, v, `capacityProviders[${i}]`)
      if (FARGATE_PROVIDERS.includes(name)) return void capacityProviders.push(builtIn(ctx, name))
      const r = ctx.store.get<CapacityProviderRecord>(CAPACITY_PROVIDERS, name)?.value
      if (r === undefined) failures.push({ arn: v.startsWith('arn:') ? v : providerArn(ctx, name), reason: 'MISSING' })
      else capacityProviders.push(shape(r, tags))
    })
    return { capacityProviders, failures }
  }
  // Every provider: FARGATE and FARGATE_SPOT first, then the group providers by name; paged by name.
  const max = pageSize(input.maxResults, 'maxResults', 10)
  const scope = 'ecs:DescribeCapacityProviders'
  const after = input.nextToken === undefined || input.nextToken === null ? undefined : ctx.tokens.read(input.nextToken, scope, { code: 'InvalidParameterException' })
  const rows: Array<{ key: string; p: CapacityProvider }> = [
    ...FARGATE_PROVIDERS.map((n, i) => ({ key: `0${i}`, p: builtIn(ctx, n) })),
    ...ctx.store.scan<CapacityProviderRecord>(CAPACITY_PROVIDERS).filter((r) => r.value.capacityProvider.status === 'ACTIVE').map((r) => ({ key: `1${r.key}`, p: shape(r.value, tags) }))
  ]
  const rest = after === undefined ? rows : rows.filter((r) => r.key > after)
  const page = rest.slice(0, max)
  return { capacityProviders: page.map((r) => r.p), failures: [], ...(rest.length > max ? { nextToken: ctx.tokens.issue(scope, page[page.length - 1].key) } : {}) }
}

export function capacityProviderOperations(ctx: EcsContext, scaling: ClusterScaling) {
  return {
    createCapacityProvider: async (input: CreateCapacityProviderRequest) => ({ capacityProvider: createCapacityProvider(ctx, scaling, input) }),
    describeCapacityProviders: async (input: DescribeCapacityProvidersRequest) => describeCapacityProviders(ctx, input ?? {}),
    updateCapacityProvider: async (input: UpdateCapacityProviderRequest) => ({ capacityProvider: updateCapacityProvider(ctx, scaling, input) }),
    deleteCapacityProvider: async (input: DeleteCapacityProviderRequest) => ({ capacityProvider: deleteCapacityProvider(ctx, input) }),
    putClusterCapacityProviders: async (input: PutClusterCapacityProvidersRequest) => putClusterCapacityProviders(ctx, scaling, input)
  }
}
