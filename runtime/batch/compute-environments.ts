// Compute environments: CreateComputeEnvironment & co., the status controller
// (CREATING / UPDATING → VALID or INVALID, DELETING → gone) and the scaling
// controller (idle managed instances removed). Each environment owns a node
// pool (cluster/): a MANAGED one launches and removes its instances through
// the CapacityProvider, an UNMANAGED one holds the nodes its user registers.

import { randomUUID } from 'node:crypto'
import { arns } from '../aws/arn.js'
import type { Partition } from '../aws/partition.js'
import { CapacityProvider, sortByPrice, type ManagedCapacity } from '../cluster/capacity-provider.js'
import { expandInstanceType, type InstanceType } from '../cluster/instance-types.js'
import type { NodeRecord } from '../cluster/node-pool.js'
import { againAfter, done, type ReconcileResult } from '../controller/reconciler.js'
import { ConflictError, LimitExceededError, NotFoundError } from '../errors.js'
import type { StoreReader } from '../store/store.js'
import type { BatchContext } from './context.js'
import type {
  ComputeEnvironmentDetail, ComputeResources, CreateComputeEnvironmentRequest, CreateComputeEnvironmentResponse, DeleteComputeEnvironmentRequest,
  DescribeComputeEnvironmentsRequest, DescribeComputeEnvironmentsResponse, JobQueueDetail, UpdateComputeEnvironmentRequest, UpdateComputeEnvironmentResponse
} from './model.js'
import { CES, QUEUES, poolIdOf, type CeRecord } from './records.js'
import { describeByNameOrPage } from './describe-page.js'
import { checkInteger, checkMemory, checkName, checkTags, checkVcpus, clientError, localName } from './validation.js'

/** What a MANAGED environment's record says about its capacity, for the CapacityProvider. */
export function managedCapacity(ce: CeRecord): ManagedCapacity {
  const r = ce.detail.computeResources!
  return {
    poolId: ce.poolId,
    types: allowedTypes(r.instanceTypes),
    allocationStrategy: r.allocationStrategy ?? 'BEST_FIT',
    minvCpus: r.minvCpus,
    maxvCpus: r.maxvCpus
  }
}

const typeCache = new Map<string, InstanceType[]>()

/** The instance types an instanceTypes list allows, cheapest per vCPU first (undefined entries are refused earlier). */
export function allowedTypes(entries: readonly string[]): InstanceType[] {
  const key = entries.join(',')
  let types = typeCache.get(key)
  if (types === undefined) {
    const seen = new Map<string, InstanceType>()
    for (const entry of entries) for (const t of expandInstanceType(entry) ?? []) seen.set(t.name, t)
    types = sortByPrice([...seen.values()])
    typeCache.set(key, types)
  }
  return types
}

export function readCe(p: Partition, reader: StoreReader, value: unknown, field: string): { record: CeRecord; version: number } {
  const name = typeof value === 'string' ? localName(p, value, 'compute-environment', field) : ''
  const found = name === '' ? undefined : reader.get<CeRecord>(CES, name)
  if (found === undefined) throw new NotFoundError('ClientException', `${field}: compute environment ${String(value)} does not exist`, { field })
  return { record: found.value, version: found.version }
}

/** Why a managed environment could never run a job, if it could not: no allowed instance fits under maxvCpus. */
function invalidity(ce: CeRecord): string | undefined {
  const r = ce.detail.computeResources
  if (r === undefined) return undefined
  const smallest = Math.min(...allowedTypes(r.instanceTypes).map((t) => t.vcpus))
  if (smallest > r.maxvCpus) {
    return `CLIENT_ERROR - maxvCpus ${r.maxvCpus} is below the ${smallest} vCPUs of the smallest allowed instance type: no instance can ever be launched`
  }
  return undefined
}

