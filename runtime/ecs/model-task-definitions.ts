// The task definition operations of ECS: AWS's request and response shapes,
// field for field, as the service model @aws-sdk/client-ecs ships them
// (models_0.d.ts). Only the members Stratus honours are listed; anything else
// in a request is refused by the validation with the field named.

export type NetworkMode = 'bridge' | 'host' | 'awsvpc' | 'none'
export type Compatibility = 'EC2' | 'FARGATE' | 'EXTERNAL'
export type TaskDefinitionStatus = 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS'
export type TaskDefinitionFamilyStatus = 'ACTIVE' | 'INACTIVE' | 'ALL'
export type ContainerCondition = 'START' | 'COMPLETE' | 'SUCCESS' | 'HEALTHY'

export interface Tag { key?: string; value?: string }
export interface KeyValuePair { name?: string; value?: string }

export interface PortMapping {
  containerPort?: number
  hostPort?: number
  protocol?: 'tcp' | 'udp'
  name?: string
  appProtocol?: 'http' | 'http2' | 'grpc'
}

export interface Ulimit { name: string; softLimit: number; hardLimit: number }
export interface MountPoint { sourceVolume?: string; containerPath?: string; readOnly?: boolean }
export interface VolumeFrom { sourceContainer?: string; readOnly?: boolean }
export interface ContainerDependency { containerName: string; condition: ContainerCondition }
export interface EnvironmentFile { value: string; type: 's3' }

export interface HealthCheck {
  command: string[]
  interval?: number
  timeout?: number
  retries?: number
  startPeriod?: number
}

export interface LinuxParameters { initProcessEnabled?: boolean }

export interface LogConfiguration {
  logDriver: string
  options?: Record<string, string>
  secretOptions?: Array<{ name: string; valueFrom: string }>
}

export interface ContainerDefinition {
  name?: string
  image?: string
  cpu?: number
  memory?: number
  memoryReservation?: number
  portMappings?: PortMapping[]
  essential?: boolean
  entryPoint?: string[]
  command?: string[]
  environment?: KeyValuePair[]
  environmentFiles?: EnvironmentFile[]
  mountPoints?: MountPoint[]
  volumesFrom?: VolumeFrom[]
  linuxParameters?: LinuxParameters
  dependsOn?: ContainerDependency[]
  stopTimeout?: number
  user?: string
  workingDirectory?: string
  privileged?: boolean
  readonlyRootFilesystem?: boolean
  dockerLabels?: Record<string, string>
  ulimits?: Ulimit[]
  logConfiguration?: LogConfiguration
  healthCheck?: HealthCheck
}

export interface HostVolumeProperties { sourcePath?: string }

export interface DockerVolumeConfiguration {
  scope?: 'task' | 'shared'
  autoprovision?: boolean
  driver?: string
  driverOpts?: Record<string, string>
  labels?: Record<string, string>
}

export interface EFSVolumeConfiguration {
  fileSystemId: string
  rootDirectory?: string
  transitEncryption?: 'ENABLED' | 'DISABLED'
  transitEncryptionPort?: number
  authorizationConfig?: { accessPointId?: string; iam?: 'ENABLED' | 'DISABLED' }
}

export interface Volume {
  name?: string
  host?: HostVolumeProperties
  dockerVolumeConfiguration?: DockerVolumeConfiguration
  efsVolumeConfiguration?: EFSVolumeConfiguration
}

export interface Attribute { name: string; value?: string; targetType?: 'container-instance'; targetId?: string }
export interface TaskDefinitionPlacementConstraint { type?: 'memberOf'; expression?: string }
export interface RuntimePlatform { cpuArchitecture?: 'X86_64' | 'ARM64'; operatingSystemFamily?: string }
export interface EphemeralStorage { sizeInGiB: number }

