// Resource tags as AWS documents them for every service here: at most 50 per
// resource, keys 1–128 characters, values 0–256, and the `aws:` prefix
// reserved for AWS itself. Services hold tags as a map (Batch's shape);
// ECS and ECR speak lists, converted here.

import { InvalidArgumentError, LimitExceededError } from '../errors.js'

export const TAG_LIMITS = { perResource: 50, keyLength: 128, valueLength: 256 } as const

export type TagMap = Record<string, string>

/** Checks a tag map; `code` is the service's exception name (ClientException for Batch). Undefined stays undefined. */
export function checkTags(value: unknown, field: string, code = 'ClientException'): TagMap | undefined {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgumentError(code, `${field}: must be an object of string values`, { field })
  const entries = Object.entries(value)
  if (entries.length > TAG_LIMITS.perResource) {
    throw new LimitExceededError(code, `${field}: at most ${TAG_LIMITS.perResource} tags per resource, got ${entries.length}`, { field, limit: TAG_LIMITS.perResource })
  }
  const out: TagMap = {}
  for (const [key, v] of entries) {
    if (key.length < 1 || key.length > TAG_LIMITS.keyLength) {
      throw new InvalidArgumentError(code, `${field}: tag keys are 1 to ${TAG_LIMITS.keyLength} characters, got ${JSON.stringify(key.slice(0, 140))}`, { field: `${field}.${key}`, limit: TAG_LIMITS.keyLength })
    }
    if (key.toLowerCase().startsWith('aws:')) throw new InvalidArgumentError(code, `${field}: the aws: prefix is reserved, got ${key}`, { field: `${field}.${key}` })
    if (typeof v !== 'string') throw new InvalidArgumentError(code, `${field}.${key}: must be a string, got ${typeof v}`, { field: `${field}.${key}` })
    if (v.length > TAG_LIMITS.valueLength) {
      throw new InvalidArgumentError(code, `${field}.${key}: tag values are at most ${TAG_LIMITS.valueLength} characters, got ${v.length}`, { field: `${field}.${key}`, limit: TAG_LIMITS.valueLength })
    }
    out[key] = v
  }
  return out
}

/** ECS's list form: [{ key, value }]. */
export function tagsToList(tags: TagMap | undefined): Array<{ key: string; value: string }> {
  return Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }))
}

export function tagsFromList(list: ReadonlyArray<{ key?: string; value?: string }> | undefined, field: string, code?: string): TagMap | undefined {
  if (list === undefined) return undefined
  if (!Array.isArray(list)) throw new InvalidArgumentError(code ?? 'InvalidParameterException', `${field}: must be a list of { key, value }`, { field })
  const map: TagMap = {}
  list.forEach((t, i) => {
    if (typeof t?.key !== 'string') throw new InvalidArgumentError(code ?? 'InvalidParameterException', `${field}[${i}].key: is required`, { field: `${field}[${i}].key` })
    map[t.key] = t.value ?? ''
  })
  return checkTags(map, field, code)
}
