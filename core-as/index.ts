// Stratus placement core: the module's exports (the flat WASM boundary).
//
//   alloc / release     raw blocks of linear memory for the host's columns
//   scratchBytes(h)     scratch a place() call on header h needs
//   place(h)            one batch: snapshot + tasks in, plan + metrics out
//   orderJobs(...)      dispatch order of runnable jobs
//
// Every export returns an i32 status code; nothing here throws. Input that
// would make the core misbehave (a column outside memory, a value outside its
// range) is refused with STATUS_OUT_OF_BOUNDS or STATUS_INVALID_BASE + slot
// before anything is written. The host (runtime/scheduler) validates first and
// raises typed errors naming the field; these checks are the safety net.

import {
  ATTR_COUNT, FLAG_DISTINCT_INSTANCE, H_AGING, H_METRICS, H_NODE_ATTRS, H_NODE_COUNT, H_NODE_FREE_CPU, H_NODE_FREE_GPU,
  H_NODE_FREE_MEM, H_NODE_STATUS, H_NODE_TASKS, H_NODE_TOTAL_CPU, H_NODE_TOTAL_GPU, H_NODE_TOTAL_MEM, H_OUT_NODE,
  H_OUT_REASON, H_PAIR_COUNT, H_PAIRS, H_SCRATCH, H_SCRATCH_BYTES, H_SEED, H_TASK_CONSTRAINT_ATTR,
  H_TASK_CONSTRAINT_LENGTH, H_TASK_CONSTRAINT_OFFSET, H_TASK_COUNT, H_TASK_CPU, H_TASK_FLAGS, H_TASK_GPU, H_TASK_GROUP,
  H_TASK_MEM, H_TASK_ORDER, H_TASK_SPREAD_ATTR, H_TASK_STRATEGY, H_TASK_WAIT, H_VALUE_COUNT, H_VALUES, HEADER_SLOTS,
  H_CHAIN_COUNT, H_CHAINS, H_LIST_COUNT, H_LISTS, H_PORT_COUNT, H_PORTS, H_USED_PORT_COUNT, H_USED_PORTS, H_TASK_EXT,
  EXT_SLOTS, EXT_CHAIN_OFFSET, EXT_CHAIN_LENGTH, EXT_LIST_OFFSET, EXT_LIST_LENGTH, EXT_PORT_OFFSET, EXT_PORT_LENGTH,
  CHAIN_MAX, CONSTRAINT_MAX, PORT_UDP_BIT, SPREAD_NODE,
  METRIC_COUNT, NODE_ACTIVE, NODE_INACTIVE, STATUS_INVALID_BASE, STATUS_OK, STATUS_OUT_OF_BOUNDS,
  STATUS_SCRATCH_TOO_SMALL, STRATEGY_COUNT
} from './abi'
import { BLOCK_DEAD, BLOCK_INACTIVE, BLOCK_NONE, i32At, inverse, refreshPotential, setI32At, setPools, setSnapshot, setWorking } from './state'
import { portsInit, portTake } from './ports'
import { chainInit, chainScratchBytes } from './chain'
import { leafSlots, RECORD_BYTES, Tree, build } from './tree'
import { countAdd, countsInit } from './counts'
import { spreadInit } from './spread'
import { pipelineInit, placeTask, setTaskExtension } from './placement'
import { metricsInit } from './metrics'
import { seedRandom } from './random'
import { sortJobs } from './queue'
import { CLASSES_SCRATCH_BYTES, classesInit } from './classes'
import { MEMO_SCRATCH_BYTES } from './memo'

export * from './abi'

// ---- memory for the host ------------------------------------------------------------

/** A raw, 16-byte aligned block; 0 when memory cannot grow. */
export function alloc(bytes: i32): usize {
  if (bytes < 0) return 0
  return heap.alloc(<usize>bytes)
}

export function release(ptr: usize): void {
  if (ptr != 0) heap.free(ptr)
}

