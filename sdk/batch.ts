// The Batch part of the SDK: `cloud.batch.computeEnvironment(name)…create()`,
// `.jobQueue(name)`, `.jobDefinition(name)`, `.job(name)`, over the Batch
// service interface (runtime/batch/api.ts) — the engine in this process
// today; a remote engine implements the same interface.

import type { BatchService, JobDetail, JobStatus, JobSummary } from '../runtime/index.js'
import { NotFoundError } from '../runtime/index.js'
import { ComputeEnvironmentBuilder, JobQueueBuilder, type JobQueue } from './batch-compute.js'
import { Job, JobBuilder, JobDefinitionBuilder, collectJobs } from './batch-jobs.js'

export { ComputeEnvironment, ComputeEnvironmentBuilder, JobQueue, JobQueueBuilder } from './batch-compute.js'
export { Job, JobBuilder, JobDefinitionBuilder, JobDefinitionHandle, type FinishedJobDetail, type NodeOverrideOptions, type RetryOptions } from './batch-jobs.js'
export { MultiNodeDefinitionBuilder, NodeRangeBuilder } from './batch-multinode.js'
export { ContainerSettingsBuilder, type ContainerFields } from './batch-containers.js'

export class BatchClient {
  /** The Batch operations in AWS's shapes, and Stratus's extensions. */
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
  async jobById(jobId: string): Promise<Job> {
    const [detail] = (await this.service.describeJobs({ jobs: [jobId] })).jobs
    if (detail === undefined) throw new NotFoundError('ClientException', `jobId: job ${jobId} does not exist`, { field: 'jobId' })
    return new Job(this.service, detail)
  }

  /** Jobs of a queue in one status (default RUNNING, as on AWS), every page; with a name (a trailing * matches a prefix), every status. */
  async listJobs(filter: { queue: JobQueue | string; status?: JobStatus; name?: string }): Promise<JobSummary[]> {
    return collectJobs(this.service, {
      jobQueue: typeof filter.queue === 'string' ? filter.queue : filter.queue.name,
      ...(filter.status ? { jobStatus: filter.status } : {}),
      ...(filter.name ? { filters: [{ name: 'JOB_NAME', values: [filter.name] }] } : {})
    })
  }

  async describeJobs(...jobIds: string[]): Promise<JobDetail[]> {
    return (await this.service.describeJobs({ jobs: jobIds })).jobs
  }
}
