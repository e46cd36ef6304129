// The store conformance suite: one body of tests, run unchanged against every
// Store implementation (as distribution runs one suite against every storage
// driver). It uses the Store interface only, never an implementation's
// internals. Not a test file: memory.test.ts (and the SQLite store's) runs it.
//
//   conformance.ts           versions, CAS, transactions, savepoints, input checks, close
//   conformance-scans.ts     scans, paging, indexes, count
//   conformance-columns.ts   ColumnSet cells and sparse entries
//   conformance-notify.ts    watch, afterCommit, the outbox
import type { Test } from 'tap'
import { ColumnSet, type Store } from '../../../runtime/store/index.js'
import { columnSetConformance } from './conformance-columns.js'
import { notifyConformance } from './conformance-notify.js'
import { scanConformance } from './conformance-scans.js'

export interface StoreFactory {
  name: string
  /** A fresh, empty store; the suite closes it. */
  create(): Promise<Store>
}

/** A fresh store for one test, closed when the test ends. */
export type FreshStore = (t: Test) => Promise<Store>

/** What every failed check looks like: kind and code, and the field at fault. */
export const coded = (kind: string, code: string, field?: string) => (field === undefined ? { kind, code } : { kind, code, field })

export function storeConformance(t: Test, factory: StoreFactory): void {
  t.test(`store conformance: ${factory.name}`, async (t) => {
    const fresh: FreshStore = async (t) => {
      const store = await factory.create()
      t.teardown(() => store.close())
      return store
    }
    coreConformance(t, fresh)
    scanConformance(t, fresh)
    columnSetConformance(t, fresh)
    notifyConformance(t, fresh)
  })
}