export function createComputeEnvironment(ctx: BatchContext, input: CreateComputeEnvironmentRequest): CreateComputeEnvironmentResponse {
  const name = checkName(input?.computeEnvironmentName, 'computeEnvironmentName')
  if (input.type !== 'MANAGED' && input.type !== 'UNMANAGED') throw clientError('type', `must be MANAGED or UNMANAGED, got ${String(input.type)}`)
  const state = input.state ?? 'ENABLED'
  if (state !== 'ENABLED' && state !== 'DISABLED') throw clientError('state', `must be ENABLED or DISABLED, got ${String(state)}`)
  let resources: ComputeResources | undefined
  if (input.type === 'MANAGED') {
    const r = input.computeResources
    if (r === undefined || r === null) throw clientError('computeResources', 'is required for a MANAGED compute environment')
    const type = r.type ?? 'EC2'
    if (type !== 'EC2' && type !== 'SPOT') throw clientError('computeResources.type', `must be EC2 or SPOT, got ${String(type)}`)
    const maxvCpus = checkInteger(r.maxvCpus, 'computeResources.maxvCpus', 1, 1_000_000)
    const minvCpus = checkInteger(r.minvCpus ?? 0, 'computeResources.minvCpus', 0, maxvCpus)
    const desiredvCpus = checkInteger(r.desiredvCpus ?? minvCpus, 'computeResources.desiredvCpus', minvCpus, maxvCpus)
    const allocationStrategy = r.allocationStrategy ?? 'BEST_FIT'
    if (!['BEST_FIT', 'BEST_FIT_PROGRESSIVE', 'SPOT_CAPACITY_OPTIMIZED'].includes(allocationStrategy)) {
      throw clientError('computeResources.allocationStrategy', `must be BEST_FIT, BEST_FIT_PROGRESSIVE or SPOT_CAPACITY_OPTIMIZED, got ${allocationStrategy}`)
    }
    const instanceTypes = r.instanceTypes ?? ['optimal']
    if (!Array.isArray(instanceTypes) || instanceTypes.length === 0) throw clientError('computeResources.instanceTypes', 'must list at least one instance type, family or "optimal"')
    instanceTypes.forEach((entry, i) => {
      if (typeof entry !== 'string' || expandInstanceType(entry) === undefined) throw clientError(`computeResources.instanceTypes[${i}]`, `unknown instance type or family ${JSON.stringify(entry)}`)
    })
    const strings = (value: unknown, field: string, most: number): string[] => {
      if (value === undefined) return []
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) throw clientError(field, 'must be a list of non-empty strings')
      if (value.length > most) throw new LimitExceededError('ClientException', `${field}: at most ${most}, got ${value.length}`, { field, limit: most })
      return [...value]
    }
    if (r.instanceRole !== undefined && (typeof r.instanceRole !== 'string' || r.instanceRole.length === 0)) throw clientError('computeResources.instanceRole', 'must be an instance profile name or ARN')
    const resourceTags = checkTags(r.tags, 'computeResources.tags')
    resources = {
      type, allocationStrategy, minvCpus, maxvCpus, desiredvCpus, instanceTypes: [...instanceTypes],
      subnets: strings(r.subnets, 'computeResources.subnets', 16), securityGroupIds: strings(r.securityGroupIds, 'computeResources.securityGroupIds', 5),
      ...(r.instanceRole !== undefined ? { instanceRole: r.instanceRole } : {}), ...(resourceTags ? { tags: resourceTags } : {})
    }
  }
  const unmanagedvCpus = input.type === 'UNMANAGED' ? checkInteger(input.unmanagedvCpus ?? 0, 'unmanagedvCpus', 0, 1_000_000) : undefined
  const tags = checkTags(input.tags, 'tags')
  const detail: ComputeEnvironmentDetail = {
    computeEnvironmentName: name,
    computeEnvironmentArn: arns.batch.computeEnvironment(ctx.partition, name),
    ecsClusterArn: arns.ecs.cluster(ctx.partition, `${name}_Batch_${randomUUID().slice(0, 8)}`),
    type: input.type,
    state,
    status: 'CREATING',
    statusReason: 'ComputeEnvironment is being created',
    ...(resources ? { computeResources: resources } : { unmanagedvCpus }),
    ...(input.serviceRole ? { serviceRole: input.serviceRole } : {}),
    ...(tags ? { tags } : {}),
    containerOrchestrationType: 'ECS'
  }
  const record: CeRecord = { detail, poolId: poolIdOf(name), ...(resources ? { desiredRequest: resources.desiredvCpus } : {}) }
  ctx.store.transaction((tx) => {
    if (tx.get(CES, name) !== undefined) throw new ConflictError('ClientException', `computeEnvironmentName: ${name} already exists`, { field: 'computeEnvironmentName' })
    tx.put(CES, name, record, 0)
    ctx.pools.createPool(tx, { poolId: record.poolId, clusterArn: detail.ecsClusterArn, runner: ctx.settings.runner })
    // CREATING until the status controller has looked at it, as AWS reports it before it is usable.
    tx.afterCommit(() => ctx.queues.status.add(name))
  })
  return { computeEnvironmentName: name, computeEnvironmentArn: detail.computeEnvironmentArn }
}