// ---- validation helpers ----------------------------------------------------------------

@inline function slot(header: usize, s: i32): i32 {
  return load<i32>(header + (<usize>s << 2))
}

@inline function pointer(header: usize, s: i32): usize {
  return <usize>load<u32>(header + (<usize>s << 2))
}

/** Is [ptr, ptr + count * width) inside linear memory? */
function inMemory(ptr: usize, count: i32, width: i32): bool {
  const end = <u64>ptr + <u64>count * <u64>width
  return end <= (<u64>memory.size() << 16) && (count == 0 || ptr != 0)
}

function checkColumns(header: usize, n: i32, t: i32): i32 {
  if (!inMemory(header, HEADER_SLOTS, 4)) return STATUS_OUT_OF_BOUNDS
  const pairs = slot(header, H_PAIR_COUNT)
  const vals = slot(header, H_VALUE_COUNT)
  if (n < 0) return STATUS_INVALID_BASE + H_NODE_COUNT
  if (t < 0) return STATUS_INVALID_BASE + H_TASK_COUNT
  if (pairs < 0) return STATUS_INVALID_BASE + H_PAIR_COUNT
  if (vals < 0) return STATUS_INVALID_BASE + H_VALUE_COUNT
  const chainCount = slot(header, H_CHAIN_COUNT)
  const listCount = slot(header, H_LIST_COUNT)
  const portCount = slot(header, H_PORT_COUNT)
  const usedCount = slot(header, H_USED_PORT_COUNT)
  if (chainCount < 0) return STATUS_INVALID_BASE + H_CHAIN_COUNT
  if (listCount < 0) return STATUS_INVALID_BASE + H_LIST_COUNT
  if (portCount < 0) return STATUS_INVALID_BASE + H_PORT_COUNT
  if (usedCount < 0) return STATUS_INVALID_BASE + H_USED_PORT_COUNT
  const extOk =
    inMemory(pointer(header, H_CHAINS), chainCount * 2, 4) && inMemory(pointer(header, H_LISTS), listCount * 3, 4) &&
    inMemory(pointer(header, H_PORTS), portCount, 4) && inMemory(pointer(header, H_USED_PORTS), usedCount * 2, 4) &&
    (pointer(header, H_TASK_EXT) == 0 || inMemory(pointer(header, H_TASK_EXT), t * EXT_SLOTS, 4))
  if (!extOk) return STATUS_OUT_OF_BOUNDS
  const ok =
    inMemory(pointer(header, H_NODE_FREE_CPU), n, 4) && inMemory(pointer(header, H_NODE_FREE_MEM), n, 4) &&
    inMemory(pointer(header, H_NODE_FREE_GPU), n, 4) && inMemory(pointer(header, H_NODE_TOTAL_CPU), n, 4) &&
    inMemory(pointer(header, H_NODE_TOTAL_MEM), n, 4) && inMemory(pointer(header, H_NODE_TOTAL_GPU), n, 4) &&
    inMemory(pointer(header, H_NODE_STATUS), n, 1) && inMemory(pointer(header, H_NODE_ATTRS), n * ATTR_COUNT, 4) &&
    inMemory(pointer(header, H_NODE_TASKS), n, 4) && inMemory(pointer(header, H_PAIRS), pairs * 3, 4) &&
    inMemory(pointer(header, H_TASK_CPU), t, 4) && inMemory(pointer(header, H_TASK_MEM), t, 4) &&
    inMemory(pointer(header, H_TASK_GPU), t, 4) && inMemory(pointer(header, H_TASK_GROUP), t, 4) &&
    inMemory(pointer(header, H_TASK_STRATEGY), t, 1) && inMemory(pointer(header, H_TASK_SPREAD_ATTR), t, 1) &&
    inMemory(pointer(header, H_TASK_FLAGS), t, 1) && inMemory(pointer(header, H_TASK_CONSTRAINT_ATTR), t, 1) &&
    inMemory(pointer(header, H_TASK_CONSTRAINT_OFFSET), t, 4) &&
    inMemory(pointer(header, H_TASK_CONSTRAINT_LENGTH), t, 4) && inMemory(pointer(header, H_VALUES), vals, 4) &&
    (pointer(header, H_TASK_WAIT) == 0 || inMemory(pointer(header, H_TASK_WAIT), t, 4)) &&
    (pointer(header, H_TASK_ORDER) == 0 || inMemory(pointer(header, H_TASK_ORDER), t, 4)) &&
    inMemory(pointer(header, H_OUT_NODE), t, 4) && inMemory(pointer(header, H_OUT_REASON), t, 1) &&
    inMemory(pointer(header, H_METRICS), METRIC_COUNT, 8) &&
    inMemory(pointer(header, H_SCRATCH), slot(header, H_SCRATCH_BYTES), 1)
  return ok && slot(header, H_SCRATCH_BYTES) >= 0 ? STATUS_OK : STATUS_OUT_OF_BOUNDS
}

