// ECS's side of the TaskLauncher: its tasks' runner reports become the
// task's lifecycle (task-lifecycle.ts). Registered with adoption: after a
// restart, a task whose sandbox a container runner still has is attached to
// again and keeps RUNNING (a crashed engine's service keeps its containers and
// launches none twice); the others end with their host as any owner's do.

import type { EcsContext } from './context.js'
import { TASK_OWNER } from './records.js'
import { containersChanged, taskEnded, taskRunning } from './task-lifecycle.js'

export function registerTaskOwner(ctx: EcsContext): void {
  ctx.launcher.registerOwner(TASK_OWNER, {
    running: (tx, row, info) => taskRunning(ctx, tx, row, info),
    ended: (tx, row, outcome) => taskEnded(ctx, tx, row, outcome),
    changed: (tx, row, info) => containersChanged(ctx, tx, row, info)
  }, { adopt: true })
}
