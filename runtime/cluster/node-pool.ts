// Node pools: the machines work is placed on, shaped like ECS container
// instances (registered and remaining resources, attributes such as
// ecs.availability-zone and ecs.instance-type, status ACTIVE / DRAINING).
// A Batch compute environment owns one pool (its ECS cluster's instances);
// ECS clusters and Lightsail use the same pools next.
//
// Pools and nodes are store records:
//   cluster:pools   <poolId>            PoolRecord: which runner backs it, zones,
//                                       capacity totals; rewritten whenever its
//                                       capacity changes (a node added, removed or
//                                       re-statused), so its version *is* the pool
//                                       version a plan is made against
//   cluster:nodes   <poolId>/<nodeId>   NodeRecord: totals, what is in use, tasks
//
// Using capacity (a task placed or ended) rewrites the node, not the pool: a
// plan stays valid while tasks come and go, and the PlanApplier re-checks each
// placement's fit against the node as it is at commit.

import { randomBytes } from 'node:crypto'
import type { Partition } from '../aws/partition.js'
import { arns } from '../aws/arn.js'
import type { Store, StoreReader, Transaction } from '../store/store.js'
import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors.js'

export const POOLS = 'cluster:pools'
export const NODES = 'cluster:nodes'

export type NodeStatus = 'ACTIVE' | 'DRAINING'

export interface PoolRecord {
  poolId: string
  /** The ECS cluster the pool's nodes are container instances of. */
  clusterArn: string
  /** Its name (the ARN's resource part). */
  cluster: string
  /** The runner (registration table name) that runs this pool's tasks. */
  runner: string
  zones: readonly string[]
  /** The runner's hosts (its Docker engines) new nodes are spread over, round robin; absent: one host. */
  hosts?: readonly string[]
  /** Zone of the next node (round robin). */
  zoneCursor: number
  nodeCount: number
  /** Millicores of every node, whatever its status. */
  totalCpu: number
  createdAt: number
}

export interface NodeRecord {
  /** Its key in cluster:nodes (<poolId>/<id>). */
  key: string
  poolId: string
  /** EC2-style instance id (i-…) or the id a node was registered with. */
  id: string
  containerInstanceArn: string
  instanceType: string
  zone: string
  status: NodeStatus
  /** Launched by a capacity provider (it may also remove it) rather than registered by a user. */
  managed: boolean
  /** Millicores, MiB, GPUs. */
  totalCpu: number
  totalMemory: number
  totalGpu: number
  usedCpu: number
  usedMemory: number
  usedGpu: number
  /** Tasks placed and not yet ended. */
  running: number
  /**
   * Static host ports its tasks hold ('tcp:80', 'udp:53'), one entry per task
   * that holds it: taken when a placement is committed, given back when the
   * task ends. Absent: none (records written before ports were accounted).
   */
  usedPorts?: string[]
  /**
   * Tasks placed and not yet ended, by task group (ECS's `family:web`,
   * `service:web`): taken and given back with the demand (Demand.group), in
   * the same transaction, so placement reads a node's groups without a scan
   * of the tasks. Absent: none (records written before groups were counted).
   */
  groups?: Readonly<Record<string, number>>
  /** ECS-style attributes beyond zone and instance type (custom ones). */
  attributes: Readonly<Record<string, string>>
  /** Which of the runner's hosts (Docker engines) backs this node: its tasks' sandboxes run there. Absent: the runner's default. */
  host?: string
  launchedAt: number
  /** Since when nothing runs on it (for scale-in); undefined while something runs. */
  idleSince: number | undefined
}

export interface Demand {
  /** Millicores, MiB, GPUs. */
  cpu: number
  memory: number
  gpu: number
  /** Static host ports the task needs on the node ('tcp:80', 'udp:53'): no two tasks of a node share one. */
  ports?: readonly string[]
  /** The task's group (ECS): counted in the node's groups while the task holds its demand. */
  group?: string
}

export interface NodeSpec {
  id?: string
  instanceType: string
  vcpus: number
  memory: number
  gpus: number
  managed: boolean
  attributes?: Record<string, string>
  /** One of the pool's hosts (see PoolRecord.hosts); absent: the next in turn. */
  host?: string
  /** Its availability zone (an ECS instance registered with an identity document names one); absent: the pool's zones in turn. */
  zone?: string
  /** Host ports taken from the start and never given back ('tcp:22': the ports ECS reserves on a container instance). */
  reservedPorts?: string[]
}

/** An ECS container instance's resource, as DescribeContainerInstances gives it. */
export interface EcsResource {
  name: 'CPU' | 'MEMORY' | 'GPU'
  type: 'INTEGER'
  integerValue: number
}