function checkValues(header: usize, n: i32, t: i32): i32 {
  const fc = pointer(header, H_NODE_FREE_CPU)
  const fm = pointer(header, H_NODE_FREE_MEM)
  const fg = pointer(header, H_NODE_FREE_GPU)
  const tc = pointer(header, H_NODE_TOTAL_CPU)
  const tm = pointer(header, H_NODE_TOTAL_MEM)
  const tg = pointer(header, H_NODE_TOTAL_GPU)
  const st = pointer(header, H_NODE_STATUS)
  const on = pointer(header, H_NODE_TASKS)
  for (let i = 0; i < n; i++) {
    if (i32At(tc, i) < 0) return STATUS_INVALID_BASE + H_NODE_TOTAL_CPU
    if (i32At(tm, i) < 0) return STATUS_INVALID_BASE + H_NODE_TOTAL_MEM
    if (i32At(tg, i) < 0) return STATUS_INVALID_BASE + H_NODE_TOTAL_GPU
    if (i32At(fc, i) < 0 || i32At(fc, i) > i32At(tc, i)) return STATUS_INVALID_BASE + H_NODE_FREE_CPU
    if (i32At(fm, i) < 0 || i32At(fm, i) > i32At(tm, i)) return STATUS_INVALID_BASE + H_NODE_FREE_MEM
    if (i32At(fg, i) < 0 || i32At(fg, i) > i32At(tg, i)) return STATUS_INVALID_BASE + H_NODE_FREE_GPU
    if (<i32>load<u8>(st + <usize>i) > NODE_INACTIVE) return STATUS_INVALID_BASE + H_NODE_STATUS
    if (i32At(on, i) < 0) return STATUS_INVALID_BASE + H_NODE_TASKS
  }
  const pairs = pointer(header, H_PAIRS)
  for (let i = 0, count = slot(header, H_PAIR_COUNT); i < count; i++) {
    const g = i32At(pairs, i * 3)
    const node = i32At(pairs, i * 3 + 1)
    if (g == 0 || node < 0 || node >= n || i32At(pairs, i * 3 + 2) < 0) return STATUS_INVALID_BASE + H_PAIRS
  }
  const cpu = pointer(header, H_TASK_CPU)
  const mem = pointer(header, H_TASK_MEM)
  const gpu = pointer(header, H_TASK_GPU)
  const grp = pointer(header, H_TASK_GROUP)
  const strategy = pointer(header, H_TASK_STRATEGY)
  const spread = pointer(header, H_TASK_SPREAD_ATTR)
  const flags = pointer(header, H_TASK_FLAGS)
  const cattr = pointer(header, H_TASK_CONSTRAINT_ATTR)
  const coff = pointer(header, H_TASK_CONSTRAINT_OFFSET)
  const clen = pointer(header, H_TASK_CONSTRAINT_LENGTH)
  const wait = pointer(header, H_TASK_WAIT)
  const vals = <i64>slot(header, H_VALUE_COUNT)
  for (let i = 0; i < t; i++) {
    if (i32At(cpu, i) < 0) return STATUS_INVALID_BASE + H_TASK_CPU
    if (i32At(mem, i) < 0) return STATUS_INVALID_BASE + H_TASK_MEM
    if (i32At(gpu, i) < 0) return STATUS_INVALID_BASE + H_TASK_GPU
    if (<i32>load<u8>(strategy + <usize>i) >= STRATEGY_COUNT) return STATUS_INVALID_BASE + H_TASK_STRATEGY
    const sa = <i32>load<i8>(spread + <usize>i)
    if (sa < -1 || sa >= ATTR_COUNT) return STATUS_INVALID_BASE + H_TASK_SPREAD_ATTR
    const f = <i32>load<u8>(flags + <usize>i)
    if ((f & ~FLAG_DISTINCT_INSTANCE) != 0) return STATUS_INVALID_BASE + H_TASK_FLAGS
    if ((f & FLAG_DISTINCT_INSTANCE) != 0 && i32At(grp, i) == 0) return STATUS_INVALID_BASE + H_TASK_FLAGS
    const ca = <i32>load<i8>(cattr + <usize>i)
    if (ca < -1 || ca >= ATTR_COUNT) return STATUS_INVALID_BASE + H_TASK_CONSTRAINT_ATTR
    if (ca >= 0) {
      const off = <i64>i32At(coff, i)
      const len = <i64>i32At(clen, i)
      if (off < 0 || off > vals) return STATUS_INVALID_BASE + H_TASK_CONSTRAINT_OFFSET
      if (len < 0 || off + len > vals) return STATUS_INVALID_BASE + H_TASK_CONSTRAINT_LENGTH
    }
    if (wait != 0 && i32At(wait, i) < 0) return STATUS_INVALID_BASE + H_TASK_WAIT
  }
  const status = checkExtensions(header, n, t)
  if (status != STATUS_OK) return status
  // The order must be a permutation; the output column serves as the "seen" marks.
  const order = pointer(header, H_TASK_ORDER)
  if (order != 0) {
    const seen = pointer(header, H_OUT_NODE)
    for (let i = 0; i < t; i++) setI32At(seen, i, 0)
    for (let i = 0; i < t; i++) {
      const j = i32At(order, i)
      if (j < 0 || j >= t || i32At(seen, j) != 0) return STATUS_INVALID_BASE + H_TASK_ORDER
      setI32At(seen, j, 1)
    }
  }
  return STATUS_OK
}

