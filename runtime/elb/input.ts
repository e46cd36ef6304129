// Input checks every ELBv2 area shares: required members, names, ARNs of this
// engine's partition, page sizes and markers, tags. Each refusal is
// ELBv2's ValidationError (or the area's own code) naming the member.

import { randomBytes } from 'node:crypto'
import { localId } from '../aws/arn.js'
import type { StoreReader } from '../store/store.js'
import type { ElbContext } from './context.js'
import { Elbv2Error, validation } from './errors.js'
import type { Tag } from './model.js'

/** `1 validation error detected: Value null at 'loadBalancerArn' …`: ELBv2's words for a missing required member. */
export function requireValue<T>(value: T | undefined | null, field: string): T {
  if (value === undefined || value === null) {
    throw validation(field, `1 validation error detected: Value null at '${lowerFirst(field)}' failed to satisfy constraint: Member must not be null`)
  }
  return value
}

export function requireString(value: unknown, field: string): string {
  const v = requireValue(value, field)
  if (typeof v !== 'string') throw validation(field, `${field} must be a string`)
  return v
}

export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw validation(field, `${field} must be a string`)
  return value
}

export function optionalList<T>(value: unknown, field: string): T[] | undefined {
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value)) throw validation(field, `${field} must be a list`)
  return value as T[]
}

export function requireList<T>(value: unknown, field: string): T[] {
  return requireValue(optionalList<T>(value, field), field)
}

/** An integer in [min, max], or undefined when absent. */
export function optionalInt(value: unknown, field: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value)) throw validation(field, `${field} must be an integer`)
  if (value < min) throw validation(field, `1 validation error detected: Value '${value}' at '${lowerFirst(field)}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`, min)
  if (value > max) throw validation(field, `1 validation error detected: Value '${value}' at '${lowerFirst(field)}' failed to satisfy constraint: Member must have value less than or equal to ${max}`, max)
  return value
}

export function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') throw validation(field, `${field} must be a boolean`)
  return value
}

export function lowerFirst(s: string): string {
  const last = s.split('.').pop() ?? s
  return last.replace(/\[\d+\]$/, '').replace(/^./, (c) => c.toLowerCase())
}

/**
 * A load balancer's or target group's name: 1–32 characters, alphanumeric or
 * hyphens, not beginning or ending with a hyphen (a load balancer's also not
 * with `internal-`), as ELBv2 words each refusal.
 */
export function checkName(value: unknown, field: string, what: 'load balancer' | 'target group'): string {
  const name = requireString(value, field)
  const What = what === 'load balancer' ? 'Load balancer' : 'Target group'
  if (name.length === 0) throw validation(field, `${What} name cannot be empty`, 1)
  if (name.length > 32) throw validation(field, `${What} name '${name}' cannot be longer than '32' characters`, 32)
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw validation(field, `${What} name '${name}' can only contain characters that are alphanumeric characters or hyphens(-)`)
  if (name.startsWith('-') || name.endsWith('-')) throw validation(field, `${What} name '${name}' cannot begin or end with '-'`)
  if (what === 'load balancer' && name.startsWith('internal-')) throw validation(field, `Load balancer name '${name}' cannot begin with 'internal-'`)
  return name
}

export type ResourceKind = 'loadbalancer' | 'targetgroup' | 'listener' | 'listener-rule'
const KIND_WORDS: Record<ResourceKind, string> = { loadbalancer: 'load balancer', targetgroup: 'target group', listener: 'listener', 'listener-rule': 'rule' }
const NOT_FOUND = {
  loadbalancer: ['LoadBalancerNotFound', 'One or more load balancers not found'],
  targetgroup: ['TargetGroupNotFound', 'One or more target groups not found'],
  listener: ['ListenerNotFound', 'One or more listeners not found'],
  'listener-rule': ['RuleNotFound', 'One or more rules not found']
} as const

