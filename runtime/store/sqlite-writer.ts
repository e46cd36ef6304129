// The SQLite store's write path. Each committed top-level transaction of the
// memory store (memory-persist.ts) becomes ONE frame appended to the redo log
// (sqlite-redo-log.ts, one write) holding what the commit wrote: records (or
// their deletion), the cells and sparse entries of ColumnSets changed in
// place, a ColumnSet put whole, the outbox entries (sqlite-redo.ts).
//
// Now and then (every foldRows commits or REDO_BYTES bytes, at open after a
// kill, at close) fold() writes what changed since the last fold into the
// SQLite tables (records, column_chunks, sparse, outbox, meta with the last
// seq folded) in one SQLite transaction, then empties the log. It reads the
// current state from the memory store, which between commits is exactly what
// tables + log describe. So the files always hold every committed
// transaction, whole: tables, plus the log's frames after meta.redo_seq.
//
// If the append throws (disk full, I/O error), the commit is not in the log
// and the error goes back to the memory store, which undoes the commit.

import type Database from 'better-sqlite3'
import { UnavailableError } from '../errors.js'
import { ColumnSet } from './columns.js'
import type { CommitWrites, WriteVisitor } from './memory-persist.js'
import { CHUNK, KIND_COLUMNS, KIND_VALUE, chunkBytes, chunksOf, encodeFrame, encodeShape, encodeValue, setPayload } from './sqlite-codec.js'
import { W_COLUMNS, W_DELETED, W_VALUE, W_VERSION } from './sqlite-redo.js'
import type { RedoLog } from './sqlite-redo-log.js'
import type { Versioned } from './store.js'

/** Commits kept in the redo log before they are folded into the tables (default), and bytes. */
export const REDO_ROWS = 20_000
export const REDO_BYTES = 64 * 1024 * 1024

/** A key written since the last fold. */
interface Dirty {
  collection: string
  key: string
  /** What the tables hold for the key (the value before its first write since the last fold); FORCE: unknown, rewrite whole. */
  disk: Versioned<unknown> | undefined | typeof FORCE
  /** The commit that first wrote it since the last fold. */
  createdIn: number
  /** The commit that wrote it last, and what that commit's first write replaced. */
  commit: number
  commitBefore: Versioned<unknown> | undefined
  now: Versioned<unknown> | undefined
}

const FORCE = Symbol('rewrite whole')

/** Reads the committed state (the memory store, between commits). */
export type CommittedReader = (collection: string, key: string) => Versioned<unknown> | undefined

export class SqliteWriter {
  readonly #statements
  readonly #read: CommittedReader
  readonly #fold: () => void

  /** Keys written since the last fold, by collection NUL key. */
  readonly #dirty = new Map<string, Dirty>()
  /** ColumnSet → column → chunks changed since the last fold. */
  readonly #chunks = new Map<ColumnSet, Map<string, Set<number>>>()
  /** ColumnSet → sparse entries changed since the last fold. */
  readonly #sparseChanged = new Map<ColumnSet, Set<number>>()

  // The commit being persisted.
  #commit = 0
  readonly #commitKeys: Dirty[] = []
  /** Flat: set, column, index of each cell write; set, index of each sparse write. */
  readonly #commitCells: unknown[] = []
  readonly #commitSparse: unknown[] = []
  readonly #visitor: WriteVisitor

  #redoSeq: number
  #redoRows: number

  readonly #foldRows: number

  readonly #log: RedoLog

