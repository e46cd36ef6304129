// Container instances: the nodes of a cluster's node pool, shown as ECS shows
// them. Every new cluster gets the engine's default instances (virtual
// instances: slices of the host whose resources the scheduler accounts);
// RegisterContainerInstance adds more (simulated ones on the simulated runner,
// or ones backed by another of the runner's Docker engines: attribute
// `stratus.host`). An instance is in one cluster only.
//
// The node (cluster:nodes) holds what placement reads: resources, zone,
// status ACTIVE / DRAINING, attributes. The area's own record
// (ecs:containerInstances, keyed by the instance id) holds what only ECS
// shows: registration time, tags, version info, reserved ports, the capacity
// provider that launched it, and the states a node does not have
// (DEREGISTERING while a forced deregistration's tasks stop; INACTIVE after).

import { INSTANCE_TYPES } from '../cluster/instance-types.js'
import { usedPortNumbers, type NodeRecord } from '../cluster/node-pool.js'
import { emitEvent } from '../events/outbox-relay.js'
import type { StoreReader, Transaction } from '../store/store.js'
import { WorkQueue } from '../controller/work-queue.js'
import { againAfter, done } from '../controller/reconciler.js'
import { StratusError } from '../errors.js'
import type { EcsContext } from './context.js'
import { EcsError, invalidParameter } from './errors.js'
import { CLUSTERS, TASKS, type ClusterRecord, type TaskRecord } from './records.js'
import type {
  Attribute, ContainerInstance, ContainerInstanceStatus, DeregisterContainerInstanceRequest, DescribeContainerInstancesRequest, Failure,
  ListContainerInstancesRequest, RegisterContainerInstanceRequest, Resource, Tag, UpdateContainerInstancesStateRequest, VersionInfo
} from './model-clusters.js'
import { checkTagList, localName, optionalList, pageSize, requireString } from './cluster-input.js'
import { getCluster } from './clusters.js'
import { checkAttributeList } from './attributes.js'
import { matchesFilter } from './instance-filter.js'
import { identityOf, resourcesOf } from './container-instance-input.js'
import { stopTask } from './run-task.js'

export const CONTAINER_INSTANCES = 'ecs:containerInstances'
/** Ports ECS reserves on every container instance (ssh, the Docker API, the agent's). */
export const RESERVED_PORTS = ['22', '2375', '2376', '51678', '51679']
export const HOST_ATTRIBUTE = 'stratus.host'
export const PROVIDER_ATTRIBUTE = 'stratus.capacity-provider'
const VERSION_INFO: VersionInfo = { agentVersion: '1.89.0', agentHash: 'stratus', dockerVersion: 'DockerVersion: 25.0.0' }
/** The attributes every instance has (besides zone and instance type): ECS's, for a Linux x86_64 instance with the usual agent. */
const BUILT_IN_ATTRIBUTES: Record<string, string> = {
  'ecs.os-type': 'linux',
  'ecs.os-family': 'LINUX',
  'ecs.cpu-architecture': 'x86_64',
  'ecs.capability.task-eni': '',
  'ecs.capability.execution-role-awslogs': '',
  'ecs.capability.container-health-check': '',
  'ecs.capability.efsAuth': '',
  'ecs.capability.execute-command': '',
  'com.amazonaws.ecs.capability.docker-remote-api.1.44': '',
  'com.amazonaws.ecs.capability.logging-driver.awslogs': ''
}

export interface InstanceRecord {
  /** The EC2 instance id (the node's id): the store key. */
  id: string
  clusterName: string
  poolId: string
  containerInstanceArn: string
  status: ContainerInstanceStatus
  statusReason?: string
  capacityProviderName?: string
  tags: Tag[]
  versionInfo: VersionInfo
  /** TCP and UDP ports registered as taken (ECS's reserved ones unless totalResources said otherwise). */
  reservedPorts: string[]
  reservedUdpPorts: string[]
  registeredAt: number
  deregisteredAt?: number
  /**
   * One of the cluster's own virtual instances the engine made with it
   * (settings.defaultInstances), not registered by the user: DeleteCluster
   * removes it when it runs nothing, as an empty ECS cluster deletes.
   */
  engineProvided?: true
  /** ECS's version of the instance: grows with every change (DescribeContainerInstances `version`). */
  version: number
}

