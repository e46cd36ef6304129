// Store conformance, part of storeConformance (conformance.ts): scans, paging, indexes, count.
import type { Test } from 'tap'
import type { Store } from '../../../runtime/store/index.js'
import { coded, snapshot, type FreshStore } from './conformance.js'

/** A deterministic shuffle (the suite must give the same run every time). */
function shuffled<T>(items: T[], seed = 7): T[] {
  const out = [...items]
  let s = seed
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648
    const j = s % (i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

const keysOf = (store: Store, collection: string, options?: Parameters<Store['scan']>[1]) => store.scan(collection, options).map((r) => r.key)

/** Every record of a scan, by pages of `size` chained with after. */
function paged(store: Store, collection: string, size: number, options: Parameters<Store['scan']>[1] = {}): string[] {
  const seen: string[] = []
  let after: string | undefined
  for (;;) {
    const page = store.scan(collection, { ...options, after, limit: size })
    seen.push(...page.map((r) => r.key))
    if (page.length < size) return seen
    after = page[page.length - 1].key
  }
}

export function scanConformance(t: Test, fresh: FreshStore): void {
  t.test('scans return records by key, ascending, in JavaScript string order', async (t) => {
    const store = await fresh(t)
    const keys = ['b', 'a', 'B', '10', '9', 'a/b', 'a-b', 'é', 'Z', 'ab', 'a/a']
    for (const k of keys) store.put('jobs', k, { k }, 0)
    t.same(keysOf(store, 'jobs'), [...keys].sort())
    t.same(store.scan('jobs').map((r) => (r.value as { k: string }).k), [...keys].sort(), 'each key with its own value')
    t.same(keysOf(store, 'other'), [], 'another collection is separate')
  })

  t.test('prefix, after and limit narrow a scan', async (t) => {
    const store = await fresh(t)
    for (const k of shuffled(['m', 'q1/j1', 'q1/j2', 'q1/j3', 'q2/j1', 'q10/j1', 'r'])) store.put('jobs', k, {}, 0)
    t.same(keysOf(store, 'jobs', { prefix: 'q1/' }), ['q1/j1', 'q1/j2', 'q1/j3'])
    t.same(keysOf(store, 'jobs', { prefix: 'q1' }), ['q1/j1', 'q1/j2', 'q1/j3', 'q10/j1'])
    t.same(keysOf(store, 'jobs', { prefix: 'nothing' }), [])
    t.same(keysOf(store, 'jobs', { prefix: '' }), keysOf(store, 'jobs'), 'an empty prefix is everything')
    t.same(keysOf(store, 'jobs', { after: 'q1/j3' }), ['q10/j1', 'q2/j1', 'r'], 'after is exclusive')
    t.same(keysOf(store, 'jobs', { after: 'q1/j25' }), ['q1/j3', 'q10/j1', 'q2/j1', 'r'], 'after need not be a key')
    t.same(keysOf(store, 'jobs', { after: 'r' }), [])
    t.same(keysOf(store, 'jobs', { prefix: 'q1/', after: 'q1/j1' }), ['q1/j2', 'q1/j3'])
    t.same(keysOf(store, 'jobs', { prefix: 'q1/', after: 'a' }), ['q1/j1', 'q1/j2', 'q1/j3'], 'after before the prefix')
    t.same(keysOf(store, 'jobs', { prefix: 'q1/', after: 'q2' }), [], 'after beyond the prefix')
    t.same(keysOf(store, 'jobs', { limit: 2 }), ['m', 'q1/j1'])
    t.same(keysOf(store, 'jobs', { prefix: 'q', after: 'q1/j2', limit: 2 }), ['q1/j3', 'q10/j1'])
    t.same(keysOf(store, 'jobs', { limit: 100 }).length, 7)
  })

  t.test('paging with after + limit returns every record exactly once, while records are written between pages', async (t) => {
    const store = await fresh(t)
    const all = Array.from({ length: 3000 }, (_, i) => `job-${String((i * 7919) % 100000).padStart(5, '0')}`)
    store.transaction((tx) => { for (const k of shuffled(all)) tx.put('jobs', k, { status: Number(k.slice(4)) % 3 === 0 ? 'RUNNING' : 'RUNNABLE' }, 0) })
    const sorted = [...all].sort()
    for (const size of [1, 7, 512, 1000, 5000]) t.same(paged(store, 'jobs', size), sorted, `pages of ${size}`)
    t.same(paged(store, 'jobs', 13, { prefix: 'job-1' }), sorted.filter((k) => k.startsWith('job-1')), 'with a prefix')

    // Updates between pages do not move a record; new keys after the cursor show up once.
    const seen: string[] = []
    let after: string | undefined
    let round = 0
    for (;;) {
      const page = store.scan('jobs', { after, limit: 50 })
      seen.push(...page.map((r) => r.key))
      if (page.length < 50) break
      after = page[page.length - 1].key
      const r = store.get('jobs', after)!
      store.put('jobs', after, { status: 'SUCCEEDED' }, r.version)
      store.put('jobs', `job-~${String(round++).padStart(4, '0')}`, { status: 'RUNNABLE' }, 0)
    }
    t.equal(new Set(seen).size, seen.length, 'no record twice')
    t.same(seen, keysOf(store, 'jobs'), 'every record, the ones added past the cursor included')
  })

  t.test('scans stay in order across many inserts and deletes interleaved with scans', async (t) => {
    const store = await fresh(t)
    const model = new Set<string>()
    const keys = shuffled(Array.from({ length: 20000 }, (_, i) => `k${(i * 104729) % 1000003}`), 11)
    let checks = 0
    for (let round = 0; round < 20; round++) {
      store.transaction((tx) => {
        for (const k of keys.slice(round * 1000, round * 1000 + 1000)) {
          tx.put('big', k, { round }, 0)
          model.add(k)
        }
        // Delete a tenth of what is there, spread over the key space.
        let i = 0
        for (const k of [...model]) {
          if (i++ % 10 === round % 10) {
            tx.delete('big', k)
            model.delete(k)
          }
        }
      })
      const expected = [...model].sort()
      const first = expected[Math.floor(expected.length / 2)]
      t.same(keysOf(store, 'big', { after: first, limit: 25 }), expected.filter((k) => k > first).slice(0, 25))
      checks++
    }
    t.same(keysOf(store, 'big'), [...model].sort(), `whole scan matches after ${checks} rounds`)
    t.equal(store.count('big'), model.size)
    t.equal(store.count('big', { prefix: 'k1' }), [...model].filter((k) => k.startsWith('k1')).length)

    // Runs of neighbouring keys deleted (whole stretches of the key space emptied), then refilled.
    let sorted = [...model].sort()
    for (const [at, run] of [[0.1, 700], [0.3, 130], [0.5, 2000], [0.52, 40], [0.8, 1], [0.9, 450]] as const) {
      const start = Math.floor(sorted.length * at)
      const doomed = sorted.slice(start, start + run)
      store.transaction((tx) => { for (const k of doomed) tx.delete('big', k) })
      sorted = [...sorted.slice(0, start), ...sorted.slice(start + run)]
      t.same(keysOf(store, 'big'), sorted, `after deleting ${run} neighbours at ${at}`)
    }
    const refill = sorted.filter((_, i) => i % 2 === 0).map((k) => `${k}+`)
    store.transaction((tx) => { for (const k of refill) tx.put('big', k, {}, 0) })
    sorted = [...sorted, ...refill].sort()
    t.same(keysOf(store, 'big'), sorted, 'refilled')
    t.same(paged(store, 'big', 333), sorted)
  })

  t.test('random inserts and runs of neighbouring deletes keep scans in order (against a model)', async (t) => {
    const store = await fresh(t)
    let seed = 3
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    let model: string[] = []
    let wrong = 0
    for (let round = 0; round < 40; round++) {
      store.transaction((tx) => {
        for (let i = 0; i < 1200; i++) {
          const k = `k${rand(1000000)}`
          if (tx.get('big', k) === undefined) {
            tx.put('big', k, {}, 0)
            model.push(k)
          }
        }
      })
      model.sort()
      for (let r = 0; r < 3; r++) {
        const start = rand(model.length)
        const doomed = model.slice(start, start + 1 + rand(600))
        store.transaction((tx) => { for (const k of r % 2 ? [...doomed].reverse() : doomed) tx.delete('big', k) })
        model = [...model.slice(0, start), ...model.slice(start + doomed.length)]
      }
      const got = keysOf(store, 'big')
      if (got.length !== model.length || got.some((k, i) => k !== model[i])) wrong++
    }
    t.equal(wrong, 0, `every round's scan matched the model (${model.length} keys at the end)`)
    t.same(paged(store, 'big', 97), model)
  })

  t.test('indexes: existing records indexed at once, several values, moves on update, removal on delete', async (t) => {
    const store = await fresh(t)
    type Job = { status: string; dependsOn?: string[]; hidden?: boolean }
    store.put<Job>('jobs', 'j1', { status: 'SUBMITTED' }, 0)
    store.put<Job>('jobs', 'j2', { status: 'RUNNABLE', dependsOn: ['j1'] }, 0)
    store.defineIndex<Job>('jobs', 'status', (j) => (j.hidden ? undefined : j.status))
    store.defineIndex<Job>('jobs', 'dependsOn', (j) => j.dependsOn ?? [])
    const by = (name: string, value: string) => keysOf(store, 'jobs', { index: { name, value } })
    t.same(by('status', 'SUBMITTED'), ['j1'], 'a record put before the index was defined')
    t.same(by('dependsOn', 'j1'), ['j2'])

    store.put<Job>('jobs', 'j3', { status: 'RUNNABLE', dependsOn: ['j1', 'j2', 'j1'] }, 0)
    t.same(by('dependsOn', 'j1'), ['j2', 'j3'], 'found under each of its values (duplicates once)')
    t.same(by('dependsOn', 'j2'), ['j3'])
    t.equal(store.count('jobs', { index: { name: 'dependsOn', value: 'j1' } }), 2)

    const v2 = store.get('jobs', 'j2')!.version
    store.put<Job>('jobs', 'j2', { status: 'RUNNING', dependsOn: [] }, v2)
    t.same(by('status', 'RUNNABLE'), ['j3'], 'an update moves the record out of its old value')
    t.same(by('status', 'RUNNING'), ['j2'], '…and into its new one')
    t.same(by('dependsOn', 'j1'), ['j3'])

    store.put<Job>('jobs', 'j1', { status: 'SUBMITTED', hidden: true }, store.get('jobs', 'j1')!.version)
    t.same(by('status', 'SUBMITTED'), [], 'undefined: not indexed')
    store.delete('jobs', 'j3')
    t.same(by('dependsOn', 'j1'), [], 'a delete removes the record from its index values')
    t.same(by('dependsOn', 'j2'), [])
    t.same(by('status', 'nothing-there'), [])

    // Index scans page and narrow like key scans.
    for (let i = 0; i < 30; i++) store.put<Job>('jobs', `r${String(i).padStart(2, '0')}`, { status: 'RUNNABLE' }, 0)
    t.same(keysOf(store, 'jobs', { index: { name: 'status', value: 'RUNNABLE' }, after: 'r10', limit: 3 }), ['r11', 'r12', 'r13'])
    t.same(keysOf(store, 'jobs', { index: { name: 'status', value: 'RUNNABLE' }, prefix: 'r2' }).length, 10)
    t.equal(store.count('jobs', { index: { name: 'status', value: 'RUNNABLE' }, prefix: 'r2' }), 10)
    t.same(paged(store, 'jobs', 4, { index: { name: 'status', value: 'RUNNABLE' } }), by('status', 'RUNNABLE'))

    store.defineIndex<Job>('jobs', 'status', (j) => j.status.toLowerCase())
    t.same(by('status', 'RUNNING'), [], 'defining an index again replaces it')
    t.same(by('status', 'running'), ['j2'])
  })

  t.test('an index function that throws or returns a non-string refuses the write and changes nothing', async (t) => {
    const store = await fresh(t)
    store.defineIndex<{ status: unknown }>('jobs', 'status', (j) => {
      if (j.status === 'THROW') throw new Error('index says no')
      return j.status as string
    })
    store.put('jobs', 'j1', { status: 'RUNNING' }, 0)
    const before = snapshot(store)
    t.throws(() => store.put('jobs', 'j1', { status: 42 }, store.get('jobs', 'j1')!.version), coded('InvalidArgument', 'StoreInvalidIndexValue'))
    t.throws(() => store.put('jobs', 'j2', { status: ['ok', 3] }, 0), coded('InvalidArgument', 'StoreInvalidIndexValue'))
    t.throws(() => store.put('jobs', 'j1', { status: 'THROW' }, store.get('jobs', 'j1')!.version), /index says no/)
    store.transaction((tx) => {
      t.throws(() => tx.put('jobs', 'j1', { status: 'THROW' }, tx.get('jobs', 'j1')!.version), /index says no/)
      t.throws(() => tx.put('jobs', 'j3', { status: 'THROW' }, 0), /index says no/)
      t.same(tx.get('jobs', 'j1')?.value, { status: 'RUNNING' }, 'caught inside a transaction: the write is not half-applied')
    })
    t.same(snapshot(store), before)
    t.equal(store.get('jobs', 'j3'), undefined)
    t.same(keysOf(store, 'jobs', { index: { name: 'status', value: 'RUNNING' } }), ['j1'])
    t.throws(() => store.defineIndex('jobs', 'bad', () => 5 as unknown as string), coded('InvalidArgument', 'StoreInvalidIndexValue'))
    t.throws(() => store.scan('jobs', { index: { name: 'bad', value: '5' } }), coded('InvalidArgument', 'StoreUnknownIndex'), 'a refused definition is not installed')
  })

  t.test('count: a collection, a prefix, an index value', async (t) => {
    const store = await fresh(t)
    store.defineIndex<{ q: string }>('jobs', 'queue', (j) => j.q)
    for (let i = 0; i < 25; i++) store.put('jobs', `${i % 2 ? 'odd' : 'even'}-${i}`, { q: `q${i % 5}` }, 0)
    t.equal(store.count('jobs'), 25)
    t.equal(store.count('jobs', { prefix: 'odd-' }), 12)
    t.equal(store.count('jobs', { prefix: 'none' }), 0)
    t.equal(store.count('jobs', { index: { name: 'queue', value: 'q0' } }), 5)
    t.equal(store.count('jobs', { index: { name: 'queue', value: 'q9' } }), 0)
    t.equal(store.count('nothing'), 0)
    t.equal(store.count('jobs', { prefix: 'even', index: { name: 'queue', value: 'q0' } }), keysOf(store, 'jobs', { prefix: 'even', index: { name: 'queue', value: 'q0' } }).length)
  })
}
