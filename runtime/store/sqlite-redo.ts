// A redo row: one committed transaction, as sqlite-writer.ts appends it and
// the loader replays it at open. V8-serialized array (sqlite-codec.ts encodeFrame):
//
//   [revision, records, cells, sparse, emitted]
//   records  flat: collection, key, version, what (W_*), payload
//              W_VALUE    payload = the value
//              W_COLUMNS  payload = a whole ColumnSet (sqlite-codec.ts setPayload)
//              W_VERSION  a ColumnSet changed in place: its new version (cells follow)
//              W_DELETED  the record is gone
//   cells    flat: collection, key, column, index, value (the value after the commit)
//   sparse   flat: collection, key, index, present (0/1), value
//   emitted  flat: seq, topic, payload

import { InternalError } from '../errors.js'
import { ColumnSet } from './columns.js'
import { decodeFrame, setFromPayload } from './sqlite-codec.js'
import type { OutboxEntry } from './store.js'

export const W_VALUE = 0
export const W_COLUMNS = 1
export const W_VERSION = 2
export const W_DELETED = 3

/** A record being loaded: collection, key, value, version. */
export type LoadedRecord = [collection: string, key: string, value: unknown, version: number]

export interface ReplayState {
  records: Map<string, LoadedRecord>
  outbox: Map<number, OutboxEntry>
  revision: number
  outboxSeq: number
  /** Keys the redo rows wrote (the next fold rewrites them). */
  touched: Set<string>
}

/** Applies one redo row to what was loaded from the tables. */
export function replay(state: ReplayState, bytes: Buffer): void {
  const [revision, records, cells, sparse, emitted] = decodeFrame(bytes) as [number, unknown[], unknown[], unknown[], unknown[]]
  for (let i = 0; i < records.length; i += 5) {
    const collection = records[i] as string
    const key = records[i + 1] as string
    const version = records[i + 2] as number
    const id = `${collection}\u0000${key}`
    state.touched.add(id)
    switch (records[i + 3]) {
      case W_DELETED:
        state.records.delete(id)
        break
      case W_VALUE:
        state.records.set(id, [collection, key, records[i + 4], version])
        break
      case W_COLUMNS:
        state.records.set(id, [collection, key, setFromPayload(records[i + 4] as unknown[]), version])
        break
      case W_VERSION:
        columnSetOf(state, id)
        state.records.get(id)![3] = version
        break
    }
  }
  for (let i = 0; i < cells.length; i += 5) {
    columnSetOf(state, `${cells[i] as string}\u0000${cells[i + 1] as string}`).writeCell(cells[i + 2] as string, cells[i + 3] as number, cells[i + 4] as number)
  }
  for (let i = 0; i < sparse.length; i += 5) {
    const set = columnSetOf(state, `${sparse[i] as string}\u0000${sparse[i + 1] as string}`)
    set.writeSparse(sparse[i + 2] as number, sparse[i + 3] === 1 ? Object.freeze(sparse[i + 4]) : undefined)
  }
  for (let i = 0; i < emitted.length; i += 3) {
    const seq = emitted[i] as number
    state.outbox.set(seq, { seq, topic: emitted[i + 1] as string, payload: Object.freeze(emitted[i + 2]) })
    state.outboxSeq = Math.max(state.outboxSeq, seq)
  }
  state.revision = Math.max(state.revision, revision)
}

function columnSetOf(state: ReplayState, id: string): ColumnSet {
  const value = state.records.get(id)?.[2]
  if (!(value instanceof ColumnSet)) throw new InternalError('StoreRedoCorrupt', `a redo row changes ${id.replace('\u0000', '/')} in place, which holds no ColumnSet`)
  return value
}
