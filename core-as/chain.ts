// Strategy chains (ECS: up to 5 strategies, applied in order): the first
// strategy ranks the feasible nodes, each later one breaks the ties left by
// those before it, and the lower node index breaks what remains. A task with
// tie-breakers is placed by one scan of every node instead of the capacity
// index (a lexicographic order over several scores has no single bound to
// prune with); batches of single-strategy tasks never come here.
//
// Scores per step (lower is better), the same as the index search's:
//   binpack cpu / memory  units of the field left after the task
//   bestfit               potential - (cpu / totalCpu + mem / totalMem)
//   spread(node)          tasks of the task's group on the node (group 0: all tasks)
//   spread(attribute)     tasks of the group on all nodes sharing the node's value
//   random                the node's distance after a seeded start (one draw per task)
//
// The scan classifies every node as a failure scan does, so when nothing is
// feasible its counts are the failure's explanation (no second scan).

import {
  CHAIN_MAX, M_FAILURE_SCANS, REASON_CPU, REASON_GPU, REASON_MEMORY, REASON_NO_ACTIVE_NODE, REASON_PORTS,
  SPREAD_NODE, STRATEGY_BESTFIT, STRATEGY_BINPACK_CPU, STRATEGY_BINPACK_MEMORY, STRATEGY_RANDOM, STRATEGY_SPREAD
} from './abi'
import { attrOf, chains, freeCpu, freeMem, i32At, inverseCpu, inverseMem, nodeCount, potential, setI32At, tasksOn } from './state'
import { classify, reasonWithPorts } from './feasibility'
import { countGet } from './counts'
import { nextRandom } from './random'
import { addMetric } from './metrics'

const ENTRY: usize = 12 // used i32, value i32, count i32

let valueCounts: usize = 0 // i32[CHAIN_MAX * nodes]: per spread(attribute) step, the count of the node's value
let table: usize = 0 //       value -> count, open addressing, cleared per step
let mask: i32 = 0

let steps: i32 = 0
// Per step: strategy, spread attribute (i32 x CHAIN_MAX each) and the best node's score
// (f64 x CHAIN_MAX), in scratch: the core allocates nothing of its own.
let stepStrategy: usize = 0
let stepAttr: usize = 0
let bestKeys: usize = 0
const STEPS_BYTES: u64 = <u64>CHAIN_MAX * 16
let start: i32 = 0
let cpu: i32 = 0
let mem: i32 = 0
let group: i32 = 0

/** The reason of the last scan that found no node. */
export let chainReason: i32 = 0

/** Scratch bytes for n nodes (the host adds them when a batch has extension records). */
export function chainScratchBytes(n: i32, slots: i32): u64 {
  return <u64>CHAIN_MAX * <u64>n * 4 + <u64>slots * ENTRY + STEPS_BYTES + 16
}

export function chainInit(counts: usize, hash: usize, slots: i32, stepsBase: usize): void {
  stepStrategy = stepsBase
  stepAttr = stepsBase + (<usize>CHAIN_MAX << 2)
  bestKeys = stepsBase + (<usize>CHAIN_MAX << 3)
  valueCounts = counts
  table = hash
  mask = slots - 1
}

@inline function groupCount(node: i32): i32 {
  return group == 0 ? i32At(tasksOn, node) : countGet(group, node)
}

function find(value: i32): usize {
  let i = (value * <i32>0x9e3779b1) ^ (value >>> 16)
  i &= mask
  while (true) {
    const e = table + <usize>i * ENTRY
    if (load<i32>(e) == 0 || load<i32>(e, 4) == value) return e
    i = (i + 1) & mask
  }
  return 0
}

/** For spread(attr) at step k: every node's value count, over all nodes (as spread.ts counts). */
function countValues(k: i32, attr: i32): void {
  memory.fill(table, 0, <usize>(mask + 1) * ENTRY)
  for (let node = 0; node < nodeCount; node++) {
    const e = find(attrOf(node, attr))
    store<i32>(e, 1)
    store<i32>(e, attrOf(node, attr), 4)
    store<i32>(e, load<i32>(e, 8) + groupCount(node), 8)
  }
  const column = valueCounts + (<usize>k * <usize>nodeCount << 2)
  for (let node = 0; node < nodeCount; node++) setI32At(column, node, load<i32>(find(attrOf(node, attr)), 8))
}

