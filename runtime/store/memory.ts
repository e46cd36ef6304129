// The memory store: Store v2 in process memory, the embedded default.
//
// Writes apply in place. A transaction keeps an undo log (memory-undo.ts) of
// what each write replaced; undoing a transaction or a savepoint walks it
// back to the mark taken when it began.
// A record's version is the revision its last writing transaction will take,
// so "already written by this transaction" is `version === #txRevision`.
//
// Keys are kept sorted (SortedKeys), so scans never sort. Watchers,
// afterCommit callbacks and outbox listeners run after the outermost commit,
// before the call that committed returns (CommitDelivery). A transaction with
// nothing to tell allocates nothing.
//
// Values are frozen at their top level on put. Callers must never mutate a
// value (or anything inside it) after putting it, nor a value they read:
// it is the store's own copy. ColumnSet values change through setCell and
// setSparse only.

import { ConflictError, InvalidArgumentError, UnavailableError } from '../errors.js'
import { checkFunction, checkName, checkScanOptions, checkValue, checkVersion, describe } from './arguments.js'
import type { ColumnSet } from './columns.js'
import { CommitDelivery, type Watcher } from './memory-delivery.js'
import { columnRecord, freeze, newCollection, type Collection } from './memory-collection.js'
import { UndoLog } from './memory-undo.js'
import { RecordIndex, sameValues, type OneKey } from './memory-index.js'
import { MemoryOutbox } from './memory-outbox.js'
import type { CommitWrites, InitialState, MemoryStoreOptions, Persist } from './memory-persist.js'
import { SortedKeys } from './sorted-keys.js'
import type { Change, IndexFunction, OutboxEntry, ScanOptions, Store, Transaction, Versioned } from './store.js'


export class MemoryStore implements Store {
  readonly kind = 'memory' as const
  readonly outbox: MemoryOutbox
  readonly #collections = new Map<string, Collection>()
  #revision = 0
  #closed = false

  // The open transaction (depth 0: none).
  #depth = 0
  #txRevision = 0
  readonly #undo = new UndoLog()
  /** Collection, key of each first write to a watched collection. */
  readonly #changed: unknown[] = []
  /** Topic, payload of each emit. */
  readonly #emits: unknown[] = []
  readonly #afterCommit: Array<() => void> = []

  readonly #delivery: CommitDelivery

  /** The one Transaction object, valid while a transaction is open. */
  readonly #tx: Transaction

  /** A disk store's write path (memory-persist.ts): told of each commit before it is visible. */
  readonly #persist: Persist | undefined
  /** The one CommitWrites object handed to #persist (valid during the call). */
  readonly #commitWrites: { revision: number; wroteRecords: boolean; emitted: readonly OutboxEntry[]; visit: CommitWrites['visit'] }

