// The Batch part of the SDK: immutable fluent builders (each call returns a
// new builder over a frozen spec, so one can be reused and forked) and handles
// whose types follow the resource's lifecycle (defined → submitted → finished).

import type { BatchService, CreateComputeEnvironmentInput, ListJobsInput, RegisterJobDefinitionInput, SubmitJobInput } from '../runtime/batch/service.js'
import type {
  ComputeEnvironmentDetail, ComputeResources, DependencyType, EvaluateOnExit, JobDefinition, JobDetail, JobQueueDetail, JobStatus, JobSummary
} from '../runtime/batch/model.js'
import type { VirtualNode } from '../runtime/batch/compute.js'
import { InvalidArgumentError, NotFoundError } from '../runtime/errors.js'

type Spec<T> = Readonly<T>

/**
 * A builder's own copy of its spec, frozen all the way down: neither the
 * objects a caller passed in (and may change later) nor the forks that share
 * parts of it can change it.
 */
function freeze<T extends object>(spec: T): Spec<T> {
  const deepFreeze = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  const copy = structuredClone(spec)
  deepFreeze(copy)
  return copy
}

// ---- compute environments ---------------------------------------------------------------

export type BatchNode = Omit<VirtualNode, 'idleTimer'>

export class ComputeEnvironment implements AsyncDisposable {
  readonly name: string
  readonly arn: string
  readonly #batch: BatchService

  constructor(batch: BatchService, detail: ComputeEnvironmentDetail) {
    this.#batch = batch
    this.name = detail.computeEnvironmentName
    this.arn = detail.computeEnvironmentArn
  }

  async describe(): Promise<ComputeEnvironmentDetail> {
    const [detail] = this.#batch.describeComputeEnvironments([this.name])
    if (detail === undefined) throw new NotFoundError('ClientException', `compute environment ${this.name} no longer exists`, { field: 'computeEnvironment' })
    return detail
  }

  /** The instances (managed) or registered nodes (unmanaged) it holds now. */
  async nodes(): Promise<BatchNode[]> {
    return this.#batch.listNodes(this.name)
  }

  /** Adds a node of your own to an UNMANAGED environment. */
  async registerNode(node: { vcpus: number; memory: number; gpus?: number; instanceType?: string; id?: string }): Promise<BatchNode> {
    return this.#batch.registerNode(this.name, node)
  }

  async deregisterNode(id: string): Promise<void> {
    this.#batch.deregisterNode(this.name, id)
  }

