// Managed scaling of Auto Scaling group capacity providers (ECS's "cluster
// auto scaling"): a WorkQueue reconciler per provider (a group provider is in
// one cluster at most), on the engine clock. ECS's metric:
//
//   CapacityProviderReservation = M / N × 100
//     N  instances of the provider (not INACTIVE)
//     M  instances needed to run every task assigned to the provider:
//        with tasks waiting for capacity (PROVISIONING, awaitingCapacity),
//        N plus the instances those tasks need beyond the room free on the
//        provider's ACTIVE instances (first-fit decreasing onto instances of
//        the group's type); otherwise the instances running at least one task.
//        N = 0: 200 with tasks waiting, else 100.
//
// Below the group's minSize: launch up to it. Above the target capacity:
// scale out to ceil(M × 100 / target), by at least minimumScalingStepSize and
// at most maximumScalingStepSize instances, within the group's maxSize; no
// further step while an instance launched within instanceWarmupPeriod warms
// up. Below it: scale in to that size (never under minSize), removing only
// instances that have run nothing for 15 minutes (the 15 one-minute points of
// ECS's low alarm); scale-in is not limited by the step sizes, as ECS
// documents. Launched instances are container instances like any (their
// capacityProviderName and node attribute stratus.capacity-provider say
// whose); the tasks area places waiting tasks when told of new instances
// (hooks.instanceChanged).

import { WorkQueue } from '../controller/work-queue.js'
import { againAfter, done, type ReconcileResult } from '../controller/reconciler.js'
import type { EcsContext } from './context.js'
import { CAPACITY_PROVIDERS, CLUSTERS, TASKS, type ClusterRecord, type TaskRecord } from './records.js'
import { FARGATE_PROVIDERS } from './cluster-input.js'
import { CONTAINER_INSTANCES, addInstance, putInstance, type InstanceRecord } from './container-instances.js'
import { groupOf, type CapacityProviderRecord } from './capacity-providers.js'
import type { InstanceType } from '../cluster/instance-types.js'

export const SCALE_IN_IDLE_MS = 15 * 60_000
/** How often a provider with instances or waiting tasks is looked at again (CloudWatch's one-minute period). */
const PERIOD_MS = 60_000

export interface Reservation { reservation: number; needed: number; running: number }

export interface ClusterScaling {
  enqueue(provider: string): void
  reservation(provider: string): Reservation | undefined
}

/** A task's cpu (millicores) and memory (MiB): the demand the tasks area recorded, else task-level, else its containers' sum. */
function demandOf(record: TaskRecord): { cpu: number; memory: number } {
  const demand = (record as TaskRecord & { demand?: { cpu?: number; memory?: number } }).demand
  if (typeof demand?.cpu === 'number' && typeof demand.memory === 'number') return { cpu: demand.cpu, memory: demand.memory }
  const task = record.task
  const containers: Array<Record<string, any>> = task.containers ?? []
  const units = task.cpu !== undefined ? Number(task.cpu) : containers.reduce((n, c) => n + Number(c.cpu ?? 0), 0)
  const memory = task.memory !== undefined ? Number(task.memory) : containers.reduce((n, c) => n + Number(c.memory ?? c.memoryReservation ?? 0), 0)
  return { cpu: Math.round((units / 1024) * 1000), memory }
}

/**
 * New instances of `type` the demands need beyond the room free on the
 * provider's instances (`free`: each ACTIVE instance's free cpu and memory),
 * first-fit decreasing; demands no instance of the type can hold are left out.
 * Counting the free room first keeps the reconciler level-triggered: tasks
 * that the instances just launched can hold ask for nothing more.
 */
export function instancesNeeded(demands: Array<{ cpu: number; memory: number }>, type: InstanceType, free: Array<{ cpu: number; memory: number }> = []): number {
  const cap = { cpu: type.vcpus * 1000, memory: type.memory }
  const bins = free.map((f) => ({ ...f, added: false }))
  const sorted = demands.filter((d) => d.cpu <= cap.cpu && d.memory <= cap.memory)
    .sort((a, b) => b.cpu / cap.cpu + b.memory / cap.memory - (a.cpu / cap.cpu + a.memory / cap.memory))
  for (const d of sorted) {
    const bin = bins.find((b) => d.cpu <= b.cpu && d.memory <= b.memory)
    if (bin !== undefined) {
      bin.cpu -= d.cpu
      bin.memory -= d.memory
    } else bins.push({ cpu: cap.cpu - d.cpu, memory: cap.memory - d.memory, added: true })
  }
  return bins.filter((b) => b.added).length
}

function isWaiting(r: TaskRecord, provider: string): boolean {
  return r.task.lastStatus === 'PROVISIONING' && r.task.capacityProviderName === provider && (r as TaskRecord & { awaitingCapacity?: boolean }).awaitingCapacity === true
}

