// Job attempts: Batch's side of the TaskLauncher. An attempt starts inside the
// transaction that commits its placement (its task row, then STARTING), runs
// (RUNNING when the runner says so), and ends: the outcome is judged against
// the retry strategy — SUCCEEDED, RUNNABLE again for a retry, or FAILED — in
// the transaction that ends the task.

import { mkdirSync } from 'node:fs'
import type { ColumnSet, Transaction } from '../store/store.js'
import { ConflictError } from '../errors.js'
import type { NodeRecord } from '../cluster/node-pool.js'
import type { ContainerSpec } from '../runners/runner.js'
import type { TaskOutcome, TaskOwner, TaskRow } from '../tasks/task-launcher.js'
import type { BatchContext } from './context.js'
import { TASK_OWNER } from './context.js'
import { JOB_STATUSES, type AttemptDetail } from './model.js'
import type { JobEntry } from './job-cache.js'
import { specExtras, type ResolvedContainer } from './container-properties.js'
import { isNodeKey, nodeEnded, nodeRunning } from './multinode.js'
import { CES, CHILDREN, JOBS, ceNameOf, S_FAILED, S_RUNNABLE, S_RUNNING, S_STARTING, S_SUCCEEDED, childId, logStreamName, type CeRecord, type JobRow } from './records.js'
import { shouldRetry } from './retry.js'
import { enqueue, readChildren, readJob, setChildStatus, setExtra, setJobStatus, updateJob } from './job-state.js'
import { failDependantsOfChild } from './dependencies.js'

export const TIMEOUT_REASON = 'Job attempt duration exceeded timeout'

/** Splits a task's owner key: a job id, or `<jobId>:<index>` for an array child. */
function keyOf(ownerKey: string): { jobId: string; child: number } {
  const colon = ownerKey.lastIndexOf(':')
  return colon > 0 ? { jobId: ownerKey.slice(0, colon), child: Number(ownerKey.slice(colon + 1)) } : { jobId: ownerKey, child: -1 }
}

/** Starts an attempt of a job (child -1) or child on node, inside the placement's transaction. */
export function startAttempt(ctx: BatchContext, tx: Transaction, entry: JobEntry, child: number, node: NodeRecord, ceName: string): void {
  const jobId = entry.jobId
  let row = readJob(tx, jobId).row
  let attempt: number
  if (child >= 0) {
    const c = readChildren(tx, jobId)
    // The dispatcher's cache is a hint: what it placed must still be RUNNABLE (else the plan is undone).
    if (c.column('status')[child] !== S_RUNNABLE) throw new ConflictError('BatchNotRunnable', `child ${childId(jobId, child)} is no longer RUNNABLE`)
    attempt = c.column('attempts')[child] + 1
    tx.setCell(CHILDREN, jobId, 'attempts', child, attempt)
  } else {
    if (row.status !== 'RUNNABLE') throw new ConflictError('BatchNotRunnable', `job ${jobId} is no longer RUNNABLE`)
    row = updateJob(tx, jobId, (r) => ({ ...r, attemptCount: r.attemptCount + 1 }))
    attempt = row.attemptCount
  }
  const id = child >= 0 ? childId(jobId, child) : jobId
  const env: Record<string, string> = {
    ...row.environment,
    AWS_BATCH_JOB_ID: id,
    AWS_BATCH_JOB_ATTEMPT: String(attempt),
    AWS_BATCH_JQ_NAME: row.queueName,
    AWS_BATCH_CE_NAME: ceName
  }
  if (child >= 0) {
    env.AWS_BATCH_JOB_ARRAY_INDEX = String(child)
    env.AWS_BATCH_JOB_ARRAY_SIZE = String(row.arraySize)
  }
  const stream = logStreamName(row.definitionName, jobId, child, attempt)
  // The task row first: the STARTING event already names the attempt's instance and log stream.
  const container = containerOf(ctx, tx, row, env, stream, `${ctx.settings.workRoot}/${jobId}/${child >= 0 ? child : '-'}/${attempt}`)
  ctx.launcher.intend(tx, {
    owner: TASK_OWNER,
    ownerKey: id,
    attempt,
    node,
    demand: entry.demand,
    containers: [container],
    ...networkModeOf(ctx, tx, node, container),
    ...(row.timeoutSeconds !== undefined ? { timeout: { ms: row.timeoutSeconds * 1000, reason: TIMEOUT_REASON } } : {})
  })
  if (child >= 0) setChildStatus(ctx, tx, jobId, child, S_STARTING)
  else setJobStatus(ctx, tx, jobId, 'STARTING')
}

