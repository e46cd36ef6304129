// Multi-node parallel jobs, as AWS runs them: one job of numNodes nodes, each
// node a task of its own on a distinct instance; the main node is placed
// first (once every node could be placed), the other nodes once it runs. The
// main node decides: when it exits the job ends with its exit code (or is
// retried, as a whole, per the retry strategy) and the other nodes are
// stopped. A child node that fails changes nothing else (AWS takes no action
// on the other nodes) and is not retried on its own; each new attempt of the
// job runs every node again.
//
//   job     SUBMITTED → PENDING → RUNNABLE → STARTING (main placed) → RUNNING (main runs) → SUCCEEDED | FAILED
//   nodes   follow the job while none runs; then each its own STARTING → RUNNING → SUCCEEDED | FAILED
//           (by its exit code); a node that never started when the job ends FAILS, saying so
//
// The nodes are records of their own (batch:nodes, `<jobId>#<index>`), each
// change with its event, in the transaction of the change that caused it.

import { nameFromArn } from '../aws/arn.js'
import { ConflictError } from '../errors.js'
import { eventSequence } from './event-sequence.js'
import { emitEvent } from '../events/outbox-relay.js'
import type { Demand, NodeRecord } from '../cluster/node-pool.js'
import type { Transaction } from '../store/store.js'
import { TASKS, type TaskOutcome, type TaskRow } from '../tasks/task-launcher.js'
import type { BatchContext } from './context.js'
import { TASK_OWNER } from './context.js'
import { attemptDetailOf, containerOf, kickAfterEnd, networkModeOf, TIMEOUT_REASON } from './attempts.js'
import { nodeDetail } from './describe-nodes.js'
import { enqueue, readJob, setJobStatus, updateJob } from './job-state.js'
import type { JobEntry } from './job-cache.js'
import { BATCH_SOURCE, JOB_STATE_CHANGE, type JobQueueDetail, type JobStatus } from './model.js'
import { resolveNode } from './node-properties.js'
import { CES, JOBS, NODES, isTerminal, nodeId, nodeLogStreamName, type CeRecord, type JobRow, type NodeRow } from './records.js'
import { shouldRetry } from './retry.js'
import { clientError } from './validation.js'
import { sendStops } from './cancel.js'

/** Why the other nodes are stopped when the main node exits. */
export const MAIN_EXITED_REASON = 'Main node exited: the multi-node parallel job ended'
/** Why a node that never started FAILS when its job ends. */
export const NOT_STARTED_REASON = 'The multi-node parallel job ended before this node started'

/** Is a task owner key a node's (`<jobId>#<index>`)? */
export function isNodeKey(ownerKey: string): boolean {
  return ownerKey.includes('#')
}

function keyOf(ownerKey: string): { jobId: string; index: number } {
  const hash = ownerKey.lastIndexOf('#')
  return { jobId: ownerKey.slice(0, hash), index: Number(ownerKey.slice(hash + 1)) }
}

/** Multi-node parallel jobs run on MANAGED EC2 environments only (not UNMANAGED, not SPOT, as AWS documents). */
export function checkMultiNodeQueue(tx: Transaction, queue: JobQueueDetail): void {
  for (const o of queue.computeEnvironmentOrder) {
    const ce = tx.get<CeRecord>(CES, nameFromArn(o.computeEnvironment, 'compute-environment'))?.value.detail
    if (ce === undefined) continue
    const name = ce.computeEnvironmentName
    if (ce.type === 'UNMANAGED') throw clientError('jobQueue', `${queue.jobQueueName} uses compute environment ${name}, which is UNMANAGED: multi-node parallel jobs run on MANAGED compute environments only`)
    if (ce.computeResources?.type === 'SPOT') throw clientError('jobQueue', `${queue.jobQueueName} uses compute environment ${name}, which runs SPOT instances: multi-node parallel jobs are not supported on Spot Instances`)
  }
}

/** The nodes of a job just submitted, every one SUBMITTED. */
export function createNodes(tx: Transaction, row: JobRow): void {
  for (let i = 0; i < row.nodeProperties!.numNodes; i++) {
    tx.put<NodeRow>(NODES, nodeId(row.jobId, i), { jobId: row.jobId, index: i, status: 'SUBMITTED', attempt: 0, attempts: [] }, 0)
  }
}

export function readNodes(reader: Pick<Transaction, 'scan'>, jobId: string): NodeRow[] {
  return reader.scan<NodeRow>(NODES, { prefix: `${jobId}#` }).map((r) => r.value).sort((a, b) => a.index - b.index)
}

