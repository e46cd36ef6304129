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
  /**
   * Milliseconds on a clock that never steps, for measuring durations only (its origin is
   * arbitrary): a wall-clock step (an NTP correction, a user setting the date) moves now() but
   * not this, so deadlines and idle times measured on it neither fire early nor stall. A
   * manual clock's is its now().
   */
  monotonic(): number
  /** Runs fn once, ms from now (on this clock). Timers never keep the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle | undefined): void
  /** Resolves ms from now (on this clock). */
  sleep(ms: number): Promise<void>
  /**
   * Manual clocks only: registers a probe saying whether a component still has
   * work in flight that may set timers; advance() waits for it. Returns the
   * function that removes it.
   */
  addBusyProbe?(probe: () => boolean): () => void
}

class RealTimer implements TimerHandle {
  constructor(readonly due: number, readonly timer: NodeJS.Timeout) {}
}

export class RealClock implements Clock {
  readonly kind = 'real' as const

  now(): number {
    return Date.now()
  }

  monotonic(): number {
    return performance.now()
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
 * due time (then creation), each seeing now() equal to its due time (and its
 * promise reactions run before the next timer), and lets the engine settle
 * between instants — promise reactions, I/O callbacks, and
 * work that components report through busy probes (a dispatch round pending,
 * a process being spawned) — so that work a timer starts can schedule the
 * next timer before time moves on.
 */
export class ManualClock implements Clock {
  readonly kind = 'manual' as const
  #now: number
  #seq = 0
  #heap: ManualTimer[] = []
  readonly #probes = new Set<() => boolean>()
  readonly #advanceListeners = new Set<(target: number) => void>()

  constructor(start = Date.now()) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  monotonic(): number {
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

  /**
   * Registers a probe that says whether a component still has work in flight
   * that may set timers (advance() waits for it, within a real-time bound).
   * Returns the function that removes it.
   */
  addBusyProbe(probe: () => boolean): () => void {
    this.#probes.add(probe)
    return () => this.#probes.delete(probe)
  }

  /**
   * Calls listener at the start of every advance with the time it moves to,
   * before any timer fires or now() changes: no time later than that is seen
   * until the next advance (the engine keeps it in its store, so an engine
   * restarted over that store never starts earlier). Returns the function
   * that removes it. What a listener throws fails that advance.
   */
  onAdvance(listener: (target: number) => void): () => void {
    this.#advanceListeners.add(listener)
    return () => this.#advanceListeners.delete(listener)
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.#heap.filter((t) => !t.cancelled).length
  }

  /**
   * Moves time forward by ms, firing every timer that falls due on the way.
   * Calls made while an advance runs wait for it (and then move time on by
   * their own ms), so time never goes back and no advance is lost.
   */
  advance(ms: number): Promise<void> {
    if (!(ms >= 0)) return Promise.reject(new RangeError(`advance(ms) needs a non-negative number, got ${ms}`))
    const run = this.#advancing.then(() => this.#advance(ms))
    this.#advancing = run.catch(() => {})
    return run
  }

  #advancing: Promise<void> = Promise.resolve()

  async #advance(ms: number): Promise<void> {
    const target = this.#now + ms
    for (const listener of this.#advanceListeners) listener(target)
    await this.settle()
    for (;;) {
      const next = this.#peek()
      if (next === undefined || next.due > target) break
      const due = next.due
      this.#now = Math.max(this.#now, due)
      // Every timer due at this instant, each followed by its promise reactions; then the engine
      // settles once (settling after each of 10,000 timers due together took seconds).
      for (let timer = this.#peek(); timer !== undefined && timer.due === due; timer = this.#peek()) {
        this.#pop()
        timer.fn()
        await Promise.resolve()
      }
      await this.settle()
    }
    this.#now = target
    await this.settle()
  }

  /**
   * Waits until the engine is quiet: no busy probe reports work and no timer
   * was added for a few turns of the event loop (at most ~2 s of real time,
   * so a component that never goes quiet cannot hang a test).
   */
  async settle(): Promise<void> {
    const deadline = Date.now() + 2000
    let quiet = 0
    let turns = 0
    while (quiet < 3 && Date.now() < deadline) {
      const seq = this.#seq
      if (turns++ < 200) await new Promise<void>((resolve) => setImmediate(resolve))
      else await new Promise<void>((resolve) => setTimeout(resolve, 1))
      const busy = [...this.#probes].some((probe) => probe())
      quiet = busy || seq !== this.#seq ? 0 : quiet + 1
    }
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
