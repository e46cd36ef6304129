// Job state changes, each inside the caller's store transaction: the job's
// row (or an array child's cells) and the EventBridge event announcing it are
// written together, and what follows from the change — dependants released or
// failed, the parent of an array finishing — is written in the same
// transaction. Caches (runnable work) and waiters learn of it after commit.
//
//   SUBMITTED → PENDING (waits on dependencies) → RUNNABLE → STARTING → RUNNING → SUCCEEDED | FAILED

import type { ColumnSet } from '../store/columns.js'
import type { Transaction } from '../store/store.js'
import { InternalError } from '../errors.js'
import { done, type ReconcileResult } from '../controller/reconciler.js'
import { emitEvent } from '../events/outbox-relay.js'
import { eventSequence } from './event-sequence.js'
import type { BatchContext } from './context.js'
import { jobDetail } from './describe.js'
import { childFinished, childSucceeded, jobFinished } from './dependencies.js'
import { syncNodes } from './multinode.js'
import { BATCH_SOURCE, JOB_STATE_CHANGE, type JobQueueDetail, type JobStatus } from './model.js'
import { childJobArn, nameFromArn } from '../aws/arn.js'
import {
  CHILD_COUNTS, CHILDREN, JOBS, QUEUES, S_FAILED, S_PENDING, S_RUNNABLE, S_RUNNING, S_STARTING, S_SUBMITTED, S_SUCCEEDED, childId, isTerminal,
  type ChildExtra, type JobRow
} from './records.js'

export const DEPENDENCY_REASON = 'Dependent Job failed'

export function readJob(tx: Transaction, jobId: string): { row: JobRow; version: number } {
  const record = tx.get<JobRow>(JOBS, jobId)
  if (record === undefined) throw new InternalError('BatchJobMissing', `job ${jobId} is not in the store`)
  return { row: record.value, version: record.version }
}

/** Rewrites a job's row: `change` gets the current row and returns the next one. */
export function updateJob(tx: Transaction, jobId: string, change: (row: JobRow) => JobRow): JobRow {
  const { row, version } = readJob(tx, jobId)
  const next = change(row)
  tx.put(JOBS, jobId, next, version)
  return next
}

/** An array job's children per status (JOB_STATUSES order). */
export function readCounts(tx: Transaction, jobId: string): ArrayLike<number> {
  const c = tx.get<ColumnSet>(CHILD_COUNTS, jobId)?.value
  if (c === undefined) throw new InternalError('BatchChildrenMissing', `array job ${jobId} has no child counts`)
  return c.column('n')
}

export function readChildren(tx: Transaction, jobId: string): ColumnSet {
  const c = tx.get<ColumnSet>(CHILDREN, jobId)?.value
  if (c === undefined) throw new InternalError('BatchChildrenMissing', `array job ${jobId} has no children record`)
  return c
}

/**
 * The job's event. Beside AWS's detail (status, attempts) it carries
 * `stratus.sequence` (event-sequence.ts): from the store version of the job's
 * record (an array child's: its parent's children record) written by this
 * change and the event's rank in the transaction. It grows with every event
 * of that job or child, so a consumer orders a job's events by it and drops
 * one it has seen (by the event's id) when a crash made it arrive twice.
 */
function emit(ctx: BatchContext, tx: Transaction, row: JobRow, child: number): void {
  emitEvent(tx, ctx.events, BATCH_SOURCE, JOB_STATE_CHANGE, () => [child >= 0 ? childJobArn(row.jobArn, child) : row.jobArn], () => {
    const version = tx.get(child >= 0 ? CHILDREN : JOBS, row.jobId)?.version ?? 0
    const sequence = eventSequence(child >= 0 ? `${row.jobId}:${child}` : row.jobId, version, (fn) => tx.afterCommit(fn))
    return { ...jobDetail(tx, row, child), stratus: { sequence } }
  }, () => ctx.clock.now())
}

/** A single job or an array parent moves to `status` (with its reason, when given). */
export function setJobStatus(ctx: BatchContext, tx: Transaction, jobId: string, status: JobStatus, reason?: string): JobRow {
  const now = ctx.clock.now()
  const row = updateJob(tx, jobId, (r) => ({
    ...r,
    status,
    ...(reason !== undefined ? { statusReason: reason } : {}),
    ...(status === 'RUNNING' && r.startedAt === undefined ? { startedAt: now } : {}),
    ...(isTerminal(status) ? { stoppedAt: now } : {})
  }))
  if (row.nodeProperties !== undefined) syncNodes(ctx, tx, row, status, reason)
  if (isTerminal(status)) jobFinished(ctx, tx, row)
  emit(ctx, tx, row, -1)
  return row
}