export interface InstanceSpec {
  id?: string
  instanceType: string
  vcpus: number
  memory: number
  gpus: number
  managed: boolean
  zone?: string
  host?: string
  attributes?: Record<string, string>
  capacityProviderName?: string
  tags?: Tag[]
  versionInfo?: VersionInfo
  reservedPorts?: string[]
  reservedUdpPorts?: string[]
  /** The engine made it with the cluster (InstanceRecord.engineProvided). */
  engineProvided?: true
}

export function defineInstanceIndexes(ctx: EcsContext): void {
  ctx.store.defineIndex<InstanceRecord>(CONTAINER_INSTANCES, 'cluster', (r) => r.clusterName)
  ctx.store.defineIndex<InstanceRecord>(CONTAINER_INSTANCES, 'clusterStatus', (r) => `${r.clusterName}/${r.status}`)
  ctx.store.defineIndex<InstanceRecord>(CONTAINER_INSTANCES, 'provider', (r) => r.capacityProviderName === undefined || r.status === 'INACTIVE' ? undefined : `${r.clusterName}/${r.capacityProviderName}`)
}

/** Instances registered in a cluster (ACTIVE, DRAINING, DEREGISTERING): what DescribeClusters counts and DeleteCluster refuses. */
export function instanceCount(ctx: EcsContext, cluster: string, reader: StoreReader = ctx.store): number {
  return ['ACTIVE', 'DRAINING', 'DEREGISTERING'].reduce((n, s) => n + reader.count(CONTAINER_INSTANCES, { index: { name: 'clusterStatus', value: `${cluster}/${s}` } }), 0)
}

function notifyAfterCommit(ctx: EcsContext, tx: Transaction, cluster: string): void {
  tx.afterCommit(() => {
    for (const f of ctx.hooks.instanceChanged) f(cluster)
  })
}

/** Adds a node to the cluster's pool and the instance's record, in the caller's transaction. */
export function addInstance(ctx: EcsContext, tx: Transaction, cluster: ClusterRecord, spec: InstanceSpec): { record: InstanceRecord; node: NodeRecord } {
  const attributes = { ...BUILT_IN_ATTRIBUTES, ...spec.attributes, ...(spec.capacityProviderName !== undefined ? { [PROVIDER_ATTRIBUTE]: spec.capacityProviderName } : {}) }
  let node: NodeRecord
  try {
    node = ctx.pools.addNode(tx, cluster.poolId, {
      ...(spec.id !== undefined ? { id: spec.id } : {}), instanceType: spec.instanceType, vcpus: spec.vcpus, memory: spec.memory, gpus: spec.gpus,
      managed: spec.managed, attributes, ...(spec.host !== undefined ? { host: spec.host } : {}), ...(spec.zone !== undefined ? { zone: spec.zone } : {}),
      // The reserved ports are taken on the node for good: placement refuses a task asking for one (RESOURCE:PORTS).
      reservedPorts: [...(spec.reservedPorts ?? RESERVED_PORTS).map((p) => `tcp:${p}`), ...(spec.reservedUdpPorts ?? []).map((p) => `udp:${p}`)]
    })
  } catch (e) {
    if (e instanceof StratusError && e.code === 'UnknownHost') throw invalidParameter(`attributes.${HOST_ATTRIBUTE}`, e.message)
    throw e
  }
  const record: InstanceRecord = {
    id: node.id, clusterName: String(cluster.cluster.clusterName), poolId: cluster.poolId, containerInstanceArn: node.containerInstanceArn,
    status: 'ACTIVE', ...(spec.capacityProviderName !== undefined ? { capacityProviderName: spec.capacityProviderName } : {}),
    tags: spec.tags ?? [], versionInfo: spec.versionInfo ?? VERSION_INFO,
    reservedPorts: spec.reservedPorts ?? RESERVED_PORTS, reservedUdpPorts: spec.reservedUdpPorts ?? [],
    registeredAt: ctx.clock.now(), ...(spec.engineProvided === true ? { engineProvided: true } : {}), version: 1
  }
  const existing = tx.get<InstanceRecord>(CONTAINER_INSTANCES, node.id)
  tx.put(CONTAINER_INSTANCES, node.id, record, existing?.version ?? 0)
  emitInstanceEvent(ctx, tx, record, node)
  notifyAfterCommit(ctx, tx, record.clusterName)
  return { record, node }
}

