// The SQLite store's read path, used once at open: every row back into the
// state a memory store starts from (memory-persist.ts InitialState). Indexes
// are not stored: defineIndex computes them over what was loaded.

import type Database from 'better-sqlite3'
import type { InitialState } from './memory-persist.js'
import { KIND_COLUMNS, decodeValue, restoreColumnSet } from './sqlite-codec.js'
import type { OutboxEntry } from './store.js'

interface RecordRow {
  collection: string
  key: string
  version: number
  kind: number
  value: Buffer
}

export function loadState(db: Database.Database): InitialState {
  const meta = new Map((db.prepare('SELECT name, value FROM meta').all() as Array<{ name: string; value: number }>).map((r) => [r.name, r.value]))
  const chunks = db.prepare('SELECT name AS column, chunk, data FROM column_chunks WHERE collection = ? AND key = ?')
  const sparse = db.prepare('SELECT idx, value FROM sparse WHERE collection = ? AND key = ?')
  const rows = db.prepare('SELECT collection, key, version, kind, value FROM records').all() as RecordRow[]
  const records: Array<[string, string, unknown, number]> = new Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const { collection, key, version, kind, value } = rows[i]
    const decoded = kind === KIND_COLUMNS
      ? restoreColumnSet(value, chunks.all(collection, key) as Array<{ column: string; chunk: number; data: Buffer }>, sparse.all(collection, key) as Array<{ idx: number; value: Buffer }>)
      : decodeValue(value)
    records[i] = [collection, key, decoded, version]
  }
  const outbox = (db.prepare('SELECT seq, topic, payload FROM outbox ORDER BY seq').all() as Array<{ seq: number; topic: string; payload: Buffer }>)
    .map((r): OutboxEntry => ({ seq: r.seq, topic: r.topic, payload: Object.freeze(decodeValue(r.payload)) }))
  return { revision: meta.get('revision') ?? 0, outboxSeq: meta.get('outbox_seq') ?? 0, records, outbox }
}