/** Child `index` of an array job moves to `status`; the parent finishes when its last child does. */
export function setChildStatus(ctx: BatchContext, tx: Transaction, jobId: string, index: number, status: number, reason?: string): void {
  const c = readChildren(tx, jobId)
  const counts = readCounts(tx, jobId)
  const previous = c.column('status')[index]
  tx.setCell(CHILDREN, jobId, 'status', index, status)
  tx.setCell(CHILD_COUNTS, jobId, 'n', previous, counts[previous] - 1)
  tx.setCell(CHILD_COUNTS, jobId, 'n', status, counts[status] + 1)
  if (reason !== undefined) setExtra(tx, c, jobId, index, (e) => ({ ...e, statusReason: reason }))
  const now = ctx.clock.now()
  let row = readJob(tx, jobId).row
  if (status === S_RUNNING) {
    tx.setCell(CHILDREN, jobId, 'startedAt', index, now)
    if (row.startedAt === undefined) row = updateJob(tx, jobId, (r) => ({ ...r, startedAt: now }))
  }
  const finished = status === S_SUCCEEDED || status === S_FAILED
  if (finished) {
    tx.setCell(CHILDREN, jobId, 'stoppedAt', index, now)
    if (ctx.waiters.waitsOnChildrenOf(jobId)) {
      const id = childId(jobId, index)
      if (ctx.waiters.has(id)) tx.afterCommit(() => ctx.waiters.wake(id))
    }
  }
  emit(ctx, tx, row, index)
  if (status === S_SUCCEEDED) childSucceeded(ctx, tx, row, index)
  if (finished && counts[S_SUCCEEDED] + counts[S_FAILED] === row.arraySize) {
    // A parent failed as a whole (dependency failed, cancelled, terminated) keeps that reason.
    const failed = counts[S_FAILED] > 0
    const reason = failed ? readJob(tx, jobId).row.statusReason ?? 'Array Child Job failed' : undefined
    setJobStatus(ctx, tx, jobId, failed ? 'FAILED' : 'SUCCEEDED', reason)
  }
}

/** Rewrites child `index`'s sparse extra (created on first use). */
export function setExtra(tx: Transaction, c: ColumnSet, jobId: string, index: number, change: (extra: ChildExtra) => ChildExtra): void {
  const current = (c.sparse(index) as ChildExtra | undefined) ?? { attempts: [] }
  tx.setSparse(CHILDREN, jobId, index, change(current))
}

/**
 * The job (or some children of an array) has runnable work: it joins the
 * dispatcher's cache and the queue's environments are kicked. Done at once,
 * not after commit: the cache is a hint the dispatcher checks against the
 * store, and a kick is a reconcile that finds nothing new if this transaction
 * is undone — so neither needs a callback per state change.
 */
export function enqueue(ctx: BatchContext, row: JobRow, children?: { from: number; to: number } | number): void {
  const entry = ctx.cache.entryOf(row)
  if (entry.children !== undefined && children !== undefined) {
    if (typeof children === 'number') entry.children.add(children)
    else entry.children.addRange(children.from, children.to)
  }
  ctx.cache.enqueue(entry)
  kickQueue(ctx, row.queueName)
}

/** Asks the dispatcher to look at every compute environment of a queue. */
export function kickQueue(ctx: BatchContext, queueName: string): void {
  const queue = ctx.store.get<JobQueueDetail>(QUEUES, queueName)?.value
  if (queue === undefined) return
  for (const o of queue.computeEnvironmentOrder) ctx.queues.dispatch.add(nameFromArn(o.computeEnvironment, 'compute-environment'))
}