/** Writes a node's row (and its event); `change` may set more than the status. */
function setNodeStatus(ctx: BatchContext, tx: Transaction, job: JobRow, node: NodeRow, status: JobStatus, reason?: string, change: Partial<NodeRow> = {}): NodeRow {
  const key = nodeId(node.jobId, node.index)
  const current = tx.get<NodeRow>(NODES, key)!
  const now = ctx.clock.now()
  const next: NodeRow = {
    ...current.value, ...change, status,
    ...(reason !== undefined ? { statusReason: reason } : {}),
    ...(status === 'RUNNING' ? { startedAt: now } : {}),
    ...(isTerminal(status) ? { stoppedAt: now } : {})
  }
  if (change.runId === undefined && 'runId' in change) delete next.runId
  // A new attempt of the node: the last one's end is no longer its end.
  if (status === 'STARTING') delete next.stoppedAt
  const version = tx.put(NODES, key, next, current.version)
  // stratus.sequence: from the node record's version, as a job's events carry theirs (event-sequence.ts).
  emitEvent(tx, ctx.events, BATCH_SOURCE, JOB_STATE_CHANGE, () => [`${job.jobArn}#${node.index}`],
    () => ({ ...nodeDetail(tx, job, next), stratus: { sequence: eventSequence(key, version, (fn) => tx.afterCommit(fn)) } }), () => now)
  if (isTerminal(status) && ctx.waiters.has(key)) tx.afterCommit(() => ctx.waiters.wake(key))
  return next
}

/**
 * The job moved to `status`: nodes with no task follow it while it waits
 * (PENDING, RUNNABLE: also every node again for a retry); when it ends, those
 * that never started FAIL with `reason`. Nodes with a task end on their own.
 */
export function syncNodes(ctx: BatchContext, tx: Transaction, job: JobRow, status: JobStatus, reason: string | undefined): void {
  if (status !== 'PENDING' && status !== 'RUNNABLE' && !isTerminal(status)) return
  for (const node of readNodes(tx, job.jobId)) {
    if (node.runId !== undefined) continue
    if (isTerminal(status)) {
      if (!isTerminal(node.status)) setNodeStatus(ctx, tx, job, node, 'FAILED', reason ?? NOT_STARTED_REASON)
    } else if (node.status !== status) {
      setNodeStatus(ctx, tx, job, node, status)
    }
  }
}

/** Child nodes with nothing running become placeable (the main node runs). */
function releaseChildren(ctx: BatchContext, tx: Transaction, job: JobRow): void {
  const entry = ctx.cache.entryOf(job)
  let any = false
  for (const node of readNodes(tx, job.jobId)) {
    if (node.index === job.nodeProperties!.mainNode || node.runId !== undefined || node.status !== 'RUNNABLE') continue
    entry.nodes!.children.add(node.index)
    any = true
  }
  if (any) enqueue(ctx, job)
}

/**
 * Starts node `index` of a job on `node`, inside the placement's
 * transaction: the main node starts an attempt of the job (RUNNABLE →
 * STARTING); a child node joins the running attempt, told where its main node
 * is. What the dispatcher's cache said is re-checked (else the plan is undone).
 */
export function startNodeAttempt(ctx: BatchContext, tx: Transaction, entry: JobEntry, index: number, demand: Readonly<Demand>, node: NodeRecord, ceName: string): void {
  let row = readJob(tx, entry.jobId).row
  const np = row.nodeProperties!
  const isMain = index === np.mainNode
  const id = nodeId(row.jobId, index)
  const current = tx.get<NodeRow>(NODES, id)?.value
  if (current === undefined || current.runId !== undefined || current.status !== 'RUNNABLE') throw new ConflictError('BatchNotRunnable', `node ${id} is no longer RUNNABLE`)
  if (row.status !== (isMain ? 'RUNNABLE' : 'RUNNING')) throw new ConflictError('BatchNotRunnable', `job ${row.jobId} is ${row.status}: node ${index} cannot start now`)
  let mainAddress: string | undefined
  if (isMain) row = updateJob(tx, row.jobId, (r) => ({ ...r, attemptCount: r.attemptCount + 1 }))
  else {
    const main = tx.get<NodeRow>(NODES, nodeId(row.jobId, np.mainNode))?.value
    mainAddress = main?.runId === undefined ? undefined : tx.get<TaskRow>(TASKS, main.runId)?.value.address
    if (mainAddress === undefined) throw new ConflictError('BatchNotRunnable', `the main node of ${row.jobId} no longer runs`)
  }
  const attempt = row.attemptCount
  const spec = resolveNode(np, row.nodeOverrides ?? [], row.parameters, index)
  const env: Record<string, string> = {
    ...spec.environment,
    AWS_BATCH_JOB_ID: id,
    AWS_BATCH_JOB_ATTEMPT: String(attempt),
    AWS_BATCH_JQ_NAME: row.queueName,
    AWS_BATCH_CE_NAME: ceName,
    AWS_BATCH_JOB_NODE_INDEX: String(index),
    AWS_BATCH_JOB_NUM_NODES: String(np.numNodes),
    AWS_BATCH_JOB_MAIN_NODE_INDEX: String(np.mainNode),
    ...(mainAddress !== undefined ? { AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS: mainAddress } : {})
  }
  const stream = nodeLogStreamName(row.definitionName, row.jobId, index, attempt)
  const container = containerOf(ctx, tx, spec, env, stream, `${ctx.settings.workRoot}/${row.jobId}/node-${index}/${attempt}`)
  const task = ctx.launcher.intend(tx, {
    owner: TASK_OWNER, ownerKey: id, attempt, node, demand, containers: [container],
    ...networkModeOf(ctx, tx, node, container),
    // AWS sets the main node's address on the child nodes only. Stratus gives it to the main node too: a
    // main node that runs as a process (or in the host's network) binds this address rather than every
    // address of the host. The launcher sets it once it has picked the address.
    ...(isMain ? { addressEnv: ['AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS'] } : {}),
    // The job's timeout applies to the whole job: its main node (whose end stops the others).
    ...(isMain && row.timeoutSeconds !== undefined ? { timeout: { ms: row.timeoutSeconds * 1000, reason: TIMEOUT_REASON } } : {})
  })
  setNodeStatus(ctx, tx, row, current, 'STARTING', undefined, { runId: task.runId, attempt })
  if (isMain) setJobStatus(ctx, tx, row.jobId, 'STARTING')
}

