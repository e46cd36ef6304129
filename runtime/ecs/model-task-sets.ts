// The task set operations of ECS (services whose deploymentController is
// EXTERNAL): AWS's request and response shapes, field for field, from the
// service model @aws-sdk/client-ecs ships (models_1.d.ts: TaskSet, Scale,
// CreateTaskSetRequest …). Times are epoch milliseconds on the engine's clock
// (the wire table sends epoch seconds).

import type {
  CapacityProviderStrategyItem, Failure, LaunchType, LoadBalancer, NetworkConfiguration, ServiceRegistry, Tag
} from './model-services.js'

/** ACTIVE: not serving production traffic; PRIMARY: serving it; DRAINING: its tasks are being stopped and deregistered. */
export type TaskSetStatus = 'ACTIVE' | 'PRIMARY' | 'DRAINING'
export type StabilityStatus = 'STEADY_STATE' | 'STABILIZING'
export type ScaleUnit = 'PERCENT'

/** A percentage (0–100) of the service's desiredCount the task set keeps running. */
export interface Scale { value?: number; unit?: ScaleUnit }

export interface TaskSet {
  /** ecs-svc/<19 digits>. */
  id?: string
  /** arn:…:ecs:<region>:<account>:task-set/<cluster>/<service>/ecs-svc/<digits>. */
  taskSetArn?: string
  serviceArn?: string
  clusterArn?: string
  startedBy?: string
  externalId?: string
  status?: TaskSetStatus
  taskDefinition?: string
  /** ⌈service desiredCount × scale% / 100⌉ (0 while DRAINING). */
  computedDesiredCount?: number
  pendingCount?: number
  runningCount?: number
  createdAt?: number
  updatedAt?: number
  launchType?: LaunchType
  capacityProviderStrategy?: CapacityProviderStrategyItem[]
  platformVersion?: string
  platformFamily?: string
  networkConfiguration?: NetworkConfiguration
  loadBalancers?: LoadBalancer[]
  serviceRegistries?: ServiceRegistry[]
  scale?: Scale
  stabilityStatus?: StabilityStatus
  stabilityStatusAt?: number
  /** Only when DescribeTaskSets asks include: ['TAGS'] (CreateTaskSet returns them). */
  tags?: Tag[]
}

export interface CreateTaskSetRequest {
  service: string
  cluster: string
  externalId?: string
  taskDefinition: string
  networkConfiguration?: NetworkConfiguration
  loadBalancers?: LoadBalancer[]
  serviceRegistries?: ServiceRegistry[]
  launchType?: LaunchType
  capacityProviderStrategy?: CapacityProviderStrategyItem[]
  platformVersion?: string
  scale?: Scale
  clientToken?: string
  tags?: Tag[]
}
export interface CreateTaskSetResponse { taskSet?: TaskSet }

export interface DescribeTaskSetsRequest { cluster: string; service: string; taskSets?: string[]; include?: Array<'TAGS'> }
export interface DescribeTaskSetsResponse { taskSets?: TaskSet[]; failures?: Failure[] }

export interface UpdateTaskSetRequest { cluster: string; service: string; taskSet: string; scale: Scale }
export interface UpdateTaskSetResponse { taskSet?: TaskSet }

export interface UpdateServicePrimaryTaskSetRequest { cluster: string; service: string; primaryTaskSet: string }
export interface UpdateServicePrimaryTaskSetResponse { taskSet?: TaskSet }

export interface DeleteTaskSetRequest { cluster: string; service: string; taskSet: string; force?: boolean }
export interface DeleteTaskSetResponse { taskSet?: TaskSet }

export interface TaskSetOperations {
  createTaskSet(input: CreateTaskSetRequest): Promise<CreateTaskSetResponse>
  describeTaskSets(input: DescribeTaskSetsRequest): Promise<DescribeTaskSetsResponse>
  updateTaskSet(input: UpdateTaskSetRequest): Promise<UpdateTaskSetResponse>
  updateServicePrimaryTaskSet(input: UpdateServicePrimaryTaskSetRequest): Promise<UpdateServicePrimaryTaskSetResponse>
  deleteTaskSet(input: DeleteTaskSetRequest): Promise<DeleteTaskSetResponse>
}

export const TASK_SET_OPERATION_NAMES = [
  'createTaskSet', 'describeTaskSets', 'updateTaskSet', 'updateServicePrimaryTaskSet', 'deleteTaskSet'
] as const
