// AWS Batch, for real, on the engine's shared layers: its records live in the
// store, its controllers are reconcilers driven by work queues (evaluate,
// dispatch, scaling, status, retention), its instances are node pools, its
// attempts are tasks of the TaskLauncher. This class wires those parts and
// answers the API (api.ts); each operation lives in the file of its resource.

import type { Clock } from '../clock/clock.js'
import type { Partition } from '../aws/partition.js'
import type { PageTokens } from '../aws/pagination.js'
import type { Store } from '../store/store.js'
import type { EventBus } from '../events/bus.js'
import type { Scheduler } from '../scheduler/scheduler.js'
import { filterCounts, type Placer } from '../scheduler/placer.js'
import type { CapacityProvider } from '../cluster/capacity-provider.js'
import type { NodePools, NodeRecord } from '../cluster/node-pool.js'
import type { PlanApplier } from '../cluster/plan-applier.js'
import type { TaskLauncher } from '../tasks/task-launcher.js'
import type { LogStore } from '../logs/log-store.js'
import { WorkQueue } from '../controller/work-queue.js'
import { NotFoundError } from '../errors.js'
import type { BatchExtensions, BatchNode, BatchService, Empty, LogOptions, RegisterNodeInput } from './api.js'
import { TASK_OWNER, type BatchContext, type BatchQueues, type BatchSettings } from './context.js'
import { attemptOwner } from './attempts.js'
import { cancelJob, reconcileEvaluation, reconcileRetention, terminateJob } from './cancel.js'
import {
  reconcileScaling, reconcileStatus, createComputeEnvironment, deleteComputeEnvironment, deregisterNode, describeComputeEnvironments,
  listNodes, readCe, registerNode, updateComputeEnvironment, ceDetail
} from './compute-environments.js'
import { jobDetail, liveTask, resolveJob, children as childrenOf } from './describe.js'
import { Dispatcher } from './dispatcher.js'
import { JobCache, type PlacementExplanation } from './job-cache.js'
import { deregisterJobDefinition, describeJobDefinitions, registerJobDefinition } from './job-definitions.js'
import { createJobQueue, deleteJobQueue, describeJobQueues, updateJobQueue } from './job-queues.js'
import { describeJobs, listJobs } from './list-jobs.js'
import type * as m from './model.js'
import { CES, JOBS, QUEUES, defineBatchIndexes, isTerminal, logStreamName, type CeRecord, type JobRow } from './records.js'
import { restoreSequence, submitJob } from './submit.js'
import { Waiters } from './waiters.js'
import type { JobQueueDetail } from './model.js'

export interface BatchOptions {
  store: Store
  clock: Clock
  partition: Partition
  events: EventBus
  scheduler: Scheduler
  placer: Placer
  pools: NodePools
  capacity: CapacityProvider
  applier: PlanApplier
  launcher: TaskLauncher
  logs: LogStore
  tokens: PageTokens
  settings: Partial<BatchSettings> & Pick<BatchSettings, 'workRoot' | 'runner'>
}

/** Least real time between two dispatch turns under load: one turn then takes many changes at once. */
const DISPATCH_GAP_MS = 2

function toNode(n: NodeRecord): BatchNode {
  return {
    id: n.id, containerInstanceArn: n.containerInstanceArn, instanceType: n.instanceType, zone: n.zone, status: n.status, managed: n.managed,
    totalCpu: n.totalCpu, totalMemory: n.totalMemory, totalGpu: n.totalGpu, usedCpu: n.usedCpu, usedMemory: n.usedMemory, usedGpu: n.usedGpu,
    running: n.running, launchedAt: n.launchedAt
  }
}

export class Batch implements BatchService, BatchExtensions {
  readonly #ctx: BatchContext
  readonly #dispatcher: Dispatcher

