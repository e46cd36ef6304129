// What ECS keeps in the store, and the record shapes more than one part of
// runtime/ecs/ reads. Each record holds the AWS shape a Describe call returns
// (so describing is reading) plus the engine's own fields beside it.
//
//   ecs:clusters           <cluster name>              ClusterRecord
//   ecs:capacityProviders  <name>                      CapacityProviderRecord (clusters.ts area)
//   ecs:taskDefinitions    <family>:<8-digit revision> TaskDefinitionRecord
//   ecs:tasks              <task id (32 hex)>          TaskRecord (live and stopped, until retention)
//   ecs:services           <cluster>/<service name>    ServiceRecord
//
// Container instances are the nodes of the cluster's node pool (cluster/
// node-pool.ts: cluster:pools, cluster:nodes); ECS-only facts about them (agent
// connection, registration attributes) live on the node's attributes or in
// the clusters area's own collection.

export const CLUSTERS = 'ecs:clusters'
export const CAPACITY_PROVIDERS = 'ecs:capacityProviders'
export const TASK_DEFINITIONS = 'ecs:taskDefinitions'
export const TASKS = 'ecs:tasks'
export const SERVICES = 'ecs:services'

/** The TaskLauncher owner name of ECS tasks. */
export const TASK_OWNER = 'ecs'

/** A cluster: its AWS shape without the counts (DescribeClusters computes those), and its pools. */
export interface ClusterRecord {
  /** The AWS shape as stored: clusterArn, clusterName, status, settings, configuration, capacityProviders, defaultCapacityProviderStrategy, tags. */
  cluster: Record<string, any>
  /** The node pool of its container instances (EC2 launch type). */
  poolId: string
  /** The node pool its Fargate tasks are accounted in (no container instances are shown for it). */
  fargatePoolId: string
  createdAt: number
}

export interface TaskDefinitionRecord {
  /** The AWS TaskDefinition shape, as DescribeTaskDefinition returns it. */
  taskDefinition: Record<string, any>
  tags?: Array<{ key: string; value: string }>
}

/**
 * An ECS task. `task` is the AWS Task shape DescribeTasks returns, kept up to
 * date in the same transaction as every change (lastStatus, containers, health,
 * timestamps); the rest is the engine's.
 */
export interface TaskRecord {
  task: Record<string, any>
  /** The id in the ARN (task/<cluster>/<id>): the store key. */
  taskId: string
  clusterName: string
  /** The TaskLauncher run id while a sandbox is (or may be) live. */
  runId?: string
  /** The service that started it (startedBy ecs-svc/…, group service:<name>). */
  serviceName?: string
  /** The service deployment it belongs to (ecs-svc/<id>). */
  deploymentId?: string
  /** A stopped task is purged after this (clock ms). */
  expiresAt?: number
}

/** A service: the AWS Service shape (deployments, events, counts kept current) and the engine's fields. */
export interface ServiceRecord {
  service: Record<string, any>
  clusterName: string
}

/**
 * The indexes every area may scan by (defined once, by the Ecs class, before
 * any area starts):
 *   ecs:tasks     cluster        <cluster>
 *                 clusterStatus  <cluster>/<task.lastStatus>
 *                 service        <cluster>/<service name>   (tasks a service started)
 *                 deployment     <deployment id>
 *                 instance       <task.containerInstanceArn> (EC2 tasks)
 *   ecs:services  cluster        <cluster>
 *                 clusterStatus  <cluster>/<service.status>
 *   ecs:taskDefinitions family   <family>
 */
export function defineEcsIndexes(store: import('../store/store.js').Store): void {
  store.defineIndex<TaskRecord>(TASKS, 'cluster', (r) => r.clusterName)
  store.defineIndex<TaskRecord>(TASKS, 'clusterStatus', (r) => `${r.clusterName}/${String(r.task.lastStatus)}`)
  store.defineIndex<TaskRecord>(TASKS, 'service', (r) => r.serviceName === undefined ? undefined : `${r.clusterName}/${r.serviceName}`)
  store.defineIndex<TaskRecord>(TASKS, 'deployment', (r) => r.deploymentId)
  store.defineIndex<TaskRecord>(TASKS, 'instance', (r) => typeof r.task.containerInstanceArn === 'string' ? r.task.containerInstanceArn : undefined)
  store.defineIndex<ServiceRecord>(SERVICES, 'cluster', (r) => r.clusterName)
  store.defineIndex<ServiceRecord>(SERVICES, 'clusterStatus', (r) => `${r.clusterName}/${String(r.service.status)}`)
  store.defineIndex<TaskDefinitionRecord>(TASK_DEFINITIONS, 'family', (r) => String(r.taskDefinition.family))
}
