// AWS Batch's API shapes, field for field (what DescribeJobs & co. return),
// so the AWS-compatible API is a thin adapter and SDK users recognise them.

export const JOB_STATUSES = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const
export type JobStatus = (typeof JOB_STATUSES)[number]

/** Status codes for compact storage (array children): index into JOB_STATUSES. */
export const S_SUBMITTED = 0, S_PENDING = 1, S_RUNNABLE = 2, S_STARTING = 3, S_RUNNING = 4, S_SUCCEEDED = 5, S_FAILED = 6

export type DependencyType = 'N_TO_N' | 'SEQUENTIAL'

export interface JobDependency {
  /** Absent for SEQUENTIAL (it orders the children of the job itself). */
  jobId?: string
  type?: DependencyType
}

export interface KeyValuePair {
  name: string
  value: string
}

export interface ResourceRequirement {
  type: 'VCPU' | 'MEMORY' | 'GPU'
  value: string
}

export interface EvaluateOnExit {
  onStatusReason?: string
  onReason?: string
  onExitCode?: string
  action: 'RETRY' | 'EXIT' | 'retry' | 'exit'
}

export interface RetryStrategy {
  attempts?: number
  evaluateOnExit?: EvaluateOnExit[]
}

export interface JobTimeout {
  attemptDurationSeconds?: number
}

export interface ContainerProperties {
  image?: string
  command?: string[]
  environment?: KeyValuePair[]
  resourceRequirements?: ResourceRequirement[]
  /** Deprecated by AWS in favour of resourceRequirements, still accepted. */
  vcpus?: number
  memory?: number
  jobRoleArn?: string
}

export interface JobDefinition {
  jobDefinitionName: string
  jobDefinitionArn: string
  revision: number
  status: 'ACTIVE' | 'INACTIVE'
  type: 'container'
  parameters?: Record<string, string>
  retryStrategy?: RetryStrategy
  containerProperties: ContainerProperties
  timeout?: JobTimeout
  tags?: Record<string, string>
  propagateTags?: boolean
  platformCapabilities?: Array<'EC2' | 'FARGATE'>
  containerOrchestrationType: 'ECS'
}

export interface ComputeResources {
  type: 'EC2' | 'SPOT'
  allocationStrategy?: 'BEST_FIT' | 'BEST_FIT_PROGRESSIVE' | 'SPOT_CAPACITY_OPTIMIZED'
  minvCpus: number
  maxvCpus: number
  desiredvCpus: number
  instanceTypes: string[]
  subnets?: string[]
  securityGroupIds?: string[]
  instanceRole?: string
  tags?: Record<string, string>
}

export interface ComputeEnvironmentDetail {
  computeEnvironmentName: string
  computeEnvironmentArn: string
  ecsClusterArn: string
  type: 'MANAGED' | 'UNMANAGED'
  state: 'ENABLED' | 'DISABLED'
  status: 'CREATING' | 'UPDATING' | 'DELETING' | 'DELETED' | 'VALID' | 'INVALID'
  statusReason: string
  computeResources?: ComputeResources
  unmanagedvCpus?: number
  serviceRole?: string
  tags?: Record<string, string>
  containerOrchestrationType: 'ECS'
}

export interface ComputeEnvironmentOrder {
  order: number
  computeEnvironment: string
}

export interface JobQueueDetail {
  jobQueueName: string
  jobQueueArn: string
  state: 'ENABLED' | 'DISABLED'
  status: 'CREATING' | 'UPDATING' | 'DELETING' | 'DELETED' | 'VALID' | 'INVALID'
  statusReason: string
  priority: number
  computeEnvironmentOrder: ComputeEnvironmentOrder[]
  tags?: Record<string, string>
}

export interface AttemptContainerDetail {
  containerInstanceArn?: string
  taskArn?: string
  exitCode?: number
  reason?: string
  logStreamName?: string
}

export interface AttemptDetail {
  container: AttemptContainerDetail
  startedAt?: number
  stoppedAt?: number
  statusReason?: string
}

export interface ContainerDetail {
  image?: string
  command: string[]
  environment: KeyValuePair[]
  resourceRequirements: ResourceRequirement[]
  vcpus: number
  memory: number
  exitCode?: number
  reason?: string
  logStreamName?: string
  containerInstanceArn?: string
  taskArn?: string
}

export interface ArrayPropertiesDetail {
  statusSummary?: Partial<Record<JobStatus, number>>
  size?: number
  index?: number
}

export interface JobDetail {
  jobArn: string
  jobName: string
  jobId: string
  jobQueue: string
  status: JobStatus
  statusReason?: string
  attempts: AttemptDetail[]
  createdAt: number
  startedAt?: number
  stoppedAt?: number
  retryStrategy?: RetryStrategy
  dependsOn: JobDependency[]
  jobDefinition: string
  parameters: Record<string, string>
  container: ContainerDetail
  arrayProperties?: ArrayPropertiesDetail
  timeout?: JobTimeout
  tags?: Record<string, string>
  propagateTags?: boolean
  platformCapabilities: Array<'EC2' | 'FARGATE'>
  isCancelled?: boolean
  isTerminated?: boolean
}

export interface JobSummary {
  jobArn: string
  jobId: string
  jobName: string
  createdAt: number
  status: JobStatus
  statusReason?: string
  startedAt?: number
  stoppedAt?: number
  container?: { exitCode?: number; reason?: string }
  arrayProperties?: { size?: number; index?: number }
  jobDefinition: string
}

/** EventBridge detail type of Batch job events. */
export const JOB_STATE_CHANGE = 'Batch Job State Change'
export const BATCH_SOURCE = 'aws.batch'
