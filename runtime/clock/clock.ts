// Time for the engine. No controller reads Date.now() or calls setTimeout
// directly: they ask a Clock, so tests can run a day of timeouts, retries and
// purges in milliseconds with a ManualClock.

export interface TimerHandle {
  readonly due: number
}

export interface Clock {
  readonly kind: 'real' | 'manual'
  /** Milliseconds since the epoch. */
  now(): number
  /** Runs fn once, ms from now (on this clock). Timers never keep the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle | undefined): void
  /** Resolves ms from now (on this clock). */
  sleep(ms: number): Promise<void>
}

class RealTimer implements TimerHandle {
  constructor(readonly due: number, readonly timer: NodeJS.Timeout) {}
}

export class RealClock implements Clock {
  readonly kind = 'real' as const

  now(): number {
    return Date.now()
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = Math.max(0, Math.min(ms, 0x7fffffff))
    const timer = setTimeout(fn, delay)
    timer.unref()
    return new RealTimer(Date.now() + delay, timer)
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle instanceof RealTimer) clearTimeout(handle.timer)
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms))
  }
}

class ManualTimer implements TimerHandle {
  cancelled = false
  constructor(readonly due: number, readonly seq: number, readonly fn: () => void) {}
}

/**
 * A clock that moves only when told. advance(ms) fires due timers in order of
 * due time (then creation), each seeing now() equal to its due time, and lets
 * promise reactions and I/O callbacks run between timers so that work a timer
 * starts can schedule the next one before time moves on.
 */
export class ManualClock implements Clock {
  readonly kind = 'manual' as const
  #now: number
  #seq = 0
  #heap: ManualTimer[] = []

  constructor(start = Date.now()) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = new ManualTimer(this.#now + Math.max(0, ms), this.#seq++, fn)
    this.#push(timer)
    return timer
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle instanceof ManualTimer) handle.cancelled = true
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms))
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.#heap.filter((t) => !t.cancelled).length
  }

  /** Moves time forward by ms, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`advance(ms) needs a non-negative number, got ${ms}`)
    const target = this.#now + ms
    await settle()
    for (;;) {
      const next = this.#peek()
      if (next === undefined || next.due > target) break
      this.#pop()
      this.#now = Math.max(this.#now, next.due)
      next.fn()
      await settle()
    }
    this.#now = target
    await settle()
  }

  /** Advances to the next due timer (if any) and fires everything due then. */
  async runNext(): Promise<boolean> {
    const next = this.#peek()
    if (next === undefined) return false
    await this.advance(Math.max(0, next.due - this.#now))
    return true
  }

  #peek(): ManualTimer | undefined {
    while (this.#heap.length > 0 && this.#heap[0].cancelled) this.#pop()
    return this.#heap[0]
  }

  #before(a: ManualTimer, b: ManualTimer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq)
  }

  #push(timer: ManualTimer): void {
    const h = this.#heap
    h.push(timer)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.#before(h[i], h[p])) break
      ;[h[i], h[p]] = [h[p], h[i]]
      i = p
    }
  }

  #pop(): ManualTimer | undefined {
    const h = this.#heap
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last !== undefined) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && this.#before(h[l], h[m])) m = l
        if (r < h.length && this.#before(h[r], h[m])) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m], h[i]]
        i = m
      }
    }
    return top
  }
}

/** Lets pending promise reactions and already-queued I/O callbacks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
