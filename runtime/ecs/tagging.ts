// TagResource / UntagResource / ListTagsForResource for every ECS resource
// ARN. Each area keeps a resource's tags in its own record, in ECS's list
// form; this file reads and rewrites them there, in one transaction:
//   cluster/<name>                        ClusterRecord.cluster.tags
//   container-instance/<cluster>/<id>     the instance's record (container-instances.ts)
//   task-definition/<family>:<revision>   TaskDefinitionRecord.tags
//   task/<cluster>/<id>                   TaskRecord.task.tags
//   service/<cluster>/<name>              ServiceRecord.service.tags
//   capacity-provider/<name>              CapacityProviderRecord.capacityProvider.tags
// Limits (runtime/aws/tags.ts): 50 per resource, keys 1–128, values 0–256,
// the aws: prefix reserved.

import { parseArn } from '../aws/arn.js'
import { checkTags, tagsToList, type TagMap } from '../aws/tags.js'
import type { Transaction } from '../store/store.js'
import type { EcsContext } from './context.js'
import { EcsError, invalidParameter } from './errors.js'
import { CAPACITY_PROVIDERS, CLUSTERS, SERVICES, TASKS, TASK_DEFINITIONS, type TaskRecord } from './records.js'
import type { ListTagsForResourceRequest, Tag, TagResourceRequest, UntagResourceRequest } from './model-clusters.js'
import { checkTagList, requireString } from './cluster-input.js'
import { groupOf } from './capacity-providers.js'
import { CONTAINER_INSTANCES } from './container-instances.js'

interface Location {
  collection: string
  key: string
  /** The tags in the record. */
  get(record: any): Tag[] | undefined
  /** The record with these tags. */
  set(record: any, tags: Tag[]): any
  /** Is the record a live resource (not INACTIVE / deleted)? */
  live(record: any): boolean
  /** Checks the tags the resource would have (capacity providers: the virtual group's tags). */
  check?(tags: Tag[]): void
}

const notFound = () => new EcsError('ResourceNotFoundException', 'The specified resource could not be found.', { field: 'resourceArn' })

function locate(ctx: EcsContext, value: unknown): Location {
  const resourceArn = requireString(value, 'resourceArn')
  const p = parseArn(resourceArn)
  if (p === undefined) throw invalidParameter('resourceArn', `The ARN ${resourceArn.slice(0, 300)} is not valid.`)
  const { partition, region, accountId } = ctx.partition
  if (p.service !== 'ecs' || p.partition !== partition || p.region !== region || p.accountId !== accountId) {
    throw invalidParameter('resourceArn', `The ARN ${resourceArn.slice(0, 300)} is not an ECS resource of this partition, account and region.`)
  }
  const slash = p.resource.indexOf('/')
  const type = slash < 0 ? p.resource : p.resource.slice(0, slash)
  const rest = slash < 0 ? '' : p.resource.slice(slash + 1)
  if (rest.length === 0) throw invalidParameter('resourceArn', `The ARN ${resourceArn} names no resource.`)
  const last = rest.slice(rest.lastIndexOf('/') + 1)
  switch (type) {
    case 'cluster':
      return { collection: CLUSTERS, key: rest, get: (r) => r.cluster.tags, set: (r, tags) => ({ ...r, cluster: { ...r.cluster, tags } }), live: (r) => r.cluster.status === 'ACTIVE' }
    case 'container-instance':
      return { collection: CONTAINER_INSTANCES, key: last, get: (r) => r.tags, set: (r, tags) => ({ ...r, tags, version: r.version + 1 }), live: (r) => r.status !== 'INACTIVE' && (!rest.includes('/') || rest.startsWith(`${r.clusterName}/`)) }
    case 'task-definition': {
      const colon = rest.lastIndexOf(':')
      const revision = Number(rest.slice(colon + 1))
      if (colon < 0 || !Number.isInteger(revision) || revision < 1) throw invalidParameter('resourceArn', `A task definition ARN ends in <family>:<revision>, got ${rest}.`)
      return { collection: TASK_DEFINITIONS, key: `${rest.slice(0, colon)}:${String(revision).padStart(8, '0')}`, get: (r) => r.tags, set: (r, tags) => ({ ...r, tags }), live: (r) => r.taskDefinition.status !== 'DELETE_IN_PROGRESS' }
    }
    case 'task':
      return { collection: TASKS, key: last, get: (r) => r.task.tags, set: (r, tags) => ({ ...r, task: { ...r.task, tags } }), live: (r) => !rest.includes('/') || rest.startsWith(`${r.clusterName}/`) }
    case 'service': {
      if (!rest.includes('/')) throw invalidParameter('resourceArn', 'A service ARN names its cluster: service/<cluster>/<name>.')
      return { collection: SERVICES, key: rest, get: (r) => r.service.tags, set: (r, tags) => ({ ...r, service: { ...r.service, tags } }), live: (r) => r.service.status !== 'INACTIVE' }
    }
    case 'capacity-provider':
      return {
        collection: CAPACITY_PROVIDERS, key: rest, get: (r) => r.capacityProvider.tags, set: (r, tags) => ({ ...r, capacityProvider: { ...r.capacityProvider, tags } }),
        live: (r) => r.capacityProvider.status === 'ACTIVE', check: (tags) => void groupOf(tags)
      }
    default:
      throw invalidParameter('resourceArn', `ECS resources that take tags are clusters, container instances, task definitions, tasks, services and capacity providers; ${type} is none of them.`)
  }
}