export function updateComputeEnvironment(ctx: BatchContext, input: UpdateComputeEnvironmentRequest): UpdateComputeEnvironmentResponse {
  return ctx.store.transaction((tx) => {
    const { record, version } = readCe(ctx.partition, tx, input?.computeEnvironment, 'computeEnvironment')
    const detail = structuredClone(record.detail)
    if (detail.status === 'DELETING') throw clientError('computeEnvironment', `${detail.computeEnvironmentName} is being deleted`)
    if (input.state !== undefined) {
      if (input.state !== 'ENABLED' && input.state !== 'DISABLED') throw clientError('state', `must be ENABLED or DISABLED, got ${String(input.state)}`)
      detail.state = input.state
    }
    let desiredRequest = record.desiredRequest
    const r = input.computeResources
    if (r !== undefined) {
      if (detail.type !== 'MANAGED' || detail.computeResources === undefined) throw clientError('computeResources', 'applies to MANAGED compute environments only')
      const maxvCpus = checkInteger(r.maxvCpus ?? detail.computeResources.maxvCpus, 'computeResources.maxvCpus', 1, 1_000_000)
      const minvCpus = checkInteger(r.minvCpus ?? detail.computeResources.minvCpus, 'computeResources.minvCpus', 0, maxvCpus)
      detail.computeResources = { ...detail.computeResources, minvCpus, maxvCpus }
      if (r.desiredvCpus !== undefined) {
        desiredRequest = checkInteger(r.desiredvCpus, 'computeResources.desiredvCpus', minvCpus, maxvCpus)
        detail.computeResources.desiredvCpus = desiredRequest
      }
    }
    if (input.unmanagedvCpus !== undefined) {
      if (detail.type !== 'UNMANAGED') throw clientError('unmanagedvCpus', 'applies to UNMANAGED compute environments only')
      detail.unmanagedvCpus = checkInteger(input.unmanagedvCpus, 'unmanagedvCpus', 0, 1_000_000)
    }
    if (input.serviceRole !== undefined) detail.serviceRole = input.serviceRole
    if (detail.status !== 'CREATING') {
      detail.status = 'UPDATING'
      detail.statusReason = 'ComputeEnvironment is being updated'
    }
    tx.put(CES, detail.computeEnvironmentName, { ...record, detail, ...(desiredRequest !== undefined ? { desiredRequest } : {}) }, version)
    tx.afterCommit(() => ctx.queues.status.add(detail.computeEnvironmentName))
    return { computeEnvironmentName: detail.computeEnvironmentName, computeEnvironmentArn: detail.computeEnvironmentArn }
  })
}

