// CancelJob, TerminateJob, and the end of a job's life (purge). Cancelling
// fails what has not started (SUBMITTED, PENDING, RUNNABLE) and leaves
// STARTING and RUNNING work alone, as on AWS; terminating also stops running
// attempts (SIGTERM, then SIGKILL after the grace), which are then not
// retried. The stops are sent after the flags are committed, through the
// TaskLauncher — the one place a stop is decided.

import { NotFoundError } from '../errors.js'
import type { ReconcileResult } from '../controller/reconciler.js'
import { againAfter, done } from '../controller/reconciler.js'
import type { ColumnSet } from '../store/columns.js'
import type { Transaction } from '../store/store.js'
import type { BatchContext } from './context.js'
import { liveTask, resolveJob } from './describe.js'
import { evaluate, failChild, failJob, readChildren, readCounts, setChildStatus, setExtra, setJobStatus, updateJob } from './job-state.js'
import { CHILD_COUNTS, CHILDREN, JOBS, S_PENDING, S_RUNNABLE, S_RUNNING, S_STARTING, S_SUBMITTED, isTerminal, type JobRow } from './records.js'
import { clientError } from './validation.js'

export function cancelJob(ctx: BatchContext, jobId: unknown, reason: unknown): void {
  cancelOrTerminate(ctx, jobId, reason, 'cancel')
}

export function terminateJob(ctx: BatchContext, jobId: unknown, reason: unknown): void {
  cancelOrTerminate(ctx, jobId, reason, 'terminate')
}

export function cancelOrTerminate(ctx: BatchContext, id: unknown, reason: unknown, how: 'cancel' | 'terminate'): void {
  if (typeof id !== 'string') throw clientError('jobId', 'must be a job id')
  if (typeof reason !== 'string' || reason.length === 0) throw clientError('reason', 'is required')
  if (reason.length > 1024) throw clientError('reason', `at most 1024 characters, got ${reason.length}`, 1024)
  const stops: string[] = []
  ctx.store.transaction((tx) => {
    const found = resolveJob(tx, id)
    if (found === undefined) throw new NotFoundError('ClientException', `jobId: job ${id} does not exist`, { field: 'jobId' })
    const { row, child } = found
    if (how === 'cancel') markCancelled(tx, row, child)
    else if (child < 0) updateJob(tx, row.jobId, (r) => ({ ...r, isTerminated: true }))
    else setExtra(tx, readChildren(tx, row.jobId), row.jobId, child, (e) => ({ ...e, isTerminated: true }))
    cancel(ctx, tx, row.jobId, child, reason)
    if (how === 'terminate') stops.push(...liveRuns(tx, row, child))
  })
  for (const runId of stops) {
    ctx.launcher.stop(runId, { kind: 'terminate', reason, ...(ctx.settings.killGraceMs !== undefined ? { graceMs: ctx.settings.killGraceMs } : {}) })
  }
}

/** Only what has not started is cancelled (the call succeeds either way), and only that says isCancelled. */
function markCancelled(tx: Transaction, row: JobRow, child: number): void {
  const waiting = (status: number) => status <= S_RUNNABLE
  if (row.arraySize === undefined) {
    if (['SUBMITTED', 'PENDING', 'RUNNABLE'].includes(row.status)) updateJob(tx, row.jobId, (r) => ({ ...r, isCancelled: true }))
    return
  }
  const c = readChildren(tx, row.jobId)
  if (child >= 0) {
    if (waiting(c.column('status')[child])) setExtra(tx, c, row.jobId, child, (e) => ({ ...e, isCancelled: true }))
    return
  }
  const counts = readCounts(tx, row.jobId)
  if (counts[S_SUBMITTED] + counts[S_PENDING] + counts[S_RUNNABLE] > 0) updateJob(tx, row.jobId, (r) => ({ ...r, isCancelled: true }))
}

function cancel(ctx: BatchContext, tx: Transaction, jobId: string, child: number, reason: string): void {
  const row = tx.get<JobRow>(JOBS, jobId)!.value
  if (row.arraySize === undefined) {
    if (['SUBMITTED', 'PENDING', 'RUNNABLE'].includes(row.status)) failJob(ctx, tx, jobId, reason)
    return
  }
  if (row.status === 'SUBMITTED') {
    if (child >= 0) {
      // One child of an array not yet evaluated: evaluate it now, so its siblings are released as usual.
      evaluate(ctx, tx, jobId)
    } else {
      setJobStatus(ctx, tx, jobId, 'PENDING')
      for (let i = 0; i < row.arraySize; i++) setChildStatus(ctx, tx, jobId, i, S_PENDING)
    }
  }
  if (child >= 0) {
    failChild(ctx, tx, jobId, child, reason)
    return
  }
  if (!isTerminal(tx.get<JobRow>(JOBS, jobId)!.value.status)) updateJob(tx, jobId, (r) => ({ ...r, statusReason: reason }))
  for (let i = 0; i < row.arraySize && tx.get(JOBS, jobId) !== undefined; i++) failChild(ctx, tx, jobId, i, reason)
}

/** The run ids of the job's (or one child's) attempts that are STARTING or RUNNING. */
function liveRuns(tx: Transaction, row: JobRow, child: number): string[] {
  if (row.arraySize === undefined || child >= 0) {
    const live = liveTask(tx, row.jobId, child)
    return live === undefined ? [] : [live.runId]
  }
  const status = tx.get<ColumnSet>(CHILDREN, row.jobId)!.value.column('status')
  const out: string[] = []
  for (let i = 0; i < status.length; i++) {
    if (status[i] !== S_STARTING && status[i] !== S_RUNNING) continue
    const live = liveTask(tx, row.jobId, i)
    if (live !== undefined) out.push(live.runId)
  }
  return out
}

/** Removes a job from the store; whoever still waits on it learns it is gone. */
export function forgetJob(ctx: BatchContext, tx: Transaction, jobId: string): void {
  tx.delete(JOBS, jobId)
  tx.delete(CHILDREN, jobId)
  tx.delete(CHILD_COUNTS, jobId)
  tx.afterCommit(() => {
    ctx.cache.forget(jobId)
    ctx.queues.retention.forget(jobId)
    ctx.waiters.wake(jobId)
    ctx.waiters.wakePrefix(`${jobId}:`)
  })
}

/** The evaluate controller (per job): a SUBMITTED job becomes PENDING or RUNNABLE. */
export function reconcileEvaluation(ctx: BatchContext, jobId: string): ReconcileResult {
  ctx.store.transaction((tx) => evaluate(ctx, tx, jobId))
  return done
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

