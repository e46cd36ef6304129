// CancelJob and TerminateJob. Cancelling
// fails what has not started (SUBMITTED, PENDING, RUNNABLE) and leaves
// STARTING and RUNNING work alone, as on AWS; terminating also stops running
// attempts (SIGTERM, then SIGKILL after the grace), which are then not
// retried. The stops are sent after the flags are committed, through the
// TaskLauncher — the one place a stop is decided.

import { NotFoundError } from '../errors.js'
import type { ColumnSet } from '../store/columns.js'
import type { Transaction } from '../store/store.js'
import type { BatchContext } from './context.js'
import { liveTask, resolveJob } from './describe.js'
import { evaluate, failChild, failJob, readChildren, readCounts, setChildStatus, setExtra, setJobStatus, updateJob } from './job-state.js'
import { CHILDREN, JOBS, S_PENDING, S_RUNNABLE, S_RUNNING, S_STARTING, S_SUBMITTED, isTerminal, type JobRow } from './records.js'
import { clientError } from './validation.js'
import { liveNodeRuns } from './multinode.js'

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
  const stops = ctx.store.transaction((tx) => {
    const found = resolveJob(tx, id)
    if (found === undefined) throw new NotFoundError('ClientException', `jobId: job ${id} does not exist`, { field: 'jobId' })
    if (found.node >= 0) throw clientError('jobId', `${id} is a node of multi-node parallel job ${found.row.jobId}: its nodes are cancelled and terminated with the job`)
    return endJob(ctx, tx, found.row, found.child, reason, how)
  })
  sendStops(ctx, stops, reason)
}

/**
 * Inside a transaction: cancels what has not started and, to terminate,
 * marks the job (or child) terminated; returns the run ids of its attempts
 * that are STARTING or RUNNING, to stop once the transaction has committed.
 */
export function endJob(ctx: BatchContext, tx: Transaction, row: JobRow, child: number, reason: string, how: 'cancel' | 'terminate'): string[] {
  if (how === 'cancel') markCancelled(tx, row, child)
  else if (child < 0) updateJob(tx, row.jobId, (r) => ({ ...r, isTerminated: true }))
  else setExtra(tx, readChildren(tx, row.jobId), row.jobId, child, (e) => ({ ...e, isTerminated: true }))
  cancel(ctx, tx, row.jobId, child, reason)
  return how === 'terminate' ? liveRuns(tx, row, child) : []
}

/** Stops attempts through the TaskLauncher (each once), with the engine's grace. */
export function sendStops(ctx: BatchContext, runIds: readonly string[], reason: string): void {
  for (const runId of runIds) {
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
  if (row.nodeProperties !== undefined) return liveNodeRuns(tx, row.jobId)
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
