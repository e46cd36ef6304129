// The placement pipeline, wired in one place. For each task, in dispatch order:
//
//   1. feasibility  no active node fails at once; an unconstrained task at least as
//                   large as one that failed fails at once (memo.ts)
//   2. rank+select  the strategy's search over the capacity index (search.ts, spread.ts),
//                   or for a task with a chain of strategies one scan (chain.ts)
//   3. commit       account the task on the node before the next task is placed
//   4. explain      on failure: the reason (the memo's exact counts for its cpu and
//                   memory, or a scan), then for an aged task a reservation
//
// A failure decided by the memo still gets its own reason and, when aged, its
// reservation: the memo only skips the search.

import {
  FLAG_DISTINCT_INSTANCE, M_FAILED, M_PLACED, M_RESERVATIONS, M_FAILURE_SCANS, NODE_ACTIVE,
  REASON_NO_ACTIVE_NODE, REASON_PLACED, REASON_RESERVED_BIT, SPREAD_NODE, STRATEGY_RANDOM, STRATEGY_SPREAD
} from './abi'
import { BLOCK_DEAD, BLOCK_RESERVED, blocked, freeCpu, freeGpu, freeMem, i32At, nodeCount, refreshPotential, setI32At, status, tasksOn, totalCpu, totalGpu, totalMem } from './state'
import { Tree, update } from './tree'
import { resetHint, search, searchFromHint, setHint, setTask } from './search'
import { classify, constrained, constraintsHold, explainFailure, scannedCpu, scannedGpu, scannedMem, setConstraints, setExtraConstraints, taskPortLength, taskPortOffset } from './feasibility'
import { chainReason, selectChained } from './chain'
import { portTake } from './ports'
import { ports } from './state'
import { coversFailed, knownReason, memoInit, noteNodeHeld, noteNodeShrunk, rememberFailed, trackReason } from './memo'
import { countAdd } from './counts'
import { ensureContext, noteTaskPlaced, refreshSpreadLeaf, selectSpread } from './spread'
import { addMetric } from './metrics'
import { nextRandom } from './random'

const RANDOM_PROBES: i32 = 4

// The task's chain (extension record): set before placeTask, only for batches with extensions.
let chainOffset: i32 = 0
let chainLength: i32 = 0

/** A task's extension record (index.ts calls it per task only when the batch has them). */
export function setTaskExtension(co: i32, cl: i32, lo: i32, ll: i32, po: i32, pl: i32): void {
  chainOffset = co
  chainLength = cl
  setExtraConstraints(lo, ll, po, pl)
}

let mainTree: Tree = changetype<Tree>(0)
let activeNodes: i32 = 0
let smallestCpu: i32 = 0 // the batch's smallest request per dimension
let smallestMem: i32 = 0
let smallestGpu: i32 = 0

export function pipelineInit(main: Tree, memoBase: usize, minCpu: i32, minMem: i32, minGpu: i32): void {
  mainTree = main
  resetHint()
  smallestCpu = minCpu
  smallestMem = minMem
  smallestGpu = minGpu
  memoInit(memoBase)
  activeNodes = 0
  for (let node = 0; node < nodeCount; node++) {
    if (load<u8>(status + <usize>node) == NODE_ACTIVE) activeNodes++
  }
}

function selectRandom(cpu: i32, mem: i32, gpu: i32): i32 {
  for (let p = 0; p < RANDOM_PROBES; p++) {
    const node = <i32>(nextRandom() % <u32>nodeCount)
    if (classify(node, cpu, mem, gpu) == 0) return node
  }
  // Fall back to the first feasible position after a random start (wrapping).
  const start = <i32>(nextRandom() % <u32>nodeCount)
  return search(mainTree, 0, nodeCount, start)
}

/** Rank + select for the current task: a node index or -1. */
function select(strategy: i32, spreadAttr: i32, group: i32, cpu: i32, mem: i32, gpu: i32): i32 {
  if (strategy == STRATEGY_SPREAD) {
    ensureContext(group, spreadAttr)
    if (spreadAttr != SPREAD_NODE) return selectSpread()
  } else if (strategy == STRATEGY_RANDOM) {
    return selectRandom(cpu, mem, gpu)
  }
  // Main tree positions are node indices.
  if (strategy == STRATEGY_SPREAD) return search(mainTree, 0, nodeCount, 0)
  return searchFromHint(mainTree)
}

