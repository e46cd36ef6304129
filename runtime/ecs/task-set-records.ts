// Task sets as the store holds them: inside their service's record
// (ServiceState.service.taskSets, the AWS TaskSet shape without its counts),
// as deployments are — so the service controller reads and writes a service
// and its task sets in one transaction, and a restarted engine finds them
// where it finds the service. The counts (runningCount, pendingCount) come
// from the live task records when described (a task set's tasks carry its id
// as startedBy and deploymentId), computedDesiredCount from the service's
// desiredCount and the set's scale: nothing here can drift from the tasks.

import { arns, localId } from '../aws/arn.js'
import type { Partition } from '../aws/partition.js'
import { EcsError, invalidParameter } from './errors.js'
import type { Service } from './model-services.js'
import type { Scale, TaskSet } from './model-task-sets.js'

/**
 * ECS's limits on task sets: 5 per service (CreateTaskSet answers "5
 * deployments exist on the service…" past them), one load balancer entry per
 * task set ("CreateTaskSet cannot have more than 1 load balancer").
 * externalId has no documented limit; it becomes the ECS_TASK_SET_EXTERNAL_ID
 * Cloud Map attribute, whose values are at most 1,024 characters.
 */
export const TASK_SET_LIMITS = { perService: 5, loadBalancers: 1, externalIdLength: 1024 } as const

/** The members of a service that come from its PRIMARY task set (absent while it has none). */
const PRIMARY_FIELDS = ['taskDefinition', 'launchType', 'capacityProviderStrategy', 'platformVersion', 'platformFamily', 'networkConfiguration', 'loadBalancers', 'serviceRegistries'] as const

export function isExternal(service: Pick<Service, 'deploymentController'>): boolean {
  return service.deploymentController?.type === 'EXTERNAL'
}

/** The tasks a task set keeps running: ⌈desiredCount × scale% / 100⌉ (ECS rounds up: 1.2 is 2), none while DRAINING. */
export function computedDesiredCount(desiredCount: number, taskSet: Pick<TaskSet, 'scale' | 'status'>): number {
  if (taskSet.status === 'DRAINING') return 0
  const value = taskSet.scale?.value ?? 0
  // Rounded to 9 places first: 3 × 70 / 100 is 2.1000000000000001 in binary, which must still round up to 3, not past it.
  return Math.ceil(Number(((Math.max(0, desiredCount) * value) / 100).toFixed(9)))
}

export function taskSetArnOf(p: Partition, clusterName: string, serviceName: string, id: string): string {
  return arns.ecs.taskSet(p, clusterName, serviceName, id)
}

const ID = /^ecs-svc\/\d{19}$/

/**
 * The task set id a request's member names: `ecs-svc/<19 digits>`, or the
 * task set's ARN (of this partition, the request's cluster and service).
 * Anything else is refused as ECS refuses it ("Task Set Identifier is invalid").
 */
export function taskSetIdOf(p: Partition, clusterName: string, serviceName: string, value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidParameter(field, `${field} is required.`)
  const local = localId(p, 'ecs', 'task-set/', value)
  if ('refused' in local) throw invalidParameter(field, `Task Set Identifier is invalid: ${local.refused}.`)
  if (!value.startsWith('arn:')) {
    if (!ID.test(value)) throw invalidParameter(field, `Task Set Identifier is invalid: ${field} must be a task set id (ecs-svc/<19 digits>) or ARN, got ${JSON.stringify(value.slice(0, 300))}.`)
    return value
  }
  const parts = local.id.split('/')
  const id = parts.slice(2).join('/')
  if (parts.length !== 4 || !ID.test(id)) throw invalidParameter(field, `Task Set Identifier is invalid: ${value.slice(0, 300)} is not a task set ARN (task-set/<cluster>/<service>/ecs-svc/<digits>).`)
  if (parts[0] !== clusterName || parts[1] !== serviceName) {
    throw invalidParameter(field, `Task Set Identifier is invalid: ${value.slice(0, 300)} is a task set of service ${parts[1]} in cluster ${parts[0]}, not of ${serviceName} in ${clusterName}.`)
  }
  return id
}

export function taskSetNotFound(field: string): EcsError {
  return new EcsError('TaskSetNotFoundException', "The specified task set wasn't found.", { field })
}

/** The service's task set with this id (any status). */
export function findTaskSet(service: Pick<Service, 'taskSets'>, id: string): TaskSet | undefined {
  return (service.taskSets ?? []).find((ts) => ts.id === id)
}

/** A task set as Describe calls answer it: its counts, computedDesiredCount, and tags only when asked for. */
export function describedTaskSet(taskSet: TaskSet, counts: { runningCount: number; pendingCount: number }, desiredCount: number, includeTags: boolean): TaskSet {
  const { tags, ...rest } = taskSet
  return { ...rest, computedDesiredCount: computedDesiredCount(desiredCount, taskSet), ...counts, ...(includeTags ? { tags: tags ?? [] } : {}) }
}

/**
 * The service with the members its PRIMARY task set defines copied from it
 * (ECS: "any parameters that are updated on the primary task set in a
 * service will transition to the service"), or removed when it has none
 * ("the task set fields are null").
 */
export function withPrimaryFields(service: Service): Service {
  const primary = (service.taskSets ?? []).find((ts) => ts.status === 'PRIMARY')
  const next: Record<string, unknown> = { ...service }
  for (const key of PRIMARY_FIELDS) {
    const value = primary?.[key]
    if (value === undefined) delete next[key]
    else next[key] = structuredClone(value)
  }
  // A service keeps these lists (empty) as every Describe answers them.
  next.loadBalancers ??= []
  next.serviceRegistries ??= []
  return next as Service
}

/** A Scale with ECS's defaults: value 0 (CreateTaskSet without scale starts nothing), unit PERCENT. */
export function scaleOf(scale: Scale | undefined): Required<Scale> {
  return { value: scale?.value ?? 0, unit: scale?.unit ?? 'PERCENT' }
}
