// The ClusterOperations of ECS: AWS's request and response shapes (field for
// field, from the service model @aws-sdk/client-ecs ships: clusters, container
// instances, attributes, capacity providers, tags) and the operations'
// signatures. Every member is optional where the model has it optional; the
// area files check what the model says is required.

export interface Tag { key?: string; value?: string }
export interface KeyValuePair { name?: string; value?: string }
export interface Failure { arn?: string; reason?: string; detail?: string }

export type ClusterField = 'ATTACHMENTS' | 'CONFIGURATIONS' | 'SETTINGS' | 'STATISTICS' | 'TAGS'
export interface ClusterSetting { name?: 'containerInsights'; value?: string }
export interface ExecuteCommandLogConfiguration {
  cloudWatchLogGroupName?: string; cloudWatchEncryptionEnabled?: boolean
  s3BucketName?: string; s3EncryptionEnabled?: boolean; s3KeyPrefix?: string
}
export interface ExecuteCommandConfiguration { kmsKeyId?: string; logging?: 'NONE' | 'DEFAULT' | 'OVERRIDE'; logConfiguration?: ExecuteCommandLogConfiguration }
export interface ClusterConfiguration { executeCommandConfiguration?: ExecuteCommandConfiguration; managedStorageConfiguration?: { kmsKeyId?: string; fargateEphemeralStorageKmsKeyId?: string } }
export interface CapacityProviderStrategyItem { capacityProvider: string; weight?: number; base?: number }
export interface Attachment { id?: string; type?: string; status?: string; details?: KeyValuePair[] }
export interface ClusterServiceConnectDefaultsRequest { namespace: string }

export interface Cluster {
  clusterArn?: string
  clusterName?: string
  configuration?: ClusterConfiguration
  status?: 'ACTIVE' | 'PROVISIONING' | 'DEPROVISIONING' | 'FAILED' | 'INACTIVE'
  registeredContainerInstancesCount?: number
  runningTasksCount?: number
  pendingTasksCount?: number
  activeServicesCount?: number
  statistics?: KeyValuePair[]
  tags?: Tag[]
  settings?: ClusterSetting[]
  capacityProviders?: string[]
  defaultCapacityProviderStrategy?: CapacityProviderStrategyItem[]
  attachments?: Attachment[]
  attachmentsStatus?: string
  serviceConnectDefaults?: { namespace?: string }
}

export interface CreateClusterRequest {
  clusterName?: string
  tags?: Tag[]
  settings?: ClusterSetting[]
  configuration?: ClusterConfiguration
  capacityProviders?: string[]
  defaultCapacityProviderStrategy?: CapacityProviderStrategyItem[]
  serviceConnectDefaults?: ClusterServiceConnectDefaultsRequest
}
export interface CreateClusterResponse { cluster?: Cluster }
export interface DescribeClustersRequest { clusters?: string[]; include?: ClusterField[] }
export interface DescribeClustersResponse { clusters?: Cluster[]; failures?: Failure[] }
export interface ListClustersRequest { nextToken?: string; maxResults?: number }
export interface ListClustersResponse { clusterArns?: string[]; nextToken?: string }
export interface UpdateClusterRequest { cluster: string; settings?: ClusterSetting[]; configuration?: ClusterConfiguration; serviceConnectDefaults?: ClusterServiceConnectDefaultsRequest }
export interface UpdateClusterResponse { cluster?: Cluster }
export interface UpdateClusterSettingsRequest { cluster: string; settings: ClusterSetting[] }
export interface UpdateClusterSettingsResponse { cluster?: Cluster }
export interface PutClusterCapacityProvidersRequest { cluster: string; capacityProviders: string[]; defaultCapacityProviderStrategy: CapacityProviderStrategyItem[] }
export interface PutClusterCapacityProvidersResponse { cluster?: Cluster }
export interface DeleteClusterRequest { cluster: string }
export interface DeleteClusterResponse { cluster?: Cluster }

// ---- container instances

export type ContainerInstanceStatus = 'ACTIVE' | 'DRAINING' | 'REGISTERING' | 'DEREGISTERING' | 'REGISTRATION_FAILED' | 'INACTIVE'
export type TargetType = 'container-instance'
export interface Attribute { name: string; value?: string; targetType?: TargetType; targetId?: string }
export interface Resource {
  name?: string
  type?: 'INTEGER' | 'LONG' | 'DOUBLE' | 'STRINGSET'
  doubleValue?: number
  longValue?: number
  integerValue?: number
  stringSetValue?: string[]
}
export interface VersionInfo { agentVersion?: string; agentHash?: string; dockerVersion?: string }
export interface PlatformDevice { id: string; type: 'GPU' }

