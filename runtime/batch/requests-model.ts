// AWS Batch's requests and responses, as the Batch API reference names them
// (the resource and job shapes they carry are in model.ts).

import type {
  ComputeEnvironmentDetail, ComputeEnvironmentOrder, ComputeResources, ContainerOverrides, ContainerProperties, JobDefinition, JobDependency,
  JobDetail, JobQueueDetail, JobStatus, JobSummary, JobTimeout, NodeOverrides, NodeProperties, RetryStrategy
} from './model.js'

export interface CreateComputeEnvironmentRequest {
  computeEnvironmentName: string
  type: 'MANAGED' | 'UNMANAGED'
  state?: 'ENABLED' | 'DISABLED'
  computeResources?: Partial<ComputeResources> & { maxvCpus: number; instanceTypes?: string[] }
  unmanagedvCpus?: number
  serviceRole?: string
  tags?: Record<string, string>
}

export interface CreateComputeEnvironmentResponse {
  computeEnvironmentName: string
  computeEnvironmentArn: string
}

export interface UpdateComputeEnvironmentRequest {
  computeEnvironment: string
  state?: 'ENABLED' | 'DISABLED'
  computeResources?: { minvCpus?: number; maxvCpus?: number; desiredvCpus?: number }
  unmanagedvCpus?: number
  serviceRole?: string
}

export type UpdateComputeEnvironmentResponse = CreateComputeEnvironmentResponse

export interface DeleteComputeEnvironmentRequest {
  computeEnvironment: string
}

export interface DescribeComputeEnvironmentsRequest {
  computeEnvironments?: string[]
  maxResults?: number
  nextToken?: string
}

export interface DescribeComputeEnvironmentsResponse {
  computeEnvironments: ComputeEnvironmentDetail[]
  nextToken?: string
}

export interface CreateJobQueueRequest {
  jobQueueName: string
  state?: 'ENABLED' | 'DISABLED'
  priority: number
  computeEnvironmentOrder: ComputeEnvironmentOrder[]
  /** Makes it a fair-share queue (ARN of a scheduling policy); absent, it is FIFO for good. */
  schedulingPolicyArn?: string
  tags?: Record<string, string>
}

export interface CreateJobQueueResponse {
  jobQueueName: string
  jobQueueArn: string
}

export interface UpdateJobQueueRequest {
  jobQueue: string
  state?: 'ENABLED' | 'DISABLED'
  priority?: number
  computeEnvironmentOrder?: ComputeEnvironmentOrder[]
  /** Replaces a fair-share queue's policy (it cannot be removed, nor added to a FIFO queue). */
  schedulingPolicyArn?: string
}

export type UpdateJobQueueResponse = CreateJobQueueResponse

export interface DeleteJobQueueRequest {
  jobQueue: string
}

export interface DescribeJobQueuesRequest {
  jobQueues?: string[]
  maxResults?: number
  nextToken?: string
}

export interface DescribeJobQueuesResponse {
  jobQueues: JobQueueDetail[]
  nextToken?: string
}

export interface RegisterJobDefinitionRequest {
  jobDefinitionName: string
  type: 'container' | 'multinode'
  parameters?: Record<string, string>
  containerProperties?: ContainerProperties
  nodeProperties?: NodeProperties
  retryStrategy?: RetryStrategy
  timeout?: JobTimeout
  tags?: Record<string, string>
  propagateTags?: boolean
  platformCapabilities?: Array<'EC2' | 'FARGATE'>
}

export interface RegisterJobDefinitionResponse {
  jobDefinitionName: string
  jobDefinitionArn: string
  revision: number
}

export interface DeregisterJobDefinitionRequest {
  /** name:revision or the ARN of a revision. */
  jobDefinition: string
}

export interface DescribeJobDefinitionsRequest {
  /** name:revision or ARNs (at most 100). */
  jobDefinitions?: string[]
  jobDefinitionName?: string
  status?: 'ACTIVE' | 'INACTIVE'
  maxResults?: number
  nextToken?: string
}

export interface DescribeJobDefinitionsResponse {
  jobDefinitions: JobDefinition[]
  nextToken?: string
}

export interface SubmitJobRequest {
  jobName: string
  jobQueue: string
  jobDefinition: string
  arrayProperties?: { size: number }
  dependsOn?: JobDependency[]
  parameters?: Record<string, string>
  containerOverrides?: ContainerOverrides
  /** Multi-node parallel jobs: the number of nodes, and per range of nodes their container overrides. */
  nodeOverrides?: NodeOverrides
  retryStrategy?: RetryStrategy
  timeout?: JobTimeout
  tags?: Record<string, string>
  propagateTags?: boolean
  /** Required on a fair-share queue, refused on a FIFO one (at most 255 characters). */
  shareIdentifier?: string
  /** 0 to 9999; fair-share queues only. */
  schedulingPriorityOverride?: number
}

export interface SubmitJobResponse {
  jobArn: string
  jobName: string
  jobId: string
}

export interface DescribeJobsRequest {
  /** Up to 100 job ids (or child ids, <jobId>:<index>, or node ids, <jobId>#<index>). */
  jobs: string[]
}

export interface DescribeJobsResponse {
  jobs: JobDetail[]
}

export interface KeyValuesPair {
  name: 'JOB_NAME' | 'BEFORE_CREATED_AT' | 'AFTER_CREATED_AT' | 'JOB_DEFINITION' | 'SHARE_IDENTIFIER'
  values: string[]
}

export interface ListJobsRequest {
  jobQueue?: string
  arrayJobId?: string
  /** Lists the nodes of a multi-node parallel job. */
  multiNodeJobId?: string
  /** Default RUNNING, as on AWS (ignored with a filter, except SHARE_IDENTIFIER). */
  jobStatus?: JobStatus
  maxResults?: number
  nextToken?: string
  filters?: KeyValuesPair[]
}

export interface ListJobsResponse {
  jobSummaryList: JobSummary[]
  nextToken?: string
}

export interface CancelJobRequest {
  jobId: string
  reason: string
}

export interface TerminateJobRequest {
  jobId: string
  reason: string
}
