// A set of strings kept in ascending order (JavaScript string order), for the
// stores' scans: a list of sorted blocks (as Python's sortedcontainers does).
// Insert and delete are a binary search over the blocks, one inside the block
// and a splice of at most 2 * BLOCK entries, so 100,000 random inserts cost
// no more than appends do, and a scan never sorts.

const BLOCK = 512

export class SortedKeys {
  // Never empty blocks; every block sorted; each block's last key below the next block's first.
  #blocks: string[][] = []
  #size = 0

  get size(): number {
    return this.#size
  }

  /**
   * Fills an empty set with keys (distinct, in any order; the array is sorted
   * in place and kept in pieces): one sort instead of an insert per key, for
   * a store loading its records at open.
   */
  load(keys: string[]): void {
    if (this.#size > 0) throw new Error('SortedKeys.load: the set is not empty')
    keys.sort() // JavaScript string order, as insert and range compare
    for (let at = 0; at < keys.length; at += BLOCK) this.#blocks.push(keys.slice(at, at + BLOCK))
    this.#size = keys.length
  }

  /** Adds key; the caller guarantees it is not present. */
  insert(key: string): void {
    const blocks = this.#blocks
    if (blocks.length === 0) {
      blocks.push([key])
      this.#size = 1
      return
    }
    let b = this.#blockFor(key, false)
    if (b === blocks.length) b-- // after every key: the last block
    const block = blocks[b]
    block.splice(lowerBound(block, key, false), 0, key)
    this.#size++
    if (block.length > 2 * BLOCK) blocks.splice(b + 1, 0, block.splice(BLOCK))
  }

  /** Removes key; false when it was not present. */
  delete(key: string): boolean {
    const blocks = this.#blocks
    const b = this.#blockFor(key, false)
    if (b === blocks.length) return false
    const block = blocks[b]
    const at = lowerBound(block, key, false)
    if (block[at] !== key) return false
    block.splice(at, 1)
    this.#size--
    if (block.length === 0) blocks.splice(b, 1)
    else if (block.length < BLOCK / 4 && blocks.length > 1) this.#merge(b)
    return true
  }

  /**
   * Calls visit with each key that starts with prefix and is strictly after
   * `after` (when given), ascending, at most limit of them.
   */
  range(prefix: string, after: string | undefined, limit: number, visit: (key: string) => void): void {
    if (limit <= 0) return
    const exclusive = after !== undefined && after >= prefix
    const from = exclusive ? after : prefix
    const blocks = this.#blocks
    let b = this.#blockFor(from, exclusive)
    if (b === blocks.length) return
    let i = lowerBound(blocks[b], from, exclusive)
    let left = limit
    for (; b < blocks.length; b++, i = 0) {
      const block = blocks[b]
      for (; i < block.length; i++) {
        const key = block[i]
        if (prefix.length > 0 && !key.startsWith(prefix)) return
        visit(key)
        if (--left === 0) return
      }
    }
  }

  /** Index of the first block holding a key >= bound (> bound when exclusive); blocks.length if none. */
  #blockFor(bound: string, exclusive: boolean): number {
    const blocks = this.#blocks
    let lo = 0
    let hi = blocks.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const block = blocks[mid]
      const last = block[block.length - 1]
      if (exclusive ? last <= bound : last < bound) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Joins a small block with a neighbour (splitting again if the result is too large). */
  #merge(b: number): void {
    const blocks = this.#blocks
    const left = b + 1 < blocks.length ? b : b - 1
    const joined = blocks[left].concat(blocks[left + 1])
    if (joined.length > 2 * BLOCK) blocks.splice(left, 2, joined.slice(0, BLOCK), joined.slice(BLOCK))
    else blocks.splice(left, 2, joined)
  }
}

/** First position in a sorted block whose key is >= bound (> bound when exclusive). */
function lowerBound(block: string[], bound: string, exclusive: boolean): number {
  let lo = 0
  let hi = block.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const key = block[mid]
    if (exclusive ? key <= bound : key < bound) lo = mid + 1
    else hi = mid
  }
  return lo
}
