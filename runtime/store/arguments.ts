// Input checks shared by every Store implementation, so each refuses bad
// input with the same code and field before it changes anything.

import { InvalidArgumentError } from '../errors.js'
import { ColumnSet } from './columns.js'
import type { ScanOptions } from './store.js'

/** A collection, key, index name or topic: a non-empty string. */
export function checkName(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgumentError('StoreInvalidName', `${field} must be a non-empty string, got ${describe(value)}`, { field })
  }
}

/** An expected version: a non-negative integer (0: the record must not exist). */
export function checkVersion(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError('StoreInvalidVersion', `${field} must be a non-negative integer, got ${describe(value)}`, { field, limit: 0 })
  }
}

/**
 * A stored value: data both stores keep exactly (the SQLite store writes it as
 * JSON or with V8's serializer and reads it back): primitives (not a symbol;
 * undefined only inside a value), arrays, plain objects (Object.prototype),
 * Date, Map, Set, ArrayBuffer and typed arrays, nested at most MAX_VALUE_DEPTH
 * levels; shared and cyclic references are kept (V8's serializer keeps them
 * too). A ColumnSet is a record's value itself, never inside one. Anything else
 * (a function, a class instance, an object without a prototype…) would come
 * back different from a disk store, so both stores refuse it, naming where it
 * is. Symbol-keyed properties are not part of a value (a disk store drops them,
 * as JSON.stringify does): looking for them would cost a third of a put.
 * `record`: value is a record's whole value (a ColumnSet allowed), not a
 * sparse entry or a payload.
 */
export function checkValue(field: string, value: unknown, record = true): void {
  if (value === undefined) throw new InvalidArgumentError('StoreInvalidValue', `${field} must be a value (not undefined)`, { field })
  if (value instanceof ColumnSet && record) return
  const bad = badData(value, 0, undefined)
  if (bad !== undefined) {
    const [reason, path] = bad
    const full = `${field}${path.reverse().join('')}`
    const where = full.length > 160 ? `${full.slice(0, 160)}…` : full
    throw new InvalidArgumentError('StoreInvalidValue', `${where} cannot be stored: it is ${reason}`, { field, limit: MAX_VALUE_DEPTH })
  }
}

export const MAX_VALUE_DEPTH = 1000
/** Below this depth no object is remembered (the common case allocates nothing); past it, each object is checked once (so a cycle ends). */
const REMEMBER_FROM = 32

/** Why value (or something inside it) cannot be stored, with the path to it (innermost first); undefined when it can. */
function badData(value: unknown, depth: number, seen: Set<object> | undefined): [string, string[]] | undefined {
  const type = typeof value
  if (type === 'function' || type === 'symbol') return [`a ${type}`, []]
  if (type !== 'object' || value === null) return undefined
  return badObject(value as object, depth, seen)
}

// Leaves are checked inline (most of a record is strings and numbers): only objects cost a call.
function badObject(object: object, depth: number, seen: Set<object> | undefined): [string, string[]] | undefined {
  if (depth >= MAX_VALUE_DEPTH) return [`nested deeper than ${MAX_VALUE_DEPTH} levels`, []]
  if (depth >= REMEMBER_FROM) {
    seen ??= new Set()
    if (seen.has(object)) return undefined
    seen.add(object)
  }
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) {
      const item: unknown = object[i]
      if (typeof item !== 'object' ? typeof item !== 'function' && typeof item !== 'symbol' : item === null) continue
      const bad = badData(item, depth + 1, seen)
      if (bad !== undefined) return (bad[1].push(`[${i}]`), bad)
    }
    return undefined
  }
  const proto = Object.getPrototypeOf(object) as object | null
  if (proto === Object.prototype) {
    for (const key in object) {
      const item = (object as Record<string, unknown>)[key]
      if (typeof item !== 'object' ? typeof item !== 'function' && typeof item !== 'symbol' : item === null) continue
      const bad = badData(item, depth + 1, seen)
      if (bad !== undefined) return (bad[1].push(`.${key}`), bad)
    }
    return undefined
  }
  if (proto === Date.prototype || ArrayBuffer.isView(object) || proto === ArrayBuffer.prototype) return undefined
  if (proto === Map.prototype || proto === Set.prototype) {
    let i = 0
    for (const entry of (object as Map<unknown, unknown> | Set<unknown>).entries()) {
      const bad = badData(entry, depth + 1, seen)
      if (bad !== undefined) return (bad[1].push(`<entry ${i}>`), bad)
      i++
    }
    return undefined
  }
  const name = proto === null ? 'an object without a prototype' : `an instance of ${(proto as { constructor?: { name?: string } }).constructor?.name || 'a class'}`
  return [`${name} (only plain objects, arrays, Date, Map, Set and typed arrays are kept exactly)`, []]
}

export function checkLimit(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError('StoreInvalidLimit', `${field} must be a positive integer, got ${describe(value)}`, { field, limit: 1 })
  }
}

export function checkFunction(field: string, value: unknown): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') {
    throw new InvalidArgumentError('StoreInvalidCallback', `${field} must be a function, got ${describe(value)}`, { field })
  }
}

/** Checks scan (or count) options; returns them with defaults filled in. */
export function checkScanOptions(options: ScanOptions | undefined, withPaging: boolean): Required<Pick<ScanOptions, 'prefix' | 'limit'>> & ScanOptions {
  if (options === undefined) return { prefix: '', limit: Infinity }
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('StoreInvalidScan', `options must be an object, got ${describe(options)}`, { field: 'options' })
  }
  const { prefix, index, after, limit } = options
  if (prefix !== undefined && typeof prefix !== 'string') {
    throw new InvalidArgumentError('StoreInvalidScan', `prefix must be a string, got ${describe(prefix)}`, { field: 'prefix' })
  }
  if (index !== undefined) {
    if (index === null || typeof index !== 'object') {
      throw new InvalidArgumentError('StoreInvalidScan', `index must be { name, value }, got ${describe(index)}`, { field: 'index' })
    }
    checkName('index.name', index.name)
    if (typeof index.value !== 'string') {
      throw new InvalidArgumentError('StoreInvalidScan', `index.value must be a string, got ${describe(index.value)}`, { field: 'index.value' })
    }
  }
  if (withPaging) {
    if (after !== undefined && typeof after !== 'string') {
      throw new InvalidArgumentError('StoreInvalidScan', `after must be a string, got ${describe(after)}`, { field: 'after' })
    }
    if (limit !== undefined) checkLimit('limit', limit)
  }
  return { prefix: prefix ?? '', index, after: withPaging ? after : undefined, limit: withPaging ? limit ?? Infinity : Infinity }
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : typeof value === 'function' ? 'a function' : String(value)
}
