// TagResource, UntagResource and ListTagsForResource over every taggable
// Batch resource: compute environments, job queues, job definitions
// (a revision), scheduling policies and jobs. As on AWS, the children of
// array and multi-node jobs are not taggable (their parent is). The tags are
// the record's own `tags` (what Create… was given), so Describe… and
// ListTagsForResource always agree; batchResourceTags is what the wire layer
// reads for aws:ResourceTag/<key>.

import { parseArn } from '../aws/arn.js'
import { TAG_LIMITS } from '../aws/tags.js'
import { LimitExceededError, NotFoundError } from '../errors.js'
import type { StoreReader, Transaction } from '../store/store.js'
import type { BatchContext } from './context.js'
import type { ListTagsForResourceRequest, ListTagsForResourceResponse, TagResourceRequest, UntagResourceRequest } from './model.js'
import { CES, DEFINITIONS, JOBS, POLICIES, QUEUES, definitionKey, type CeRecord } from './records.js'
import { checkTags, clientError } from './validation.js'

type Tags = Record<string, string>

/** Where a resource's tags live: a collection, a key, and how to read and replace them in its record. */
interface Tagged {
  collection: string
  key: string
  get(record: unknown): Tags | undefined
  set(record: unknown, tags: Tags | undefined): unknown
}

const plain: Pick<Tagged, 'get' | 'set'> = {
  get: (r) => (r as { tags?: Tags }).tags,
  set: (r, tags) => withTags(r as { tags?: Tags }, tags)
}

function withTags<T extends { tags?: Tags }>(record: T, tags: Tags | undefined): T {
  const { tags: _old, ...rest } = record
  return (tags === undefined || Object.keys(tags).length === 0 ? rest : { ...rest, tags }) as T
}

/** The resource an ARN names, or a reason it names none this engine can tag. */
function locate(ctx: BatchContext, resourceArn: unknown): Tagged | string {
  if (typeof resourceArn !== 'string') return 'must be a Batch resource ARN'
  const parsed = parseArn(resourceArn)
  if (parsed === undefined || parsed.service !== 'batch') return `must be a Batch resource ARN, got ${resourceArn}`
  if (parsed.partition !== ctx.partition.partition || parsed.region !== ctx.partition.region || parsed.accountId !== ctx.partition.accountId) {
    return `${resourceArn} is not in this account and region (${ctx.partition.accountId}, ${ctx.partition.region})`
  }
  const slash = parsed.resource.indexOf('/')
  const type = parsed.resource.slice(0, slash)
  const id = parsed.resource.slice(slash + 1)
  if (slash < 0 || id.length === 0) return `${resourceArn} names no resource`
  switch (type) {
    case 'compute-environment':
      return {
        collection: CES, key: id,
        get: (r) => (r as CeRecord).detail.tags,
        set: (r, tags) => ({ ...(r as CeRecord), detail: withTags((r as CeRecord).detail, tags) })
      }
    case 'job-queue': return { collection: QUEUES, key: id, ...plain }
    case 'scheduling-policy': return { collection: POLICIES, key: id, ...plain }
    case 'job-definition': {
      const [name, rev] = id.split(':')
      if (rev === undefined || !/^\d+$/.test(rev)) return `${resourceArn}: a job definition ARN names a revision (name:revision)`
      return { collection: DEFINITIONS, key: definitionKey(name, Number(rev)), ...plain }
    }
    case 'job':
      if (/[:#]\d+$/.test(id)) return `${resourceArn}: child jobs of array and multi-node parallel jobs are not taggable (tag the parent job)`
      return { collection: JOBS, key: id, ...plain }
    default:
      return `${resourceArn}: ${type} resources are not taggable (compute-environment, job-queue, job-definition, job, scheduling-policy are)`
  }
}

function found(ctx: BatchContext, reader: StoreReader, resourceArn: unknown): { where: Tagged; record: unknown; version: number } {
  const where = locate(ctx, resourceArn)
  if (typeof where === 'string') throw clientError('resourceArn', where)
  const record = reader.get(where.collection, where.key)
  if (record === undefined) throw new NotFoundError('ClientException', `resourceArn: ${String(resourceArn)} does not exist`, { field: 'resourceArn' })
  return { where, record: record.value, version: record.version }
}

function write(tx: Transaction, at: { where: Tagged; record: unknown; version: number }, tags: Tags): void {
  tx.put(at.where.collection, at.where.key, at.where.set(at.record, tags), at.version)
}

export function tagResource(ctx: BatchContext, input: TagResourceRequest): void {
  const add = checkTags(input?.tags, 'tags')
  if (add === undefined || Object.keys(add).length === 0) throw clientError('tags', 'must hold at least one tag', 1)
  ctx.store.transaction((tx) => {
    const at = found(ctx, tx, input.resourceArn)
    const next = { ...at.where.get(at.record), ...add }
    const count = Object.keys(next).length
    if (count > TAG_LIMITS.perResource) {
      throw new LimitExceededError('ClientException', `tags: at most ${TAG_LIMITS.perResource} tags per resource; this would make ${count}`, { field: 'tags', limit: TAG_LIMITS.perResource })
    }
    write(tx, at, next)
  })
}

export function untagResource(ctx: BatchContext, input: UntagResourceRequest): void {
  const keys = input?.tagKeys
  if (!Array.isArray(keys) || keys.length === 0) throw clientError('tagKeys', 'must list 1 to 50 tag keys', 1)
  if (keys.length > TAG_LIMITS.perResource) {
    throw new LimitExceededError('ClientException', `tagKeys: at most ${TAG_LIMITS.perResource} keys, got ${keys.length}`, { field: 'tagKeys', limit: TAG_LIMITS.perResource })
  }
  keys.forEach((k, i) => {
    if (typeof k !== 'string' || k.length < 1 || k.length > TAG_LIMITS.keyLength) {
      throw clientError(`tagKeys[${i}]`, `tag keys are 1 to ${TAG_LIMITS.keyLength} characters, got ${JSON.stringify(k)}`, TAG_LIMITS.keyLength)
    }
    if (k.toLowerCase().startsWith('aws:')) throw clientError(`tagKeys[${i}]`, `the aws: prefix is reserved, got ${k}`)
  })
  ctx.store.transaction((tx) => {
    const at = found(ctx, tx, input.resourceArn)
    const next = { ...at.where.get(at.record) }
    for (const k of keys) delete next[k]
    write(tx, at, next)
  })
}

export function listTagsForResource(ctx: BatchContext, input: ListTagsForResourceRequest): ListTagsForResourceResponse {
  const at = found(ctx, ctx.store, input?.resourceArn)
  return { tags: { ...at.where.get(at.record) } }
}

/**
 * A resource's tags for aws:ResourceTag/<key> (IAM conditions); undefined when
 * the ARN names nothing taggable or nothing that exists. Array children and
 * multi-node nodes answer with their parent job's tags (IAM sees the job).
 */
export function batchResourceTags(ctx: BatchContext, resourceArn: string): Readonly<Tags> | undefined {
  const parent = typeof resourceArn === 'string' ? resourceArn.replace(/^(arn:[^:]*:batch:[^:]*:[^:]*:job\/[^:#]+)[:#]\d+$/, '$1') : resourceArn
  const where = locate(ctx, parent)
  if (typeof where === 'string') return undefined
  const record = ctx.store.get(where.collection, where.key)
  if (record === undefined) return undefined
  const tags = where.get(record.value)
  return tags === undefined ? {} : { ...tags }
}