export interface PoolSnapshot {
  poolId: string
  /** The pool record's version when the snapshot was taken. */
  version: number
  nodes: NodeRecord[]
  /** The nodes' store versions, index for index. */
  nodeVersions: number[]
}

/** A node's host: the one asked for (it must be one of the pool's), else the pool's hosts in turn (with the zones' cursor). */
function hostOf(pool: PoolRecord, spec: NodeSpec): { host?: string } {
  if (spec.host !== undefined) {
    if (pool.hosts !== undefined && !pool.hosts.includes(spec.host)) {
      throw new InvalidArgumentError('UnknownHost', `host: pool ${pool.poolId} is backed by hosts ${pool.hosts.join(', ')}, not ${spec.host}`, { field: 'host' })
    }
    return { host: spec.host }
  }
  return pool.hosts === undefined ? {} : { host: pool.hosts[pool.zoneCursor % pool.hosts.length] }
}

export function nodeKey(poolId: string, nodeId: string): string {
  return `${poolId}/${nodeId}`
}

export class NodePools {
  readonly #store: Store
  readonly #partition: Partition
  readonly #now: () => number

  readonly #hostsOf: (runner: string) => readonly string[] | undefined

  /** hostsOf: the hosts a runner has (a docker runner's engines), for spreading a pool's nodes over them. */
  constructor(options: { store: Store; partition: Partition; now: () => number; hostsOf?: (runner: string) => readonly string[] | undefined }) {
    this.#store = options.store
    this.#partition = options.partition
    this.#now = options.now
    this.#hostsOf = options.hostsOf ?? (() => undefined)
  }

  createPool(tx: Transaction, spec: { poolId: string; clusterArn: string; runner: string }): PoolRecord {
    const r = this.#partition.region
    const hosts = this.#hostsOf(spec.runner)
    const pool: PoolRecord = {
      poolId: spec.poolId, clusterArn: spec.clusterArn, cluster: spec.clusterArn.slice(spec.clusterArn.indexOf('/') + 1), runner: spec.runner,
      zones: [`${r}a`, `${r}b`, `${r}c`],
      ...(hosts !== undefined && hosts.length > 1 ? { hosts: [...hosts] } : {}),
      zoneCursor: 0, nodeCount: 0, totalCpu: 0, createdAt: this.#now()
    }
    tx.put(POOLS, spec.poolId, pool, 0)
    return pool
  }

  /** Deletes a pool and its nodes; refused while any node runs a task. */
  deletePool(tx: Transaction, poolId: string): void {
    for (const { value: node } of this.nodes(poolId, tx)) {
      if (node.running > 0) throw new ConflictError('PoolInUse', `pool ${poolId}: node ${node.id} still runs ${node.running} tasks`, { field: 'poolId' })
      tx.delete(NODES, nodeKey(poolId, node.id))
    }
    tx.delete(POOLS, poolId)
  }

  pool(poolId: string, reader: StoreReader = this.#store): PoolRecord | undefined {
    return reader.get<PoolRecord>(POOLS, poolId)?.value
  }

