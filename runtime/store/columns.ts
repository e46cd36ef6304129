// A record of typed-array columns: the compact form of many small entries
// (10,000 children of an array job are a handful of typed arrays, not 10,000
// records), plus a sparse map for the few entries that need more (a retried
// child's attempt history). Stores change it only inside a transaction, cell
// by cell (Transaction.setCell / setSparse), so a child's state change costs a
// few bytes, not a copy of the array; the SQLite store keeps the columns as
// BLOBs and the sparse entries as rows.

import { InvalidArgumentError } from '../errors.js'

export type ColumnKind = 'u8' | 'u16' | 'i16' | 'i32' | 'u32' | 'f64'

export type ColumnArray = Uint8Array | Uint16Array | Int16Array | Int32Array | Uint32Array | Float64Array

export interface ColumnDefinition {
  kind: ColumnKind
  /** Number of entries: every column of a set has the same length. */
  length: number
  /** Initial value of every cell (default 0). */
  fill?: number
}

const ARRAYS: Record<ColumnKind, new (length: number) => ColumnArray> = {
  u8: Uint8Array, u16: Uint16Array, i16: Int16Array, i32: Int32Array, u32: Uint32Array, f64: Float64Array
}

export class ColumnSet {
  readonly #columns = new Map<string, ColumnArray>()
  readonly #kinds = new Map<string, ColumnKind>()
  readonly #sparse = new Map<number, unknown>()
  #length = 0

  private constructor() {}

  static create(definition: Readonly<Record<string, ColumnDefinition>>): ColumnSet {
    const set = new ColumnSet()
    for (const [name, { kind, length, fill }] of Object.entries(definition)) {
      if (!(kind in ARRAYS)) throw new InvalidArgumentError('StoreInvalidColumn', `column ${name}: kind must be one of ${Object.keys(ARRAYS).join(', ')}, got ${String(kind)}`, { field: name })
      if (!Number.isInteger(length) || length < 0) throw new InvalidArgumentError('StoreInvalidColumn', `column ${name}: length must be a non-negative integer, got ${length}`, { field: name })
      const array = new ARRAYS[kind](length)
      if (fill !== undefined && fill !== 0) array.fill(fill)
      set.#add(name, kind, array)
    }
    return set
  }

  /** Rebuilds a set from stored columns and sparse entries (the SQLite store's reader). */
  static restore(columns: ReadonlyMap<string, ColumnArray>, sparse: Iterable<[number, unknown]>): ColumnSet {
    const set = new ColumnSet()
    for (const [name, array] of columns) {
      const kind = (Object.entries(ARRAYS) as Array<[ColumnKind, new (n: number) => ColumnArray]>).find(([, C]) => array instanceof C)?.[0]
      if (kind === undefined) throw new InvalidArgumentError('StoreInvalidColumn', `column ${name}: not a supported typed array`, { field: name })
      set.#add(name, kind, array)
    }
    for (const [index, value] of sparse) {
      set.#checkEntry(index)
      set.#sparse.set(index, value)
    }
    return set
  }

  #add(name: string, kind: ColumnKind, array: ColumnArray): void {
    if (this.#columns.size > 0 && array.length !== this.#length) {
      throw new InvalidArgumentError('StoreInvalidColumn', `column ${name}: every column must have the set's length ${this.#length}, got ${array.length}`, { field: name, limit: this.#length })
    }
    this.#length = array.length
    this.#columns.set(name, array)
    this.#kinds.set(name, kind)
  }

  #checkEntry(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#length) {
      throw new InvalidArgumentError('StoreInvalidSparse', `sparse entry index must be an integer from 0 to ${this.#length - 1}, got ${index}`, { field: 'index', limit: this.#length - 1 })
    }
  }

  /** Number of entries (the length of every column). */
  get length(): number {
    return this.#length
  }

  get names(): string[] {
    return [...this.#columns.keys()]
  }

  kind(name: string): ColumnKind {
    const kind = this.#kinds.get(name)
    if (kind === undefined) throw new InvalidArgumentError('StoreUnknownColumn', `no column ${name}`, { field: 'column' })
    return kind
  }

  /** The column itself, for reading (a reader must not write to it: writes go through a transaction). */
  column(name: string): ColumnArray {
    const array = this.#columns.get(name)
    if (array === undefined) throw new InvalidArgumentError('StoreUnknownColumn', `no column ${name}`, { field: 'column' })
    return array
  }

  sparse(index: number): unknown {
    return this.#sparse.get(index)
  }

  hasSparse(index: number): boolean {
    return this.#sparse.has(index)
  }

  get sparseCount(): number {
    return this.#sparse.size
  }

  sparseEntries(): IterableIterator<[number, unknown]> {
    return this.#sparse.entries()
  }

  /**
   * Stores only: sets a cell and returns its previous value (for undo). The
   * value must be what the column's kind can hold exactly; anything else is
   * refused rather than silently wrapped.
   */
  writeCell(name: string, index: number, value: number): number {
    const array = this.column(name)
    if (!Number.isInteger(index) || index < 0 || index >= array.length) {
      throw new InvalidArgumentError('StoreInvalidCell', `column ${name}: index must be an integer from 0 to ${array.length - 1}, got ${index}`, { field: 'index', limit: array.length - 1 })
    }
    const previous = array[index]
    array[index] = value
    if (array[index] !== value && !(Number.isNaN(value) && Number.isNaN(array[index]))) {
      array[index] = previous
      throw new InvalidArgumentError('StoreInvalidCell', `column ${name} (${this.#kinds.get(name)}): cannot hold ${value}`, { field: 'value' })
    }
    return previous
  }

  /** Stores only: sets (undefined: removes) a sparse entry of an entry below length and returns the previous one. */
  writeSparse(index: number, value: unknown): unknown {
    this.#checkEntry(index)
    const previous = this.#sparse.get(index)
    if (value === undefined) this.#sparse.delete(index)
    else this.#sparse.set(index, value)
    return previous
  }
}