export function deleteComputeEnvironment(ctx: BatchContext, input: DeleteComputeEnvironmentRequest): void {
  ctx.store.transaction((tx) => {
    const { record, version } = readCe(ctx.partition, tx, input?.computeEnvironment, 'computeEnvironment')
    const name = record.detail.computeEnvironmentName
    if (record.detail.state !== 'DISABLED') throw clientError('computeEnvironment', `${name} must be DISABLED before it is deleted`)
    const user = tx.scan<JobQueueDetail>(QUEUES, { index: { name: 'ce', value: name }, limit: 1 })[0]
    if (user !== undefined) throw clientError('computeEnvironment', `${name} is still used by job queue ${user.value.jobQueueName}`)
    for (const { value: node } of ctx.pools.nodes(record.poolId, tx)) {
      if (node.running > 0) throw clientError('computeEnvironment', `${name} still runs jobs on ${node.id}`)
    }
    // DELETING until the status controller removes it (DescribeComputeEnvironments then no longer lists it).
    tx.put(CES, name, { ...record, detail: { ...record.detail, status: 'DELETING', statusReason: 'ComputeEnvironment is being deleted' } }, version)
    tx.afterCommit(() => ctx.queues.status.add(name))
  })
}

/** The detail as DescribeComputeEnvironments shows it: desiredvCpus is what the environment holds now. */
export function ceDetail(ctx: BatchContext, record: CeRecord, reader: StoreReader = ctx.store): ComputeEnvironmentDetail {
  const detail = structuredClone(record.detail)
  if (detail.computeResources) detail.computeResources.desiredvCpus = Math.max(detail.computeResources.minvCpus, ctx.pools.vcpus(record.poolId, reader))
  return detail
}

export function describeComputeEnvironments(ctx: BatchContext, input: DescribeComputeEnvironmentsRequest = {}): DescribeComputeEnvironmentsResponse {
  const { items, nextToken } = describeByNameOrPage(ctx, {
    collection: CES, resourceType: 'compute-environment', field: 'computeEnvironments', scope: 'DescribeComputeEnvironments',
    detail: (record: CeRecord) => ceDetail(ctx, record)
  }, input.computeEnvironments, input)
  return { computeEnvironments: items, ...(nextToken ? { nextToken } : {}) }
}

/** The status controller (per environment): CREATING / UPDATING → VALID (scaled to its minimum) or INVALID; DELETING → gone. */
export function reconcileStatus(ctx: BatchContext, name: string): ReconcileResult {
  ctx.store.transaction((tx) => {
    const found = tx.get<CeRecord>(CES, name)
    if (found === undefined) return
    const record = found.value
    const status = record.detail.status
    if (status === 'DELETING') {
      ctx.pools.deletePool(tx, record.poolId)
      tx.delete(CES, name, found.version)
      tx.afterCommit(() => {
        ctx.placer.forget(record.poolId)
        ctx.queues.dispatch.forget(name)
        ctx.queues.scaling.forget(name)
        ctx.waiters.wake(`ce:${name}`)
      })
      return
    }
    if (status !== 'CREATING' && status !== 'UPDATING') return
    const problem = invalidity(record)
    // As on AWS, an environment that cannot work is created, then reported INVALID (and never used).
    const detail: ComputeEnvironmentDetail = problem === undefined
      ? { ...record.detail, status: 'VALID', statusReason: 'ComputeEnvironment Healthy' }
      : { ...record.detail, status: 'INVALID', statusReason: problem }
    const next: CeRecord = { detail, poolId: record.poolId }
    tx.put(CES, name, next, found.version)
    if (problem === undefined && detail.type === 'MANAGED') {
      const r = detail.computeResources!
      ctx.capacity.scaleTo(tx, managedCapacity(next), Math.max(r.minvCpus, record.desiredRequest ?? 0))
    }
    tx.afterCommit(() => {
      ctx.queues.dispatch.add(name)
      if (detail.type === 'MANAGED') ctx.queues.scaling.add(name)
      ctx.waiters.wake(`ce:${name}`)
    })
  })
  return done
}

