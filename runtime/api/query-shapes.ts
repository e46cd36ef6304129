// Shapes for awsQuery services whose members are not all strings (ELBv2):
// a small schema of which members are lists, numbers, booleans, timestamps,
// maps or nested structures. A structure lists only its members that are not
// plain strings, and the names of its required members; anything it does not
// list is a string. The same schema drives both directions:
//   - decodeShaped(): a form-decoded input (aws-query.ts decodeQuery: every
//     value a string, `member.N` already lists) → the service's shapes, with a
//     ValidationError naming the wire path (`Actions.member.1.Order`) of a
//     value that is not what the shape says, or a required member missing;
//   - the remote SDK reads XML answers with it (sdk/remote/query-shaped.ts).

import { InvalidArgumentError } from '../errors.js'
import { queryList } from './tables/query-lists.js'

export type ScalarShape = 's' | 'n' | 'b' | 't'
export interface ListShape { readonly list: Shape }
export interface MapShape { readonly map: Shape }
export interface StructShape {
  /** Members that are not plain strings. */
  readonly members: Readonly<Record<string, Shape>>
  /** Members that must be present (strings among them). */
  readonly required: readonly string[]
}
export type Shape = ScalarShape | ListShape | MapShape | StructShape

export const list = (of: Shape): ListShape => ({ list: of })
export const map = (of: Shape): MapShape => ({ map: of })
export const struct = (members: Readonly<Record<string, Shape>>, required: readonly string[] = []): StructShape => ({ members, required })

export function isList(shape: Shape): shape is ListShape {
  return typeof shape === 'object' && 'list' in shape
}
export function isMap(shape: Shape): shape is MapShape {
  return typeof shape === 'object' && 'map' in shape
}
export function isStruct(shape: Shape): shape is StructShape {
  return typeof shape === 'object' && 'members' in shape
}

/** ELBv2's (and IAM's) Coral wording for a value that breaks its shape. */
function invalid(path: string, value: unknown, constraint: string): InvalidArgumentError {
  const shown = typeof value === 'string' ? `'${value}'` : value === undefined ? 'null' : `'${JSON.stringify(value)}'`
  return new InvalidArgumentError('ValidationError', `1 validation error detected: Value ${shown} at '${path}' failed to satisfy constraint: ${constraint}`, { field: path })
}

const INTEGER = /^-?\d{1,15}$/

/**
 * A form-decoded value → its shape. `path` is the member's wire name
 * (`Targets.member.2.Port`), the field errors name. Unknown members of a
 * structure are kept as they came (the service ignores or refuses them).
 */
export function decodeShaped(value: unknown, shape: Shape, path: string): unknown {
  if (value === undefined || value === null) return undefined
  if (shape === 's') {
    if (typeof value !== 'string') throw invalid(path, value, 'Member must be a string')
    return value
  }
  if (shape === 'n') {
    if (typeof value === 'number' && Number.isInteger(value)) return value
    if (typeof value !== 'string' || !INTEGER.test(value.trim())) throw invalid(path, value, 'Member must be an integer')
    return Number(value.trim())
  }
  if (shape === 'b') {
    if (typeof value === 'boolean') return value
    const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined
    if (text !== 'true' && text !== 'false') throw invalid(path, value, "Member must be a boolean ('true' or 'false')")
    return text === 'true'
  }
  if (shape === 't') {
    const date = value instanceof Date ? value : typeof value === 'string' ? new Date(/^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : value) : undefined
    if (date === undefined || Number.isNaN(date.getTime())) throw invalid(path, value, 'Member must be a timestamp')
    return date
  }
  if (isList(shape)) {
    const items = queryList(value)
    if (items === undefined) return undefined
    return items.map((item, i) => decodeShaped(item, shape.list, `${path}.member.${i + 1}`))
  }
  if (isMap(shape)) {
    if (typeof value !== 'object' || Array.isArray(value)) throw invalid(path, value, 'Member must be a map (entry.N.key / entry.N.value)')
    const out: Record<string, unknown> = {}
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) out[key] = decodeShaped(v, shape.map, `${path}.${key}`)
    return out
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(path, value, 'Member must be a structure')
  return decodeStruct(value as Record<string, unknown>, shape, path)
}

/** A structure's members by its shape; `path` '' for an operation's input (its members are named bare). */
export function decodeStruct(value: Readonly<Record<string, unknown>>, shape: StructShape, path = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    const member = shape.members[key]
    const at = path === '' ? key : `${path}.${key}`
    out[key] = member === undefined ? v : decodeShaped(v, member, at)
    if (out[key] === undefined) delete out[key]
  }
  for (const name of shape.required) {
    if (out[name] === undefined) throw invalid(path === '' ? name : `${path}.${name}`, undefined, 'Member must not be null')
  }
  return out
}

/**
 * A copy of a value with its timestamp members converted by `convert` (the
 * table: the control plane's epoch-ms numbers → Dates, written as ISO 8601;
 * the SDK: back). Everything else as it is.
 */
export function mapTimes(value: unknown, shape: Shape, convert: (v: unknown) => unknown): unknown {
  if (value === undefined || value === null) return value
  if (shape === 't') return convert(value)
  if (isList(shape)) return Array.isArray(value) ? value.map((v) => mapTimes(v, shape.list, convert)) : value
  if (isMap(shape)) {
    if (typeof value !== 'object') return value
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, mapTimes(v, shape.map, convert)]))
  }
  if (!isStruct(shape) || typeof value !== 'object' || Array.isArray(value) || value instanceof Date) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const member = shape.members[k]
    out[k] = member === undefined ? v : mapTimes(v, member, convert)
  }
  return out
}

/** Epoch ms (or a Date) → a Date. */
export const toDate = (v: unknown): unknown => (typeof v === 'number' ? new Date(v) : v)
/** A Date → epoch ms. */
export const toEpochMs = (v: unknown): unknown => (v instanceof Date ? v.getTime() : v)
