// What only a disk store can show: reopening the SQLite store sees every
// committed transaction and none of an undone one; a process killed with
// SIGKILL in the middle of its transactions leaves each one whole or absent;
// a file from a newer schema is refused untouched; outbox entries not
// acknowledged are pending again after reopen, and seqs never go back.
import { spawn } from 'node:child_process'
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { ColumnSet, MemoryStore, SqliteStore, type Store } from '../../../runtime/store/index.js'
import { coded } from './conformance.js'

const root = mkdtempSync(join(tmpdir(), 'stratus-sqlite-disk-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))
let files = 0
const freshPath = () => join(root, `state-${files++}.db`)
const FULL_DISK_CHILD = join(fileURLToPath(import.meta.url), '..', 'fixtures', 'sqlite-full-disk-child.ts')
const CLOSE_FULL_DISK_CHILD = join(fileURLToPath(import.meta.url), '..', 'fixtures', 'sqlite-close-full-disk-child.ts')

/** Everything a store shows through its interface, over the collections these tests use. */
function snapshot(store: Store, collections = ['jobs', 'arrays', 'queues']): unknown {
  return {
    revision: store.revision,
    records: collections.map((c) => store.scan(c).map((r) => [r.key, r.version, r.value instanceof ColumnSet ? columns(r.value) : r.value])),
    outbox: store.outbox.pending().map((e) => [e.seq, e.topic, e.payload])
  }
}

function columns(set: ColumnSet): unknown {
  return { length: set.length, columns: set.names.map((n) => [n, set.kind(n), [...set.column(n)]]), sparse: [...set.sparseEntries()].sort((a, b) => a[0] - b[0]) }
}

/** A small seeded generator, so a failing run can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let x = Math.imul(s ^ (s >>> 15), 1 | s)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** One random transaction, applied the same way to every store given (so their snapshots must agree). */
function randomTransaction(stores: Store[], next: () => number): void {
  const ops = Array.from({ length: 1 + Math.floor(next() * 6) }, () => [next(), next(), next(), next()])
  const fail = next() < 0.15
  const savepointFails = next() < 0.3
  for (const store of stores) {
    try {
      store.transaction((tx) => {
        const apply = (list: number[][]) => {
          for (const [what, which, cell, value] of list) {
            const key = `k${Math.floor(which * 12)}`
            const arrayKey = `a${Math.floor(which * 3)}`
            if (what < 0.3) tx.put('jobs', key, { status: ['RUNNABLE', 'RUNNING', 'SUCCEEDED'][Math.floor(value * 3)], at: new Date(1767225600000 + Math.floor(value * 1000)), tags: [undefined, value] }, tx.get('jobs', key)?.version ?? 0)
            else if (what < 0.38) tx.delete('jobs', key)
            else if (what < 0.41) tx.put('arrays', arrayKey, ColumnSet.create({ s: { kind: 'u8', length: 9000 }, t: { kind: 'f64', length: 9000, fill: value } }), tx.get('arrays', arrayKey)?.version ?? 0)
            else if (what < 0.43) tx.delete('arrays', arrayKey)
            else if (what < 0.7 && tx.get('arrays', arrayKey) !== undefined) tx.setCell('arrays', arrayKey, cell < 0.5 ? 's' : 't', Math.floor(cell * 9000), Math.floor(value * 200))
            else if (what < 0.95 && tx.get('arrays', arrayKey) !== undefined) tx.setSparse('arrays', arrayKey, Math.floor(cell * 20) * 450, value < 0.4 ? undefined : { retried: Math.floor(value * 10), bytes: new Uint8Array([1, 2, 3]) })
            else tx.emit('job.state', { key, value })
          }
        }
        apply(ops.slice(0, 3))
        try {
          store.transaction(() => {
            apply(ops.slice(3))
            tx.put('queues', 'savepoint', { undone: savepointFails }, tx.get('queues', 'savepoint')?.version ?? 0)
            if (savepointFails) throw new Error('savepoint undone')
          })
        } catch {
          // the savepoint alone is undone
        }
        tx.emit('txn', { fail })
        if (fail) throw new Error('transaction undone')
      })
    } catch (error) {
      if ((error as Error).message !== 'transaction undone') throw error
    }
  }
}

t.test('reopen sees every committed transaction and none of an undone one (random transactions, against the memory store)', async (t) => {
  const path = freshPath()
  const next = random(11)
  const memory = new MemoryStore()
  // Folds of the redo rows into the tables happen every 7 commits, between reopens too.
  let disk = SqliteStore.open(path, { foldRows: 7 })
  let shapes = 0
  for (let round = 0; round < 8; round++) {
    for (let i = 0; i < 60; i++) randomTransaction([memory, disk], next)
    if (memory.count('arrays') > 0 && memory.count('jobs') > 0) shapes++
    // Acknowledge part of the outbox on both.
    const pending = memory.outbox.pending()
    if (pending.length > 0) {
      const seq = pending[Math.floor(pending.length / 2)].seq
      memory.outbox.ack(seq)
      disk.outbox.ack(seq)
    }
    t.same(snapshot(disk), snapshot(memory), `round ${round}: the SQLite store holds what the memory store does`)
    // The files as a kill would leave them now (the database, its WAL and the redo log, copied
    // between commits): opened, the commits since the last fold are replayed from the redo log.
    const crashed = join(root, `crashed-${round}.db`)
    copyFileSync(path, crashed)
    for (const suffix of ['-wal', '-redo']) if (existsSync(`${path}${suffix}`)) copyFileSync(`${path}${suffix}`, `${crashed}${suffix}`)
    const replayed = SqliteStore.open(crashed)
    t.same(snapshot(replayed), snapshot(memory), `round ${round}: and so do its files as a kill would leave them`)
    await replayed.close()
    await disk.close()
    disk = SqliteStore.open(path, { foldRows: 7 })
    t.same(snapshot(disk), snapshot(memory), `round ${round}: and so does it after reopen`)
  }
  t.ok(shapes >= 4, `the workload kept records of both shapes (${shapes} rounds of 8)`)
  await disk.close()
})

t.test('regression: a ColumnSet deleted and put again as a plain value in one transaction leaves none of its chunks behind', async (t) => {
  const path = freshPath()
  let store = SqliteStore.open(path)
  store.put('arrays', 'a', ColumnSet.create({ n: { kind: 'u8', length: 9000, fill: 1 } }), 0)
  await store.close()
  store = SqliteStore.open(path)
  store.transaction((tx) => {
    tx.delete('arrays', 'a')
    tx.put('arrays', 'a', { plain: true }, 0)
  })
  await store.close()
  store = SqliteStore.open(path)
  // A shorter set under the same key and column name: chunks of the first one would not fit it.
  store.put('arrays', 'a', ColumnSet.create({ n: { kind: 'u8', length: 100, fill: 2 } }), store.get('arrays', 'a')!.version)
  const expected = snapshot(store)
  await store.close()
  store = SqliteStore.open(path)
  t.same(snapshot(store), expected)
  await store.close()
})

t.test('a torn last frame of the redo log (a kill in the middle of its write) is cut off; the commits before it stay', async (t) => {
  const path = freshPath()
  const store = SqliteStore.open(path)
  store.put('jobs', 'a', { n: 1 }, 0)
  store.put('jobs', 'b', { n: 2 }, 0)
  const expected = snapshot(store)
  // The files as a kill would leave them, plus half a frame: a header announcing 1,000 bytes, 10 of them written.
  const crashed = join(root, 'torn.db')
  copyFileSync(path, crashed)
  for (const suffix of ['-wal', '-redo']) if (existsSync(`${path}${suffix}`)) copyFileSync(`${path}${suffix}`, `${crashed}${suffix}`)
  await store.close()
  const whole = statSync(`${crashed}-redo`).size
  t.ok(whole > 0, 'the commits are frames of the redo log')
  const torn = Buffer.alloc(26)
  torn.writeUInt32LE(1000, 0)
  appendFileSync(`${crashed}-redo`, torn)
  const reopened = SqliteStore.open(crashed)
  t.same(snapshot(reopened), expected, 'every whole frame replayed')
  reopened.put('jobs', 'c', { n: 3 }, 0)
  const after = snapshot(reopened)
  await reopened.close()
  const again = SqliteStore.open(crashed)
  t.same(snapshot(again), after, 'and a commit after the cut is kept')
  await again.close()
})

t.test('values come back exactly, and a value the disk cannot hold is refused with the whole transaction', async (t) => {
  const path = freshPath()
  let store = SqliteStore.open(path)
  const value = { at: new Date(1767225600123), bytes: new Uint8Array([0, 255, 7]), list: [1, undefined, NaN, -0, Infinity], map: new Map([['a', 1]]), big: 12n, missing: undefined, nested: { deep: [{ x: 'y' }] } }
  store.put('jobs', 'exact', value, 0)
  const before = store.revision
  t.throws(() => store.transaction((tx) => {
    tx.put('jobs', 'fine', { ok: true }, 0)
    tx.put('jobs', 'bad', { callback: () => 1 }, 0)
  }), coded('InvalidArgument', 'StoreInvalidValue', 'value'))
  t.equal(store.get('jobs', 'fine'), undefined, 'nothing of the refused transaction is kept, in memory either')
  t.equal(store.revision, before)
  await store.close()
  store = SqliteStore.open(path)
  const back = store.get<typeof value>('jobs', 'exact')!.value
  t.same(back, value)
  t.ok(back.at instanceof Date && back.bytes instanceof Uint8Array && back.map instanceof Map, 'Date, Uint8Array and Map stay what they were')
  t.ok(Object.is(back.list[3], -0) && Number.isNaN(back.list[2]) && 1 in back.list && 'missing' in back, 'NaN, -0, undefined in arrays and properties too')
  t.ok(Object.isFrozen(back), 'frozen as every stored value is')
  t.equal(store.get('jobs', 'bad'), undefined)
  await store.close()
})

t.test('versions and outbox seqs never go back across reopen; entries not acknowledged are pending again', async (t) => {
  const path = freshPath()
  let store = SqliteStore.open(path)
  const v1 = store.put('jobs', 'j', { n: 1 }, 0)
  store.delete('jobs', 'j')
  store.transaction((tx) => { tx.emit('e', { n: 1 }); tx.emit('e', { n: 2 }) })
  store.transaction((tx) => tx.emit('e', { n: 3 }))
  store.outbox.ack(1)
  const revision = store.revision
  await store.close()

  store = SqliteStore.open(path)
  t.equal(store.revision, revision, 'the revision is kept')
  t.same(store.outbox.pending().map((e) => [e.seq, e.payload]), [[2, { n: 2 }], [3, { n: 3 }]], 'committed and not acknowledged: pending again, in seq order')
  const v2 = store.put('jobs', 'j', { n: 2 }, 0)
  t.ok(v2 > revision && v2 > v1, `a record deleted and created again after reopen gets a new version (${v1} then ${v2})`)
  store.outbox.ack(3)
  await store.close()

  store = SqliteStore.open(path)
  t.same(store.outbox.pending(), [], 'acknowledged entries are not returned')
  store.transaction((tx) => tx.emit('e', { n: 4 }))
  t.same(store.outbox.pending().map((e) => e.seq), [4], 'the seq goes on from the highest ever given, though the outbox was empty')
  await store.close()
})

t.test('a file of a newer schema version is refused and not modified', async (t) => {
  const path = freshPath()
  const store = SqliteStore.open(path)
  store.put('jobs', 'j', { n: 1 }, 0)
  await store.close()
  const raw = new Database(path)
  raw.pragma(`user_version = ${SqliteStore.schemaVersion + 98}`)
  raw.close()
  const bytes = readFileSync(path)
  const mtime = statSync(path).mtimeMs
  const error = (() => {
    try {
      SqliteStore.open(path)
    } catch (error) {
      return error as Error & { code?: string; kind?: string }
    }
  })()
  t.match(error, { kind: 'Unavailable', code: 'StoreSchemaTooNew', field: 'dataDir' })
  t.match(error?.message, new RegExp(`schema version ${SqliteStore.schemaVersion + 98}.*version ${SqliteStore.schemaVersion}`), 'the message names both versions')
  t.ok(readFileSync(path).equals(bytes), 'the file has the same bytes')
  t.equal(statSync(path).mtimeMs, mtime, 'and the same mtime')
})

t.test('a second store on an open file is refused (StoreLocked); once closed, it opens', async (t) => {
  const path = freshPath()
  const first = SqliteStore.open(path)
  first.put('jobs', 'j', { n: 1 }, 0)
  t.throws(() => SqliteStore.open(path, { lockTimeoutMs: 0 }), coded('Unavailable', 'StoreLocked', 'dataDir'))
  t.throws(() => SqliteStore.open(path, { synchronous: 'sometimes' as 'full' }), coded('InvalidArgument', 'StoreInvalidOption', 'synchronous'))
  await first.close()
  const second = SqliteStore.open(path, { synchronous: 'full' })
  t.same(second.get('jobs', 'j')?.value, { n: 1 })
  await second.close()
})

t.test('a commit the disk refuses (file size limit standing in for a full disk) is undone and reported, never a false success', async (t) => {
  const path = freshPath()
  await SqliteStore.open(path).close()
  const child = spawn('sh', ['-c', `ulimit -f 256 && exec "${process.execPath}" --import=tsx "${FULL_DISK_CHILD}" "${path}"`], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk) => (out += chunk))
  child.stderr.on('data', (chunk) => (err += chunk))
  const code = await new Promise((resolve) => child.once('exit', resolve))
  t.equal(code, 0, `the child ran to its end ${err}`)
  const said = JSON.parse(out) as { last: number; code: string; kind: string; kept: boolean; count: number; revision: number }
  t.ok(said.last > 10, `${said.last} commits fit under the limit`)
  t.match(said, { code: 'StoreWriteFailed', kind: 'Unavailable', kept: false, count: said.last }, 'the refused commit is undone in memory: the caller was told, nothing of it is visible')
  const store = SqliteStore.open(path)
  t.equal(store.count('records'), said.last, 'reopened: every commit that returned, none that threw')
  t.equal(store.revision, said.revision)
  store.put('records', 'after', { ok: true }, 0)
  t.ok(store.get('records', 'after'), 'and the store takes commits again')
  await store.close()
})

t.test('a close whose final fold the disk refuses still releases the file, and loses nothing', async (t) => {
  const path = freshPath()
  await SqliteStore.open(path).close()
  // 50 frames of ~1.6 KB fit in the 128 KiB the limit allows a file; their fold into the tables (a page each) does not.
  const child = spawn('sh', ['-c', `ulimit -f 256 && exec "${process.execPath}" --import=tsx "${CLOSE_FULL_DISK_CHILD}" "${path}" 50`], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk) => (out += chunk))
  child.stderr.on('data', (chunk) => (err += chunk))
  const code = await new Promise((resolve) => child.once('exit', resolve))
  t.equal(code, 0, `the child ran to its end ${err}`)
  const said = JSON.parse(out) as { closed: string; folds: number }
  t.equal(said.closed, 'closed', 'close() resolves')
  t.ok(said.folds >= 1, 'the failed fold is reported on stratus:store:fold-error')
  const store = SqliteStore.open(path) // StoreLocked if the lock had been kept
  t.equal(store.count('records'), 50, 'reopened: every commit, replayed from the redo log')
  await store.close()
})

