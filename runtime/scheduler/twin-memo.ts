// The twin's memo of failed shapes: core-as/memo.ts over typed arrays (read the
// two side by side; the comment there explains why it is exact). In short: the
// last FRONTIER_SIZE failed shapes decide that a task at least as large fails
// (no search), and the last REASON_SLOTS failing (cpu, memory) pairs keep
// exact counts of active unheld nodes lacking cpu, lacking memory, or neither,
// updated on every commit and reservation, from which a later failure with the
// same cpu and memory takes its reason without a scan.

import * as abi from './abi.js'

const FRONTIER_SIZE = 8
const REASON_SLOTS = 32
/** (cpu, memory) -> entry + 1, linear probing, rebuilt on every track. */
const INDEX_SLOTS = 64
// A reason entry: cpu, mem, then the counts (lacking cpu, lacking memory, neither).
const ENTRY = 5
const BY_CPU = 2

/** The reason rule over counts of active nodes passing the constraints (none: CONSTRAINT). */
export function reasonFrom(byCpu: number, byMem: number, byGpu: number): number {
  if (byCpu + byMem + byGpu === 0) return abi.REASON_CONSTRAINT
  if (byCpu >= byMem && byCpu >= byGpu) return abi.REASON_CPU
  if (byMem >= byGpu) return abi.REASON_MEMORY
  return abi.REASON_GPU
}

/** Which count a node with this free cpu and memory is in, for an entry of (cpu, mem). */
function slotOf(cpu: number, mem: number): number {
  return (Math.imul(cpu, 0x9e3779b1 | 0) ^ Math.imul(mem, 0x85ebca77 | 0)) >>> 26
}

function countIndex(freeCpu: number, freeMem: number, cpu: number, mem: number): number {
  return freeCpu < cpu ? BY_CPU : freeMem < mem ? BY_CPU + 1 : BY_CPU + 2
}

export class FailedShapes {
  readonly #frontier = new Int32Array(FRONTIER_SIZE * 3)
  #frontierUsed = 0
  #frontierNext = 0
  readonly #reasons = new Int32Array(REASON_SLOTS * ENTRY)
  #reasonsUsed = 0
  #reasonsNext = 0
  readonly #index = new Uint8Array(INDEX_SLOTS)
  // The least and greatest cpu and memory among the tracked pairs (core-as/memo.ts).
  #lowCpu = 0x7fffffff
  #highCpu = 0
  #lowMem = 0x7fffffff
  #highMem = 0

  /** Does a shape that already failed fit inside this one? Then this one fails too. */
  coversFailed(cpu: number, mem: number, gpu: number): boolean {
    const f = this.#frontier
    for (let e = 0; e < this.#frontierUsed; e++) {
      const at = e * 3
      if (cpu >= f[at] && mem >= f[at + 1] && gpu >= f[at + 2]) return true
    }
    return false
  }

  rememberFailed(cpu: number, mem: number, gpu: number): void {
    const at = this.#frontierNext * 3
    this.#frontier[at] = cpu
    this.#frontier[at + 1] = mem
    this.#frontier[at + 2] = gpu
    this.#frontierNext = (this.#frontierNext + 1) % FRONTIER_SIZE
    if (this.#frontierUsed < FRONTIER_SIZE) this.#frontierUsed++
  }

  /** The reason for a failing task of this cpu and memory, or 0 when they are not tracked. */
  knownReason(cpu: number, mem: number): number {
    const r = this.#reasons
    const index = this.#index
    for (let slot = slotOf(cpu, mem); ; slot = (slot + 1) & (INDEX_SLOTS - 1)) {
      const e = index[slot]
      if (e === 0) return 0
      const at = (e - 1) * ENTRY
      if (r[at] === cpu && r[at + 1] === mem) return reasonFrom(r[at + 2], r[at + 3], r[at + 4])
    }
  }

  /** Starts tracking a failing (cpu, memory) with the counts a scan just made. */
  trackReason(cpu: number, mem: number, byCpu: number, byMem: number, byGpu: number): void {
    const at = this.#reasonsNext * ENTRY
    const r = this.#reasons
    r[at] = cpu
    r[at + 1] = mem
    r[at + 2] = byCpu
    r[at + 3] = byMem
    r[at + 4] = byGpu
    this.#reasonsNext = (this.#reasonsNext + 1) % REASON_SLOTS
    if (this.#reasonsUsed < REASON_SLOTS) this.#reasonsUsed++
    this.#reindex()
  }

  /** The index and the bounds, rebuilt (the entry replaced may have held a slot or a bound); a scan costs far more. */
  #reindex(): void {
    const r = this.#reasons
    const index = this.#index
    index.fill(0)
    this.#lowCpu = 0x7fffffff
    this.#highCpu = 0
    this.#lowMem = 0x7fffffff
    this.#highMem = 0
    for (let e = 0; e < this.#reasonsUsed; e++) {
      const cpu = r[e * ENTRY]
      const mem = r[e * ENTRY + 1]
      let slot = slotOf(cpu, mem)
      while (index[slot] !== 0) slot = (slot + 1) & (INDEX_SLOTS - 1)
      index[slot] = e + 1
      this.#lowCpu = Math.min(this.#lowCpu, cpu)
      this.#highCpu = Math.max(this.#highCpu, cpu)
      this.#lowMem = Math.min(this.#lowMem, mem)
      this.#highMem = Math.max(this.#highMem, mem)
    }
  }

  /** A commit took capacity from an active unheld node: move it between counts where it changes. */
  noteNodeShrunk(oldCpu: number, oldMem: number, newCpu: number, newMem: number): void {
    // A node changes case for a pair only when its free cpu or memory drops below the pair's.
    if (!(newCpu < this.#highCpu && oldCpu >= this.#lowCpu) && !(newMem < this.#highMem && oldMem >= this.#lowMem)) return
    const r = this.#reasons
    for (let e = 0; e < this.#reasonsUsed; e++) {
      const at = e * ENTRY
      const before = countIndex(oldCpu, oldMem, r[at], r[at + 1])
      const after = countIndex(newCpu, newMem, r[at], r[at + 1])
      if (before !== after) {
        r[at + before]--
        r[at + after]++
      }
    }
  }

  /** A reservation took an active node out of every unconstrained task's reach. */
  noteNodeHeld(freeCpu: number, freeMem: number): void {
    const r = this.#reasons
    for (let e = 0; e < this.#reasonsUsed; e++) {
      const at = e * ENTRY
      r[at + countIndex(freeCpu, freeMem, r[at], r[at + 1])]--
    }
  }
}

/** The reason rule with ports (core-as/feasibility.ts): ports only when they ruled out strictly the most nodes. */
export function reasonWithPorts(byCpu: number, byMem: number, byGpu: number, byPorts: number): number {
  if (byPorts > byCpu && byPorts > byMem && byPorts > byGpu) return abi.REASON_PORTS
  return reasonFrom(byCpu, byMem, byGpu)
}
