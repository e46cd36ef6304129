// A real MemoryStore whose next transactions can be made to fail the way a
// disk store's commit does when the disk refuses the write (SQLite's
// StoreWriteFailed): the transaction's function runs against the real
// store, then the commit throws and the store undoes everything it wrote.
// Not a test file.
import { UnavailableError } from '../../../runtime/errors.js'
import { MemoryStore } from '../../../runtime/store/memory.js'
import type { Store, Transaction } from '../../../runtime/store/store.js'

/** Which transactions fail: those that write (put, change or delete) a record of `collection` (the one named `key`, when given). */
export interface Writing { collection: string; key?: string }

export interface FailingStore {
  readonly store: Store
  /** The next `n` transactions that write what `which` says (default: any transaction) fail at commit. */
  failNext(n: number, which?: Writing): void
  /** Transactions failed so far. */
  readonly failures: number
}

export function failingStore(inner: MemoryStore = new MemoryStore()): FailingStore {
  let left = 0
  let which: Writing | undefined
  let failures = 0
  const versions = (reader: Pick<Store, 'scan'>, w: Writing): string =>
    reader.scan(w.collection).filter((r) => w.key === undefined || r.key === w.key).map((r) => `${r.key}@${r.version}`).join(',')
  const transaction = <T>(fn: (tx: Transaction) => T): T => {
    const w = which
    const before = left > 0 && w !== undefined ? versions(inner, w) : ''
    return inner.transaction((tx) => {
      const result = fn(tx)
      if (left > 0 && (w === undefined || versions(tx, w) !== before)) {
        left--
        failures++
        throw new UnavailableError('StoreWriteFailed', 'the commit could not be written (disk I/O error): it was undone')
      }
      return result
    })
  }
  const store = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'transaction') return transaction
      const value = (target as unknown as Record<string | symbol, unknown>)[prop]
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    }
  }) as unknown as Store
  return {
    store,
    failNext(n, w) { left = n; which = w },
    get failures() { return failures }
  }
}
