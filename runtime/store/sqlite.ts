// The SQLite store: Store v2 kept on disk (one file, `<dataDir>/state.db`).
//
// Reads never touch SQLite: the store keeps a MemoryStore as its read side
// (records, sorted keys, indexes, watchers, delivery), loaded from every row
// at open. Each committed top-level transaction is written in ONE SQLite
// transaction before the commit is visible (memory-persist.ts, sqlite-writer.ts):
// if that write throws, the transaction is undone in memory too and the error
// reaches the caller. So what a caller was told committed is on disk, and a
// process killed at any moment leaves every transaction whole or absent.
//
// better-sqlite3 is synchronous, as the Store interface is. One connection,
// WAL journal, synchronous=NORMAL by default (a killed process loses nothing;
// power loss may lose the last commits) or FULL (fsync at every commit), and
// an exclusive lock held while open: a second engine on the same data
// directory is refused (StoreLocked) instead of silently diverging from it.

import { channel } from 'node:diagnostics_channel'
import Database from 'better-sqlite3'
import { InvalidArgumentError, StratusError, UnavailableError } from '../errors.js'
import { checkVersion, describe } from './arguments.js'
import { MemoryStore } from './memory.js'
import { loadState } from './sqlite-loader.js'
import { migrate, SCHEMA_VERSION } from './sqlite-schema.js'
import { SqliteWriter } from './sqlite-writer.js'
import { RedoLog, type RedoFrame } from './sqlite-redo-log.js'
import type { Change, IndexFunction, Outbox, OutboxEntry, ScanOptions, Store, Transaction, Versioned } from './store.js'

const foldErrors = channel('stratus:store:fold-error')

export interface SqliteStoreOptions {
  /**
   * 'normal' (default): a commit survives the process being killed (WAL,
   * no fsync per commit). 'full': it survives power loss too (fsync per
   * commit, slower).
   */
  synchronous?: 'normal' | 'full'
  /** Commits kept in the redo log before they are folded into the tables (default 20,000): fewer, a faster open; more, cheaper commits. */
  foldRows?: number
  /** How long open waits for another process's lock on the file (ms, default 500) before StoreLocked. */
  lockTimeoutMs?: number
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const
  readonly path: string
  readonly outbox: Outbox
  readonly #db: Database.Database
  readonly #memory: MemoryStore
  readonly #writer: SqliteWriter
  readonly #log: RedoLog
  /** Transactions open through this store (put and delete are transactions too): fold only at 0. */
  #depth = 0
  /** The highest outbox seq acknowledged, and the highest already in the outbox table. */
  #acked: number
  #foldedSeq: number
  #closing: Promise<void> | undefined

  private constructor(path: string, db: Database.Database, log: RedoLog, frames: RedoFrame[], foldRows: number | undefined) {
    this.path = path
    this.#db = db
    this.#log = log
    const loaded = loadState(db, frames)
    this.#acked = loaded.acked
    // Entries replayed from the redo log are not in the outbox table yet.
    this.#foldedSeq = loaded.redo.rows > 0 ? 0 : loaded.initial.outboxSeq
    this.#writer = new SqliteWriter(db, log, (collection, key) => this.#memory.get(collection, key), loaded.redo, foldRows)
    this.#memory = new MemoryStore({ persist: this.#writer.persist, initial: loaded.initial })
    const memoryOutbox = this.#memory.outbox
    const ack = db.prepare("INSERT INTO meta (name, value) VALUES ('outbox_acked', ?) ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)")
    this.outbox = {
      pending: (limit) => memoryOutbox.pending(limit),
      ack: (seq) => {
        memoryOutbox.pending(1) // refuses a closed store
        checkVersion('seq', seq)
        ack.run(seq) // on disk first: if it throws, the entries stay pending in memory too
        memoryOutbox.ack(seq)
        if (seq > this.#acked) this.#acked = seq
      },
      onCommit: (listener) => memoryOutbox.onCommit(listener)
    }
    // Commits replayed from the redo log (the last process was killed before folding them): into the tables now.
    if (loaded.redo.rows > 0) {
      for (const [collection, key] of loaded.redo.touched) this.#writer.markRewrite(collection, key)
      this.#fold()
    } else if (frames.length > 0) {
      log.clear() // frames folded already: killed after the fold committed, before the log was emptied
    }
  }

  /**
   * Opens (or creates) the store in the file at path, running migrations.
   * Refuses a file of a newer schema (UnavailableError StoreSchemaTooNew, the
   * file untouched), a file another process has open (StoreLocked) and a file
   * that is not a SQLite store (StoreUnreadable).
   */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    const synchronous = options.synchronous ?? 'normal'
    if (synchronous !== 'normal' && synchronous !== 'full') {
      throw new InvalidArgumentError('StoreInvalidOption', `synchronous must be 'normal' or 'full', got ${describe(synchronous)}`, { field: 'synchronous' })
    }
    const timeout = options.lockTimeoutMs ?? 500
    if (!Number.isSafeInteger(timeout) || timeout < 0) {
      throw new InvalidArgumentError('StoreInvalidOption', `lockTimeoutMs must be a non-negative integer, got ${describe(timeout)}`, { field: 'lockTimeoutMs', limit: 0 })
    }
    if (options.foldRows !== undefined && (!Number.isSafeInteger(options.foldRows) || options.foldRows < 1)) {
      throw new InvalidArgumentError('StoreInvalidOption', `foldRows must be a positive integer, got ${describe(options.foldRows)}`, { field: 'foldRows', limit: 1 })
    }
    let db: Database.Database
    try {
      db = new Database(path, { timeout })
    } catch (error) {
      // The addon is loaded by the first open: an install that skipped or denied its build script ends here.
      if (/bindings file|better_sqlite3\.node/.test((error as Error).message)) {
        throw new UnavailableError('StoreNativeModuleMissing', `a data directory needs the SQLite store, whose native module (better-sqlite3) is not built: run \`npm install-scripts approve better-sqlite3 && npm rebuild better-sqlite3\`, or start without a data directory (memory store)`, { field: 'dataDir', cause: error })
      }
      throw new UnavailableError('StoreUnreadable', `cannot open the store at ${path}: ${(error as Error).message}`, { field: 'dataDir', cause: error })
    }
    try {
      // Read before anything is written: a newer schema is refused untouched.
      migrate(db, path, () => new Date().toISOString())
      db.pragma('locking_mode = EXCLUSIVE')
      db.pragma('journal_mode = WAL')
      db.pragma(`synchronous = ${synchronous.toUpperCase()}`)
      // SQLite's checkpoints (WAL → database file) fsync: every 16,384 pages (64 MiB of WAL), not 1,000.
      db.pragma('wal_autocheckpoint = 16384')
      // Takes the exclusive lock now (held until close), not at the first commit.
      db.exec('BEGIN EXCLUSIVE; COMMIT')
    } catch (error) {
      db.close()
      throw openError(error, path)
    }
    let opened: { log: RedoLog; frames: RedoFrame[] } | undefined
    try {
      opened = RedoLog.open(`${path}-redo`, synchronous)
      return new SqliteStore(path, db, opened.log, opened.frames, options.foldRows)
    } catch (error) {
      opened?.log.close()
      db.close()
      throw openError(error, path)
    }
  }