  #poolOrThrow(tx: StoreReader, poolId: string) {
    const pool = tx.get<PoolRecord>(POOLS, poolId)
    if (pool === undefined) throw new NotFoundError('PoolNotFound', `no node pool ${poolId}`, { field: 'poolId' })
    return pool
  }

  /** The pool's nodes (store records with their versions), by id. */
  nodes(poolId: string, reader: StoreReader = this.#store) {
    return reader.scan<NodeRecord>(NODES, { prefix: `${poolId}/` })
  }

  node(poolId: string, nodeId: string, reader: StoreReader = this.#store): NodeRecord | undefined {
    return reader.get<NodeRecord>(NODES, nodeKey(poolId, nodeId))?.value
  }

  snapshot(poolId: string, reader: StoreReader = this.#store): PoolSnapshot {
    const pool = this.#poolOrThrow(reader, poolId)
    const records = this.nodes(poolId, reader)
    return { poolId, version: pool.version, nodes: records.map((r) => r.value), nodeVersions: records.map((r) => r.version) }
  }

  /** Vcpus of every node of the pool. */
  vcpus(poolId: string, reader: StoreReader = this.#store): number {
    return (this.pool(poolId, reader)?.totalCpu ?? 0) / 1000
  }

  addNode(tx: Transaction, poolId: string, spec: NodeSpec): NodeRecord {
    const pool = this.#poolOrThrow(tx, poolId)
    const id = spec.id ?? `i-${randomBytes(9).toString('hex').slice(0, 17)}`
    if (tx.get(NODES, nodeKey(poolId, id)) !== undefined) throw new ConflictError('NodeExists', `id: node ${id} is already registered`, { field: 'id' })
    const p = pool.value
    const now = this.#now()
    const node: NodeRecord = {
      key: nodeKey(poolId, id), poolId, id,
      containerInstanceArn: arns.ecs.containerInstance(this.#partition, p.cluster, id),
      instanceType: spec.instanceType,
      zone: spec.zone ?? p.zones[p.zoneCursor % p.zones.length],
      status: 'ACTIVE',
      managed: spec.managed,
      totalCpu: Math.round(spec.vcpus * 1000), totalMemory: spec.memory, totalGpu: spec.gpus,
      usedCpu: 0, usedMemory: 0, usedGpu: 0, running: 0,
      attributes: { ...spec.attributes },
      ...(spec.reservedPorts !== undefined && spec.reservedPorts.length > 0 ? { usedPorts: [...spec.reservedPorts] } : {}),
      ...hostOf(p, spec),
      launchedAt: now,
      idleSince: now
    }
    tx.put(NODES, node.key, node, 0)
    tx.put(POOLS, poolId, { ...p, zoneCursor: p.zoneCursor + 1, nodeCount: p.nodeCount + 1, totalCpu: p.totalCpu + node.totalCpu }, pool.version)
    return node
  }

  /** Removes a node that runs nothing. */
  removeNode(tx: Transaction, poolId: string, nodeId: string): void {
    const pool = this.#poolOrThrow(tx, poolId)
    const record = tx.get<NodeRecord>(NODES, nodeKey(poolId, nodeId))
    if (record === undefined) throw new NotFoundError('NodeNotFound', `nodeId: no node ${nodeId} in pool ${poolId}`, { field: 'nodeId' })
    if (record.value.running > 0) throw new ConflictError('NodeInUse', `nodeId: node ${nodeId} still runs ${record.value.running} tasks`, { field: 'nodeId' })
    tx.delete(NODES, nodeKey(poolId, nodeId), record.version)
    const p = pool.value
    tx.put(POOLS, poolId, { ...p, nodeCount: p.nodeCount - 1, totalCpu: p.totalCpu - record.value.totalCpu }, pool.version)
  }

  setStatus(tx: Transaction, poolId: string, nodeId: string, status: NodeStatus): NodeRecord {
    if (status !== 'ACTIVE' && status !== 'DRAINING') throw new InvalidArgumentError('InvalidNodeStatus', `status: must be ACTIVE or DRAINING, got ${String(status)}`, { field: 'status' })
    const pool = this.#poolOrThrow(tx, poolId)
    const record = tx.get<NodeRecord>(NODES, nodeKey(poolId, nodeId))
    if (record === undefined) throw new NotFoundError('NodeNotFound', `nodeId: no node ${nodeId} in pool ${poolId}`, { field: 'nodeId' })
    const next = { ...record.value, status }
    tx.put(NODES, nodeKey(poolId, nodeId), next, record.version)
    tx.put(POOLS, poolId, { ...pool.value }, pool.version)
    return next
  }

  /**
   * Replaces a node's custom attributes (ECS PutAttributes / DeleteAttributes).
   * The pool is rewritten too: constraints on attributes are part of
   * feasibility, so a plan made before the change is made again.
   */
  setAttributes(tx: Transaction, poolId: string, nodeId: string, attributes: Record<string, string>): NodeRecord {
    const pool = this.#poolOrThrow(tx, poolId)
    const record = tx.get<NodeRecord>(NODES, nodeKey(poolId, nodeId))
    if (record === undefined) throw new NotFoundError('NodeNotFound', `nodeId: no node ${nodeId} in pool ${poolId}`, { field: 'nodeId' })
    const next = { ...record.value, attributes: { ...attributes } }
    tx.put(NODES, nodeKey(poolId, nodeId), next, record.version)
    tx.put(POOLS, poolId, { ...pool.value }, pool.version)
    return next
  }

  /** Takes a task's demand on a node (the PlanApplier, after checking it fits); `key` is the node's store key. */
  reserve(tx: Transaction, key: string, demand: Demand, expected?: number): NodeRecord {
    const record = tx.get<NodeRecord>(NODES, key)
    if (record === undefined) throw new NotFoundError('NodeNotFound', `nodeId: no node ${key}`, { field: 'nodeId' })
    const n = record.value
    const taken = portTaken(n, demand)
    if (taken !== undefined) throw new ConflictError('PortTaken', `ports: ${taken} is already taken on node ${n.id}`, { field: 'ports' })
    const next: NodeRecord = {
      ...n, usedCpu: n.usedCpu + demand.cpu, usedMemory: n.usedMemory + demand.memory, usedGpu: n.usedGpu + demand.gpu, running: n.running + 1, idleSince: undefined,
      ...(demand.ports !== undefined && demand.ports.length > 0 ? { usedPorts: [...(n.usedPorts ?? []), ...demand.ports] } : {}),
      ...(demand.group !== undefined ? { groups: withGroup(n.groups, demand.group, 1) } : {})
    }
    tx.put(NODES, key, next, expected ?? record.version)
    return next
  }

  /** Gives a task's demand back when it ends (`key`: the node's store key). A node removed meanwhile has nothing to give back to. */
  release(tx: Transaction, key: string, demand: Demand): NodeRecord | undefined {
    const record = tx.get<NodeRecord>(NODES, key)
    if (record === undefined) return undefined
    const n = record.value
    const running = Math.max(0, n.running - 1)
    const next: NodeRecord = {
      ...n,
      usedCpu: Math.max(0, n.usedCpu - demand.cpu), usedMemory: Math.max(0, n.usedMemory - demand.memory), usedGpu: Math.max(0, n.usedGpu - demand.gpu),
      running, idleSince: running === 0 ? this.#now() : undefined,
      ...(demand.ports !== undefined && demand.ports.length > 0 ? { usedPorts: withoutPorts(n.usedPorts ?? [], demand.ports) } : {}),
      ...(demand.group !== undefined ? { groups: withGroup(n.groups, demand.group, -1) } : {})
    }
    tx.put(NODES, key, next, record.version)
    return next
  }
}