@inline function validPort(key: i32): bool {
  return (key & ~(PORT_UDP_BIT | 0xffff)) == 0 && (key & 0xffff) != 0
}

/** The pools and per-task records of the extension slots (all empty for a batch without them). */
function checkExtensions(header: usize, n: i32, t: i32): i32 {
  const chains = pointer(header, H_CHAINS)
  const chainCount = slot(header, H_CHAIN_COUNT)
  for (let i = 0; i < chainCount; i++) {
    const s = i32At(chains, i * 2)
    const a = i32At(chains, i * 2 + 1)
    if (s < 0 || s >= STRATEGY_COUNT || a < SPREAD_NODE || a >= ATTR_COUNT) return STATUS_INVALID_BASE + H_CHAINS
  }
  const lists = pointer(header, H_LISTS)
  const listCount = slot(header, H_LIST_COUNT)
  const vals = <i64>slot(header, H_VALUE_COUNT)
  for (let i = 0; i < listCount; i++) {
    const a = i32At(lists, i * 3)
    const off = <i64>i32At(lists, i * 3 + 1)
    const len = <i64>i32At(lists, i * 3 + 2)
    if (a < 0 || a >= ATTR_COUNT || off < 0 || len < 0 || off + len > vals) return STATUS_INVALID_BASE + H_LISTS
  }
  const ports = pointer(header, H_PORTS)
  const portCount = slot(header, H_PORT_COUNT)
  for (let i = 0; i < portCount; i++) if (!validPort(i32At(ports, i))) return STATUS_INVALID_BASE + H_PORTS
  const used = pointer(header, H_USED_PORTS)
  for (let i = 0, count = slot(header, H_USED_PORT_COUNT); i < count; i++) {
    const node = i32At(used, i * 2)
    if (node < 0 || node >= n || !validPort(i32At(used, i * 2 + 1))) return STATUS_INVALID_BASE + H_USED_PORTS
  }
  const ext = pointer(header, H_TASK_EXT)
  if (ext == 0) return STATUS_OK
  for (let i = 0; i < t; i++) {
    const at = i * EXT_SLOTS
    const co = <i64>i32At(ext, at + EXT_CHAIN_OFFSET)
    const cl = <i64>i32At(ext, at + EXT_CHAIN_LENGTH)
    const lo = <i64>i32At(ext, at + EXT_LIST_OFFSET)
    const ll = <i64>i32At(ext, at + EXT_LIST_LENGTH)
    const po = <i64>i32At(ext, at + EXT_PORT_OFFSET)
    const pl = <i64>i32At(ext, at + EXT_PORT_LENGTH)
    if (co < 0 || cl < 0 || cl > CHAIN_MAX - 1 || co + cl > <i64>chainCount) return STATUS_INVALID_BASE + H_TASK_EXT
    if (lo < 0 || ll < 0 || ll > CONSTRAINT_MAX - 1 || lo + ll > <i64>listCount) return STATUS_INVALID_BASE + H_TASK_EXT
    if (po < 0 || pl < 0 || po + pl > <i64>portCount) return STATUS_INVALID_BASE + H_TASK_EXT
  }
  return STATUS_OK
}