  /** The schema version this code writes (PRAGMA user_version of its files). */
  static readonly schemaVersion = SCHEMA_VERSION

  get revision(): number {
    return this.#memory.revision
  }

  get<T>(collection: string, key: string): Versioned<T> | undefined {
    return this.#memory.get(collection, key)
  }

  scan<T>(collection: string, options?: ScanOptions): Versioned<T>[] {
    return this.#memory.scan(collection, options)
  }

  count(collection: string, options?: Pick<ScanOptions, 'prefix' | 'index'>): number {
    return this.#memory.count(collection, options)
  }

  defineIndex<T>(collection: string, name: string, fn: IndexFunction<T>): void {
    this.#memory.defineIndex(collection, name, fn)
  }

  transaction<R>(fn: (tx: Transaction) => R): R {
    this.#depth++
    try {
      return this.#memory.transaction(fn)
    } finally {
      this.#after()
    }
  }

  put<T>(collection: string, key: string, value: T, expected: number): number {
    this.#depth++
    try {
      return this.#memory.put(collection, key, value, expected)
    } finally {
      this.#after()
    }
  }

  delete(collection: string, key: string, expected?: number): boolean {
    this.#depth++
    try {
      return this.#memory.delete(collection, key, expected)
    } finally {
      this.#after()
    }
  }

  /** After a commit (or a savepoint): folds the redo log into the tables when it grew and no transaction is open. */
  #after(): void {
    if (--this.#depth === 0 && this.#writer.foldDue) {
      try {
        this.#fold()
      } catch (error) {
        // The commits are safe in the redo log: the fold is tried again after the next commit.
        foldErrors.publish({ path: this.path, error })
      }
    }
  }

  #fold(): void {
    const outbox = this.#memory.outbox
    const folded = this.#foldedSeq
    this.#writer.fold({
      pending: () => outbox.pending().filter((e) => e.seq > folded),
      acked: this.#acked,
      seq: outbox.seq,
      revision: this.#memory.revision
    })
    this.#foldedSeq = outbox.seq
  }

  watch<T>(collection: string, listener: (change: Change<T>) => void): () => void {
    return this.#memory.watch(collection, listener)
  }

  /** Folds the redo log into the tables, closes the memory side, then checkpoints and closes the file. Refused inside a transaction. */
  close(): Promise<void> {
    if (this.#depth > 0) return this.#memory.close() // refuses: StoreCloseInTransaction
    if (this.#closing !== undefined) return this.#closing
    this.#closing = (async () => {
      // A fold or checkpoint that fails (a full disk) loses nothing: every commit is still in the redo
      // log, replayed at the next open. It is reported, and the handles (and the file's lock) are released anyway.
      try {
        this.#fold()
      } catch (error) {
        foldErrors.publish({ path: this.path, error })
      }
      await this.#memory.close()
      this.#log.close()
      try {
        this.#db.pragma('wal_checkpoint(TRUNCATE)')
      } catch (error) {
        foldErrors.publish({ path: this.path, error })
      }
      this.#db.close()
    })()
    return this.#closing
  }
}

export type { OutboxEntry }

/** What opening failed on, as a coded error naming the data directory. */
function openError(error: unknown, path: string): StratusError {
  if (error instanceof StratusError) return error
  const code = (error as { code?: string }).code ?? ''
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new UnavailableError('StoreLocked', `${path} is open in another process (another engine on the same data directory?): stop it first`, { field: 'dataDir', cause: error })
  }
  return new UnavailableError('StoreUnreadable', `cannot read the store at ${path}: ${(error as Error).message}`, { field: 'dataDir', cause: error })
}
