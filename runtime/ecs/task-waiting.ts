// Tasks waiting for capacity. A task of an EC2 capacity provider with managed
// scaling that no instance can take now is not a failure: as on ECS it stays
// PROVISIONING (awaitingCapacity on its record) — the clusters area's managed
// scaling counts those tasks and launches instances — and is started when an
// instance of its provider can take it. A WorkQueue keyed by cluster, woken
// by hooks.instanceChanged (an instance joined or changed) and at start,
// places the waiting tasks oldest first, one plan each.
//
// A provider's tasks go only to its own instances (the node attribute
// stratus.capacity-provider the clusters area sets), as ECS places them.

import { WorkQueue } from '../controller/work-queue.js'
import { done, type ReconcileResult } from '../controller/reconciler.js'
import type { Transaction } from '../store/store.js'
import { StratusError } from '../errors.js'
import type { EcsContext } from './context.js'
import { getCluster } from './clusters.js'
import { resolveTaskDefinition } from './task-definitions.js'
import { CAPACITY_PROVIDERS, TASKS, type ClusterRecord } from './records.js'
import type { PlacementConstraint } from './model-tasks.js'
import type { TaskDefinitionShape } from './sandbox-spec.js'
import { placeOnInstances } from './task-placement.js'
import { taskConstraints } from './run-task-validation.js'
import { newTaskRecord, startOnNode, type LaunchPlan } from './task-start.js'
import { markPending, readTask, saveTask, type EcsTaskRecord } from './task-lifecycle.js'

export const WAITING_QUEUE = 'ecs:waiting'
const PROVIDER_ATTRIBUTE = 'stratus.capacity-provider'

/** The constraint that keeps a provider's tasks on its own instances. */
export function providerConstraint(provider: string): PlacementConstraint {
  return { type: 'memberOf', expression: `attribute:${PROVIDER_ATTRIBUTE} == ${provider}` }
}

/** Does this EC2 capacity provider scale its instances for waiting tasks? */
export function scalesForWaiting(tx: Pick<Transaction, 'get'>, provider: string | undefined): boolean {
  if (provider === undefined) return false
  const record = tx.get<{ capacityProvider: { status?: string; autoScalingGroupProvider?: { managedScaling?: { status?: string } } } }>(CAPACITY_PROVIDERS, provider)?.value
  return record?.capacityProvider.status === 'ACTIVE' && record.capacityProvider.autoScalingGroupProvider?.managedScaling?.status === 'ENABLED'
}

/** A task written to wait for its provider's capacity (PROVISIONING, no node). */
export function writeWaiting(ctx: EcsContext, tx: Transaction, cluster: ClusterRecord, definition: TaskDefinitionShape, plan: LaunchPlan): EcsTaskRecord {
  const saved = saveTask(ctx, tx, { ...newTaskRecord(ctx, cluster, definition, plan), awaitingCapacity: true, launch: plan }, 0)
  tx.afterCommit(() => ctx.queues.get(WAITING_QUEUE)?.add(saved.clusterName))
  return saved
}

export function startWaiting(ctx: EcsContext): void {
  const queue = new WorkQueue({ name: WAITING_QUEUE, clock: ctx.clock, reconciler: { reconcile: (cluster) => reconcileWaiting(ctx, cluster) } })
  ctx.queues.set(WAITING_QUEUE, queue)
  ctx.hooks.instanceChanged.add((cluster) => queue.add(cluster))
  for (const { value } of ctx.store.scan<EcsTaskRecord>(TASKS)) if (value.awaitingCapacity === true) queue.add(value.clusterName)
}

function waitingOf(ctx: EcsContext, clusterName: string): EcsTaskRecord[] {
  return ctx.store.scan<EcsTaskRecord>(TASKS, { index: { name: 'clusterStatus', value: `${clusterName}/PROVISIONING` } }).map((r) => r.value)
    .filter((r) => r.awaitingCapacity === true && r.task.desiredStatus === 'RUNNING')
    .sort((a, b) => (a.task.createdAt?.getTime() ?? 0) - (b.task.createdAt?.getTime() ?? 0))
}

/** Starts the cluster's waiting tasks that an instance of their provider can take now, oldest first. */
export function reconcileWaiting(ctx: EcsContext, clusterName: string): ReconcileResult {
  const waiting = waitingOf(ctx, clusterName)
  if (waiting.length === 0) return done
  let cluster: ClusterRecord
  try {
    cluster = getCluster(ctx, clusterName, 'cluster')
  } catch {
    return done
  }
  for (const candidate of waiting) {
    try {
      ctx.store.transaction((tx) => startWaitingTask(ctx, tx, cluster, candidate.taskId))
    } catch (error) {
      // No instance at all yet: the next instance that joins wakes the queue.
      if (error instanceof StratusError && error.code === 'InvalidParameterException') break
      throw error
    }
  }
  return done
}

function startWaitingTask(ctx: EcsContext, tx: Transaction, cluster: ClusterRecord, taskId: string): void {
  const found = readTask(tx, taskId)
  if (found === undefined || found.record.awaitingCapacity !== true || found.record.launch === undefined || found.record.task.desiredStatus !== 'RUNNING') return
  const { record, version } = found
  const plan = record.launch!
  const definition = resolveTaskDefinition(ctx, record.task.taskDefinitionArn!, 'taskDefinition', { reader: tx, allowInactive: true }).taskDefinition as TaskDefinitionShape
  const provider = plan.capacity.capacityProviderName
  placeOnInstances(ctx, tx, cluster, {
    count: 1, demand: plan.demand, group: plan.group, strategies: plan.request.placementStrategy ?? [],
    constraints: [...taskConstraints(definition, plan.request.placementConstraints), ...(provider !== undefined ? [providerConstraint(provider)] : [])]
  }, (t, _i, node) => {
    saveTask(ctx, t, startOnNode(ctx, t, record, cluster, definition, plan, node), version)
    t.afterCommit(() => markPending(ctx, [taskId]))
  })
}
