// Starting a task set's tasks: the LaunchRequest its members make (the task
// set's task definition, launch type or capacity provider strategy, network
// configuration and platform version; the service's placement, tags and
// exec setting), through the tasks area's launchTasks in the controller's
// transaction. Each task is startedBy the task set's id (ecs-svc/…), as ECS
// starts a task set's tasks, and carries it as its deploymentId, which is
// how its task set counts it.

import { StratusError } from '../errors.js'
import type { Transaction } from '../store/store.js'
import type { EcsContext } from './context.js'
import type { TaskRecord } from './records.js'
import { launchTasks, type LaunchRequest } from './run-task.js'
import { SERVICE_DEFAULT_STRATEGY } from './placement/index.js'
import type { PlacementStrategy, Service } from './model-services.js'
import type { TaskSet } from './model-task-sets.js'

/** launchTasks takes at most this many tasks per call (RunTask's count limit). */
const LAUNCH_CHUNK = 10
/** ECS's default for REPLICA services on EC2: spread over zones, then over instances (placement/). */
const DEFAULT_STRATEGY = SERVICE_DEFAULT_STRATEGY as readonly PlacementStrategy[]

export interface TaskSetLaunch {
  /** The ARNs of the tasks started. */
  started: string[]
  /** Tasks that found no place (the first failure's instance and reason). */
  failures: Array<{ arn?: string; reason?: string }>
  /** The launch was refused outright (a definition gone, a strategy no longer valid): its message. */
  refused?: string
}

/** Launches `count` tasks of the task set; `live` are its tasks now (a strategy's base and weights hold over them). */
export function launchTaskSetTasks(ctx: EcsContext, tx: Transaction, clusterName: string, service: Service, taskSet: TaskSet, count: number, live: readonly TaskRecord[]): TaskSetLaunch {
  const byProvider: Record<string, number> = {}
  for (const t of live) {
    const name = t.task.capacityProviderName
    if (t.task.desiredStatus !== 'STOPPED' && typeof name === 'string') byProvider[name] = (byProvider[name] ?? 0) + 1
  }
  const strategy = (service.placementStrategy ?? []).length > 0 ? service.placementStrategy : (taskSet.launchType === 'FARGATE' ? undefined : DEFAULT_STRATEGY)
  const out: TaskSetLaunch = { started: [], failures: [] }
  for (let left = count; left > 0; left -= LAUNCH_CHUNK) {
    const request: LaunchRequest = {
      cluster: clusterName, taskDefinition: String(taskSet.taskDefinition), count: Math.min(LAUNCH_CHUNK, left),
      ...(taskSet.launchType !== undefined ? { launchType: taskSet.launchType } : {}),
      ...(taskSet.capacityProviderStrategy !== undefined ? { capacityProviderStrategy: taskSet.capacityProviderStrategy, existingCapacity: { ...byProvider } } : {}),
      ...((service.placementConstraints ?? []).length > 0 ? { placementConstraints: service.placementConstraints as LaunchRequest['placementConstraints'] } : {}),
      ...(strategy !== undefined ? { placementStrategy: strategy as LaunchRequest['placementStrategy'] } : {}),
      startedBy: String(taskSet.id), group: `service:${String(service.serviceName)}`,
      ...(service.propagateTags === 'SERVICE' && (service.tags ?? []).length > 0 ? { tags: service.tags as LaunchRequest['tags'] } : {}),
      enableExecuteCommand: service.enableExecuteCommand === true,
      ...(taskSet.networkConfiguration !== undefined ? { networkConfiguration: taskSet.networkConfiguration } : {}),
      ...(taskSet.platformVersion !== undefined ? { platformVersion: taskSet.platformVersion } : {}),
      serviceName: String(service.serviceName), deploymentId: String(taskSet.id)
    }
    let result: ReturnType<typeof launchTasks>
    try {
      result = launchTasks(ctx, tx, request)
    } catch (err) {
      // A refusal will not heal by retrying at once: told in the service's events, tried again later.
      if (!(err instanceof StratusError) || (err.kind !== 'InvalidArgument' && err.kind !== 'NotFound')) throw err
      out.refused = err.message
      break
    }
    for (const t of result.tasks) {
      out.started.push(String(t.taskArn))
      if (typeof t.capacityProviderName === 'string') byProvider[t.capacityProviderName] = (byProvider[t.capacityProviderName] ?? 0) + 1
    }
    out.failures.push(...result.failures)
    if (result.tasks.length === 0) break
  }
  return out
}