/** The engine's default instances of a new cluster (ctx.settings.defaultInstances; count 0: none). */
export function addDefaultInstances(ctx: EcsContext, tx: Transaction, cluster: ClusterRecord): void {
  const { count, instanceType } = ctx.settings.defaultInstances
  if (count <= 0) return
  const type = INSTANCE_TYPES.find((t) => t.name === instanceType)
  if (type === undefined) throw new EcsError('ServerException', `ecs.defaultInstances.instanceType: unknown instance type ${instanceType}`, { field: 'defaultInstances.instanceType' })
  for (let i = 0; i < count; i++) addInstance(ctx, tx, cluster, { instanceType: type.name, vcpus: type.vcpus, memory: type.memory, gpus: type.gpus, managed: false, engineProvided: true })
}

/**
 * What DeleteCluster does with the cluster's live instances: the engine's own
 * ones that run nothing are deregistered with it (`removable`); every other
 * one (user-registered, a capacity provider's, an engine one still running
 * or stopping a task) refuses the delete (`blocking`).
 */
export function instancesForDelete(ctx: EcsContext, tx: Transaction, cluster: string): { removable: InstanceRecord[]; blocking: number } {
  const removable: InstanceRecord[] = []
  let blocking = 0
  for (const { value: r } of tx.scan<InstanceRecord>(CONTAINER_INSTANCES, { index: { name: 'cluster', value: cluster } })) {
    if (r.status === 'INACTIVE') continue
    const node = ctx.pools.node(r.poolId, r.id, tx)
    const idle = (node === undefined || node.running === 0) && tasksOn(tx, r.containerInstanceArn).every((t) => t.task.lastStatus === 'STOPPED')
    if (r.engineProvided === true && idle) removable.push(r)
    else blocking++
  }
  return { removable, blocking }
}

/** Deregisters the engine's own idle instances (from instancesForDelete), in the caller's transaction. */
export function removeEngineInstances(ctx: EcsContext, tx: Transaction, records: readonly InstanceRecord[]): void {
  for (const r of records) {
    const found = tx.get<InstanceRecord>(CONTAINER_INSTANCES, r.id)!
    finishOrDrain(ctx, tx, found.value, found.version, ctx.pools.node(r.poolId, r.id, tx))
  }
}

/** The instance id a request's container instance member (ARN or id) names. */
export function instanceIdOf(ctx: EcsContext, value: unknown, field: string): string {
  const id = localName(ctx, requireString(value, field), 'container-instance/', field)
  return id.slice(id.lastIndexOf('/') + 1)
}

/** The instance and its node (absent once INACTIVE), if it is in `cluster`. */
export function findInstance(ctx: EcsContext, reader: StoreReader, cluster: string, id: string): { record: InstanceRecord; version: number; node: NodeRecord | undefined } | undefined {
  const found = reader.get<InstanceRecord>(CONTAINER_INSTANCES, id)
  if (found === undefined || found.value.clusterName !== cluster) return undefined
  return { record: found.value, version: found.version, node: found.value.status === 'INACTIVE' ? undefined : ctx.pools.node(found.value.poolId, id, reader) }
}

function tasksOn(reader: StoreReader, arn: string): TaskRecord[] {
  return reader.scan<TaskRecord>(TASKS, { index: { name: 'instance', value: arn } }).map((r) => r.value)
}

/** Reserved and taken ports, once each, ascending (as ECS lists PORTS). */
function portSet(reserved: readonly string[], used: readonly string[]): string[] {
  return [...new Set([...reserved, ...used])].sort((a, b) => Number(a) - Number(b))
}

