// State behind one interface. Every record carries a version; writes are
// compare-and-set against the version the writer read, so two controllers
// racing on one record cannot both win. The embedded default keeps records in
// memory; a durable store implements the same interface.

import { ConflictError } from '../errors.js'

export interface Versioned<T> {
  readonly value: T
  /** 1 for a new record, +1 per write. */
  readonly version: number
}

export interface Store {
  get<T>(collection: string, key: string): Versioned<T> | undefined
  /**
   * Writes value if the record's version is `expected` (0 = must not exist yet).
   * Returns the new version; throws ConflictError (code StoreVersionConflict) otherwise.
   */
  put<T>(collection: string, key: string, value: T, expected: number): number
  /** Deletes if the version matches (or unconditionally when expected is undefined). */
  delete(collection: string, key: string, expected?: number): boolean
  /** Records of a collection, in insertion order. */
  list<T>(collection: string): IterableIterator<[string, Versioned<T>]>
  count(collection: string): number
}

export class LegacyMemoryStore implements Store {
  readonly #collections = new Map<string, Map<string, Versioned<unknown>>>()

  #collection(name: string): Map<string, Versioned<unknown>> {
    let c = this.#collections.get(name)
    if (c === undefined) {
      c = new Map()
      this.#collections.set(name, c)
    }
    return c
  }

  get<T>(collection: string, key: string): Versioned<T> | undefined {
    return this.#collections.get(collection)?.get(key) as Versioned<T> | undefined
  }

  put<T>(collection: string, key: string, value: T, expected: number): number {
    const c = this.#collection(collection)
    const current = c.get(key)?.version ?? 0
    if (current !== expected) {
      throw new ConflictError('StoreVersionConflict', `${collection}/${key} is at version ${current}, not ${expected}`, { field: key })
    }
    const version = current + 1
    c.set(key, { value, version })
    return version
  }

  delete(collection: string, key: string, expected?: number): boolean {
    const c = this.#collections.get(collection)
    const current = c?.get(key)
    if (current === undefined) return false
    if (expected !== undefined && current.version !== expected) {
      throw new ConflictError('StoreVersionConflict', `${collection}/${key} is at version ${current.version}, not ${expected}`, { field: key })
    }
    return c!.delete(key)
  }

  list<T>(collection: string): IterableIterator<[string, Versioned<T>]> {
    return (this.#collections.get(collection) ?? new Map()).entries() as IterableIterator<[string, Versioned<T>]>
  }

  count(collection: string): number {
    return this.#collections.get(collection)?.size ?? 0
  }
}
