// ECS's deployment circuit breaker and its throttled restart backoff, as
// arithmetic over a service's stopped tasks.
//
// A failed task is one that stopped on its own before it could serve: it
// never reached RUNNING, or it failed its health checks, or (without health
// checks) its essential container exited within the first moments of
// RUNNING — what a broken revision does. Tasks the scheduler or a user
// stopped, and Spot interruptions, are not failures.
//
// Circuit breaker: the PRIMARY deployment FAILS once its failed tasks reach
// min(200, max(3, ceil(0.5 × desiredCount))) (ECS: a threshold of 3 to 200).
//
// Restart backoff (ECS's service throttle logic): when a service's tasks keep
// failing to start, the time between restart attempts grows, up to 27 minutes.

import type { TaskRecord } from './records.js'

export const CIRCUIT_BREAKER_LIMITS = { min: 3, max: 200, fraction: 0.5 } as const

/** Without health checks, a task whose essential container exits within this long of RUNNING failed to start. */
export const FAILED_START_WINDOW_MS = 40_000

/** Consecutive failures before starts are throttled, the first delay and the longest one (ECS: 27 minutes). */
export const BACKOFF = { after: 3, firstMs: 10_000, maxMs: 27 * 60_000 } as const

/** A task time as epoch ms: the task records hold Dates (the AWS Task shape), older writers numbers. */
export function timeOf(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime()
  if (typeof value === 'number') return value
  if (typeof value === 'string') { const ms = Date.parse(value); return Number.isNaN(ms) ? undefined : ms }
  return undefined
}

const NOT_FAILURES = new Set(['ServiceSchedulerInitiated', 'UserInitiated', 'SpotInterruption', 'TerminationNotice'])

export function failureThreshold(desiredCount: number): number {
  const { min, max, fraction } = CIRCUIT_BREAKER_LIMITS
  return Math.min(max, Math.max(min, Math.ceil(fraction * Math.max(0, desiredCount))))
}

/** Whether a STOPPED task counts as a failed task (circuit breaker, backoff). */
export function isFailedTask(record: Pick<TaskRecord, 'task'>): boolean {
  const t = record.task
  if (t.lastStatus !== 'STOPPED') return false
  // Unhealthy: a failure even when the scheduler did the stopping (it stops unhealthy tasks).
  if (t.healthStatus === 'UNHEALTHY') return true
  // Its load balancer's health checks failed (the scheduler stopped it for that).
  if (typeof t.stoppedReason === 'string' && t.stoppedReason.startsWith('Task failed ELB health checks')) return true
  if (typeof t.stopCode === 'string' && NOT_FAILURES.has(t.stopCode)) return false
  if (t.stopCode === 'TaskFailedToStart') return true
  const startedAt = timeOf(t.startedAt)
  if (startedAt === undefined) return true
  const stoppedAt = timeOf(t.executionStoppedAt) ?? timeOf(t.stoppedAt) ?? startedAt
  return stoppedAt - startedAt < FAILED_START_WINDOW_MS
}

function stoppedAtOf(record: Pick<TaskRecord, 'task'>): number {
  const t = record.task
  return timeOf(t.stoppedAt) ?? timeOf(t.executionStoppedAt) ?? 0
}

/** The failed tasks in a run at the end of the stopped ones (newest stop first, until one that did not fail). */
export function consecutiveFailures(stopped: ReadonlyArray<Pick<TaskRecord, 'task'>>): { count: number; lastAt: number } {
  const byStop = [...stopped].sort((a, b) => stoppedAtOf(b) - stoppedAtOf(a))
  let count = 0
  for (const r of byStop) {
    if (!isFailedTask(r)) break
    count++
  }
  return { count, lastAt: count > 0 ? stoppedAtOf(byStop[0]) : 0 }
}

/** Restart delay after `failures` consecutive failed tasks (0: start at once). */
export function backoffDelayMs(failures: number): number {
  if (failures < BACKOFF.after) return 0
  return Math.min(BACKOFF.maxMs, BACKOFF.firstMs * 2 ** (failures - BACKOFF.after))
}

/** Whether the circuit breaker trips for a PRIMARY deployment with this many failed tasks. */
export function circuitTrips(failedTasks: number, desiredCount: number): boolean {
  return failedTasks >= failureThreshold(desiredCount)
}