/** What DescribeContainerInstances shows of an instance. */
export function instanceShape(ctx: EcsContext, reader: StoreReader, record: InstanceRecord, node: NodeRecord | undefined, includeTags: boolean): ContainerInstance {
  const units = (millicores: number) => Math.round((millicores / 1000) * 1024)
  const tasks = tasksOn(reader, record.containerInstanceArn).filter((t) => t.task.lastStatus !== 'STOPPED')
  const resources = (cpu: number, memory: number, tcp: string[], udp: string[]): Resource[] => [
    { name: 'CPU', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: units(cpu) },
    { name: 'MEMORY', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: memory },
    { name: 'PORTS', type: 'STRINGSET', doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: tcp },
    { name: 'PORTS_UDP', type: 'STRINGSET', doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: udp }
  ]
  const attributes: Attribute[] = node === undefined ? [] : [
    { name: 'ecs.availability-zone', value: node.zone },
    { name: 'ecs.instance-type', value: node.instanceType },
    ...Object.entries(node.attributes).filter(([name]) => name !== HOST_ATTRIBUTE || node.host !== undefined)
      .map(([name, value]) => (value === '' ? { name } : { name, value }))
  ]
  return {
    containerInstanceArn: record.containerInstanceArn,
    ec2InstanceId: record.id,
    ...(record.capacityProviderName !== undefined ? { capacityProviderName: record.capacityProviderName } : {}),
    version: record.version,
    versionInfo: { ...record.versionInfo },
    registeredResources: node === undefined ? [] : resources(node.totalCpu, node.totalMemory, record.reservedPorts, record.reservedUdpPorts),
    remainingResources: node === undefined ? [] : resources(node.totalCpu - node.usedCpu, node.totalMemory - node.usedMemory,
      portSet(record.reservedPorts, usedPortNumbers(node, 'tcp')), portSet(record.reservedUdpPorts, usedPortNumbers(node, 'udp'))),
    status: record.status,
    ...(record.statusReason !== undefined ? { statusReason: record.statusReason } : {}),
    agentConnected: record.status !== 'INACTIVE',
    runningTasksCount: tasks.filter((t) => t.task.lastStatus === 'RUNNING').length,
    pendingTasksCount: tasks.filter((t) => ['PROVISIONING', 'PENDING', 'ACTIVATING'].includes(String(t.task.lastStatus))).length,
    attributes,
    registeredAt: record.registeredAt,
    attachments: [],
    ...(includeTags ? { tags: structuredClone(record.tags) } : {})
  }
}

/** Writes the instance record (version + 1) and announces the change. */
export function putInstance(ctx: EcsContext, tx: Transaction, record: InstanceRecord, expected: number, node: NodeRecord | undefined): InstanceRecord {
  const next = { ...record, version: record.version + 1 }
  tx.put(CONTAINER_INSTANCES, record.id, next, expected)
  emitInstanceEvent(ctx, tx, next, node)
  notifyAfterCommit(ctx, tx, record.clusterName)
  return next
}

/** ECS Container Instance State Change, in EventBridge's shape, on the outbox. */
function emitInstanceEvent(ctx: EcsContext, tx: Transaction, record: InstanceRecord, node: NodeRecord | undefined): void {
  emitEvent(tx, ctx.events, 'aws.ecs', 'ECS Container Instance State Change', () => [record.containerInstanceArn], () => {
    const shape = instanceShape(ctx, tx, record, node, false)
    return {
      agentConnected: shape.agentConnected, attributes: shape.attributes, clusterArn: tx.get<ClusterRecord>(CLUSTERS, record.clusterName)?.value.cluster.clusterArn,
      containerInstanceArn: record.containerInstanceArn, ec2InstanceId: record.id, registeredResources: shape.registeredResources,
      remainingResources: shape.remainingResources, status: record.status, version: record.version, versionInfo: record.versionInfo,
      updatedAt: new Date(ctx.clock.now()).toISOString()
    }
  }, () => ctx.clock.now())
}

