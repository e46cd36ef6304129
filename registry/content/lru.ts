/** A byte-bounded least-recently-used cache (Map insertion order is the recency order). */
export class ByteLru<K> {
  readonly #map = new Map<K, Buffer>()
  #bytes = 0
  constructor (private readonly maxBytes: number) {}

  get (key: K): Buffer | undefined {
    const value = this.#map.get(key)
    if (value !== undefined) {
      this.#map.delete(key)
      this.#map.set(key, value)
    }
    return value
  }

  set (key: K, value: Buffer): void {
    if (value.length > this.maxBytes / 8) return
    const old = this.#map.get(key)
    if (old !== undefined) { this.#bytes -= old.length; this.#map.delete(key) }
    this.#map.set(key, value)
    this.#bytes += value.length
    for (const [k, v] of this.#map) {
      if (this.#bytes <= this.maxBytes) break
      this.#map.delete(k)
      this.#bytes -= v.length
    }
  }

  delete (key: K): void {
    const old = this.#map.get(key)
    if (old !== undefined) { this.#bytes -= old.length; this.#map.delete(key) }
  }
}
