// The SQLite store keeps a value in its tables as JSON when JSON gives it back exactly and
// with V8's serializer otherwise (runtime/store/sqlite-json.ts): values on
// either side of that line, and just across it, come back exactly — from the
// tables after a close, and from the redo log as a kill leaves it — in
// records, ColumnSet sparse entries and outbox payloads.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { ColumnSet, SqliteStore } from '../../../runtime/store/index.js'

const root = mkdtempSync(join(tmpdir(), 'stratus-sqlite-values-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))
let files = 0

function withHole(): unknown[] {
  const list = [1, 2, 3]
  delete list[1]
  return list
}

function named(): unknown[] {
  const list: unknown[] & { extra?: string } = [1, 2]
  list.extra = 'kept'
  return list
}

function nullPrototype(): object {
  const object = Object.create(null) as Record<string, unknown>
  object.a = 1
  return object
}

/** Values JSON keeps exactly: they must come back the same. */
const plain: Record<string, unknown> = {
  job: { status: 'RUNNING', attempts: [{ exitCode: 0, at: 1767225600123 }], tags: {}, list: [], ok: true, none: null },
  numbers: { big: 1e21, small: 5e-324, max: Number.MAX_VALUE, negative: -12.5, zero: 0 },
  strings: { lone: '\ud800 lone surrogate', nul: 'a\u0000b', emoji: '\u{1f680}', quote: '"\\' },
  protoKey: JSON.parse('{"__proto__": {"x": 1}, "y": 2}'),
  integerKeys: { 10: 'a', 2: 'b', z: 'c' },
  top: 'a string alone',
  number: 42
}

/** Values JSON would change, each by one part: they must come back the same too. */
const notPlain: Record<string, unknown> = {
  negativeZero: { n: -0 },
  nan: { list: [1, NaN] },
  infinity: { n: Infinity },
  undefinedProperty: { a: 1, missing: undefined },
  undefinedInArray: [1, undefined],
  hole: { list: withHole() },
  namedOnArray: { list: named() },
  date: { deep: { at: new Date(1767225600123) } },
  bytes: { data: new Uint8Array([0, 255]) },
  map: { m: new Map([['k', { v: 1 }]]) },
  bigint: { n: 12n },
  long: { list: Array.from({ length: 5000 }, (_, i) => i) },
  deep: JSON.parse(`${'['.repeat(200)}1${']'.repeat(200)}`)
}

function shared(): { a: object; b: object } {
  const inner = { x: 1 }
  return { a: inner, b: inner }
}

function cycle(): { self?: unknown; n: number } {
  const value: { self?: unknown; n: number } = { n: 1 }
  value.self = value
  return value
}

function putAll(store: SqliteStore): void {
  store.transaction((tx) => {
    for (const [key, value] of Object.entries({ ...plain, ...notPlain })) tx.put('values', key, value, 0)
    tx.put('values', 'shared', shared(), 0)
    tx.put('values', 'cycle', cycle(), 0)
    tx.put('arrays', 'set', ColumnSet.create({ n: { kind: 'u8', length: 10, fill: 0 } }), 0)
  })
  // Each kind in its own commit too.
  store.put('values', 'alone-plain', plain.job, 0)
  store.put('values', 'alone-date', notPlain.date, 0)
  store.transaction((tx) => {
    tx.setSparse('arrays', 'set', 1, plain.job)
    tx.setSparse('arrays', 'set', 2, notPlain.negativeZero)
    tx.setSparse('arrays', 'set', 3, notPlain.hole)
  })
  store.transaction((tx) => {
    tx.emit('values.plain', plain.job)
    tx.emit('values.date', notPlain.date)
    tx.emit('values.hole', notPlain.hole)
  })
}

function check(t: Test, store: SqliteStore, where: string): void {
  for (const [key, value] of Object.entries({ ...plain, ...notPlain, 'alone-plain': plain.job, 'alone-date': notPlain.date })) {
    t.ok(isDeepStrictEqual(store.get('values', key)?.value, value), `${where}: ${key} comes back exactly`)
  }
  const back = store.get<{ a: object; b: object }>('values', 'shared')!.value
  t.ok(back.a === back.b && isDeepStrictEqual(back.a, { x: 1 }), `${where}: an object held twice is still one object`)
  const loop = store.get<{ self: unknown }>('values', 'cycle')!.value
  t.equal(loop.self, loop, `${where}: a cycle stays a cycle`)
  const set = store.get<ColumnSet>('arrays', 'set')!.value
  t.ok(isDeepStrictEqual(set.sparse(1), plain.job) && isDeepStrictEqual(set.sparse(2), notPlain.negativeZero) && isDeepStrictEqual(set.sparse(3), notPlain.hole), `${where}: sparse entries too`)
  const payloads = store.outbox.pending().map((e) => [e.topic, e.payload])
  t.ok(isDeepStrictEqual(payloads, [['values.plain', plain.job], ['values.date', notPlain.date], ['values.hole', notPlain.hole]]), `${where}: outbox payloads too`)
  t.ok(Object.isFrozen(store.get('values', 'job')!.value) && Object.isFrozen(store.get('values', 'date')!.value), `${where}: frozen as every stored value is`)
}

t.test('values on either side of the JSON line come back exactly, from the redo log and from the tables', async (t) => {
  const path = join(root, `state-${files++}.db`)
  const store = SqliteStore.open(path)
  putAll(store)
  // The files as a kill leaves them: the commits are replayed from the redo log.
  const crashed = join(root, `crashed-${files++}.db`)
  copyFileSync(path, crashed)
  for (const suffix of ['-wal', '-redo']) if (existsSync(`${path}${suffix}`)) copyFileSync(`${path}${suffix}`, `${crashed}${suffix}`)
  await store.close()
  const replayed = SqliteStore.open(crashed)
  check(t, replayed, 'replayed')
  await replayed.close() // folds them into the tables
  const folded = SqliteStore.open(crashed)
  check(t, folded, 'folded')
  await folded.close()
  // The tables as the first store folded them at close (from the values it held, not read back ones).
  const db = new Database(path, { readonly: true })
  const types = new Map((db.prepare("SELECT key, typeof(value) AS type FROM records WHERE collection = 'values'").all() as Array<{ key: string; type: string }>).map((r) => [r.key, r.type]))
  db.close()
  t.same([types.get('job'), types.get('protoKey'), types.get('date'), types.get('shared')], ['text', 'text', 'blob', 'blob'], 'in the tables, JSON values are TEXT and the others V8 BLOBs')
})

t.test('a value neither encoding can hold is refused', async (t) => {
  const store = SqliteStore.open(join(root, `state-${files++}.db`))
  t.throws(() => store.put('values', 'f', { nested: { fn: () => 1 } }, 0), { code: 'StoreInvalidValue' })
  t.throws(() => store.put('values', 's', [Symbol('s')], 0), { code: 'StoreInvalidValue' })
  // V8 would give a null-prototype object back with Object.prototype: not exact, so refused (by both stores).
  t.throws(() => store.put('values', 'n', { inner: nullPrototype() }, 0), { code: 'StoreInvalidValue' })
  t.equal(store.count('values'), 0, 'nothing kept')
  await store.close()
})