  constructor(db: Database.Database, log: RedoLog, read: CommittedReader, redo: { lastSeq: number; rows: number }, foldRows = REDO_ROWS) {
    this.#log = log
    this.#foldRows = foldRows
    this.#read = read
    this.#redoSeq = redo.lastSeq
    this.#redoRows = redo.rows
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
      insertOutbox: db.prepare('INSERT OR IGNORE INTO outbox (seq, topic, payload) VALUES (?, ?, ?)'),
      ackOutbox: db.prepare('DELETE FROM outbox WHERE seq <= ?'),
      // An upsert: a file written before a meta row existed (an early v1) gets it at the first fold.
      setMeta: db.prepare('INSERT INTO meta (value, name) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value')
    }
    this.#visitor = {
      record: (collection, key, now, before) => {
        const id = `${collection}\u0000${key}`
        let dirty = this.#dirty.get(id)
        if (dirty === undefined) {
          dirty = { collection, key, disk: before, createdIn: this.#commit, commit: -1, commitBefore: before, now }
          this.#dirty.set(id, dirty)
        }
        dirty.commitBefore = before
        if (dirty.commit === this.#commit) {
          // An older write of the same commit (newest first): the record before it is what it replaced.
          if (dirty.createdIn === this.#commit && dirty.disk !== FORCE) dirty.disk = before
          return
        }
        dirty.commit = this.#commit
        dirty.now = now
        this.#commitKeys.push(dirty)
      },
      cell: (set, column, index) => {
        this.#commitCells.push(set, column, index)
      },
      sparse: (set, index) => {
        this.#commitSparse.push(set, index)
      }
    }
    this.#fold = db.transaction(() => this.#foldNow())
  }

  /** The memory store's Persist: one redo frame, or a throw having written nothing. */
  readonly persist = (commit: CommitWrites): void => {
    this.#commit++
    const keys = this.#commitKeys
    try {
      if (commit.wroteRecords) commit.visit(this.#visitor)
      const row = encodeFrame(this.#redoRow(commit))
      try {
        this.#log.append(this.#redoSeq + 1, row)
      } catch (error) {
        throw new UnavailableError('StoreWriteFailed', `the commit could not be written to ${this.#log.path} (${(error as Error).message}): it was undone`, { cause: error })
      }
      this.#redoSeq++
      this.#redoRows++
    } finally {
      keys.length = 0
      this.#commitCells.length = 0
      this.#commitSparse.length = 0
    }
  }

  /** True once enough redo rows piled up for fold() to be worth it. */
  get foldDue(): boolean {
    return this.#redoRows >= this.#foldRows || this.#log.bytes >= REDO_BYTES
  }

  /** A key whose tables state is unknown (replayed from redo at open): the next fold rewrites it whole. */
  markRewrite(collection: string, key: string): void {
    const now = this.#read(collection, key)
    this.#dirty.set(`${collection}\u0000${key}`, { collection, key, disk: FORCE, createdIn: -1, commit: -1, commitBefore: undefined, now })
  }

  /** [revision, records, cells, sparse, emitted], each list flat (see sqlite-redo.ts). */
  #redoRow(commit: CommitWrites): unknown[] {
    const records: unknown[] = []
    const sets = new Map<ColumnSet, Dirty>() // sets changed in place by this commit
    for (const dirty of this.#commitKeys) {
      const { collection, key, now, commitBefore } = dirty
      if (now === undefined) records.push(collection, key, 0, W_DELETED, null)
      else if (!(now.value instanceof ColumnSet)) records.push(collection, key, now.version, W_VALUE, now.value)
      else if (commitBefore !== undefined && commitBefore.value === now.value) {
        records.push(collection, key, now.version, W_VERSION, null)
        sets.set(now.value, dirty)
      } else records.push(collection, key, now.version, W_COLUMNS, setPayload(now.value))
    }
    const cells: unknown[] = []
    const c = this.#commitCells
    for (let i = 0; i < c.length; i += 3) {
      const set = c[i] as ColumnSet
      const owner = sets.get(set)
      if (owner === undefined) continue // put whole by this commit, or no longer stored
      const column = c[i + 1] as string
      const index = c[i + 2] as number
      cells.push(owner.collection, owner.key, column, index, set.column(column)[index])
      this.#chunkChanged(set, column, index)
    }
    const sparse: unknown[] = []
    const p = this.#commitSparse
    for (let i = 0; i < p.length; i += 2) {
      const set = p[i] as ColumnSet
      const owner = sets.get(set)
      if (owner === undefined) continue
      const index = p[i + 1] as number
      const present = set.hasSparse(index)
      sparse.push(owner.collection, owner.key, index, present ? 1 : 0, present ? set.sparse(index) : null)
      let changed = this.#sparseChanged.get(set)
      if (changed === undefined) this.#sparseChanged.set(set, (changed = new Set()))
      changed.add(index)
    }
    const emitted: unknown[] = []
    for (const entry of commit.emitted) emitted.push(entry.seq, entry.topic, entry.payload)
    return [commit.revision, records, cells, sparse, emitted]
  }

  #chunkChanged(set: ColumnSet, column: string, index: number): void {
    let columns = this.#chunks.get(set)
    if (columns === undefined) this.#chunks.set(set, (columns = new Map()))
    let chunks = columns.get(column)
    if (chunks === undefined) columns.set(column, (chunks = new Set()))
    chunks.add(Math.floor(index / CHUNK))
  }