/** The ARN a request member names: of this engine's partition, region and account, of the right resource type; else ValidationError. */
export function checkArn(ctx: ElbContext, value: unknown, field: string, kind: ResourceKind): string {
  const v = requireString(value, field)
  const found = localId(ctx.partition, 'elasticloadbalancing', `${kind}/`, v)
  if ('refused' in found) throw validation(field, `'${v.length > 300 ? `${v.slice(0, 300)}…` : v}' is not a valid ${KIND_WORDS[kind]} ARN`)
  return v
}

/** The kind of resource an ELBv2 ARN names (for tags), or undefined. */
export function kindOfArn(ctx: ElbContext, value: string): ResourceKind | undefined {
  for (const kind of ['listener-rule', 'listener', 'loadbalancer', 'targetgroup'] as const) {
    const found = localId(ctx.partition, 'elasticloadbalancing', `${kind}/`, value)
    if ('id' in found && value.startsWith('arn:')) return kind
  }
  return undefined
}

export function notFound(kind: ResourceKind, field: string): Elbv2Error {
  const [code, message] = NOT_FOUND[kind]
  return new Elbv2Error(code, message, { field })
}

/** The record of `collection` a request member's ARN names, with its version; <Kind>NotFound otherwise. */
export function getByArn<T>(ctx: ElbContext, collection: string, kind: ResourceKind, value: unknown, field: string, reader: StoreReader): { record: T; version: number } {
  const found = reader.get<T>(collection, checkArn(ctx, value, field, kind))
  if (found === undefined) throw notFound(kind, field)
  return { record: found.value, version: found.version }
}

/** A page of `items` (already in key order) after the Marker, of PageSize (1–400). */
export function page<T>(ctx: ElbContext, scope: string, items: readonly T[], keyOf: (item: T) => string, input: { Marker?: unknown; PageSize?: unknown }): { items: T[]; NextMarker?: string } {
  const size = optionalInt(input.PageSize, 'PageSize', 1, 400) ?? 400
  const marker = optionalString(input.Marker, 'Marker')
  const after = marker === undefined ? undefined : ctx.tokens.read(marker, scope, { code: 'ValidationError', field: 'Marker' })
  const start = after === undefined ? 0 : items.findIndex((i) => keyOf(i) > after)
  const from = start < 0 ? items.length : start
  const slice = items.slice(from, from + size)
  const more = from + size < items.length
  return { items: slice, ...(more && slice.length > 0 ? { NextMarker: ctx.tokens.issue(scope, keyOf(slice[slice.length - 1])) } : {}) }
}

/** Tags of a create call or AddTags: keys 1–128 characters, not `aws:`, values up to 256, no key twice, at most the quota. */
export function checkTags(ctx: ElbContext, value: unknown, field: string): Tag[] {
  const list = optionalList<Tag>(value, field) ?? []
  const seen = new Set<string>()
  const out: Tag[] = []
  list.forEach((t, i) => {
    const key = requireString(t?.Key, `${field}[${i}].Key`)
    if (key.length < 1 || key.length > 128) throw validation(`${field}[${i}].Key`, `Tag key '${key}' must be 1 to 128 characters long`, 128)
    if (key.toLowerCase().startsWith('aws:')) throw validation(`${field}[${i}].Key`, `Tag key '${key}' cannot start with 'aws:'`)
    const v = optionalString(t.Value, `${field}[${i}].Value`) ?? ''
    if (v.length > 256) throw validation(`${field}[${i}].Value`, `Tag value for key '${key}' cannot be longer than 256 characters`, 256)
    if (seen.has(key)) throw new Elbv2Error('DuplicateTagKeys', `Tag key '${key}' is specified more than once`, { field: `${field}[${i}].Key` })
    seen.add(key)
    out.push({ Key: key, Value: v })
  })
  if (out.length > ctx.quotas.tagsPerResource) throw new Elbv2Error('TooManyTags', `You can have at most ${ctx.quotas.tagsPerResource} tags per resource`, { field, limit: ctx.quotas.tagsPerResource })
  return out
}

/** A short random id of 16 hex digits (ARN suffixes). */
export function hexId(): string {
  return randomBytes(8).toString('hex')
}