@inline function key(k: i32, node: i32): f64 {
  const s = load<i32>(stepStrategy + (<usize>k << 2))
  if (s == STRATEGY_BINPACK_CPU) return <f64>(i32At(freeCpu, node) - cpu)
  if (s == STRATEGY_BINPACK_MEMORY) return <f64>(i32At(freeMem, node) - mem)
  if (s == STRATEGY_BESTFIT) {
    const at = <usize>node << 3
    return load<f64>(potential + at) - (<f64>cpu * load<f64>(inverseCpu + at) + <f64>mem * load<f64>(inverseMem + at))
  }
  if (s == STRATEGY_SPREAD) {
    if (load<i32>(stepAttr + (<usize>k << 2)) == SPREAD_NODE) return <f64>groupCount(node)
    return <f64>i32At(valueCounts + (<usize>k * <usize>nodeCount << 2), node)
  }
  return <f64>(node >= start ? node - start : node - start + nodeCount) // random
}

/** Does node beat the best so far? Fills bestKeys when it does. */
function better(node: i32, first: bool): bool {
  if (first) {
    for (let k = 0; k < steps; k++) store<f64>(bestKeys + (<usize>k << 3), key(k, node))
    return true
  }
  for (let k = 0; k < steps; k++) {
    const v = key(k, node)
    const b = load<f64>(bestKeys + (<usize>k << 3))
    if (v < b) {
      store<f64>(bestKeys + (<usize>k << 3), v)
      for (let j = k + 1; j < steps; j++) store<f64>(bestKeys + (<usize>j << 3), key(j, node))
      return true
    }
    if (v > b) return false
  }
  return false // equal on every step: the lower index (found first) stays
}

/**
 * Places by the chain: the task's first strategy, then chainLength entries of
 * the chain pool from chainOffset. Returns a node index, or -1 with chainReason.
 */
export function selectChained(
  strategy: i32, spreadAttr: i32, g: i32, chainOffset: i32, chainLength: i32, c: i32, m: i32, gpu: i32
): i32 {
  cpu = c
  mem = m
  group = g
  steps = 1 + chainLength
  store<i32>(stepStrategy, strategy)
  store<i32>(stepAttr, spreadAttr)
  for (let k = 1; k < steps; k++) {
    const at = chains + (<usize>(chainOffset + k - 1) << 3)
    store<i32>(stepStrategy + (<usize>k << 2), load<i32>(at))
    store<i32>(stepAttr + (<usize>k << 2), load<i32>(at, 4))
  }
  let drawn = false
  for (let k = 0; k < steps; k++) {
    const s = load<i32>(stepStrategy + (<usize>k << 2))
    if (s == STRATEGY_SPREAD && load<i32>(stepAttr + (<usize>k << 2)) != SPREAD_NODE) countValues(k, load<i32>(stepAttr + (<usize>k << 2)))
    if (s == STRATEGY_RANDOM && !drawn) {
      start = <i32>(nextRandom() % <u32>nodeCount)
      drawn = true
    }
  }
  let best: i32 = -1
  let active = 0
  let byCpu = 0
  let byMem = 0
  let byGpu = 0
  let byPorts = 0
  for (let node = 0; node < nodeCount; node++) {
    const r = classify(node, cpu, mem, gpu)
    if (r == 0) {
      active++
      if (better(node, best < 0)) best = node
      continue
    }
    if (r != REASON_NO_ACTIVE_NODE) active++
    if (r == REASON_CPU) byCpu++
    else if (r == REASON_MEMORY) byMem++
    else if (r == REASON_GPU) byGpu++
    else if (r == REASON_PORTS) byPorts++
  }
  if (best < 0) {
    addMetric(M_FAILURE_SCANS, 1.0)
    chainReason = active == 0 ? REASON_NO_ACTIVE_NODE : reasonWithPorts(byCpu, byMem, byGpu, byPorts)
  }
  return best
}
