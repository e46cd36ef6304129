// ECS clusters: CreateCluster, DescribeClusters (with the counts computed from
// the store), ListClusters, UpdateCluster, UpdateClusterSettings,
// PutClusterCapacityProviders, DeleteCluster, and getCluster, the seam every
// other area resolves a request's `cluster` through. A cluster owns two node
// pools: its container instances (EC2 launch type) and the one its Fargate
// tasks are accounted in. The cluster `default` exists from the engine's first
// start (an engine restarted over a store keeps the store's).
//
// clusterOperations() also wires the rest of the area (container instances,
// attributes, capacity providers and their managed scaling, tags).

import { randomBytes } from 'node:crypto'
import { arns } from '../aws/arn.js'
import type { Transaction } from '../store/store.js'
import type { EcsContext } from './context.js'
import { EcsError, invalidParameter } from './errors.js'
import { CLUSTERS, SERVICES, TASKS, type ClusterRecord, type ServiceRecord, type TaskRecord } from './records.js'
import type {
  Cluster, ClusterConfiguration, ClusterExtensions, ClusterField, ClusterOperations, ClusterSetting, CreateClusterRequest,
  DescribeClustersRequest, Failure, KeyValuePair, ListClustersRequest, UpdateClusterRequest, UpdateClusterSettingsRequest
} from './model-clusters.js'
import { checkName, checkStrategy, checkTagList, clusterNotFound, localName, optionalList, pageSize, requireString, FARGATE_PROVIDERS } from './cluster-input.js'
import { addDefaultInstances, containerInstanceOperations, instanceCount, instancesForDelete, removeEngineInstances } from './container-instances.js'
import { attachProviders, capacityProviderOperations, checkProviderNames } from './capacity-providers.js'
import { attributeOperations } from './attributes.js'
import { tagOperations } from './tagging.js'
import { startClusterScaling } from './cluster-scaling.js'

export const DEFAULT_CLUSTER = 'default'
const CLUSTER_FIELDS: readonly ClusterField[] = ['ATTACHMENTS', 'CONFIGURATIONS', 'SETTINGS', 'STATISTICS', 'TAGS']
const INSIGHTS = ['enabled', 'disabled', 'enhanced']
/** Task states DescribeClusters counts as pending (not yet RUNNING, not stopping). */
const PENDING_STATES = ['PROVISIONING', 'PENDING', 'ACTIVATING']

/** The cluster a request names (name or ARN; absent: `default`); ClusterNotFoundException when it does not exist or is INACTIVE. */
export function getCluster(ctx: EcsContext, nameOrArn: string | undefined, field = 'cluster', reader: Pick<Transaction, 'get'> = ctx.store): ClusterRecord {
  const name = clusterNameOf(ctx, nameOrArn, field)
  const found = reader.get<ClusterRecord>(CLUSTERS, name)?.value
  if (found === undefined || found.cluster.status !== 'ACTIVE') throw clusterNotFound(field)
  return found
}

/** The name a request's `cluster` member stands for (absent or empty: `default`). */
export function clusterNameOf(ctx: EcsContext, nameOrArn: unknown, field = 'cluster'): string {
  if (nameOrArn === undefined || nameOrArn === null || nameOrArn === '') return DEFAULT_CLUSTER
  if (typeof nameOrArn !== 'string') throw invalidParameter(field, `${field} must be a cluster name or ARN.`)
  return localName(ctx, nameOrArn, 'cluster/', field)
}

function checkSettings(value: unknown, field: string): ClusterSetting[] | undefined {
  const list = optionalList<ClusterSetting>(value, field)
  if (list === undefined) return undefined
  return list.map((s, i) => {
    if (s?.name !== 'containerInsights') throw invalidParameter(`${field}[${i}].name`, `The setting name ${String(s?.name)} is not valid. Valid setting names: containerInsights.`)
    if (typeof s.value !== 'string' || !INSIGHTS.includes(s.value)) {
      throw invalidParameter(`${field}[${i}].value`, `The value for containerInsights must be one of: ${INSIGHTS.join(', ')}.`)
    }
    return { name: s.name, value: s.value }
  })
}