function commit(node: i32, group: i32, cpu: i32, mem: i32, gpu: i32): void {
  const oldCpu = i32At(freeCpu, node)
  const oldMem = i32At(freeMem, node)
  setI32At(freeCpu, node, oldCpu - cpu)
  setI32At(freeMem, node, oldMem - mem)
  noteNodeShrunk(oldCpu, oldMem, oldCpu - cpu, oldMem - mem)
  setI32At(freeGpu, node, i32At(freeGpu, node) - gpu)
  setI32At(tasksOn, node, i32At(tasksOn, node) + 1)
  refreshPotential(node)
  if (group != 0) countAdd(group, node, 1)
  noteTaskPlaced(node, group)
  if (i32At(freeCpu, node) < smallestCpu || i32At(freeMem, node) < smallestMem || i32At(freeGpu, node) < smallestGpu) {
    store<u8>(blocked + <usize>node, BLOCK_DEAD)
  }
  const portLength = taskPortLength()
  if (portLength > 0) for (let j = taskPortOffset(), end = j + portLength; j < end; j++) portTake(node, i32At(ports, j))
  update(mainTree, node)
  refreshSpreadLeaf(node)
  setHint(node)
}

/**
 * A reservation for a task that waited too long: the active node, passing its
 * constraints, whose totals can hold it and whose free capacity is closest to
 * it (least normalised deficit; ties: lower index). No later task of the batch
 * may use it, so it drains towards the waiting task.
 */
function reserve(cpu: i32, mem: i32, gpu: i32): i32 {
  let best: i32 = -1
  let bestDeficit: f64 = Infinity
  for (let node = 0; node < nodeCount; node++) {
    if (load<u8>(status + <usize>node) != NODE_ACTIVE || load<u8>(blocked + <usize>node) == BLOCK_RESERVED) continue
    const tc = i32At(totalCpu, node)
    const tm = i32At(totalMem, node)
    const tg = i32At(totalGpu, node)
    if (tc < cpu || tm < mem || tg < gpu || !constraintsHold(node)) continue
    const dc = max(cpu - i32At(freeCpu, node), 0)
    const dm = max(mem - i32At(freeMem, node), 0)
    const dg = max(gpu - i32At(freeGpu, node), 0)
    const deficit = (tc > 0 ? <f64>dc / <f64>tc : 0.0) + (tm > 0 ? <f64>dm / <f64>tm : 0.0) + (tg > 0 ? <f64>dg / <f64>tg : 0.0)
    if (deficit < bestDeficit) {
      bestDeficit = deficit
      best = node
    }
  }
  if (best >= 0) {
    noteNodeHeld(i32At(freeCpu, best), i32At(freeMem, best))
    store<u8>(blocked + <usize>best, BLOCK_RESERVED)
    update(mainTree, best)
    refreshSpreadLeaf(best)
  }
  return best
}

/** Places one task; writes its node (or -1) and reason. */
export function placeTask(
  task: i32, cpu: i32, mem: i32, gpu: i32, group: i32, strategy: i32, spreadAttr: i32, flags: i32,
  constraintAttr: i32, constraintOffset: i32, constraintLength: i32, aged: bool, outNode: usize, outReason: usize
): void {
  const nodeAt = outNode + (<usize>task << 2)
  const reasonAt = outReason + <usize>task
  // 1. feasibility shortcuts
  if (activeNodes == 0) {
    store<i32>(nodeAt, -1)
    store<u8>(reasonAt, <u8>REASON_NO_ACTIVE_NODE)
    addMetric(M_FAILED, 1.0)
    return
  }
  setTask(cpu, mem, gpu, strategy)
  setConstraints(group, (flags & FLAG_DISTINCT_INSTANCE) != 0, constraintAttr, constraintOffset, constraintLength)
  // An unconstrained task covering a failed shape cannot fit: skip the search, not the rest.
  const unconstrained = !constrained() && chainLength == 0
  if (!unconstrained || !coversFailed(cpu, mem, gpu)) {
    // 2. rank + select
    const node = chainLength > 0
      ? selectChained(strategy, spreadAttr, group, chainOffset, chainLength, cpu, mem, gpu)
      : select(strategy, spreadAttr, group, cpu, mem, gpu)
    // 3. commit
    if (node >= 0) {
      commit(node, group, cpu, mem, gpu)
      store<i32>(nodeAt, node)
      store<u8>(reasonAt, <u8>REASON_PLACED)
      addMetric(M_PLACED, 1.0)
      return
    }
    if (unconstrained) rememberFailed(cpu, mem, gpu)
  }
  // 4. explain, and reserve for an aged task
  let reason = unconstrained ? knownReason(cpu, mem) : chainLength > 0 ? chainReason : 0
  if (reason == 0) {
    addMetric(M_FAILURE_SCANS, 1.0)
    reason = explainFailure(cpu, mem, gpu)
    if (unconstrained) trackReason(cpu, mem, scannedCpu, scannedMem, scannedGpu)
  }
  addMetric(M_FAILED, 1.0)
  let held: i32 = -1
  if (aged) held = reserve(cpu, mem, gpu)
  store<i32>(nodeAt, held)
  if (held >= 0) {
    addMetric(M_RESERVATIONS, 1.0)
    store<u8>(reasonAt, <u8>(reason | REASON_RESERVED_BIT))
  } else {
    store<u8>(reasonAt, <u8>reason)
  }
}