function registerContainerInstance(ctx: EcsContext, input: RegisterContainerInstanceRequest): ContainerInstance {
  const identity = identityOf(input.instanceIdentityDocument)
  const resources = resourcesOf(optionalList<Resource>(input.totalResources, 'totalResources'))
  const tags = checkTagList(input.tags)
  const given = checkAttributeList(input.attributes, 'attributes')
  const host = given[HOST_ATTRIBUTE]
  const type = identity.instanceType === undefined ? undefined : INSTANCE_TYPES.find((t) => t.name === identity.instanceType)
  const cpu = resources.cpu ?? (type === undefined ? undefined : type.vcpus * 1024)
  const memory = resources.memory ?? type?.memory
  if (cpu === undefined) throw invalidParameter('totalResources', 'totalResources must give CPU when the identity document names no instance type Stratus knows.')
  if (memory === undefined) throw invalidParameter('totalResources', 'totalResources must give MEMORY when the identity document names no instance type Stratus knows.')
  if (identity.availabilityZone !== undefined && !identity.availabilityZone.startsWith(ctx.partition.region)) {
    throw invalidParameter('instanceIdentityDocument.availabilityZone', `availabilityZone must be a zone of ${ctx.partition.region}, got ${identity.availabilityZone}.`)
  }
  const result = ctx.store.transaction((tx) => {
    const cluster = getCluster(ctx, input.cluster, 'cluster', tx)
    const name = String(cluster.cluster.clusterName)
    if (identity.instanceId !== undefined) {
      const prior = tx.get<InstanceRecord>(CONTAINER_INSTANCES, identity.instanceId)?.value
      if (prior !== undefined && prior.status !== 'INACTIVE') {
        if (prior.clusterName !== name) {
          throw new EcsError('ClientException', `The instance ${identity.instanceId} is already registered in cluster ${prior.clusterName}; an instance can be in one cluster only.`, { field: 'instanceIdentityDocument.instanceId' })
        }
        // The agent registering again: ECS answers with the instance it has.
        return findInstance(ctx, tx, name, prior.id)!
      }
    }
    const { record, node } = addInstance(ctx, tx, cluster, {
      ...(identity.instanceId !== undefined ? { id: identity.instanceId } : {}),
      instanceType: identity.instanceType ?? 'custom', vcpus: cpu / 1024, memory, gpus: resources.gpus ?? 0, managed: false,
      ...(identity.availabilityZone !== undefined ? { zone: identity.availabilityZone } : {}),
      ...(host !== undefined ? { host } : {}),
      attributes: given, ...(tags !== undefined ? { tags } : {}),
      ...(input.versionInfo !== undefined ? { versionInfo: { ...VERSION_INFO, ...input.versionInfo } } : {}),
      ...(resources.ports !== undefined ? { reservedPorts: resources.ports } : {}),
      ...(resources.udp !== undefined ? { reservedUdpPorts: resources.udp } : {})
    })
    return { record, node, version: 0 }
  })
  return instanceShape(ctx, ctx.store, result.record, result.node, true)
}

function describeContainerInstances(ctx: EcsContext, input: DescribeContainerInstancesRequest) {
  const cluster = getCluster(ctx, input.cluster)
  const name = String(cluster.cluster.clusterName)
  const list = optionalList<string>(input.containerInstances, 'containerInstances', 100)
  if (list === undefined || list.length === 0) throw invalidParameter('containerInstances', 'containerInstances can not be empty.')
  const include = optionalList<string>(input.include, 'include') ?? []
  for (const f of include) if (f !== 'TAGS' && f !== 'CONTAINER_INSTANCE_HEALTH') throw invalidParameter('include', `include must be among TAGS, CONTAINER_INSTANCE_HEALTH, got ${String(f)}.`)
  const containerInstances: ContainerInstance[] = []
  const failures: Failure[] = []
  list.forEach((value, i) => {
    const found = findInstance(ctx, ctx.store, name, instanceIdOf(ctx, value, `containerInstances[${i}]`))
    if (found === undefined) failures.push({ arn: value, reason: 'MISSING' })
    else containerInstances.push(instanceShape(ctx, ctx.store, found.record, found.node, include.includes('TAGS')))
  })
  return { containerInstances, failures }
}

