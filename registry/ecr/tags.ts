import { invalidParameter, RegistryError } from '../errors.js'
import type { RepositoryState } from '../content/repository.js'
import type { EcrContext } from './context.js'

/**
 * ECR's repository tags: TagResource, UntagResource, ListTagsForResource, and the tags
 * CreateRepository is given, in ECR's `{ Key, Value }` list shape. Limits as ECR documents
 * them: at most 50 tags (TooManyTagsException), keys 1–128 characters, values 0–256, no
 * `aws:` prefix (InvalidTagParameterException).
 */
export interface Tag {
  Key: string
  Value: string
}

export const ECR_TAG_LIMITS = { perResource: 50, keyLength: 128, valueLength: 256 } as const

function badTag (field: string, message: string, limit?: string): RegistryError {
  return new RegistryError('InvalidTagParameterException', `${field}: ${message}`, { kind: 'InvalidArgument', field, ...(limit ? { limit } : {}) })
}

function checkKey (key: unknown, field: string): string {
  if (typeof key !== 'string' || key.length < 1 || key.length > ECR_TAG_LIMITS.keyLength) throw badTag(field, `tag keys are 1 to ${ECR_TAG_LIMITS.keyLength} characters`, `1..${ECR_TAG_LIMITS.keyLength} characters`)
  if (key.toLowerCase().startsWith('aws:')) throw badTag(field, `the aws: prefix is reserved, got ${key}`)
  return key
}

/** An ECR tag list as a map, checked; undefined stays undefined. */
export function checkTagList (list: unknown, field = 'tags'): Record<string, string> | undefined {
  if (list === undefined) return undefined
  if (!Array.isArray(list)) throw badTag(field, 'must be a list of { Key, Value }')
  const out: Record<string, string> = {}
  list.forEach((t: Partial<Tag> | null, i) => {
    const key = checkKey(t?.Key, `${field}[${i}].Key`)
    const value = t?.Value ?? ''
    if (typeof value !== 'string' || value.length > ECR_TAG_LIMITS.valueLength) throw badTag(`${field}[${i}].Value`, `tag values are at most ${ECR_TAG_LIMITS.valueLength} characters`, `0..${ECR_TAG_LIMITS.valueLength} characters`)
    out[key] = value
  })
  tooMany(Object.keys(out).length, field)
  return out
}

function tooMany (count: number, field: string): void {
  if (count > ECR_TAG_LIMITS.perResource) {
    throw new RegistryError('TooManyTagsException', `${field}: at most ${ECR_TAG_LIMITS.perResource} tags per repository; this would make ${count}`, { kind: 'LimitExceeded', field, limit: String(ECR_TAG_LIMITS.perResource) })
  }
}

export function toTagList (tags: Record<string, string> | undefined): Tag[] {
  return Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }))
}

export class TagApi {
  constructor (private readonly ctx: EcrContext, private readonly repositoryArn: (name: string) => string) {}

  /** The repository an ARN names (it must be this registry's ARN of it). */
  async #byArn (resourceArn: unknown): Promise<RepositoryState> {
    if (typeof resourceArn !== 'string') throw invalidParameter('resourceArn', 'must be a repository ARN')
    const at = resourceArn.indexOf(':repository/')
    const name = at < 0 ? '' : resourceArn.slice(at + ':repository/'.length)
    if (name === '' || this.repositoryArn(name) !== resourceArn) throw invalidParameter('resourceArn', `${resourceArn.slice(0, 300)} is not a repository ARN of this registry`)
    return this.ctx.state(name)
  }

  async tagResource (input: { resourceArn: string, tags: Tag[] }): Promise<Record<string, never>> {
    const add = checkTagList(input?.tags)
    if (add === undefined || Object.keys(add).length === 0) throw invalidParameter('tags', 'must hold at least one tag', '1..50 tags')
    const state = await this.#byArn(input.resourceArn)
    const next = { ...state.meta.tags, ...add }
    tooMany(Object.keys(next).length, 'tags')
    await this.ctx.updateMeta(state, { tags: next })
    return {}
  }

  async untagResource (input: { resourceArn: string, tagKeys: string[] }): Promise<Record<string, never>> {
    const keys = input?.tagKeys
    if (!Array.isArray(keys) || keys.length < 1 || keys.length > ECR_TAG_LIMITS.perResource) throw invalidParameter('tagKeys', 'must list tag keys', `1..${ECR_TAG_LIMITS.perResource}`)
    keys.forEach((k, i) => checkKey(k, `tagKeys[${i}]`))
    const state = await this.#byArn(input.resourceArn)
    const next = { ...state.meta.tags }
    for (const k of keys) delete next[k]
    await this.ctx.updateMeta(state, { tags: Object.keys(next).length === 0 ? undefined : next })
    return {}
  }

  async listTagsForResource (input: { resourceArn: string }): Promise<{ tags: Tag[] }> {
    const state = await this.#byArn(input?.resourceArn)
    return { tags: toTagList(state.meta.tags) }
  }

  /** A repository's tags as a map, for IAM's aws:ResourceTag (undefined when it does not exist). */
  resourceTags (resourceArn: string): Record<string, string> | undefined {
    const at = resourceArn.indexOf(':repository/')
    const name = at < 0 ? '' : resourceArn.slice(at + ':repository/'.length)
    const meta = name === '' || this.repositoryArn(name) !== resourceArn ? undefined : this.ctx.distribution.repositories.meta(name)
    return meta === undefined ? undefined : { ...meta.tags }
  }
}
