// A service as the store holds it (records.ts ServiceRecord with the
// engine's fields of this area beside the AWS shape), how requests name one,
// and the Service a Describe call returns: the stored shape with its counts
// computed from the live task records at read time (runningCount and
// pendingCount are never stored, so they cannot drift from the tasks).

import { randomInt } from 'node:crypto'
import { arns, localId } from '../aws/arn.js'
import type { StoreReader } from '../store/store.js'
import type { EcsContext } from './context.js'
import { EcsError, invalidParameter } from './errors.js'
import { SERVICES, TASKS, type ServiceRecord, type TaskRecord } from './records.js'
import type { Deployment, Service } from './model-services.js'
import { isFailedTask } from './circuit-breaker.js'
import { describedTaskSet } from './task-set-records.js'

export interface ServiceState extends ServiceRecord {
  service: Service
  clusterName: string
  /** The CreateService clientToken (a repeated create with it answers the same service). */
  clientToken?: string
  /** The task definition of the last COMPLETED deployment: the circuit breaker's rollback target. */
  lastCompleted?: { deploymentId: string; taskDefinition: string }
  /** The last steady state was reported (events[] and the bus) and nothing changed since. */
  steady?: boolean
  /** SERVICE_TASK_START_IMPAIRED was reported for the current run of failures. */
  impaired?: boolean
  /** When the last "unable to place" event was added (one per minute at most, as ECS repeats it). */
  placementFailureAt?: number
  /**
   * Tasks a deployment asked launchTasks for that it refused (an error, not a
   * placement shortfall): they count as the deployment's failed tasks.
   */
  launchFailures?: { deploymentId: string; count: number }
  /** When the last "failed to launch a task" event was added (one per minute at most). */
  launchErrorAt?: number
  /** INACTIVE since (deleted; describable until purged). */
  inactiveAt?: number
  /** Blue/green: the target groups each deployment's tasks join (absent: the loadBalancers' targetGroupArn). */
  targetSides?: Record<string, 'primary' | 'alternate'>
  /** Blue/green: the rollout shifting traffic now (blue-green.ts). */
  blueGreen?: import('./blue-green.js').BlueGreenState
  /** StopServiceDeployment asked to stop this deployment (the controller acts on it while it is the PRIMARY one in progress). */
  stopRequested?: { deploymentId: string; stopType: 'ROLLBACK' | 'ABORT' }
  /** What ListServiceDeployments / DescribeServiceDeployments report (service-deployments.ts). */
  history?: import('./service-deployments.js').DeploymentHistory[]
  /** EXTERNAL controller: CreateTaskSet clientTokens, each with the task set it created and that request (task-sets.ts). */
  taskSetTokens?: Record<string, { taskSetId: string; request: string }>
}

/** Store key of a service. */
export function serviceKey(clusterName: string, serviceName: string): string {
  return `${clusterName}/${serviceName}`
}

/** A 19-digit deployment id, `ecs-svc/<digits>`, as ECS shapes them. */
export function newDeploymentId(): string {
  let digits = String(randomInt(1, 10))
  while (digits.length < 19) digits += String(randomInt(0, 10))
  return `ecs-svc/${digits}`
}

/**
 * The service name a request's `service` member names in `clusterName`: a
 * name, or an ARN (service/<cluster>/<name>, or the old service/<name>) of
 * this partition whose cluster is the request's.
 */
export function serviceNameOf(ctx: EcsContext, clusterName: string, value: unknown, field = 'service'): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidParameter(field, `${field} is required.`)
  const id = localId(ctx.partition, 'ecs', 'service/', value)
  if ('refused' in id) throw invalidParameter(field, `${field}: ${id.refused}`)
  const parts = id.id.split('/')
  if (parts.length === 2) {
    if (parts[0] !== clusterName) throw invalidParameter(field, `${field}: ${value} is a service of cluster ${parts[0]}, not of ${clusterName}.`)
    return parts[1]
  }
  if (parts.length !== 1 || parts[0].length === 0) throw invalidParameter(field, `${field}: ${value} is not a service name or ARN.`)
  return parts[0]
}

export function readService(reader: StoreReader, clusterName: string, serviceName: string): { value: ServiceState; version: number } | undefined {
  const got = reader.get<ServiceState>(SERVICES, serviceKey(clusterName, serviceName))
  return got === undefined ? undefined : { value: got.value, version: got.version }
}

/** The ACTIVE service a mutating request names: ServiceNotFoundException, or ServiceNotActiveException when it is DRAINING or INACTIVE. */
export function activeService(reader: StoreReader, clusterName: string, serviceName: string, field = 'service'): { value: ServiceState; version: number } {
  const got = readService(reader, clusterName, serviceName)
  if (got === undefined) throw new EcsError('ServiceNotFoundException', 'Service not found.', { field })
  if (got.value.service.status !== 'ACTIVE') throw new EcsError('ServiceNotActiveException', 'Service was not ACTIVE.', { field })
  return got
}

export function serviceArn(ctx: EcsContext, clusterName: string, serviceName: string): string {
  return arns.ecs.service(ctx.partition, clusterName, serviceName)
}

/** The service's task records (live and retained stopped ones). */
export function serviceTasks(reader: StoreReader, clusterName: string, serviceName: string): TaskRecord[] {
  return reader.scan<TaskRecord>(TASKS, { index: { name: 'service', value: serviceKey(clusterName, serviceName) } }).map((r) => r.value)
}

const PENDING_STATES = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING'])

/** The counts of a set of task records: RUNNING ones, and those on their way to it. */
export function taskCounts(tasks: readonly TaskRecord[]): { runningCount: number; pendingCount: number } {
  let runningCount = 0
  let pendingCount = 0
  for (const t of tasks) {
    const status = t.task.lastStatus
    if (status === 'RUNNING') runningCount++
    else if (PENDING_STATES.has(String(status)) && t.task.desiredStatus !== 'STOPPED') pendingCount++
  }
  return { runningCount, pendingCount }
}

/** The Service a Describe call returns: counts of the live tasks, per deployment too; tags only when asked for. */
export function describeService(reader: StoreReader, state: ServiceState, includeTags: boolean): Service {
  const tasks = serviceTasks(reader, state.clusterName, String(state.service.serviceName))
  const byDeployment = new Map<string, TaskRecord[]>()
  for (const t of tasks) {
    if (t.deploymentId === undefined) continue
    const list = byDeployment.get(t.deploymentId) ?? []
    list.push(t)
    byDeployment.set(t.deploymentId, list)
  }
  const deployments: Deployment[] = (state.service.deployments ?? []).map((d) => {
    const own = byDeployment.get(String(d.id)) ?? []
    const failed = own.filter(isFailedTask).length
    return { ...d, ...taskCounts(own), failedTasks: Math.max(d.failedTasks ?? 0, failed) }
  })
  const { tags, ...rest } = state.service
  // A task set's tasks carry its id as their deploymentId: its counts are those of its tasks, as a deployment's.
  const taskSets = state.service.taskSets?.map((ts) => describedTaskSet(ts, taskCounts(byDeployment.get(String(ts.id)) ?? []), state.service.desiredCount ?? 0, false))
  return { ...rest, ...taskCounts(tasks), deployments, ...(taskSets !== undefined ? { taskSets } : {}), ...(includeTags ? { tags: tags ?? [] } : {}) }
}
