// Store v2: the engine's state behind one interface. Every service keeps its
// records here (compute environments, queues, jobs, tasks, nodes…); the
// controllers' in-memory indexes are caches rebuilt from it. The memory store
// is the embedded default; the SQLite store (--data-dir) implements the same
// interface and runs the same conformance suite (tests/runtime/store/).
//
// The interface is synchronous on purpose: a state change and the event that
// announces it are one transaction, and nothing else runs between a
// transaction's reads and its writes. Conflicts come from writers that read,
// yield (await, a timer, a runner callback) and write later with the version
// they read: compare-and-set refuses them, and the controller retries.
//
//   versions   positive integers from one store-wide revision counter: every
//              committed transaction that writes takes the next revision, and
//              each record it writes gets that revision as its version. A
//              version is never reused, not even for a record deleted and
//              created again (no ABA).
//   values     belong to the store once put: the writer must not change them
//              afterwards, and readers must treat what they get as read-only
//              (records are frozen at their top level; so are sparse entries
//              and outbox payloads). ColumnSet values are the exception: they
//              change only through setCell / setSparse, and one ColumnSet
//              belongs to one record.
//   order      scans return records by key, ascending (JavaScript string order).
//   delivery   outbox listeners, watchers and afterCommit callbacks (in that
//              order: a commit's events leave before its side effects begin)
//              run after the outermost commit, before the call that
//              committed returns. A commit made by one of them while they run
//              is delivered after the current one (so every listener sees
//              commits in order): the nested call returns before its own
//              listeners ran. What a listener throws is published on a
//              diagnostics channel (stratus:store:watch-error,
//              stratus:store:after-commit-error,
//              stratus:store:outbox-listener-error) and stops nothing else.

import type { ColumnSet } from './columns.js'

export interface Versioned<T> {
  readonly key: string
  readonly value: T
  readonly version: number
}

/** Where a scan looks: a whole collection, keys with a prefix, or the records an index maps a value to. */
export interface ScanOptions {
  /** Only keys starting with this. */
  prefix?: string
  /** Only records whose index `name` holds `value` (see defineIndex). */
  index?: { name: string; value: string }
  /** Only keys strictly after this one: the last key of the previous page. */
  after?: string
  /** At most this many records (default: all). */
  limit?: number
}

/**
 * What an index maps a record to: one value, several (a job depending on
 * three jobs is found under each), or none (the record is not indexed).
 */
export type IndexFunction<T> = (value: T) => string | readonly string[] | undefined

/** A committed change, as watchers see it (after the transaction commits). */
export interface Change<T = unknown> {
  readonly collection: string
  readonly key: string
  /** The value after the transaction, or undefined when it deleted the record. */
  readonly value: T | undefined
  /** The record's version after the transaction (0 when deleted). */
  readonly version: number
}

/** An event written to the outbox by a transaction: delivered after it commits, at least once. */
export interface OutboxEntry {
  /** Increases with every entry, in commit order. */
  readonly seq: number
  readonly topic: string
  readonly payload: unknown
}

export interface StoreReader {
  get<T>(collection: string, key: string): Versioned<T> | undefined
  scan<T>(collection: string, options?: ScanOptions): Versioned<T>[]
  /** Records a scan with the same prefix or index would return (after and limit do not apply). */
  count(collection: string, options?: Pick<ScanOptions, 'prefix' | 'index'>): number
}

/**
 * Inside store.transaction(fn). Reads see the transaction's own writes. If fn
 * throws, nothing it wrote is kept (and no watcher, outbox listener or
 * afterCommit callback hears of it). A transaction opened inside another is a
 * savepoint: if it throws, its writes alone are undone, and the error goes to
 * the outer fn, which may catch it and go on.
 */
export interface Transaction extends StoreReader {
  /**
   * Writes value if the record's version is `expected` (0: it must not exist).
   * Returns the new version. Throws ConflictError (code StoreVersionConflict,
   * field = the key) when the version differs: the transaction is then undone
   * unless fn catches the error.
   */
  put<T>(collection: string, key: string, value: T, expected: number): number
  /**
   * Deletes the record if its version is `expected` (any version when
   * undefined). False if it did not exist, unless expected names a version
   * (> 0): the record is gone, so that is a StoreVersionConflict too.
   */
  delete(collection: string, key: string, expected?: number): boolean
  /**
   * Sets one cell of a ColumnSet record (it must exist). Bumps the record's
   * version once per transaction (watchers hear of the record once, with the
   * ColumnSet itself as value); its indexes are recomputed.
   */
  setCell(collection: string, key: string, column: string, index: number, value: number): void
  /** Sets (or, with undefined, removes) the sparse extra of entry `index` of a ColumnSet record. */
  setSparse(collection: string, key: string, index: number, value: unknown): void
  /** Adds an entry to the outbox, kept only if the transaction commits. */
  emit(topic: string, payload: unknown): void
  /** Runs fn after the outermost transaction commits (not at all if it is undone), in registration order. */
  afterCommit(fn: () => void): void
}

export interface Outbox {
  /** Entries committed and not yet acknowledged, oldest first. */
  pending(limit?: number): OutboxEntry[]
  /** Acknowledges every entry up to and including seq: they are not returned again. */
  ack(seq: number): void
  /** Calls listener after each commit that added entries; returns the function that removes it. */
  onCommit(listener: () => void): () => void
}

export interface Store extends StoreReader {
  readonly kind: 'memory' | 'sqlite'
  /**
   * The revision of the last committed transaction that changed a record (0
   * for a new store). Outbox entries have their own seq: a transaction that
   * only emits takes no revision.
   */
  readonly revision: number
  /**
   * Declares an index of a collection (before or after records exist: existing
   * records are indexed at once). Names are per collection; defining one twice
   * with the same name replaces it. Not inside a transaction. fn must be pure
   * (the same value gives the same result) and must not call the store.
   */
  defineIndex<T>(collection: string, name: string, fn: IndexFunction<T>): void
  /**
   * Runs fn as one transaction (see Transaction); returns what fn returns. fn
   * must not be async: a thenable result is refused (InvalidArgumentError
   * StoreAsyncTransaction) and fn's writes are undone.
   */
  transaction<R>(fn: (tx: Transaction) => R): R
  /** put() as a transaction of its own (a savepoint when a transaction is open). */
  put<T>(collection: string, key: string, value: T, expected: number): number
  /** delete() as a transaction of its own (a savepoint when a transaction is open). */
  delete(collection: string, key: string, expected?: number): boolean
  /**
   * Calls listener with every committed change to a collection, after the
   * transaction commits, in commit order (one change per key per transaction).
   * Returns the function that removes it. A listener that throws does not
   * affect the store or other listeners.
   */
  watch<T>(collection: string, listener: (change: Change<T>) => void): () => void
  readonly outbox: Outbox
  /** Every later call throws UnavailableError StoreClosed. Refused inside a transaction. */
  close(): Promise<void>
}

export type { ColumnSet }
