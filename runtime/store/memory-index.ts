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

export class RecordIndex {
  readonly byValue = new Map<string, SortedKeys>()
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
    let keys = this.byValue.get(value)
    if (keys === undefined) this.byValue.set(value, (keys = new SortedKeys()))
    keys.insert(key)
  }

  #remove(value: string, key: string): void {
    const keys = this.byValue.get(value)!
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