function checkConfiguration(value: unknown, field: string): ClusterConfiguration | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParameter(field, `${field} must be an object.`)
  const c = value as ClusterConfiguration
  const exec = c.executeCommandConfiguration
  if (exec !== undefined) {
    const at = `${field}.executeCommandConfiguration`
    if (exec.logging !== undefined && !['NONE', 'DEFAULT', 'OVERRIDE'].includes(exec.logging)) throw invalidParameter(`${at}.logging`, 'logging must be one of NONE, DEFAULT, OVERRIDE.')
    if (exec.logging === 'OVERRIDE' && exec.logConfiguration === undefined) {
      throw invalidParameter(`${at}.logConfiguration`, 'When logging is OVERRIDE, logConfiguration must be specified.')
    }
    if (exec.logging !== 'OVERRIDE' && exec.logConfiguration !== undefined) {
      throw invalidParameter(`${at}.logConfiguration`, 'logConfiguration may only be specified when logging is OVERRIDE.')
    }
  }
  return structuredClone(c)
}

/** Merges settings by name (UpdateClusterSettings changes the named ones, keeps the rest). */
function mergeSettings(have: ClusterSetting[] | undefined, change: ClusterSetting[]): ClusterSetting[] {
  const out = new Map((have ?? []).map((s) => [s.name, s]))
  for (const s of change) out.set(s.name, s)
  return [...out.values()]
}

function newPoolId(kind: 'ec2' | 'fargate', name: string): string {
  return `ecs-${kind}-${name}-${randomBytes(4).toString('hex')}`
}

/** Writes a new ACTIVE cluster (over an INACTIVE one of the same name) with its two pools and default instances. */
function writeCluster(ctx: EcsContext, tx: Transaction, name: string, shape: Omit<Cluster, 'clusterArn' | 'clusterName' | 'status'>): ClusterRecord {
  const clusterArn = arns.ecs.cluster(ctx.partition, name)
  const record: ClusterRecord = {
    cluster: {
      clusterArn, clusterName: name, status: 'ACTIVE',
      settings: shape.settings ?? [{ name: 'containerInsights', value: 'disabled' }],
      ...(shape.configuration !== undefined ? { configuration: shape.configuration } : {}),
      capacityProviders: shape.capacityProviders ?? [],
      defaultCapacityProviderStrategy: shape.defaultCapacityProviderStrategy ?? [],
      tags: shape.tags ?? [],
      attachments: [],
      ...(shape.serviceConnectDefaults !== undefined ? { serviceConnectDefaults: shape.serviceConnectDefaults } : {})
    },
    poolId: newPoolId('ec2', name),
    fargatePoolId: newPoolId('fargate', name),
    createdAt: ctx.clock.now()
  }
  const existing = tx.get<ClusterRecord>(CLUSTERS, name)
  tx.put(CLUSTERS, name, record, existing?.version ?? 0)
  ctx.pools.createPool(tx, { poolId: record.poolId, clusterArn, runner: ctx.settings.runner })
  ctx.pools.createPool(tx, { poolId: record.fargatePoolId, clusterArn, runner: ctx.settings.runner })
  addFargateNode(ctx, tx, record.fargatePoolId)
  attachProviders(ctx, tx, name, record.cluster.capacityProviders, [])
  addDefaultInstances(ctx, tx, record)
  return record
}

/**
 * The Fargate pool's one node, never shown as a container instance: Fargate's
 * quota is per account, not per machine, so it is large (4,096 vCPUs, 30 TiB);
 * the tasks area accounts each Fargate task's cpu and memory on it.
 */
export const FARGATE_NODE = { id: 'fargate', instanceType: 'fargate', vcpus: 4096, memory: 30 * 1024 * 1024, gpus: 0 }

function addFargateNode(ctx: EcsContext, tx: Transaction, poolId: string): void {
  ctx.pools.addNode(tx, poolId, { ...FARGATE_NODE, managed: true })
}

function countTasks(ctx: EcsContext, cluster: string, states: readonly string[]): number {
  return states.reduce((n, s) => n + ctx.store.count(TASKS, { index: { name: 'clusterStatus', value: `${cluster}/${s}` } }), 0)
}

