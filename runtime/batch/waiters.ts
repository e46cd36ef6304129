// Who waits for what: callers of waitForJob (a job or a child reaching
// SUCCEEDED or FAILED, or being purged) and of waitForComputeEnvironment (a
// status). Not state: promises of this process, woken after the commit that
// makes them true.

export class Waiters {
  readonly #byKey = new Map<string, Array<() => void>>()

  /** Resolves on the next wake(key). */
  wait(key: string): Promise<void> {
    return new Promise((resolve) => {
      const list = this.#byKey.get(key)
      if (list === undefined) this.#byKey.set(key, [resolve])
      else list.push(resolve)
    })
  }

  wake(key: string): void {
    const list = this.#byKey.get(key)
    if (list === undefined) return
    this.#byKey.delete(key)
    for (const resolve of list) resolve()
  }

  /** Wakes every waiter whose key starts with prefix (a purged array: its children's waiters too). */
  wakePrefix(prefix: string): void {
    for (const key of [...this.#byKey.keys()]) if (key.startsWith(prefix)) this.wake(key)
  }

  has(key: string): boolean {
    return this.#byKey.has(key)
  }

  wakeAll(): void {
    for (const key of [...this.#byKey.keys()]) this.wake(key)
  }
}