/**
 * The runner's spec of an attempt's one container: what the job (or node)
 * runs, its environment, log and working directory, and its container
 * settings; the job's scratch volumes are created once the placement commits,
 * before the runner starts.
 */
export function containerOf(
  ctx: BatchContext, tx: Transaction, c: Omit<ResolvedContainer, 'environment'>, env: Record<string, string>, stream: string, workDir: string
): ContainerSpec {
  const { extras, scratch } = specExtras(c.settings, workDir)
  // The log group /aws/batch/job exists from the first attempt on, as on AWS.
  if (!ctx.logs.hasGroup) tx.afterCommit(() => ctx.logs.noteGroup(ctx.clock.now()))
  if (scratch.length > 0) {
    tx.afterCommit(() => {
      // A directory that cannot be made leaves the mount's source missing: the runner then fails the attempt with its reason.
      for (const dir of scratch) try { mkdirSync(dir, { recursive: true }) } catch { /* reported by the runner */ }
    })
  }
  return {
    name: 'default',
    essential: true,
    ...(c.image ? { image: c.image } : {}),
    command: c.command,
    env,
    vcpus: c.vcpus,
    memoryMiB: c.memory,
    gpus: c.gpus,
    logPath: ctx.logs.pathOf(stream),
    workDir,
    ...extras
  }
}

/** An ended attempt as DescribeJobs lists it. */
export function attemptDetailOf(ctx: BatchContext, task: TaskRow, outcome: TaskOutcome, stream: string): AttemptDetail {
  const { exitCode, reason } = outcome
  return {
    container: {
      ...(exitCode !== undefined ? { exitCode } : {}),
      ...(reason !== undefined ? { reason } : {}),
      logStreamName: stream,
      containerInstanceArn: task.containerInstanceArn,
      taskArn: ctx.launcher.taskArn(task),
      networkInterfaces: [{ privateIpv4Address: task.address }]
    },
    startedAt: outcome.startedAt,
    stoppedAt: outcome.stoppedAt,
    statusReason: outcome.stoppedReason
  }
}

/** A task ended: its node has room again (and may be idle now). A kick, not a change: made at once (see enqueue). */
export function kickAfterEnd(ctx: BatchContext, tx: Transaction, task: TaskRow): void {
  const ceName = ceNameOf(task.poolId)
  ctx.queues.dispatch.add(ceName)
  if (tx.get<CeRecord>(CES, ceName)?.value.detail.type === 'MANAGED') ctx.queues.scaling.add(ceName)
}

/**
 * Batch runs a container job on EC2 in the host's network (AWS's networking
 * modes table: ECS-EC2 simple jobs use host, multi-node jobs awsvpc): it
 * reaches what the host reaches, the engine's endpoint on 127.0.0.1 among
 * them. Multi-node nodes share it too, each on its own 127.x address, which
 * is how the other nodes reach it on any port (a network namespace of its own
 * would need an address outside loopback). Work without an image runs as a
 * process, in the host's network anyway.
 */
export function networkModeOf(ctx: BatchContext, tx: Transaction, node: NodeRecord, container: ContainerSpec): { networkMode?: 'host' } {
  if (container.image === undefined) return {}
  return ctx.launcher.capabilitiesFor(node, [container], tx)?.networkModes?.includes('host') ? { networkMode: 'host' } : {}
}