// ---- scratch layout ---------------------------------------------------------------

@inline function align8(x: u64): u64 {
  return (x + 7) & ~(<u64>7)
}

function hashSlots(pairs: i32, grouped: i32): i32 {
  let cap = 16
  const need = (<i64>pairs + <i64>grouped) * 2
  while (<i64>cap < need) cap <<= 1
  return cap
}

function groupedTasks(header: usize, t: i32): i32 {
  const grp = pointer(header, H_TASK_GROUP)
  let grouped = 0
  for (let i = 0; i < t; i++) if (i32At(grp, i) != 0) grouped++
  return grouped
}

/** Slots of the port set: every used pair and every port a task may take, at load <= 1/2. */
function portSlots(used: i32, taskPorts: i64): i32 {
  let cap = 16
  const need = (<i64>used + taskPorts) * 2
  while (<i64>cap < need) cap <<= 1
  return cap
}

/** Ports the batch's tasks ask for in all (each may take its ports on a node), or -1 for a bad record. */
function taskPortTotal(header: usize, t: i32): i64 {
  const ext = pointer(header, H_TASK_EXT)
  if (ext == 0) return 0
  let total: i64 = 0
  for (let i = 0; i < t; i++) {
    const l = i32At(ext, i * EXT_SLOTS + EXT_PORT_LENGTH)
    if (l < 0) return -1
    total += <i64>l
  }
  return total
}

/** Extra scratch of a batch with extension records: the chain scan and the port set. */
function extensionNeed(n: i32, used: i32, taskPorts: i64): u64 {
  return chainScratchBytes(n, hashSlots(n, 0)) + 8 + <u64>portSlots(used, taskPorts) * 8 + 8
}

