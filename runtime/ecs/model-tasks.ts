// The TaskOperations of ECS: AWS's request and response shapes, field for
// field (from the service model @aws-sdk/client-ecs ships: Task, Container,
// Failure, RunTaskRequest …), and the operations' signatures. Timestamps are
// Dates (the wire sends epoch seconds). Members Stratus does not serve
// (inference accelerators, EBS volume configurations, GPU ids) are left out.

export type LaunchType = 'EC2' | 'FARGATE' | 'EXTERNAL' | 'MANAGED_INSTANCES'
export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN'
export type Connectivity = 'CONNECTED' | 'DISCONNECTED'
export type DesiredStatus = 'RUNNING' | 'PENDING' | 'STOPPED'
export type TaskStopCode = 'TaskFailedToStart' | 'EssentialContainerExited' | 'UserInitiated' | 'ServiceSchedulerInitiated' | 'SpotInterruption' | 'TerminationNotice'
export type TaskLastStatus = 'PROVISIONING' | 'PENDING' | 'ACTIVATING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'DEPROVISIONING' | 'STOPPED'

export interface KeyValuePair { name?: string; value?: string }
export interface Tag { key?: string; value?: string }
export interface Attribute { name: string; value?: string; targetType?: 'container-instance'; targetId?: string }

export interface NetworkBinding {
  bindIP?: string
  containerPort?: number
  hostPort?: number
  protocol?: 'tcp' | 'udp'
  containerPortRange?: string
  hostPortRange?: string
}

export interface NetworkInterface { attachmentId?: string; privateIpv4Address?: string; ipv6Address?: string }

/** The task's ENI (awsvpc): type ElasticNetworkInterface, details subnetId, networkInterfaceId, macAddress, privateIPv4Address. */
export interface Attachment { id?: string; type?: string; status?: string; details?: KeyValuePair[] }

export interface ManagedAgent { lastStartedAt?: Date; name?: 'ExecuteCommandAgent'; reason?: string; lastStatus?: string }

export interface Container {
  containerArn?: string
  taskArn?: string
  name?: string
  image?: string
  imageDigest?: string
  runtimeId?: string
  lastStatus?: string
  exitCode?: number
  reason?: string
  networkBindings?: NetworkBinding[]
  networkInterfaces?: NetworkInterface[]
  healthStatus?: HealthStatus
  managedAgents?: ManagedAgent[]
  cpu?: string
  memory?: string
  memoryReservation?: string
}

export interface EnvironmentFile { value: string; type: 's3' }
export interface ResourceRequirement { value: string; type: 'GPU' | 'InferenceAccelerator' }
export interface EphemeralStorage { sizeInGiB: number }

export interface ContainerOverride {
  name?: string
  command?: string[]
  environment?: KeyValuePair[]
  environmentFiles?: EnvironmentFile[]
  cpu?: number
  memory?: number
  memoryReservation?: number
  resourceRequirements?: ResourceRequirement[]
}

export interface TaskOverride {
  containerOverrides?: ContainerOverride[]
  cpu?: string
  executionRoleArn?: string
  memory?: string
  taskRoleArn?: string
  ephemeralStorage?: EphemeralStorage
}

export interface Task {
  attachments?: Attachment[]
  attributes?: Attribute[]
  availabilityZone?: string
  capacityProviderName?: string
  clusterArn?: string
  connectivity?: Connectivity
  connectivityAt?: Date
  containerInstanceArn?: string
  containers?: Container[]
  cpu?: string
  createdAt?: Date
  desiredStatus?: string
  enableExecuteCommand?: boolean
  executionStoppedAt?: Date
  group?: string
  healthStatus?: HealthStatus
  lastStatus?: string
  launchType?: LaunchType
  memory?: string
  overrides?: TaskOverride
  platformVersion?: string
  platformFamily?: string
  pullStartedAt?: Date
  pullStoppedAt?: Date
  startedAt?: Date
  startedBy?: string
  stopCode?: TaskStopCode
  stoppedAt?: Date
  stoppedReason?: string
  stoppingAt?: Date
  tags?: Tag[]
  taskArn?: string
  taskDefinitionArn?: string
  version?: number
  ephemeralStorage?: EphemeralStorage
  fargateEphemeralStorage?: { sizeInGiB?: number; kmsKeyId?: string }
}

