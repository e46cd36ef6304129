// The WorkQueue that drives every controller: keys are deduplicated and a
// burst of adds costs one reconcile per key per turn; addAfter waits on the
// engine's clock; a store conflict is retried (and nothing is lost); other
// failures back off on the clock; the manual clock waits for the queue.
import t from 'tap'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { againAfter, done, WorkQueue, type Reconciler } from '../../../runtime/controller/index.js'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { ConflictError } from '../../../runtime/errors.js'

function recorder(fn: (key: string) => ReturnType<Reconciler['reconcile']> = () => done) {
  const seen: string[] = []
  const reconciler: Reconciler = {
    reconcile(key) {
      seen.push(key)
      return fn(key)
    }
  }
  return { seen, reconciler }
}

t.test('a key added many times in a turn is reconciled once', async (t) => {
  const clock = new ManualClock(0)
  const { seen, reconciler } = recorder()
  const queue = new WorkQueue({ name: 'q', clock, reconciler })
  for (let i = 0; i < 100; i++) {
    queue.add('a')
    queue.add('b')
  }
  t.equal(queue.length, 2, 'two keys wait')
  t.same(seen, [], 'nothing runs before the next turn')
  await clock.settle()
  t.same(seen, ['a', 'b'])
  t.equal(queue.stats.reconciles, 2)
  queue.close()
})

t.test('a key added while it is being reconciled runs again on the next turn, never twice at once', async (t) => {
  const clock = new ManualClock(0)
  let running = 0
  let most = 0
  let rounds = 0
  const queue: WorkQueue = new WorkQueue({
    name: 'q', clock, reconciler: {
      async reconcile() {
        running++
        most = Math.max(most, running)
        if (rounds++ < 3) queue.add('k')
        await new Promise((resolve) => setTimeout(resolve, 5))
        running--
        return done
      }
    }
  })
  queue.add('k')
  await clock.settle()
  t.equal(rounds, 4, 'the three re-adds each ran once more')
  t.equal(most, 1, 'one reconcile of a key at a time')
  queue.close()
})

t.test('addAfter waits on the engine clock; the earliest request for a key wins', async (t) => {
  const clock = new ManualClock(0)
  const { seen, reconciler } = recorder()
  const queue = new WorkQueue({ name: 'q', clock, reconciler })
  queue.addAfter('late', 5000)
  queue.addAfter('late', 9000)
  queue.addAfter('soon', 1000)
  await clock.advance(999)
  t.same(seen, [])
  await clock.advance(1)
  t.same(seen, ['soon'])
  await clock.advance(4000)
  t.same(seen, ['soon', 'late'])
  await clock.advance(10_000)
  t.same(seen, ['soon', 'late'], 'the later request for late was folded into the earlier one')
  queue.close()
})

t.test('againAfter(ms) brings the key back after ms of clock time', async (t) => {
  const clock = new ManualClock(0)
  let left = 3
  const { seen, reconciler } = recorder(() => (--left > 0 ? againAfter(60_000) : done))
  const queue = new WorkQueue({ name: 'q', clock, reconciler })
  queue.add('poll')
  await clock.settle()
  t.equal(seen.length, 1)
  await clock.advance(60_000)
  t.equal(seen.length, 2)
  await clock.advance(60_000)
  t.equal(seen.length, 3)
  await clock.advance(600_000)
  t.equal(seen.length, 3, 'done: not again')
  queue.close()
})

