// Store conformance, part of storeConformance (conformance.ts): ColumnSet cells and sparse entries.
import type { Test } from 'tap'
import { ColumnSet, type Change, type Store } from '../../../runtime/store/index.js'
import { coded, snapshot, type FreshStore } from './conformance.js'

const CHILDREN = 10

function withArray(store: Store): number {
  return store.put('arrays', 'a1', ColumnSet.create({
    state: { kind: 'u8', length: CHILDREN },
    attempts: { kind: 'u16', length: CHILDREN },
    exit: { kind: 'i32', length: CHILDREN, fill: -1 },
    startedAt: { kind: 'f64', length: CHILDREN }
  }), 0)
}

const set = (store: Store) => store.get<ColumnSet>('arrays', 'a1')!.value
const column = (store: Store, name: string) => [...set(store).column(name)]

export function columnSetConformance(t: Test, fresh: FreshStore): void {
  t.test('a ColumnSet record: cells and sparse entries change through a transaction, its version once per transaction', async (t) => {
    const store = await fresh(t)
    const v0 = withArray(store)
    t.equal(set(store).length, CHILDREN)
    t.same(column(store, 'exit'), Array(CHILDREN).fill(-1), 'columns start at their fill')
    const changes: Change[] = []
    store.watch('arrays', (c) => changes.push(c))

    const v1 = store.transaction((tx) => {
      tx.setCell('arrays', 'a1', 'state', 3, 2)
      tx.setCell('arrays', 'a1', 'state', 4, 2)
      tx.setCell('arrays', 'a1', 'startedAt', 3, 1767225600123.5)
      tx.setCell('arrays', 'a1', 'exit', 3, -2147483648)
      tx.setSparse('arrays', 'a1', 3, { reason: 'retried', attempts: [{ exitCode: 1 }] })
      t.equal(tx.get<ColumnSet>('arrays', 'a1')!.value.column('state')[3], 2, 'read your own cell writes')
      return tx.get('arrays', 'a1')!.version
    })
    t.ok(v1 > v0, 'the version moved')
    t.equal(store.revision, v1)
    t.same(column(store, 'state').slice(0, 6), [0, 0, 0, 2, 2, 0])
    t.equal(set(store).column('startedAt')[3], 1767225600123.5)
    t.equal(set(store).column('exit')[3], -2147483648)
    t.same(set(store).sparse(3), { reason: 'retried', attempts: [{ exitCode: 1 }] })
    t.equal(set(store).sparseCount, 1)
    t.equal(changes.length, 1, 'watchers hear of the record once per transaction')
    t.equal(changes[0].version, v1)
    t.ok(changes[0].value instanceof ColumnSet)

    store.transaction((tx) => tx.setCell('arrays', 'a1', 'attempts', 0, 65535))
    const v2 = store.get('arrays', 'a1')!.version
    t.ok(v2 > v1, 'each transaction moves it again')
    store.transaction((tx) => tx.setSparse('arrays', 'a1', 3, undefined))
    t.equal(set(store).hasSparse(3), false, 'undefined removes a sparse entry')
    t.ok(store.get('arrays', 'a1')!.version > v2)

    // A put and cell writes in one transaction: still one version.
    const v3 = store.get('arrays', 'a1')!.version
    store.transaction((tx) => {
      const v = tx.put('arrays', 'a2', ColumnSet.create({ state: { kind: 'u8', length: 2 } }), 0)
      tx.setCell('arrays', 'a2', 'state', 1, 5)
      t.equal(tx.get('arrays', 'a2')!.version, v)
    })
    t.ok(store.get('arrays', 'a2')!.version > v3)
    t.same([...store.get<ColumnSet>('arrays', 'a2')!.value.column('state')], [0, 5])
  })

  t.test('the indexes of a ColumnSet record follow its cells', async (t) => {
    const store = await fresh(t)
    store.defineIndex<ColumnSet>('arrays', 'progress', (s) => (s.column('state').every((v) => v === 2) ? 'done' : 'running'))
    withArray(store)
    const by = (value: string) => store.scan('arrays', { index: { name: 'progress', value } }).map((r) => r.key)
    t.same(by('running'), ['a1'])
    store.transaction((tx) => { for (let i = 0; i < CHILDREN; i++) tx.setCell('arrays', 'a1', 'state', i, 2) })
    t.same(by('done'), ['a1'])
    t.same(by('running'), [])
    t.throws(() => store.transaction((tx) => {
      tx.setCell('arrays', 'a1', 'state', 0, 1)
      throw new Error('undo')
    }))
    t.same(by('done'), ['a1'], 'undone with the cell')
  })

  t.test('cells and sparse entries are undone with their transaction or savepoint', async (t) => {
    const store = await fresh(t)
    withArray(store)
    store.transaction((tx) => {
      tx.setCell('arrays', 'a1', 'state', 0, 1)
      tx.setSparse('arrays', 'a1', 0, 'kept')
    })
    const before = snapshot(store)
    const version = store.get('arrays', 'a1')!.version
    t.throws(() => store.transaction((tx) => {
      tx.setCell('arrays', 'a1', 'state', 0, 9)
      tx.setCell('arrays', 'a1', 'state', 0, 8)
      tx.setCell('arrays', 'a1', 'attempts', 5, 3)
      tx.setSparse('arrays', 'a1', 0, 'replaced')
      tx.setSparse('arrays', 'a1', 7, 'added')
      throw new Error('undo')
    }), /undo/)
    t.same(snapshot(store), before)
    t.equal(set(store).sparse(0), 'kept')
    t.equal(store.get('arrays', 'a1')!.version, version)

    store.transaction((tx) => {
      tx.setCell('arrays', 'a1', 'state', 1, 4)
      t.throws(() => store.transaction(() => {
        tx.setCell('arrays', 'a1', 'state', 1, 5)
        tx.setCell('arrays', 'a1', 'state', 2, 5)
        tx.setSparse('arrays', 'a1', 0, undefined)
        throw new Error('savepoint')
      }), /savepoint/)
    })
    t.same(column(store, 'state').slice(0, 3), [1, 4, 0], 'only the savepoint was undone')
    t.equal(set(store).sparse(0), 'kept')
  })

  t.test('setCell and setSparse refuse a missing record, a non-ColumnSet and bad cells, and change nothing', async (t) => {
    const store = await fresh(t)
    withArray(store)
    store.put('jobs', 'plain', { status: 'RUNNING' }, 0)
    const before = snapshot(store)
    const cases: Array<[string, (tx: Parameters<Parameters<Store['transaction']>[0]>[0]) => void, string, string]> = [
      ['missing record', (tx) => tx.setCell('arrays', 'nope', 'state', 0, 1), 'StoreNoSuchRecord', 'key'],
      ['missing collection', (tx) => tx.setSparse('nothing', 'a1', 0, 1), 'StoreNoSuchRecord', 'key'],
      ['not a ColumnSet', (tx) => tx.setCell('jobs', 'plain', 'state', 0, 1), 'StoreNotColumnSet', 'key'],
      ['sparse on a non-ColumnSet', (tx) => tx.setSparse('jobs', 'plain', 0, 1), 'StoreNotColumnSet', 'key'],
      ['unknown column', (tx) => tx.setCell('arrays', 'a1', 'nope', 0, 1), 'StoreUnknownColumn', 'column'],
      ['index past the end', (tx) => tx.setCell('arrays', 'a1', 'state', CHILDREN, 1), 'StoreInvalidCell', 'index'],
      ['negative index', (tx) => tx.setCell('arrays', 'a1', 'state', -1, 1), 'StoreInvalidCell', 'index'],
      ['fractional index', (tx) => tx.setCell('arrays', 'a1', 'state', 1.5, 1), 'StoreInvalidCell', 'index'],
      ['u8 cannot hold 256', (tx) => tx.setCell('arrays', 'a1', 'state', 0, 256), 'StoreInvalidCell', 'value'],
      ['u16 cannot hold -1', (tx) => tx.setCell('arrays', 'a1', 'attempts', 0, -1), 'StoreInvalidCell', 'value'],
      ['i32 cannot hold 1.5', (tx) => tx.setCell('arrays', 'a1', 'exit', 0, 1.5), 'StoreInvalidCell', 'value'],
      ['a string is not a number', (tx) => tx.setCell('arrays', 'a1', 'state', 0, '1' as unknown as number), 'StoreInvalidCell', 'value'],
      ['sparse index past the end', (tx) => tx.setSparse('arrays', 'a1', CHILDREN, 'x'), 'StoreInvalidSparse', 'index'],
      ['sparse fractional index', (tx) => tx.setSparse('arrays', 'a1', 0.5, 'x'), 'StoreInvalidSparse', 'index'],
      ['sparse function', (tx) => tx.setSparse('arrays', 'a1', 0, () => 1), 'StoreInvalidValue', 'value']
    ]
    for (const [what, write, code, field] of cases) {
      t.throws(() => store.transaction(write), coded('InvalidArgument', code, field), what)
      store.transaction((tx) => t.throws(() => write(tx), coded('InvalidArgument', code, field), `${what}, caught inside`))
    }
    t.same(snapshot(store), before, 'no cell, sparse entry, version or revision changed')
  })
}
