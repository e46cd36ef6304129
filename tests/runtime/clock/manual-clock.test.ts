// The manual clock: time moves only on advance(); timers fire in order of due
// time, then of creation, each seeing now() equal to its due time; work a
// timer starts (promise reactions, busy components) settles before time moves
// on, so the timers it sets fire in the same advance.
import t from 'tap'
import { ManualClock, RealClock } from '../../../runtime/clock/clock.js'

const START = Date.UTC(2030, 0, 1)

t.test('time moves only on advance()', async (t) => {
  const clock = new ManualClock(START)
  t.equal(clock.now(), START)
  await new Promise((resolve) => setTimeout(resolve, 5))
  t.equal(clock.now(), START, 'real time passing does not move it')
  await clock.advance(1500)
  t.equal(clock.now(), START + 1500)
  await clock.advance(0)
  t.equal(clock.now(), START + 1500)
  await t.rejects(clock.advance(-1), RangeError)
  await t.rejects(clock.advance(Number.NaN), RangeError)
  t.equal(clock.kind, 'manual')
})

t.test('timers fire in order of due time, then creation, each at its due time', async (t) => {
  const clock = new ManualClock(START)
  const fired: Array<[string, number]> = []
  const at = (name: string, ms: number) => clock.setTimeout(() => fired.push([name, clock.now() - START]), ms)
  at('c', 300)
  at('a', 100)
  at('b1', 200)
  at('b2', 200)
  at('zero', 0)
  at('negative', -50)
  at('late', 1000)
  t.equal(clock.pending, 7)
  await clock.advance(300)
  t.same(fired, [['zero', 0], ['negative', 0], ['a', 100], ['b1', 200], ['b2', 200], ['c', 300]])
  t.equal(clock.pending, 1, 'the late one waits')
  t.equal(clock.now(), START + 300)
  await clock.advance(699)
  t.equal(fired.length, 6, 'not due yet')
  await clock.advance(1)
  t.same(fired.at(-1), ['late', 1000])
})

t.test('timers set by timers (or by their promise reactions) fire in the same advance when due', async (t) => {
  const clock = new ManualClock(START)
  const fired: number[] = []
  const chain = (left: number) => clock.setTimeout(() => {
    fired.push(clock.now() - START)
    // The next link is set from a promise reaction, as async engine code would.
    if (left > 0) void Promise.resolve().then(() => chain(left - 1))
  }, 10)
  chain(4)
  clock.setTimeout(() => {
    fired.push(-(clock.now() - START))
    clock.setTimeout(() => fired.push(clock.now() - START), 0)
  }, 25)
  await clock.advance(45)
  t.same(fired, [10, 20, -25, 25, 30, 40], 'each link at its own due time, interleaved by time')
  await clock.advance(5)
  t.same(fired.at(-1), 50, 'the last link')
})

t.test('cleared timers do not fire', async (t) => {
  const clock = new ManualClock(START)
  const fired: string[] = []
  const a = clock.setTimeout(() => fired.push('a'), 10)
  clock.setTimeout(() => fired.push('b'), 10)
  const c = clock.setTimeout(() => fired.push('c'), 20)
  clock.setTimeout(() => clock.clearTimeout(c), 15)
  clock.clearTimeout(a)
  clock.clearTimeout(undefined)
  t.equal(clock.pending, 3)
  await clock.advance(100)
  t.same(fired, ['b'])
  t.equal(clock.pending, 0)
})

t.test('sleep and runNext', async (t) => {
  const clock = new ManualClock(START)
  let woke = 0
  void clock.sleep(60_000).then(() => (woke = clock.now()))
  await clock.advance(59_999)
  t.equal(woke, 0)
  await clock.advance(1)
  t.equal(woke, START + 60_000)
  t.equal(await clock.runNext(), false, 'nothing due')
  const fired: number[] = []
  clock.setTimeout(() => fired.push(clock.now()), 5_000)
  clock.setTimeout(() => fired.push(clock.now()), 5_000)
  clock.setTimeout(() => fired.push(clock.now()), 9_000)
  t.equal(await clock.runNext(), true)
  t.same(fired, [START + 65_000, START + 65_000], 'everything due at that time')
  t.equal(clock.now(), START + 65_000)
})

t.test('advance() waits for busy components before it moves on', async (t) => {
  const clock = new ManualClock(START)
  let busy = true
  let asked = 0
  const remove = clock.addBusyProbe(() => {
    asked++
    return busy
  })
  const fired: number[] = []
  // A component that needs real time (I/O, a process starting) before it sets its timer.
  setTimeout(() => {
    clock.setTimeout(() => fired.push(clock.now() - START), 1_000)
    busy = false
  }, 30)
  await clock.advance(1_000)
  t.same(fired, [1_000], 'the timer it set after its work fired within this advance')
  t.ok(asked > 0)
  remove()
  const before = asked
  await clock.advance(1)
  t.equal(asked, before, 'a removed probe is no longer consulted')
})

t.test('many timers due at one instant: each one\'s promise reactions run before the next; the engine settles once', async (t) => {
  const clock = new ManualClock(START)
  let asked = 0
  clock.addBusyProbe(() => {
    asked++
    return false
  })
  const reacted: number[] = []
  let inOrder = true
  for (let i = 0; i < 1000; i++) {
    clock.setTimeout(() => {
      if (reacted.length !== i) inOrder = false
      void Promise.resolve().then(() => reacted.push(i))
    }, 60_000)
  }
  await clock.advance(60_000)
  t.equal(reacted.length, 1000)
  t.ok(inOrder, 'timer i saw the reaction of timer i-1')
  t.ok(asked < 100, `the engine was asked whether it is busy ${asked} times, not once per timer`)
})

t.test('concurrent advance() calls run one after the other: time never goes back', async (t) => {
  const clock = new ManualClock(START)
  const seen: number[] = []
  for (let ms = 1; ms <= 30; ms++) clock.setTimeout(() => seen.push(clock.now() - START), ms)
  await Promise.all([clock.advance(20), clock.advance(10)])
  t.equal(clock.now(), START + 30, 'both advances counted')
  t.same(seen, Array.from({ length: 30 }, (_, i) => i + 1), 'every timer once, in order')
  t.ok(seen.every((v, i) => i === 0 || v >= seen[i - 1]), 'now() never decreased')
})

t.test('the real clock follows Date.now and its timers fire', async (t) => {
  const clock = new RealClock()
  t.equal(clock.kind, 'real')
  const before = Date.now()
  t.ok(clock.now() >= before)
  let fired = false
  const keepAlive = setTimeout(() => {}, 1000)
  await new Promise<void>((resolve) => clock.setTimeout(() => {
    fired = true
    resolve()
  }, 5))
  clearTimeout(keepAlive)
  t.ok(fired)
  let cancelled = true
  clock.clearTimeout(clock.setTimeout(() => (cancelled = false), 1))
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.ok(cancelled, 'a cleared real timer does not fire')
})