export interface ContainerInstance {
  containerInstanceArn?: string
  ec2InstanceId?: string
  capacityProviderName?: string
  version?: number
  versionInfo?: VersionInfo
  remainingResources?: Resource[]
  registeredResources?: Resource[]
  status?: ContainerInstanceStatus
  statusReason?: string
  agentConnected?: boolean
  runningTasksCount?: number
  pendingTasksCount?: number
  agentUpdateStatus?: string
  attributes?: Attribute[]
  /** Epoch ms (the engine clock; the wire table sends it as a timestamp). */
  registeredAt?: number
  attachments?: Attachment[]
  tags?: Tag[]
  healthStatus?: { overallStatus?: string; details?: unknown[] }
}

export interface RegisterContainerInstanceRequest {
  cluster?: string
  instanceIdentityDocument?: string
  instanceIdentityDocumentSignature?: string
  totalResources?: Resource[]
  versionInfo?: VersionInfo
  containerInstanceArn?: string
  attributes?: Attribute[]
  platformDevices?: PlatformDevice[]
  tags?: Tag[]
}
export interface RegisterContainerInstanceResponse { containerInstance?: ContainerInstance }
export interface DeregisterContainerInstanceRequest { cluster?: string; containerInstance: string; force?: boolean }
export interface DeregisterContainerInstanceResponse { containerInstance?: ContainerInstance }
export interface DescribeContainerInstancesRequest { cluster?: string; containerInstances: string[]; include?: Array<'TAGS' | 'CONTAINER_INSTANCE_HEALTH'> }
export interface DescribeContainerInstancesResponse { containerInstances?: ContainerInstance[]; failures?: Failure[] }
export interface ListContainerInstancesRequest { cluster?: string; filter?: string; nextToken?: string; maxResults?: number; status?: ContainerInstanceStatus }
export interface ListContainerInstancesResponse { containerInstanceArns?: string[]; nextToken?: string }
export interface UpdateContainerInstancesStateRequest { cluster?: string; containerInstances: string[]; status: 'ACTIVE' | 'DRAINING' | 'REGISTERING' | 'DEREGISTERING' | 'REGISTRATION_FAILED' }
export interface UpdateContainerInstancesStateResponse { containerInstances?: ContainerInstance[]; failures?: Failure[] }

export interface PutAttributesRequest { cluster?: string; attributes: Attribute[] }
export interface PutAttributesResponse { attributes?: Attribute[] }
export interface DeleteAttributesRequest { cluster?: string; attributes: Attribute[] }
export interface DeleteAttributesResponse { attributes?: Attribute[] }
export interface ListAttributesRequest { cluster?: string; targetType: TargetType; attributeName?: string; attributeValue?: string; nextToken?: string; maxResults?: number }
export interface ListAttributesResponse { attributes?: Attribute[]; nextToken?: string }

// ---- capacity providers

export interface ManagedScaling {
  status?: 'ENABLED' | 'DISABLED'
  targetCapacity?: number
  minimumScalingStepSize?: number
  maximumScalingStepSize?: number
  instanceWarmupPeriod?: number
}
export interface AutoScalingGroupProvider {
  autoScalingGroupArn: string
  managedScaling?: ManagedScaling
  managedTerminationProtection?: 'ENABLED' | 'DISABLED'
  managedDraining?: 'ENABLED' | 'DISABLED'
}
export type AutoScalingGroupProviderUpdate = Omit<AutoScalingGroupProvider, 'autoScalingGroupArn'>
export interface CapacityProvider {
  capacityProviderArn?: string
  name?: string
  status?: 'ACTIVE' | 'INACTIVE'
  autoScalingGroupProvider?: AutoScalingGroupProvider
  updateStatus?: 'DELETE_IN_PROGRESS' | 'DELETE_COMPLETE' | 'DELETE_FAILED' | 'UPDATE_IN_PROGRESS' | 'UPDATE_COMPLETE' | 'UPDATE_FAILED'
  updateStatusReason?: string
  tags?: Tag[]
}
export interface CreateCapacityProviderRequest { name: string; autoScalingGroupProvider: AutoScalingGroupProvider; tags?: Tag[] }
export interface CreateCapacityProviderResponse { capacityProvider?: CapacityProvider }
export interface DescribeCapacityProvidersRequest { capacityProviders?: string[]; include?: Array<'TAGS'>; maxResults?: number; nextToken?: string }
export interface DescribeCapacityProvidersResponse { capacityProviders?: CapacityProvider[]; failures?: Failure[]; nextToken?: string }
export interface UpdateCapacityProviderRequest { name: string; autoScalingGroupProvider: AutoScalingGroupProviderUpdate }
export interface UpdateCapacityProviderResponse { capacityProvider?: CapacityProvider }
export interface DeleteCapacityProviderRequest { capacityProvider: string }
export interface DeleteCapacityProviderResponse { capacityProvider?: CapacityProvider }

