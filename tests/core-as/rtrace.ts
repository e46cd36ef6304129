// A small runtime tracer for the debug build of core-as (asc --use ASC_RTRACE=1):
// the module calls these hooks on every allocation, free and store. It records
// live blocks, and checks that every store the core makes (not the allocator's
// own) lands inside a live block: a write outside the host's columns or the
// scratch area is a bug even when it happens not to crash.

const BLOCK_OVERHEAD = 4

export class Rtrace {
  #memory: { buffer: ArrayBuffer } | undefined
  readonly live = new Map<number, number>() // payload start -> size
  allocations = 0
  frees = 0
  stores = 0
  readonly errors: string[] = []

  attach(memory: { buffer: ArrayBuffer }): void {
    this.#memory = memory
  }

  #blockSize(block: number): number {
    const view = new Uint32Array(this.#memory!.buffer, block, 1)
    return view[0] & ~3
  }

  get imports(): Record<string, Function> {
    return {
      oninit: () => {},
      onalloc: (block: number) => {
        this.allocations++
        this.live.set(block + BLOCK_OVERHEAD, this.#blockSize(block))
      },
      onresize: (block: number) => {
        this.live.set(block + BLOCK_OVERHEAD, this.#blockSize(block))
      },
      onmove: (oldBlock: number, newBlock: number) => {
        this.live.delete(oldBlock + BLOCK_OVERHEAD)
        this.live.set(newBlock + BLOCK_OVERHEAD, this.#blockSize(newBlock))
      },
      onfree: (block: number) => {
        this.frees++
        if (!this.live.delete(block + BLOCK_OVERHEAD)) this.errors.push(`free of unknown block ${block}`)
      },
      onvisit: () => true,
      oncollect: () => {},
      oninterrupt: () => {},
      onyield: () => {},
      onstore: (ptr: number, offset: number, bytes: number, isRT: number) => {
        if (isRT) return ptr
        this.stores++
        const at = ptr + offset
        for (const [start, size] of this.live) {
          if (at >= start && at + bytes <= start + size) return ptr
        }
        if (this.errors.length < 10) this.errors.push(`store of ${bytes} bytes at ${at} outside every live block`)
        return ptr
      }
    }
  }
}
