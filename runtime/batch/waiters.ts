// Who waits for what: callers of waitForJob (a job or a child reaching
// SUCCEEDED or FAILED, or being purged) and of waitForComputeEnvironment (a
// status). Not state: promises of this process, woken after the commit that
// makes them true.

export class Waiters {
  readonly #byKey = new Map<string, Array<() => void>>()
  /** Set when the engine closes: every waiter is woken and sees it. */
  closed = false
  /** Keys waited on that are children (<jobId>:<index>), by job: most state changes need not build a child's key. */
  readonly #children = new Map<string, number>()

  /** Resolves on the next wake(key). */
  wait(key: string): Promise<void> {
    return new Promise((resolve) => {
      const list = this.#byKey.get(key)
      if (list === undefined) {
        this.#byKey.set(key, [resolve])
        const base = baseOf(key)
        if (base !== undefined) this.#children.set(base, (this.#children.get(base) ?? 0) + 1)
      } else list.push(resolve)
    })
  }

  /** Does anyone wait on a child of this job? */
  waitsOnChildrenOf(jobId: string): boolean {
    return this.#children.has(jobId)
  }

  wake(key: string): void {
    const list = this.#byKey.get(key)
    if (list === undefined) return
    this.#byKey.delete(key)
    const base = baseOf(key)
    if (base !== undefined) {
      const left = this.#children.get(base)! - 1
      if (left === 0) this.#children.delete(base)
      else this.#children.set(base, left)
    }
    for (const resolve of list) resolve()
  }

  /** Wakes every waiter whose key starts with prefix (a purged array: its children's waiters too). */
  wakePrefix(prefix: string): void {
    for (const key of [...this.#byKey.keys()]) if (key.startsWith(prefix)) this.wake(key)
  }

  has(key: string): boolean {
    return this.#byKey.has(key)
  }

  /** The engine closes: every waiter wakes (and finds `closed`). */
  close(): void {
    this.closed = true
    for (const key of [...this.#byKey.keys()]) this.wake(key)
  }
}

/** The job of a child key (<jobId>:<index>), or undefined for a job's own key. */
function baseOf(key: string): string | undefined {
  const colon = key.lastIndexOf(':')
  return colon > 0 && /^\d+$/.test(key.slice(colon + 1)) ? key.slice(0, colon) : undefined
}