  async update(change: { minVcpus?: number; maxVcpus?: number; desiredVcpus?: number }): Promise<ComputeEnvironmentDetail> {
    return this.#batch.updateComputeEnvironment({
      computeEnvironment: this.name,
      computeResources: { minvCpus: change.minVcpus, maxvCpus: change.maxVcpus, desiredvCpus: change.desiredVcpus }
    })
  }

  async enable(): Promise<void> {
    this.#batch.updateComputeEnvironment({ computeEnvironment: this.name, state: 'ENABLED' })
  }

  async disable(): Promise<void> {
    this.#batch.updateComputeEnvironment({ computeEnvironment: this.name, state: 'DISABLED' })
  }

  /** Disables and deletes it (it must not be used by a queue). */
  async delete(): Promise<void> {
    await this.disable()
    this.#batch.deleteComputeEnvironment(this.name)
    await Promise.resolve() // DELETING → gone on the next microtask
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#batch.describeComputeEnvironments([this.name]).length > 0) await this.delete().catch(() => {})
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
  toInput(): CreateComputeEnvironmentInput {
    const s = this.spec
    return {
      computeEnvironmentName: s.name,
      type: s.type,
      state: s.state,
      tags: s.tags,
      ...(s.type === 'MANAGED' ? {
        computeResources: {
          type: s.provisioning ?? 'EC2',
          maxvCpus: s.maxvCpus ?? 256,
          minvCpus: s.minvCpus,
          desiredvCpus: s.desiredvCpus,
          instanceTypes: s.instanceTypes,
          allocationStrategy: s.allocationStrategy
        }
      } : {})
    }
  }

  /** Creates it and resolves once it is VALID. */
  async create(): Promise<ComputeEnvironment> {
    const handle = new ComputeEnvironment(this.#batch, this.#batch.createComputeEnvironment(this.toInput()))
    await Promise.resolve() // CREATING → VALID happens on the next microtask
    return handle
  }
}

// ---- job queues ----------------------------------------------------------------------------

export class JobQueue implements AsyncDisposable {
  readonly name: string
  readonly arn: string
  readonly #batch: BatchService

  constructor(batch: BatchService, detail: JobQueueDetail) {
    this.#batch = batch
    this.name = detail.jobQueueName
    this.arn = detail.jobQueueArn
  }

  async describe(): Promise<JobQueueDetail> {
    const [detail] = this.#batch.describeJobQueues([this.name])
    if (detail === undefined) throw new NotFoundError('ClientException', `job queue ${this.name} no longer exists`, { field: 'jobQueue' })
    return detail
  }

  async setPriority(priority: number): Promise<void> {
    this.#batch.updateJobQueue({ jobQueue: this.name, priority })
  }

  async enable(): Promise<void> {
    this.#batch.updateJobQueue({ jobQueue: this.name, state: 'ENABLED' })
  }

  async disable(): Promise<void> {
    this.#batch.updateJobQueue({ jobQueue: this.name, state: 'DISABLED' })
  }

  /** Disables and deletes it; unfinished jobs are terminated. */
  async delete(): Promise<void> {
    await this.disable()
    this.#batch.deleteJobQueue(this.name)
  }

  async jobs(status: JobStatus = 'RUNNING'): Promise<JobSummary[]> {
    return collectJobs(this.#batch, { jobQueue: this.name, jobStatus: status })
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#batch.describeJobQueues([this.name]).length > 0) await this.delete().catch(() => {})
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
    return new JobQueue(this.#batch, this.#batch.createJobQueue({
      jobQueueName: s.name,
      priority: s.priority,
      state: s.state,
      tags: s.tags,
      computeEnvironmentOrder: s.environments.map((computeEnvironment, i) => ({ order: i + 1, computeEnvironment }))
    }))
  }
}

// ---- job definitions ----------------------------------------------------------------------

export interface RetryOptions {
  attempts?: number
  evaluateOnExit?: EvaluateOnExit[]
}

/** One revision of a job definition. Disposing of it deregisters the revision (INACTIVE: no new jobs). */
export class JobDefinitionHandle implements AsyncDisposable {
  readonly name: string
  readonly revision: number
  readonly arn: string
  /** As registered. */
  readonly detail: JobDefinition
  readonly #batch: BatchService

  constructor(batch: BatchService, detail: JobDefinition) {
    this.#batch = batch
    this.name = detail.jobDefinitionName
    this.revision = detail.revision
    this.arn = detail.jobDefinitionArn
    this.detail = detail
  }

  /** The revision now (its status becomes INACTIVE once deregistered). */
  async describe(): Promise<JobDefinition> {
    const detail = this.#batch.describeJobDefinitions({ jobDefinitionName: this.name }).find((d) => d.revision === this.revision)
    if (detail === undefined) throw new NotFoundError('ClientException', `job definition ${this.name}:${this.revision} does not exist`, { field: 'jobDefinition' })
    return detail
  }

  async deregister(): Promise<void> {
    this.#batch.deregisterJobDefinition(`${this.name}:${this.revision}`)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.deregister().catch(() => {})
  }
}

interface JobDefinitionSpec {
  name: string
  command?: string[]
  image?: string
  vcpus?: number
  memory?: number
  gpus?: number
  env?: Record<string, string>
  parameters?: Record<string, string>
  retry?: RetryOptions
  timeout?: number
  tags?: Record<string, string>
}

function envList(env: Record<string, string> | undefined) {
  return env === undefined ? undefined : Object.entries(env).map(([name, value]) => ({ name, value }))
}

