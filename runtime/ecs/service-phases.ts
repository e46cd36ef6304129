// Where a service's live task is on its way, as the rolling plan and the
// DAEMON plan count it: pending, RUNNING, healthy (RUNNING and, when an
// essential container has a health check, HEALTHY), unhealthy. The load
// balancers' word is added by the controller (service-targets.ts lbHealthOf).
// The health check grace period holds off both: within it after a task's
// start, failed container health checks and load balancer checks leave it
// running (not replaced), and it is looked at again when the period ends.

import { timeOf } from './circuit-breaker.js'
import type { EcsContext } from './context.js'
import type { TaskRecord } from './records.js'
import { resolveTaskDefinition } from './task-definitions.js'
import type { TaskPhase } from './deployments.js'

function hasHealthCheck(ctx: EcsContext, taskDefinitionArn: string, cache: Map<string, boolean>): boolean {
  const cached = cache.get(taskDefinitionArn)
  if (cached !== undefined) return cached
  let known = false
  try {
    const td = resolveTaskDefinition(ctx, taskDefinitionArn, 'taskDefinition', { allowInactive: true }).taskDefinition
    known = (td.containerDefinitions ?? []).some((c: Record<string, any>) => c.essential !== false && c.healthCheck !== undefined)
  } catch {
    known = false
  }
  cache.set(taskDefinitionArn, known)
  return known
}

/** Where a live task is on its way: pending, RUNNING, healthy (RUNNING and HEALTHY when the definition checks health), unhealthy. */
export function phaseOf(ctx: EcsContext, t: TaskRecord, cache: Map<string, boolean>): TaskPhase {
  if (t.task.lastStatus !== 'RUNNING') return 'pending'
  if (t.task.healthStatus === 'UNHEALTHY') return 'unhealthy'
  if (!hasHealthCheck(ctx, String(t.task.taskDefinitionArn), cache)) return 'healthy'
  return t.task.healthStatus === 'HEALTHY' ? 'healthy' : 'running'
}

/**
 * The end of a task's health check grace period (its start plus the service's
 * healthCheckGracePeriodSeconds) while it lasts; undefined once it is over.
 */
export function graceEndOf(t: TaskRecord, graceSeconds: number | undefined, now: number): number | undefined {
  const end = (timeOf(t.task.startedAt) ?? now) + (graceSeconds ?? 0) * 1000
  return now >= end ? undefined : end
}
