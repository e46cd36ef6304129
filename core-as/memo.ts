// The memo of failed shapes, for unconstrained tasks (constraints depend on
// the task, so a constrained task always searches and scans). Within one batch
// free capacity only shrinks and held nodes only grow, which gives two facts:
//
//   decision  a task at least as large as one that failed fails too: the last
//             FRONTIER_SIZE failed shapes (cpu, memory, gpu) decide it before
//             any search.
//   reason    when a task fails, the reason rule's counts depend only on its cpu
//             and memory and on the nodes: every active unheld node lacks cpu,
//             or has the cpu but lacks memory, or has both (and then lacks gpu,
//             or the task would fit it). So the counts of the last REASON_SLOTS
//             failing (cpu, memory) pairs are kept exact as commits and
//             reservations change nodes (two comparisons for a commit that
//             crosses no tracked cpu or memory, else O(tracked pairs)), and a
//             later failure with the same cpu and memory takes its reason from
//             them (a hash lookup) instead of scanning every node. The gpu
//             request does not matter.
//
// Only the decision is ever shared between shapes; the reason never is.

import { REASON_CONSTRAINT, REASON_CPU, REASON_GPU, REASON_MEMORY } from './abi'

const FRONTIER_SIZE: i32 = 8
const FRONTIER_ENTRY: usize = 12 // cpu, mem, gpu (i32 each)
const REASON_SLOTS: i32 = 32
const REASON_ENTRY: usize = 20 //  cpu, mem, then nodes lacking cpu | memory | neither (i32 each)
const INDEX_SLOTS: i32 = 64 //     (cpu, memory) -> entry + 1, linear probing, rebuilt on every track

/** Scratch the memo needs (index.ts carves it). */
export const MEMO_SCRATCH_BYTES: i32 = FRONTIER_SIZE * <i32>FRONTIER_ENTRY + REASON_SLOTS * <i32>REASON_ENTRY + INDEX_SLOTS

let frontier: usize = 0
let frontierUsed: i32 = 0
let frontierNext: i32 = 0
let reasons: usize = 0
let reasonsUsed: i32 = 0
let reasonsNext: i32 = 0
let index: usize = 0 // u8[INDEX_SLOTS]
// The least and greatest cpu and memory among the tracked pairs: a commit whose
// node crosses none of them in either dimension changes no count.
let lowCpu: i32 = i32.MAX_VALUE
let highCpu: i32 = 0
let lowMem: i32 = i32.MAX_VALUE
let highMem: i32 = 0

export function memoInit(base: usize): void {
  frontier = base
  reasons = base + <usize>FRONTIER_SIZE * FRONTIER_ENTRY
  index = reasons + <usize>REASON_SLOTS * REASON_ENTRY
  memory.fill(index, 0, <usize>INDEX_SLOTS)
  frontierUsed = 0
  frontierNext = 0
  reasonsUsed = 0
  reasonsNext = 0
  lowCpu = i32.MAX_VALUE
  highCpu = 0
  lowMem = i32.MAX_VALUE
  highMem = 0
}

/** Does a shape that already failed fit inside this one? Then this one fails too. */
export function coversFailed(cpu: i32, mem: i32, gpu: i32): bool {
  for (let e = 0; e < frontierUsed; e++) {
    const at = frontier + <usize>e * FRONTIER_ENTRY
    if (cpu >= load<i32>(at) && mem >= load<i32>(at, 4) && gpu >= load<i32>(at, 8)) return true
  }
  return false
}

export function rememberFailed(cpu: i32, mem: i32, gpu: i32): void {
  const at = frontier + <usize>frontierNext * FRONTIER_ENTRY
  store<i32>(at, cpu)
  store<i32>(at, mem, 4)
  store<i32>(at, gpu, 8)
  frontierNext = (frontierNext + 1) % FRONTIER_SIZE
  if (frontierUsed < FRONTIER_SIZE) frontierUsed++
}

/**
 * The reason rule over counts of active nodes: none passing the constraints
 * (all held) is CONSTRAINT; otherwise the resource that ruled out the most
 * (ties: cpu, memory, gpu).
 */
export function reasonFrom(byCpu: i32, byMem: i32, byGpu: i32): i32 {
  if (byCpu + byMem + byGpu == 0) return REASON_CONSTRAINT
  if (byCpu >= byMem && byCpu >= byGpu) return REASON_CPU
  if (byMem >= byGpu) return REASON_MEMORY
  return REASON_GPU
}

