// Stopped tasks stay describable for ctx.settings.stoppedTaskRetentionMs
// (ECS: at least an hour), then their records are purged: a WorkQueue keyed by
// task id, each key added to run when its task expires (on the engine clock).
// At start every STOPPED task is queued again (the store is the state).

import { WorkQueue } from '../controller/work-queue.js'
import { againAfter, done, type ReconcileResult } from '../controller/reconciler.js'
import type { EcsContext } from './context.js'
import { TASKS } from './records.js'
import { RETENTION_QUEUE, type EcsTaskRecord } from './task-lifecycle.js'

export function startRetention(ctx: EcsContext): void {
  const queue = new WorkQueue({ name: RETENTION_QUEUE, clock: ctx.clock, reconciler: { reconcile: (id) => reconcileRetention(ctx, id) } })
  ctx.queues.set(RETENTION_QUEUE, queue)
  for (const { key, value } of ctx.store.scan<EcsTaskRecord>(TASKS)) {
    if (value.task.lastStatus === 'STOPPED' && value.expiresAt !== undefined) queue.addAfter(key, Math.max(0, value.expiresAt - ctx.clock.now()))
  }
}

export function reconcileRetention(ctx: EcsContext, taskId: string): ReconcileResult {
  const found = ctx.store.get<EcsTaskRecord>(TASKS, taskId)
  if (found === undefined || found.value.task.lastStatus !== 'STOPPED' || found.value.expiresAt === undefined) return done
  const due = found.value.expiresAt - ctx.clock.now()
  if (due > 0) return againAfter(due)
  const record = found.value
  ctx.store.transaction((tx) => {
    tx.delete(TASKS, taskId, found.version)
    tx.afterCommit(() => {
      for (const f of ctx.hooks.taskChanged) {
        try {
          f(record)
        } catch {
          // A listener's failure is its own.
        }
      }
    })
  })
  return done
}
