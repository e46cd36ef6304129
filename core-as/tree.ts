// The capacity index: a complete binary tree over leaf positions, each record
// summarising its subtree. Searches prune a subtree when no node in it can fit
// the task (a max per dimension is too small) or when a lower bound on the
// strategy's score shows it cannot beat the best node found so far. Updating
// one node after a placement touches log2(leaves) records.
//
// Lower bounds are kept per size class (classes.ts): minima over only the
// nodes with at least the class threshold free. A task then ignores
// nearly-full nodes that could never take it, which would otherwise drag every
// bound down to zero and defeat pruning (see README.md, "Why size classes").
//
// Record layout (array of structs, RECORD_BYTES each):
//
//   +0 maxCpu +4 maxMem +8 maxGpu +12 minAux
//   +16 minFreeCpu[CLASSES]   over nodes with free cpu >= cpu threshold j
//   +48 minFreeMem[CLASSES]   over nodes with free mem >= memory threshold j
//   +80 maxInverseCpu (f64)   largest 1/totalCpu (0 for a node without cpu)
//   +88 maxInverseMem (f64)
//   +96 minPotential by cpu class (f64 x CLASSES)
//   +160 minPotential by mem class (f64 x CLASSES)
//
// Inverses rather than totals: bounds multiply instead of divide, and a
// search computes thousands of bounds per task. Blocked and padding leaves
// hold max = -1 (no task fits, not even a zero-sized one) and neutral values.

import { CLASSES, cpuThreshold, memThreshold } from './classes'
import { aux, blocked, freeCpu, freeGpu, freeMem, i32At, inverseCpu, inverseMem, potential } from './state'

export const OFF_MIN_AUX: usize = 12
export const OFF_MIN_CPU: usize = 16
export const OFF_MIN_MEM: usize = 48
export const OFF_INV_CPU: usize = 80
export const OFF_INV_MEM: usize = 88
export const OFF_POT_CPU: usize = 96
export const OFF_POT_MEM: usize = 160
export const RECORD_BYTES: usize = 224
const NONE: i32 = i32.MAX_VALUE

@unmanaged export class Tree {
  size: i32 = 0 //      leaf slots, a power of two
  leaves: i32 = 0 //    real leaves (the first `leaves` positions)
  perm: usize = 0 //    i32[size] leaf position -> node index
  records: usize = 0 // RECORD_BYTES * 2 * size; record 1 is the root, leaves at size..2*size-1
}

@inline export function record(t: Tree, k: i32): usize {
  return t.records + <usize>k * RECORD_BYTES
}

/** Could some node of the subtree fit `need` (cpu, mem, gpu, i32.MIN_VALUE)? */
@inline export function fitsRecord(rec: usize, need: v128): bool {
  return i32x4.all_true(i32x4.ge_s(v128.load(rec), need))
}

function writeBlockedLeaf(rec: usize): void {
  store<i32>(rec, -1)
  store<i32>(rec, -1, 4)
  store<i32>(rec, -1, 8)
  store<i32>(rec, NONE, 12)
  store<f64>(rec + OFF_INV_CPU, 0.0)
  store<f64>(rec + OFF_INV_MEM, 0.0)
  for (let j = 0; j < CLASSES; j++) {
    const o = <usize>j << 2
    store<i32>(rec + OFF_MIN_CPU + o, NONE)
    store<i32>(rec + OFF_MIN_MEM + o, NONE)
    store<f64>(rec + OFF_POT_CPU + (o << 1), Infinity)
    store<f64>(rec + OFF_POT_MEM + (o << 1), Infinity)
  }
}

