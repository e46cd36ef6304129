// Live state of one place() call: where the snapshot columns are, and the
// working copies the call mutates as it commits placements. The snapshot the
// host passed in is never written; only the scratch area and the outputs are.
//
// Module globals are deliberate: the core is single-threaded and re-entered
// only between calls, and globals keep the recursive search free of long
// parameter lists.

// ---- snapshot columns (read-only) -------------------------------------------------
export let nodeCount: i32 = 0
export let totalCpu: usize = 0
export let totalMem: usize = 0
export let totalGpu: usize = 0
export let status: usize = 0
export let attrs: usize = 0
export let values: usize = 0
export let lists: usize = 0 //  i32[3 * lists] extra memberOf sets (attribute, value offset, value length)
export let ports: usize = 0 //  i32[ports] port keys tasks need
export let chains: usize = 0 // i32[2 * chains] tie-breaking strategies (strategy, spread attribute)

export function setPools(l: usize, p: usize, c: usize): void {
  lists = l
  ports = p
  chains = c
}

// Why a node is not a candidate. Dead nodes cannot fit the smallest task of
// the batch in some dimension; since capacity only shrinks within a batch they
// never will, and keeping them out of the index keeps its bounds tight.
export const BLOCK_NONE: u8 = 0
export const BLOCK_INACTIVE: u8 = 1
export const BLOCK_RESERVED: u8 = 2
export const BLOCK_DEAD: u8 = 3

// ---- working copies (scratch) ----------------------------------------------------
export let freeCpu: usize = 0 //    i32[nodes]
export let freeMem: usize = 0 //    i32[nodes]
export let freeGpu: usize = 0 //    i32[nodes]
export let tasksOn: usize = 0 //    i32[nodes] tasks on the node, all groups
export let aux: usize = 0 //        i32[nodes] tasks of the spread context's group on the node
export let blocked: usize = 0 //    u8[nodes]  BLOCK_*: why the node is out of the index (0 = in it)
export let potential: usize = 0 //  f64[nodes] free cpu / total cpu + free mem / total mem
export let inverseCpu: usize = 0 // f64[nodes] 1 / total cpu (0 without cpu)
export let inverseMem: usize = 0 // f64[nodes] 1 / total mem (0 without memory)

export function setSnapshot(n: i32, tc: usize, tm: usize, tg: usize, st: usize, at: usize, vals: usize): void {
  nodeCount = n
  totalCpu = tc
  totalMem = tm
  totalGpu = tg
  status = st
  attrs = at
  values = vals
}

export function setWorking(fc: usize, fm: usize, fg: usize, to: usize, ax: usize, bl: usize, pot: usize, ic: usize, im: usize): void {
  inverseCpu = ic
  inverseMem = im
  freeCpu = fc
  freeMem = fm
  freeGpu = fg
  tasksOn = to
  aux = ax
  blocked = bl
  potential = pot
}

@inline export function i32At(column: usize, i: i32): i32 {
  return load<i32>(column + (<usize>i << 2))
}

@inline export function setI32At(column: usize, i: i32, value: i32): void {
  store<i32>(column + (<usize>i << 2), value)
}

@inline export function attrOf(node: i32, attr: i32): i32 {
  return load<i32>(attrs + ((<usize>attr * <usize>nodeCount + <usize>node) << 2))
}

/** Free fraction of one dimension; a node without capacity in it counts 0. */
@inline export function fraction(part: i32, whole: i32): f64 {
  return whole > 0 ? <f64>part / <f64>whole : 0.0
}

/** 1 / total, or 0 for a dimension the node does not have. */
@inline export function inverse(whole: i32): f64 {
  return whole > 0 ? 1.0 / <f64>whole : 0.0
}

/** The bestfit potential of a node: its free share of cpu plus its free share of memory. */
export function refreshPotential(node: i32): void {
  const p = fraction(i32At(freeCpu, node), i32At(totalCpu, node)) + fraction(i32At(freeMem, node), i32At(totalMem, node))
  store<f64>(potential + (<usize>node << 3), p)
}

