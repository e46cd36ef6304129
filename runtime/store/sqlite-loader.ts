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

/** A records row, raw: collection, key, version, kind, value. */
type RecordRow = [collection: string, key: string, version: number, kind: number, value: StoredValue]

export interface Loaded {
  initial: InitialState
  /** The highest outbox seq acknowledged (entries up to it are not pending). */
  acked: number
  /** Redo frames replayed (commits since the last fold), the last seq, and the keys they wrote. */
  redo: { rows: number; lastSeq: number; touched: Array<[collection: string, key: string]> }
}

export function loadState(db: Database.Database, frames: readonly RedoFrame[]): Loaded {
  const meta = new Map((db.prepare('SELECT name, value FROM meta').all() as Array<{ name: string; value: number }>).map((r) => [r.name, r.value]))
  const folded = meta.get('redo_seq') ?? 0
  // Frames at or below redo_seq were folded already (killed before the log was emptied).
  const replayed = frames.filter((frame) => frame.seq > folded)
  const rows = db.prepare('SELECT collection, key, version, kind, value FROM records').raw().all() as RecordRow[]
  const decode = recordDecoder(db)
  let records: Iterable<LoadedRecord>
  const state: ReplayState = {
    records: new Map<string, LoadedRecord>(),
    outbox: new Map<number, OutboxEntry>(),
    revision: meta.get('revision') ?? 0,
    outboxSeq: meta.get('outbox_seq') ?? 0,
    touched: new Set()
  }
  if (replayed.length === 0) {
    // Nothing to replay (the common open, after a close): the rows go to the memory store as they are, no map by id.
    const list: LoadedRecord[] = new Array(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]
      list[i] = [row[0], row[1], decode(row), row[2]]
    }
    records = list
  } else {
    for (const row of rows) state.records.set(`${row[0]}\u0000${row[1]}`, [row[0], row[1], decode(row), row[2]])
    records = state.records.values()
  }
  rows.length = 0
  for (const [seq, topic, payload] of db.prepare('SELECT seq, topic, payload FROM outbox ORDER BY seq').raw().all() as Array<[number, string, StoredValue]>) {
    state.outbox.set(seq, { seq, topic, payload: Object.freeze(decodeValue(payload)) })
  }
  let lastSeq = folded
  for (const frame of replayed) {
    replay(state, frame.payload)
    lastSeq = frame.seq
  }
  const acked = meta.get('outbox_acked') ?? 0
  const outbox = [...state.outbox.values()].filter((e) => e.seq > acked).sort((a, b) => a.seq - b.seq)
  return {
    initial: { revision: state.revision, outboxSeq: state.outboxSeq, records, outbox },
    acked,
    redo: { rows: replayed.length, lastSeq, touched: [...state.touched].map((id) => [id.slice(0, id.indexOf('\u0000')), id.slice(id.indexOf('\u0000') + 1)] as [string, string]) }
  }
}

/** Decodes a records row: a value, or a ColumnSet from its shape, chunks and sparse rows. */
function recordDecoder(db: Database.Database): (row: RecordRow) => unknown {
  const chunks = db.prepare('SELECT name AS column, chunk, data FROM column_chunks WHERE collection = ? AND key = ?')
  const sparse = db.prepare('SELECT idx, value FROM sparse WHERE collection = ? AND key = ?')
  return ([collection, key, , kind, value]) => kind === KIND_COLUMNS
    ? restoreColumnSet(value as Buffer, chunks.all(collection, key) as Array<{ column: string; chunk: number; data: Buffer }>, sparse.all(collection, key) as Array<{ idx: number; value: StoredValue }>)
    : decodeValue(value)
}