export function startClusterScaling(ctx: EcsContext): ClusterScaling {
  const last = new Map<string, Reservation>()

  const reconcile = (name: string): ReconcileResult => {
    const provider = ctx.store.get<CapacityProviderRecord>(CAPACITY_PROVIDERS, name)?.value
    const scaling = provider?.capacityProvider.autoScalingGroupProvider?.managedScaling
    const clusterName = provider?.clusterName
    if (provider === undefined || provider.capacityProvider.status !== 'ACTIVE' || clusterName === undefined || scaling?.status !== 'ENABLED') {
      last.delete(name)
      return done
    }
    const cluster = ctx.store.get<ClusterRecord>(CLUSTERS, clusterName)?.value
    if (cluster === undefined || cluster.cluster.status !== 'ACTIVE') return done
    const group = groupOf(provider.capacityProvider.tags)
    const now = ctx.clock.now()
    const instances = ctx.store.scan<InstanceRecord>(CONTAINER_INSTANCES, { index: { name: 'provider', value: `${clusterName}/${name}` } })
      .map((r) => ({ record: r.value, version: r.version, node: ctx.pools.node(r.value.poolId, r.value.id) }))
    const n = instances.length
    const waiting = ctx.store.scan<TaskRecord>(TASKS, { index: { name: 'clusterStatus', value: `${clusterName}/PROVISIONING` } }).map((r) => r.value).filter((r) => isWaiting(r, name))
    const m = waiting.length > 0
      ? n + instancesNeeded(waiting.map(demandOf), group.instanceType, instances.filter((i) => i.node?.status === 'ACTIVE')
        .map((i) => ({ cpu: i.node!.totalCpu - i.node!.usedCpu, memory: i.node!.totalMemory - i.node!.usedMemory })))
      : instances.filter((i) => (i.node?.running ?? 0) > 0).length
    const reservation = n === 0 ? (m > 0 ? 200 : 100) : (m / n) * 100
    last.set(name, { reservation, needed: m, running: n })
    const target = scaling.targetCapacity ?? 100
    const warmupMs = (scaling.instanceWarmupPeriod ?? 300) * 1000
    const warming = instances.map((i) => (i.node?.launchedAt ?? 0) + warmupMs - now).filter((ms) => ms > 0)
    const desired = Math.max(group.minSize, Math.ceil((m * 100) / target))

    // The group's minimum is kept whatever the metric says (the group launches to its minSize itself).
    const belowMin = Math.min(group.minSize, group.maxSize) - n
    if (belowMin > 0 || (reservation > target && desired > n)) {
      if (belowMin <= 0 && warming.length > 0) return againAfter(Math.min(...warming))
      const step = belowMin > 0 ? belowMin : Math.min(Math.max(desired - n, scaling.minimumScalingStepSize ?? 1), scaling.maximumScalingStepSize ?? 10000, group.maxSize - n)
      if (step <= 0) return againAfter(PERIOD_MS)
      ctx.store.transaction((tx) => {
        const c = tx.get<ClusterRecord>(CLUSTERS, clusterName)!.value
        for (let i = 0; i < step; i++) {
          addInstance(ctx, tx, c, {
            instanceType: group.instanceType.name, vcpus: group.instanceType.vcpus, memory: group.instanceType.memory, gpus: group.instanceType.gpus,
            managed: true, capacityProviderName: name
          })
        }
      })
      return againAfter(Math.max(warmupMs, 1))
    }
    if (desired < n && reservation < target) {
      const idle = instances.filter((i) => i.node !== undefined && i.node.managed && i.node.running === 0 && i.node.idleSince !== undefined && i.record.status === 'ACTIVE')
      const due = idle.filter((i) => i.node!.idleSince! + SCALE_IN_IDLE_MS <= now).slice(0, n - desired)
      if (due.length > 0) {
        ctx.store.transaction((tx) => {
          for (const i of due) {
            const now2 = tx.get<InstanceRecord>(CONTAINER_INSTANCES, i.record.id)!
            ctx.pools.removeNode(tx, i.record.poolId, i.record.id)
            putInstance(ctx, tx, { ...now2.value, status: 'INACTIVE', statusReason: 'Instance terminated by managed scaling (scale-in).', deregisteredAt: now }, now2.version, undefined)
          }
        })
        return againAfter(0)
      }
      const next = idle.map((i) => i.node!.idleSince! + SCALE_IN_IDLE_MS - now).filter((ms) => ms > 0)
      if (next.length > 0) return againAfter(Math.min(PERIOD_MS, ...next))
    }
    return n > 0 || waiting.length > 0 ? againAfter(PERIOD_MS) : done
  }

  const queue = new WorkQueue({ name: 'ecs:cluster-scaling', clock: ctx.clock, reconciler: { reconcile } })
  ctx.queues.set(queue.name, queue)
  const providersOf = (cluster: string): string[] => {
    const c = ctx.store.get<ClusterRecord>(CLUSTERS, cluster)?.value
    return ((c?.cluster.capacityProviders ?? []) as string[]).filter((p) => !FARGATE_PROVIDERS.includes(p))
  }
  ctx.hooks.taskChanged.add((task) => {
    const p = task.task.capacityProviderName
    if (typeof p === 'string' && !FARGATE_PROVIDERS.includes(p)) queue.add(p)
  })
  ctx.hooks.instanceChanged.add((cluster) => {
    for (const p of providersOf(cluster)) queue.add(p)
  })
  // Resume: every associated provider is looked at once (the store is the state).
  for (const r of ctx.store.scan<CapacityProviderRecord>(CAPACITY_PROVIDERS)) if (r.value.clusterName !== undefined) queue.add(r.key)
  return {
    enqueue: (p) => queue.add(p),
    reservation: (p) => {
      const r = last.get(p)
      return r === undefined ? undefined : { ...r }
    }
  }
}
