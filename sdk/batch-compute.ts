// Batch compute environments and job queues in the SDK: immutable builders
// and handles. Handles wait on the resource's status (a created environment
// is returned once it is VALID or INVALID), never on the engine's timing.

import type { BatchNode, BatchService, ComputeEnvironmentDetail, ComputeResources, JobQueueDetail, JobStatus, JobSummary, RegisterNodeInput } from '../runtime/index.js'
import { NotFoundError } from '../runtime/index.js'
import { freeze, type Spec } from './spec.js'
import { collectJobs } from './batch-jobs.js'

export class ComputeEnvironment implements AsyncDisposable {
  readonly name: string
  readonly arn: string
  readonly #batch: BatchService

  constructor(batch: BatchService, ids: { computeEnvironmentName: string; computeEnvironmentArn: string }) {
    this.#batch = batch
    this.name = ids.computeEnvironmentName
    this.arn = ids.computeEnvironmentArn
  }

  async describe(): Promise<ComputeEnvironmentDetail> {
    const [detail] = (await this.#batch.describeComputeEnvironments({ computeEnvironments: [this.name] })).computeEnvironments
    if (detail === undefined) throw new NotFoundError('ClientException', `compute environment ${this.name} no longer exists`, { field: 'computeEnvironment' })
    return detail
  }

  /** The instances (managed) or registered nodes (unmanaged) it holds now. */
  async nodes(): Promise<BatchNode[]> {
    return this.#batch.listNodes(this.name)
  }

  /** Adds a node of your own to an UNMANAGED environment. */
  async registerNode(node: RegisterNodeInput): Promise<BatchNode> {
    return this.#batch.registerNode(this.name, node)
  }

  async deregisterNode(id: string): Promise<void> {
    await this.#batch.deregisterNode(this.name, id)
  }

  /** Changes its capacity; resolves once the change is applied (VALID again, or INVALID). */
  async update(change: { minVcpus?: number; maxVcpus?: number; desiredVcpus?: number }): Promise<ComputeEnvironmentDetail> {
    const computeResources = {
      ...(change.minVcpus !== undefined ? { minvCpus: change.minVcpus } : {}),
      ...(change.maxVcpus !== undefined ? { maxvCpus: change.maxVcpus } : {}),
      ...(change.desiredVcpus !== undefined ? { desiredvCpus: change.desiredVcpus } : {})
    }
    await this.#batch.updateComputeEnvironment({
      computeEnvironment: this.name,
      ...(Object.keys(computeResources).length > 0 ? { computeResources } : {})
    })
    return this.#settled()
  }

  async enable(): Promise<void> {
    await this.#batch.updateComputeEnvironment({ computeEnvironment: this.name, state: 'ENABLED' })
    await this.#settled()
  }

  async disable(): Promise<void> {
    await this.#batch.updateComputeEnvironment({ computeEnvironment: this.name, state: 'DISABLED' })
    await this.#settled()
  }

  async #settled(): Promise<ComputeEnvironmentDetail> {
    const detail = await this.#batch.waitForComputeEnvironment(this.name)
    if (detail === undefined) throw new NotFoundError('ClientException', `compute environment ${this.name} no longer exists`, { field: 'computeEnvironment' })
    return detail
  }

  /** Disables and deletes it (it must not be used by a queue); resolves once it is gone. */
  async delete(): Promise<void> {
    await this.disable()
    await this.#batch.deleteComputeEnvironment({ computeEnvironment: this.name })
    await this.#batch.waitForComputeEnvironment(this.name).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error
    })
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const { computeEnvironments } = await this.#batch.describeComputeEnvironments({ computeEnvironments: [this.name] })
    if (computeEnvironments.length > 0) await this.delete().catch(() => {})
  }
}

interface ComputeEnvironmentSpec {
  name: string
  type: 'MANAGED' | 'UNMANAGED'
  minvCpus?: number
  maxvCpus?: number
  desiredvCpus?: number
  instanceTypes?: string[]
  allocationStrategy?: ComputeResources['allocationStrategy']
  provisioning?: 'EC2' | 'SPOT'
  state?: 'ENABLED' | 'DISABLED'
  tags?: Record<string, string>
}

export class ComputeEnvironmentBuilder {
  readonly spec: Spec<ComputeEnvironmentSpec>
  readonly #batch: BatchService

  constructor(batch: BatchService, spec: ComputeEnvironmentSpec) {
    this.#batch = batch
    this.spec = freeze(spec)
  }

  #with(change: Partial<ComputeEnvironmentSpec>): ComputeEnvironmentBuilder {
    return new ComputeEnvironmentBuilder(this.#batch, { ...this.spec, ...change })
  }

