// One collection of the memory store: its records, their keys in order, its
// indexes and watchers; and the checks on the values it holds.

import { InvalidArgumentError } from '../errors.js'
import { checkName } from './arguments.js'
import { ColumnSet } from './columns.js'
import type { Watcher } from './memory-delivery.js'
import type { RecordIndex } from './memory-index.js'
import { SortedKeys } from './sorted-keys.js'
import type { Versioned } from './store.js'

export interface Collection {
  readonly name: string
  readonly records: Map<string, Versioned<unknown>>
  readonly keys: SortedKeys
  readonly indexes: Map<string, RecordIndex>
  /** indexes' values, for loops on the write path without an iterator. */
  indexList: RecordIndex[]
  readonly watchers: Set<Watcher>
}

export function newCollection(name: string): Collection {
  return { name, records: new Map(), keys: new SortedKeys(), indexes: new Map(), indexList: [], watchers: new Set() }
}

/** The record of a ColumnSet, or a coded error naming what is wrong. */
export function columnRecord(coll: Collection | undefined, collection: string, key: string): Versioned<unknown> {
  checkName('collection', collection)
  checkName('key', key)
  const record = coll?.records.get(key)
  if (record === undefined) {
    throw new InvalidArgumentError('StoreNoSuchRecord', `${collection}/${key} does not exist: put a ColumnSet there first`, { field: 'key' })
  }
  if (!(record.value instanceof ColumnSet)) {
    throw new InvalidArgumentError('StoreNotColumnSet', `${collection}/${key} does not hold a ColumnSet`, { field: 'key' })
  }
  return record
}

/** Values are frozen at their top level when put (ColumnSets change through the store alone). */
export function freeze<T>(value: T): T {
  // A typed array cannot be frozen (its elements stay writable): it is kept as given, like a ColumnSet's columns.
  if (typeof value === 'object' && value !== null && !(value instanceof ColumnSet) && !ArrayBuffer.isView(value)) Object.freeze(value)
  return value
}
