// Store conformance, part of storeConformance (conformance.ts): watch, afterCommit, the outbox.
import type { Test } from 'tap'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { Change } from '../../../runtime/store/index.js'
import type { FreshStore } from './conformance.js'

/** Messages published on a diagnostics channel while the test runs. */
function published(t: Test, name: string): unknown[] {
  const seen: unknown[] = []
  const onMessage = (message: unknown) => seen.push(message)
  subscribe(name, onMessage)
  t.teardown(() => { unsubscribe(name, onMessage) })
  return seen
}

const brief = (c: Change) => [c.key, c.value, c.version]

export function notifyConformance(t: Test, fresh: FreshStore): void {
  t.test('watch: after the commit, one change per key per transaction, with its final value and version', async (t) => {
    const store = await fresh(t)
    const changes: Change[] = []
    const stop = store.watch('jobs', (c) => changes.push(c))
    store.watch('queues', () => t.fail('another collection is not reported'))
    const version = store.transaction((tx) => {
      const v = tx.put('jobs', 'j1', { status: 'SUBMITTED' }, 0)
      tx.put('jobs', 'j1', { status: 'PENDING' }, v)
      tx.put('jobs', 'j1', { status: 'RUNNABLE' }, v)
      tx.put('jobs', 'j2', { status: 'SUBMITTED' }, 0)
      tx.put('jobs', 'tmp', {}, 0)
      tx.delete('jobs', 'tmp')
      tx.put('jobs', 'again', { life: 1 }, 0)
      tx.delete('jobs', 'again')
      tx.put('jobs', 'again', { life: 2 }, 0)
      t.equal(changes.length, 0, 'nothing before the commit')
      return v
    })
    t.same(changes.map(brief), [['j1', { status: 'RUNNABLE' }, version], ['j2', { status: 'SUBMITTED' }, version], ['tmp', undefined, 0], ['again', { life: 2 }, version]])
    t.ok(changes.every((c) => c.collection === 'jobs'))

    changes.length = 0
    store.delete('jobs', 'j2')
    t.same(changes.map(brief), [['j2', undefined, 0]], 'a delete: value undefined, version 0')

    changes.length = 0
    t.throws(() => store.transaction((tx) => {
      tx.put('jobs', 'undone', {}, 0)
      throw new Error('undo')
    }))
    t.throws(() => store.put('jobs', 'j1', {}, 0), { code: 'StoreVersionConflict' })
    store.transaction((tx) => {
      tx.put('jobs', 'outer', {}, 0)
      t.throws(() => store.transaction((sp) => {
        sp.put('jobs', 'inner', {}, 0)
        throw new Error('undo inner')
      }))
    })
    t.same(changes.map((c) => c.key), ['outer'], 'undone writes are never reported')

    changes.length = 0
    const v1 = store.put('jobs', 'a', { n: 1 }, 0)
    const v2 = store.put('jobs', 'b', { n: 2 }, 0)
    const v3 = store.put('jobs', 'a', { n: 3 }, v1)
    t.same(changes.map(brief), [['a', { n: 1 }, v1], ['b', { n: 2 }, v2], ['a', { n: 3 }, v3]], 'in commit order')
    stop()
    store.put('jobs', 'c', {}, 0)
    t.equal(changes.length, 3, 'a removed watcher hears nothing more')
  })

  t.test('a throwing watcher is isolated: the store and the other watchers go on', async (t) => {
    const store = await fresh(t)
    const errors = published(t, 'stratus:store:watch-error')
    const seen: string[] = []
    store.watch('jobs', () => { throw new Error('watcher failed') })
    store.watch('jobs', (c) => seen.push(c.key))
    const version = store.put('jobs', 'j1', {}, 0)
    t.equal(store.get('jobs', 'j1')?.version, version, 'the commit stands')
    t.same(seen, ['j1'])
    t.equal(errors.length, 1, 'the error is published on stratus:store:watch-error')
    t.match(errors[0], { collection: 'jobs', key: 'j1', error: { message: 'watcher failed' } })
    store.put('jobs', 'j2', {}, 0)
    t.same(seen, ['j1', 'j2'])
  })

  t.test('watchers may start transactions; every watcher still sees commits in commit order', async (t) => {
    const store = await fresh(t)
    const order: string[] = []
    store.watch<{ n: number }>('jobs', (c) => {
      if (c.key === 'j1' && c.value?.n === 1) store.put('jobs', 'echo', { n: 0 }, 0)
    })
    store.watch('jobs', (c) => order.push(c.key))
    store.put('jobs', 'j1', { n: 1 }, 0)
    t.same(order, ['j1', 'echo'], 'the commit made by a watcher is delivered after the one that caused it')
    t.equal(store.get('jobs', 'echo')?.version, store.revision)
  })

  t.test('afterCommit runs after the outermost commit, in order, never when undone', async (t) => {
    const store = await fresh(t)
    const errors = published(t, 'stratus:store:after-commit-error')
    const ran: string[] = []
    store.transaction((tx) => {
      tx.put('jobs', 'j1', { status: 'STARTING' }, 0)
      tx.afterCommit(() => {
        ran.push(`first sees ${JSON.stringify(store.get('jobs', 'j1')?.value)} at ${store.revision}`)
      })
      store.transaction((sp) => sp.afterCommit(() => ran.push('from a savepoint that returned')))
      t.throws(() => store.transaction((sp) => {
        sp.afterCommit(() => ran.push('from a savepoint that threw'))
        throw new Error('x')
      }))
      tx.afterCommit(() => { throw new Error('afterCommit failed') })
      tx.afterCommit(() => ran.push('last'))
      t.same(ran, [], 'not before the commit')
    })
    t.same(ran, [`first sees {"status":"STARTING"} at ${store.revision}`, 'from a savepoint that returned', 'last'])
    t.equal(errors.length, 1, 'a throwing callback is isolated and published')
    ran.length = 0
    t.throws(() => store.transaction((tx) => {
      tx.afterCommit(() => ran.push('undone'))
      throw new Error('undo')
    }))
    t.same(ran, [])
    const order: string[] = []
    store.watch('jobs', () => order.push('watch'))
    store.transaction((tx) => {
      tx.put('jobs', 'j2', {}, 0)
      tx.afterCommit(() => order.push('afterCommit'))
    })
    t.same(order, ['watch', 'afterCommit'], 'watchers first, then afterCommit callbacks')
  })

  t.test('the outbox: entries of committed transactions only, in seq order, until acknowledged', async (t) => {
    const store = await fresh(t)
    const commits: number[] = []
    const stop = store.outbox.onCommit(() => commits.push(store.outbox.pending().length))
    store.transaction((tx) => {
      tx.put('jobs', 'j1', { status: 'SUBMITTED' }, 0)
      tx.emit('job.state', { jobId: 'j1', status: 'SUBMITTED' })
      tx.emit('job.state', { jobId: 'j1', status: 'PENDING' })
      t.same(store.outbox.pending(), [], 'nothing pending before the commit')
    })
    t.same(commits, [2], 'onCommit after the commit, with the entries already pending')
    t.throws(() => store.transaction((tx) => {
      tx.emit('job.state', { jobId: 'j1', status: 'LOST' })
      throw new Error('undo')
    }))
    store.transaction((tx) => {
      tx.emit('job.state', { jobId: 'j1', status: 'RUNNABLE' })
      t.throws(() => store.transaction((sp) => {
        sp.emit('job.state', { jobId: 'j1', status: 'LOST IN A SAVEPOINT' })
        throw new Error('undo')
      }))
    })
    store.put('jobs', 'j2', {}, 0)
    t.same(commits, [2, 3], 'not told of commits that added nothing')

    const pending = store.outbox.pending()
    t.same(pending.map((e) => [e.topic, (e.payload as { status: string }).status]), [['job.state', 'SUBMITTED'], ['job.state', 'PENDING'], ['job.state', 'RUNNABLE']])
    t.ok(pending[0].seq < pending[1].seq && pending[1].seq < pending[2].seq, `seq increases: ${pending.map((e) => e.seq)}`)
    t.same(store.outbox.pending(2).map((e) => e.seq), pending.slice(0, 2).map((e) => e.seq))

    store.outbox.ack(pending[1].seq)
    t.same(store.outbox.pending().map((e) => e.seq), [pending[2].seq], 'acknowledged up to and including seq')
    store.outbox.ack(pending[0].seq)
    t.equal(store.outbox.pending().length, 1, 'acknowledging an older seq again changes nothing')

    // A consumer as the engine runs one: told after each commit, it drains and acknowledges.
    stop()
    const errors = published(t, 'stratus:store:outbox-listener-error')
    store.outbox.onCommit(() => { throw new Error('listener failed') })
    const delivered: unknown[] = []
    store.outbox.onCommit(() => {
      for (const entry of store.outbox.pending()) {
        delivered.push(entry.payload)
        store.outbox.ack(entry.seq)
      }
    })
    for (let i = 0; i < 5; i++) store.transaction((tx) => tx.emit('n', i))
    t.same(delivered, [{ jobId: 'j1', status: 'RUNNABLE' }, 0, 1, 2, 3, 4])
    t.same(store.outbox.pending(), [])
    store.transaction((tx) => tx.emit('n', 'x'))
    t.equal(delivered.length, 7)
    t.same(store.outbox.pending(), [])
    t.equal(errors.length, 6, 'a throwing listener is isolated, its errors published')
  })

  t.test('many outbox entries: each delivered once, seq increasing across acknowledgements', async (t) => {
    const store = await fresh(t)
    const seqs: number[] = []
    const drain = (limit: number) => {
      const page = store.outbox.pending(limit)
      seqs.push(...page.map((e) => e.seq))
      if (page.length > 0) store.outbox.ack(page[page.length - 1].seq)
      return page.length
    }
    for (let round = 0; round < 30; round++) {
      store.transaction((tx) => { for (let i = 0; i < 100; i++) tx.emit('bulk', { round, i }) })
      drain(70)
    }
    while (drain(500) > 0);
    t.equal(seqs.length, 3000, 'every entry delivered once')
    t.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), 'in increasing seq order')
  })
}
