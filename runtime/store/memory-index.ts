// One secondary index of a memory-store collection: index value -> the keys
// of the records it maps there (sorted, so an index scan pages like a key
// scan), and key -> what the record is indexed under now, so an update moves
// the record without calling the index function on the old value.

import { InvalidArgumentError } from '../errors.js'
import { describe } from './arguments.js'
import { SortedKeys } from './sorted-keys.js'
import type { IndexFunction } from './store.js'

/** What one record is indexed under: nothing, one value, or several (sorted, distinct). */
export type IndexValues = string | readonly string[] | undefined

/**
 * The keys under one index value while there is only one (most index values
 * hold one record: a task's owner, a job's queue and status early on): a key
 * and no arrays. A second key turns it into SortedKeys.
 */
export class OneKey {
  readonly size = 1
  constructor(readonly key: string) {}

  range(prefix: string, after: string | undefined, limit: number, visit: (key: string) => void): void {
    if (limit <= 0 || (prefix.length > 0 && !this.key.startsWith(prefix))) return
    if (after !== undefined && after >= prefix && this.key <= after) return
    visit(this.key)
  }
}

export class RecordIndex {
  readonly byValue = new Map<string, SortedKeys | OneKey>()
  readonly #ofKey = new Map<string, string | readonly string[]>()

  constructor(
    readonly collection: string,
    readonly name: string,
    readonly fn: IndexFunction<unknown>
  ) {}

  /** Runs the index function on a value and checks what it returns. */
  valuesOf(value: unknown): IndexValues {
    const result = this.fn(value)
    if (result === undefined || typeof result === 'string') return result
    if (Array.isArray(result)) {
      for (const v of result) if (typeof v !== 'string') throw this.#invalid(v)
      if (result.length <= 1) return result[0]
      const distinct = [...new Set(result)].sort()
      return distinct.length === 1 ? distinct[0] : Object.freeze(distinct)
    }
    throw this.#invalid(result)
  }

  /** What key is indexed under now. */
  valuesFor(key: string): IndexValues {
    return this.#ofKey.get(key)
  }

  /** Moves key from what it is indexed under now (`from`, as valuesFor returned it) to `to`. */
  move(key: string, from: IndexValues, to: IndexValues): void {
    if (from !== undefined) {
      if (typeof from === 'string') this.#remove(from, key)
      else for (const v of from) this.#remove(v, key)
    }
    if (to === undefined) {
      this.#ofKey.delete(key)
      return
    }
    this.#ofKey.set(key, to)
    if (typeof to === 'string') this.#add(to, key)
    else for (const v of to) this.#add(v, key)
  }

  #add(value: string, key: string): void {
    const keys = this.byValue.get(value)
    if (keys === undefined) {
      this.byValue.set(value, new OneKey(key))
      return
    }
    if (keys instanceof OneKey) {
      const many = new SortedKeys()
      many.insert(keys.key)
      many.insert(key)
      this.byValue.set(value, many)
      return
    }
    keys.insert(key)
  }

  #remove(value: string, key: string): void {
    const keys = this.byValue.get(value)!
    if (keys instanceof OneKey) {
      this.byValue.delete(value)
      return
    }
    keys.delete(key)
    if (keys.size === 0) this.byValue.delete(value)
  }

  #invalid(got: unknown): InvalidArgumentError {
    return new InvalidArgumentError('StoreInvalidIndexValue', `index ${this.name} of ${this.collection} must return a string, strings or undefined, got ${describe(got)}`, { field: `index.${this.name}` })
  }
}

export function sameValues(a: IndexValues, b: IndexValues): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
