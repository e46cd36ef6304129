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
import type { Placer } from '../scheduler/placer.js'
import type { CapacityProvider } from '../cluster/capacity-provider.js'
import type { NodePools } from '../cluster/node-pool.js'
import type { PlanApplier } from '../cluster/plan-applier.js'
import type { TaskLauncher } from '../tasks/task-launcher.js'
import type { LogStore } from '../logs/log-store.js'
import { WorkQueue } from '../controller/work-queue.js'
import type { BatchExtensions, BatchNode, BatchService, Empty, LogOptions, RegisterNodeInput } from './api.js'
import { TASK_OWNER, type BatchContext, type BatchQueues, type BatchSettings } from './context.js'
import { attemptOwner } from './attempts.js'
import { cancelJob, terminateJob } from './cancel.js'
import { reconcileRetention } from './retention.js'
import { reconcileEvaluation } from './job-state.js'
import {
  reconcileScaling, reconcileStatus, createComputeEnvironment, deleteComputeEnvironment, deregisterNode, describeComputeEnvironments,
  listNodes, registerNode, updateComputeEnvironment
} from './compute-environments.js'
import { Dispatcher, dispatchOrder } from './dispatcher.js'
import { JobCache, type PlacementExplanation } from './job-cache.js'
import { explainJob, jobLogs, toNode, waitForComputeEnvironment, waitForJob, waitForJobQueue } from './extensions.js'
import { deregisterJobDefinition, describeJobDefinitions, registerJobDefinition } from './job-definitions.js'
import { createJobQueue, deleteJobQueue, describeJobQueues, reconcileQueueDeletion, updateJobQueue } from './job-queues.js'
import { describeJobs, listJobs } from './list-jobs.js'
import type * as m from './model.js'
import { CES, JOBS, QUEUES, defineBatchIndexes, isTerminal, type CeRecord, type JobRow } from './records.js'
import { submitJob } from './submit.js'
import { Waiters } from './waiters.js'
import { streamAttempt } from './log-streams.js'
import type { StreamAttempt } from '../logs/index.js'
import { batchResourceTags, listTagsForResource, tagResource, untagResource } from './tagging.js'
import {
  createSchedulingPolicy, deleteSchedulingPolicy, describeSchedulingPolicies, listSchedulingPolicies, updateSchedulingPolicy
} from './scheduling-policies.js'
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
      name: 'batch:dispatch', clock: o.clock, reconciler: this.#dispatcher, minGapMs: DISPATCH_GAP_MS, sort: (names) => dispatchOrder(ctx, names)
    })
    queues.scaling = new WorkQueue({ name: 'batch:scaling', clock: o.clock, reconciler: { reconcile: (name) => reconcileScaling(ctx, name) } })
    queues.status = new WorkQueue({ name: 'batch:status', clock: o.clock, reconciler: { reconcile: (name) => reconcileStatus(ctx, name) } })
    queues.retention = new WorkQueue({ name: 'batch:retention', clock: o.clock, reconciler: { reconcile: (id) => reconcileRetention(ctx, id) } })
    queues.queueDeletion = new WorkQueue({ name: 'batch:queue-deletion', clock: o.clock, reconciler: { reconcile: (name) => reconcileQueueDeletion(ctx, name) } })
    defineBatchIndexes(o.store)
    o.launcher.registerOwner(TASK_OWNER, attemptOwner(ctx))
    this.#resume()
  }

  /** Picks up whatever the store holds (a restart over a durable store, or a store handed over): caches and controllers. */
  #resume(): void {
    const ctx = this.#ctx
    // One pass over the stored jobs: the cache, the sequence, and the controllers' keys.
    for (const { value: row } of ctx.store.scan<JobRow>(JOBS)) {
      ctx.cache.restore(row, ctx.store)
      ctx.sequence.last = Math.max(ctx.sequence.last, row.seq)
      if (row.status === 'SUBMITTED') ctx.queues.evaluate.add(row.jobId)
      else if (isTerminal(row.status)) ctx.queues.retention.add(row.jobId)
    }
    for (const { key, value } of ctx.store.scan<JobQueueDetail>(QUEUES)) if (value.status === 'DELETING') ctx.queues.queueDeletion.add(key)
    for (const { key, value } of ctx.store.scan<CeRecord>(CES)) {
      if (value.detail.status !== 'VALID' && value.detail.status !== 'INVALID') ctx.queues.status.add(key)
      ctx.queues.dispatch.add(key)
      if (value.detail.type === 'MANAGED') ctx.queues.scaling.add(key)
    }
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

  async tagResource(input: m.TagResourceRequest): Promise<Empty> {
    tagResource(this.#ctx, input)
    return {}
  }
  async untagResource(input: m.UntagResourceRequest): Promise<Empty> {
    untagResource(this.#ctx, input)
    return {}
  }
  async listTagsForResource(input: m.ListTagsForResourceRequest) { return listTagsForResource(this.#ctx, input) }
  async createSchedulingPolicy(input: m.CreateSchedulingPolicyRequest) { return createSchedulingPolicy(this.#ctx, input) }
  async updateSchedulingPolicy(input: m.UpdateSchedulingPolicyRequest): Promise<Empty> {
    updateSchedulingPolicy(this.#ctx, input)
    return {}
  }
  async deleteSchedulingPolicy(input: m.DeleteSchedulingPolicyRequest): Promise<Empty> {
    deleteSchedulingPolicy(this.#ctx, input)
    return {}
  }
  async describeSchedulingPolicies(input: m.DescribeSchedulingPoliciesRequest) { return describeSchedulingPolicies(this.#ctx, input) }
  async listSchedulingPolicies(input: m.ListSchedulingPoliciesRequest = {}) { return listSchedulingPolicies(this.#ctx, input) }

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
    return waitForComputeEnvironment(this.#ctx, computeEnvironment)
  }

  async waitForJobQueue(jobQueue: string): Promise<m.JobQueueDetail | undefined> {
    return waitForJobQueue(this.#ctx, jobQueue)
  }

  async waitForJob(jobId: string): Promise<m.JobDetail> {
    return waitForJob(this.#ctx, jobId)
  }

  jobLogs(jobId: string, options: LogOptions = {}): AsyncIterable<string> {
    return jobLogs(this.#ctx, jobId, options)
  }

  async explainJob(jobId: string): Promise<PlacementExplanation | undefined> {
    return explainJob(this.#ctx, jobId)
  }

  async countJobs(): Promise<number> {
    return this.#ctx.store.count(JOBS)
  }

  /** The attempt a log stream belongs to (CloudWatch Logs bounds its lines' times by it). Engine-side only. */
  logStreamAttempt(logStreamName: string): StreamAttempt | undefined {
    return streamAttempt(this.#ctx, logStreamName)
  }

  /**
   * A resource's tags, for IAM's aws:ResourceTag/<key> (synchronous: the wire
   * layer asks once per resource before a call). Undefined when the ARN names
   * nothing taggable that exists; array children and nodes answer with their
   * job's. Engine-side only (not part of BatchService: a remote SDK has no use for it).
   */
  resourceTags(resourceArn: string): Readonly<Record<string, string>> | undefined {
    return batchResourceTags(this.#ctx, resourceArn)
  }

  async close(): Promise<void> {
    for (const queue of Object.values(this.#ctx.queues)) queue.close()
    this.#ctx.waiters.close()
  }
}
