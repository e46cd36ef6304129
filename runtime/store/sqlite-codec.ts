// How the SQLite store writes values in its tables (records, sparse entries,
// outbox payloads): as JSON when JSON gives the value back exactly
// (sqlite-json.ts decides, cheaply), otherwise with V8's serializer (the
// structured-clone format, versioned by V8 and readable by later versions),
// which keeps what JSON would silently change — a Uint8Array, a Date, a Map,
// undefined inside an array or as a property, NaN, -0, an object shared twice.
// Either way a value read back after reopen is what the memory store held.
// What neither can hold (a function or a symbol anywhere inside the value)
// is refused with StoreInvalidValue.
//
// In a table a JSON value is TEXT and a V8 one a BLOB (SQLite keeps each
// value's own type; the column declares none that would convert): a read
// tells them apart by the JavaScript type it gets. Files written before JSON
// was used hold only V8 values and read as before.
//
// Redo frames stay V8 (encodeFrame): at commit time checking a frame's values
// for JSON and encoding the text to bytes cost more than V8's serializer
// (measured on the simulated Batch bench), and frames are read only at an open
// after a kill.
//
// A ColumnSet record is its shape (column names and kinds, the length) in the
// records row, each column as chunks of CHUNK entries (raw bytes of the typed
// array, little-endian as on every platform Node runs on here), and each
// sparse entry as a row.

import { deserialize, serialize } from 'node:v8'
import { InvalidArgumentError } from '../errors.js'
import { ColumnSet, type ColumnArray, type ColumnKind } from './columns.js'
import { isPlainJson } from './sqlite-json.js'

/** Entries per column chunk: a transaction that changes a few cells rewrites only the chunks they are in. */
export const CHUNK = 4096

/** records.kind: how the value column is to be read. */
export const KIND_VALUE = 0
export const KIND_COLUMNS = 1

/** A stored value: JSON text, or V8-serialized bytes. */
export type StoredValue = string | Buffer

/** A value as a table row keeps it (TEXT JSON or a V8 BLOB); refused (StoreInvalidValue) when it cannot be kept. */
export function encodeValue(value: unknown, field: string): StoredValue {
  return isPlainJson(value) ? JSON.stringify(value) : serializeV8(value, field)
}

export function decodeValue(stored: StoredValue): unknown {
  return typeof stored === 'string' ? JSON.parse(stored) : deserialize(stored)
}

/** A redo frame's bytes (sqlite-redo.ts). */
export function encodeFrame(row: unknown[]): Buffer {
  return serializeV8(row, 'value')
}

export function decodeFrame(bytes: Buffer): unknown {
  return deserialize(bytes)
}

function serializeV8(value: unknown, field: string): Buffer {
  try {
    return serialize(value)
  } catch (error) {
    throw new InvalidArgumentError('StoreInvalidValue', `${field} cannot be stored: ${(error as Error).message} (functions and symbols cannot be kept on disk)`, { field, cause: error })
  }
}

/** The shape of a ColumnSet, as its records row keeps it. */
interface ColumnShape {
  length: number
  columns: Array<[name: string, kind: ColumnKind]>
}

export function encodeShape(set: ColumnSet): Buffer {
  const shape: ColumnShape = { length: set.length, columns: set.names.map((name) => [name, set.kind(name)]) }
  return serialize(shape)
}

const ARRAYS: Record<ColumnKind, new (length: number) => ColumnArray> = {
  u8: Uint8Array, u16: Uint16Array, i16: Int16Array, i32: Int32Array, u32: Uint32Array, f64: Float64Array
}

/** Number of chunks of a column of length entries. */
export const chunksOf = (length: number) => Math.ceil(length / CHUNK)

/** The bytes of chunk `chunk` of a column: a view, not a copy (bound and written before the array changes again). */
export function chunkBytes(array: ColumnArray, chunk: number): Buffer {
  const from = chunk * CHUNK
  const to = Math.min(array.length, from + CHUNK)
  const size = array.BYTES_PER_ELEMENT
  return Buffer.from(array.buffer, array.byteOffset + from * size, (to - from) * size)
}

/** A whole ColumnSet as a redo row holds it: shape, columns (typed arrays, copied by the serializer) and sparse entries. */
export function setPayload(set: ColumnSet): unknown[] {
  const sparse: unknown[] = []
  for (const [index, value] of set.sparseEntries()) sparse.push(index, value)
  return [set.names, set.names.map((name) => set.column(name)), sparse]
}

/** The ColumnSet of a redo row's payload (setPayload). */
export function setFromPayload(payload: unknown[]): ColumnSet {
  const [names, arrays, sparse] = payload as [string[], ColumnArray[], unknown[]]
  const entries: Array<[number, unknown]> = []
  for (let i = 0; i < sparse.length; i += 2) entries.push([sparse[i] as number, Object.freeze(sparse[i + 1])])
  return ColumnSet.restore(new Map(names.map((name, i) => [name, arrays[i]])), entries)
}

/** Rebuilds a ColumnSet from its shape, its chunks (column, chunk, bytes) and its sparse rows. */
export function restoreColumnSet(
  shapeBytes: Buffer,
  chunks: Iterable<{ column: string; chunk: number; data: Buffer }>,
  sparse: Iterable<{ idx: number; value: StoredValue }>
): ColumnSet {
  const shape = deserialize(shapeBytes) as ColumnShape
  const columns = new Map<string, ColumnArray>()
  for (const [name, kind] of shape.columns) columns.set(name, new ARRAYS[kind](shape.length))
  for (const { column, chunk, data } of chunks) {
    const array = columns.get(column)
    if (array === undefined) continue // a column the shape no longer has
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength)
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), chunk * CHUNK * array.BYTES_PER_ELEMENT)
  }
  function* entries(): Generator<[number, unknown]> {
    for (const { idx, value } of sparse) yield [idx, Object.freeze(decodeValue(value))]
  }
  return ColumnSet.restore(columns, entries())
}