/** The TaskOwner the launcher reports Batch's tasks to. */
export function attemptOwner(ctx: BatchContext): TaskOwner {
  return {
    running(tx: Transaction, task: TaskRow): void {
      if (isNodeKey(task.ownerKey)) return nodeRunning(ctx, tx, task)
      const { jobId, child } = keyOf(task.ownerKey)
      if (!isCurrentAttempt(tx, task, jobId, child, S_STARTING)) return
      if (child >= 0) setChildStatus(ctx, tx, jobId, child, S_RUNNING)
      else setJobStatus(ctx, tx, jobId, 'RUNNING')
    },
    ended(tx: Transaction, task: TaskRow, outcome: TaskOutcome): void {
      if (isNodeKey(task.ownerKey)) nodeEnded(ctx, tx, task, outcome)
      else attemptEnded(ctx, tx, task, outcome)
    }
  }
}

/**
 * Fencing, the owner's half (the launcher's: a report must name a live task
 * row, by run id, and its transaction deletes the row at the version it read):
 * a task speaks for its job (or child) only while that is STARTING or RUNNING
 * (STARTING alone, for `running`) with this very attempt. Anything else is a
 * stale report — an older attempt of the same job, a job already ended — and
 * changes nothing but the node's room.
 */
function isCurrentAttempt(tx: Transaction, task: TaskRow, jobId: string, child: number, ...statuses: number[]): boolean {
  const row = tx.get<JobRow>(JOBS, jobId)?.value
  if (row === undefined) return false
  const live = statuses.length > 0 ? statuses : [S_STARTING, S_RUNNING]
  if (child < 0) return row.attemptCount === task.attempt && live.some((s) => row.status === JOB_STATUSES[s])
  const c = tx.get<ColumnSet>(CHILDREN, jobId)?.value
  return c !== undefined && c.column('attempts')[child] === task.attempt && live.includes(c.column('status')[child])
}

function attemptEnded(ctx: BatchContext, tx: Transaction, task: TaskRow, outcome: TaskOutcome): void {
  const { jobId, child } = keyOf(task.ownerKey)
  kickAfterEnd(ctx, tx, task)
  if (!isCurrentAttempt(tx, task, jobId, child)) return
  const row = tx.get<JobRow>(JOBS, jobId)!.value
  const { exitCode, reason, stoppedReason: statusReason } = outcome
  // Built only when kept: a child whose first attempt succeeds is stored compactly.
  const detail = (): AttemptDetail => attemptDetailOf(ctx, task, outcome, logStreamName(row.definitionName, jobId, child, task.attempt))
  const succeeded = exitCode === 0 && outcome.stop === undefined
  const retry = !succeeded && outcome.stop === undefined && shouldRetry(row.retryStrategy, task.attempt, { exitCode, reason, statusReason })
  if (child >= 0) {
    const c = readChildren(tx, jobId)
    tx.setCell(CHILDREN, jobId, 'exitCode', child, exitCode === undefined ? -1 : Math.max(-32768, Math.min(32767, exitCode)))
    // A first attempt that succeeds is kept compactly (describe rebuilds it).
    const compact = succeeded && task.attempt === 1 && !c.hasSparse(child)
    if (!compact) setExtra(tx, c, jobId, child, (e) => ({ ...e, attempts: [...e.attempts, detail()] }))
    const extraTerminated = (c.sparse(child) as { isTerminated?: boolean } | undefined)?.isTerminated === true
    if (succeeded) setChildStatus(ctx, tx, jobId, child, S_SUCCEEDED, compact ? undefined : statusReason)
    else if (retry && !row.isTerminated && !extraTerminated) {
      setChildStatus(ctx, tx, jobId, child, S_RUNNABLE)
      enqueue(ctx, row, child)
    } else {
      setChildStatus(ctx, tx, jobId, child, S_FAILED, statusReason)
      failDependantsOfChild(ctx, tx, readJob(tx, jobId).row, child)
    }
    return
  }
  updateJob(tx, jobId, (r) => ({ ...r, attempts: [...r.attempts, detail()] }))
  if (succeeded) setJobStatus(ctx, tx, jobId, 'SUCCEEDED', statusReason)
  else if (retry && !row.isTerminated) enqueue(ctx, setJobStatus(ctx, tx, jobId, 'RUNNABLE', statusReason))
  else setJobStatus(ctx, tx, jobId, 'FAILED', statusReason)
}