function statistics(ctx: EcsContext, cluster: string): KeyValuePair[] {
  const tasks = (states: readonly string[]) => states.flatMap((s) => ctx.store.scan<TaskRecord>(TASKS, { index: { name: 'clusterStatus', value: `${cluster}/${s}` } }))
  const fargate = (t: { task: Record<string, any> }) => t.task.launchType === 'FARGATE' || FARGATE_PROVIDERS.includes(String(t.task.capacityProviderName))
  const services = (status: string) => ctx.store.scan<ServiceRecord>(SERVICES, { index: { name: 'clusterStatus', value: `${cluster}/${status}` } }).map((r) => r.value)
  const svcFargate = (s: ServiceRecord) => s.service.launchType === 'FARGATE' || (s.service.capacityProviderStrategy ?? []).some((i: { capacityProvider: string }) => FARGATE_PROVIDERS.includes(i.capacityProvider))
  const running = tasks(['RUNNING']).map((r) => r.value)
  const pending = tasks(PENDING_STATES).map((r) => r.value)
  const active = services('ACTIVE')
  const draining = services('DRAINING')
  const stat = (name: string, value: number) => ({ name, value: String(value) })
  return [
    stat('runningEC2TasksCount', running.filter((t) => !fargate(t)).length),
    stat('runningFargateTasksCount', running.filter(fargate).length),
    stat('pendingEC2TasksCount', pending.filter((t) => !fargate(t)).length),
    stat('pendingFargateTasksCount', pending.filter(fargate).length),
    stat('activeEC2ServiceCount', active.filter((s) => !svcFargate(s)).length),
    stat('activeFargateServiceCount', active.filter(svcFargate).length),
    stat('drainingEC2ServiceCount', draining.filter((s) => !svcFargate(s)).length),
    stat('drainingFargateServiceCount', draining.filter(svcFargate).length)
  ]
}

/** A cluster as DescribeClusters shows it: the counts from the store; settings, configuration, statistics, tags, attachments only when asked for. */
export function clusterShape(ctx: EcsContext, record: ClusterRecord, include: ReadonlySet<ClusterField> = new Set(CLUSTER_FIELDS)): Cluster {
  const c = record.cluster
  const name = String(c.clusterName)
  const active = c.status === 'ACTIVE'
  return {
    clusterArn: c.clusterArn, clusterName: name, status: c.status,
    registeredContainerInstancesCount: active ? instanceCount(ctx, name) : 0,
    runningTasksCount: active ? countTasks(ctx, name, ['RUNNING']) : 0,
    pendingTasksCount: active ? countTasks(ctx, name, PENDING_STATES) : 0,
    activeServicesCount: active ? ctx.store.count(SERVICES, { index: { name: 'clusterStatus', value: `${name}/ACTIVE` } }) : 0,
    statistics: include.has('STATISTICS') && active ? statistics(ctx, name) : [],
    ...(include.has('TAGS') ? { tags: structuredClone(c.tags ?? []) } : {}),
    ...(include.has('SETTINGS') ? { settings: structuredClone(c.settings ?? []) } : {}),
    ...(include.has('CONFIGURATIONS') && c.configuration !== undefined ? { configuration: structuredClone(c.configuration) } : {}),
    capacityProviders: [...(c.capacityProviders ?? [])],
    defaultCapacityProviderStrategy: structuredClone(c.defaultCapacityProviderStrategy ?? []),
    ...(include.has('ATTACHMENTS') ? { attachments: structuredClone(c.attachments ?? []), attachmentsStatus: 'UPDATE_COMPLETE' } : {}),
    ...(c.serviceConnectDefaults !== undefined ? { serviceConnectDefaults: structuredClone(c.serviceConnectDefaults) } : {})
  }
}

/** Rewrites an ACTIVE cluster's AWS shape in one transaction; returns the new record. */
export function updateClusterRecord(ctx: EcsContext, tx: Transaction, nameOrArn: string | undefined, field: string, change: (c: Record<string, any>) => Record<string, any>): ClusterRecord {
  const name = clusterNameOf(ctx, nameOrArn, field)
  const found = tx.get<ClusterRecord>(CLUSTERS, name)
  if (found === undefined || found.value.cluster.status !== 'ACTIVE') throw clusterNotFound(field)
  const next = { ...found.value, cluster: change(structuredClone(found.value.cluster)) }
  tx.put(CLUSTERS, name, next, found.version)
  return next
}

