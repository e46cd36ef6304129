// The memory store's seam for a store that also keeps its state on disk (the
// SQLite store): the memory store stays the read side (reads never leave
// memory), and each committed top-level transaction hands what it wrote to
// `persist` before the commit is visible to anyone. If persist throws (disk
// full, I/O error), the transaction is undone in memory too and the error is
// thrown to the caller: no success is reported for what did not reach disk.
//
// At open, the disk store builds the memory store from what it read back
// (InitialState): records with their versions, the revision, and the outbox
// entries not yet acknowledged with the highest seq ever given.

import type { ColumnSet } from './columns.js'
import type { OutboxEntry, Versioned } from './store.js'

/** What a commit wrote, walked by persist (each call visits the writes that stand, savepoints undone excluded). */
export interface WriteVisitor {
  /**
   * A record written (put, deleted, or a ColumnSet changed in place). Called
   * once per write, so a key written twice is visited twice (newest first):
   * `now` is the record after the transaction (undefined: deleted) every time,
   * `before` what that write replaced; the last call for a key gives what the
   * record was before the transaction.
   */
  record(collection: string, key: string, now: Versioned<unknown> | undefined, before: Versioned<unknown> | undefined): void
  /** A cell of a ColumnSet set (the record holding it was visited or will be). */
  cell(set: ColumnSet, column: string, index: number): void
  /** A sparse entry of a ColumnSet set or removed. */
  sparse(set: ColumnSet, index: number): void
}

/** One commit, as persist sees it. Valid only during the persist call. */
export interface CommitWrites {
  /** The store's revision once this commit stands (unchanged when it wrote no record). */
  readonly revision: number
  /** True when it wrote at least one record. */
  readonly wroteRecords: boolean
  /** Visits every write that stands, newest first. */
  visit(visitor: WriteVisitor): void
  /** Outbox entries the commit adds, oldest first, with the seqs they will have. */
  readonly emitted: readonly OutboxEntry[]
}

export type Persist = (commit: CommitWrites) => void

/** The state a memory store starts from (read back from disk). */
export interface InitialState {
  readonly revision: number
  /** Every record; a ColumnSet value is restored (ColumnSet.restore) already. */
  readonly records: Iterable<readonly [collection: string, key: string, value: unknown, version: number]>
  /** The highest outbox seq ever given (acknowledged ones included): the next entry takes seq + 1. */
  readonly outboxSeq: number
  /** Entries committed and not acknowledged, in seq order. */
  readonly outbox: Iterable<OutboxEntry>
}

export interface MemoryStoreOptions {
  persist?: Persist
  initial?: InitialState
}