function writeLeaf(t: Tree, pos: i32): void {
  const rec = record(t, t.size + pos)
  if (pos >= t.leaves) {
    writeBlockedLeaf(rec)
    return
  }
  const node = i32At(t.perm, pos)
  if (load<u8>(blocked + <usize>node) != 0) {
    writeBlockedLeaf(rec)
    return
  }
  const fc = i32At(freeCpu, node)
  const fm = i32At(freeMem, node)
  const p = load<f64>(potential + (<usize>node << 3))
  store<i32>(rec, fc)
  store<i32>(rec, fm, 4)
  store<i32>(rec, i32At(freeGpu, node), 8)
  store<i32>(rec, i32At(aux, node), 12)
  store<f64>(rec + OFF_INV_CPU, load<f64>(inverseCpu + (<usize>node << 3)))
  store<f64>(rec + OFF_INV_MEM, load<f64>(inverseMem + (<usize>node << 3)))
  for (let j = 0; j < CLASSES; j++) {
    const o = <usize>j << 2
    const inCpu = fc >= cpuThreshold(j)
    const inMem = fm >= memThreshold(j)
    store<i32>(rec + OFF_MIN_CPU + o, inCpu ? fc : NONE)
    store<i32>(rec + OFF_MIN_MEM + o, inMem ? fm : NONE)
    store<f64>(rec + OFF_POT_CPU + (o << 1), inCpu ? p : Infinity)
    store<f64>(rec + OFF_POT_MEM + (o << 1), inMem ? p : Infinity)
  }
}

@inline function minF(a: f64, b: f64): f64 {
  // Not Math.min: NaN cannot occur here, and +Infinity is the neutral value.
  return a < b ? a : b
}

// Lanes 0..2 of the first vector are maxima (free cpu, memory, gpu), lane 3 a minimum (aux).
const MAX_LANES: v128 = i32x4(-1, -1, -1, 0)

/**
 * A record from its two children, 16 bytes at a time: maxima of free
 * capacity, minima of the per-class values, maxima of the inverses, minima
 * of the potentials. (f64x2.min equals `a < b ? a : b` here: no NaN, no -0.)
 */
@inline function pull(t: Tree, k: i32): void {
  const rec = record(t, k)
  const l = record(t, k << 1)
  const r = l + RECORD_BYTES
  const a = v128.load(l)
  const b = v128.load(r)
  v128.store(rec, v128.bitselect(i32x4.max_s(a, b), i32x4.min_s(a, b), MAX_LANES))
  v128.store(rec, i32x4.min_s(v128.load(l, 16), v128.load(r, 16)), 16)
  v128.store(rec, i32x4.min_s(v128.load(l, 32), v128.load(r, 32)), 32)
  v128.store(rec, i32x4.min_s(v128.load(l, 48), v128.load(r, 48)), 48)
  v128.store(rec, i32x4.min_s(v128.load(l, 64), v128.load(r, 64)), 64)
  v128.store(rec, f64x2.max(v128.load(l, 80), v128.load(r, 80)), 80)
  v128.store(rec, f64x2.min(v128.load(l, 96), v128.load(r, 96)), 96)
  v128.store(rec, f64x2.min(v128.load(l, 112), v128.load(r, 112)), 112)
  v128.store(rec, f64x2.min(v128.load(l, 128), v128.load(r, 128)), 128)
  v128.store(rec, f64x2.min(v128.load(l, 144), v128.load(r, 144)), 144)
  v128.store(rec, f64x2.min(v128.load(l, 160), v128.load(r, 160)), 160)
  v128.store(rec, f64x2.min(v128.load(l, 176), v128.load(r, 176)), 176)
  v128.store(rec, f64x2.min(v128.load(l, 192), v128.load(r, 192)), 192)
  v128.store(rec, f64x2.min(v128.load(l, 208), v128.load(r, 208)), 208)
}

/** Rebuilds every record from the working state: O(size). */
export function build(t: Tree): void {
  for (let pos = 0; pos < t.size; pos++) writeLeaf(t, pos)
  for (let k = t.size - 1; k >= 1; k--) pull(t, k)
}

/** Refreshes the leaf at `pos` and its ancestors: O(log size). */
export function update(t: Tree, pos: i32): void {
  writeLeaf(t, pos)
  let k = (t.size + pos) >> 1
  while (k >= 1) {
    pull(t, k)
    k >>= 1
  }
}

/** Smallest power of two >= n (and >= 1). */
export function leafSlots(n: i32): i32 {
  let p = 1
  while (p < n) p <<= 1
  return p
}
