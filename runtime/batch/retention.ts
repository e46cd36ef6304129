// The end of a job's life: SUCCEEDED and FAILED jobs are kept for the
// retention time (24 hours by default, as AWS keeps them), then purged; a
// purged job is gone from the store, and whoever still waited on it learns
// it is gone.

import { againAfter, done, type ReconcileResult } from '../controller/reconciler.js'
import type { Transaction } from '../store/store.js'
import type { BatchContext } from './context.js'
import { CHILD_COUNTS, CHILDREN, JOBS, isTerminal, type JobRow } from './records.js'
import { forgetNodes } from './multinode.js'

/** Removes a job from the store; whoever still waits on it learns it is gone. */
export function forgetJob(ctx: BatchContext, tx: Transaction, jobId: string): void {
  const row = tx.get<JobRow>(JOBS, jobId)?.value
  if (row?.nodeProperties !== undefined) forgetNodes(ctx, tx, row)
  tx.delete(JOBS, jobId)
  tx.delete(CHILDREN, jobId)
  tx.delete(CHILD_COUNTS, jobId)
  tx.afterCommit(() => {
    ctx.cache.forget(jobId)
    ctx.queues.retention.forget(jobId)
    ctx.waiters.wake(jobId)
    if (ctx.waiters.waitsOnChildrenOf(jobId)) ctx.waiters.wakePrefix(`${jobId}:`)
  })
}

/** The retention controller (per job): SUCCEEDED and FAILED jobs are kept for the retention time, then purged. */
export function reconcileRetention(ctx: BatchContext, jobId: string): ReconcileResult {
  const row = ctx.store.get<JobRow>(JOBS, jobId)?.value
  if (row === undefined || !isTerminal(row.status) || row.stoppedAt === undefined) return done
  const due = row.stoppedAt + ctx.settings.retentionMs - ctx.clock.now()
  if (due > 0) return againAfter(due)
  ctx.store.transaction((tx) => forgetJob(ctx, tx, jobId))
  return done
}