function requirements(vcpus: number | undefined, memory: number | undefined, gpus: number | undefined) {
  const out: Array<{ type: 'VCPU' | 'MEMORY' | 'GPU'; value: string }> = []
  if (vcpus !== undefined) out.push({ type: 'VCPU', value: String(vcpus) })
  if (memory !== undefined) out.push({ type: 'MEMORY', value: String(memory) })
  if (gpus !== undefined) out.push({ type: 'GPU', value: String(gpus) })
  return out.length === 0 ? undefined : out
}

export class JobDefinitionBuilder {
  readonly spec: Spec<JobDefinitionSpec>
  readonly #batch: BatchService

  constructor(batch: BatchService, spec: JobDefinitionSpec) {
    this.#batch = batch
    this.spec = freeze(spec)
  }

  #with(change: Partial<JobDefinitionSpec>): JobDefinitionBuilder {
    return new JobDefinitionBuilder(this.#batch, { ...this.spec, ...change })
  }

  /** The command: a shell script via ('sh', '-c', '…') or an executable and its arguments; `Ref::name` takes a parameter. */
  command(...argv: string[]): JobDefinitionBuilder { return this.#with({ command: argv }) }
  /** Container image (for container runners; the process runner ignores it). */
  image(image: string): JobDefinitionBuilder { return this.#with({ image }) }
  vcpus(n: number): JobDefinitionBuilder { return this.#with({ vcpus: n }) }
  /** MiB; a hard limit. */
  memory(mib: number): JobDefinitionBuilder { return this.#with({ memory: mib }) }
  gpus(n: number): JobDefinitionBuilder { return this.#with({ gpus: n }) }
  env(env: Record<string, string>): JobDefinitionBuilder { return this.#with({ env: { ...this.spec.env, ...env } }) }
  parameters(parameters: Record<string, string>): JobDefinitionBuilder { return this.#with({ parameters: { ...this.spec.parameters, ...parameters } }) }
  retry(retry: RetryOptions): JobDefinitionBuilder { return this.#with({ retry }) }
  /** attemptDurationSeconds (at least 60, as on AWS). */
  timeout(seconds: number): JobDefinitionBuilder { return this.#with({ timeout: seconds }) }
  tags(tags: Record<string, string>): JobDefinitionBuilder { return this.#with({ tags: { ...this.spec.tags, ...tags } }) }

  toInput(): RegisterJobDefinitionInput {
    const s = this.spec
    return {
      jobDefinitionName: s.name,
      type: 'container',
      parameters: s.parameters,
      containerProperties: {
        ...(s.image ? { image: s.image } : {}),
        command: s.command ?? [],
        environment: envList(s.env),
        resourceRequirements: requirements(s.vcpus, s.memory, s.gpus)
      },
      ...(s.retry ? { retryStrategy: { ...s.retry } } : {}),
      ...(s.timeout !== undefined ? { timeout: { attemptDurationSeconds: s.timeout } } : {}),
      tags: s.tags
    }
  }

  async register(): Promise<JobDefinitionHandle> {
    return new JobDefinitionHandle(this.#batch, this.#batch.registerJobDefinition(this.toInput()))
  }
}

// ---- jobs ----------------------------------------------------------------------------------

export type FinishedJobDetail = JobDetail & { status: 'SUCCEEDED' | 'FAILED' }

/** A submitted job (or an array child). */
export class Job implements AsyncDisposable {
  readonly id: string
  readonly arn: string
  readonly name: string
  readonly #batch: BatchService

  constructor(batch: BatchService, ids: { jobId: string; jobArn: string; jobName: string }) {
    this.#batch = batch
    this.id = ids.jobId
    this.arn = ids.jobArn
    this.name = ids.jobName
  }

  async describe(): Promise<JobDetail> {
    const [detail] = this.#batch.describeJobs([this.id])
    if (detail === undefined) throw new NotFoundError('ClientException', `job ${this.id} does not exist (purged after its retention?)`, { field: 'jobId' })
    return detail
  }

  async status(): Promise<JobStatus> {
    return (await this.describe()).status
  }

  /** Resolves with the detail once the job is SUCCEEDED or FAILED. */
  async wait(): Promise<FinishedJobDetail> {
    return (await this.#batch.waitFor(this.id)) as FinishedJobDetail
  }

  /** Child i of an array job. */
  child(index: number): Job {
    if (!Number.isInteger(index) || index < 0) throw new InvalidArgumentError('ClientException', `index must be a non-negative integer, got ${index}`, { field: 'index' })
    return new Job(this.#batch, { jobId: `${this.id}:${index}`, jobArn: `${this.arn}:${index}`, jobName: this.name })
  }

  /** The children of an array job, optionally in one status. */
  async children(status?: JobStatus): Promise<JobSummary[]> {
    return collectJobs(this.#batch, { arrayJobId: this.id, ...(status ? { jobStatus: status } : {}) })
  }

  /** Output lines of the latest attempt (or `attempt`); follows it while it runs, waiting for it to start (`follow: false`: what is there now). */
  logs(options: { attempt?: number; follow?: boolean } = {}): AsyncIterable<string> {
    return this.#batch.logs(this.id, options)
  }

  async terminate(reason: string): Promise<void> {
    this.#batch.terminateJob(this.id, reason)
  }

  async cancel(reason: string): Promise<void> {
    this.#batch.cancelJob(this.id, reason)
  }

  /** Terminates the job if it has not finished. */
  async [Symbol.asyncDispose](): Promise<void> {
    const [detail] = this.#batch.describeJobs([this.id])
    if (detail !== undefined && detail.status !== 'SUCCEEDED' && detail.status !== 'FAILED') this.#batch.terminateJob(this.id, 'Disposed')
  }
}

interface JobSpec {
  name: string
  queue?: string
  definition?: string
  arraySize?: number
  dependsOn: Array<{ jobId?: string; type?: DependencyType }>
  env?: Record<string, string>
  parameters?: Record<string, string>
  command?: string[]
  vcpus?: number
  memory?: number
  gpus?: number
  retry?: RetryOptions
  timeout?: number
  tags?: Record<string, string>
}

export class JobBuilder {
  readonly spec: Spec<JobSpec>
  readonly #batch: BatchService

  constructor(batch: BatchService, spec: JobSpec) {
    this.#batch = batch
    this.spec = freeze(spec)
  }

  #with(change: Partial<JobSpec>): JobBuilder {
    return new JobBuilder(this.#batch, { ...this.spec, ...change })
  }

  queue(queue: JobQueue | string): JobBuilder { return this.#with({ queue: typeof queue === 'string' ? queue : queue.name }) }
  definition(definition: JobDefinitionHandle | string): JobBuilder {
    return this.#with({ definition: typeof definition === 'string' ? definition : definition.arn })
  }
  /** An array job of `size` children (2–10,000). */
  array(size: number): JobBuilder { return this.#with({ arraySize: size }) }
  /** Waits for `job` (whole job), or with N_TO_N child i waits for child i of `job`. */
  dependsOn(job: Job | string, type?: 'N_TO_N'): JobBuilder {
    return this.#with({ dependsOn: [...this.spec.dependsOn, { jobId: typeof job === 'string' ? job : job.id, ...(type ? { type } : {}) }] })
  }
  /** Children run one after another (SEQUENTIAL). */
  sequential(): JobBuilder { return this.#with({ dependsOn: [...this.spec.dependsOn, { type: 'SEQUENTIAL' }] }) }
  env(env: Record<string, string>): JobBuilder { return this.#with({ env: { ...this.spec.env, ...env } }) }
  parameters(parameters: Record<string, string>): JobBuilder { return this.#with({ parameters: { ...this.spec.parameters, ...parameters } }) }
  command(...argv: string[]): JobBuilder { return this.#with({ command: argv }) }
  vcpus(n: number): JobBuilder { return this.#with({ vcpus: n }) }
  memory(mib: number): JobBuilder { return this.#with({ memory: mib }) }
  gpus(n: number): JobBuilder { return this.#with({ gpus: n }) }
  retry(retry: RetryOptions): JobBuilder { return this.#with({ retry }) }
  timeout(seconds: number): JobBuilder { return this.#with({ timeout: seconds }) }
  tags(tags: Record<string, string>): JobBuilder { return this.#with({ tags: { ...this.spec.tags, ...tags } }) }

  toInput(): SubmitJobInput {
    const s = this.spec
    if (s.queue === undefined) throw new InvalidArgumentError('ClientException', 'jobQueue: call .queue() before submit()', { field: 'jobQueue' })
    if (s.definition === undefined) throw new InvalidArgumentError('ClientException', 'jobDefinition: call .definition() before submit()', { field: 'jobDefinition' })
    const resourceRequirements = requirements(s.vcpus, s.memory, s.gpus)
    const overrides = {
      ...(s.command ? { command: s.command } : {}),
      ...(s.env ? { environment: envList(s.env) } : {}),
      ...(resourceRequirements ? { resourceRequirements } : {})
    }
    return {
      jobName: s.name,
      jobQueue: s.queue,
      jobDefinition: s.definition,
      ...(s.arraySize !== undefined ? { arrayProperties: { size: s.arraySize } } : {}),
      ...(s.dependsOn.length > 0 ? { dependsOn: s.dependsOn.map((d) => ({ ...d })) } : {}),
      ...(s.parameters ? { parameters: s.parameters } : {}),
      ...(Object.keys(overrides).length > 0 ? { containerOverrides: overrides } : {}),
      ...(s.retry ? { retryStrategy: { ...s.retry } } : {}),
      ...(s.timeout !== undefined ? { timeout: { attemptDurationSeconds: s.timeout } } : {}),
      ...(s.tags ? { tags: s.tags } : {})
    }
  }

  async submit(): Promise<Job> {
    return new Job(this.#batch, this.#batch.submitJob(this.toInput()))
  }
}

function collectJobs(batch: BatchService, input: ListJobsInput): JobSummary[] {
  const out: JobSummary[] = []
  let nextToken: string | undefined
  do {
    const page = batch.listJobs({ ...input, maxResults: 1000, ...(nextToken ? { nextToken } : {}) })
    out.push(...page.jobSummaryList)
    nextToken = page.nextToken
  } while (nextToken !== undefined)
  return out
}

// ---- the client ------------------------------------------------------------------------------

export class BatchClient {
  readonly service: BatchService

  constructor(service: BatchService) {
    this.service = service
  }

  computeEnvironment(name: string): ComputeEnvironmentBuilder {
    return new ComputeEnvironmentBuilder(this.service, { name, type: 'MANAGED' })
  }

  jobQueue(name: string): JobQueueBuilder {
    return new JobQueueBuilder(this.service, { name, priority: 1, environments: [] })
  }

  jobDefinition(name: string): JobDefinitionBuilder {
    return new JobDefinitionBuilder(this.service, { name })
  }

  job(name: string): JobBuilder {
    return new JobBuilder(this.service, { name, dependsOn: [] })
  }

  /** A handle on a job submitted earlier. */
  jobById(jobId: string): Job {
    const [detail] = this.service.describeJobs([jobId])
    if (detail === undefined) throw new NotFoundError('ClientException', `jobId: job ${jobId} does not exist`, { field: 'jobId' })
    return new Job(this.service, detail)
  }

  /** Jobs of a queue in one status (default RUNNING, as on AWS), every page. */
  async listJobs(filter: { queue: JobQueue | string; status?: JobStatus; name?: string }): Promise<JobSummary[]> {
    return collectJobs(this.service, {
      jobQueue: typeof filter.queue === 'string' ? filter.queue : filter.queue.name,
      ...(filter.status ? { jobStatus: filter.status } : {}),
      ...(filter.name ? { jobName: filter.name } : {})
    })
  }

  async describeJobs(...jobIds: string[]): Promise<JobDetail[]> {
    return this.service.describeJobs(jobIds)
  }
}
