// Rank + select over the capacity index: a best-first branch and bound that
// returns the feasible leaf with the lowest (score, position).
//
// Scores (lower is better), per strategy:
//   binpack cpu / memory  free units of that dimension left after the task
//   bestfit               potential - (cpu * (1/totalCpu) + mem * (1/totalMem)): the
//                         sum of the node's normalised leftovers of cpu and memory
//   spread                tasks of the spread context's group already on the node
//   random (fallback)     distance of the position after a random start, wrapping
//
// Every lower bound below is <= the score of every feasible leaf of the subtree
// *as computed in floating point* (IEEE rounding is monotonic, and the bound
// subtracts the largest per-node term the subtree can have), so pruning never
// changes the answer; ties go to the lower position.

import { M_INDEX_VISITS, STRATEGY_BESTFIT, STRATEGY_BINPACK_CPU, STRATEGY_BINPACK_MEMORY, STRATEGY_SPREAD } from './abi'
import { cpuClassOf, memClassOf } from './classes'
import { fitsRecord, OFF_INV_CPU, OFF_INV_MEM, OFF_MIN_AUX, OFF_MIN_CPU, OFF_MIN_MEM, OFF_POT_CPU, OFF_POT_MEM, record, RECORD_BYTES, Tree } from './tree'
import { aux, freeCpu, freeMem, i32At, inverseCpu, inverseMem, potential } from './state'
import { leafPasses } from './feasibility'
import { addEvaluated, addMetric } from './metrics'

// ---- the task being placed (set by placement.ts) ----------------------------------
export let taskCpu: i32 = 0
export let taskMem: i32 = 0
export let taskStrategy: i32 = 0
let cpuSlot: usize = 0 // byte offsets of the task's size class in a record
let memSlot: usize = 0
let need: v128 = i32x4.splat(0) // (cpu, mem, gpu, i32.MIN_VALUE): compared with a record's maxima

/** The node the previous task went to: bestfit and binpack often pick it again. */
let hint: i32 = -1

export function resetHint(): void {
  hint = -1
}

export function setHint(node: i32): void {
  hint = node
}

export function setTask(cpu: i32, mem: i32, gpu: i32, strategy: i32): void {
  taskCpu = cpu
  taskMem = mem
  taskStrategy = strategy
  cpuSlot = <usize>cpuClassOf(cpu) << 2
  memSlot = <usize>memClassOf(mem) << 2
  need = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(i32.MIN_VALUE), 0, cpu), 1, mem), 2, gpu)
}

// ---- one search -----------------------------------------------------------------
let bestScore: f64 = Infinity
let bestPos: i32 = -1
let rangeLo: i32 = 0
let rangeHi: i32 = 0
let randomStart: i32 = 0
let slots: i32 = 0

@inline function lowerBound(rec: usize, lo: i32, width: i32): f64 {
  if (taskStrategy == STRATEGY_BESTFIT) {
    // Feasible nodes are in the task's class on both dimensions: the larger
    // of the two class minima bounds their potential from below.
    const pc = load<f64>(rec + OFF_POT_CPU + (cpuSlot << 1))
    const pm = load<f64>(rec + OFF_POT_MEM + (memSlot << 1))
    const q = <f64>taskCpu * load<f64>(rec + OFF_INV_CPU) + <f64>taskMem * load<f64>(rec + OFF_INV_MEM)
    return (pc > pm ? pc : pm) - q
  }
  if (taskStrategy == STRATEGY_BINPACK_CPU) return <f64>(max(load<i32>(rec + OFF_MIN_CPU + cpuSlot), taskCpu) - taskCpu)
  if (taskStrategy == STRATEGY_BINPACK_MEMORY) return <f64>(max(load<i32>(rec + OFF_MIN_MEM + memSlot), taskMem) - taskMem)
  if (taskStrategy == STRATEGY_SPREAD) return <f64>load<i32>(rec + OFF_MIN_AUX)
  // random: positions are scored by their distance after randomStart
  if (lo >= randomStart) return <f64>(lo - randomStart)
  if (lo + width <= randomStart) return <f64>(lo - randomStart + slots)
  return 0.0
}

