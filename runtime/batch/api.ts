// The Batch service as its users see it. BatchApi is AWS Batch's operations,
// request and response shapes field for field (what the AWS wire adapter maps
// one to one); BatchExtensions is what only Stratus offers (nodes of your own,
// waiting, following logs, why a job waits). Both are asynchronous, so the
// SDK works the same against the engine in this process and, later, against
// a remote one.

import type { PlacementExplanation } from './job-cache.js'
import type {
  CancelJobRequest, ComputeEnvironmentDetail, CreateComputeEnvironmentRequest, CreateComputeEnvironmentResponse, CreateJobQueueRequest,
  CreateJobQueueResponse, DeleteComputeEnvironmentRequest, DeleteJobQueueRequest, DeregisterJobDefinitionRequest, DescribeComputeEnvironmentsRequest,
  DescribeComputeEnvironmentsResponse, DescribeJobDefinitionsRequest, DescribeJobDefinitionsResponse, DescribeJobQueuesRequest, DescribeJobQueuesResponse,
  DescribeJobsRequest, DescribeJobsResponse, JobDetail, JobQueueDetail, ListJobsRequest, ListJobsResponse, RegisterJobDefinitionRequest, RegisterJobDefinitionResponse,
  SubmitJobRequest, SubmitJobResponse, TerminateJobRequest, UpdateComputeEnvironmentRequest, UpdateComputeEnvironmentResponse, UpdateJobQueueRequest,
  UpdateJobQueueResponse, TagResourceRequest, UntagResourceRequest, ListTagsForResourceRequest, ListTagsForResourceResponse,
  CreateSchedulingPolicyRequest, CreateSchedulingPolicyResponse, UpdateSchedulingPolicyRequest, DeleteSchedulingPolicyRequest,
  DescribeSchedulingPoliciesRequest, DescribeSchedulingPoliciesResponse, ListSchedulingPoliciesRequest, ListSchedulingPoliciesResponse
} from './model.js'

/** An empty AWS response. */
export type Empty = Record<string, never>

export interface BatchApi {
  createComputeEnvironment(input: CreateComputeEnvironmentRequest): Promise<CreateComputeEnvironmentResponse>
  updateComputeEnvironment(input: UpdateComputeEnvironmentRequest): Promise<UpdateComputeEnvironmentResponse>
  deleteComputeEnvironment(input: DeleteComputeEnvironmentRequest): Promise<Empty>
  describeComputeEnvironments(input?: DescribeComputeEnvironmentsRequest): Promise<DescribeComputeEnvironmentsResponse>
  createJobQueue(input: CreateJobQueueRequest): Promise<CreateJobQueueResponse>
  updateJobQueue(input: UpdateJobQueueRequest): Promise<UpdateJobQueueResponse>
  deleteJobQueue(input: DeleteJobQueueRequest): Promise<Empty>
  describeJobQueues(input?: DescribeJobQueuesRequest): Promise<DescribeJobQueuesResponse>
  registerJobDefinition(input: RegisterJobDefinitionRequest): Promise<RegisterJobDefinitionResponse>
  deregisterJobDefinition(input: DeregisterJobDefinitionRequest): Promise<Empty>
  describeJobDefinitions(input?: DescribeJobDefinitionsRequest): Promise<DescribeJobDefinitionsResponse>
  submitJob(input: SubmitJobRequest): Promise<SubmitJobResponse>
  describeJobs(input: DescribeJobsRequest): Promise<DescribeJobsResponse>
  listJobs(input: ListJobsRequest): Promise<ListJobsResponse>
  cancelJob(input: CancelJobRequest): Promise<Empty>
  terminateJob(input: TerminateJobRequest): Promise<Empty>
  tagResource(input: TagResourceRequest): Promise<Empty>
  untagResource(input: UntagResourceRequest): Promise<Empty>
  listTagsForResource(input: ListTagsForResourceRequest): Promise<ListTagsForResourceResponse>
  createSchedulingPolicy(input: CreateSchedulingPolicyRequest): Promise<CreateSchedulingPolicyResponse>
  updateSchedulingPolicy(input: UpdateSchedulingPolicyRequest): Promise<Empty>
  deleteSchedulingPolicy(input: DeleteSchedulingPolicyRequest): Promise<Empty>
  describeSchedulingPolicies(input: DescribeSchedulingPoliciesRequest): Promise<DescribeSchedulingPoliciesResponse>
  listSchedulingPolicies(input?: ListSchedulingPoliciesRequest): Promise<ListSchedulingPoliciesResponse>
}

/** An instance of a compute environment (a managed one's, or a node registered to an unmanaged one). */
export interface BatchNode {
  /** EC2-style instance id (i-…) or the id it was registered with. */
  id: string
  containerInstanceArn: string
  instanceType: string
  zone: string
  status: 'ACTIVE' | 'DRAINING'
  /** Launched by Batch (managed), or registered by you. */
  managed: boolean
  /** Millicores, MiB, GPUs. */
  totalCpu: number
  totalMemory: number
  totalGpu: number
  usedCpu: number
  usedMemory: number
  usedGpu: number
  /** Attempts placed on it and not yet ended. */
  running: number
  launchedAt: number
}

export interface RegisterNodeInput {
  vcpus: number
  /** MiB. */
  memory: number
  gpus?: number
  instanceType?: string
  id?: string
}

export interface LogOptions {
  /** Which attempt (default: the latest). */
  attempt?: number
  /** Keep reading while the attempt runs, and wait for one that has not started (default true). */
  follow?: boolean
}

export interface BatchExtensions {
  listNodes(computeEnvironment: string): Promise<BatchNode[]>
  registerNode(computeEnvironment: string, node: RegisterNodeInput): Promise<BatchNode>
  deregisterNode(computeEnvironment: string, nodeId: string): Promise<void>
  /**
   * Resolves once the environment's status is settled — VALID or INVALID, or
   * gone after a delete (then undefined) — with its detail.
   */
  waitForComputeEnvironment(computeEnvironment: string): Promise<ComputeEnvironmentDetail | undefined>
  /** Resolves once a queue is not DELETING: with its detail, or undefined once it is gone. */
  waitForJobQueue(jobQueue: string): Promise<JobQueueDetail | undefined>
  /** Resolves with the detail once the job (or child) is SUCCEEDED or FAILED; rejects with NotFound if it is purged or unknown. */
  waitForJob(jobId: string): Promise<JobDetail>
  /** Output lines of an attempt. */
  jobLogs(jobId: string, options?: LogOptions): AsyncIterable<string>
  /** Why a RUNNABLE job has not started, as the last dispatch round that passed it over saw it (undefined: none did). */
  explainJob(jobId: string): Promise<PlacementExplanation | undefined>
  /** Jobs held (not yet purged). */
  countJobs(): Promise<number>
}

export type BatchService = BatchApi & BatchExtensions