/** Does the demand fit what is free on the node now (and is the node taking work, with its ports free)? */
export function fits(node: NodeRecord, d: Demand): boolean {
  return node.status === 'ACTIVE' &&
    node.totalCpu - node.usedCpu >= d.cpu && node.totalMemory - node.usedMemory >= d.memory && node.totalGpu - node.usedGpu >= d.gpu &&
    portTaken(node, d) === undefined
}

/** The first port of the demand already taken on the node, or undefined. */
export function portTaken(node: NodeRecord, d: Demand): string | undefined {
  if (d.ports === undefined || d.ports.length === 0 || node.usedPorts === undefined) return undefined
  return d.ports.find((port) => node.usedPorts!.includes(port))
}

/** The groups with one more (or one fewer) task of `group`; a group at 0 is dropped. */
function withGroup(groups: Readonly<Record<string, number>> | undefined, group: string, delta: 1 | -1): Record<string, number> {
  const next = { ...groups }
  const count = (next[group] ?? 0) + delta
  if (count > 0) next[group] = count
  else delete next[group]
  return next
}

/** used minus one occurrence of each port given back (a task gives back only what it took). */
function withoutPorts(used: readonly string[], ports: readonly string[]): string[] {
  const left = [...used]
  for (const port of ports) {
    const at = left.indexOf(port)
    if (at >= 0) left.splice(at, 1)
  }
  return left
}

/** The port numbers of one protocol taken on a node (DescribeContainerInstances' PORTS / PORTS_UDP: strings, ascending). */
export function usedPortNumbers(node: NodeRecord, protocol: 'tcp' | 'udp'): string[] {
  const prefix = `${protocol}:`
  const numbers = (node.usedPorts ?? []).filter((p) => p.startsWith(prefix)).map((p) => Number(p.slice(prefix.length)))
  return [...new Set(numbers)].sort((a, b) => a - b).map(String)
}

/** A node as ECS's DescribeContainerInstances shows it (resources in ECS units: 1,024 CPU units per vCPU). */
export function toContainerInstance(node: NodeRecord) {
  const units = (millicores: number) => Math.round((millicores / 1000) * 1024)
  const resources = (cpu: number, memory: number, gpu: number): EcsResource[] => [
    { name: 'CPU', type: 'INTEGER', integerValue: units(cpu) },
    { name: 'MEMORY', type: 'INTEGER', integerValue: memory },
    ...(node.totalGpu > 0 ? [{ name: 'GPU' as const, type: 'INTEGER' as const, integerValue: gpu }] : [])
  ]
  return {
    containerInstanceArn: node.containerInstanceArn,
    ec2InstanceId: node.id,
    status: node.status,
    agentConnected: true,
    runningTasksCount: node.running,
    pendingTasksCount: 0,
    registeredResources: resources(node.totalCpu, node.totalMemory, node.totalGpu),
    remainingResources: resources(node.totalCpu - node.usedCpu, node.totalMemory - node.usedMemory, node.totalGpu - node.usedGpu),
    attributes: [
      { name: 'ecs.availability-zone', value: node.zone },
      { name: 'ecs.instance-type', value: node.instanceType },
      { name: 'ecs.os-type', value: 'linux' },
      ...Object.entries(node.attributes).map(([name, value]) => ({ name, value }))
    ],
    registeredAt: node.launchedAt
  }
}
