// Size classes: the thresholds the capacity index keeps its bounds by.
//
// A record keeps, per class j, minima over only the nodes with at least
// threshold[j] free. A task uses the largest class whose threshold it meets,
// so nodes with less free than the class threshold never weaken its bounds.
// The thresholds adapt to the batch: with at most CLASSES distinct requests
// in a dimension, each request is its own class (no node below a task's
// request is ever in its class); with up to MAX_DISTINCT they are spread over
// the sorted distinct requests; beyond that a fixed ladder of powers of two.

export const CLASSES: i32 = 8
const MAX_DISTINCT: i32 = 64
const TABLE_SLOTS: i32 = 256
const NONE: i32 = i32.MAX_VALUE

// Scratch: thresholds (i32[CLASSES] per dimension), the distinct values
// (i32[MAX_DISTINCT]) and the hash table used to collect them.
let cpuThresholds: usize = 0
let memThresholds: usize = 0
let distinct: usize = 0
let tableKeys: usize = 0
let tableUsed: usize = 0

export const CLASSES_SCRATCH_BYTES: i32 = CLASSES * 8 + MAX_DISTINCT * 4 + TABLE_SLOTS * 5

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2)
}

/** Distinct values of a task column, in first-seen order; -1 when more than MAX_DISTINCT. */
function collect(column: usize, count: i32): i32 {
  memory.fill(tableUsed, 0, <usize>TABLE_SLOTS)
  let d = 0
  for (let i = 0; i < count; i++) {
    const v = load<i32>(at(column, i))
    let slot = <i32>(<u32>(v * <i32>0x9e3779b1) >> 24)
    while (true) {
      if (load<u8>(tableUsed + <usize>slot) == 0) {
        if (d == MAX_DISTINCT) return -1
        store<u8>(tableUsed + <usize>slot, 1)
        store<i32>(at(tableKeys, slot), v)
        store<i32>(at(distinct, d), v)
        d++
        break
      }
      if (load<i32>(at(tableKeys, slot)) == v) break
      slot = (slot + 1) & (TABLE_SLOTS - 1)
    }
  }
  return d
}

function sortDistinct(d: i32): void {
  for (let i = 1; i < d; i++) {
    const v = load<i32>(at(distinct, i))
    let j = i - 1
    while (j >= 0 && load<i32>(at(distinct, j)) > v) {
      store<i32>(at(distinct, j + 1), load<i32>(at(distinct, j)))
      j--
    }
    store<i32>(at(distinct, j + 1), v)
  }
}

function choose(out: usize, column: usize, count: i32, ladderBase: i32): void {
  const d = collect(column, count)
  if (d < 0) {
    store<i32>(at(out, 0), 0)
    for (let j = 1; j < CLASSES; j++) store<i32>(at(out, j), ladderBase << (j - 1))
    return
  }
  sortDistinct(d)
  for (let j = 0; j < CLASSES; j++) {
    let v = NONE
    if (d <= CLASSES) {
      if (j < d) v = load<i32>(at(distinct, j))
    } else {
      v = load<i32>(at(distinct, (j * d) / CLASSES))
    }
    store<i32>(at(out, j), v)
  }
}

/** Chooses both dimensions' thresholds for a batch. */
export function classesInit(scratch: usize, taskCpu: usize, taskMem: usize, count: i32): void {
  cpuThresholds = scratch
  memThresholds = scratch + (<usize>CLASSES << 2)
  distinct = scratch + (<usize>CLASSES << 3)
  tableKeys = distinct + (<usize>MAX_DISTINCT << 2)
  tableUsed = tableKeys + (<usize>TABLE_SLOTS << 2)
  choose(cpuThresholds, taskCpu, count, 128)
  choose(memThresholds, taskMem, count, 256)
}

@inline export function cpuThreshold(j: i32): i32 {
  return load<i32>(at(cpuThresholds, j))
}

@inline export function memThreshold(j: i32): i32 {
  return load<i32>(at(memThresholds, j))
}

/** The largest class whose threshold a request meets (0 when none does). */
export function cpuClassOf(request: i32): i32 {
  let j = CLASSES - 1
  while (j > 0 && cpuThreshold(j) > request) j--
  return j
}

export function memClassOf(request: i32): i32 {
  let j = CLASSES - 1
  while (j > 0 && memThreshold(j) > request) j--
  return j
}
