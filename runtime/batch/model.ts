// AWS Batch's API shapes, field for field (what DescribeJobs & co. return),
// so the AWS-compatible API is a thin adapter and SDK users recognise them.

export * from './tagging-model.js'
export * from './scheduling-policy-model.js'
export * from './requests-model.js'

export const JOB_STATUSES = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const
export type JobStatus = (typeof JOB_STATUSES)[number]

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

/** A volume's host path; absent (or without sourcePath): the job's scratch, a directory of its own attempt. */
export interface Host {
  sourcePath?: string
}

export interface Volume {
  name?: string
  host?: Host
  /** Refused: Stratus has no EFS. */
  efsVolumeConfiguration?: Record<string, unknown>
}

export interface MountPoint {
  containerPath?: string
  readOnly?: boolean
  sourceVolume?: string
}

export interface Ulimit {
  name: string
  softLimit: number
  hardLimit: number
}

export interface LinuxParameters {
  initProcessEnabled?: boolean
  /** The fields below are AWS's, refused: the runners have no such settings. */
  devices?: unknown[]
  sharedMemorySize?: number
  tmpfs?: unknown[]
  maxSwap?: number
  swappiness?: number
}

export type LogDriver = 'json-file' | 'syslog' | 'journald' | 'gelf' | 'fluentd' | 'awslogs' | 'splunk' | 'awsfirelens'

export interface LogConfiguration {
  logDriver: LogDriver
  options?: Record<string, string>
  secretOptions?: Array<{ name: string; valueFrom: string }>
}

/** A task's network interface (awsvpc): its 127.x address. */
export interface NetworkInterface {
  attachmentId?: string
  ipv6Address?: string
  privateIpv4Address?: string
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
  executionRoleArn?: string
  volumes?: Volume[]
  mountPoints?: MountPoint[]
  readonlyRootFilesystem?: boolean
  privileged?: boolean
  ulimits?: Ulimit[]
  user?: string
  linuxParameters?: LinuxParameters
  logConfiguration?: LogConfiguration
  /** Multi-node parallel jobs only on AWS; refused (Stratus places nodes by their resources). */
  instanceType?: string
}

export interface ContainerOverrides {
  command?: string[]
  environment?: KeyValuePair[]
  resourceRequirements?: ResourceRequirement[]
  /** Deprecated by AWS in favour of resourceRequirements, still accepted. */
  vcpus?: number
  memory?: number
  /** Multi-node parallel jobs only on AWS; refused (Stratus places nodes by their resources). */
  instanceType?: string
}

/** A range of node indices (`0:3`, `4:`, `:3`, `5`) and the container its nodes run. */
export interface NodeRangeProperty {
  targetNodes: string
  container?: ContainerProperties
}

export interface NodeProperties {
  numNodes: number
  mainNode: number
  nodeRangeProperties: NodeRangeProperty[]
}

export interface NodePropertyOverride {
  targetNodes: string
  containerOverrides?: ContainerOverrides
}

export interface NodeOverrides {
  numNodes?: number
  nodePropertyOverrides?: NodePropertyOverride[]
}

/** What DescribeJobs says of one node of a multi-node parallel job (`<jobId>#<index>`). */
export interface NodeDetails {
  nodeIndex?: number
  isMainNode?: boolean
}

export interface NodePropertiesSummary {
  isMainNode?: boolean
  numNodes?: number
  nodeIndex?: number
}

export interface JobDefinition {
  jobDefinitionName: string
  jobDefinitionArn: string
  revision: number
  status: 'ACTIVE' | 'INACTIVE'
  type: 'container' | 'multinode'
  parameters?: Record<string, string>
  retryStrategy?: RetryStrategy
  /** Container jobs (type container). */
  containerProperties?: ContainerProperties
  /** Multi-node parallel jobs (type multinode). */
  nodeProperties?: NodeProperties
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
  /** A fair-share queue's scheduling policy (absent: a FIFO queue). */
  schedulingPolicyArn?: string
  tags?: Record<string, string>
}

export interface AttemptContainerDetail {
  containerInstanceArn?: string
  taskArn?: string
  exitCode?: number
  reason?: string
  logStreamName?: string
  networkInterfaces?: NetworkInterface[]
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
  volumes?: Volume[]
  mountPoints?: MountPoint[]
  readonlyRootFilesystem?: boolean
  privileged?: boolean
  ulimits?: Ulimit[]
  user?: string
  linuxParameters?: LinuxParameters
  logConfiguration?: LogConfiguration
  exitCode?: number
  reason?: string
  logStreamName?: string
  containerInstanceArn?: string
  taskArn?: string
  networkInterfaces?: NetworkInterface[]
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
  /** A multi-node parallel job: its nodes (after the submission's overrides). */
  nodeProperties?: NodeProperties
  /** One node of a multi-node parallel job (`<jobId>#<index>`). */
  nodeDetails?: NodeDetails
  isCancelled?: boolean
  isTerminated?: boolean
  /** Fair-share queues: the job's share. */
  shareIdentifier?: string
  /** Fair-share queues: the submission's schedulingPriorityOverride. */
  schedulingPriority?: number
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
  nodeProperties?: NodePropertiesSummary
  jobDefinition: string
}

/** EventBridge detail type of Batch job events. */
export const JOB_STATE_CHANGE = 'Batch Job State Change'
export const BATCH_SOURCE = 'aws.batch'
