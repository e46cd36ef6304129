// Static host ports taken per node: an open-addressing set of (node, port key)
// in scratch, filled from the ports already in use on the nodes and grown by
// every placement of a task that needs ports, so two tasks of one plan never
// get the same port on the same node. A key is the port number, with
// PORT_UDP_BIT for udp. The host sizes the table for every pair the batch can
// create (load factor <= 1/2), so it never fills up.

const ENTRY: usize = 8 // node + 1 (0 marks an empty slot) i32, key i32

let table: usize = 0
let mask: i32 = 0

export function portsInit(base: usize, capacity: i32): void {
  table = base
  mask = capacity - 1
  memory.fill(base, 0, <usize>capacity * ENTRY)
}

@inline function slotOf(node: i32, key: i32): i32 {
  let h = ((node + 1) * <i32>0x9e3779b1) ^ (key * <i32>0x85ebca77)
  h ^= h >>> 15
  return h & mask
}

/** The slot holding (node, key), or the empty slot where it belongs. */
function find(node: i32, key: i32): usize {
  let i = slotOf(node, key)
  while (true) {
    const e = table + <usize>i * ENTRY
    const n = load<i32>(e)
    if (n == 0 || (n == node + 1 && load<i32>(e, 4) == key)) return e
    i = (i + 1) & mask
  }
  return 0
}

export function portTaken(node: i32, key: i32): bool {
  return load<i32>(find(node, key)) != 0
}

export function portTake(node: i32, key: i32): void {
  const e = find(node, key)
  if (load<i32>(e) == 0) {
    store<i32>(e, node + 1)
    store<i32>(e, key, 4)
  }
}