/** Scratch bytes for n nodes: working copies, two trees, spread ranges, the counts table, the memo. */
function scratchNeed(n: i32, pairs: i32, grouped: i32): u64 {
  const p = <u64>leafSlots(n)
  const nn = <u64>n
  let bytes: u64 = 0
  bytes += align8(nn * 4) * 5 + align8(nn) + nn * 24 //         working copies
  bytes += 2 * (align8(p * 4) + <u64>RECORD_BYTES * 2 * p + 16) //   main + spread tree (+ Tree structs)
  bytes += align8(nn * 4) * 4 + align8((nn + 1) * 4) //            spread ranges
  bytes += <u64>hashSlots(pairs, grouped) * 12 + 8 //              counts
  bytes += <u64>MEMO_SCRATCH_BYTES + 8 //                           memo
  bytes += <u64>CLASSES_SCRATCH_BYTES + 8 //                       size classes
  return bytes
}

/** Scratch for n nodes, p running pairs and g grouped tasks (hosts reserve it up front). */
export function scratchFor(n: i32, pairs: i32, grouped: i32): i32 {
  if (n < 0 || pairs < 0 || grouped < 0) return -STATUS_INVALID_BASE
  const need = scratchNeed(n, pairs, grouped)
  return need > <u64>i32.MAX_VALUE ? -STATUS_SCRATCH_TOO_SMALL : <i32>need
}

/** Bytes of scratch place(header) needs, or a negative status when the header is unusable. */
export function scratchBytes(header: usize): i32 {
  if (!inMemory(header, HEADER_SLOTS, 4)) return -STATUS_OUT_OF_BOUNDS
  const n = slot(header, H_NODE_COUNT)
  const t = slot(header, H_TASK_COUNT)
  if (n < 0) return -(STATUS_INVALID_BASE + H_NODE_COUNT)
  if (t < 0) return -(STATUS_INVALID_BASE + H_TASK_COUNT)
  if (slot(header, H_PAIR_COUNT) < 0) return -(STATUS_INVALID_BASE + H_PAIR_COUNT)
  if (!inMemory(pointer(header, H_TASK_GROUP), t, 4)) return -STATUS_OUT_OF_BOUNDS
  let need = scratchNeed(n, slot(header, H_PAIR_COUNT), groupedTasks(header, t))
  if (pointer(header, H_TASK_EXT) != 0) {
    const used = slot(header, H_USED_PORT_COUNT)
    if (used < 0) return -(STATUS_INVALID_BASE + H_USED_PORT_COUNT)
    if (!inMemory(pointer(header, H_TASK_EXT), t * EXT_SLOTS, 4)) return -STATUS_OUT_OF_BOUNDS
    const ports = taskPortTotal(header, t)
    if (ports < 0) return -(STATUS_INVALID_BASE + H_TASK_EXT)
    need += extensionNeed(n, used, ports)
  }
  return need > <u64>i32.MAX_VALUE ? -STATUS_SCRATCH_TOO_SMALL : <i32>need
}

let bump: usize = 0

function carve(bytes: u64): usize {
  const at = bump
  bump += <usize>align8(bytes)
  return at
}

function carveTree(n: i32): Tree {
  const p = leafSlots(n)
  const t = changetype<Tree>(carve(16))
  t.size = p
  t.leaves = n
  t.perm = carve(<u64>p * 4)
  t.records = carve(<u64>RECORD_BYTES * 2 * <u64>p)
  return t
}

// ---- place ---------------------------------------------------------------------------