  /** Batch launches and removes instances (default). */
  managed(): ComputeEnvironmentBuilder { return this.#with({ type: 'MANAGED' }) }
  /** You register the nodes. */
  unmanaged(): ComputeEnvironmentBuilder { return this.#with({ type: 'UNMANAGED' }) }
  minVcpus(n: number): ComputeEnvironmentBuilder { return this.#with({ minvCpus: n }) }
  maxVcpus(n: number): ComputeEnvironmentBuilder { return this.#with({ maxvCpus: n }) }
  desiredVcpus(n: number): ComputeEnvironmentBuilder { return this.#with({ desiredvCpus: n }) }
  /** Instance types, families ("m5") or "optimal". */
  instanceTypes(...types: string[]): ComputeEnvironmentBuilder { return this.#with({ instanceTypes: types }) }
  allocationStrategy(strategy: 'BEST_FIT' | 'BEST_FIT_PROGRESSIVE' | 'SPOT_CAPACITY_OPTIMIZED'): ComputeEnvironmentBuilder { return this.#with({ allocationStrategy: strategy }) }
  spot(): ComputeEnvironmentBuilder { return this.#with({ provisioning: 'SPOT' }) }
  disabled(): ComputeEnvironmentBuilder { return this.#with({ state: 'DISABLED' }) }
  tags(tags: Record<string, string>): ComputeEnvironmentBuilder { return this.#with({ tags: { ...this.spec.tags, ...tags } }) }

  /** The CreateComputeEnvironment request this builder stands for. */
  toInput() {
    const s = this.spec
    return {
      computeEnvironmentName: s.name,
      type: s.type,
      ...(s.state ? { state: s.state } : {}),
      ...(s.tags ? { tags: { ...s.tags } } : {}),
      ...(s.type === 'MANAGED' ? {
        computeResources: {
          type: s.provisioning ?? 'EC2',
          maxvCpus: s.maxvCpus ?? 256,
          ...(s.minvCpus !== undefined ? { minvCpus: s.minvCpus } : {}),
          ...(s.desiredvCpus !== undefined ? { desiredvCpus: s.desiredvCpus } : {}),
          ...(s.instanceTypes ? { instanceTypes: [...s.instanceTypes] } : {}),
          ...(s.allocationStrategy ? { allocationStrategy: s.allocationStrategy } : {})
        }
      } : {})
    }
  }

  /** Creates it and resolves once its status is settled (VALID, or INVALID with the reason). */
  async create(): Promise<ComputeEnvironment> {
    const handle = new ComputeEnvironment(this.#batch, await this.#batch.createComputeEnvironment(this.toInput()))
    await this.#batch.waitForComputeEnvironment(handle.name)
    return handle
  }
}

export class JobQueue implements AsyncDisposable {
  readonly name: string
  readonly arn: string
  readonly #batch: BatchService

  constructor(batch: BatchService, ids: { jobQueueName: string; jobQueueArn: string }) {
    this.#batch = batch
    this.name = ids.jobQueueName
    this.arn = ids.jobQueueArn
  }

  async describe(): Promise<JobQueueDetail> {
    const [detail] = (await this.#batch.describeJobQueues({ jobQueues: [this.name] })).jobQueues
    if (detail === undefined) throw new NotFoundError('ClientException', `job queue ${this.name} no longer exists`, { field: 'jobQueue' })
    return detail
  }

  async setPriority(priority: number): Promise<void> {
    await this.#batch.updateJobQueue({ jobQueue: this.name, priority })
  }

  async enable(): Promise<void> {
    await this.#batch.updateJobQueue({ jobQueue: this.name, state: 'ENABLED' })
  }

  async disable(): Promise<void> {
    await this.#batch.updateJobQueue({ jobQueue: this.name, state: 'DISABLED' })
  }

  /** Disables and deletes it; unfinished jobs are terminated. Resolves once it (and its jobs) are gone. */
  async delete(): Promise<void> {
    await this.disable()
    await this.#batch.deleteJobQueue({ jobQueue: this.name })
    await this.#batch.waitForJobQueue(this.name).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error
    })
  }

  async jobs(status: JobStatus = 'RUNNING'): Promise<JobSummary[]> {
    return collectJobs(this.#batch, { jobQueue: this.name, jobStatus: status })
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const { jobQueues } = await this.#batch.describeJobQueues({ jobQueues: [this.name] })
    if (jobQueues.length > 0) await this.delete().catch(() => {})
  }
}

interface JobQueueSpec {
  name: string
  priority: number
  environments: string[]
  state?: 'ENABLED' | 'DISABLED'
  tags?: Record<string, string>
}

export class JobQueueBuilder {
  readonly spec: Spec<JobQueueSpec>
  readonly #batch: BatchService

  constructor(batch: BatchService, spec: JobQueueSpec) {
    this.#batch = batch
    this.spec = freeze(spec)
  }

  #with(change: Partial<JobQueueSpec>): JobQueueBuilder {
    return new JobQueueBuilder(this.#batch, { ...this.spec, ...change })
  }

  /** Higher runs first. */
  priority(n: number): JobQueueBuilder { return this.#with({ priority: n }) }
  /** Up to three, in the order they are tried. */
  computeEnvironments(...environments: Array<ComputeEnvironment | string>): JobQueueBuilder {
    return this.#with({ environments: environments.map((e) => (typeof e === 'string' ? e : e.name)) })
  }
  disabled(): JobQueueBuilder { return this.#with({ state: 'DISABLED' }) }
  tags(tags: Record<string, string>): JobQueueBuilder { return this.#with({ tags: { ...this.spec.tags, ...tags } }) }

  async create(): Promise<JobQueue> {
    const s = this.spec
    return new JobQueue(this.#batch, await this.#batch.createJobQueue({
      jobQueueName: s.name,
      priority: s.priority,
      ...(s.state ? { state: s.state } : {}),
      ...(s.tags ? { tags: { ...s.tags } } : {}),
      computeEnvironmentOrder: s.environments.map((computeEnvironment, i) => ({ order: i + 1, computeEnvironment }))
    }))
  }
}