t.test('a compare-and-set conflict surfaces as a retry, not a lost update', async (t) => {
  // A controller reads a record, and another writer changes it before the controller writes back
  // with the version it read: the store refuses the stale write, the queue runs the controller again,
  // and it applies its change on top of the other writer's. Both changes are kept.
  const clock = new ManualClock(0)
  const store = new MemoryStore()
  store.put('things', 'x', { counter: 0, label: 'first' }, 0)
  let interfere = true
  const queue = new WorkQueue({
    name: 'q', clock, reconciler: {
      reconcile(key) {
        const read = store.get<{ counter: number; label: string }>('things', key)!
        if (interfere) {
          interfere = false
          // Someone else's write lands between the controller's read and its write.
          store.put('things', key, { ...read.value, label: 'renamed by someone else' }, read.version)
        }
        store.put('things', key, { ...read.value, counter: read.value.counter + 1 }, read.version)
        return done
      }
    }
  })
  queue.add('x')
  await clock.settle()
  t.equal(queue.stats.conflicts, 1, 'the first attempt conflicted')
  t.equal(queue.stats.reconciles, 2, 'and was retried')
  t.same(store.get('things', 'x')!.value, { counter: 1, label: 'renamed by someone else' }, 'neither update is lost')
  queue.close()
  await store.close()
})

t.test('a reconcile that fails backs off on the clock, doubling, and its error is published', async (t) => {
  const clock = new ManualClock(0)
  const at: number[] = []
  const { reconciler } = recorder(() => {
    at.push(clock.now())
    if (at.length < 4) throw new Error('not yet')
    return done
  })
  const { subscribe, unsubscribe } = await import('node:diagnostics_channel')
  const errors: unknown[] = []
  const onError = (message: unknown) => errors.push(message)
  subscribe('stratus:controller:error', onError)
  const queue = new WorkQueue({ name: 'flaky', clock, reconciler, backoff: { baseMs: 100, maxMs: 1000 } })
  queue.add('k')
  await clock.advance(10_000)
  unsubscribe('stratus:controller:error', onError)
  t.same(at, [0, 100, 300, 700], 'retried after 100, 200 and 400 ms')
  t.equal(errors.length, 3)
  t.match(errors[0], { queue: 'flaky', key: 'k', error: { message: 'not yet' } })
  queue.close()
})

t.test('conflicts are not errors: they are counted, not published', async (t) => {
  const clock = new ManualClock(0)
  let first = true
  const { reconciler } = recorder(() => {
    if (first) {
      first = false
      throw new ConflictError('StoreVersionConflict', 'moved')
    }
    return done
  })
  const queue = new WorkQueue({ name: 'q', clock, reconciler })
  queue.add('k')
  await clock.settle()
  t.same(queue.stats, { turns: 2, reconciles: 2, conflicts: 1, errors: 0 })
  queue.close()
})

t.test('keys of a turn run in the order the queue is told', async (t) => {
  const clock = new ManualClock(0)
  const { seen, reconciler } = recorder()
  const queue = new WorkQueue({ name: 'q', clock, reconciler, sort: (keys) => keys.sort() })
  for (const k of ['c', 'a', 'b']) queue.add(k)
  await clock.settle()
  t.same(seen, ['a', 'b', 'c'])
  queue.close()
})

t.test('the manual clock waits for the queue: advance() returns once its work is done', async (t) => {
  const clock = new ManualClock(0)
  const { seen, reconciler } = recorder((key) => {
    // Work that adds more work: a chain of turns.
    const n = Number(key)
    if (n < 5) queue.add(String(n + 1))
    return done
  })
  const queue: WorkQueue = new WorkQueue({ name: 'q', clock, reconciler })
  queue.add('0')
  t.equal(queue.busy, true)
  await clock.advance(0)
  t.same(seen, ['0', '1', '2', '3', '4', '5'])
  t.equal(queue.busy, false)
  queue.close()
})

t.test('forget() drops a key, its timer and its backoff; close() stops everything', async (t) => {
  const clock = new ManualClock(0)
  const { seen, reconciler } = recorder()
  const queue = new WorkQueue({ name: 'q', clock, reconciler })
  queue.addAfter('gone', 1000)
  queue.add('also-gone')
  queue.forget('gone')
  queue.forget('also-gone')
  await clock.advance(5000)
  t.same(seen, [])
  queue.close()
  queue.add('after-close')
  await clock.advance(5000)
  t.same(seen, [], 'a closed queue runs nothing')
})