/** SUBMITTED → PENDING or RUNNABLE: the scheduler's first look at a job. */
export function evaluate(ctx: BatchContext, tx: Transaction, jobId: string): void {
  const record = tx.get<JobRow>(JOBS, jobId)
  if (record === undefined || record.value.status !== 'SUBMITTED') return
  const row = record.value
  if (row.dependencyFailed) {
    failJob(ctx, tx, jobId, DEPENDENCY_REASON)
    return
  }
  if (row.arraySize === undefined) {
    const next = setJobStatus(ctx, tx, jobId, row.pendingJobDeps > 0 ? 'PENDING' : 'RUNNABLE')
    if (next.status === 'RUNNABLE') enqueue(ctx, next)
    return
  }
  setJobStatus(ctx, tx, jobId, 'PENDING')
  const status = readChildren(tx, jobId).column('status')
  for (let i = 0; i < row.arraySize; i++) if (status[i] === S_SUBMITTED) setChildStatus(ctx, tx, jobId, i, S_PENDING)
  // Children whose N_TO_N counterpart already failed fail now (and take their SEQUENTIAL successors along).
  for (const dep of row.dependsOn) {
    if (dep.type !== 'N_TO_N' || dep.jobId === undefined) continue
    const target = tx.get<ColumnSet>(CHILDREN, dep.jobId)?.value
    if (target === undefined) continue
    const counterpart = target.column('status')
    for (let i = 0; i < row.arraySize; i++) if (counterpart[i] === S_FAILED) failChild(ctx, tx, jobId, i, DEPENDENCY_REASON)
  }
  if (readJob(tx, jobId).row.pendingJobDeps === 0) releaseChildren(ctx, tx, jobId)
}

/** Children with nothing outstanding become RUNNABLE (whole-job dependencies are met). */
export function releaseChildren(ctx: BatchContext, tx: Transaction, jobId: string): void {
  const row = readJob(tx, jobId).row
  const c = readChildren(tx, jobId)
  const size = row.arraySize!
  const pending = c.column('pending')
  const status = c.column('status')
  let allFree = true
  for (let i = 0; i < size; i++) if (pending[i] !== 0 || status[i] !== S_PENDING) { allFree = false; break }
  if (allFree) {
    for (let i = 0; i < size; i++) setChildStatus(ctx, tx, jobId, i, S_RUNNABLE)
    enqueue(ctx, row, { from: 0, to: size })
    return
  }
  const entry = ctx.cache.entryOf(row)
  for (let i = 0; i < size; i++) {
    if (pending[i] === 0 && status[i] === S_PENDING) {
      setChildStatus(ctx, tx, jobId, i, S_RUNNABLE)
      entry.children!.add(i)
    }
  }
  enqueue(ctx, row)
}

/** Fails a child that has not started (dependency failed, cancelled) and what waits on it. */
export function failChild(ctx: BatchContext, tx: Transaction, jobId: string, index: number, reason: string): void {
  const stack: Array<[string, number]> = [[jobId, index]]
  while (stack.length > 0) {
    const [j, i] = stack.pop()!
    const c = tx.get<ColumnSet>(CHILDREN, j)?.value
    if (c === undefined) continue
    const s = c.column('status')[i]
    if (s === S_SUCCEEDED || s === S_FAILED || s === S_STARTING || s === S_RUNNING) continue
    // An array not yet evaluated is left to its evaluation, which fails what its N_TO_N counterparts
    // failed (failing it here first would let the evaluation move it back to PENDING: two ends).
    if (s === S_SUBMITTED) continue
    setChildStatus(ctx, tx, j, i, S_FAILED, reason)
    childFinished(ctx, tx, j, i, stack)
  }
}

/** Fails every part of a job that has not started; running parts finish on their own. */
export function failJob(ctx: BatchContext, tx: Transaction, jobId: string, reason: string): void {
  const record = tx.get<JobRow>(JOBS, jobId)
  if (record === undefined) return
  const row = record.value
  if (isTerminal(row.status)) return
  if (row.arraySize === undefined) {
    if (row.status === 'STARTING' || row.status === 'RUNNING') return
    setJobStatus(ctx, tx, jobId, 'FAILED', reason)
    return
  }
  if (row.status === 'SUBMITTED') {
    setJobStatus(ctx, tx, jobId, 'PENDING')
    for (let i = 0; i < row.arraySize; i++) setChildStatus(ctx, tx, jobId, i, S_PENDING)
  }
  updateJob(tx, jobId, (r) => ({ ...r, statusReason: reason }))
  for (let i = 0; i < row.arraySize; i++) {
    if (tx.get(JOBS, jobId) === undefined) break
    failChild(ctx, tx, jobId, i, reason)
  }
}

/** The evaluate controller (per job): a SUBMITTED job becomes PENDING or RUNNABLE. */
export function reconcileEvaluation(ctx: BatchContext, jobId: string): ReconcileResult {
  ctx.store.transaction((tx) => evaluate(ctx, tx, jobId))
  return done
}