function listContainerInstances(ctx: EcsContext, input: ListContainerInstancesRequest) {
  const cluster = getCluster(ctx, input.cluster)
  const name = String(cluster.cluster.clusterName)
  const max = pageSize(input.maxResults)
  const statuses = ['ACTIVE', 'DRAINING', 'REGISTERING', 'DEREGISTERING', 'REGISTRATION_FAILED']
  if (input.status !== undefined && input.status !== null && !statuses.includes(input.status)) throw invalidParameter('status', `status must be one of ${statuses.join(', ')}.`)
  const filter = input.filter === undefined || input.filter === null ? undefined : requireString(input.filter, 'filter')
  const scope = `ecs:ListContainerInstances:${name}:${input.status ?? ''}:${filter ?? ''}`
  const after = input.nextToken === undefined || input.nextToken === null ? undefined : ctx.tokens.read(input.nextToken, scope, { code: 'InvalidParameterException' })
  const candidates = ctx.store.scan<InstanceRecord>(CONTAINER_INSTANCES, { index: { name: 'cluster', value: name } }).map((r) => r.value)
    .filter((r) => (input.status ? r.status === input.status : r.status !== 'INACTIVE'))
    .filter((r) => after === undefined || r.id > after)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const matching = filter === undefined ? candidates : matchesFilter(ctx, cluster, filter, candidates, 'filter')
  const page = matching.slice(0, max)
  return {
    containerInstanceArns: page.map((r) => r.containerInstanceArn),
    ...(matching.length > max ? { nextToken: ctx.tokens.issue(scope, page[page.length - 1].id) } : {})
  }
}

function updateContainerInstancesState(ctx: EcsContext, input: UpdateContainerInstancesStateRequest) {
  const list = optionalList<string>(input.containerInstances, 'containerInstances', 10)
  if (list === undefined || list.length === 0) throw invalidParameter('containerInstances', 'containerInstances can not be empty.')
  if (input.status !== 'ACTIVE' && input.status !== 'DRAINING') {
    throw invalidParameter('status', `Container instances status should be one of [ACTIVE, DRAINING], got ${String(input.status)}.`)
  }
  const status: 'ACTIVE' | 'DRAINING' = input.status
  const ids = list.map((v, i) => ({ value: v, id: instanceIdOf(ctx, v, `containerInstances[${i}]`) }))
  return ctx.store.transaction((tx) => {
    const cluster = getCluster(ctx, input.cluster, 'cluster', tx)
    const name = String(cluster.cluster.clusterName)
    const containerInstances: ContainerInstance[] = []
    const failures: Failure[] = []
    for (const { value, id } of ids) {
      const found = findInstance(ctx, tx, name, id)
      if (found === undefined || found.node === undefined || (found.record.status !== 'ACTIVE' && found.record.status !== 'DRAINING')) {
        failures.push({ arn: value, reason: 'MISSING' })
        continue
      }
      let { record, node } = found
      if (record.status !== status) {
        node = ctx.pools.setStatus(tx, record.poolId, id, status)
        record = putInstance(ctx, tx, { ...record, status }, found.version, node)
      }
      containerInstances.push(instanceShape(ctx, tx, record, node, false))
    }
    return { containerInstances, failures }
  })
}

function deregisterContainerInstance(ctx: EcsContext, queue: WorkQueue, input: DeregisterContainerInstanceRequest): ContainerInstance {
  const id = instanceIdOf(ctx, input.containerInstance, 'containerInstance')
  if (input.force !== undefined && input.force !== null && typeof input.force !== 'boolean') throw invalidParameter('force', 'force must be a boolean.')
  const out = ctx.store.transaction((tx) => {
    const cluster = getCluster(ctx, input.cluster, 'cluster', tx)
    const found = findInstance(ctx, tx, String(cluster.cluster.clusterName), id)
    if (found === undefined || found.record.status === 'INACTIVE') {
      throw invalidParameter('containerInstance', 'The referenced container instance was not found.')
    }
    const live = tasksOn(tx, found.record.containerInstanceArn).filter((t) => t.task.lastStatus !== 'STOPPED')
    if (live.length > 0 && input.force !== true) {
      throw invalidParameter('containerInstance', 'Found running tasks on the instance. Use the force flag to deregister the container instance and stop its tasks.')
    }
    for (const t of live) {
      if (t.task.desiredStatus !== 'STOPPED') stopTask(ctx, tx, String(t.task.taskArn), { reason: 'Container instance deregistration forced by user.', stopCode: 'UserInitiated' })
    }
    const next = finishOrDrain(ctx, tx, found.record, found.version, found.node)
    if (next.status === 'DEREGISTERING') tx.afterCommit(() => queue.add(next.id))
    return next
  })
  return instanceShape(ctx, ctx.store, out, ctx.pools.node(out.poolId, out.id), false)
}

