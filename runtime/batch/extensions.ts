// What only Stratus offers beside the Batch API (api.ts, BatchExtensions):
// waiting on a job or an environment, following an attempt's log, and why a
// RUNNABLE job waits. Waits end when the engine closes (UnavailableError
// EngineClosed), never hang.

import { NotFoundError, UnavailableError } from '../errors.js'
import { filterCounts } from '../scheduler/placer.js'
import type { NodeRecord } from '../cluster/node-pool.js'
import type { BatchContext } from './context.js'
import type { BatchNode, LogOptions } from './api.js'
import { ceDetail, readCe } from './compute-environments.js'
import { children as childrenOf, detailOf, liveTask, resolveJob } from './describe.js'
import type { PlacementExplanation } from './job-cache.js'
import { JOB_STATUSES, type ComputeEnvironmentDetail, type JobDetail, type JobQueueDetail, type JobStatus } from './model.js'
import { readQueue } from './job-queues.js'
import { CES, NODES, QUEUES, S_RUNNABLE, isTerminal, logStreamName, nodeId, type CeRecord, type NodeRow } from './records.js'
import { TASKS, type TaskRow } from '../tasks/task-launcher.js'
import { readNodes } from './multinode.js'

export function toNode(n: NodeRecord): BatchNode {
  return {
    id: n.id, containerInstanceArn: n.containerInstanceArn, instanceType: n.instanceType, zone: n.zone, status: n.status, managed: n.managed,
    totalCpu: n.totalCpu, totalMemory: n.totalMemory, totalGpu: n.totalGpu, usedCpu: n.usedCpu, usedMemory: n.usedMemory, usedGpu: n.usedGpu,
    running: n.running, launchedAt: n.launchedAt
  }
}

function closed(): UnavailableError {
  return new UnavailableError('EngineClosed', 'the engine closed while this call waited')
}

function notFound(jobId: string): NotFoundError {
  return new NotFoundError('ClientException', `jobId: job ${jobId} does not exist`, { field: 'jobId' })
}

export async function waitForComputeEnvironment(ctx: BatchContext, computeEnvironment: string): Promise<ComputeEnvironmentDetail | undefined> {
  const name = readCe(ctx.partition, ctx.store, computeEnvironment, 'computeEnvironment').record.detail.computeEnvironmentName
  for (;;) {
    if (ctx.waiters.closed) throw closed()
    const current = ctx.store.get<CeRecord>(CES, name)?.value
    if (current === undefined) return undefined
    if (current.detail.status === 'VALID' || current.detail.status === 'INVALID') return ceDetail(ctx, current)
    await ctx.waiters.wait(`ce:${name}`)
  }
}

export async function waitForJobQueue(ctx: BatchContext, jobQueue: string): Promise<JobQueueDetail | undefined> {
  const name = readQueue(ctx.partition, ctx.store, jobQueue, 'jobQueue').detail.jobQueueName
  for (;;) {
    if (ctx.waiters.closed) throw closed()
    const current = ctx.store.get<JobQueueDetail>(QUEUES, name)?.value
    if (current === undefined) return undefined
    if (current.status !== 'DELETING') return structuredClone(current)
    await ctx.waiters.wait(`queue:${name}`)
  }
}

export async function waitForJob(ctx: BatchContext, jobId: string): Promise<JobDetail> {
  if (resolveJob(ctx.store, jobId) === undefined) throw notFound(jobId)
  for (;;) {
    if (ctx.waiters.closed) throw closed()
    const found = resolveJob(ctx.store, jobId)
    if (found === undefined) throw new NotFoundError('ClientException', `jobId: job ${jobId} was purged`, { field: 'jobId' })
    const detail = detailOf(ctx.store, found)
    if (detail.status === 'SUCCEEDED' || detail.status === 'FAILED') return detail
    await ctx.waiters.wait(jobId)
  }
}

/** A job's (or child's) status and attempts started, as the store says now; undefined once it is purged. */
function progress(ctx: BatchContext, jobId: string): { attempts: number; status: JobStatus } | undefined {
  const found = resolveJob(ctx.store, jobId)
  if (found === undefined) return undefined
  if (found.node >= 0) {
    const node = ctx.store.get<NodeRow>(NODES, nodeId(found.row.jobId, found.node))!.value
    return { attempts: node.attempt, status: node.status }
  }
  const c = found.child >= 0 ? childrenOf(ctx.store, found.row.jobId) : undefined
  if (c === undefined) return { attempts: found.row.attemptCount, status: found.row.status }
  return { attempts: c.column('attempts')[found.child], status: JOB_STATUSES[c.column('status')[found.child]] }
}

export function jobLogs(ctx: BatchContext, jobId: string, options: LogOptions = {}): AsyncIterable<string> {
  const found = resolveJob(ctx.store, jobId)
  if (found === undefined) throw notFound(jobId)
  const { row, child, node } = found
  const attempt = options.attempt ?? Math.max(1, progress(ctx, jobId)?.attempts ?? 1)
  // A node logs as a job named after it; a multi-node job's own log is its main node's.
  const key = node >= 0 ? nodeId(row.jobId, node) : row.nodeProperties !== undefined ? nodeId(row.jobId, row.nodeProperties.mainNode) : undefined
  const stream = logStreamName(row.definitionName, key ?? row.jobId, key === undefined ? child : -1, attempt)
  // Following (the default) also waits for an attempt that has not started yet, while the job may still run it.
  const isLive = () => {
    if (ctx.waiters.closed) return false
    const live = key === undefined ? liveTask(ctx.store, row.jobId, child) : liveNodeTask(ctx, key)
    if (live !== undefined && live.attempt === attempt) return true
    const now = progress(ctx, jobId)
    return now !== undefined && attempt > now.attempts && !isTerminal(now.status)
  }
  return ctx.logs.lines(stream, options.follow === false ? {} : { follow: isLive })
}

function liveNodeTask(ctx: BatchContext, key: string): TaskRow | undefined {
  const runId = ctx.store.get<NodeRow>(NODES, key)?.value.runId
  return runId === undefined ? undefined : ctx.store.get<TaskRow>(TASKS, runId)?.value
}

/** Why a RUNNABLE job (or an array with RUNNABLE children, or a multi-node job with RUNNABLE nodes) waits; undefined when it does not, or no round passed it over. */
export function explainJob(ctx: BatchContext, jobId: string): PlacementExplanation | undefined {
  const found = resolveJob(ctx.store, jobId)
  if (found === undefined) throw notFound(jobId)
  const { row } = found
  const waiting = row.nodeProperties !== undefined
    ? row.status === 'RUNNABLE' || (row.status === 'RUNNING' && readNodes(ctx.store, row.jobId).some((n) => n.status === 'RUNNABLE' && n.runId === undefined))
    : row.arraySize === undefined
      ? row.status === 'RUNNABLE'
      : (childrenOf(ctx.store, row.jobId)?.column('status') ?? []).some((s) => s === S_RUNNABLE)
  const entry = ctx.cache.get(row.jobId)
  const last = entry?.lastPlacement
  if (!waiting || entry === undefined || last === undefined) return undefined
  const ce = ctx.store.get<CeRecord>(CES, last.computeEnvironment)?.value
  const nodes = ce === undefined ? [] : ctx.pools.nodes(ce.poolId).map((r) => r.value)
  return {
    computeEnvironment: last.computeEnvironment, poolVersion: last.poolVersion, reason: last.reason, at: last.at,
    plan: structuredClone(last.plan),
    nodesNow: filterCounts(nodes, entry.cpu, entry.memory, entry.gpu)
  }
}
