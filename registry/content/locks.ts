/** A FIFO async mutex: `run` executes callbacks one at a time, in call order. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve()

  run<T> (fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn)
    this.#tail = result.catch(() => undefined)
    return result
  }
}

/**
 * A readers/writer lock. Pushes (blob commits, manifest PUTs) hold it shared; the garbage
 * collector holds it exclusive, so a blob is never swept between a push checking it exists
 * and the manifest that references it landing. Writers are preferred, so GC is not starved.
 */
export class SharedLock {
  #readers = 0
  #writer = false
  #waitingWriters: Array<() => void> = []
  #waitingReaders: Array<() => void> = []

  async shared<T> (fn: () => Promise<T>): Promise<T> {
    if (this.#writer || this.#waitingWriters.length > 0) {
      await new Promise<void>((resolve) => this.#waitingReaders.push(resolve))
    } else {
      this.#readers++
    }
    try { return await fn() } finally { this.#releaseShared() }
  }

  async exclusive<T> (fn: () => Promise<T>): Promise<T> {
    if (this.#writer || this.#readers > 0) {
      await new Promise<void>((resolve) => this.#waitingWriters.push(resolve))
    } else {
      this.#writer = true
    }
    try { return await fn() } finally { this.#releaseExclusive() }
  }

  #releaseShared (): void {
    this.#readers--
    if (this.#readers === 0 && this.#waitingWriters.length > 0) {
      this.#writer = true
      this.#waitingWriters.shift()!()
    }
  }

  #releaseExclusive (): void {
    this.#writer = false
    if (this.#waitingReaders.length > 0) {
      const readers = this.#waitingReaders
      this.#waitingReaders = []
      this.#readers += readers.length
      for (const wake of readers) wake()
    } else if (this.#waitingWriters.length > 0) {
      this.#writer = true
      this.#waitingWriters.shift()!()
    }
  }
}

/**
 * One FIFO mutex per key, created on first use and dropped once idle: serializes what
 * writes, quarantines and deletes one blob, without a lock shared by every blob.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>()

  run<T> (key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve()
    const result = previous.then(fn, fn)
    const tail = result.catch(() => undefined)
    this.#tails.set(key, tail)
    void tail.then(() => { if (this.#tails.get(key) === tail) this.#tails.delete(key) })
    return result
  }
}
