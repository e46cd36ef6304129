// Dependencies (dependsOn, at most 20 per job): a whole job waits for others
// to SUCCEED; with N_TO_N, child i of an array waits for child i of another
// array; SEQUENTIAL orders an array's own children. A failure cascades with
// "Dependent Job failed". Dependants are found through the store's dependsOn
// index; what they still wait for is counted in their row (pendingJobDeps)
// and in their children's pending column.

import type { Transaction } from '../store/store.js'
import type { BatchContext } from './context.js'
import { DEPENDENCY_REASON, enqueue, failChild, failJob, readChildren, readJob, releaseChildren, setChildStatus, setJobStatus, updateJob } from './job-state.js'
import { CHILDREN, JOBS, QUEUES, S_PENDING, S_RUNNABLE, type JobRow } from './records.js'
import type { JobQueueDetail } from './model.js'

const NONE: JobRow[] = []

/** The jobs whose dependsOn names jobId (the cache says when there can be none: most jobs have no dependants). */
function dependantsOf(ctx: BatchContext, tx: Transaction, jobId: string): JobRow[] {
  if (!ctx.cache.mayHaveDependants(jobId)) return NONE
  return tx.scan<JobRow>(JOBS, { index: { name: 'dependsOn', value: jobId } }).map((r) => r.value)
}

function isSequential(row: JobRow): boolean {
  return row.dependsOn.some((d) => d.type === 'SEQUENTIAL')
}

/** A single job or an array parent reached SUCCEEDED or FAILED: its whole-job dependants move on. */
export function jobFinished(ctx: BatchContext, tx: Transaction, row: JobRow): void {
  const succeeded = row.status === 'SUCCEEDED'
  for (const dependant of dependantsOf(ctx, tx, row.jobId)) {
    for (const entry of dependant.dependsOn) {
      if (entry.jobId !== row.jobId || entry.type !== undefined) continue
      const d = readJob(tx, dependant.jobId).row
      if (succeeded) {
        const next = updateJob(tx, d.jobId, (r) => ({ ...r, pendingJobDeps: r.pendingJobDeps - 1 }))
        if (next.pendingJobDeps === 0 && next.status === 'PENDING') {
          if (next.arraySize !== undefined) releaseChildren(ctx, tx, next.jobId)
          else enqueue(ctx, setJobStatus(ctx, tx, next.jobId, 'RUNNABLE'))
        }
      } else if (d.status === 'SUBMITTED') {
        updateJob(tx, d.jobId, (r) => ({ ...r, dependencyFailed: true }))
      } else {
        failJob(ctx, tx, d.jobId, DEPENDENCY_REASON)
      }
    }
  }
  const deleting = tx.get<JobQueueDetail>(QUEUES, row.queueName)?.value.status === 'DELETING'
  tx.afterCommit(() => {
    ctx.queues.retention.addAfter(row.jobId, ctx.settings.retentionMs)
    if (deleting) ctx.queues.queueDeletion.add(row.queueName)
    ctx.waiters.wake(row.jobId)
  })
}

/** Child `index` SUCCEEDED: its N_TO_N counterparts and its SEQUENTIAL successor may run. */
export function childSucceeded(ctx: BatchContext, tx: Transaction, row: JobRow, index: number): void {
  for (const dependant of dependantsOf(ctx, tx, row.jobId)) {
    for (const entry of dependant.dependsOn) if (entry.jobId === row.jobId && entry.type === 'N_TO_N') releaseOneChild(ctx, tx, dependant.jobId, index)
  }
  if (isSequential(row) && index + 1 < row.arraySize!) releaseOneChild(ctx, tx, row.jobId, index + 1)
}

function releaseOneChild(ctx: BatchContext, tx: Transaction, jobId: string, index: number): void {
  const c = readChildren(tx, jobId)
  const pending = c.column('pending')
  if (pending[index] > 0) tx.setCell(CHILDREN, jobId, 'pending', index, pending[index] - 1)
  const row = readJob(tx, jobId).row
  if (pending[index] === 0 && row.pendingJobDeps === 0 && c.column('status')[index] === S_PENDING) {
    setChildStatus(ctx, tx, jobId, index, S_RUNNABLE)
    enqueue(ctx, row, index)
  }
}

/** Child `index` of jobId FAILED before it ran: push what waits on it onto the cascade's stack. */
export function childFinished(ctx: BatchContext, tx: Transaction, jobId: string, index: number, stack: Array<[string, number]>): void {
  for (const dependant of dependantsOf(ctx, tx, jobId)) {
    for (const entry of dependant.dependsOn) if (entry.jobId === jobId && entry.type === 'N_TO_N') stack.push([dependant.jobId, index])
  }
  const row = tx.get<JobRow>(JOBS, jobId)?.value
  if (row !== undefined && isSequential(row) && index + 1 < row.arraySize!) stack.push([jobId, index + 1])
}

/** Child `index` FAILED after running: its N_TO_N counterparts and SEQUENTIAL successor fail too. */
export function failDependantsOfChild(ctx: BatchContext, tx: Transaction, row: JobRow, index: number): void {
  for (const dependant of dependantsOf(ctx, tx, row.jobId)) {
    for (const entry of dependant.dependsOn) if (entry.jobId === row.jobId && entry.type === 'N_TO_N') failChild(ctx, tx, dependant.jobId, index, DEPENDENCY_REASON)
  }
  if (isSequential(row) && index + 1 < row.arraySize!) failChild(ctx, tx, row.jobId, index + 1, DEPENDENCY_REASON)
}
