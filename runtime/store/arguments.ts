// Input checks shared by every Store implementation, so each refuses bad
// input with the same code and field before it changes anything.

import { InvalidArgumentError } from '../errors.js'
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

/** A stored value: anything a record can hold (not undefined, a function or a symbol). */
export function checkValue(field: string, value: unknown): void {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    throw new InvalidArgumentError('StoreInvalidValue', `${field} must be a value (not ${describe(value)})`, { field })
  }
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