function createCluster(ctx: EcsContext, input: CreateClusterRequest): ClusterRecord {
  const name = input.clusterName === undefined || input.clusterName === null ? DEFAULT_CLUSTER : checkName(input.clusterName, 'clusterName', 'cluster')
  const tags = checkTagList(input.tags)
  const settings = checkSettings(input.settings, 'settings')
  const configuration = checkConfiguration(input.configuration, 'configuration')
  const providers = checkProviderNames(ctx, input.capacityProviders, 'capacityProviders', name)
  const strategy = checkStrategy(input.defaultCapacityProviderStrategy, 'defaultCapacityProviderStrategy', (p) => providers.includes(p))
  if (input.serviceConnectDefaults !== undefined) requireString(input.serviceConnectDefaults?.namespace, 'serviceConnectDefaults.namespace')
  return ctx.store.transaction((tx) => {
    const existing = tx.get<ClusterRecord>(CLUSTERS, name)?.value
    // ECS answers CreateCluster of an existing ACTIVE cluster with that cluster, unchanged.
    if (existing !== undefined && existing.cluster.status === 'ACTIVE') return existing
    const record = writeCluster(ctx, tx, name, {
      ...(settings !== undefined ? { settings } : {}), ...(configuration !== undefined ? { configuration } : {}),
      capacityProviders: providers, defaultCapacityProviderStrategy: strategy, tags: tags ?? [],
      ...(input.serviceConnectDefaults !== undefined ? { serviceConnectDefaults: { namespace: input.serviceConnectDefaults.namespace } } : {})
    })
    tx.afterCommit(() => {
      for (const f of ctx.hooks.instanceChanged) f(name)
    })
    return record
  })
}

function describeClusters(ctx: EcsContext, input: DescribeClustersRequest) {
  const names = optionalList<string>(input.clusters, 'clusters', 100) ?? [DEFAULT_CLUSTER]
  const include = new Set(optionalList<ClusterField>(input.include, 'include') ?? [])
  for (const f of include) if (!CLUSTER_FIELDS.includes(f)) throw invalidParameter('include', `include must be among ${CLUSTER_FIELDS.join(', ')}, got ${String(f)}.`)
  const clusters: Cluster[] = []
  const failures: Failure[] = []
  names.forEach((value, i) => {
    if (typeof value !== 'string' || value.length === 0) throw invalidParameter(`clusters[${i}]`, 'clusters must be names or ARNs.')
    const name = clusterNameOf(ctx, value, `clusters[${i}]`)
    const record = ctx.store.get<ClusterRecord>(CLUSTERS, name)?.value
    if (record === undefined) failures.push({ arn: value.startsWith('arn:') ? value : arns.ecs.cluster(ctx.partition, name), reason: 'MISSING' })
    else clusters.push(clusterShape(ctx, record, include))
  })
  return { clusters, failures }
}

function listClusters(ctx: EcsContext, input: ListClustersRequest) {
  const max = pageSize(input.maxResults)
  const scope = 'ecs:ListClusters'
  const after = input.nextToken === undefined || input.nextToken === null ? undefined : ctx.tokens.read(input.nextToken, scope, { code: 'InvalidParameterException' })
  const out: string[] = []
  let last: string | undefined
  let more = false
  for (const r of ctx.store.scan<ClusterRecord>(CLUSTERS, { after })) {
    if (r.value.cluster.status !== 'ACTIVE') continue
    if (out.length === max) {
      more = true
      break
    }
    out.push(String(r.value.cluster.clusterArn))
    last = r.key
  }
  return { clusterArns: out, ...(more && last !== undefined ? { nextToken: ctx.tokens.issue(scope, last) } : {}) }
}

function updateCluster(ctx: EcsContext, input: UpdateClusterRequest): ClusterRecord {
  const field = 'cluster'
  requireString(input.cluster, field)
  const settings = checkSettings(input.settings, 'settings')
  const configuration = checkConfiguration(input.configuration, 'configuration')
  if (input.serviceConnectDefaults !== undefined) requireString(input.serviceConnectDefaults?.namespace, 'serviceConnectDefaults.namespace')
  return ctx.store.transaction((tx) => updateClusterRecord(ctx, tx, input.cluster, field, (c) => ({
    ...c,
    ...(settings !== undefined ? { settings: mergeSettings(c.settings, settings) } : {}),
    ...(configuration !== undefined ? { configuration: { ...c.configuration, ...configuration } } : {}),
    ...(input.serviceConnectDefaults !== undefined ? { serviceConnectDefaults: { namespace: input.serviceConnectDefaults.namespace } } : {})
  })))
}