/**
 * Removes the instance's node when nothing holds it any more (INACTIVE), or
 * keeps it DEREGISTERING (its node DRAINING: nothing new is placed) while the
 * tasks it was told to stop are stopping.
 */
function finishOrDrain(ctx: EcsContext, tx: Transaction, record: InstanceRecord, version: number, node: NodeRecord | undefined): InstanceRecord {
  if (node === undefined || node.running === 0) {
    if (node !== undefined) ctx.pools.removeNode(tx, record.poolId, record.id)
    return putInstance(ctx, tx, { ...record, status: 'INACTIVE', deregisteredAt: ctx.clock.now() }, version, undefined)
  }
  const drained = node.status === 'DRAINING' ? node : ctx.pools.setStatus(tx, record.poolId, record.id, 'DRAINING')
  return record.status === 'DEREGISTERING' ? record : putInstance(ctx, tx, { ...record, status: 'DEREGISTERING' }, version, drained)
}

/** Finishes forced deregistrations once their tasks have stopped (keyed by instance id; resumed from the store at start). */
function startDeregistrations(ctx: EcsContext): WorkQueue {
  const queue: WorkQueue = new WorkQueue({
    name: 'ecs:deregistrations', clock: ctx.clock,
    reconciler: {
      reconcile(id) {
        const record = ctx.store.get<InstanceRecord>(CONTAINER_INSTANCES, id)
        if (record === undefined || record.value.status !== 'DEREGISTERING') return done
        const next = ctx.store.transaction((tx) => {
          const now = tx.get<InstanceRecord>(CONTAINER_INSTANCES, id)!
          return finishOrDrain(ctx, tx, now.value, now.version, ctx.pools.node(now.value.poolId, id, tx))
        })
        // Level-triggered: task changes wake it; the look a minute later covers a wake-up missed.
        return next.status === 'DEREGISTERING' ? againAfter(60_000) : done
      }
    }
  })
  ctx.queues.set(queue.name, queue)
  ctx.hooks.taskChanged.add((task) => {
    const arn = task.task.containerInstanceArn
    if (typeof arn !== 'string') return
    const id = arn.slice(arn.lastIndexOf('/') + 1)
    if (ctx.store.get<InstanceRecord>(CONTAINER_INSTANCES, id)?.value.status === 'DEREGISTERING') queue.add(id)
  })
  for (const r of ctx.store.scan<InstanceRecord>(CONTAINER_INSTANCES)) if (r.value.status === 'DEREGISTERING') queue.add(r.key)
  return queue
}

export function containerInstanceOperations(ctx: EcsContext) {
  defineInstanceIndexes(ctx)
  const queue = startDeregistrations(ctx)
  return {
    registerContainerInstance: async (input: RegisterContainerInstanceRequest) => ({ containerInstance: registerContainerInstance(ctx, input ?? {}) }),
    deregisterContainerInstance: async (input: DeregisterContainerInstanceRequest) => ({ containerInstance: deregisterContainerInstance(ctx, queue, input) }),
    describeContainerInstances: async (input: DescribeContainerInstancesRequest) => describeContainerInstances(ctx, input),
    listContainerInstances: async (input: ListContainerInstancesRequest) => listContainerInstances(ctx, input ?? {}),
    updateContainerInstancesState: async (input: UpdateContainerInstancesStateRequest) => updateContainerInstancesState(ctx, input)
  }
}