function toMap(tags: Tag[] | undefined): TagMap {
  return Object.fromEntries((tags ?? []).map((t) => [String(t.key), t.value ?? '']))
}

function rewrite(ctx: EcsContext, at: Location, change: (have: TagMap) => TagMap): void {
  const changed = ctx.store.transaction((tx: Transaction) => {
    const found = tx.get<any>(at.collection, at.key)
    if (found === undefined || !at.live(found.value)) throw notFound()
    const tags = tagsToList(checkTags(change(toMap(at.get(found.value))), 'tags', 'InvalidParameterException'))
    at.check?.(tags)
    const next = at.set(found.value, tags)
    tx.put(at.collection, at.key, next, found.version)
    return next
  })
  // Task records are watched by the services area: a change is announced (tags included).
  if (at.collection === TASKS) for (const f of ctx.hooks.taskChanged) f(changed as TaskRecord)
}

export function tagOperations(ctx: EcsContext) {
  return {
    tagResource: async (input: TagResourceRequest) => {
      const at = locate(ctx, input?.resourceArn)
      if (input.tags === undefined || input.tags === null) throw invalidParameter('tags', 'tags is required.')
      const tags = checkTagList(input.tags) ?? []
      rewrite(ctx, at, (have) => ({ ...have, ...toMap(tags) }))
      return {}
    },
    untagResource: async (input: UntagResourceRequest) => {
      const at = locate(ctx, input?.resourceArn)
      if (!Array.isArray(input.tagKeys)) throw invalidParameter('tagKeys', 'tagKeys is required: a list of tag keys.')
      input.tagKeys.forEach((k, i) => {
        if (typeof k !== 'string' || k.length < 1 || k.length > 128) throw invalidParameter(`tagKeys[${i}]`, 'Tag keys are 1 to 128 characters.', 128)
      })
      rewrite(ctx, at, (have) => Object.fromEntries(Object.entries(have).filter(([k]) => !input.tagKeys.includes(k))))
      return {}
    },
    listTagsForResource: async (input: ListTagsForResourceRequest) => {
      const at = locate(ctx, input?.resourceArn)
      const found = ctx.store.get<any>(at.collection, at.key)?.value
      if (found === undefined || !at.live(found)) throw notFound()
      return { tags: structuredClone(at.get(found) ?? []) }
    }
  }
}
