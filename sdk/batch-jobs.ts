// Batch job definitions and jobs in the SDK: immutable builders, and handles
// whose types follow the resource's lifecycle (defined → submitted → finished).

import type {
  BatchService, DependencyType, EvaluateOnExit, JobDefinition, JobDetail, JobStatus, JobSummary, ListJobsRequest, PlacementExplanation,
  RegisterJobDefinitionRequest, SubmitJobRequest
} from '../runtime/index.js'
import { InvalidArgumentError, NotFoundError, childJobArn } from '../runtime/index.js'
import { freeze, type Spec } from './spec.js'
import type { JobQueue } from './batch-compute.js'
import { ContainerSettingsBuilder, containerFieldsOf, toContainerProperties, type ContainerFields } from './batch-containers.js'
import { MultiNodeDefinitionBuilder } from './batch-multinode.js'

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
    const [detail] = (await this.#batch.describeJobDefinitions({ jobDefinitions: [this.arn] })).jobDefinitions
    if (detail === undefined) throw new NotFoundError('ClientException', `job definition ${this.name}:${this.revision} does not exist`, { field: 'jobDefinition' })
    return detail
  }

  async deregister(): Promise<void> {
    await this.#batch.deregisterJobDefinition({ jobDefinition: `${this.name}:${this.revision}` })
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.deregister().catch(() => {})
  }
}

interface JobDefinitionSpec extends ContainerFields {
  name: string
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

/** Registers a definition and returns its handle (the revision as stored). */
export async function registerDefinition(batch: BatchService, input: RegisterJobDefinitionRequest): Promise<JobDefinitionHandle> {
  const { jobDefinitionArn } = await batch.registerJobDefinition(input)
  const [detail] = (await batch.describeJobDefinitions({ jobDefinitions: [jobDefinitionArn] })).jobDefinitions
  return new JobDefinitionHandle(batch, detail)
}

export class JobDefinitionBuilder extends ContainerSettingsBuilder<JobDefinitionBuilder> {
  readonly spec: Spec<JobDefinitionSpec>
  readonly #batch: BatchService

  constructor(batch: BatchService, spec: JobDefinitionSpec) {
    super()
    this.#batch = batch
    this.spec = freeze(spec)
  }

  protected get fields(): Spec<ContainerFields> {
    return this.spec
  }

  protected withContainer(change: Partial<ContainerFields>): JobDefinitionBuilder {
    return this.#with(change)
  }

  #with(change: Partial<JobDefinitionSpec>): JobDefinitionBuilder {
    return new JobDefinitionBuilder(this.#batch, { ...this.spec, ...change })
  }

