// Checks of the clusters area's inputs, each naming the field and the limit
// and worded as ECS words them where ECS has words for it. A check throws
// before anything is written, so bad input changes nothing.

import { localId, type ArnService } from '../aws/arn.js'
import { tagsFromList, tagsToList } from '../aws/tags.js'
import type { EcsContext } from './context.js'
import { EcsError, invalidParameter } from './errors.js'
import type { CapacityProviderStrategyItem, Tag } from './model-clusters.js'

export const FARGATE = 'FARGATE'
export const FARGATE_SPOT = 'FARGATE_SPOT'
export const FARGATE_PROVIDERS: readonly string[] = [FARGATE, FARGATE_SPOT]

const NAME = /^[A-Za-z0-9_-]{1,255}$/

/** A cluster or capacity provider name: 1–255 letters, digits, hyphens and underscores. */
export function checkName(value: unknown, field: string, what: 'cluster' | 'capacity provider'): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw invalidParameter(field, `Invalid ${what} name. Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.`, 255)
  }
  return value
}

export function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidParameter(field, `${field} must be a non-empty string.`)
  return value
}

export function optionalList<T>(value: unknown, field: string, max?: number): T[] | undefined {
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value)) throw invalidParameter(field, `${field} must be a list.`)
  if (max !== undefined && value.length > max) throw invalidParameter(field, `${field} can have at most ${max} items.`, max)
  return value as T[]
}

export function checkInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(field, `${field} must be an integer from ${min} to ${max}.`, `${min}-${max}`)
  }
  return value
}

/** maxResults of a List call: 1–100 (ECS's range), default 100. */
export function pageSize(value: unknown, field = 'maxResults', max = 100): number {
  return value === undefined || value === null ? max : checkInteger(value, field, 1, max)
}

/** Tags in ECS's list form, checked (≤ 50, key 1–128, value 0–256, no aws: prefix); undefined stays undefined. */
export function checkTagList(value: unknown, field = 'tags'): Tag[] | undefined {
  if (value === undefined || value === null) return undefined
  return tagsToList(tagsFromList(value as Tag[], field, 'InvalidParameterException'))
}

/** The local id a name-or-ARN member names (`cluster/`, `capacity-provider/`); an ARN of elsewhere is refused naming the member. */
export function localName(ctx: EcsContext, value: string, prefix: string, field: string, service: ArnService = 'ecs'): string {
  const r = localId(ctx.partition, service, prefix, value)
  if ('refused' in r) throw invalidParameter(field, r.refused)
  return r.id
}

/**
 * A capacity provider strategy as ECS checks it: at most 20 items, each
 * provider named once, base 0–100,000 (at most one item with a base above 0),
 * weight 0–1,000. `known` says whether a name may be used (associated with
 * the cluster, or being associated in the same request).
 */
export function checkStrategy(value: unknown, field: string, known: (name: string) => boolean): CapacityProviderStrategyItem[] {
  const items = optionalList<CapacityProviderStrategyItem>(value, field, 20) ?? []
  const seen = new Set<string>()
  let bases = 0
  const out = items.map((item, i) => {
    const at = `${field}[${i}]`
    if (item === null || typeof item !== 'object') throw invalidParameter(at, `${at} must be an object.`)
    const name = requireString(item.capacityProvider, `${at}.capacityProvider`)
    if (seen.has(name)) throw invalidParameter(`${at}.capacityProvider`, `The capacity provider ${name} is specified more than once in the strategy.`)
    seen.add(name)
    if (!known(name)) {
      throw invalidParameter(`${at}.capacityProvider`, `The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again. (${name})`)
    }
    const weight = item.weight === undefined ? undefined : checkInteger(item.weight, `${at}.weight`, 0, 1000)
    const base = item.base === undefined ? undefined : checkInteger(item.base, `${at}.base`, 0, 100000)
    if ((base ?? 0) > 0) bases++
    return { capacityProvider: name, ...(weight !== undefined ? { weight } : {}), ...(base !== undefined ? { base } : {}) }
  })
  if (bases > 1) throw invalidParameter(field, 'Only one capacity provider in a capacity provider strategy can have a base defined.', 1)
  const fargate = out.some((i) => FARGATE_PROVIDERS.includes(i.capacityProvider))
  if (fargate && out.some((i) => !FARGATE_PROVIDERS.includes(i.capacityProvider))) {
    throw invalidParameter(field, 'A capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again.')
  }
  return out
}

export function clusterNotFound(field: string): EcsError {
  return new EcsError('ClusterNotFoundException', 'Cluster not found.', { field })
}
