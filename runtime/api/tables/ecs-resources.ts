// What IAM is asked about for an ECS call: the ARNs of the resources a
// request names (a cluster, container instance, task, task definition,
// service or capacity provider), rebuilt from a name, an id or an ARN of this
// partition, region and account. An ARN of anywhere else is refused naming
// the member (InvalidParameterException) before IAM or the service sees it.

import type { Partition } from '../../aws/partition.js'
import { arn, arns, localId } from '../../aws/arn.js'
import { invalidParameter } from '../../ecs/errors.js'

type Input = Record<string, any>

/** A member that is a name or an ARN of `prefix` (`cluster/`): the local id (what follows the prefix). */
function idOf(p: Partition, prefix: string, value: unknown, field: string): string {
  const v = String(value)
  const named = localId(p, 'ecs', prefix, v)
  if ('refused' in named) throw invalidParameter(field, named.refused)
  return named.id
}

/** The cluster a request names (absent: `default`, as ECS assumes). */
export function clusterName(p: Partition, value: unknown, field = 'cluster'): string {
  if (value === undefined || value === null || value === '') return 'default'
  return idOf(p, 'cluster/', value, field)
}

export function clusterArn(p: Partition, value: unknown, field = 'cluster'): string {
  return arns.ecs.cluster(p, clusterName(p, value, field))
}

/** A resource that lives in a cluster (`task/<cluster>/<id>`, `service/<cluster>/<name>`): its ARN from an id or name and the request's cluster. */
function inCluster(p: Partition, type: 'task' | 'service' | 'container-instance', value: unknown, cluster: unknown, field: string): string {
  const v = String(value)
  if (v.startsWith('arn:')) {
    const id = idOf(p, `${type}/`, v, field)
    // Old-format ARNs (task/<id>) have no cluster: the request's.
    return id.includes('/') ? arn(p, 'ecs', `${type}/${id}`) : arn(p, 'ecs', `${type}/${clusterName(p, cluster)}/${id}`)
  }
  return arn(p, 'ecs', `${type}/${clusterName(p, cluster)}/${v}`)
}

export function taskArn(p: Partition, value: unknown, cluster: unknown, field = 'task'): string {
  return inCluster(p, 'task', value, cluster, field)
}

export function serviceArn(p: Partition, value: unknown, cluster: unknown, field = 'service'): string {
  return inCluster(p, 'service', value, cluster, field)
}

/**
 * A task set member (ecs-svc/<digits> or its ARN) as the ARN IAM is asked
 * about: task-set/<cluster>/<service>/ecs-svc/<digits> (absent: every task set of the service).
 */
export function taskSetArn(p: Partition, value: unknown, service: unknown, cluster: unknown, field = 'taskSet'): string {
  const serviceName = idOf(p, 'service/', service, 'service').split('/').pop()
  const v = value === undefined ? '*' : String(value)
  if (v.startsWith('arn:')) return arn(p, 'ecs', `task-set/${idOf(p, 'task-set/', v, field)}`)
  return arn(p, 'ecs', `task-set/${clusterName(p, cluster)}/${serviceName}/${v}`)
}

export function containerInstanceArn(p: Partition, value: unknown, cluster: unknown, field = 'containerInstance'): string {
  return inCluster(p, 'container-instance', value, cluster, field)
}

/** family, family:revision or ARN → task-definition/<family>:<revision> (`*` for the revision when none is named). */
export function taskDefinitionArn(p: Partition, value: unknown, field = 'taskDefinition'): string {
  const id = idOf(p, 'task-definition/', value, field)
  return arn(p, 'ecs', `task-definition/${id.includes(':') ? id : `${id}:*`}`)
}

export function capacityProviderArn(p: Partition, value: unknown, field = 'capacityProvider'): string {
  return arn(p, 'ecs', `capacity-provider/${idOf(p, 'capacity-provider/', value, field)}`)
}

/** A list member of names or ARNs (absent or empty: `*`). */
export function each(values: unknown, of: (value: unknown, field: string) => string, field: string): string[] {
  if (!Array.isArray(values) || values.length === 0) return ['*']
  return values.map((v, at) => of(v, `${field}[${at}]`))
}

/** A tagged resource's ARN (TagResource, UntagResource, ListTagsForResource): an ECS ARN of this account. */
export function taggedArn(p: Partition, value: unknown, field = 'resourceArn'): string {
  const v = String(value)
  const named = localId(p, 'ecs', '', v)
  if (!v.startsWith('arn:')) throw invalidParameter(field, `${field} must be an ECS resource ARN, got ${v.slice(0, 300)}`)
  if ('refused' in named) throw invalidParameter(field, named.refused)
  return v
}

/** ECS's tag list ([{ key, value }]) as aws:RequestTag and aws:TagKeys. */
export function requestTags(i: Input): { requestTags?: Record<string, string>; tagKeys?: string[] } {
  if (!Array.isArray(i.tags)) return {}
  const tags: Record<string, string> = {}
  for (const t of i.tags) if (t !== null && typeof t === 'object' && typeof t.key === 'string') tags[t.key] = String(t.value ?? '')
  return { requestTags: tags, tagKeys: Object.keys(tags) }
}