export function place(header: usize): i32 {
  const n = inMemory(header, HEADER_SLOTS, 4) ? slot(header, H_NODE_COUNT) : 0
  const t = inMemory(header, HEADER_SLOTS, 4) ? slot(header, H_TASK_COUNT) : 0
  let status = checkColumns(header, n, t)
  if (status != STATUS_OK) return status
  status = checkValues(header, n, t)
  if (status != STATUS_OK) return status
  const pairCount = slot(header, H_PAIR_COUNT)
  const grouped = groupedTasks(header, t)
  const ext = pointer(header, H_TASK_EXT)
  const usedPorts = slot(header, H_USED_PORT_COUNT)
  const taskPorts = taskPortTotal(header, t)
  let need = scratchNeed(n, pairCount, grouped)
  if (ext != 0) need += extensionNeed(n, usedPorts, taskPorts)
  if (<u64>slot(header, H_SCRATCH_BYTES) < need) return STATUS_SCRATCH_TOO_SMALL

  setSnapshot(n, pointer(header, H_NODE_TOTAL_CPU), pointer(header, H_NODE_TOTAL_MEM),
    pointer(header, H_NODE_TOTAL_GPU), pointer(header, H_NODE_STATUS), pointer(header, H_NODE_ATTRS),
    pointer(header, H_VALUES))
  setPools(pointer(header, H_LISTS), pointer(header, H_PORTS), pointer(header, H_CHAINS))

  // Working copies of what placements change.
  bump = pointer(header, H_SCRATCH)
  const nn = <u64>n
  const fc = carve(nn * 4)
  const fm = carve(nn * 4)
  const fg = carve(nn * 4)
  const on = carve(nn * 4)
  const ax = carve(nn * 4)
  const bl = carve(nn)
  const pot = carve(nn * 8)
  const ic = carve(nn * 8)
  const im = carve(nn * 8)
  memory.copy(fc, pointer(header, H_NODE_FREE_CPU), <usize>n << 2)
  memory.copy(fm, pointer(header, H_NODE_FREE_MEM), <usize>n << 2)
  memory.copy(fg, pointer(header, H_NODE_FREE_GPU), <usize>n << 2)
  memory.copy(on, pointer(header, H_NODE_TASKS), <usize>n << 2)
  memory.fill(ax, 0, <usize>n << 2)
  setWorking(fc, fm, fg, on, ax, bl, pot, ic, im)
  const cpu0 = pointer(header, H_TASK_CPU)
  const mem0 = pointer(header, H_TASK_MEM)
  const gpu0 = pointer(header, H_TASK_GPU)
  let minCpu = i32.MAX_VALUE
  let minMem = i32.MAX_VALUE
  let minGpu = i32.MAX_VALUE
  for (let i = 0; i < t; i++) {
    minCpu = min(minCpu, i32At(cpu0, i))
    minMem = min(minMem, i32At(mem0, i))
    minGpu = min(minGpu, i32At(gpu0, i))
  }
  const st = pointer(header, H_NODE_STATUS)
  for (let i = 0; i < n; i++) {
    let why = load<u8>(st + <usize>i) == NODE_ACTIVE ? BLOCK_NONE : BLOCK_INACTIVE
    if (why == BLOCK_NONE && (i32At(fc, i) < minCpu || i32At(fm, i) < minMem || i32At(fg, i) < minGpu)) why = BLOCK_DEAD
    store<u8>(bl + <usize>i, why)
    store<f64>(ic + (<usize>i << 3), inverse(i32At(pointer(header, H_NODE_TOTAL_CPU), i)))
    store<f64>(im + (<usize>i << 3), inverse(i32At(pointer(header, H_NODE_TOTAL_MEM), i)))
    refreshPotential(i)
  }

  // The capacity index over node indices, and the spread machinery.
  classesInit(carve(<u64>CLASSES_SCRATCH_BYTES), cpu0, mem0, t)
  const main = carveTree(n)
  for (let i = 0; i < main.size; i++) setI32At(main.perm, i, i < n ? i : -1)
  build(main)
  const spread = carveTree(n)
  spreadInit(main, spread, carve(nn * 4), carve(nn * 4), carve((nn + 1) * 4), carve(nn * 4), carve(nn * 4))

  // Groups already running.
  const slots = hashSlots(pairCount, grouped)
  countsInit(carve(<u64>slots * 12), slots)
  const pairs = pointer(header, H_PAIRS)
  for (let i = 0; i < pairCount; i++) {
    const c = i32At(pairs, i * 3 + 2)
    if (c > 0) countAdd(i32At(pairs, i * 3), i32At(pairs, i * 3 + 1), c)
  }

  // Extensions: the chain scan's scratch, and the ports taken (none without extension records).
  if (ext != 0) {
    const valueSlots = hashSlots(n, 0)
    chainInit(carve(<u64>CHAIN_MAX * nn * 4), carve(<u64>valueSlots * 12), valueSlots, carve(<u64>CHAIN_MAX * 16))
    const pslots = portSlots(usedPorts, taskPorts)
    portsInit(carve(<u64>pslots * 8), pslots)
    const used = pointer(header, H_USED_PORTS)
    for (let i = 0; i < usedPorts; i++) portTake(i32At(used, i * 2), i32At(used, i * 2 + 1))
  }

  pipelineInit(main, carve(<u64>MEMO_SCRATCH_BYTES), minCpu, minMem, minGpu)
  setTaskExtension(0, 0, 0, 0, 0, 0) // no chain, lists or ports unless a task's record says so
  metricsInit(pointer(header, H_METRICS))
  seedRandom(<u32>slot(header, H_SEED))

  const cpu = pointer(header, H_TASK_CPU)
  const mem = pointer(header, H_TASK_MEM)
  const gpu = pointer(header, H_TASK_GPU)
  const grp = pointer(header, H_TASK_GROUP)
  const strategy = pointer(header, H_TASK_STRATEGY)
  const spreadAttr = pointer(header, H_TASK_SPREAD_ATTR)
  const flags = pointer(header, H_TASK_FLAGS)
  const cattr = pointer(header, H_TASK_CONSTRAINT_ATTR)
  const coff = pointer(header, H_TASK_CONSTRAINT_OFFSET)
  const clen = pointer(header, H_TASK_CONSTRAINT_LENGTH)
  const wait = pointer(header, H_TASK_WAIT)
  const order = pointer(header, H_TASK_ORDER)
  const aging = slot(header, H_AGING)
  const outNode = pointer(header, H_OUT_NODE)
  const outReason = pointer(header, H_OUT_REASON)
  for (let j = 0; j < t; j++) {
    const i = order != 0 ? i32At(order, j) : j
    const aged = aging > 0 && wait != 0 && i32At(wait, i) >= aging
    if (ext != 0) {
      const at = i * EXT_SLOTS
      setTaskExtension(i32At(ext, at + EXT_CHAIN_OFFSET), i32At(ext, at + EXT_CHAIN_LENGTH), i32At(ext, at + EXT_LIST_OFFSET),
        i32At(ext, at + EXT_LIST_LENGTH), i32At(ext, at + EXT_PORT_OFFSET), i32At(ext, at + EXT_PORT_LENGTH))
    }
    placeTask(i, i32At(cpu, i), i32At(mem, i), i32At(gpu, i), i32At(grp, i), <i32>load<u8>(strategy + <usize>i),
      <i32>load<i8>(spreadAttr + <usize>i), <i32>load<u8>(flags + <usize>i), <i32>load<i8>(cattr + <usize>i),
      i32At(coff, i), i32At(clen, i), aged, outNode, outReason)
  }
  return STATUS_OK
}

// ---- queue ordering -------------------------------------------------------------------

/**
 * Writes the dispatch order of `count` jobs into out (i32[count]); tmp is
 * i32[count] of scratch. Columns are i32[count]: queue priority, compute
 * environment order, submission sequence.
 */
export function orderJobs(count: i32, priority: usize, envOrder: usize, sequence: usize, out: usize, tmp: usize): i32 {
  if (count < 0) return STATUS_INVALID_BASE
  if (!inMemory(priority, count, 4) || !inMemory(envOrder, count, 4) || !inMemory(sequence, count, 4) ||
      !inMemory(out, count, 4) || !inMemory(tmp, count, 4)) return STATUS_OUT_OF_BOUNDS
  sortJobs(count, priority, envOrder, sequence, out, tmp)
  return STATUS_OK
}

