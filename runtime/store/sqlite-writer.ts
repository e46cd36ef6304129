// The SQLite store's write path: one committed top-level transaction of the
// memory store becomes ONE SQLite transaction (memory-persist.ts). It collects
// what the commit wrote (each record once, with what it was before the
// transaction; the dirty chunks of each ColumnSet changed in place; the sparse
// entries changed), then writes rows, chunks, outbox entries and meta with
// prepared statements. If SQLite throws, its transaction is rolled back and
// the error goes back to the memory store, which undoes the commit.

import type Database from 'better-sqlite3'
import { ColumnSet } from './columns.js'
import type { CommitWrites, WriteVisitor } from './memory-persist.js'
import { CHUNK, KIND_COLUMNS, KIND_VALUE, chunkBytes, chunksOf, encodeShape, encodeValue } from './sqlite-codec.js'
import type { Versioned } from './store.js'

interface Written {
  collection: string
  key: string
  now: Versioned<unknown> | undefined
  before: Versioned<unknown> | undefined
}

export class SqliteWriter {
  readonly #statements
  readonly #write: (commit: CommitWrites) => void

  // What the commit being persisted wrote (reset by each persist).
  readonly #written = new Map<string, Written>()
  /** ColumnSet → column → dirty chunk numbers. */
  readonly #cells = new Map<ColumnSet, Map<string, Set<number>>>()
  /** ColumnSet → sparse entries set or removed. */
  readonly #sparse = new Map<ColumnSet, Set<number>>()
  readonly #visitor: WriteVisitor

  constructor(db: Database.Database) {
    this.#statements = {
      upsertRecord: db.prepare(`INSERT INTO records (collection, key, version, kind, value) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (collection, key) DO UPDATE SET version = excluded.version, kind = excluded.kind, value = excluded.value`),
      setVersion: db.prepare('UPDATE records SET version = ? WHERE collection = ? AND key = ?'),
      deleteRecord: db.prepare('DELETE FROM records WHERE collection = ? AND key = ?'),
      deleteChunks: db.prepare('DELETE FROM column_chunks WHERE collection = ? AND key = ?'),
      upsertChunk: db.prepare(`INSERT INTO column_chunks (collection, key, name, chunk, data) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (collection, key, name, chunk) DO UPDATE SET data = excluded.data`),
      deleteAllSparse: db.prepare('DELETE FROM sparse WHERE collection = ? AND key = ?'),
      upsertSparse: db.prepare(`INSERT INTO sparse (collection, key, idx, value) VALUES (?, ?, ?, ?)
        ON CONFLICT (collection, key, idx) DO UPDATE SET value = excluded.value`),
      deleteSparse: db.prepare('DELETE FROM sparse WHERE collection = ? AND key = ? AND idx = ?'),
      insertOutbox: db.prepare('INSERT INTO outbox (seq, topic, payload) VALUES (?, ?, ?)'),
      setMeta: db.prepare('UPDATE meta SET value = ? WHERE name = ?')
    }
    this.#visitor = {
      record: (collection, key, now, before) => {
        const id = `${collection}\u0000${key}`
        const seen = this.#written.get(id)
        // Newest first: the last write visited for a key holds what it was before the transaction.
        if (seen === undefined) this.#written.set(id, { collection, key, now, before })
        else seen.before = before
      },
      cell: (set, column, index) => {
        let columns = this.#cells.get(set)
        if (columns === undefined) this.#cells.set(set, (columns = new Map()))
        let chunks = columns.get(column)
        if (chunks === undefined) columns.set(column, (chunks = new Set()))
        chunks.add(Math.floor(index / CHUNK))
      },
      sparse: (set, index) => {
        let entries = this.#sparse.get(set)
        if (entries === undefined) this.#sparse.set(set, (entries = new Set()))
        entries.add(index)
      }
    }
    this.#write = db.transaction((commit: CommitWrites) => this.#writeCommit(commit))
  }

  /** The memory store's Persist: writes one commit in one SQLite transaction, or throws having written nothing. */
  readonly persist = (commit: CommitWrites): void => {
    try {
      if (commit.wroteRecords) commit.visit(this.#visitor)
      this.#write(commit)
    } finally {
      this.#written.clear()
      this.#cells.clear()
      this.#sparse.clear()
    }
  }

  #writeCommit(commit: CommitWrites): void {
    const s = this.#statements
    for (const { collection, key, now, before } of this.#written.values()) {
      const wasColumns = before !== undefined && before.value instanceof ColumnSet
      if (now === undefined) {
        s.deleteRecord.run(collection, key)
        if (wasColumns) this.#deleteColumns(collection, key)
      } else if (now.value instanceof ColumnSet) {
        if (before !== undefined && before.value === now.value) {
          // The same set changed in place: its version, then only its dirty chunks and sparse entries.
          s.setVersion.run(now.version, collection, key)
          this.#writeChanges(collection, key, now.value)
        } else {
          s.upsertRecord.run(collection, key, now.version, KIND_COLUMNS, encodeShape(now.value))
          if (wasColumns) this.#deleteColumns(collection, key)
          this.#writeWhole(collection, key, now.value)
        }
      } else {
        s.upsertRecord.run(collection, key, now.version, KIND_VALUE, encodeValue(now.value, 'value'))
        if (wasColumns) this.#deleteColumns(collection, key)
      }
    }
    const emitted = commit.emitted
    if (emitted.length > 0) {
      for (const entry of emitted) s.insertOutbox.run(entry.seq, entry.topic, encodeValue(entry.payload, 'payload'))
      s.setMeta.run(emitted[emitted.length - 1].seq, 'outbox_seq')
    }
    if (commit.wroteRecords) s.setMeta.run(commit.revision, 'revision')
  }

  #deleteColumns(collection: string, key: string): void {
    this.#statements.deleteChunks.run(collection, key)
    this.#statements.deleteAllSparse.run(collection, key)
  }

  #writeWhole(collection: string, key: string, set: ColumnSet): void {
    const s = this.#statements
    const chunks = chunksOf(set.length)
    for (const name of set.names) {
      const column = set.column(name)
      for (let chunk = 0; chunk < chunks; chunk++) s.upsertChunk.run(collection, key, name, chunk, chunkBytes(column, chunk))
    }
    for (const [index, value] of set.sparseEntries()) s.upsertSparse.run(collection, key, index, encodeValue(value, 'value'))
  }

  #writeChanges(collection: string, key: string, set: ColumnSet): void {
    const s = this.#statements
    const columns = this.#cells.get(set)
    if (columns !== undefined) {
      for (const [name, chunks] of columns) {
        const column = set.column(name)
        for (const chunk of chunks) s.upsertChunk.run(collection, key, name, chunk, chunkBytes(column, chunk))
      }
    }
    const entries = this.#sparse.get(set)
    if (entries !== undefined) {
      for (const index of entries) {
        if (set.hasSparse(index)) s.upsertSparse.run(collection, key, index, encodeValue(set.sparse(index), 'value'))
        else s.deleteSparse.run(collection, key, index)
      }
    }
  }
}
