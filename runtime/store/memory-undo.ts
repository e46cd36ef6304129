// The memory store's undo log: one flat array reused by every transaction.
// Each entry is its fields followed by an op code, so undo pops them
// backwards; undoing a transaction or a savepoint walks the log back to the
// mark taken when it began. It also counts the record entries it holds: a
// transaction takes a revision only when it wrote a record.

import { InternalError } from '../errors.js'
import type { ColumnSet } from './columns.js'
import type { Collection } from './memory-collection.js'
import type { IndexValues, RecordIndex } from './memory-index.js'
import type { WriteVisitor } from './memory-persist.js'
import type { Versioned } from './store.js'

const OP_RECORD = 1 // collection, key, previous Versioned (undefined: the key was absent)
const OP_INDEX = 2 // index, key, previous IndexValues
const OP_CELL = 3 // ColumnSet, column, index, previous value
const OP_SPARSE = 4 // ColumnSet, index, previous value

export class UndoLog {
  readonly #log: unknown[] = []
  /** Record entries in the log. */
  recordWrites = 0

  /** Where the log is now: what undoTo() walks back to. */
  get mark(): number {
    return this.#log.length
  }

  record(coll: Collection, key: string, previous: Versioned<unknown> | undefined): void {
    this.#log.push(coll, key, previous, OP_RECORD)
    this.recordWrites++
  }

  index(index: RecordIndex, key: string, was: IndexValues): void {
    this.#log.push(index, key, was, OP_INDEX)
  }

  cell(set: ColumnSet, column: string, index: number, previous: number): void {
    this.#log.push(set, column, index, previous, OP_CELL)
  }

  sparse(set: ColumnSet, index: number, previous: unknown): void {
    this.#log.push(set, index, previous, OP_SPARSE)
  }

  /** Forgets every entry (the transaction committed). */
  clear(): void {
    // Popping the few entries is cheaper than setting length (measured).
    const log = this.#log
    while (log.length > 0) log.pop()
    this.recordWrites = 0
  }

  /** Tells visitor of every record, cell and sparse write in the log, newest first (index entries are not writes). */
  visit(visitor: WriteVisitor): void {
    const log = this.#log
    let i = log.length - 1
    while (i >= 0) {
      switch (log[i]) {
        case OP_RECORD: {
          const coll = log[i - 3] as Collection
          const key = log[i - 2] as string
          visitor.record(coll.name, key, coll.records.get(key), log[i - 1] as Versioned<unknown> | undefined)
          i -= 4
          break
        }
        case OP_INDEX:
          i -= 4
          break
        case OP_CELL:
          visitor.cell(log[i - 4] as ColumnSet, log[i - 3] as string, log[i - 2] as number)
          i -= 5
          break
        case OP_SPARSE:
          visitor.sparse(log[i - 3] as ColumnSet, log[i - 2] as number)
          i -= 4
          break
        default:
          throw new InternalError('StoreUndoLogCorrupt', `the undo log holds no op code at ${i}`)
      }
    }
  }

  /** Puts back everything written since mark, newest first. */
  undoTo(mark: number): void {
    const log = this.#log
    while (log.length > mark) {
      switch (log.pop()) {
        case OP_RECORD: {
          const previous = log.pop() as Versioned<unknown> | undefined
          const key = log.pop() as string
          const coll = log.pop() as Collection
          const present = coll.records.has(key)
          if (previous === undefined) {
            coll.records.delete(key)
            if (present) coll.keys.delete(key)
          } else {
            coll.records.set(key, previous)
            if (!present) coll.keys.insert(key)
          }
          this.recordWrites--
          break
        }
        case OP_INDEX: {
          const was = log.pop() as IndexValues
          const key = log.pop() as string
          const index = log.pop() as RecordIndex
          index.move(key, index.valuesFor(key), was)
          break
        }
        case OP_CELL: {
          const previous = log.pop() as number
          const index = log.pop() as number
          const column = log.pop() as string
          ;(log.pop() as ColumnSet).writeCell(column, index, previous)
          break
        }
        case OP_SPARSE: {
          const previous = log.pop()
          const index = log.pop() as number
          ;(log.pop() as ColumnSet).writeSparse(index, previous)
          break
        }
      }
    }
  }
}