@inline function slotOf(cpu: i32, mem: i32): i32 {
  return <i32>(<u32>((cpu * <i32>0x9e3779b1) ^ (mem * <i32>0x85ebca77)) >> 26)
}

/** The reason for a failing task of this cpu and memory, or 0 when they are not tracked. */
export function knownReason(cpu: i32, mem: i32): i32 {
  let slot = slotOf(cpu, mem)
  while (true) {
    const e = <i32>load<u8>(index + <usize>slot)
    if (e == 0) return 0
    const at = reasons + <usize>(e - 1) * REASON_ENTRY
    if (load<i32>(at) == cpu && load<i32>(at, 4) == mem) {
      return reasonFrom(load<i32>(at, 8), load<i32>(at, 12), load<i32>(at, 16))
    }
    slot = (slot + 1) & (INDEX_SLOTS - 1)
  }
  return 0
}

/** Starts tracking a failing (cpu, memory) with the counts a scan just made. */
export function trackReason(cpu: i32, mem: i32, byCpu: i32, byMem: i32, byGpu: i32): void {
  const at = reasons + <usize>reasonsNext * REASON_ENTRY
  store<i32>(at, cpu)
  store<i32>(at, mem, 4)
  store<i32>(at, byCpu, 8)
  store<i32>(at, byMem, 12)
  store<i32>(at, byGpu, 16)
  reasonsNext = (reasonsNext + 1) % REASON_SLOTS
  if (reasonsUsed < REASON_SLOTS) reasonsUsed++
  reindex()
}

/** The index and the bounds, rebuilt (the entry replaced may have held a slot or a bound); a scan costs far more. */
function reindex(): void {
  memory.fill(index, 0, <usize>INDEX_SLOTS)
  lowCpu = i32.MAX_VALUE
  highCpu = 0
  lowMem = i32.MAX_VALUE
  highMem = 0
  for (let e = 0; e < reasonsUsed; e++) {
    const at = reasons + <usize>e * REASON_ENTRY
    const cpu = load<i32>(at)
    const mem = load<i32>(at, 4)
    let slot = slotOf(cpu, mem)
    while (load<u8>(index + <usize>slot) != 0) slot = (slot + 1) & (INDEX_SLOTS - 1)
    store<u8>(index + <usize>slot, <u8>(e + 1))
    lowCpu = min(lowCpu, cpu)
    highCpu = max(highCpu, cpu)
    lowMem = min(lowMem, mem)
    highMem = max(highMem, mem)
  }
}

/** Which count a node with this free cpu and memory is in: +8 cpu, +12 memory, +16 neither. */
@inline function countOffset(freeCpu: i32, freeMem: i32, cpu: i32, mem: i32): usize {
  return freeCpu < cpu ? 8 : freeMem < mem ? 12 : 16
}

/** A commit took capacity from an active unheld node: move it between counts where it changes. */
export function noteNodeShrunk(oldCpu: i32, oldMem: i32, newCpu: i32, newMem: i32): void {
  // A node changes case for a pair only when its free cpu drops below the pair's
  // cpu, or its free memory below the pair's memory (newX < x <= oldX).
  if (!(newCpu < highCpu && oldCpu >= lowCpu) && !(newMem < highMem && oldMem >= lowMem)) return
  for (let e = 0; e < reasonsUsed; e++) {
    const at = reasons + <usize>e * REASON_ENTRY
    const cpu = load<i32>(at)
    const mem = load<i32>(at, 4)
    const before = countOffset(oldCpu, oldMem, cpu, mem)
    const after = countOffset(newCpu, newMem, cpu, mem)
    if (before != after) {
      store<i32>(at + before, load<i32>(at + before) - 1)
      store<i32>(at + after, load<i32>(at + after) + 1)
    }
  }
}

/** A reservation took an active node out of every unconstrained task's reach. */
export function noteNodeHeld(freeCpu: i32, freeMem: i32): void {
  for (let e = 0; e < reasonsUsed; e++) {
    const at = reasons + <usize>e * REASON_ENTRY
    const slot = at + countOffset(freeCpu, freeMem, load<i32>(at), load<i32>(at, 4))
    store<i32>(slot, load<i32>(slot) - 1)
  }
}
