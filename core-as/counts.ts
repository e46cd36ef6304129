// Tasks of a group per node: an open-addressing hash table of
// (group, node) -> count in scratch. Distinct-instance asks "is this group on
// that node?"; spread asks "how many?". Group 0 means "no group" and marks an
// empty slot. The table is sized by the host for every pair the batch can
// create, so it never fills up (load factor <= 1/2).

const ENTRY: usize = 12 // group i32, node i32, count i32

let table: usize = 0
let mask: i32 = 0

export function countsInit(base: usize, capacity: i32): void {
  table = base
  mask = capacity - 1
  memory.fill(base, 0, <usize>capacity * ENTRY)
}

@inline function slotOf(group: i32, node: i32): i32 {
  let h = (group * <i32>0x9e3779b1) ^ ((node + 1) * <i32>0x85ebca77)
  h ^= h >>> 15
  return h & mask
}

/** The slot holding (group, node), or the empty slot where it belongs. */
function find(group: i32, node: i32): usize {
  let i = slotOf(group, node)
  while (true) {
    const e = table + <usize>i * ENTRY
    const g = load<i32>(e)
    if (g == 0 || (g == group && load<i32>(e, 4) == node)) return e
    i = (i + 1) & mask
  }
  return 0
}

export function countGet(group: i32, node: i32): i32 {
  const e = find(group, node)
  return load<i32>(e) == 0 ? 0 : load<i32>(e, 8)
}

export function countAdd(group: i32, node: i32, delta: i32): void {
  const e = find(group, node)
  if (load<i32>(e) == 0) {
    store<i32>(e, group)
    store<i32>(e, node, 4)
    store<i32>(e, delta, 8)
  } else {
    store<i32>(e, load<i32>(e, 8) + delta, 8)
  }
}