  parameters(parameters: Record<string, string>): JobDefinitionBuilder { return this.#with({ parameters: { ...this.spec.parameters, ...parameters } }) }
  retry(retry: RetryOptions): JobDefinitionBuilder { return this.#with({ retry }) }
  /** attemptDurationSeconds (at least 60, as on AWS); for a multi-node job, of the whole job. */
  timeout(seconds: number): JobDefinitionBuilder { return this.#with({ timeout: seconds }) }
  tags(tags: Record<string, string>): JobDefinitionBuilder { return this.#with({ tags: { ...this.spec.tags, ...tags } }) }

  /**
   * A multi-node parallel job definition of `numNodes` nodes (main node
   * `mainNode`, default 0): give each range of nodes its container with
   * nodeRange(); each range starts from the container set on this builder.
   */
  multiNode(options: { numNodes: number; mainNode?: number }): MultiNodeDefinitionBuilder {
    const s = this.spec
    return new MultiNodeDefinitionBuilder(this.#batch, {
      name: s.name, numNodes: options.numNodes, mainNode: options.mainNode ?? 0, base: containerFieldsOf(s), ranges: [],
      ...(s.parameters ? { parameters: s.parameters } : {}), ...(s.retry ? { retry: s.retry } : {}),
      ...(s.timeout !== undefined ? { timeout: s.timeout } : {}), ...(s.tags ? { tags: s.tags } : {})
    })
  }

  /** The RegisterJobDefinition request this builder stands for. */
  toInput(): RegisterJobDefinitionRequest {
    const s = this.spec
    return {
      jobDefinitionName: s.name,
      type: 'container',
      ...(s.parameters ? { parameters: { ...s.parameters } } : {}),
      containerProperties: toContainerProperties(s),
      ...(s.retry ? { retryStrategy: structuredClone(s.retry) as RetryOptions } : {}),
      ...(s.timeout !== undefined ? { timeout: { attemptDurationSeconds: s.timeout } } : {}),
      ...(s.tags ? { tags: { ...s.tags } } : {})
    }
  }

  async register(): Promise<JobDefinitionHandle> {
    return registerDefinition(this.#batch, this.toInput())
  }
}

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
    const [detail] = (await this.#batch.describeJobs({ jobs: [this.id] })).jobs
    if (detail === undefined) throw new NotFoundError('ClientException', `job ${this.id} does not exist (purged after its retention?)`, { field: 'jobId' })
    return detail
  }

  async status(): Promise<JobStatus> {
    return (await this.describe()).status
  }

  /** Resolves with the detail once the job is SUCCEEDED or FAILED. */
  async wait(): Promise<FinishedJobDetail> {
    return (await this.#batch.waitForJob(this.id)) as FinishedJobDetail
  }

  /** Why a RUNNABLE job has not started: the dispatch round that last passed it over, and what ruled its nodes out. */
  async explain(): Promise<PlacementExplanation | undefined> {
    return this.#batch.explainJob(this.id)
  }

  /** Child i of an array job. */
  child(index: number): Job {
    if (!Number.isInteger(index) || index < 0) throw new InvalidArgumentError('ClientException', `index must be a non-negative integer, got ${index}`, { field: 'index' })
    return new Job(this.#batch, { jobId: `${this.id}:${index}`, jobArn: childJobArn(this.arn, index), jobName: this.name })
  }

  /** Node i of a multi-node parallel job (`<jobId>#<i>`): describe, wait for and read the logs of it like a job. */
  node(index: number): Job {
    if (!Number.isInteger(index) || index < 0) throw new InvalidArgumentError('ClientException', `index must be a non-negative integer, got ${index}`, { field: 'index' })
    return new Job(this.#batch, { jobId: `${this.id}#${index}`, jobArn: `${this.arn}#${index}`, jobName: this.name })
  }

  /** Every node of a multi-node parallel job, in index order (ListJobs with multiNodeJobId). */
  async nodes(): Promise<Job[]> {
    const nodes = await collectJobs(this.#batch, { multiNodeJobId: this.id })
    return nodes.map((n) => new Job(this.#batch, n))
  }

  /** The children of an array job, optionally in one status. */
  async children(status?: JobStatus): Promise<JobSummary[]> {
    return collectJobs(this.#batch, { arrayJobId: this.id, ...(status ? { jobStatus: status } : {}) })
  }

  /** Output lines of the latest attempt (or `attempt`); follows it while it runs, waiting for it to start (`follow: false`: what is there now). */
  logs(options: { attempt?: number; follow?: boolean } = {}): AsyncIterable<string> {
    return this.#batch.jobLogs(this.id, options)
  }

  async terminate(reason: string): Promise<void> {
    await this.#batch.terminateJob({ jobId: this.id, reason })
  }

  async cancel(reason: string): Promise<void> {
    await this.#batch.cancelJob({ jobId: this.id, reason })
  }

  /** Terminates the job if it has not finished. */
  async [Symbol.asyncDispose](): Promise<void> {
    const [detail] = (await this.#batch.describeJobs({ jobs: [this.id] })).jobs
    if (detail !== undefined && detail.status !== 'SUCCEEDED' && detail.status !== 'FAILED') await this.#batch.terminateJob({ jobId: this.id, reason: 'Disposed' })
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
  /** Multi-node parallel jobs: nodeOverrides. */
  numNodes?: number
  nodeOverrides?: Array<{ targetNodes: string; command?: string[]; env?: Record<string, string>; vcpus?: number; memory?: number; gpus?: number }>
}

/** What a node range's overrides may change (AWS's ContainerOverrides). */
export interface NodeOverrideOptions {
  command?: string[]
  env?: Record<string, string>
  vcpus?: number
  memory?: number
  gpus?: number
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
  /** A multi-node parallel job of `numNodes` nodes instead of its definition's (the definition needs an open-ended range, such as `1:`). */
  nodes(numNodes: number): JobBuilder { return this.#with({ numNodes }) }
  /** Overrides the container of the nodes in `targetNodes` (`0`, `1:`, `2:3`…) of a multi-node parallel job. */
  nodeOverride(targetNodes: string, options: NodeOverrideOptions): JobBuilder {
    return this.#with({ nodeOverrides: [...(this.spec.nodeOverrides ?? []), { targetNodes, ...options }] })
  }

  /** The SubmitJob request this builder stands for. */
  toInput(): SubmitJobRequest {
    const s = this.spec
    if (s.queue === undefined) throw new InvalidArgumentError('ClientException', 'jobQueue: call .queue() before submit()', { field: 'jobQueue' })
    if (s.definition === undefined) throw new InvalidArgumentError('ClientException', 'jobDefinition: call .definition() before submit()', { field: 'jobDefinition' })
    const resourceRequirements = requirements(s.vcpus, s.memory, s.gpus)
    const overrides = {
      ...(s.command ? { command: [...s.command] } : {}),
      ...(s.env ? { environment: envList(s.env) } : {}),
      ...(resourceRequirements ? { resourceRequirements } : {})
    }
    return {
      jobName: s.name,
      jobQueue: s.queue,
      jobDefinition: s.definition,
      ...(s.arraySize !== undefined ? { arrayProperties: { size: s.arraySize } } : {}),
      ...(s.dependsOn.length > 0 ? { dependsOn: s.dependsOn.map((d) => ({ ...d })) } : {}),
      ...(s.parameters ? { parameters: { ...s.parameters } } : {}),
      ...(Object.keys(overrides).length > 0 ? { containerOverrides: overrides } : {}),
      ...(s.numNodes !== undefined || s.nodeOverrides !== undefined ? {
        nodeOverrides: {
          ...(s.numNodes !== undefined ? { numNodes: s.numNodes } : {}),
          ...(s.nodeOverrides !== undefined ? {
            nodePropertyOverrides: s.nodeOverrides.map((o) => {
              const resources = requirements(o.vcpus, o.memory, o.gpus)
              const containerOverrides = {
                ...(o.command ? { command: [...o.command] } : {}), ...(o.env ? { environment: envList(o.env) } : {}), ...(resources ? { resourceRequirements: resources } : {})
              }
              return { targetNodes: o.targetNodes, containerOverrides }
            })
          } : {})
        }
      } : {}),
      ...(s.retry ? { retryStrategy: structuredClone(s.retry) as RetryOptions } : {}),
      ...(s.timeout !== undefined ? { timeout: { attemptDurationSeconds: s.timeout } } : {}),
      ...(s.tags ? { tags: { ...s.tags } } : {})
    }
  }

  async submit(): Promise<Job> {
    return new Job(this.#batch, await this.#batch.submitJob(this.toInput()))
  }
}

/** Every page of a ListJobs query. */
export async function collectJobs(batch: BatchService, input: ListJobsRequest): Promise<JobSummary[]> {
  const out: JobSummary[] = []
  let nextToken: string | undefined
  do {
    // No maxResults: the largest page ListJobs gives (1,000, or 100 with filters).
    const page = await batch.listJobs({ ...input, ...(nextToken ? { nextToken } : {}) })
    out.push(...page.jobSummaryList)
    nextToken = page.nextToken
  } while (nextToken !== undefined)
  return out
}
