// The arithmetic of ECS's rolling update, as a pure function: given a
// service's desired count, its deployment configuration and the tasks it has
// (of the PRIMARY deployment and of older ones, on ACTIVE or DRAINING
// instances), how many tasks to start for the PRIMARY deployment and which to
// stop. The service controller turns the plan into launchTasks / stopTask
// calls; it runs again whenever a task changes, so each plan is one step.
//
// The rules (ECS's documentation of maximumPercent and minimumHealthyPercent):
//   - maximumPercent caps the tasks in RUNNING or PENDING (including ones
//     told to stop and not yet STOPPED): floor(desired × max / 100);
//   - minimumHealthyPercent is the floor of healthy tasks kept while old ones
//     are stopped: ceil(desired × min / 100). A task is healthy when RUNNING
//     and, if its definition has health checks, HEALTHY;
//   - tasks of older deployments and tasks on DRAINING instances are
//     "leaving": replaced by PRIMARY tasks (started first, where max allows)
//     and stopped as the healthy count allows;
//   - unhealthy tasks count for nothing and are stopped at once;
//   - PRIMARY tasks beyond the desired count (a scale-in) are stopped, the
//     least advanced first.

import type { Transaction } from '../store/store.js'
import type { EcsContext } from './context.js'
import type { Deployment, Service } from './model-services.js'
import { newDeploymentId } from './service-records.js'
import { emitDeploymentState, rolloutReasons } from './service-events.js'

export type TaskPhase = 'pending' | 'running' | 'healthy' | 'unhealthy'

export interface RolloutTask {
  id: string
  /** Of the PRIMARY deployment. */
  primary: boolean
  phase: TaskPhase
  /** Already told to stop (desiredStatus STOPPED) and not yet STOPPED. */
  stopping: boolean
  /** On a DRAINING container instance. */
  draining: boolean
  /** For ordering among equals: newer tasks are stopped first in a scale-in. */
  createdAt?: number
}

export interface RolloutInput {
  desiredCount: number
  minimumHealthyPercent: number
  maximumPercent: number
  /** The service's tasks that are not STOPPED. */
  tasks: readonly RolloutTask[]
  /** False while the restart backoff holds starts back. */
  startAllowed: boolean
  /**
   * The PRIMARY deployment FAILED without a rollback: it launches no task and
   * the older deployments' tasks are kept (ECS: a FAILED deployment launches no new tasks).
   */
  frozen: boolean
}

export interface RolloutPlan {
  /** PRIMARY tasks to launch. */
  start: number
  /** Task ids to stop (ServiceSchedulerInitiated). */
  stop: string[]
  /** Nothing to do and nothing in flight: desired count of healthy PRIMARY tasks, nothing leaving or stopping. */
  steady: boolean
}

export function maximumTasks(desiredCount: number, maximumPercent: number): number {
  return Math.floor((desiredCount * maximumPercent) / 100)
}

export function minimumHealthyTasks(desiredCount: number, minimumHealthyPercent: number): number {
  return Math.ceil((desiredCount * minimumHealthyPercent) / 100)
}

const PHASE_ORDER: Record<TaskPhase, number> = { unhealthy: 0, pending: 1, running: 2, healthy: 3 }

/** Least advanced first, then newest first: the order ECS stops tasks in a scale-in. */
function stopOrder(a: RolloutTask, b: RolloutTask): number {
  return PHASE_ORDER[a.phase] - PHASE_ORDER[b.phase] || (b.createdAt ?? 0) - (a.createdAt ?? 0)
}

export function planRollout(input: RolloutInput): RolloutPlan {
  const desired = Math.max(0, input.desiredCount)
  const maxTotal = maximumTasks(desired, input.maximumPercent)
  const minHealthy = minimumHealthyTasks(desired, input.minimumHealthyPercent)
  const stop: string[] = []
  const live = input.tasks.filter((t) => !t.stopping)

  // Unhealthy tasks count for nothing: stopped at once, replaced below.
  for (const t of live) if (t.phase === 'unhealthy') stop.push(t.id)

  const keepers = live.filter((t) => t.primary && !t.draining && t.phase !== 'unhealthy').sort(stopOrder)
  const leaving = live.filter((t) => (!t.primary || t.draining) && t.phase !== 'unhealthy')

  // Scale-in: PRIMARY tasks beyond the desired count, least advanced and newest first.
  const excess = Math.max(0, keepers.length - desired)
  const kept = keepers.slice(excess)
  for (const t of keepers.slice(0, excess)) stop.push(t.id)

  // Starts: up to the desired count of PRIMARY tasks, within maximumPercent of
  // everything still occupying a place (told to stop or not, until STOPPED).
  const occupied = input.tasks.length
  const start = input.startAllowed && !input.frozen ? Math.max(0, Math.min(desired - kept.length, maxTotal - occupied)) : 0

  // Leaving tasks: the not-yet-healthy ones go freely (they count for nothing
  // toward the minimum); healthy ones as the healthy count above the minimum allows.
  if (!input.frozen) {
    let healthy = kept.filter((t) => t.phase === 'healthy').length + leaving.filter((t) => t.phase === 'healthy').length
    const order = [...leaving].sort((a, b) => Number(a.primary) - Number(b.primary) || PHASE_ORDER[a.phase] - PHASE_ORDER[b.phase])
    for (const t of order) {
      if (t.phase !== 'healthy') {
        stop.push(t.id)
        continue
      }
      if (healthy - 1 < minHealthy) break
      healthy--
      stop.push(t.id)
    }
  }

  const steady = start === 0 && stop.length === 0 && input.tasks.length === desired && kept.length === desired &&
    kept.every((t) => t.phase === 'healthy')
  return { start, stop, steady }
}

// Starting a deployment (CreateService, UpdateService, the circuit breaker's rollback).

function newDeployment(ctx: EcsContext, service: Service, taskDefinitionArn: string, desiredCount: number, reason?: string): Deployment {
  const now = ctx.clock.now()
  const id = newDeploymentId()
  return {
    id, status: 'PRIMARY', taskDefinition: taskDefinitionArn, desiredCount, pendingCount: 0, runningCount: 0, failedTasks: 0, createdAt: now, updatedAt: now,
    ...(service.launchType !== undefined ? { launchType: service.launchType } : {}),
    ...(service.capacityProviderStrategy !== undefined ? { capacityProviderStrategy: service.capacityProviderStrategy } : {}),
    ...(service.platformVersion !== undefined ? { platformVersion: service.platformVersion } : {}),
    ...(service.networkConfiguration !== undefined ? { networkConfiguration: service.networkConfiguration } : {}),
    rolloutState: 'IN_PROGRESS', rolloutStateReason: reason ?? rolloutReasons.inProgress(id)
  }
}

/** Starts a new PRIMARY deployment in tx (its IN_PROGRESS event on the outbox): the previous PRIMARY becomes ACTIVE. */
export function startDeployment(ctx: EcsContext, tx: Transaction, service: Service, taskDefinitionArn: string, reason?: string): Service {
  const deployment = newDeployment(ctx, service, taskDefinitionArn, service.desiredCount ?? 0, reason)
  const previous = (service.deployments ?? []).map((d) => d.status === 'PRIMARY' ? { ...d, status: 'ACTIVE' as const, desiredCount: 0, updatedAt: ctx.clock.now() } : d)
  const next: Service = { ...service, taskDefinition: taskDefinitionArn, deployments: [deployment, ...previous] }
  emitDeploymentState(ctx, tx, next, 'SERVICE_DEPLOYMENT_IN_PROGRESS', String(deployment.id), String(deployment.rolloutStateReason))
  return next
}