export interface Failure { arn?: string; reason?: string; detail?: string }

export interface CapacityProviderStrategyItem { capacityProvider: string; weight?: number; base?: number }
export interface PlacementConstraint { type?: 'distinctInstance' | 'memberOf'; expression?: string }
export interface PlacementStrategy { type?: 'random' | 'spread' | 'binpack'; field?: string }
export interface AwsVpcConfiguration { subnets: string[]; securityGroups?: string[]; assignPublicIp?: 'ENABLED' | 'DISABLED' }
export interface NetworkConfiguration { awsvpcConfiguration?: AwsVpcConfiguration }

export interface RunTaskRequest {
  capacityProviderStrategy?: CapacityProviderStrategyItem[]
  cluster?: string
  count?: number
  enableECSManagedTags?: boolean
  enableExecuteCommand?: boolean
  group?: string
  launchType?: LaunchType
  networkConfiguration?: NetworkConfiguration
  overrides?: TaskOverride
  placementConstraints?: PlacementConstraint[]
  placementStrategy?: PlacementStrategy[]
  platformVersion?: string
  propagateTags?: 'TASK_DEFINITION' | 'SERVICE' | 'NONE'
  referenceId?: string
  startedBy?: string
  tags?: Tag[]
  taskDefinition: string
  clientToken?: string
}
export interface RunTaskResponse { tasks?: Task[]; failures?: Failure[] }

export interface StartTaskRequest {
  cluster?: string
  containerInstances: string[]
  enableECSManagedTags?: boolean
  enableExecuteCommand?: boolean
  group?: string
  networkConfiguration?: NetworkConfiguration
  overrides?: TaskOverride
  propagateTags?: 'TASK_DEFINITION' | 'SERVICE' | 'NONE'
  referenceId?: string
  startedBy?: string
  tags?: Tag[]
  taskDefinition: string
}
export interface StartTaskResponse { tasks?: Task[]; failures?: Failure[] }

export interface StopTaskRequest { cluster?: string; task: string; reason?: string }
export interface StopTaskResponse { task?: Task }

export interface DescribeTasksRequest { cluster?: string; tasks: string[]; include?: Array<'TAGS'> }
export interface DescribeTasksResponse { tasks?: Task[]; failures?: Failure[] }

export interface ListTasksRequest {
  cluster?: string
  containerInstance?: string
  family?: string
  nextToken?: string
  maxResults?: number
  startedBy?: string
  serviceName?: string
  desiredStatus?: DesiredStatus
  launchType?: LaunchType
}
export interface ListTasksResponse { taskArns?: string[]; nextToken?: string }

export interface TaskOperations {
  runTask(input: RunTaskRequest): Promise<RunTaskResponse>
  startTask(input: StartTaskRequest): Promise<StartTaskResponse>
  stopTask(input: StopTaskRequest): Promise<StopTaskResponse>
  describeTasks(input: DescribeTasksRequest): Promise<DescribeTasksResponse>
  listTasks(input: ListTasksRequest): Promise<ListTasksResponse>
}

/** What a task costs so far (the task-definitions area's price table, us-east-1). */
export interface TaskCost {
  taskArn: string
  /** USD, from image pull (or start) until it stopped (or now). */
  usd: number
  seconds: number
  vcpu: number
  memoryGiB: number
  capacityProviderName?: string
}

/** Stratus-only calls of this area (not AWS operations). */
export interface TaskExtensions {
  /** Interrupts a FARGATE_SPOT task as AWS would: the two-minute warning now (SIGTERM), stopped with SpotInterruption. */
  interruptSpotTask(input: { cluster?: string; task: string }): Promise<{ task: Task }>
  /** The task's cost so far. */
  taskCost(input: { cluster?: string; task: string }): Promise<TaskCost>
}

export const TASK_OPERATION_NAMES = ['runTask', 'startTask', 'stopTask', 'describeTasks', 'listTasks'] as const
export const TASK_EXTENSION_NAMES = ['interruptSpotTask', 'taskCost'] as const