  constructor(o: BatchOptions) {
    const settings: BatchSettings = {
      scaleInIdleMs: 5 * 60_000, retentionMs: 24 * 3_600_000, agingRounds: 10, maxDispatch: 25_000, killGraceMs: undefined, ...o.settings
    }
    const queues = {} as BatchQueues
    this.#ctx = {
      store: o.store, clock: o.clock, partition: o.partition, events: o.events, scheduler: o.scheduler, pools: o.pools, capacity: o.capacity,
      placer: o.placer, applier: o.applier, launcher: o.launcher, logs: o.logs, tokens: o.tokens, settings,
      cache: new JobCache(), waiters: new Waiters(), queues, sequence: { last: 0 }
    }
    const ctx = this.#ctx
    this.#dispatcher = new Dispatcher(ctx)
    queues.evaluate = new WorkQueue({ name: 'batch:evaluate', clock: o.clock, reconciler: { reconcile: (id) => reconcileEvaluation(ctx, id) } })
    queues.dispatch = new WorkQueue({
      name: 'batch:dispatch', clock: o.clock, reconciler: this.#dispatcher, minGapMs: DISPATCH_GAP_MS, sort: (names) => this.#dispatchOrder(names)
    })
    queues.scaling = new WorkQueue({ name: 'batch:scaling', clock: o.clock, reconciler: { reconcile: (name) => reconcileScaling(ctx, name) } })
    queues.status = new WorkQueue({ name: 'batch:status', clock: o.clock, reconciler: { reconcile: (name) => reconcileStatus(ctx, name) } })
    queues.retention = new WorkQueue({ name: 'batch:retention', clock: o.clock, reconciler: { reconcile: (id) => reconcileRetention(ctx, id) } })
    defineBatchIndexes(o.store)
    o.launcher.registerOwner(TASK_OWNER, attemptOwner(ctx))
    this.#resume()
  }

  /** Picks up whatever the store holds (a restart over a durable store, or a store handed over): caches and controllers. */
  #resume(): void {
    const ctx = this.#ctx
    ctx.cache.rebuild(ctx.store)
    restoreSequence(ctx)
    for (const { value: row } of ctx.store.scan<JobRow>(JOBS)) {
      if (row.status === 'SUBMITTED') ctx.queues.evaluate.add(row.jobId)
      else if (isTerminal(row.status)) ctx.queues.retention.add(row.jobId)
    }
    for (const { key, value } of ctx.store.scan<CeRecord>(CES)) {
      if (value.detail.status !== 'VALID' && value.detail.status !== 'INVALID') ctx.queues.status.add(key)
      ctx.queues.dispatch.add(key)
      if (value.detail.type === 'MANAGED') ctx.queues.scaling.add(key)
    }
  }

  /** Environments in the order a dispatch turn serves them: the earlier an environment comes in any queue, the sooner. */
  #dispatchOrder(names: string[]): string[] {
    const rank = new Map<string, number>()
    for (const { value: q } of this.#ctx.store.scan<JobQueueDetail>(QUEUES)) {
      q.computeEnvironmentOrder.forEach((o, i) => {
        const name = o.computeEnvironment.slice(o.computeEnvironment.lastIndexOf('/') + 1)
        rank.set(name, Math.min(rank.get(name) ?? Infinity, i))
      })
    }
    return names.sort((a, b) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity) || a.localeCompare(b))
  }

  /** Dispatch rounds run so far (diagnostics, benchmarks). */
  get rounds(): number {
    return this.#dispatcher.rounds
  }

  // ---- the AWS operations ------------------------------------------------------------------

  async createComputeEnvironment(input: m.CreateComputeEnvironmentRequest) { return createComputeEnvironment(this.#ctx, input) }
  async updateComputeEnvironment(input: m.UpdateComputeEnvironmentRequest) { return updateComputeEnvironment(this.#ctx, input) }
  async deleteComputeEnvironment(input: m.DeleteComputeEnvironmentRequest): Promise<Empty> {
    deleteComputeEnvironment(this.#ctx, input)
    return {}
  }
  async describeComputeEnvironments(input: m.DescribeComputeEnvironmentsRequest = {}) { return describeComputeEnvironments(this.#ctx, input) }
  async createJobQueue(input: m.CreateJobQueueRequest) { return createJobQueue(this.#ctx, input) }
  async updateJobQueue(input: m.UpdateJobQueueRequest) { return updateJobQueue(this.#ctx, input) }
  async deleteJobQueue(input: m.DeleteJobQueueRequest): Promise<Empty> {
    deleteJobQueue(this.#ctx, input)
    return {}
  }
  async describeJobQueues(input: m.DescribeJobQueuesRequest = {}) { return describeJobQueues(this.#ctx, input) }
  async registerJobDefinition(input: m.RegisterJobDefinitionRequest) { return registerJobDefinition(this.#ctx, input) }
  async deregisterJobDefinition(input: m.DeregisterJobDefinitionRequest): Promise<Empty> {
    deregisterJobDefinition(this.#ctx, input)
    return {}
  }
  async describeJobDefinitions(input: m.DescribeJobDefinitionsRequest = {}) { return describeJobDefinitions(this.#ctx, input) }
  async submitJob(input: m.SubmitJobRequest) { return submitJob(this.#ctx, input) }
  async describeJobs(input: m.DescribeJobsRequest) { return describeJobs(this.#ctx, input) }
  async listJobs(input: m.ListJobsRequest) { return listJobs(this.#ctx, input) }
  async cancelJob(input: m.CancelJobRequest): Promise<Empty> {
    cancelJob(this.#ctx, input?.jobId, input?.reason)
    return {}
  }
  async terminateJob(input: m.TerminateJobRequest): Promise<Empty> {
    terminateJob(this.#ctx, input?.jobId, input?.reason)
    return {}
  }

  // ---- Stratus extensions ---------------------------------------------------------------------

  async listNodes(computeEnvironment: string): Promise<BatchNode[]> {
    return listNodes(this.#ctx, computeEnvironment).map(toNode)
  }

  async registerNode(computeEnvironment: string, node: RegisterNodeInput): Promise<BatchNode> {
    return toNode(registerNode(this.#ctx, computeEnvironment, node))
  }

  async deregisterNode(computeEnvironment: string, nodeId: string): Promise<void> {
    deregisterNode(this.#ctx, computeEnvironment, nodeId)
  }

  async waitForComputeEnvironment(computeEnvironment: string): Promise<m.ComputeEnvironmentDetail | undefined> {
    const ctx = this.#ctx
    const { record } = readCe(ctx.store, computeEnvironment, 'computeEnvironment')
    const name = record.detail.computeEnvironmentName
    for (;;) {
      const current = ctx.store.get<CeRecord>(CES, name)?.value
      if (current === undefined) return undefined
      if (current.detail.status === 'VALID' || current.detail.status === 'INVALID') return ceDetail(ctx, current)
      await ctx.waiters.wait(`ce:${name}`)
    }
  }

  async waitForJob(jobId: string): Promise<m.JobDetail> {
    const ctx = this.#ctx
    if (resolveJob(ctx.store, jobId) === undefined) throw new NotFoundError('ClientException', `jobId: job ${jobId} does not exist`, { field: 'jobId' })
    for (;;) {
      const found = resolveJob(ctx.store, jobId)
      if (found === undefined) throw new NotFoundError('ClientException', `jobId: job ${jobId} was purged`, { field: 'jobId' })
      const detail = jobDetail(ctx.store, found.row, found.child)
      if (detail.status === 'SUCCEEDED' || detail.status === 'FAILED') return detail
      await ctx.waiters.wait(jobId)
    }
  }

  jobLogs(jobId: string, options: LogOptions = {}): AsyncIterable<string> {
    const ctx = this.#ctx
    const found = resolveJob(ctx.store, jobId)
    if (found === undefined) throw new NotFoundError('ClientException', `jobId: job ${jobId} does not exist`, { field: 'jobId' })
    const { row, child } = found
    const startedAttempts = () => {
      const current = resolveJob(ctx.store, jobId)
      if (current === undefined) return { attempts: 0, status: 'FAILED' as m.JobStatus, gone: true }
      const c = child >= 0 ? childrenOf(ctx.store, row.jobId) : undefined
      const detailStatus = c !== undefined ? (['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const)[c.column('status')[child]] : current.row.status
      return { attempts: c !== undefined ? c.column('attempts')[child] : current.row.attemptCount, status: detailStatus, gone: false }
    }
    const attempt = options.attempt ?? Math.max(1, startedAttempts().attempts)
    const stream = logStreamName(row.definitionName, row.jobId, child, attempt)
    // Following (the default) also waits for an attempt that has not started yet, while the job may still run it.
    const isLive = () => {
      const live = liveTask(ctx.store, row.jobId, child)
      if (live !== undefined && live.attempt === attempt) return true
      const now = startedAttempts()
      return !now.gone && attempt > now.attempts && !isTerminal(now.status)
    }
    return ctx.logs.lines(stream, options.follow === false ? {} : { follow: isLive })
  }

  async explainJob(jobId: string): Promise<PlacementExplanation | undefined> {
    const ctx = this.#ctx
    const found = resolveJob(ctx.store, jobId)
    if (found === undefined) throw new NotFoundError('ClientException', `jobId: job ${jobId} does not exist`, { field: 'jobId' })
    const entry = ctx.cache.get(found.row.jobId)
    const last = entry?.lastPlacement
    if (entry === undefined || last === undefined) return undefined
    const ce = ctx.store.get<CeRecord>(CES, last.computeEnvironment)?.value
    const nodes = ce === undefined ? [] : ctx.pools.nodes(ce.poolId).map((r) => r.value)
    return {
      computeEnvironment: last.computeEnvironment, poolVersion: last.poolVersion, reason: last.reason, at: last.at,
      filtered: filterCounts(nodes, entry.cpu, entry.memory, entry.gpu), plan: { ...last.plan }
    }
  }

  async countJobs(): Promise<number> {
    return this.#ctx.store.count(JOBS)
  }

  async close(): Promise<void> {
    for (const queue of Object.values(this.#ctx.queues)) queue.close()
  }
}