  /**
   * Writes everything changed since the last fold into the tables in one
   * SQLite transaction, then empties the redo log. Only between commits.
   */
  fold(outbox: { pending: () => readonly { seq: number; topic: string; payload: unknown }[]; acked: number; seq: number; revision: number }): void {
    this.#foldOutbox = outbox
    try {
      this.#fold()
    } finally {
      this.#foldOutbox = undefined
    }
    // The tables hold every frame now (meta.redo_seq says up to which, should this not happen).
    this.#log.clear()
    this.#dirty.clear()
    this.#chunks.clear()
    this.#sparseChanged.clear()
    this.#redoRows = 0
  }

  #foldOutbox: Parameters<SqliteWriter['fold']>[0] | undefined

  #foldNow(): void {
    const s = this.#statements
    for (const dirty of this.#dirty.values()) {
      const { collection, key, disk } = dirty
      const now = this.#read(collection, key)
      const diskColumns = disk === FORCE || (disk !== undefined && disk.value instanceof ColumnSet)
      if (now === undefined) {
        s.deleteRecord.run(collection, key)
        if (diskColumns) this.#deleteColumns(collection, key)
      } else if (now.value instanceof ColumnSet) {
        if (disk !== FORCE && disk !== undefined && disk.value === now.value) {
          s.setVersion.run(now.version, collection, key)
          this.#writeChanges(collection, key, now.value)
        } else {
          s.upsertRecord.run(collection, key, now.version, KIND_COLUMNS, encodeShape(now.value))
          if (diskColumns) this.#deleteColumns(collection, key)
          this.#writeWhole(collection, key, now.value)
        }
      } else {
        s.upsertRecord.run(collection, key, now.version, KIND_VALUE, encodeValue(now.value, 'value'))
        if (diskColumns) this.#deleteColumns(collection, key)
      }
    }
    const outbox = this.#foldOutbox!
    for (const entry of outbox.pending()) s.insertOutbox.run(entry.seq, entry.topic, encodeValue(entry.payload, 'payload'))
    s.ackOutbox.run(outbox.acked)
    s.setMeta.run(outbox.seq, 'outbox_seq')
    s.setMeta.run(outbox.acked, 'outbox_acked')
    s.setMeta.run(outbox.revision, 'revision')
    s.setMeta.run(this.#redoSeq, 'redo_seq')
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
    const columns = this.#chunks.get(set)
    if (columns !== undefined) {
      for (const [name, chunks] of columns) {
        const column = set.column(name)
        for (const chunk of chunks) s.upsertChunk.run(collection, key, name, chunk, chunkBytes(column, chunk))
      }
    }
    const entries = this.#sparseChanged.get(set)
    if (entries !== undefined) {
      for (const index of entries) {
        if (set.hasSparse(index)) s.upsertSparse.run(collection, key, index, encodeValue(set.sparse(index), 'value'))
        else s.deleteSparse.run(collection, key, index)
      }
    }
  }
}