function updateClusterSettings(ctx: EcsContext, input: UpdateClusterSettingsRequest): ClusterRecord {
  requireString(input.cluster, 'cluster')
  if (input.settings === undefined) throw invalidParameter('settings', 'settings is required.')
  const settings = checkSettings(input.settings, 'settings') ?? []
  return ctx.store.transaction((tx) => updateClusterRecord(ctx, tx, input.cluster, 'cluster', (c) => ({ ...c, settings: mergeSettings(c.settings, settings) })))
}

function deleteCluster(ctx: EcsContext, input: { cluster: string }): ClusterRecord {
  requireString(input.cluster, 'cluster')
  return ctx.store.transaction((tx) => {
    const record = getCluster(ctx, input.cluster, 'cluster', tx)
    const name = String(record.cluster.clusterName)
    const services = ['ACTIVE', 'DRAINING'].reduce((n, s) => n + tx.count(SERVICES, { index: { name: 'clusterStatus', value: `${name}/${s}` } }), 0)
    if (services > 0) throw new EcsError('ClusterContainsServicesException', 'The Cluster cannot be deleted while Services are active.', { field: 'cluster' })
    const instances = instancesForDelete(ctx, tx, name)
    if (instances.blocking > 0) {
      throw new EcsError('ClusterContainsContainerInstancesException', 'The Cluster cannot be deleted while Container Instances are active or draining.', { field: 'cluster' })
    }
    const live = tx.count(TASKS, { index: { name: 'cluster', value: name } }) - tx.count(TASKS, { index: { name: 'clusterStatus', value: `${name}/STOPPED` } })
    if (live > 0) throw new EcsError('ClusterContainsTasksException', 'The Cluster cannot be deleted while Tasks are active.', { field: 'cluster' })
    // The engine's own virtual instances go with the cluster (an empty ECS cluster deletes).
    removeEngineInstances(ctx, tx, instances.removable)
    attachProviders(ctx, tx, name, [], record.cluster.capacityProviders ?? [])
    ctx.pools.deletePool(tx, record.poolId)
    ctx.pools.deletePool(tx, record.fargatePoolId)
    return updateClusterRecord(ctx, tx, name, 'cluster', (c) => ({ ...c, status: 'INACTIVE', capacityProviders: [], defaultCapacityProviderStrategy: [] }))
  })
}

/** Creates `default` when the store has no cluster of that name (a restarted engine keeps the store's, whatever its status). */
function ensureDefaultCluster(ctx: EcsContext): void {
  if (ctx.store.get(CLUSTERS, DEFAULT_CLUSTER) !== undefined) return
  ctx.store.transaction((tx) => {
    if (tx.get(CLUSTERS, DEFAULT_CLUSTER) === undefined) writeCluster(ctx, tx, DEFAULT_CLUSTER, {})
  })
}

/** Creates the area's controllers (work queues, owners, watchers) and picks up what the store holds. */
export function clusterOperations(ctx: EcsContext): ClusterOperations & ClusterExtensions {
  const instances = containerInstanceOperations(ctx)
  ensureDefaultCluster(ctx)
  const scaling = startClusterScaling(ctx)
  const all = CLUSTER_FIELDS_SET
  return {
    createCluster: async (input) => ({ cluster: clusterShape(ctx, createCluster(ctx, input ?? {}), all) }),
    describeClusters: async (input) => describeClusters(ctx, input ?? {}),
    listClusters: async (input) => listClusters(ctx, input ?? {}),
    updateCluster: async (input) => ({ cluster: clusterShape(ctx, updateCluster(ctx, input), all) }),
    updateClusterSettings: async (input) => ({ cluster: clusterShape(ctx, updateClusterSettings(ctx, input), all) }),
    deleteCluster: async (input) => ({ cluster: clusterShape(ctx, deleteCluster(ctx, input), all) }),
    ...instances,
    ...attributeOperations(ctx),
    ...capacityProviderOperations(ctx, scaling),
    ...tagOperations(ctx),
    capacityProviderReservation: async (input) => scaling.reservation(input.capacityProvider)
  }
}

const CLUSTER_FIELDS_SET: ReadonlySet<ClusterField> = new Set(CLUSTER_FIELDS)