export function nodeRunning(ctx: BatchContext, tx: Transaction, task: TaskRow): void {
  const { jobId, index } = keyOf(task.ownerKey)
  const job = tx.get<JobRow>(JOBS, jobId)?.value
  const node = tx.get<NodeRow>(NODES, task.ownerKey)?.value
  if (job === undefined || node === undefined || node.runId !== task.runId) return
  setNodeStatus(ctx, tx, job, node, 'RUNNING')
  if (index !== job.nodeProperties!.mainNode || job.status !== 'STARTING' || task.attempt !== job.attemptCount) return
  // The main node runs: so does the job, and the other nodes may be placed now.
  releaseChildren(ctx, tx, setJobStatus(ctx, tx, jobId, 'RUNNING'))
}

export function nodeEnded(ctx: BatchContext, tx: Transaction, task: TaskRow, outcome: TaskOutcome): void {
  kickAfterEnd(ctx, tx, task)
  const { jobId, index } = keyOf(task.ownerKey)
  const job = tx.get<JobRow>(JOBS, jobId)?.value
  const found = tx.get<NodeRow>(NODES, task.ownerKey)
  if (job === undefined || found === undefined || found.value.runId !== task.runId) return
  const detail = attemptDetailOf(ctx, task, outcome, nodeLogStreamName(job.definitionName, jobId, index, task.attempt))
  const node: NodeRow = { ...found.value, attempts: [...found.value.attempts, detail] }
  const succeeded = outcome.exitCode === 0 && outcome.stop === undefined
  const byExit: JobStatus = succeeded ? 'SUCCEEDED' : 'FAILED'
  const isMain = index === job.nodeProperties!.mainNode
  const live = job.status === 'RUNNING' || (isMain && job.status === 'STARTING')
  const ended = { runId: undefined, attempts: node.attempts }
  if (!live || task.attempt !== job.attemptCount) {
    // A node of an attempt that is over (stopped when its main node exited): it ends as it exited once the
    // job has ended, else it waits for the job's next attempt.
    const status = isTerminal(job.status) ? byExit : 'RUNNABLE'
    setNodeStatus(ctx, tx, job, node, status, isTerminal(job.status) ? outcome.stoppedReason : undefined, ended)
    if (status === 'RUNNABLE' && job.status === 'RUNNING' && !isMain) releaseChildren(ctx, tx, job)
    return
  }
  setNodeStatus(ctx, tx, job, node, byExit, outcome.stoppedReason, ended)
  // A child node's end changes nothing else; the main node's ends the job's attempt.
  if (!isMain) return
  const statusReason = outcome.stoppedReason
  const next = updateJob(tx, jobId, (r) => ({ ...r, attempts: [...r.attempts, detail] }))
  const others = readNodes(tx, jobId).filter((n) => n.index !== index && n.runId !== undefined).map((n) => n.runId!)
  // After a restart every task of the engine that went away is ended by recovery: nothing to stop.
  if (others.length > 0 && outcome.kind !== 'host-terminated') tx.afterCommit(() => sendStops(ctx, others, MAIN_EXITED_REASON))
  const retry = !succeeded && outcome.stop === undefined && !next.isTerminated &&
    shouldRetry(next.retryStrategy, task.attempt, { exitCode: outcome.exitCode, reason: outcome.reason, statusReason })
  if (retry) {
    enqueue(ctx, setJobStatus(ctx, tx, jobId, 'RUNNABLE', statusReason))
    return
  }
  syncNodes(ctx, tx, next, 'FAILED', NOT_STARTED_REASON)
  setJobStatus(ctx, tx, jobId, byExit, statusReason)
}

/** The run ids of a job's nodes that have a task (to stop them). */
export function liveNodeRuns(tx: Transaction, jobId: string): string[] {
  return readNodes(tx, jobId).filter((n) => n.runId !== undefined).map((n) => n.runId!)
}

/** Removes a purged job's nodes. */
export function forgetNodes(ctx: BatchContext, tx: Transaction, job: JobRow): void {
  for (let i = 0; i < job.nodeProperties!.numNodes; i++) tx.delete(NODES, nodeId(job.jobId, i))
  tx.afterCommit(() => ctx.waiters.wakePrefix(`${job.jobId}#`))
}