function coreConformance(t: Test, fresh: FreshStore): void {
  t.test('a new store is empty, at revision 0', async (t) => {
    const store = await fresh(t)
    t.equal(store.revision, 0)
    t.equal(store.get('jobs', 'j1'), undefined)
    t.same(store.scan('jobs'), [])
    t.equal(store.count('jobs'), 0)
  })

  t.test('versions come from one store-wide revision counter and only increase', async (t) => {
    const store = await fresh(t)
    const v1 = store.put('jobs', 'j1', { status: 'SUBMITTED' }, 0)
    const v2 = store.put('queues', 'q1', { state: 'ENABLED' }, 0)
    const v3 = store.put('jobs', 'j1', { status: 'RUNNABLE' }, v1)
    t.ok(v1 > 0 && v2 > v1 && v3 > v2, `versions increase: ${v1} ${v2} ${v3}`)
    t.equal(store.revision, v3, 'revision is the last committed version')
    t.same(store.get('jobs', 'j1'), { key: 'j1', value: { status: 'RUNNABLE' }, version: v3 })
    t.equal(store.get('queues', 'q1')?.version, v2, 'a record keeps its version until written again')
  })

  t.test('one transaction gives every record it writes the same, next revision', async (t) => {
    const store = await fresh(t)
    store.put('jobs', 'j0', { n: 0 }, 0)
    const before = store.revision
    const versions = store.transaction((tx) => [tx.put('jobs', 'j1', { n: 1 }, 0), tx.put('jobs', 'j2', { n: 2 }, 0), tx.put('nodes', 'n1', {}, 0)])
    t.same(new Set(versions).size, 1, `one version: ${versions}`)
    t.ok(versions[0] > before)
    t.equal(store.revision, versions[0])
    t.same(store.scan('jobs').map((r) => r.version), [before, versions[0], versions[0]])
  })

  t.test('a transaction that changes no record takes no revision', async (t) => {
    const store = await fresh(t)
    store.put('jobs', 'j1', { n: 1 }, 0)
    const before = store.revision
    t.equal(store.transaction((tx) => tx.get('jobs', 'j1')?.version), before)
    store.transaction((tx) => tx.emit('topic', { only: 'an event' }))
    t.equal(store.delete('jobs', 'missing'), false)
    t.equal(store.revision, before)
    t.ok(store.put('jobs', 'j2', {}, 0) > before, 'the next write still gets a larger version')
  })

  t.test('a version is never reused, not even for a record deleted and created again', async (t) => {
    const store = await fresh(t)
    const first = store.put('jobs', 'j1', { life: 1 }, 0)
    t.equal(store.delete('jobs', 'j1', first), true)
    t.equal(store.get('jobs', 'j1'), undefined)
    const second = store.put('jobs', 'j1', { life: 2 }, 0)
    t.ok(second > first, `created again at ${second}, after ${first}`)
    // A writer still holding the first life's version cannot write over the second.
    t.throws(() => store.put('jobs', 'j1', { life: 'stale' }, first), coded('Conflict', 'StoreVersionConflict', 'j1'))
    t.same(store.get('jobs', 'j1')?.value, { life: 2 })
  })

  t.test('put with a version other than the current one is a StoreVersionConflict that changes nothing', async (t) => {
    const store = await fresh(t)
    const v = store.put('jobs', 'j1', { status: 'SUBMITTED' }, 0)
    const revision = store.revision
    const err = captured(() => store.put('jobs', 'j1', { status: 'LOST' }, 0))
    t.match(err, coded('Conflict', 'StoreVersionConflict', 'j1'), 'create over an existing record')
    t.match(err.message, new RegExp(`jobs/j1.*${v}.*0`), 'the message names the record, its version and the expected one')
    t.throws(() => store.put('jobs', 'j1', { status: 'LOST' }, v + 7), coded('Conflict', 'StoreVersionConflict', 'j1'), 'a version it never had')
    t.throws(() => store.put('jobs', 'j9', { status: 'LOST' }, 3), coded('Conflict', 'StoreVersionConflict', 'j9'), 'a record that does not exist')
    t.same(store.get('jobs', 'j1'), { key: 'j1', value: { status: 'SUBMITTED' }, version: v })
    t.equal(store.get('jobs', 'j9'), undefined)
    t.equal(store.revision, revision)
  })

  t.test('delete: true when deleted, false when absent, StoreVersionConflict on a stale version', async (t) => {
    const store = await fresh(t)
    const v = store.put('jobs', 'j1', { n: 1 }, 0)
    t.throws(() => store.delete('jobs', 'j1', v + 1), coded('Conflict', 'StoreVersionConflict', 'j1'))
    t.equal(store.get('jobs', 'j1')?.version, v, 'a refused delete keeps the record')
    t.throws(() => store.delete('jobs', 'gone', v), coded('Conflict', 'StoreVersionConflict', 'gone'), 'a version of a record that is not there')
    t.equal(store.delete('jobs', 'gone'), false)
    t.equal(store.delete('jobs', 'gone', 0), false)
    t.equal(store.delete('jobs', 'j1', v), true)
    t.equal(store.delete('jobs', 'j1'), false)
    t.equal(store.count('jobs'), 0)
    store.put('jobs', 'j2', {}, 0)
    t.equal(store.delete('jobs', 'j2'), true, 'without a version: whatever the version')
  })

  t.test('a throwing transaction leaves nothing: records, indexes, cells, sparse entries, outbox, revision', async (t) => {
    const store = await fresh(t)
    store.defineIndex<{ status: string }>('jobs', 'status', (j) => j.status)
    store.put('jobs', 'keep', { status: 'RUNNING' }, 0)
    const doomed = store.put('jobs', 'doomed', { status: 'RUNNING' }, 0)
    store.put('arrays', 'a1', ColumnSet.create({ state: { kind: 'u8', length: 4 } }), 0)
    store.transaction((tx) => tx.emit('job', { n: 0 }))
    const before = snapshot(store)
    let after = 0
    const boom = new Error('boom')
    t.throws(() => store.transaction((tx) => {
      tx.put('jobs', 'new', { status: 'RUNNABLE' }, 0)
      tx.put('jobs', 'keep', { status: 'SUCCEEDED' }, tx.get('jobs', 'keep')!.version)
      tx.delete('jobs', 'doomed', doomed)
      tx.setCell('arrays', 'a1', 'state', 2, 9)
      tx.setSparse('arrays', 'a1', 1, { attempts: 2 })
      tx.emit('job', { n: 1 })
      tx.afterCommit(() => after++)
      throw boom
    }), boom, 'the error is rethrown as it was')
    t.same(snapshot(store), before)
    t.equal(after, 0, 'afterCommit never ran')
  })

  t.test('a savepoint that throws undoes its own writes only, and the outer transaction goes on', async (t) => {
    const store = await fresh(t)
    store.defineIndex<{ status: string }>('jobs', 'status', (j) => j.status)
    store.put('arrays', 'a1', ColumnSet.create({ state: { kind: 'u8', length: 4 } }), 0)
    const ran: string[] = []
    const version = store.transaction((tx) => {
      const v = tx.put('jobs', 'outer', { status: 'RUNNABLE' }, 0)
      tx.setCell('arrays', 'a1', 'state', 0, 1)
      tx.emit('job', 'outer')
      tx.afterCommit(() => ran.push('outer'))
      const inner = new Error('inner')
      t.throws(() => store.transaction((sp) => {
        sp.put('jobs', 'outer', { status: 'FAILED' }, v)
        sp.put('jobs', 'inner', { status: 'RUNNABLE' }, 0)
        sp.setCell('arrays', 'a1', 'state', 0, 7)
        sp.setCell('arrays', 'a1', 'state', 1, 7)
        sp.setSparse('arrays', 'a1', 3, 'x')
        sp.emit('job', 'inner')
        sp.afterCommit(() => ran.push('inner'))
        throw inner
      }), inner)
      t.same(tx.get('jobs', 'outer')?.value, { status: 'RUNNABLE' }, 'the outer write is back')
      t.equal(tx.get('jobs', 'inner'), undefined)
      t.same(tx.scan('jobs', { index: { name: 'status', value: 'FAILED' } }), [])
      // store.put inside a transaction is a savepoint too: its conflict can be caught.
      t.throws(() => store.put('jobs', 'outer', { status: 'LOST' }, 0), coded('Conflict', 'StoreVersionConflict', 'outer'))
      const saved = store.transaction((sp) => sp.put('jobs', 'saved', { status: 'RUNNABLE' }, 0))
      t.equal(saved, v, 'a savepoint that returns shares the transaction\'s version')
      return v
    })
    t.same(store.scan('jobs').map((r) => [r.key, r.version]), [['outer', version], ['saved', version]])
    t.same(store.scan('jobs', { index: { name: 'status', value: 'RUNNABLE' } }).map((r) => r.key), ['outer', 'saved'])
    const set = store.get<ColumnSet>('arrays', 'a1')!.value
    t.same([...set.column('state')], [1, 0, 0, 0])
    t.equal(set.hasSparse(3), false)
    t.same(store.outbox.pending().map((e) => e.payload), ['outer'])
    t.same(ran, ['outer'])
  })

  t.test('reads inside a transaction see its own writes', async (t) => {
    const store = await fresh(t)
    store.defineIndex<{ status: string }>('jobs', 'status', (j) => j.status)
    const v = store.put('jobs', 'j1', { status: 'SUBMITTED' }, 0)
    store.transaction((tx) => {
      const v2 = tx.put('jobs', 'j1', { status: 'RUNNING' }, v)
      t.same(tx.get('jobs', 'j1'), { key: 'j1', value: { status: 'RUNNING' }, version: v2 })
      t.same(store.get('jobs', 'j1')?.value, { status: 'RUNNING' }, 'the store reads through the open transaction')
      t.equal(tx.put('jobs', 'j1', { status: 'SUCCEEDED' }, v2), v2, 'writing again in one transaction keeps its version')
      tx.put('jobs', 'j2', { status: 'RUNNING' }, 0)
      t.same(tx.scan('jobs').map((r) => r.key), ['j1', 'j2'])
      t.equal(tx.count('jobs', { index: { name: 'status', value: 'RUNNING' } }), 1)
      tx.delete('jobs', 'j1')
      t.equal(tx.get('jobs', 'j1'), undefined)
      t.equal(tx.count('jobs'), 1)
    })
    t.same(store.scan('jobs').map((r) => r.key), ['j2'])
  })

  t.test('values are frozen once put: the store keeps what was written', async (t) => {
    const store = await fresh(t)
    const value = { status: 'SUBMITTED', attempts: [] as unknown[] }
    store.put('jobs', 'j1', value, 0)
    const read = store.get<typeof value>('jobs', 'j1')!.value
    t.ok(Object.isFrozen(read), 'what a reader gets is frozen')
    t.throws(() => { (read as { status: string }).status = 'HACKED' }, TypeError)
    t.equal(store.get<typeof value>('jobs', 'j1')!.value.status, 'SUBMITTED')
    t.ok(Object.isFrozen(store.scan('jobs')[0].value), 'scans too')
    store.put('arrays', 'a1', ColumnSet.create({ state: { kind: 'u8', length: 2 } }), 0)
    store.transaction((tx) => {
      tx.setSparse('arrays', 'a1', 1, { attempts: 2 })
      tx.emit('job', { jobId: 'j1' })
    })
    t.ok(Object.isFrozen(store.get<ColumnSet>('arrays', 'a1')!.value.sparse(1)), 'sparse entries too')
    t.ok(Object.isFrozen(store.outbox.pending()[0].payload), 'outbox payloads too')
  })

  t.test('an async transaction function is refused and its writes undone', async (t) => {
    const store = await fresh(t)
    const revision = store.revision
    t.throws(() => store.transaction(async (tx) => {
      tx.put('jobs', 'early', {}, 0)
      await new Promise((resolve) => setImmediate(resolve))
      tx.put('jobs', 'late', {}, 0)
    }), coded('InvalidArgument', 'StoreAsyncTransaction', 'fn'))
    await new Promise((resolve) => setTimeout(resolve, 5))
    t.equal(store.get('jobs', 'early'), undefined)
    t.equal(store.get('jobs', 'late'), undefined, 'a write after the await lands nowhere')
    t.equal(store.revision, revision)
    store.transaction((tx) => {
      tx.put('jobs', 'outer', {}, 0)
      t.throws(() => store.transaction((sp) => {
        sp.put('jobs', 'inner', {}, 0)
        return { then: () => {} }
      }), coded('InvalidArgument', 'StoreAsyncTransaction'), 'a thenable savepoint too')
    })
    t.same(store.scan('jobs').map((r) => r.key), ['outer'])
  })

  t.test('a transaction object is refused once its transaction has ended', async (t) => {
    const store = await fresh(t)
    let kept: Parameters<Parameters<Store['transaction']>[0]>[0] | undefined
    store.transaction((tx) => { kept = tx })
    t.throws(() => kept!.put('jobs', 'j1', {}, 0), coded('Unavailable', 'StoreTransactionClosed'))
    t.equal(store.get('jobs', 'j1'), undefined)
  })

  t.test('bad input is refused with a coded error naming the field, and changes nothing', async (t) => {
    const store = await fresh(t)
    store.put('jobs', 'j1', { n: 1 }, 0)
    const before = snapshot(store)
    const cases: Array<[string, () => unknown, string, string]> = [
      ['empty collection', () => store.put('', 'k', {}, 0), 'StoreInvalidName', 'collection'],
      ['collection not a string', () => store.get(7 as unknown as string, 'k'), 'StoreInvalidName', 'collection'],
      ['empty key', () => store.put('jobs', '', {}, 0), 'StoreInvalidName', 'key'],
      ['key not a string', () => store.delete('jobs', null as unknown as string), 'StoreInvalidName', 'key'],
      ['undefined value', () => store.put('jobs', 'k', undefined, 0), 'StoreInvalidValue', 'value'],
      // What a disk store could not give back as it was: refused by every store, not changed by one at reopen.
      ['a function inside a value', () => store.put('jobs', 'k', { a: [1, { f: () => 1 }] }, 0), 'StoreInvalidValue', 'value'],
      ['a class instance', () => store.put('jobs', 'k', new (class Job { id = '1' })(), 0), 'StoreInvalidValue', 'value'],
      ['a ColumnSet inside a value', () => store.put('jobs', 'k', { set: ColumnSet.create({ a: { kind: 'u8', length: 1 } }) }, 0), 'StoreInvalidValue', 'value'],
      ['an object without a prototype', () => store.put('jobs', 'k', Object.create(null) as object, 0), 'StoreInvalidValue', 'value'],
      ['a function inside a cycle', () => { const c: Record<string, unknown> = { f: () => 1 }; c.self = c; return store.put('jobs', 'k', { c }, 0) }, 'StoreInvalidValue', 'value'],
      ['nested deeper than 1,000 levels', () => store.put('jobs', 'k', JSON.parse(`${'['.repeat(1001)}${']'.repeat(1001)}`), 0), 'StoreInvalidValue', 'value'],
      ['a function in an event', () => store.transaction((tx) => tx.emit('t', { f: () => 1 })), 'StoreInvalidValue', 'payload'],
      ['negative expected', () => store.put('jobs', 'j1', {}, -1), 'StoreInvalidVersion', 'expected'],
      ['fractional expected', () => store.put('jobs', 'j1', {}, 1.5), 'StoreInvalidVersion', 'expected'],
      ['expected as a string', () => store.put('jobs', 'j1', {}, '1' as unknown as number), 'StoreInvalidVersion', 'expected'],
      ['delete with a negative expected', () => store.delete('jobs', 'j1', -2), 'StoreInvalidVersion', 'expected'],
      ['limit 0', () => store.scan('jobs', { limit: 0 }), 'StoreInvalidLimit', 'limit'],
      ['fractional limit', () => store.scan('jobs', { limit: 2.5 }), 'StoreInvalidLimit', 'limit'],
      ['prefix not a string', () => store.scan('jobs', { prefix: 3 as unknown as string }), 'StoreInvalidScan', 'prefix'],
      ['after not a string', () => store.scan('jobs', { after: 3 as unknown as string }), 'StoreInvalidScan', 'after'],
      ['empty index name', () => store.scan('jobs', { index: { name: '', value: 'x' } }), 'StoreInvalidName', 'index.name'],
      ['unknown index', () => store.count('jobs', { index: { name: 'nope', value: 'x' } }), 'StoreUnknownIndex', 'index.name'],
      ['transaction without a function', () => store.transaction('nope' as unknown as () => void), 'StoreInvalidCallback', 'fn'],
      ['watch without a function', () => store.watch('jobs', undefined as unknown as () => void), 'StoreInvalidCallback', 'listener'],
      ['index without a name', () => store.defineIndex('jobs', '', () => 'x'), 'StoreInvalidName', 'name'],
      ['index without a function', () => store.defineIndex('jobs', 'i', 5 as unknown as () => string), 'StoreInvalidCallback', 'fn'],
      ['emit without a topic', () => store.transaction((tx) => tx.emit('', {})), 'StoreInvalidName', 'topic'],
      ['afterCommit without a function', () => store.transaction((tx) => tx.afterCommit(null as unknown as () => void)), 'StoreInvalidCallback', 'fn'],
      ['pending(0)', () => store.outbox.pending(0), 'StoreInvalidLimit', 'limit'],
      ['ack(-1)', () => store.outbox.ack(-1), 'StoreInvalidVersion', 'seq'],
      ['onCommit without a function', () => store.outbox.onCommit(1 as unknown as () => void), 'StoreInvalidCallback', 'listener'],
      ['defineIndex inside a transaction', () => store.transaction(() => store.defineIndex('jobs', 'late', () => 'x')), 'StoreIndexInTransaction', 'name']
    ]
    for (const [what, call, code, field] of cases) {
      t.throws(call, coded('InvalidArgument', code, field), what)
    }
    // Caught inside a transaction, a refused write leaves the transaction as it was.
    store.transaction((tx) => {
      t.throws(() => tx.put('jobs', '', {}, 0), coded('InvalidArgument', 'StoreInvalidName', 'key'))
    })
    t.same(snapshot(store), before)
  })

  t.test('a closed store refuses every call with StoreClosed', async (t) => {
    const store = await fresh(t)
    store.put('jobs', 'j1', {}, 0)
    let closing: Promise<void> | undefined
    store.transaction(() => { closing = store.close() })
    await t.rejects(closing!, coded('InvalidArgument', 'StoreCloseInTransaction'), 'not from inside a transaction')
    t.equal(store.count('jobs'), 1, 'still open')
    await store.close()
    const closed = coded('Unavailable', 'StoreClosed')
    t.throws(() => store.get('jobs', 'j1'), closed)
    t.throws(() => store.put('jobs', 'j2', {}, 0), closed)
    t.throws(() => store.delete('jobs', 'j1'), closed)
    t.throws(() => store.scan('jobs'), closed)
    t.throws(() => store.count('jobs'), closed)
    t.throws(() => store.transaction(() => {}), closed)
    t.throws(() => store.defineIndex('jobs', 'i', () => 'x'), closed)
    t.throws(() => store.watch('jobs', () => {}), closed)
    t.throws(() => store.outbox.pending(), closed)
    t.throws(() => store.outbox.ack(1), closed)
    t.throws(() => store.outbox.onCommit(() => {}), closed)
    await store.close()
  })

  t.test('a compare-and-set conflict surfaces as a retry, not a lost update', async (t) => {
    const store = await fresh(t)
    store.put('counters', 'c', { n: 0 }, 0)
    let conflicts = 0
    // Read, yield (as a controller awaiting a runner would), write back with the version read.
    const increment = async () => {
      for (;;) {
        const read = store.get<{ n: number }>('counters', 'c')!
        await new Promise((resolve) => setImmediate(resolve))
        try {
          store.put('counters', 'c', { n: read.value.n + 1 }, read.version)
          return
        } catch (error) {
          if ((error as { code?: string }).code !== 'StoreVersionConflict') throw error
          conflicts++
        }
      }
    }
    await Promise.all([increment(), increment()])
    t.equal(store.get<{ n: number }>('counters', 'c')!.value.n, 2, 'both increments survive')
    t.ok(conflicts >= 1, `the second writer really conflicted (${conflicts} retries)`)
    conflicts = 0
    await Promise.all(Array.from({ length: 5 }, async () => { for (let i = 0; i < 4; i++) await increment() }))
    t.equal(store.get<{ n: number }>('counters', 'c')!.value.n, 22, '5 writers x 4 increments, none lost')
    t.ok(conflicts > 0)
  })
}

export function captured(fn: () => unknown): Error & { code?: string } {
  try {
    fn()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a throw')
}

/** Everything a store shows through its interface, for "nothing changed" checks. */
export function snapshot(store: Store): unknown {
  const collections = ['jobs', 'arrays', 'queues', 'nodes', 'counters']
  return {
    revision: store.revision,
    records: collections.map((c) => store.scan(c).map((r) => [r.key, r.version, r.value instanceof ColumnSet ? columns(r.value) : r.value])),
    byStatus: ['RUNNING', 'RUNNABLE', 'SUCCEEDED'].map((s) => safe(() => store.scan('jobs', { index: { name: 'status', value: s } }).map((r) => r.key))),
    outbox: store.outbox.pending().map((e) => [e.seq, e.topic, e.payload])
  }
}

function columns(set: ColumnSet): unknown {
  return { columns: set.names.map((n) => [n, [...set.column(n)]]), sparse: [...set.sparseEntries()].sort((a, b) => a[0] - b[0]) }
}

function safe(fn: () => unknown): unknown {
  try {
    return fn()
  } catch (error) {
    return (error as { code?: string }).code
  }
}