// --- SIGKILL in the middle of transactions --------------------------------------------

const CHILD = join(fileURLToPath(import.meta.url), '..', 'fixtures', 'sqlite-kill-child.ts')
const RECORDS = 5 // as the child writes them
const SIZE = 10_000

/** Starts the writer on path, SIGKILLs it after `after` ms of commits; resolves with the last commit it reported. */
function killWriterAfter(path: string, after: number, synchronous: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', CHILD, path, synchronous], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    let reported = 0
    let timer: NodeJS.Timeout | undefined
    child.stdout.on('data', (chunk) => {
      out += chunk
      const lines = out.split('\n')
      out = lines.pop()!
      if (lines.length > 0) reported = Number(lines[lines.length - 1].split(' ')[1])
      timer ??= setTimeout(() => child.kill('SIGKILL'), after)
    })
    child.stderr.on('data', (chunk) => (err += chunk))
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (signal === 'SIGKILL') resolve(reported)
      else reject(new Error(`the writer exited ${code} ${signal}: ${err}`))
    })
  })
}

/** Checks that the store holds exactly the first `txn` transactions of the child, whole. */
function checkWhole(t: Test, store: Store): number {
  const txn = store.get<{ txn: number }>('records', 'r0')?.value.txn ?? 0
  const records = Array.from({ length: RECORDS }, (_, r) => store.get<{ txn: number }>('records', `r${r}`)?.value.txn)
  t.same(records, Array(RECORDS).fill(txn), `every record of transaction ${txn}, none of a later one`)
  t.equal(store.get('records', 'toggle') !== undefined, txn % 2 === 1, 'the create or delete of that transaction')
  t.equal(store.get('records', 'undone'), undefined, 'no undone savepoint')
  const set = store.get<ColumnSet>('arrays', 'a')!.value
  const state = new Uint8Array(SIZE)
  const sparse = new Map<number, unknown>()
  for (let i = 1; i <= txn; i++) {
    state[(i * 7919) % SIZE] = i % 250
    sparse.set((i * 31) % SIZE, { txn: i })
  }
  t.ok(Buffer.from(set.column('state') as Uint8Array).equals(Buffer.from(state)), 'every cell of every transaction up to it, in every chunk')
  t.same([set.column('last')[0], set.column('last')[1], set.column('last')[SIZE - 1]], [txn, 0, txn], 'cells in the first and last chunks agree')
  t.same(new Map(set.sparseEntries()), sparse, 'sparse entries too')
  const pending = store.outbox.pending()
  t.ok(pending.every((e, i) => e.seq === (e.payload as { txn: number }).txn && (i === 0 || e.seq === pending[i - 1].seq + 1)), 'pending outbox entries are whole and contiguous')
  if (txn > 0) t.equal(pending[pending.length - 1]?.seq, txn, 'the last pending entry is the last transaction\'s')
  return txn
}

t.test('SIGKILL at random points: every transaction whole or absent, every acknowledged commit kept', async (t) => {
  const path = freshPath()
  const next = random(7)
  let last = 0
  for (let round = 0; round < 5; round++) {
    const synchronous = round === 4 ? 'full' : 'normal'
    const reported = await killWriterAfter(path, Math.floor(next() * 150), synchronous)
    const store = SqliteStore.open(path)
    const txn = checkWhole(t, store)
    t.ok(txn >= reported, `round ${round} (${synchronous}): transaction ${txn} on disk, ${reported} reported committed before the kill`)
    t.ok(txn > last, 'the writer went on from where the previous one was killed')
    last = txn
    await store.close()
  }
})
