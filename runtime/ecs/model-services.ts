// The ServiceOperations of ECS: AWS's request and response shapes, field for
// field, from the service model @aws-sdk/client-ecs ships (models_0.d.ts,
// models_1.d.ts), and the operations' signatures. Times are epoch
// milliseconds on the engine's clock (the wire table sends epoch seconds).
// Members of the model Stratus does not act on yet (Service Connect, VPC
// Lattice, volume configurations, alarms) are listed where a request may
// carry them so a request naming them is refused by name, not ignored.

import type { TaskSet } from './model-task-sets.js'

export type LaunchType = 'EC2' | 'FARGATE' | 'EXTERNAL' | 'MANAGED_INSTANCES'
export type SchedulingStrategy = 'REPLICA' | 'DAEMON'
export type PropagateTags = 'TASK_DEFINITION' | 'SERVICE' | 'NONE'
export type DeploymentControllerType = 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL'
export type DeploymentRolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED'
export type ServiceStatus = 'ACTIVE' | 'DRAINING' | 'INACTIVE'
export type DeploymentStatus = 'PRIMARY' | 'ACTIVE' | 'INACTIVE'

export interface Tag { key?: string; value?: string }
export interface Failure { arn?: string; reason?: string; detail?: string }
export interface CapacityProviderStrategyItem { capacityProvider: string; weight?: number; base?: number }
export interface PlacementConstraint { type?: 'distinctInstance' | 'memberOf'; expression?: string }
export interface PlacementStrategy { type?: 'random' | 'spread' | 'binpack'; field?: string }
export interface AwsVpcConfiguration { subnets: string[]; securityGroups?: string[]; assignPublicIp?: 'ENABLED' | 'DISABLED' }
export interface NetworkConfiguration { awsvpcConfiguration?: AwsVpcConfiguration }
export interface AdvancedConfiguration { alternateTargetGroupArn?: string; productionListenerRule?: string; testListenerRule?: string; roleArn?: string }
export interface LoadBalancer { targetGroupArn?: string; loadBalancerName?: string; containerName?: string; containerPort?: number; advancedConfiguration?: AdvancedConfiguration }
export type DeploymentStrategy = 'ROLLING' | 'BLUE_GREEN' | 'LINEAR' | 'CANARY'
export interface ServiceRegistry { registryArn?: string; port?: number; containerName?: string; containerPort?: number }
export interface DeploymentController { type: DeploymentControllerType }

export interface DeploymentCircuitBreaker {
  enable: boolean
  rollback: boolean
}

export interface DeploymentConfiguration {
  deploymentCircuitBreaker?: DeploymentCircuitBreaker
  maximumPercent?: number
  minimumHealthyPercent?: number
  /** ROLLING (default), or BLUE_GREEN, LINEAR, CANARY: traffic shifted between each loadBalancers entry's target group and its alternate. */
  strategy?: DeploymentStrategy
  /** BLUE_GREEN / LINEAR / CANARY: minutes both revisions keep running after production traffic shifted (0–1440). */
  bakeTimeInMinutes?: number
  linearConfiguration?: { stepPercent?: number; stepBakeTimeInMinutes?: number }
  canaryConfiguration?: { canaryPercent?: number; canaryBakeTimeInMinutes?: number }
}

export interface Deployment {
  /** ecs-svc/<19 digits>. */
  id?: string
  status?: DeploymentStatus
  taskDefinition?: string
  desiredCount?: number
  pendingCount?: number
  runningCount?: number
  failedTasks?: number
  createdAt?: number
  updatedAt?: number
  capacityProviderStrategy?: CapacityProviderStrategyItem[]
  launchType?: LaunchType
  platformVersion?: string
  platformFamily?: string
  networkConfiguration?: NetworkConfiguration
  rolloutState?: DeploymentRolloutState
  rolloutStateReason?: string
}

export interface ServiceEvent {
  id?: string
  createdAt?: number
  message?: string
}

export interface Service {
  serviceArn?: string
  serviceName?: string
  clusterArn?: string
  loadBalancers?: LoadBalancer[]
  serviceRegistries?: ServiceRegistry[]
  status?: ServiceStatus
  desiredCount?: number
  runningCount?: number
  pendingCount?: number
  launchType?: LaunchType
  capacityProviderStrategy?: CapacityProviderStrategyItem[]
  platformVersion?: string
  platformFamily?: string
  taskDefinition?: string
  deploymentConfiguration?: DeploymentConfiguration
  /** EXTERNAL deployment controller: the service's task sets (counts computed when described). */
  taskSets?: TaskSet[]
  deployments?: Deployment[]
  roleArn?: string
  /** Newest first, at most 100. */
  events?: ServiceEvent[]
  createdAt?: number
  placementConstraints?: PlacementConstraint[]
  placementStrategy?: PlacementStrategy[]
  networkConfiguration?: NetworkConfiguration
  healthCheckGracePeriodSeconds?: number
  schedulingStrategy?: SchedulingStrategy
  deploymentController?: DeploymentController
  /** Only when DescribeServices asks include: ['TAGS'] (CreateService returns them). */
  tags?: Tag[]
  createdBy?: string
  enableECSManagedTags?: boolean
  propagateTags?: PropagateTags
  enableExecuteCommand?: boolean
  availabilityZoneRebalancing?: 'ENABLED' | 'DISABLED'
}

