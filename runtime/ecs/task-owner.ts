// ECS's side of the TaskLauncher: its tasks' runner reports become the
// task's lifecycle (task-lifecycle.ts). Registered with adoption: after a
// restart, a task whose sandbox a container runner still has is attached to
// again and keeps RUNNING (a crashed engine's service keeps its containers and
// launches none twice); the others end with their host as any owner's do.
//
// After a restart, what a crash cut short is finished (resumeTasks): a stop
// decided and committed but never sent to the runner is sent; a task whose
// end was recorded (DEPROVISIONING) but not its STOPPED is stopped; one caught
// draining its load balancer targets drains again first.

import type { EcsContext } from './context.js'
import { TASK_OWNER, TASKS } from './records.js'
import { resumeDraining } from './service-targets.js'
import { containersChanged, finishStop, taskEnded, taskRunning, type EcsTaskRecord } from './task-lifecycle.js'

export function registerTaskOwner(ctx: EcsContext): void {
  ctx.launcher.registerOwner(TASK_OWNER, {
    running: (tx, row, info) => taskRunning(ctx, tx, row, info),
    ended: (tx, row, outcome) => taskEnded(ctx, tx, row, outcome),
    changed: (tx, row, info) => containersChanged(ctx, tx, row, info)
  }, { adopt: true })
  // The engine recovers the launcher's rows (adopting or ending them) right after the areas are made, before its first await: this runs after that.
  queueMicrotask(() => resumeTasks(ctx))
}

/** Finishes what a crash cut short (the store is the state: every task record is looked at once). */
export function resumeTasks(ctx: EcsContext): void {
  for (const { value: record } of ctx.store.scan<EcsTaskRecord>(TASKS)) {
    if (record.task.lastStatus === 'DEPROVISIONING') {
      finishStop(ctx, record.taskId)
      continue
    }
    if (record.task.desiredStatus !== 'STOPPED' || record.runId === undefined) continue
    const row = ctx.launcher.get(record.runId)
    if (row === undefined || row.stop !== undefined) continue
    const runId = record.runId
    const stop = (): void => {
      ctx.launcher.stop(runId, { kind: 'terminate', reason: record.task.stoppedReason ?? 'Task stopped by user', ...(record.stopGraceMs !== undefined ? { graceMs: record.stopGraceMs } : {}) })
    }
    // Caught draining: the targets drain again (their delay) before the containers are told.
    const draining = resumeDraining(ctx, record)
    if (draining === undefined) stop()
    else void draining.then(stop, stop).catch(() => {
      // The engine closed meanwhile: its runner ends the containers.
    })
  }
}