// ---- tags

export interface TagResourceRequest { resourceArn: string; tags: Tag[] }
export interface UntagResourceRequest { resourceArn: string; tagKeys: string[] }
export interface ListTagsForResourceRequest { resourceArn: string }
export interface ListTagsForResourceResponse { tags?: Tag[] }

export interface ClusterOperations {
  createCluster(input: CreateClusterRequest): Promise<CreateClusterResponse>
  describeClusters(input: DescribeClustersRequest): Promise<DescribeClustersResponse>
  listClusters(input: ListClustersRequest): Promise<ListClustersResponse>
  updateCluster(input: UpdateClusterRequest): Promise<UpdateClusterResponse>
  updateClusterSettings(input: UpdateClusterSettingsRequest): Promise<UpdateClusterSettingsResponse>
  putClusterCapacityProviders(input: PutClusterCapacityProvidersRequest): Promise<PutClusterCapacityProvidersResponse>
  deleteCluster(input: DeleteClusterRequest): Promise<DeleteClusterResponse>
  registerContainerInstance(input: RegisterContainerInstanceRequest): Promise<RegisterContainerInstanceResponse>
  deregisterContainerInstance(input: DeregisterContainerInstanceRequest): Promise<DeregisterContainerInstanceResponse>
  describeContainerInstances(input: DescribeContainerInstancesRequest): Promise<DescribeContainerInstancesResponse>
  listContainerInstances(input: ListContainerInstancesRequest): Promise<ListContainerInstancesResponse>
  updateContainerInstancesState(input: UpdateContainerInstancesStateRequest): Promise<UpdateContainerInstancesStateResponse>
  putAttributes(input: PutAttributesRequest): Promise<PutAttributesResponse>
  deleteAttributes(input: DeleteAttributesRequest): Promise<DeleteAttributesResponse>
  listAttributes(input: ListAttributesRequest): Promise<ListAttributesResponse>
  createCapacityProvider(input: CreateCapacityProviderRequest): Promise<CreateCapacityProviderResponse>
  describeCapacityProviders(input: DescribeCapacityProvidersRequest): Promise<DescribeCapacityProvidersResponse>
  updateCapacityProvider(input: UpdateCapacityProviderRequest): Promise<UpdateCapacityProviderResponse>
  deleteCapacityProvider(input: DeleteCapacityProviderRequest): Promise<DeleteCapacityProviderResponse>
  tagResource(input: TagResourceRequest): Promise<Record<string, never>>
  untagResource(input: UntagResourceRequest): Promise<Record<string, never>>
  listTagsForResource(input: ListTagsForResourceRequest): Promise<ListTagsForResourceResponse>
}

/** Stratus-only calls of this area (not AWS operations). */
export interface ClusterExtensions {
  /** A capacity provider's CapacityProviderReservation (%), M and N as managed scaling last computed them (undefined before its first look). */
  capacityProviderReservation(input: { capacityProvider: string }): Promise<{ reservation: number; needed: number; running: number } | undefined>
}

export const CLUSTER_OPERATION_NAMES = ['createCluster', 'describeClusters', 'listClusters', 'updateCluster', 'updateClusterSettings', 'putClusterCapacityProviders', 'deleteCluster', 'registerContainerInstance', 'deregisterContainerInstance', 'describeContainerInstances', 'listContainerInstances', 'updateContainerInstancesState', 'putAttributes', 'deleteAttributes', 'listAttributes', 'createCapacityProvider', 'describeCapacityProviders', 'updateCapacityProvider', 'deleteCapacityProvider', 'tagResource', 'untagResource', 'listTagsForResource'] as const