export interface CreateServiceRequest {
  cluster?: string
  serviceName: string
  taskDefinition?: string
  availabilityZoneRebalancing?: 'ENABLED' | 'DISABLED'
  loadBalancers?: LoadBalancer[]
  serviceRegistries?: ServiceRegistry[]
  desiredCount?: number
  clientToken?: string
  launchType?: LaunchType
  capacityProviderStrategy?: CapacityProviderStrategyItem[]
  platformVersion?: string
  role?: string
  deploymentConfiguration?: DeploymentConfiguration
  placementConstraints?: PlacementConstraint[]
  placementStrategy?: PlacementStrategy[]
  networkConfiguration?: NetworkConfiguration
  healthCheckGracePeriodSeconds?: number
  schedulingStrategy?: SchedulingStrategy
  deploymentController?: DeploymentController
  tags?: Tag[]
  enableECSManagedTags?: boolean
  propagateTags?: PropagateTags
  enableExecuteCommand?: boolean
  serviceConnectConfiguration?: unknown
  volumeConfigurations?: unknown[]
  vpcLatticeConfigurations?: unknown[]
}
export interface CreateServiceResponse { service?: Service }

export interface UpdateServiceRequest {
  cluster?: string
  service: string
  desiredCount?: number
  taskDefinition?: string
  capacityProviderStrategy?: CapacityProviderStrategyItem[]
  deploymentConfiguration?: DeploymentConfiguration
  availabilityZoneRebalancing?: 'ENABLED' | 'DISABLED'
  networkConfiguration?: NetworkConfiguration
  placementConstraints?: PlacementConstraint[]
  placementStrategy?: PlacementStrategy[]
  platformVersion?: string
  forceNewDeployment?: boolean
  healthCheckGracePeriodSeconds?: number
  deploymentController?: DeploymentController
  enableExecuteCommand?: boolean
  enableECSManagedTags?: boolean
  loadBalancers?: LoadBalancer[]
  propagateTags?: PropagateTags
  serviceRegistries?: ServiceRegistry[]
  serviceConnectConfiguration?: unknown
  volumeConfigurations?: unknown[]
  vpcLatticeConfigurations?: unknown[]
}
export interface UpdateServiceResponse { service?: Service }

export interface DeleteServiceRequest { cluster?: string; service: string; force?: boolean }
export interface DeleteServiceResponse { service?: Service }

export interface DescribeServicesRequest { cluster?: string; services: string[]; include?: Array<'TAGS'> }
export interface DescribeServicesResponse { services?: Service[]; failures?: Failure[] }

export interface ListServicesRequest {
  cluster?: string
  nextToken?: string
  maxResults?: number
  launchType?: LaunchType
  schedulingStrategy?: SchedulingStrategy
}
export interface ListServicesResponse { serviceArns?: string[]; nextToken?: string }

export interface ListServicesByNamespaceRequest { namespace: string; nextToken?: string; maxResults?: number }
export interface ListServicesByNamespaceResponse { serviceArns?: string[]; nextToken?: string }

export interface ServiceOperations {
  createService(input: CreateServiceRequest): Promise<CreateServiceResponse>
  updateService(input: UpdateServiceRequest): Promise<UpdateServiceResponse>
  deleteService(input: DeleteServiceRequest): Promise<DeleteServiceResponse>
  describeServices(input: DescribeServicesRequest): Promise<DescribeServicesResponse>
  listServices(input: ListServicesRequest): Promise<ListServicesResponse>
  listServicesByNamespace(input: ListServicesByNamespaceRequest): Promise<ListServicesByNamespaceResponse>
  listServiceDeployments(input: ListServiceDeploymentsRequest): Promise<ListServiceDeploymentsResponse>
  describeServiceDeployments(input: DescribeServiceDeploymentsRequest): Promise<DescribeServiceDeploymentsResponse>
  stopServiceDeployment(input: StopServiceDeploymentRequest): Promise<StopServiceDeploymentResponse>
}

export interface ListServiceDeploymentsRequest { service: string; cluster?: string; status?: string[]; createdAt?: { before?: number; after?: number }; nextToken?: string; maxResults?: number }
export interface ListServiceDeploymentsResponse { serviceDeployments?: Array<Record<string, unknown>>; nextToken?: string }
export interface DescribeServiceDeploymentsRequest { serviceDeploymentArns: string[] }
export interface DescribeServiceDeploymentsResponse { serviceDeployments?: Array<Record<string, unknown>>; failures?: Failure[] }
export interface StopServiceDeploymentRequest { serviceDeploymentArn: string; stopType?: 'ROLLBACK' | 'ABORT' }
export interface StopServiceDeploymentResponse { serviceDeploymentArn?: string }

/** A service's cost so far: the sum of its tasks' costs (the tasks area's taskCost), retained stopped tasks included. */
export interface ServiceCost {
  serviceArn: string
  /** US dollars. */
  usd: number
  /** The task records summed (live, and stopped ones still retained). */
  tasks: number
}

/** Stratus-only calls of this area (not AWS operations). */
export interface ServiceExtensions {
  serviceCost(input: { cluster?: string; service: string }): Promise<ServiceCost>
}

export const SERVICE_EXTENSION_NAMES = ['serviceCost'] as const

export const SERVICE_OPERATION_NAMES = [
  'createService', 'updateService', 'deleteService', 'describeServices', 'listServices', 'listServicesByNamespace',
  'listServiceDeployments', 'describeServiceDeployments', 'stopServiceDeployment'
] as const