export interface TaskDefinition {
  taskDefinitionArn?: string
  containerDefinitions?: ContainerDefinition[]
  family?: string
  taskRoleArn?: string
  executionRoleArn?: string
  networkMode?: NetworkMode
  revision?: number
  volumes?: Volume[]
  status?: TaskDefinitionStatus
  requiresAttributes?: Attribute[]
  placementConstraints?: TaskDefinitionPlacementConstraint[]
  compatibilities?: Compatibility[]
  runtimePlatform?: RuntimePlatform
  requiresCompatibilities?: Compatibility[]
  cpu?: string
  memory?: string
  pidMode?: 'host' | 'task'
  ipcMode?: 'host' | 'task' | 'none'
  registeredAt?: Date
  deregisteredAt?: Date
  deleteRequestedAt?: Date
  registeredBy?: string
  ephemeralStorage?: EphemeralStorage
}

export interface RegisterTaskDefinitionRequest {
  family: string
  taskRoleArn?: string
  executionRoleArn?: string
  networkMode?: NetworkMode
  containerDefinitions: ContainerDefinition[]
  volumes?: Volume[]
  placementConstraints?: TaskDefinitionPlacementConstraint[]
  requiresCompatibilities?: Compatibility[]
  cpu?: string
  memory?: string
  tags?: Tag[]
  pidMode?: 'host' | 'task'
  ipcMode?: 'host' | 'task' | 'none'
  ephemeralStorage?: EphemeralStorage
  runtimePlatform?: RuntimePlatform
}
export interface RegisterTaskDefinitionResponse { taskDefinition?: TaskDefinition; tags?: Tag[] }

export interface DescribeTaskDefinitionRequest { taskDefinition: string; include?: Array<'TAGS'> }
export interface DescribeTaskDefinitionResponse { taskDefinition?: TaskDefinition; tags?: Tag[] }

export interface ListTaskDefinitionsRequest {
  familyPrefix?: string
  status?: TaskDefinitionStatus
  sort?: 'ASC' | 'DESC'
  nextToken?: string
  maxResults?: number
}
export interface ListTaskDefinitionsResponse { taskDefinitionArns?: string[]; nextToken?: string }

export interface ListTaskDefinitionFamiliesRequest {
  familyPrefix?: string
  status?: TaskDefinitionFamilyStatus
  nextToken?: string
  maxResults?: number
}
export interface ListTaskDefinitionFamiliesResponse { families?: string[]; nextToken?: string }

export interface DeregisterTaskDefinitionRequest { taskDefinition: string }
export interface DeregisterTaskDefinitionResponse { taskDefinition?: TaskDefinition }

export interface DeleteTaskDefinitionsRequest { taskDefinitions: string[] }
export interface Failure { arn?: string; reason?: string; detail?: string }
export interface DeleteTaskDefinitionsResponse { taskDefinitions?: TaskDefinition[]; failures?: Failure[] }

export interface TaskDefinitionOperations {
  registerTaskDefinition(input: RegisterTaskDefinitionRequest): Promise<RegisterTaskDefinitionResponse>
  describeTaskDefinition(input: DescribeTaskDefinitionRequest): Promise<DescribeTaskDefinitionResponse>
  listTaskDefinitions(input?: ListTaskDefinitionsRequest): Promise<ListTaskDefinitionsResponse>
  listTaskDefinitionFamilies(input?: ListTaskDefinitionFamiliesRequest): Promise<ListTaskDefinitionFamiliesResponse>
  deregisterTaskDefinition(input: DeregisterTaskDefinitionRequest): Promise<DeregisterTaskDefinitionResponse>
  deleteTaskDefinitions(input: DeleteTaskDefinitionsRequest): Promise<DeleteTaskDefinitionsResponse>
}

/** Stratus-only calls of this area (not AWS operations). */
export interface TaskDefinitionExtensions {}

export const TASK_DEFINITION_OPERATION_NAMES = ['registerTaskDefinition', 'describeTaskDefinition', 'listTaskDefinitions', 'listTaskDefinitionFamilies', 'deregisterTaskDefinition', 'deleteTaskDefinitions'] as const