@inline function leafScore(node: i32, pos: i32): f64 {
  if (taskStrategy == STRATEGY_BESTFIT) {
    const at = <usize>node << 3
    const q = <f64>taskCpu * load<f64>(inverseCpu + at) + <f64>taskMem * load<f64>(inverseMem + at)
    return load<f64>(potential + at) - q
  }
  if (taskStrategy == STRATEGY_BINPACK_CPU) return <f64>(i32At(freeCpu, node) - taskCpu)
  if (taskStrategy == STRATEGY_BINPACK_MEMORY) return <f64>(i32At(freeMem, node) - taskMem)
  if (taskStrategy == STRATEGY_SPREAD) return <f64>i32At(aux, node)
  return pos >= randomStart ? <f64>(pos - randomStart) : <f64>(pos - randomStart + slots)
}

@inline function pruned(lb: f64, lo: i32): bool {
  // A subtree starting at bestPos holds it and later positions: ties lose.
  return lb > bestScore || (lb == bestScore && lo >= bestPos)
}

function visit(t: Tree, k: i32, lo: i32, width: i32): void {
  addMetric(M_INDEX_VISITS, 1.0)
  if (width == 1) {
    // The parent checked capacity; only constraints remain (feasibility stage).
    const node = i32At(t.perm, lo)
    addEvaluated()
    if (!leafPasses(node)) return
    const s = leafScore(node, lo)
    if (s < bestScore || (s == bestScore && lo < bestPos)) {
      bestScore = s
      bestPos = lo
    }
    return
  }
  const half = width >> 1
  const l = k << 1
  const loR = lo + half
  const recL = record(t, l)
  const recR = recL + RECORD_BYTES
  const okL = lo < rangeHi && loR > rangeLo && fitsRecord(recL, need)
  const okR = loR < rangeHi && lo + width > rangeLo && fitsRecord(recR, need)
  if (okL && okR) {
    const lbL = lowerBound(recL, lo, half)
    const lbR = lowerBound(recR, loR, half)
    if (lbR < lbL) {
      if (!pruned(lbR, loR)) visit(t, l + 1, loR, half)
      if (!pruned(lbL, lo)) visit(t, l, lo, half)
    } else {
      if (!pruned(lbL, lo)) visit(t, l, lo, half)
      if (!pruned(lbR, loR)) visit(t, l + 1, loR, half)
    }
  } else if (okL) {
    if (!pruned(lowerBound(recL, lo, half), lo)) visit(t, l, lo, half)
  } else if (okR) {
    if (!pruned(lowerBound(recR, loR, half), loR)) visit(t, l + 1, loR, half)
  }
}

/**
 * The best feasible leaf position in [lo, hi), or -1. `start` is the random
 * strategy's starting position (ignored by the others).
 */
export function search(t: Tree, lo: i32, hi: i32, start: i32): i32 {
  bestScore = Infinity
  bestPos = -1
  rangeLo = lo
  rangeHi = hi
  randomStart = start
  slots = t.size
  const root = record(t, 1)
  if (lo >= hi || !fitsRecord(root, need)) return -1
  visit(t, 1, 0, t.size)
  return bestPos
}

/**
 * search() over the whole main tree (positions are node indices), seeded with
 * the hint: when the previous task's node still fits, it is evaluated first,
 * so the bound is tight from the root on. The answer is the same either way.
 */
export function searchFromHint(t: Tree): i32 {
  bestScore = Infinity
  bestPos = -1
  rangeLo = 0
  rangeHi = t.leaves
  randomStart = 0
  slots = t.size
  const root = record(t, 1)
  if (t.leaves == 0 || !fitsRecord(root, need)) return -1
  if (hint >= 0 && fitsRecord(record(t, t.size + hint), need)) {
    addEvaluated()
    if (leafPasses(hint)) {
      bestScore = leafScore(hint, hint)
      bestPos = hint
    }
  }
  visit(t, 1, 0, t.size)
  return bestPos
}
