// AWS Batch, for real: compute environments, job queues, job definitions and
// jobs, with AWS's shapes and rules. Jobs go SUBMITTED → PENDING → RUNNABLE →
// STARTING → RUNNING → SUCCEEDED | FAILED; the dispatcher (dispatch round,
// below) places runnable work with the placement core and hands it to a
// runner; exits are judged against the retry strategy; dependencies,
// timeouts, cancellation and purging run on the engine's clock.

import { createHash, randomUUID } from 'node:crypto'
import { constants as osConstants } from 'node:os'
import { performance } from 'node:perf_hooks'
import { join } from 'node:path'
import type { Clock } from '../clock/clock.js'
import type { Store } from '../store/legacy.js'
import type { EventBus } from '../events/bus.js'
import type { Scheduler } from '../scheduler/scheduler.js'
import * as abi from '../scheduler/abi.js'
import type { PlacementBatch } from '../scheduler/placement-batch.js'
import type { RunExit, Runner } from '../runners/runner-v1.js'
import { ConflictError, LimitExceededError, NotFoundError } from '../errors.js'
import {
  BATCH_SOURCE, JOB_STATE_CHANGE, JOB_STATUSES, S_FAILED, S_PENDING, S_RUNNABLE, S_RUNNING, S_STARTING, S_SUBMITTED, S_SUCCEEDED,
  type AttemptDetail, type ComputeEnvironmentDetail, type ComputeResources, type ContainerProperties, type JobDefinition,
  type JobDependency, type JobDetail, type JobQueueDetail, type JobStatus, type JobSummary, type KeyValuePair,
  type ResourceRequirement, type RetryStrategy
} from './model.js'
import * as arn from './arn.js'
import { expandInstanceType, type InstanceType } from '../cluster/instance-types.js'
import { ArrayChildren, NO_EXIT } from './children.js'
import { ComputeEnvironmentState, planScaleOut, type NodeDemand, type VirtualNode } from './compute.js'
import { JobRecord, type LiveAttempt, type QueueState } from './job.js'
import { shouldRetry, validateRetryStrategy } from './retry.js'
import { checkCommand, checkInteger, checkMemory, checkName, checkStringRecord, checkTags, checkVcpus, clientError, LIMITS } from './validation.js'
import type { LogStore } from '../logs/log-store.js'

export interface BatchServiceOptions {
  partition: arn.Partition
  clock: Clock
  store: Store
  events: EventBus
  scheduler: Scheduler
  runner: Runner
  logs: LogStore
  /** Root of the attempts' working directories. */
  workRoot: string
  /** An idle managed instance is removed after this long (clock ms; default 5 minutes). */
  scaleInIdleMs?: number
  /** SUCCEEDED and FAILED jobs are kept this long (clock ms; default 24 hours). */
  retentionMs?: number
  /** Rounds a job may be passed over before it reserves a node (default 10; 0 = never). */
  agingRounds?: number
  /** Most tasks one dispatch round considers per compute environment (default 25,000). */
  maxDispatch?: number
  /** SIGTERM → SIGKILL grace when a job is stopped (default: the runner's). */
  killGraceMs?: number
}

// ---- API inputs -----------------------------------------------------------------------

export interface CreateComputeEnvironmentInput {
  computeEnvironmentName: string
  type: 'MANAGED' | 'UNMANAGED'
  state?: 'ENABLED' | 'DISABLED'
  computeResources?: Partial<ComputeResources> & { maxvCpus: number; instanceTypes?: string[] }
  unmanagedvCpus?: number
  serviceRole?: string
  tags?: Record<string, string>
}

export interface UpdateComputeEnvironmentInput {
  computeEnvironment: string
  state?: 'ENABLED' | 'DISABLED'
  computeResources?: { minvCpus?: number; maxvCpus?: number; desiredvCpus?: number }
}

export interface CreateJobQueueInput {
  jobQueueName: string
  state?: 'ENABLED' | 'DISABLED'
  priority: number
  computeEnvironmentOrder: Array<{ order: number; computeEnvironment: string }>
  tags?: Record<string, string>
}

export interface UpdateJobQueueInput {
  jobQueue: string
  state?: 'ENABLED' | 'DISABLED'
  priority?: number
  computeEnvironmentOrder?: Array<{ order: number; computeEnvironment: string }>
}

export interface RegisterJobDefinitionInput {
  jobDefinitionName: string
  type?: 'container'
  parameters?: Record<string, string>
  containerProperties: ContainerProperties
  retryStrategy?: RetryStrategy
  timeout?: { attemptDurationSeconds?: number }
  tags?: Record<string, string>
  propagateTags?: boolean
  platformCapabilities?: Array<'EC2' | 'FARGATE'>
}

export interface ContainerOverrides {
  command?: string[]
  environment?: KeyValuePair[]
  resourceRequirements?: ResourceRequirement[]
  vcpus?: number
  memory?: number
}

export interface SubmitJobInput {
  jobName: string
  jobQueue: string
  jobDefinition: string
  arrayProperties?: { size: number }
  dependsOn?: JobDependency[]
  parameters?: Record<string, string>
  containerOverrides?: ContainerOverrides
  retryStrategy?: RetryStrategy
  timeout?: { attemptDurationSeconds?: number }
  tags?: Record<string, string>
  propagateTags?: boolean
}

export interface ListJobsInput {
  jobQueue?: string
  arrayJobId?: string
  /** Default RUNNING, as on AWS (ignored with arrayJobId unless given). */
  jobStatus?: JobStatus
  jobName?: string
  maxResults?: number
  nextToken?: string
}

export interface RegisterNodeInput {
  vcpus: number
  memory: number
  gpus?: number
  instanceType?: string
  id?: string
}

/** Least time between two dispatch rounds under load. */
const ROUND_GAP_MS = 2
const COLLECTION = { ce: 'batch:computeEnvironments', queue: 'batch:jobQueues', definition: 'batch:jobDefinitions' } as const
const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage'
const EXITED_REASON = 'Essential container in task exited'
const TIMEOUT_REASON = 'Job attempt duration exceeded timeout'
const DEPENDENCY_REASON = 'Dependent Job failed'

function resource(reqs: ResourceRequirement[] | undefined, type: ResourceRequirement['type']): number | undefined {
  const r = reqs?.find((x) => x.type === type)
  return r === undefined ? undefined : Number(r.value)
}

function toEnvList(env: Record<string, string>): KeyValuePair[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }))
}

function fromEnvList(list: KeyValuePair[] | undefined, field: string): Record<string, string> {
  const out: Record<string, string> = {}
  if (list === undefined) return out
  if (!Array.isArray(list)) throw clientError(field, 'must be an array of { name, value }')
  list.forEach((kv, i) => {
    if (typeof kv?.name !== 'string' || kv.name.length === 0 || typeof kv.value !== 'string') throw clientError(`${field}[${i}]`, 'must have a string name and value')
    if (kv.name.startsWith('AWS_BATCH')) throw clientError(`${field}[${i}].name`, `names starting with AWS_BATCH are reserved, got ${kv.name}`)
    out[kv.name] = kv.value
  })
  return out
}

export class BatchService {
  readonly #o: Required<Omit<BatchServiceOptions, 'killGraceMs'>> & { killGraceMs: number | undefined }
  readonly #ces = new Map<string, ComputeEnvironmentState>()
  readonly #queues = new Map<string, QueueState>()
  readonly #definitions = new Map<string, JobDefinition[]>()
  readonly #jobs = new Map<string, JobRecord>()
  readonly #live = new Map<string, LiveAttempt>()
  #seq = 0
  #roundScheduled = false
  #closed = false
  /** Attempts handed to the runner and not yet RUNNING (or ended). */
  #starting = 0
  /** One placement batch per environment, reused round after round while its node count holds. */
  readonly #batches = new Map<ComputeEnvironmentState, PlacementBatch>()
  /** When the last round ended (performance.now()), to coalesce rounds under load. */
  #lastRound = 0
  readonly #removeProbe: (() => void) | undefined
  /** Rounds run so far (diagnostics, tests). */
  rounds = 0

