// The SQLite store's read path, used once at open: the tables (the state as
// of the last fold), then every redo-log frame after it in order (the commits
// since), into
// the state a memory store starts from (memory-persist.ts InitialState).
// Indexes are not stored: defineIndex computes them over what was loaded.

import type Database from 'better-sqlite3'
import type { InitialState } from './memory-persist.js'
import { KIND_COLUMNS, decodeValue, restoreColumnSet, type StoredValue } from './sqlite-codec.js'
import { replay, type LoadedRecord, type ReplayState } from './sqlite-redo.js'
import type { RedoFrame } from './sqlite-redo-log.js'
import type { OutboxEntry } from './store.js'

interface RecordRow {
  collection: string
  key: string
  version: number
  kind: number
  value: StoredValue
}

export interface Loaded {
  initial: InitialState
  /** The highest outbox seq acknowledged (entries up to it are not pending). */
  acked: number
  /** Redo frames replayed (commits since the last fold), the last seq, and the keys they wrote. */
  redo: { rows: number; lastSeq: number; touched: Array<[collection: string, key: string]> }
}

export function loadState(db: Database.Database, frames: readonly RedoFrame[]): Loaded {
  const meta = new Map((db.prepare('SELECT name, value FROM meta').all() as Array<{ name: string; value: number }>).map((r) => [r.name, r.value]))
  const chunks = db.prepare('SELECT name AS column, chunk, data FROM column_chunks WHERE collection = ? AND key = ?')
  const sparse = db.prepare('SELECT idx, value FROM sparse WHERE collection = ? AND key = ?')
  const state: ReplayState = {
    records: new Map<string, LoadedRecord>(),
    outbox: new Map<number, OutboxEntry>(),
    revision: meta.get('revision') ?? 0,
    outboxSeq: meta.get('outbox_seq') ?? 0,
    touched: new Set()
  }
  for (const { collection, key, version, kind, value } of db.prepare('SELECT collection, key, version, kind, value FROM records').all() as RecordRow[]) {
    const decoded = kind === KIND_COLUMNS
      ? restoreColumnSet(value as Buffer, chunks.all(collection, key) as Array<{ column: string; chunk: number; data: Buffer }>, sparse.all(collection, key) as Array<{ idx: number; value: StoredValue }>)
      : decodeValue(value)
    state.records.set(`${collection}\u0000${key}`, [collection, key, decoded, version])
  }
  for (const r of db.prepare('SELECT seq, topic, payload FROM outbox ORDER BY seq').all() as Array<{ seq: number; topic: string; payload: StoredValue }>) {
    state.outbox.set(r.seq, { seq: r.seq, topic: r.topic, payload: Object.freeze(decodeValue(r.payload)) })
  }
  let rows = 0
  let lastSeq = meta.get('redo_seq') ?? 0
  for (const frame of frames) {
    if (frame.seq <= lastSeq) continue // folded already (killed before the log was emptied)
    replay(state, frame.payload)
    rows++
    lastSeq = frame.seq
  }
  const acked = meta.get('outbox_acked') ?? 0
  const outbox = [...state.outbox.values()].filter((e) => e.seq > acked).sort((a, b) => a.seq - b.seq)
  return {
    initial: { revision: state.revision, outboxSeq: state.outboxSeq, records: state.records.values(), outbox },
    acked,
    redo: { rows, lastSeq, touched: [...state.touched].map((id) => [id.slice(0, id.indexOf('\u0000')), id.slice(id.indexOf('\u0000') + 1)] as [string, string]) }
  }
}
