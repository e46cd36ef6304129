/**
 * Time source for everything in the registry that depends on time: lifecycle rules
 * (`sinceImagePushed`), authorization-token expiry, the stale-upload purge and the GC grace
 * period. Times are epoch milliseconds. The engine passes its own clock (real, or manual
 * with `advance(ms)` firing due timers); this structural interface is all the registry needs.
 */
export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** The wall clock. Timers are unref'd so a registry never keeps a process alive by itself. */
export const realClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout(fn: () => void, ms: number): unknown {
    const handle = setTimeout(fn, ms)
    handle.unref?.()
    return handle
  },
  clearTimeout(handle: unknown): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>)
  }
})

/**
 * A repeating task driven by a Clock: runs `fn` every `intervalMs`, never overlapping runs.
 * Errors are handed to `onError` so one failed run does not stop the schedule.
 */
export class Periodic {
  #handle: unknown = undefined
  #stopped = false
  #running: Promise<void> | undefined

  constructor (
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly fn: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void
  ) {
    this.#schedule()
  }

  #schedule (): void {
    if (this.#stopped) return
    this.#handle = this.clock.setTimeout(() => {
      this.#running = this.fn().then(() => undefined, this.onError).finally(() => {
        this.#running = undefined
        this.#schedule()
      })
    }, this.intervalMs)
  }

  async stop (): Promise<void> {
    this.#stopped = true
    this.clock.clearTimeout(this.#handle)
    await this.#running
  }
}