  constructor(options: BatchServiceOptions) {
    this.#o = {
      scaleInIdleMs: 5 * 60_000,
      retentionMs: 24 * 3_600_000,
      agingRounds: 10,
      maxDispatch: 25_000,
      ...options,
      killGraceMs: options.killGraceMs
    }
    // With a manual clock, advance() waits until dispatch and process starts have settled.
    const clock = options.clock as { addBusyProbe?: (probe: () => boolean) => () => void }
    this.#removeProbe = clock.addBusyProbe?.(() => this.#roundScheduled || this.#starting > 0)
  }

  get #p(): arn.Partition {
    return this.#o.partition
  }

  // ==== compute environments ==================================================================

  createComputeEnvironment(input: CreateComputeEnvironmentInput): ComputeEnvironmentDetail {
    const name = checkName(input?.computeEnvironmentName, 'computeEnvironmentName')
    if (this.#ces.has(name)) throw new ConflictError('ClientException', `computeEnvironmentName: ${name} already exists`, { field: 'computeEnvironmentName' })
    if (input.type !== 'MANAGED' && input.type !== 'UNMANAGED') throw clientError('type', `must be MANAGED or UNMANAGED, got ${String(input.type)}`)
    const state = input.state ?? 'ENABLED'
    if (state !== 'ENABLED' && state !== 'DISABLED') throw clientError('state', `must be ENABLED or DISABLED, got ${String(state)}`)
    let resources: ComputeResources | undefined
    let types: InstanceType[] = []
    if (input.type === 'MANAGED') {
      const r = input.computeResources
      if (r === undefined) throw clientError('computeResources', 'is required for a MANAGED compute environment')
      const type = r.type ?? 'EC2'
      if (type !== 'EC2' && type !== 'SPOT') throw clientError('computeResources.type', `must be EC2 or SPOT, got ${String(type)}`)
      const maxvCpus = checkInteger(r.maxvCpus, 'computeResources.maxvCpus', 1, 1_000_000)
      const minvCpus = checkInteger(r.minvCpus ?? 0, 'computeResources.minvCpus', 0, maxvCpus)
      const desiredvCpus = checkInteger(r.desiredvCpus ?? minvCpus, 'computeResources.desiredvCpus', minvCpus, maxvCpus)
      const allocationStrategy = r.allocationStrategy ?? 'BEST_FIT'
      if (!['BEST_FIT', 'BEST_FIT_PROGRESSIVE', 'SPOT_CAPACITY_OPTIMIZED'].includes(allocationStrategy)) {
        throw clientError('computeResources.allocationStrategy', `must be BEST_FIT, BEST_FIT_PROGRESSIVE or SPOT_CAPACITY_OPTIMIZED, got ${allocationStrategy}`)
      }
      const instanceTypes = r.instanceTypes ?? ['optimal']
      if (!Array.isArray(instanceTypes) || instanceTypes.length === 0) throw clientError('computeResources.instanceTypes', 'must list at least one instance type, family or "optimal"')
      const seen = new Map<string, InstanceType>()
      instanceTypes.forEach((entry, i) => {
        const expanded = typeof entry === 'string' ? expandInstanceType(entry) : undefined
        if (expanded === undefined) throw clientError(`computeResources.instanceTypes[${i}]`, `unknown instance type or family ${JSON.stringify(entry)}`)
        for (const t of expanded) seen.set(t.name, t)
      })
      types = [...seen.values()]
      resources = {
        type, allocationStrategy, minvCpus, maxvCpus, desiredvCpus, instanceTypes: [...instanceTypes],
        subnets: r.subnets ?? [], securityGroupIds: r.securityGroupIds ?? [], instanceRole: r.instanceRole, tags: r.tags
      }
    }
    const detail: ComputeEnvironmentDetail = {
      computeEnvironmentName: name,
      computeEnvironmentArn: arn.computeEnvironmentArn(this.#p, name),
      ecsClusterArn: arn.ecsClusterArn(this.#p, `${name}_Batch_${randomUUID().slice(0, 8)}`),
      type: input.type,
      state,
      status: 'CREATING',
      statusReason: 'ComputeEnvironment is being created',
      ...(resources ? { computeResources: resources } : { unmanagedvCpus: input.unmanagedvCpus ?? 0 }),
      ...(input.serviceRole ? { serviceRole: input.serviceRole } : {}),
      tags: checkTags(input.tags, 'tags'),
      containerOrchestrationType: 'ECS'
    }
    this.#o.store.put(COLLECTION.ce, name, detail, 0)
    const ce = new ComputeEnvironmentState(detail, types, this.#p.region)
    this.#ces.set(name, ce)
    // CREATING until the next turn, as AWS reports it before the environment is usable.
    queueMicrotask(() => {
      if (this.#ces.get(name) !== ce || ce.detail.status !== 'CREATING') return
      const problem = this.#invalidity(ce)
      if (problem !== undefined) {
        // As on AWS, a compute environment that cannot work is created, then reported INVALID (and never used).
        this.#setCeStatus(ce, 'INVALID', problem)
        return
      }
      this.#setCeStatus(ce, 'VALID', 'ComputeEnvironment Healthy')
      if (ce.managed) this.#scaleToMinimum(ce)
      this.#kick()
    })
    return structuredClone(detail)
  }

  /** Why a managed environment could never run a job, if it could not: no allowed instance fits under maxvCpus. */
  #invalidity(ce: ComputeEnvironmentState): string | undefined {
    const r = ce.detail.computeResources
    if (r === undefined) return undefined
    const smallest = Math.min(...ce.types.map((t) => t.vcpus))
    if (smallest > r.maxvCpus) {
      return `CLIENT_ERROR - maxvCpus ${r.maxvCpus} is below the ${smallest} vCPUs of the smallest allowed instance type: no instance can ever be launched`
    }
    return undefined
  }

  #setCeStatus(ce: ComputeEnvironmentState, status: ComputeEnvironmentDetail['status'], reason: string): void {
    const next = { ...ce.detail, status, statusReason: reason }
    this.#o.store.put(COLLECTION.ce, ce.name, next, this.#o.store.get(COLLECTION.ce, ce.name)?.version ?? 0)
    ce.detail = next
  }

  updateComputeEnvironment(input: UpdateComputeEnvironmentInput): ComputeEnvironmentDetail {
    const ce = this.#ce(input?.computeEnvironment, 'computeEnvironment')
    const next = structuredClone(ce.detail)
    if (input.state !== undefined) {
      if (input.state !== 'ENABLED' && input.state !== 'DISABLED') throw clientError('state', `must be ENABLED or DISABLED, got ${String(input.state)}`)
      next.state = input.state
    }
    const r = input.computeResources
    if (r !== undefined) {
      if (!ce.managed || next.computeResources === undefined) throw clientError('computeResources', 'applies to MANAGED compute environments only')
      const maxvCpus = checkInteger(r.maxvCpus ?? next.computeResources.maxvCpus, 'computeResources.maxvCpus', 1, 1_000_000)
      const minvCpus = checkInteger(r.minvCpus ?? next.computeResources.minvCpus, 'computeResources.minvCpus', 0, maxvCpus)
      next.computeResources = { ...next.computeResources, minvCpus, maxvCpus }
      if (r.desiredvCpus !== undefined) next.computeResources.desiredvCpus = checkInteger(r.desiredvCpus, 'computeResources.desiredvCpus', minvCpus, maxvCpus)
    }
    this.#o.store.put(COLLECTION.ce, ce.name, next, this.#o.store.get(COLLECTION.ce, ce.name)?.version ?? 0)
    ce.detail = next
    if (next.status === 'VALID' || next.status === 'INVALID') {
      const problem = this.#invalidity(ce)
      if (problem !== undefined) this.#setCeStatus(ce, 'INVALID', problem)
      else if (next.status === 'INVALID') this.#setCeStatus(ce, 'VALID', 'ComputeEnvironment Healthy')
    }
    if (ce.managed && ce.detail.status === 'VALID') {
      this.#scaleToMinimum(ce)
      for (const node of ce.nodes.values()) if (node.running === 0) this.#nodeIdle(ce, node)
    }
    this.#kick()
    return structuredClone(next)
  }

  deleteComputeEnvironment(name: string): void {
    const ce = this.#ce(name, 'computeEnvironment')
    if (ce.detail.state !== 'DISABLED') throw clientError('computeEnvironment', `${ce.name} must be DISABLED before it is deleted`)
    for (const q of this.#queues.values()) {
      if (q.environments.includes(ce)) throw clientError('computeEnvironment', `${ce.name} is still used by job queue ${q.detail.jobQueueName}`)
    }
    for (const node of ce.nodes.values()) {
      if (node.running > 0) throw clientError('computeEnvironment', `${ce.name} still runs jobs on ${node.id}`)
      this.#o.clock.clearTimeout(node.idleTimer as never)
    }
    // DELETING for a turn, then gone (DescribeComputeEnvironments no longer lists it).
    this.#setCeStatus(ce, 'DELETING', 'ComputeEnvironment is being deleted')
    queueMicrotask(() => {
      this.#o.store.delete(COLLECTION.ce, ce.name)
      if (this.#ces.get(ce.name) === ce) this.#ces.delete(ce.name)
    })
    const batch = this.#batches.get(ce)
    if (batch !== undefined) this.#o.scheduler.core.release(batch)
    this.#batches.delete(ce)
  }

  describeComputeEnvironments(names?: string[]): ComputeEnvironmentDetail[] {
    const list = names === undefined ? [...this.#ces.values()] : names.map((n) => this.#ces.get(arn.nameFromArn(n, 'compute-environment'))).filter((c) => c !== undefined)
    return list.map((ce) => this.#ceDetail(ce))
  }

  #ceDetail(ce: ComputeEnvironmentState): ComputeEnvironmentDetail {
    const detail = structuredClone(ce.detail)
    if (detail.computeResources) detail.computeResources.desiredvCpus = Math.max(detail.computeResources.minvCpus, ce.vcpus())
    return detail
  }

  /** Instances of an environment (its "ECS container instances"). */
  listNodes(name: string): Array<Omit<VirtualNode, 'idleTimer'>> {
    const ce = this.#ce(name, 'computeEnvironment')
    return [...ce.nodes.values()].map(({ idleTimer: _idle, ...n }) => ({ ...n }))
  }

  registerNode(name: string, input: RegisterNodeInput): Omit<VirtualNode, 'idleTimer'> {
    const ce = this.#ce(name, 'computeEnvironment')
    if (ce.managed) throw clientError('computeEnvironment', `${ce.name} is MANAGED: Batch launches its instances`)
    const vcpus = checkVcpus(input?.vcpus, 'vcpus')
    const memory = checkMemory(input.memory, 'memory')
    const gpus = checkInteger(input.gpus ?? 0, 'gpus', 0, 1024)
    if (input.id !== undefined && ce.nodes.has(input.id)) throw new ConflictError('ClientException', `id: node ${input.id} is already registered`, { field: 'id' })
    const node = ce.addNode({ id: input.id, instanceType: input.instanceType ?? 'unmanaged', vcpus, memory, gpus, managed: false }, this.#o.clock.now(), (id) => this.#instanceArn(ce, id))
    this.#kick()
    const { idleTimer: _idle, ...out } = node
    return { ...out }
  }

  deregisterNode(name: string, nodeId: string): void {
    const ce = this.#ce(name, 'computeEnvironment')
    const node = ce.nodes.get(nodeId)
    if (node === undefined) throw new NotFoundError('ClientException', `nodeId: no node ${nodeId} in ${ce.name}`, { field: 'nodeId' })
    if (node.running > 0) throw clientError('nodeId', `node ${nodeId} still runs ${node.running} jobs`)
    ce.removeNode(nodeId)
  }

  #instanceArn(ce: ComputeEnvironmentState, id: string): string {
    const cluster = ce.detail.ecsClusterArn.slice(ce.detail.ecsClusterArn.indexOf('/') + 1)
    return arn.containerInstanceArn(this.#p, cluster, id)
  }

  #ce(value: unknown, field: string): ComputeEnvironmentState {
    const name = typeof value === 'string' ? arn.nameFromArn(value, 'compute-environment') : ''
    const ce = this.#ces.get(name)
    if (ce === undefined) throw new NotFoundError('ClientException', `${field}: compute environment ${String(value)} does not exist`, { field })
    return ce
  }

  #launch(ce: ComputeEnvironmentState, type: InstanceType): VirtualNode {
    const node = ce.addNode({ instanceType: type.name, vcpus: type.vcpus, memory: type.memory, gpus: type.gpus, managed: true }, this.#o.clock.now(), (id) => this.#instanceArn(ce, id))
    this.#nodeIdle(ce, node)
    return node
  }

  /** Launches the cheapest capacity per vCPU until the environment holds desiredvCpus (at least minvCpus). */
  #scaleToMinimum(ce: ComputeEnvironmentState): void {
    const r = ce.detail.computeResources
    if (r === undefined || ce.types.length === 0) return
    const target = Math.max(r.minvCpus, r.desiredvCpus)
    while (ce.vcpus() < target) {
      const type = ce.types.find((t) => ce.vcpus() + t.vcpus <= r.maxvCpus) ?? ce.types[0]
      if (ce.vcpus() + type.vcpus > r.maxvCpus) break
      this.#launch(ce, type)
    }
  }

  /** A managed instance with nothing running is removed after scaleInIdleMs, down to minvCpus. */
  #nodeIdle(ce: ComputeEnvironmentState, node: VirtualNode): void {
    if (!node.managed || node.running > 0) return
    this.#o.clock.clearTimeout(node.idleTimer as never)
    node.idleTimer = this.#o.clock.setTimeout(() => {
      node.idleTimer = undefined
      const r = ce.detail.computeResources
      if (node.running > 0 || !ce.nodes.has(node.id) || r === undefined) return
      if (ce.vcpus() - node.totalCpu / 1000 < r.minvCpus) return
      ce.removeNode(node.id)
      r.desiredvCpus = Math.max(r.minvCpus, ce.vcpus())
      // The room it leaves under maxvCpus may be what a waiting job needs (another instance type).
      this.#kick()
    }, this.#o.scaleInIdleMs)
  }

  // ==== job queues =====================================================================

  createJobQueue(input: CreateJobQueueInput): JobQueueDetail {
    const name = checkName(input?.jobQueueName, 'jobQueueName')
    if (this.#queues.has(name)) throw new ConflictError('ClientException', `jobQueueName: ${name} already exists`, { field: 'jobQueueName' })
    const priority = checkInteger(input.priority, 'priority', 0, LIMITS.priorityMax)
    const state = input.state ?? 'ENABLED'
    if (state !== 'ENABLED' && state !== 'DISABLED') throw clientError('state', `must be ENABLED or DISABLED, got ${String(state)}`)
    const environments = this.#environmentOrder(input.computeEnvironmentOrder)
    const detail: JobQueueDetail = {
      jobQueueName: name,
      jobQueueArn: arn.jobQueueArn(this.#p, name),
      state,
      status: 'VALID',
      statusReason: 'JobQueue Healthy',
      priority,
      computeEnvironmentOrder: environments.map((ce, i) => ({ order: i + 1, computeEnvironment: ce.detail.computeEnvironmentArn })),
      tags: checkTags(input.tags, 'tags')
    }
    this.#o.store.put(COLLECTION.queue, name, detail, 0)
    this.#queues.set(name, { detail, environments, runnable: [], head: 0, sorted: true })
    return structuredClone(detail)
  }

  #environmentOrder(order: CreateJobQueueInput['computeEnvironmentOrder'], field = 'computeEnvironmentOrder'): ComputeEnvironmentState[] {
    if (!Array.isArray(order) || order.length === 0) throw clientError(field, 'must list at least one compute environment')
    if (order.length > LIMITS.computeEnvironmentsPerQueue) {
      throw new LimitExceededError('ClientException', `${field}: at most ${LIMITS.computeEnvironmentsPerQueue} compute environments per job queue, got ${order.length}`, { field, limit: LIMITS.computeEnvironmentsPerQueue })
    }
    const orders = new Set<number>()
    const resolved = order.map((entry, i) => {
      checkInteger(entry?.order, `${field}[${i}].order`, 0, 1_000_000)
      if (orders.has(entry.order)) throw clientError(`${field}[${i}].order`, `order ${entry.order} is used twice`)
      orders.add(entry.order)
      return { order: entry.order, ce: this.#ce(entry.computeEnvironment, `${field}[${i}].computeEnvironment`) }
    })
    if (new Set(resolved.map((r) => r.ce)).size !== resolved.length) throw clientError(field, 'lists a compute environment twice')
    return resolved.sort((a, b) => a.order - b.order).map((r) => r.ce)
  }

  updateJobQueue(input: UpdateJobQueueInput): JobQueueDetail {
    const q = this.#queue(input?.jobQueue, 'jobQueue')
    const next = structuredClone(q.detail)
    if (input.state !== undefined) {
      if (input.state !== 'ENABLED' && input.state !== 'DISABLED') throw clientError('state', `must be ENABLED or DISABLED, got ${String(input.state)}`)
      next.state = input.state
    }
    if (input.priority !== undefined) next.priority = checkInteger(input.priority, 'priority', 0, LIMITS.priorityMax)
    let environments = q.environments
    if (input.computeEnvironmentOrder !== undefined) {
      environments = this.#environmentOrder(input.computeEnvironmentOrder)
      next.computeEnvironmentOrder = environments.map((ce, i) => ({ order: i + 1, computeEnvironment: ce.detail.computeEnvironmentArn }))
    }
    this.#o.store.put(COLLECTION.queue, next.jobQueueName, next, this.#o.store.get(COLLECTION.queue, next.jobQueueName)?.version ?? 0)
    q.detail = next
    q.environments = environments
    this.#kick()
    return structuredClone(next)
  }

  /** Deletes a DISABLED queue; its unfinished jobs are terminated first, as on AWS. */
  deleteJobQueue(name: string): void {
    const q = this.#queue(name, 'jobQueue')
    if (q.detail.state !== 'DISABLED') throw clientError('jobQueue', `${q.detail.jobQueueName} must be DISABLED before it is deleted`)
    for (const job of [...this.#jobs.values()]) {
      if (job.queue === q) {
        this.terminateJob(job.jobId, 'Job queue deleted')
        this.#forget(job)
      }
    }
    this.#o.store.delete(COLLECTION.queue, q.detail.jobQueueName)
    this.#queues.delete(q.detail.jobQueueName)
  }

  describeJobQueues(names?: string[]): JobQueueDetail[] {
    const list = names === undefined ? [...this.#queues.values()] : names.map((n) => this.#queues.get(arn.nameFromArn(n, 'job-queue'))).filter((q) => q !== undefined)
    return list.map((q) => structuredClone(q.detail))
  }

  #queue(value: unknown, field: string): QueueState {
    const name = typeof value === 'string' ? arn.nameFromArn(value, 'job-queue') : ''
    const q = this.#queues.get(name)
    if (q === undefined) throw new NotFoundError('ClientException', `${field}: job queue ${String(value)} does not exist`, { field })
    return q
  }

  // ==== job definitions ===================================================================

  registerJobDefinition(input: RegisterJobDefinitionInput): JobDefinition {
    const name = checkName(input?.jobDefinitionName, 'jobDefinitionName')
    if ((input.type ?? 'container') !== 'container') throw clientError('type', `only container job definitions are supported, got ${String(input.type)}`)
    const props = input.containerProperties
    if (props === null || typeof props !== 'object') throw clientError('containerProperties', 'is required')
    const command = props.command === undefined ? [] : checkCommand(props.command, 'containerProperties.command')
    fromEnvList(props.environment, 'containerProperties.environment')
    const vcpus = resource(props.resourceRequirements, 'VCPU') ?? props.vcpus
    const memory = resource(props.resourceRequirements, 'MEMORY') ?? props.memory
    if (vcpus !== undefined) checkVcpus(vcpus, 'containerProperties.vcpus')
    if (memory !== undefined) checkMemory(memory, 'containerProperties.memory')
    const gpus = resource(props.resourceRequirements, 'GPU')
    if (gpus !== undefined) checkInteger(gpus, 'containerProperties.resourceRequirements[GPU]', 0, 1024)
    validateRetryStrategy(input.retryStrategy, 'retryStrategy')
    this.#checkTimeout(input.timeout, 'timeout')
    const parameters = checkStringRecord(input.parameters, 'parameters')
    const revisions = this.#definitions.get(name) ?? []
    const revision = revisions.length + 1
    const definition: JobDefinition = {
      jobDefinitionName: name,
      jobDefinitionArn: arn.jobDefinitionArn(this.#p, name, revision),
      revision,
      status: 'ACTIVE',
      type: 'container',
      parameters,
      ...(input.retryStrategy ? { retryStrategy: structuredClone(input.retryStrategy) } : {}),
      containerProperties: { ...structuredClone(props), command },
      ...(input.timeout ? { timeout: { ...input.timeout } } : {}),
      tags: checkTags(input.tags, 'tags'),
      ...(input.propagateTags !== undefined ? { propagateTags: input.propagateTags } : {}),
      platformCapabilities: input.platformCapabilities ?? ['EC2'],
      containerOrchestrationType: 'ECS'
    }
    this.#o.store.put(COLLECTION.definition, `${name}:${revision}`, definition, 0)
    revisions.push(definition)
    this.#definitions.set(name, revisions)
    return structuredClone(definition)
  }

  deregisterJobDefinition(reference: string): void {
    const def = this.#definition(reference, 'jobDefinition')
    const key = `${def.jobDefinitionName}:${def.revision}`
    const inactive: JobDefinition = { ...def, status: 'INACTIVE' }
    this.#o.store.put(COLLECTION.definition, key, inactive, this.#o.store.get(COLLECTION.definition, key)?.version ?? 0)
    this.#definitions.get(def.jobDefinitionName)![def.revision - 1] = inactive
  }

  describeJobDefinitions(filter: { jobDefinitionName?: string; status?: 'ACTIVE' | 'INACTIVE' } = {}): JobDefinition[] {
    const out: JobDefinition[] = []
    for (const [name, revisions] of this.#definitions) {
      if (filter.jobDefinitionName !== undefined && name !== filter.jobDefinitionName) continue
      for (const d of revisions) if (filter.status === undefined || d.status === filter.status) out.push(structuredClone(d))
    }
    return out
  }

  #checkTimeout(timeout: { attemptDurationSeconds?: number } | undefined, field: string): number | undefined {
    if (timeout?.attemptDurationSeconds === undefined) return undefined
    return checkInteger(timeout.attemptDurationSeconds, `${field}.attemptDurationSeconds`, LIMITS.minTimeoutSeconds, 14 * 24 * 3600)
  }

  /** name (latest ACTIVE revision), name:revision, or an ARN. */
  #definition(reference: unknown, field: string): JobDefinition {
    if (typeof reference !== 'string' || reference.length === 0) throw clientError(field, 'must name a job definition')
    const plain = arn.nameFromArn(reference, 'job-definition')
    const [name, rev] = plain.split(':')
    const revisions = this.#definitions.get(name)
    const def = rev === undefined ? revisions?.filter((d) => d.status === 'ACTIVE').at(-1) : revisions?.[Number(rev) - 1]
    if (def === undefined || (rev !== undefined && String(def.revision) !== rev)) {
      throw new NotFoundError('ClientException', `${field}: job definition ${reference} does not exist`, { field })
    }
    return def
  }

  // ==== jobs: submit ==========================================================================

  submitJob(input: SubmitJobInput): { jobId: string; jobName: string; jobArn: string } {
    const jobName = checkName(input?.jobName, 'jobName')
    const queue = this.#queue(input.jobQueue, 'jobQueue')
    const definition = this.#definition(input.jobDefinition, 'jobDefinition')
    if (definition.status !== 'ACTIVE') throw clientError('jobDefinition', `${definition.jobDefinitionArn} is INACTIVE`)
    const size = input.arrayProperties === undefined
      ? undefined
      : checkInteger(input.arrayProperties?.size, 'arrayProperties.size', LIMITS.arraySizeMin, LIMITS.arraySizeMax)
    const overrides = input.containerOverrides ?? {}
    const props = definition.containerProperties
    const vcpus = checkVcpus(resource(overrides.resourceRequirements, 'VCPU') ?? overrides.vcpus ?? resource(props.resourceRequirements, 'VCPU') ?? props.vcpus, 'vcpus')
    const memory = checkMemory(resource(overrides.resourceRequirements, 'MEMORY') ?? overrides.memory ?? resource(props.resourceRequirements, 'MEMORY') ?? props.memory, 'memory')
    const gpus = checkInteger(resource(overrides.resourceRequirements, 'GPU') ?? resource(props.resourceRequirements, 'GPU') ?? 0, 'gpus', 0, 1024)
    const parameters = { ...definition.parameters, ...checkStringRecord(input.parameters, 'parameters') }
    const rawCommand = overrides.command !== undefined ? checkCommand(overrides.command, 'containerOverrides.command') : props.command ?? []
    const command = rawCommand.map((arg) => arg.replace(/Ref::([A-Za-z0-9_-]+)/g, (whole, key: string) => parameters[key] ?? whole))
    const environment = { ...fromEnvList(props.environment, 'containerProperties.environment'), ...fromEnvList(overrides.environment, 'containerOverrides.environment') }
    validateRetryStrategy(input.retryStrategy, 'retryStrategy')
    const retryStrategy = input.retryStrategy ?? definition.retryStrategy
    const timeoutSeconds = this.#checkTimeout(input.timeout, 'timeout') ?? definition.timeout?.attemptDurationSeconds
    const tags = checkTags(input.tags, 'tags')
    // A job bigger than anything its queue can ever run is refused now, not left RUNNABLE forever.
    const demand: NodeDemand = { cpu: Math.round(vcpus * 1000), memory, gpu: gpus }
    if (!queue.environments.some((ce) => ce.canEverHold(demand))) {
      const largest = queue.environments.map((ce) => ce.largestType()).filter((t) => t !== undefined).sort((a, b) => b!.vcpus - a!.vcpus)[0]
      throw new LimitExceededError('ClientException',
        `resources: the job needs ${vcpus} vCPUs, ${memory} MiB and ${gpus} GPUs; no compute environment of ${queue.detail.jobQueueName} can ever hold that` +
        (largest ? ` (largest instance: ${largest.name}, ${largest.vcpus} vCPUs, ${largest.memory} MiB, ${largest.gpus} GPUs)` : ''),
        { field: 'resources', limit: largest ? `${largest.vcpus} vCPUs / ${largest.memory} MiB / ${largest.gpus} GPUs` : undefined })
    }
    const dependsOn = this.#checkDependencies(input.dependsOn, size)
    // Valid: store it.
    const jobId = randomUUID()
    const job = new JobRecord({
      seq: ++this.#seq, jobId, jobName, jobArn: arn.jobArn(this.#p, jobId), queue, definition, createdAt: this.#o.clock.now(),
      parameters, command, environment, image: props.image, vcpus, memory, gpus, retryStrategy, timeoutSeconds,
      dependsOn: dependsOn.map((d) => ({ ...(d.target ? { jobId: d.target.jobId } : {}), ...(d.entry.type ? { type: d.entry.type } : {}) })),
      tags, propagateTags: input.propagateTags ?? definition.propagateTags, children: size === undefined ? undefined : new ArrayChildren(size)
    })
    this.#jobs.set(jobId, job)
    for (const { entry, target } of dependsOn) {
      if (entry.type === 'SEQUENTIAL') {
        for (let i = 1; i < size!; i++) job.children!.pending[i]++
        continue
      }
      const t = target!
      if (entry.type === 'N_TO_N') {
        t.dependants.push({ job, type: 'N_TO_N' })
        for (let i = 0; i < size!; i++) if (t.children!.status[i] !== S_SUCCEEDED) job.children!.pending[i]++
        continue
      }
      if (t.status === S_FAILED) job.dependencyFailed = true
      else if (t.status !== S_SUCCEEDED) {
        job.pendingJobDeps++
        t.dependants.push({ job, type: 'JOB' })
      }
    }
    queueMicrotask(() => this.#evaluate(job))
    return { jobId, jobName, jobArn: job.jobArn }
  }

  #checkDependencies(list: JobDependency[] | undefined, size: number | undefined): Array<{ entry: JobDependency; target: JobRecord | undefined }> {
    if (list === undefined) return []
    if (!Array.isArray(list)) throw clientError('dependsOn', 'must be an array')
    if (list.length > LIMITS.dependsOn) {
      throw new LimitExceededError('ClientException', `dependsOn: a job may have up to ${LIMITS.dependsOn} dependencies, got ${list.length}`, { field: 'dependsOn', limit: LIMITS.dependsOn })
    }
    return list.map((entry, i) => {
      const at = `dependsOn[${i}]`
      const type = entry?.type
      if (type !== undefined && type !== 'N_TO_N' && type !== 'SEQUENTIAL') throw clientError(`${at}.type`, `must be N_TO_N or SEQUENTIAL, got ${String(type)}`)
      if (type !== undefined && size === undefined) throw clientError(`${at}.type`, `${type} dependencies are for array jobs only`)
      if (type === 'SEQUENTIAL') {
        if (entry.jobId !== undefined && entry.jobId !== '') throw clientError(`${at}.jobId`, 'a SEQUENTIAL dependency names no job: it orders the children of this array')
        return { entry, target: undefined }
      }
      const target = typeof entry?.jobId === 'string' ? this.#jobs.get(entry.jobId) : undefined
      if (target === undefined) throw new NotFoundError('ClientException', `${at}.jobId: job ${String(entry?.jobId)} does not exist`, { field: `${at}.jobId` })
      if (type === 'N_TO_N') {
        if (!target.isArray) throw clientError(`${at}.jobId`, `N_TO_N needs an array job to depend on; ${target.jobId} is not one`)
        if (target.children!.size !== size) {
          throw clientError(`${at}.jobId`, `N_TO_N needs arrays of equal size: this job has ${size} children, ${target.jobId} has ${target.children!.size}`, target.children!.size)
        }
      }
      return { entry, target }
    })
  }

  /** SUBMITTED → PENDING or RUNNABLE (the scheduler's first look at a job). */
  #evaluate(job: JobRecord): void {
    if (!this.#jobs.has(job.jobId) || job.status !== S_SUBMITTED) return
    const children = job.children
    if (job.dependencyFailed) {
      this.#failJob(job, DEPENDENCY_REASON)
      return
    }
    if (children === undefined) {
      this.#setJobStatus(job, job.pendingJobDeps > 0 ? S_PENDING : S_RUNNABLE)
      if (job.pendingJobDeps === 0) this.#enqueue(job)
      return
    }
    this.#setJobStatus(job, S_PENDING)
    for (let i = 0; i < children.size; i++) this.#setChildStatus(job, i, S_PENDING)
    // Children whose N_TO_N counterpart already failed fail now (and take their SEQUENTIAL successors along).
    for (const dep of job.dependsOn) {
      if (dep.type !== 'N_TO_N') continue
      const target = dep.jobId === undefined ? undefined : this.#jobs.get(dep.jobId)
      if (target?.children === undefined) continue
      for (let i = 0; i < children.size; i++) if (target.children.status[i] === S_FAILED) this.#failChild(job, i, DEPENDENCY_REASON)
    }
    if (job.pendingJobDeps === 0) this.#releaseChildren(job)
  }

  /** Children with nothing outstanding become RUNNABLE (whole-job dependencies are met). */
  #releaseChildren(job: JobRecord): void {
    const c = job.children!
    let allFree = true
    for (let i = 0; i < c.size; i++) if (c.pending[i] !== 0 || c.status[i] !== S_PENDING) { allFree = false; break }
    if (allFree) {
      for (let i = 0; i < c.size; i++) this.#setChildStatus(job, i, S_RUNNABLE)
      c.runnable.addRange(0, c.size)
    } else {
      for (let i = 0; i < c.size; i++) {
        if (c.pending[i] === 0 && c.status[i] === S_PENDING) {
          this.#setChildStatus(job, i, S_RUNNABLE)
          c.runnable.add(i)
        }
      }
    }
    this.#enqueue(job)
  }

  #enqueue(job: JobRecord): void {
    if (!job.inRunnable) {
      const q = job.queue
      const last = q.runnable.at(-1)
      if (last !== undefined && last.seq > job.seq) q.sorted = false
      q.runnable.push(job)
      job.inRunnable = true
    }
    this.#kick()
  }

  // ==== state changes =======================================================================

  #setJobStatus(job: JobRecord, status: number, reason?: string): void {
    job.status = status
    if (reason !== undefined) job.statusReason = reason
    const now = this.#o.clock.now()
    if (status === S_RUNNING && job.startedAt === undefined) job.startedAt = now
    if (status === S_SUCCEEDED || status === S_FAILED) {
      job.stoppedAt = now
      this.#finished(job)
    }
    this.#emit(job, -1)
  }

  #setChildStatus(job: JobRecord, index: number, status: number, reason?: string): void {
    const c = job.children!
    c.setStatus(index, status)
    if (reason !== undefined) c.extraOf(index).statusReason = reason
    const now = this.#o.clock.now()
    if (status === S_RUNNING) {
      c.startedAt[index] = now
      if (job.startedAt === undefined) job.startedAt = now
    }
    if (status === S_SUCCEEDED || status === S_FAILED) {
      c.stoppedAt[index] = now
      const waiting = job.childWaiters.get(index)
      if (waiting !== undefined) {
        job.childWaiters.delete(index)
        for (const resolve of waiting) resolve()
      }
    }
    this.#emit(job, index)
    if (status === S_SUCCEEDED) this.#childSucceeded(job, index)
    if ((status === S_SUCCEEDED || status === S_FAILED) && c.counts[S_SUCCEEDED] + c.counts[S_FAILED] === c.size) {
      // A parent failed as a whole (dependency failed, cancelled, terminated) keeps that reason.
      this.#setJobStatus(job, c.counts[S_FAILED] > 0 ? S_FAILED : S_SUCCEEDED, c.counts[S_FAILED] > 0 ? job.statusReason ?? 'Array Child Job failed' : undefined)
    }
  }

  #emit(job: JobRecord, child: number): void {
    const bus = this.#o.events
    if (!bus.wants(BATCH_SOURCE, JOB_STATE_CHANGE)) return
    const detail = this.#detail(job, child)
    bus.publish(BATCH_SOURCE, JOB_STATE_CHANGE, [detail.jobArn], detail)
  }

  /** A single job or an array parent reached SUCCEEDED or FAILED. */
  #finished(job: JobRecord): void {
    // A finished job stays in its queue's runnable list until the next round drops it (no O(n) removal here).
    const succeeded = job.status === S_SUCCEEDED
    for (const d of job.dependants) {
      if (d.type !== 'JOB') continue
      if (succeeded) {
        if (--d.job.pendingJobDeps === 0 && d.job.status === S_PENDING) {
          if (d.job.isArray) this.#releaseChildren(d.job)
          else {
            this.#setJobStatus(d.job, S_RUNNABLE)
            this.#enqueue(d.job)
          }
        }
      } else if (d.job.status === S_SUBMITTED) {
        d.job.dependencyFailed = true
      } else {
        this.#failJob(d.job, DEPENDENCY_REASON)
      }
    }
    this.#o.clock.clearTimeout(job.purge)
    job.purge = this.#o.clock.setTimeout(() => this.#forget(job), this.#o.retentionMs)
    for (const resolve of job.waiters.splice(0)) resolve()
  }

  #childSucceeded(job: JobRecord, index: number): void {
    const c = job.children!
    for (const d of job.dependants) {
      if (d.type !== 'N_TO_N') continue
      this.#releaseOneChild(d.job, index)
    }
    if (job.dependsOn.some((dep) => dep.type === 'SEQUENTIAL') && index + 1 < c.size) this.#releaseOneChild(job, index + 1)
  }

  #releaseOneChild(job: JobRecord, index: number): void {
    const c = job.children!
    if (c.pending[index] > 0) c.pending[index]--
    if (c.pending[index] === 0 && job.pendingJobDeps === 0 && c.status[index] === S_PENDING) {
      this.#setChildStatus(job, index, S_RUNNABLE)
      c.runnable.add(index)
      this.#enqueue(job)
    }
  }

  /** Fails a child that has not started (dependency failed, cancelled) and what waits on it. */
  #failChild(job: JobRecord, index: number, reason: string): void {
    const stack: Array<[JobRecord, number]> = [[job, index]]
    while (stack.length > 0) {
      const [j, i] = stack.pop()!
      const c = j.children!
      const s = c.status[i]
      if (s === S_SUCCEEDED || s === S_FAILED || s === S_STARTING || s === S_RUNNING) continue
      if (s === S_RUNNABLE) c.runnable.remove(i)
      this.#setChildStatus(j, i, S_FAILED, reason)
      for (const d of j.dependants) if (d.type === 'N_TO_N') stack.push([d.job, i])
      if (j.dependsOn.some((dep) => dep.type === 'SEQUENTIAL') && i + 1 < c.size) stack.push([j, i + 1])
    }
  }

  /** Fails every part of a job that has not started; running parts finish on their own. */
  #failJob(job: JobRecord, reason: string): void {
    if (job.status === S_SUCCEEDED || job.status === S_FAILED) return
    const c = job.children
    if (c === undefined) {
      if (job.status === S_STARTING || job.status === S_RUNNING) return
      this.#setJobStatus(job, S_FAILED, reason)
      return
    }
    if (job.status === S_SUBMITTED) {
      this.#setJobStatus(job, S_PENDING)
      for (let i = 0; i < c.size; i++) this.#setChildStatus(job, i, S_PENDING)
    }
    job.statusReason = reason
    for (let i = 0; i < c.size && this.#jobs.has(job.jobId); i++) this.#failChild(job, i, reason)
  }

  #forget(job: JobRecord): void {
    this.#o.clock.clearTimeout(job.purge)
    this.#jobs.delete(job.jobId)
    // Whoever still waits learns the job is gone (waitFor then throws NotFound).
    for (const resolve of job.waiters.splice(0)) resolve()
    for (const list of job.childWaiters.values()) for (const resolve of list) resolve()
    job.childWaiters.clear()
    if (job.inRunnable) {
      const q = job.queue
      q.runnable = q.runnable.slice(q.head).filter((j) => j !== job)
      q.head = 0
    }
  }

  // ==== dispatch ===============================================================================

  /** Schedules one dispatch round (coalesced: many changes, one round). */
  #kick(): void {
    if (this.#roundScheduled || this.#closed) return
    this.#roundScheduled = true
    // Under load (a round ran less than ROUND_GAP_MS ago), wait out the gap so one round takes
    // many changes at once: fewer placements, fewer writes to the launcher, at most 2 ms later.
    const since = performance.now() - this.#lastRound
    if (since < ROUND_GAP_MS) setTimeout(() => this.#round(), ROUND_GAP_MS - since)
    else setImmediate(() => this.#round())
  }

  /**
   * One round: for each usable compute environment, the runnable work of the
   * queues that use it, in dispatch order (queue priority, the environment's
   * place in the queue, submission), is placed on its instances by the core;
   * what fits starts, what does not waits (and ages); a managed environment
   * launches instances for what did not fit and the round repeats.
   */
  #round(): void {
    this.#roundScheduled = false
    if (this.#closed) return
    this.rounds++
    let again = false
    const waited = new Set<JobRecord>()
    const placed = new Set<JobRecord>()
    const environments = [...this.#ces.values()].filter((ce) => ce.usable)
    const rank = (ce: ComputeEnvironmentState) => Math.min(...[...this.#queues.values()].map((q) => {
      const at = q.environments.indexOf(ce)
      return at < 0 ? Infinity : at
    }))
    environments.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name))
    for (const ce of environments) {
      if (this.#dispatch(ce, waited, placed)) again = true
    }
    for (const job of waited) if (!placed.has(job)) job.waitRounds++
    for (const job of placed) if (!waited.has(job)) job.waitRounds = 0
    this.#lastRound = performance.now()
    if (again) this.#kick()
  }

  /** Places runnable work on one environment; true when instances were launched (run again). */
  #dispatch(ce: ComputeEnvironmentState, waited: Set<JobRecord>, placed: Set<JobRecord>): boolean {
    const queues = [...this.#queues.values()]
      .filter((q) => q.detail.state === 'ENABLED' && q.detail.status === 'VALID' && q.environments.includes(ce))
      .sort((a, b) => b.detail.priority - a.detail.priority)
    if (queues.length === 0) return false
    const nodes = [...ce.nodes.values()]
    let freeCpu = 0
    for (const n of nodes) freeCpu += n.totalCpu - n.usedCpu
    const r = ce.detail.computeResources
    const headroomCpu = ce.managed && r ? Math.max(0, r.maxvCpus * 1000 - ce.vcpus() * 1000) : 0
    // Gather candidates: enough demand to fill what is free (and what may be launched).
    const budget = (freeCpu + headroomCpu) * 1.25 + 1
    const tasks: Array<{ job: JobRecord; child: number }> = []
    const priority: number[] = []
    const envOrder: number[] = []
    const sequence: number[] = []
    for (const q of queues) {
      if (!q.sorted) {
        q.runnable = q.runnable.slice(q.head).sort((a, b) => a.seq - b.seq)
        q.head = 0
        q.sorted = true
      }
      // Jobs with nothing runnable leave from the front (no scan of the whole list per round).
      while (q.head < q.runnable.length && q.runnable[q.head].runnableCount() === 0) q.runnable[q.head++].inRunnable = false
      if (q.head > 1024 && q.head * 2 > q.runnable.length) {
        q.runnable = q.runnable.slice(q.head)
        q.head = 0
      }
      let demand = 0
      const order = q.environments.indexOf(ce)
      for (let at = q.head; at < q.runnable.length; at++) {
        const job = q.runnable[at]
        if (tasks.length >= this.#o.maxDispatch || demand > budget) break
        if (job.runnableCount() === 0) continue
        const cpu = Math.round(job.vcpus * 1000)
        const room = Math.max(1, Math.min(this.#o.maxDispatch - tasks.length, Math.ceil((budget - demand) / Math.max(cpu, 1))))
        const children = job.children === undefined ? (job.status === S_RUNNABLE && job.live === undefined ? [-1] : []) : job.children.runnable.take(room)
        for (const child of children) {
          tasks.push({ job, child })
          priority.push(q.detail.priority)
          envOrder.push(order)
          sequence.push(job.seq)
          demand += cpu
        }
      }
    }
    if (tasks.length === 0) return false
    const core = this.#o.scheduler.core
    // Candidates of one queue are already in dispatch order; several queues are merged by the core.
    const order = queues.length === 1
      ? Int32Array.from({ length: tasks.length }, (_, i) => i)
      : core.orderJobs(Int32Array.from(priority), Int32Array.from(envOrder), Int32Array.from(sequence))
    const batch = this.#batchFor(ce, nodes.length, tasks.length)
    const unplaced: Array<{ job: JobRecord; child: number }> = []
    const cols = batch.nodes
    nodes.forEach((n, i) => {
      cols.totalCpu[i] = n.totalCpu
      cols.totalMemory[i] = n.totalMemory
      cols.totalGpu[i] = n.totalGpu
      cols.freeCpu[i] = n.totalCpu - n.usedCpu
      cols.freeMemory[i] = n.totalMemory - n.usedMemory
      cols.freeGpu[i] = n.totalGpu - n.usedGpu
      cols.tasks[i] = n.running
    })
    const t = batch.tasks
    for (let k = 0; k < order.length; k++) {
      const { job } = tasks[order[k]]
      t.cpu[k] = Math.round(job.vcpus * 1000)
      t.memory[k] = job.memory
      t.gpu[k] = job.gpus
      t.strategy[k] = abi.STRATEGY_BESTFIT
      t.wait[k] = job.waitRounds
    }
    batch.taskCount = tasks.length
    batch.useWait = true
    batch.agingRounds = this.#o.agingRounds
    core.place(batch)
    const plan = batch.plan
    for (let k = 0; k < order.length; k++) {
      const task = tasks[order[k]]
      if (plan.reason[k] === abi.REASON_PLACED) {
        placed.add(task.job)
        this.#startAttempt(task.job, task.child, ce, nodes[plan.node[k]])
      } else {
        waited.add(task.job)
        unplaced.push(task)
      }
    }
    // Not placed: back to the front of their job's queue, in order.
    const back = new Map<JobRecord, number[]>()
    for (const { job, child } of unplaced) {
      if (child < 0) continue
      let list = back.get(job)
      if (list === undefined) back.set(job, (list = []))
      list.push(child)
    }
    for (const [job, children] of back) job.children!.runnable.putBack(children.sort((a, b) => a - b))
    if (unplaced.length === 0 || !ce.managed || r === undefined) return false
    const demands = unplaced.map(({ job }) => ({ cpu: Math.round(job.vcpus * 1000), memory: job.memory, gpu: job.gpus }))
    let launch = planScaleOut(this.#o.scheduler, ce, demands, r.maxvCpus - ce.vcpus())
    if (launch.length === 0 && this.#releaseIdle(ce)) {
      // Idle instances that could take none of the waiting work held the room under maxvCpus: freed now.
      launch = planScaleOut(this.#o.scheduler, ce, demands, r.maxvCpus - ce.vcpus())
    }
    for (const type of launch) this.#launch(ce, type)
    if (launch.length > 0) r.desiredvCpus = Math.max(r.minvCpus, ce.vcpus())
    return launch.length > 0
  }

  /**
   * Scale-in on demand: removes the managed instances that run nothing (they
   * just failed to take the waiting work) down to minvCpus, without waiting for
   * their idle time. True when any went.
   */
  #releaseIdle(ce: ComputeEnvironmentState): boolean {
    const r = ce.detail.computeResources
    if (r === undefined) return false
    let released = false
    for (const node of [...ce.nodes.values()]) {
      if (!node.managed || node.running > 0 || ce.vcpus() - node.totalCpu / 1000 < r.minvCpus) continue
      this.#o.clock.clearTimeout(node.idleTimer as never)
      ce.removeNode(node.id)
      released = true
    }
    return released
  }

  /** The environment's reusable batch, reallocated when its node count changes or tasks outgrow it. */
  #batchFor(ce: ComputeEnvironmentState, nodes: number, tasks: number): PlacementBatch {
    const core = this.#o.scheduler.core
    let batch = this.#batches.get(ce)
    if (batch === undefined || batch.shape.nodes !== nodes || batch.shape.tasks < tasks) {
      if (batch !== undefined) core.release(batch)
      let capacity = 64
      while (capacity < tasks) capacity *= 2
      batch = core.allocate({ nodes, tasks: capacity })
      this.#batches.set(ce, batch)
    }
    return batch
  }

  // ==== attempts ================================================================================

  #logStreamName(job: JobRecord, child: number, attempt: number): string {
    return `${job.definition.jobDefinitionName}/default/${job.jobId}${child >= 0 ? `-${child}` : ''}-${attempt}`
  }

  #startAttempt(job: JobRecord, child: number, ce: ComputeEnvironmentState, node: VirtualNode): void {
    const c = job.children
    const attempt = c ? ++c.attempts[child] : ++job.attemptCount
    node.usedCpu += Math.round(job.vcpus * 1000)
    node.usedMemory += job.memory
    node.usedGpu += job.gpus
    node.running++
    if (node.idleTimer !== undefined) {
      this.#o.clock.clearTimeout(node.idleTimer as never)
      node.idleTimer = undefined
    }
    const id = child >= 0 ? `${job.jobId}:${child}` : job.jobId
    const live: LiveAttempt = {
      job, child, attempt, runId: `${id}#${attempt}`, node, environment: ce,
      logStreamName: this.#logStreamName(job, child, attempt), running: false, startedAt: 0, timeout: undefined, stoppedFor: undefined
    }
    this.#live.set(live.runId, live)
    this.#starting++
    if (c) {
      job.liveChildren.set(child, live)
      this.#setChildStatus(job, child, S_STARTING)
    } else {
      job.live = live
      this.#setJobStatus(job, S_STARTING)
    }
    const env: Record<string, string> = {
      ...job.environment,
      AWS_BATCH_JOB_ID: id,
      AWS_BATCH_JOB_ATTEMPT: String(attempt),
      AWS_BATCH_JQ_NAME: job.queue.detail.jobQueueName,
      AWS_BATCH_CE_NAME: ce.name
    }
    if (c) {
      env.AWS_BATCH_JOB_ARRAY_INDEX = String(child)
      env.AWS_BATCH_JOB_ARRAY_SIZE = String(c.size)
    }
    this.#o.runner.start({
      id: live.runId,
      command: job.command,
      env,
      image: job.image,
      vcpus: job.vcpus,
      memoryMiB: job.memory,
      gpus: job.gpus,
      logPath: this.#o.logs.pathOf(live.logStreamName),
      workDir: join(this.#o.workRoot, job.jobId, child >= 0 ? String(child) : '-', String(attempt))
    }, {
      running: (at) => this.#attemptRunning(live, at),
      exited: (exit) => this.#attemptEnded(live, exit, undefined),
      failed: (error) => this.#attemptEnded(live, undefined, error)
    })
  }

  #attemptRunning(live: LiveAttempt, at: number): void {
    if (this.#live.get(live.runId) !== live) return
    this.#starting--
    live.running = true
    live.startedAt = at
    const { job, child } = live
    if (child >= 0) this.#setChildStatus(job, child, S_RUNNING)
    else this.#setJobStatus(job, S_RUNNING)
    if (live.stoppedFor !== undefined) {
      this.#o.runner.kill(live.runId, this.#killOptions())
      return
    }
    if (job.timeoutSeconds !== undefined) {
      live.timeout = this.#o.clock.setTimeout(() => this.#stop(live, 'timeout', TIMEOUT_REASON), job.timeoutSeconds * 1000)
    }
  }

  #killOptions(): { graceMs?: number } {
    return this.#o.killGraceMs === undefined ? {} : { graceMs: this.#o.killGraceMs }
  }

  #stop(live: LiveAttempt, kind: 'timeout' | 'terminate', reason: string): void {
    if (this.#live.get(live.runId) !== live || live.stoppedFor !== undefined) return
    live.stoppedFor = { kind, reason }
    this.#o.runner.kill(live.runId, this.#killOptions())
  }

  #attemptEnded(live: LiveAttempt, exit: RunExit | undefined, error: Error | undefined): void {
    if (this.#live.get(live.runId) !== live) return
    this.#live.delete(live.runId)
    if (!live.running) this.#starting--
    this.#o.clock.clearTimeout(live.timeout)
    const { job, child, node, environment } = live
    node.usedCpu -= Math.round(job.vcpus * 1000)
    node.usedMemory -= job.memory
    node.usedGpu -= job.gpus
    node.running--
    if (node.running === 0) this.#nodeIdle(environment, node)
    if (child >= 0) job.liveChildren.delete(child)
    else job.live = undefined
    const now = this.#o.clock.now()
    const exitCode = exit === undefined ? undefined : exit.exitCode ?? 128 + (osConstants.signals[exit.signal ?? 'SIGKILL'] ?? osConstants.signals.SIGKILL)
    const reason = error !== undefined ? `CannotStartContainerError: ${error.message}` : exit?.oomKilled ? OOM_REASON : undefined
    const statusReason = live.stoppedFor?.reason ?? (error !== undefined ? 'Task failed to start' : EXITED_REASON)
    // Built only when kept: a child whose first attempt succeeds is stored compactly.
    const attemptDetail = (): AttemptDetail => ({
      container: {
        ...(exitCode !== undefined ? { exitCode } : {}),
        ...(reason !== undefined ? { reason } : {}),
        logStreamName: live.logStreamName,
        containerInstanceArn: node.containerInstanceArn,
        taskArn: this.#taskArn(environment, live.runId)
      },
      startedAt: live.running ? live.startedAt : undefined,
      stoppedAt: now,
      statusReason
    })
    const succeeded = exitCode === 0 && live.stoppedFor === undefined
    const retry = !succeeded && live.stoppedFor === undefined &&
      shouldRetry(job.retryStrategy, live.attempt, { exitCode, reason, statusReason })
    const c = job.children
    if (c !== undefined) {
      c.exitCode[child] = exitCode ?? NO_EXIT
      // A first attempt that succeeds is kept compactly (describe rebuilds it): no reason stored, or the child gets an extra with no attempts.
      const compact = succeeded && live.attempt === 1 && !c.extra.has(child)
      if (!compact) c.extraOf(child).attempts.push(attemptDetail())
      if (succeeded) this.#setChildStatus(job, child, S_SUCCEEDED, compact ? undefined : statusReason)
      else if (retry && !job.isTerminated && c.extra.get(child)?.isTerminated !== true) {
        this.#setChildStatus(job, child, S_RUNNABLE)
        c.runnable.add(child)
        this.#enqueue(job)
      } else {
        this.#setChildStatus(job, child, S_FAILED, statusReason)
        this.#failDependantsOfChild(job, child)
      }
    } else {
      job.attempts.push(attemptDetail())
      if (succeeded) this.#setJobStatus(job, S_SUCCEEDED, statusReason)
      else if (retry && !job.isTerminated) {
        this.#setJobStatus(job, S_RUNNABLE, statusReason)
        this.#enqueue(job)
      } else this.#setJobStatus(job, S_FAILED, statusReason)
    }
    this.#kick()
  }

  /** ECS-style task ARN of an attempt: task/<cluster>/<32 hex digits>, the same for the same attempt. */
  #taskArn(environment: ComputeEnvironmentState, runId: string): string {
    const cluster = environment.detail.ecsClusterArn.slice(environment.detail.ecsClusterArn.indexOf('/') + 1)
    return `arn:aws:ecs:${this.#p.region}:${this.#p.accountId}:task/${cluster}/${createHash('md5').update(runId).digest('hex')}`
  }

  #failDependantsOfChild(job: JobRecord, index: number): void {
    for (const d of job.dependants) if (d.type === 'N_TO_N') this.#failChild(d.job, index, DEPENDENCY_REASON)
    if (job.dependsOn.some((dep) => dep.type === 'SEQUENTIAL') && index + 1 < job.children!.size) this.#failChild(job, index + 1, DEPENDENCY_REASON)
  }

  // ==== cancel, terminate ===========================================================================

  /** Cancels what has not started (SUBMITTED, PENDING, RUNNABLE); STARTING and RUNNING work is not affected, as on AWS. */
  cancelJob(jobId: string, reason: string): void {
    const { job, child } = this.#resolveJob(jobId, 'jobId')
    if (typeof reason !== 'string' || reason.length === 0) throw clientError('reason', 'is required')
    // Only what has not started is cancelled (AWS: the call succeeds either way); only that says isCancelled.
    const c = job.children
    const waiting = (status: number) => status <= S_RUNNABLE
    if (c === undefined) {
      if (waiting(job.status)) job.isCancelled = true
    } else if (child >= 0) {
      if (waiting(c.status[child])) c.extraOf(child).isCancelled = true
    } else if (c.counts[S_SUBMITTED] + c.counts[S_PENDING] + c.counts[S_RUNNABLE] > 0) {
      job.isCancelled = true
    }
    this.#cancel(job, child, reason)
  }

  /** Terminates: running attempts are stopped (SIGTERM, then SIGKILL) and not retried; the rest is cancelled. */
  terminateJob(jobId: string, reason: string): void {
    const { job, child } = this.#resolveJob(jobId, 'jobId')
    if (typeof reason !== 'string' || reason.length === 0) throw clientError('reason', 'is required')
    // Terminating one child leaves its siblings (and their retries) alone.
    if (child < 0) job.isTerminated = true
    else job.children!.extraOf(child).isTerminated = true
    this.#cancel(job, child, reason)
    if (job.children === undefined) {
      if (job.live) this.#stop(job.live, 'terminate', reason)
    } else {
      for (const [i, live] of job.liveChildren) if (child < 0 || child === i) this.#stop(live, 'terminate', reason)
    }
  }

  #cancel(job: JobRecord, child: number, reason: string): void {
    const c = job.children
    if (c === undefined) {
      if (job.status <= S_RUNNABLE) this.#failJob(job, reason)
      return
    }
    if (job.status === S_SUBMITTED) {
      if (child >= 0) {
        // One child of an array not yet evaluated: evaluate it now, so its siblings are released as usual.
        this.#evaluate(job)
      } else {
        this.#setJobStatus(job, S_PENDING)
        for (let i = 0; i < c.size; i++) this.#setChildStatus(job, i, S_PENDING)
      }
    }
    if (child >= 0) this.#failChild(job, child, reason)
    else {
      if (job.status !== S_SUCCEEDED && job.status !== S_FAILED) job.statusReason = reason
      for (let i = 0; i < c.size && this.#jobs.has(job.jobId); i++) this.#failChild(job, i, reason)
    }
  }

  #resolveJob(id: unknown, field: string): { job: JobRecord; child: number } {
    if (typeof id !== 'string') throw clientError(field, 'must be a job id')
    const colon = id.lastIndexOf(':')
    const base = colon > 0 && /^\d+$/.test(id.slice(colon + 1)) ? id.slice(0, colon) : id
    const job = this.#jobs.get(base)
    const child = base === id ? -1 : Number(id.slice(colon + 1))
    if (job === undefined || (child >= 0 && (job.children === undefined || child >= job.children.size))) {
      throw new NotFoundError('ClientException', `${field}: job ${id} does not exist`, { field })
    }
    return { job, child }
  }

  // ==== reads ==========================================================================================

  /** DescribeJobs: unknown ids are left out, as on AWS. */
  describeJobs(jobIds: string[]): JobDetail[] {
    const out: JobDetail[] = []
    for (const id of jobIds) {
      try {
        const { job, child } = this.#resolveJob(id, 'jobIds')
        out.push(this.#detail(job, child))
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error
      }
    }
    return out
  }

  #detail(job: JobRecord, child: number): JobDetail {
    const c = job.children
    const status = JOB_STATUSES[child >= 0 ? c!.status[child] : job.status]
    const container = {
      ...(job.image ? { image: job.image } : {}),
      command: [...job.command],
      environment: toEnvList(job.environment),
      resourceRequirements: [
        { type: 'VCPU' as const, value: String(job.vcpus) },
        { type: 'MEMORY' as const, value: String(job.memory) },
        ...(job.gpus > 0 ? [{ type: 'GPU' as const, value: String(job.gpus) }] : [])
      ],
      vcpus: job.vcpus,
      memory: job.memory
    }
    const detail: JobDetail = {
      jobArn: child >= 0 ? `${job.jobArn}:${child}` : job.jobArn,
      jobName: job.jobName,
      jobId: child >= 0 ? `${job.jobId}:${child}` : job.jobId,
      jobQueue: job.queue.detail.jobQueueArn,
      status,
      attempts: [],
      createdAt: job.createdAt,
      dependsOn: job.dependsOn.map((d) => ({ ...d })),
      jobDefinition: job.definition.jobDefinitionArn,
      parameters: { ...job.parameters },
      container,
      platformCapabilities: ['EC2'],
      ...(job.retryStrategy ? { retryStrategy: structuredClone(job.retryStrategy) } : {}),
      ...(job.timeoutSeconds !== undefined ? { timeout: { attemptDurationSeconds: job.timeoutSeconds } } : {}),
      ...(job.tags ? { tags: { ...job.tags } } : {}),
      ...(job.propagateTags !== undefined ? { propagateTags: job.propagateTags } : {}),
      ...(job.isCancelled ? { isCancelled: true } : {}),
      ...(job.isTerminated ? { isTerminated: true } : {})
    }
    if (c === undefined) {
      detail.attempts = job.attempts.map((a) => structuredClone(a))
      if (job.statusReason !== undefined) detail.statusReason = job.statusReason
      if (job.startedAt !== undefined) detail.startedAt = job.startedAt
      if (job.stoppedAt !== undefined) detail.stoppedAt = job.stoppedAt
      this.#containerFrom(detail, job.live, job.attempts.at(-1))
      return detail
    }
    if (child < 0) {
      detail.arrayProperties = { statusSummary: c.statusSummary(), size: c.size }
      if (job.statusReason !== undefined) detail.statusReason = job.statusReason
      if (job.startedAt !== undefined) detail.startedAt = job.startedAt
      if (job.stoppedAt !== undefined) detail.stoppedAt = job.stoppedAt
      return detail
    }
    detail.arrayProperties = { index: child }
    detail.dependsOn = this.#childDependsOn(job, child)
    const extra = c.extra.get(child)
    if (extra !== undefined) {
      detail.attempts = extra.attempts.map((a) => structuredClone(a))
      if (extra.statusReason !== undefined) detail.statusReason = extra.statusReason
      if (extra.isCancelled) detail.isCancelled = true
      if (extra.isTerminated) detail.isTerminated = true
    } else if (c.status[child] === S_SUCCEEDED) {
      detail.attempts = [{
        container: { exitCode: c.exitCode[child], logStreamName: this.#logStreamName(job, child, 1) },
        startedAt: c.startedAt[child], stoppedAt: c.stoppedAt[child], statusReason: EXITED_REASON
      }]
      detail.statusReason = EXITED_REASON
    }
    if (c.startedAt[child] > 0) detail.startedAt = c.startedAt[child]
    if (c.stoppedAt[child] > 0) detail.stoppedAt = c.stoppedAt[child]
    this.#containerFrom(detail, job.liveChildren.get(child), detail.attempts.at(-1))
    return detail
  }

  #containerFrom(detail: JobDetail, live: LiveAttempt | undefined, last: AttemptDetail | undefined): void {
    if (live !== undefined) {
      detail.container.logStreamName = live.logStreamName
      detail.container.containerInstanceArn = live.node.containerInstanceArn
      return
    }
    if (last === undefined) return
    if (last.container.exitCode !== undefined) detail.container.exitCode = last.container.exitCode
    if (last.container.reason !== undefined) detail.container.reason = last.container.reason
    if (last.container.logStreamName !== undefined) detail.container.logStreamName = last.container.logStreamName
    if (last.container.containerInstanceArn !== undefined) detail.container.containerInstanceArn = last.container.containerInstanceArn
  }

  #childDependsOn(job: JobRecord, child: number): JobDependency[] {
    const out: JobDependency[] = []
    for (const d of job.dependsOn) {
      if (d.type === 'N_TO_N') out.push({ jobId: `${d.jobId}:${child}`, type: 'N_TO_N' })
      else if (d.type === 'SEQUENTIAL') {
        if (child > 0) out.push({ jobId: `${job.jobId}:${child - 1}`, type: 'SEQUENTIAL' })
      } else out.push({ ...d })
    }
    return out
  }

  listJobs(input: ListJobsInput = {}): { jobSummaryList: JobSummary[]; nextToken?: string } {
    const max = input.maxResults === undefined ? 100 : checkInteger(input.maxResults, 'maxResults', 1, 1000)
    const start = input.nextToken === undefined ? 0 : Number.parseInt(Buffer.from(input.nextToken, 'base64url').toString(), 10)
    if (!Number.isInteger(start) || start < 0) throw clientError('nextToken', 'is not a token this API returned')
    if (input.jobStatus !== undefined && !JOB_STATUSES.includes(input.jobStatus)) throw clientError('jobStatus', `must be one of ${JOB_STATUSES.join(', ')}`)
    // Match first, then build summaries for the page alone: paging through a 10,000-child
    // array must not build every child's detail on every page.
    const matched: Array<[JobRecord, number]> = []
    const wanted = (status: JobStatus) => (input.jobStatus ?? (input.arrayJobId !== undefined || input.jobName !== undefined ? status : 'RUNNING')) === status
    if (input.arrayJobId !== undefined) {
      const job = this.#jobs.get(input.arrayJobId)
      if (job?.children === undefined) throw new NotFoundError('ClientException', `arrayJobId: ${input.arrayJobId} is not an array job`, { field: 'arrayJobId' })
      for (let i = 0; i < job.children.size; i++) {
        if (wanted(JOB_STATUSES[job.children.status[i]])) matched.push([job, i])
      }
    } else {
      if (input.jobQueue === undefined) throw clientError('jobQueue', 'is required (or arrayJobId)')
      const q = this.#queue(input.jobQueue, 'jobQueue')
      for (const job of this.#jobs.values()) {
        if (job.queue !== q || !wanted(JOB_STATUSES[job.status])) continue
        if (input.jobName !== undefined && !(input.jobName.endsWith('*') ? job.jobName.startsWith(input.jobName.slice(0, -1)) : job.jobName === input.jobName)) continue
        matched.push([job, -1])
      }
    }
    return {
      jobSummaryList: matched.slice(start, start + max).map(([job, child]) => this.#summary(this.#detail(job, child))),
      ...(start + max < matched.length ? { nextToken: Buffer.from(String(start + max)).toString('base64url') } : {})
    }
  }

  #summary(d: JobDetail): JobSummary {
    return {
      jobArn: d.jobArn, jobId: d.jobId, jobName: d.jobName, createdAt: d.createdAt, status: d.status,
      ...(d.statusReason !== undefined ? { statusReason: d.statusReason } : {}),
      ...(d.startedAt !== undefined ? { startedAt: d.startedAt } : {}),
      ...(d.stoppedAt !== undefined ? { stoppedAt: d.stoppedAt } : {}),
      ...(d.container.exitCode !== undefined || d.container.reason !== undefined ? { container: { exitCode: d.container.exitCode, reason: d.container.reason } } : {}),
      ...(d.arrayProperties ? { arrayProperties: { size: d.arrayProperties.size, index: d.arrayProperties.index } } : {}),
      jobDefinition: d.jobDefinition
    }
  }

  /** Resolves once the job (or child) is SUCCEEDED or FAILED; rejects if it is purged or unknown. */
  async waitFor(jobId: string): Promise<JobDetail> {
    const { job, child } = this.#resolveJob(jobId, 'jobId')
    for (;;) {
      const status = child >= 0 ? job.children!.status[child] : job.status
      if (status === S_SUCCEEDED || status === S_FAILED) return this.#detail(job, child)
      await new Promise<void>((resolve) => {
        if (child < 0) job.waiters.push(resolve)
        else {
          const list = job.childWaiters.get(child)
          if (list === undefined) job.childWaiters.set(child, [resolve])
          else list.push(resolve)
        }
      })
      if (!this.#jobs.has(job.jobId)) throw new NotFoundError('ClientException', `jobId: job ${jobId} was purged`, { field: 'jobId' })
    }
  }

  /** Log lines of an attempt (default: the latest), following it while it runs. */
  logs(jobId: string, options: { attempt?: number; follow?: boolean } = {}): AsyncIterable<string> {
    const { job, child } = this.#resolveJob(jobId, 'jobId')
    const c = job.children
    const attempts = c ? c.attempts[child] : job.attemptCount
    const attempt = options.attempt ?? Math.max(1, attempts)
    const stream = this.#logStreamName(job, child, attempt)
    // Following (the default) also waits for an attempt that has not started yet, while the job may still run it.
    const isLive = () => {
      const live = child >= 0 ? job.liveChildren.get(child) : job.live
      if (live !== undefined && live.attempt === attempt) return true
      const s = child >= 0 ? c!.status[child] : job.status
      const started = c ? c.attempts[child] : job.attemptCount
      return attempt > started && s !== S_SUCCEEDED && s !== S_FAILED && this.#jobs.has(job.jobId)
    }
    return this.#o.logs.lines(stream, options.follow === false ? {} : { follow: isLive })
  }

  /** Jobs held (not yet purged), for diagnostics and tests. */
  get jobCount(): number {
    return this.#jobs.size
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#removeProbe?.()
    for (const batch of this.#batches.values()) this.#o.scheduler.core.release(batch)
    this.#batches.clear()
    for (const job of this.#jobs.values()) this.#o.clock.clearTimeout(job.purge)
    for (const ce of this.#ces.values()) for (const n of ce.nodes.values()) this.#o.clock.clearTimeout(n.idleTimer as never)
    for (const live of this.#live.values()) this.#o.clock.clearTimeout(live.timeout)
  }
}
