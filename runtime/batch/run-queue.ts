// Runnable children of one array job, in dispatch order: single indices
// (retries, children whose dependencies were just met) first, then a
// contiguous range (children with no per-child dependency), so a
// 10,000-child array costs two numbers to queue. A cache: the children's
// status column is the truth, and the dispatcher skips any index taken here
// that is no longer RUNNABLE there.

export class RunQueue {
  #items: number[] = []
  #head = 0
  #next = 0
  #end = 0

  addRange(from: number, to: number): void {
    if (this.#next >= this.#end) {
      this.#next = from
      this.#end = to
    } else {
      for (let i = from; i < to; i++) this.#items.push(i)
    }
  }

  add(index: number): void {
    this.#items.push(index)
  }

  get size(): number {
    return this.#items.length - this.#head + this.#end - this.#next
  }

  /** Removes and returns up to `limit` children, in order. */
  take(limit: number): number[] {
    const out: number[] = []
    while (out.length < limit && this.#head < this.#items.length) out.push(this.#items[this.#head++])
    while (out.length < limit && this.#next < this.#end) out.push(this.#next++)
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return out
  }

  /** Returns children taken but not dispatched, to the front, keeping their order. */
  putBack(indices: readonly number[]): void {
    if (indices.length === 0) return
    this.#items = indices.concat(this.#items.slice(this.#head))
    this.#head = 0
  }
}