/** The scaling controller (per MANAGED environment): instances idle for the idle time go, down to minvCpus. */
export function reconcileScaling(ctx: BatchContext, name: string): ReconcileResult {
  const record = ctx.store.get<CeRecord>(CES, name)?.value
  if (record === undefined || record.detail.type !== 'MANAGED' || record.detail.status !== 'VALID') return done
  const { removed, nextDueMs } = ctx.store.transaction((tx) => ctx.capacity.scaleIn(tx, managedCapacity(record), ctx.clock.now(), ctx.settings.scaleInIdleMs))
  // The room it leaves under maxvCpus may be what a waiting job needs (another instance type).
  if (removed > 0) ctx.queues.dispatch.add(name)
  return nextDueMs === undefined ? done : againAfter(nextDueMs)
}

// ---- nodes (Stratus extensions: the environment's "ECS container instances") ------------------

export interface RegisterNodeRequest {
  vcpus: number
  memory: number
  gpus?: number
  instanceType?: string
  id?: string
}

export function listNodes(ctx: BatchContext, computeEnvironment: string): NodeRecord[] {
  const { record } = readCe(ctx.partition, ctx.store, computeEnvironment, 'computeEnvironment')
  return ctx.pools.nodes(record.poolId).map((r) => r.value)
}

export function registerNode(ctx: BatchContext, computeEnvironment: string, input: RegisterNodeRequest): NodeRecord {
  const node = ctx.store.transaction((tx) => {
    const { record } = readCe(ctx.partition, tx, computeEnvironment, 'computeEnvironment')
    const name = record.detail.computeEnvironmentName
    if (record.detail.type === 'MANAGED') throw clientError('computeEnvironment', `${name} is MANAGED: Batch launches its instances`)
    const vcpus = checkVcpus(input?.vcpus, 'vcpus')
    const memory = checkMemory(input.memory, 'memory')
    const gpus = checkInteger(input.gpus ?? 0, 'gpus', 0, 1024)
    if (input.instanceType !== undefined && (typeof input.instanceType !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(input.instanceType))) {
      throw clientError('instanceType', `must be 1 to 64 letters, digits, periods, hyphens and underscores, got ${JSON.stringify(input.instanceType)}`, 64)
    }
    if (input.id !== undefined && (typeof input.id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(input.id))) {
      throw clientError('id', `must be 1 to 128 letters, digits, periods, hyphens and underscores, got ${JSON.stringify(input.id)}`, 128)
    }
    if (input.id !== undefined && ctx.pools.node(record.poolId, input.id, tx) !== undefined) {
      throw new ConflictError('ClientException', `id: node ${input.id} is already registered`, { field: 'id' })
    }
    const added = ctx.pools.addNode(tx, record.poolId, { id: input.id, instanceType: input.instanceType ?? 'unmanaged', vcpus, memory, gpus, managed: false })
    tx.afterCommit(() => ctx.queues.dispatch.add(name))
    return added
  })
  return node
}

export function deregisterNode(ctx: BatchContext, computeEnvironment: string, nodeId: string): void {
  ctx.store.transaction((tx) => {
    const { record } = readCe(ctx.partition, tx, computeEnvironment, 'computeEnvironment')
    const node = ctx.pools.node(record.poolId, nodeId, tx)
    if (node === undefined) throw new NotFoundError('ClientException', `nodeId: no node ${nodeId} in ${record.detail.computeEnvironmentName}`, { field: 'nodeId' })
    if (node.running > 0) throw clientError('nodeId', `node ${nodeId} still runs ${node.running} jobs`)
    ctx.pools.removeNode(tx, record.poolId, nodeId)
  })
}

/** Could any environment of a queue ever hold the demand? (A job no environment can hold is refused at submit.) */
export function canEverHold(record: CeRecord, demand: { cpu: number; memory: number; gpu: number }): boolean {
  if (record.detail.type !== 'MANAGED') return true
  return CapacityProvider.canEverHold(managedCapacity(record), demand)
}
