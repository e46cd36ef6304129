// The SQLite store's schema and its migrations, run at open. The schema
// version is `PRAGMA user_version` (in the database header, written in the
// same transaction as the migration that reaches it); the migrations table
// records when each one ran. A database from a newer version is refused
// before anything is written to it.
//
//   meta           name → value, as of the last fold: 'revision' (the store's
//                  revision), 'outbox_seq' (the highest outbox seq ever given, so
//                  seqs never go back), 'outbox_acked' (the highest acknowledged),
//                  'redo_seq' (the last redo-log frame folded into the tables)
//
// Commits since the last fold are frames of the redo log beside the file
// (<file>-redo, sqlite-redo-log.ts).
//   records        (collection, key) → version, kind (0 value, 1 ColumnSet), value
//                  (JSON TEXT or V8-serialized BLOB, sqlite-codec.ts; or a ColumnSet's shape)
//   column_chunks  (collection, key, column, chunk) → raw bytes of CHUNK entries
//   sparse         (collection, key, idx) → a ColumnSet's sparse entry
//   outbox         seq → topic, payload: committed and not yet acknowledged
//   migrations     version → description, applied_at

import type Database from 'better-sqlite3'
import { UnavailableError } from '../errors.js'

interface Migration {
  version: number
  description: string
  sql: string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'records, ColumnSet chunks and sparse entries, outbox, meta',
    sql: `
      CREATE TABLE migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL);
      CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE records (
        collection TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL, kind INTEGER NOT NULL, value BLOB NOT NULL,
        PRIMARY KEY (collection, key));
      CREATE TABLE column_chunks (
        collection TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL, chunk INTEGER NOT NULL, data BLOB NOT NULL,
        PRIMARY KEY (collection, key, name, chunk));
      CREATE TABLE sparse (
        collection TEXT NOT NULL, key TEXT NOT NULL, idx INTEGER NOT NULL, value BLOB NOT NULL,
        PRIMARY KEY (collection, key, idx));
      CREATE TABLE outbox (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload BLOB NOT NULL);
      INSERT INTO meta (name, value) VALUES ('revision', 0), ('outbox_seq', 0), ('outbox_acked', 0), ('redo_seq', 0);
    `
  }
]

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version

/**
 * Brings the database to SCHEMA_VERSION, or refuses it (UnavailableError
 * StoreSchemaTooNew naming both versions) when it is newer than this code,
 * without writing to it.
 */
export function migrate(db: Database.Database, path: string, now: () => string): void {
  const found = db.pragma('user_version', { simple: true }) as number
  if (found > SCHEMA_VERSION) {
    throw new UnavailableError(
      'StoreSchemaTooNew',
      `${path} holds schema version ${found}, newer than version ${SCHEMA_VERSION} this Stratus reads: open it with the newer Stratus that wrote it (the file was not modified)`,
      { field: 'dataDir', limit: SCHEMA_VERSION }
    )
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= found) continue
    db.transaction(() => {
      db.exec(migration.sql)
      db.prepare('INSERT INTO migrations (version, description, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.description, now())
      db.pragma(`user_version = ${migration.version}`)
    })()
  }
}