  constructor(options: MemoryStoreOptions = {}) {
    this.#persist = options.persist
    this.#commitWrites = { revision: 0, wroteRecords: false, emitted: [], visit: (visitor) => this.#undo.visit(visitor) }
    this.outbox = new MemoryOutbox(() => this.#checkOpen())
    this.#delivery = new CommitDelivery((collection) => this.#collections.get(collection)?.watchers, () => this.outbox.notify())
    this.#tx = {
      get: (collection, key) => (this.#checkTx(), this.get(collection, key)),
      scan: (collection, options) => (this.#checkTx(), this.scan(collection, options)),
      count: (collection, options) => (this.#checkTx(), this.count(collection, options)),
      put: (collection, key, value, expected) => (this.#checkTx(), this.#put(collection, key, value, expected)),
      delete: (collection, key, expected) => (this.#checkTx(), this.#delete(collection, key, expected)),
      setCell: (collection, key, column, index, value) => (this.#checkTx(), this.#setCell(collection, key, column, index, value)),
      setSparse: (collection, key, index, value) => (this.#checkTx(), this.#setSparse(collection, key, index, value)),
      emit: (topic, payload) => {
        this.#checkTx()
        checkName('topic', topic)
        checkValue('payload', payload, false)
        this.#emits.push(topic, freeze(payload))
      },
      afterCommit: (fn) => {
        this.#checkTx()
        checkFunction('fn', fn)
        this.#afterCommit.push(fn)
      }
    }
    if (options.initial !== undefined) this.#restore(options.initial)
  }

  /** Loads what a disk store read back: records as they were, with their versions. */
  #restore(initial: InitialState): void {
    const keys = new Map<Collection, string[]>()
    for (const [collection, key, value, version] of initial.records) {
      const coll = this.#collection(collection)
      coll.records.set(key, { key, value: freeze(value), version })
      let list = keys.get(coll)
      if (list === undefined) keys.set(coll, (list = []))
      list.push(key)
    }
    for (const [coll, list] of keys) coll.keys.load(list)
    this.#revision = initial.revision
    this.outbox.restore(initial.outboxSeq, initial.outbox)
  }

  get revision(): number {
    return this.#revision
  }

  // --- reads -------------------------------------------------------------

  get<T>(collection: string, key: string): Versioned<T> | undefined {
    this.#checkOpen()
    checkName('collection', collection)
    checkName('key', key)
    return this.#collections.get(collection)?.records.get(key) as Versioned<T> | undefined
  }

  scan<T>(collection: string, options?: ScanOptions): Versioned<T>[] {
    this.#checkOpen()
    checkName('collection', collection)
    const { prefix, index, after, limit } = checkScanOptions(options, true)
    const coll = this.#collections.get(collection)
    const keys = this.#keysOf(collection, coll, index)
    const out: Versioned<T>[] = []
    if (keys !== undefined) {
      const records = coll!.records as Map<string, Versioned<T>>
      keys.range(prefix, after, limit, (key) => out.push(records.get(key)!))
    }
    return out
  }

  count(collection: string, options?: Pick<ScanOptions, 'prefix' | 'index'>): number {
    this.#checkOpen()
    checkName('collection', collection)
    const { prefix, index } = checkScanOptions(options, false)
    const keys = this.#keysOf(collection, this.#collections.get(collection), index)
    if (keys === undefined) return 0
    if (prefix === '') return keys.size
    let n = 0
    keys.range(prefix, undefined, Infinity, () => n++)
    return n
  }

  #keysOf(collection: string, coll: Collection | undefined, index: ScanOptions['index']): SortedKeys | OneKey | undefined {
    if (index === undefined) return coll?.keys
    const idx = coll?.indexes.get(index.name)
    if (idx === undefined) {
      throw new InvalidArgumentError('StoreUnknownIndex', `collection ${collection} has no index ${index.name}`, { field: 'index.name' })
    }
    return idx.byValue.get(index.value)
  }

  // --- definitions and listeners -------------------------------------------

  defineIndex<T>(collection: string, name: string, fn: IndexFunction<T>): void {
    this.#checkOpen()
    checkName('collection', collection)
    checkName('name', name)
    checkFunction('fn', fn)
    if (this.#depth > 0) {
      throw new InvalidArgumentError('StoreIndexInTransaction', `defineIndex(${collection}, ${name}) inside a transaction: define indexes before or between transactions`, { field: 'name' })
    }
    const coll = this.#collection(collection)
    const index = new RecordIndex(collection, name, fn as IndexFunction<unknown>)
    // Built aside, in key order (appends), and installed only once every record is indexed.
    coll.keys.range('', undefined, Infinity, (key) => index.move(key, undefined, index.valuesOf(coll.records.get(key)!.value)))
    coll.indexes.set(name, index)
    coll.indexList = [...coll.indexes.values()]
  }

  watch<T>(collection: string, listener: (change: Change<T>) => void): () => void {
    this.#checkOpen()
    checkName('collection', collection)
    checkFunction('listener', listener)
    const watchers = this.#collection(collection).watchers
    const entry: Watcher = (change) => listener(change as Change<T>)
    watchers.add(entry)
    return () => {
      watchers.delete(entry)
    }
  }

  // --- transactions ----------------------------------------------------------

  transaction<R>(fn: (tx: Transaction) => R): R {
    this.#checkOpen()
    checkFunction('fn', fn)
    if (this.#depth > 0) return this.#savepoint(fn)
    this.#begin()
    let result: R
    try {
      result = fn(this.#tx)
    } catch (error) {
      this.#abort()
      throw error
    }
    if (isThenable(result)) {
      this.#abort()
      throw refuseAsync(result)
    }
    this.#commit()
    return result
  }

  put<T>(collection: string, key: string, value: T, expected: number): number {
    this.#checkOpen()
    if (this.#depth > 0) return this.#put(collection, key, value, expected)
    this.#begin()
    let version: number
    try {
      version = this.#put(collection, key, value, expected)
    } catch (error) {
      this.#abort()
      throw error
    }
    this.#commit()
    return version
  }

  delete(collection: string, key: string, expected?: number): boolean {
    this.#checkOpen()
    if (this.#depth > 0) return this.#delete(collection, key, expected)
    this.#begin()
    let deleted: boolean
    try {
      deleted = this.#delete(collection, key, expected)
    } catch (error) {
      this.#abort()
      throw error
    }
    this.#commit()
    return deleted
  }

  async close(): Promise<void> {
    if (this.#depth > 0) {
      throw new InvalidArgumentError('StoreCloseInTransaction', 'close() inside a transaction: close the store after the transaction returns', { field: 'close' })
    }
    this.#closed = true
  }

  #begin(): void {
    this.#depth = 1
    this.#txRevision = this.#revision + 1
  }

  #savepoint<R>(fn: (tx: Transaction) => R): R {
    const undo = this.#undo.mark
    const changed = this.#changed.length
    const emits = this.#emits.length
    const after = this.#afterCommit.length
    this.#depth++
    let result: R
    try {
      result = fn(this.#tx)
    } catch (error) {
      this.#depth--
      this.#rollback(undo, changed, emits, after)
      throw error
    }
    this.#depth--
    if (isThenable(result)) {
      this.#rollback(undo, changed, emits, after)
      throw refuseAsync(result)
    }
    return result
  }

  #abort(): void {
    this.#rollback(0, 0, 0, 0)
    this.#depth = 0
  }

  #rollback(undo: number, changed: number, emits: number, after: number): void {
    this.#undo.undoTo(undo)
    this.#changed.length = changed
    this.#emits.length = emits
    this.#afterCommit.length = after
  }

  #commit(): void {
    const emitted = this.#persist !== undefined ? this.#persistCommit() : undefined
    if (this.#undo.recordWrites > 0) this.#revision = this.#txRevision
    this.#undo.clear()
    this.#depth = 0
    const changes = this.#changed.length > 0 ? this.#takeChanges() : undefined
    let outbox = false
    if (this.#emits.length > 0) {
      const emits = this.#emits
      if (emitted !== undefined) this.outbox.appendEntries(emitted)
      else for (let i = 0; i < emits.length; i += 2) this.outbox.append(emits[i] as string, emits[i + 1])
      emits.length = 0
      outbox = this.outbox.hasListeners
    }
    let after: Array<() => void> | undefined
    if (this.#afterCommit.length > 0) {
      after = this.#afterCommit.slice()
      this.#afterCommit.length = 0
    }
    if (changes !== undefined || after !== undefined || outbox) this.#delivery.deliver(changes, after, outbox)
  }

  /**
   * Hands the commit to #persist while the undo log still holds it; if persist
   * throws, the whole transaction is undone and the error goes to the caller.
   * Returns the outbox entries it persisted (undefined: none).
   */
  #persistCommit(): OutboxEntry[] | undefined {
    const wroteRecords = this.#undo.recordWrites > 0
    const emits = this.#emits
    if (!wroteRecords && emits.length === 0) return undefined
    let emitted: OutboxEntry[] | undefined
    if (emits.length > 0) {
      emitted = []
      let seq = this.outbox.seq
      for (let i = 0; i < emits.length; i += 2) emitted.push(Object.freeze({ seq: ++seq, topic: emits[i] as string, payload: emits[i + 1] }))
    }
    const commit = this.#commitWrites
    commit.revision = wroteRecords ? this.#txRevision : this.#revision
    commit.wroteRecords = wroteRecords
    commit.emitted = emitted ?? NO_ENTRIES
    try {
      this.#persist!(commit)
    } catch (error) {
      this.#abort()
      throw error
    } finally {
      commit.emitted = NO_ENTRIES
    }
    return emitted
  }

  /** One Change per key first written to a watched collection, in that order, with its final state. */
  #takeChanges(): Change[] {
    const changed = this.#changed
    const changes: Change[] = []
    const seen = changed.length > 2 ? new Set<string>() : undefined
    for (let i = 0; i < changed.length; i += 2) {
      const coll = changed[i] as Collection
      const key = changed[i + 1] as string
      if (seen !== undefined) {
        const id = `${coll.name}\u0000${key}`
        if (seen.has(id)) continue
        seen.add(id)
      }
      const record = coll.records.get(key)
      changes.push({ collection: coll.name, key, value: record?.value, version: record?.version ?? 0 })
    }
    changed.length = 0
    return changes
  }

  // --- writes (inside an open transaction) ---------------------------------

  #put(collection: string, key: string, value: unknown, expected: number): number {
    checkName('collection', collection)
    checkName('key', key)
    checkValue('value', value)
    checkVersion('expected', expected)
    const coll = this.#collection(collection)
    const previous = coll.records.get(key)
    const current = previous === undefined ? 0 : previous.version
    if (current !== expected) throw conflict(collection, key, current, expected)
    const mark = this.#undo.mark
    const version = this.#txRevision
    coll.records.set(key, { key, value, version })
    if (previous === undefined) coll.keys.insert(key)
    this.#undo.record(coll, key, previous)
    if (coll.indexList.length > 0) this.#reindex(coll, key, value, mark)
    freeze(value) // only once the write stands: a refused value is left as it was
    if (coll.watchers.size > 0 && current !== version) this.#changed.push(coll, key)
    return version
  }

  #delete(collection: string, key: string, expected: number | undefined): boolean {
    checkName('collection', collection)
    checkName('key', key)
    if (expected !== undefined) checkVersion('expected', expected)
    const coll = this.#collections.get(collection)
    const previous = coll?.records.get(key)
    if (previous === undefined) {
      if (expected !== undefined && expected !== 0) throw conflict(collection, key, 0, expected)
      return false
    }
    if (expected !== undefined && previous.version !== expected) throw conflict(collection, key, previous.version, expected)
    coll!.records.delete(key)
    coll!.keys.delete(key)
    this.#undo.record(coll!, key, previous)
    const indexes = coll!.indexList
    for (let i = 0; i < indexes.length; i++) {
      const was = indexes[i].valuesFor(key)
      if (was === undefined) continue
      this.#undo.index(indexes[i], key, was)
      indexes[i].move(key, was, undefined)
    }
    if (coll!.watchers.size > 0 && previous.version !== this.#txRevision) this.#changed.push(coll, key)
    return true
  }

  #setCell(collection: string, key: string, column: string, index: number, value: number): void {
    const coll = this.#collections.get(collection)
    const record = columnRecord(coll, collection, key)
    if (typeof column !== 'string') throw new InvalidArgumentError('StoreUnknownColumn', `column must be a string, got ${describe(column)}`, { field: 'column' })
    if (typeof value !== 'number') throw new InvalidArgumentError('StoreInvalidCell', `value must be a number, got ${describe(value)}`, { field: 'value' })
    const set = record.value as ColumnSet
    const mark = this.#undo.mark
    const previous = set.writeCell(column, index, value)
    this.#undo.cell(set, column, index, previous)
    this.#touched(coll!, record, mark)
  }

  #setSparse(collection: string, key: string, index: number, value: unknown): void {
    const coll = this.#collections.get(collection)
    const record = columnRecord(coll, collection, key)
    if (value !== undefined) checkValue('value', value, false)
    const set = record.value as ColumnSet
    const mark = this.#undo.mark
    const previous = set.writeSparse(index, value)
    freeze(value)
    this.#undo.sparse(set, index, previous)
    this.#touched(coll!, record, mark)
  }

  /** A ColumnSet record changed in place: its version moves once per transaction; its indexes follow. */
  #touched(coll: Collection, record: Versioned<unknown>, mark: number): void {
    if (record.version !== this.#txRevision) {
      coll.records.set(record.key, { key: record.key, value: record.value, version: this.#txRevision })
      this.#undo.record(coll, record.key, record)
      if (coll.watchers.size > 0) this.#changed.push(coll, record.key)
    }
    if (coll.indexList.length > 0) this.#reindex(coll, record.key, record.value, mark)
  }

  /** Moves key in every index of coll; if an index function throws, undoes back to mark. */
  #reindex(coll: Collection, key: string, value: unknown, mark: number): void {
    const indexes = coll.indexList
    try {
      for (let i = 0; i < indexes.length; i++) {
        const index = indexes[i]
        const to = index.valuesOf(value)
        const was = index.valuesFor(key)
        if (sameValues(was, to)) continue
        this.#undo.index(index, key, was)
        index.move(key, was, to)
      }
    } catch (error) {
      this.#undo.undoTo(mark)
      throw error
    }
  }

  #collection(name: string): Collection {
    let coll = this.#collections.get(name)
    if (coll === undefined) {
      coll = newCollection(name)
      this.#collections.set(name, coll)
    }
    return coll
  }

  #checkOpen(): void {
    if (this.#closed) throw new UnavailableError('StoreClosed', 'the store is closed')
  }

  #checkTx(): void {
    this.#checkOpen()
    if (this.#depth === 0) {
      throw new UnavailableError('StoreTransactionClosed', 'this transaction has ended: use the Transaction only inside its fn')
    }
  }
}

const NO_ENTRIES: readonly OutboxEntry[] = Object.freeze([])

function isThenable(value: unknown): boolean {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
}

function refuseAsync(result: unknown): InvalidArgumentError {
  // The caller hears of it now; keep the late rejection from crashing the process.
  try {
    ;(result as PromiseLike<unknown>).then(undefined, () => {})
  } catch {
    // a thenable whose then() throws: nothing to keep quiet
  }
  return new InvalidArgumentError('StoreAsyncTransaction', 'a transaction function must not be async (it returned a thenable): its writes were undone. Read, await outside the transaction, then write with compare-and-set', { field: 'fn' })
}

function conflict(collection: string, key: string, current: number, expected: number): ConflictError {
  return new ConflictError('StoreVersionConflict', `${collection}/${key} is at version ${current}, not the expected ${expected}`, { field: key })
}
