// Feasibility stage: may this node take the task at all? Capacity is checked
// against the index (search.ts prunes on it); what remains per leaf are the
// constraints, which no index covers and which therefore cost a visit:
//   distinctInstance  no other task of the same group on the node
//   memberOf          the node's attribute k equals one of a set of value ids (the
//                     first set in the task's columns, more in the constraint list:
//                     a node must pass every one)
//   ports             none of the static host ports the task needs is taken there

import { CONSTRAINT_NONE, M_FILTERED_CONSTRAINT, M_FILTERED_PORTS, REASON_PORTS, M_FILTERED_CPU, M_FILTERED_GPU, M_FILTERED_INACTIVE, M_FILTERED_MEMORY, NODE_ACTIVE, REASON_CONSTRAINT, REASON_CPU, REASON_GPU, REASON_MEMORY, REASON_NO_ACTIVE_NODE } from './abi'
import { attrOf, BLOCK_RESERVED, blocked, freeCpu, freeGpu, freeMem, i32At, lists, nodeCount, ports, status, values } from './state'
import { portTaken } from './ports'
import { countGet } from './counts'
import { addEvaluated, addMetric } from './metrics'
import { reasonFrom } from './memo'

// ---- the task's constraints (set by placement.ts) -----------------------------------
export let group: i32 = 0
export let distinct: bool = false
export let constraintAttr: i32 = CONSTRAINT_NONE
export let constraintOffset: i32 = 0
export let constraintLength: i32 = 0
let listOffset: i32 = 0 // extra memberOf sets: entries of the constraint list
let listLength: i32 = 0
let portOffset: i32 = 0 // port keys the task needs: entries of the port pool
let portLength: i32 = 0

export function setConstraints(g: i32, d: bool, attr: i32, offset: i32, length: i32): void {
  group = g
  distinct = d
  constraintAttr = attr
  constraintOffset = offset
  constraintLength = length
}

/** The extension record's constraints: extra memberOf sets and ports (0, 0 without them). */
export function setExtraConstraints(lo: i32, ll: i32, po: i32, pl: i32): void {
  listOffset = lo
  listLength = ll
  portOffset = po
  portLength = pl
}

@inline export function constrained(): bool {
  return distinct || constraintAttr != CONSTRAINT_NONE || listLength > 0 || portLength > 0
}

/** Constraints and ports only (capacity already known to fit). Counts a rejection. */
export function leafPasses(node: i32): bool {
  if (!constraintsHold(node)) {
    addMetric(M_FILTERED_CONSTRAINT, 1.0)
    return false
  }
  if (portLength > 0 && !portsFree(node)) {
    addMetric(M_FILTERED_PORTS, 1.0)
    return false
  }
  return true
}

@inline function inSet(v: i32, offset: i32, length: i32): bool {
  const end = offset + length
  for (let j = offset; j < end; j++) {
    if (i32At(values, j) == v) return true
  }
  return false
}

export function constraintsHold(node: i32): bool {
  if (distinct && countGet(group, node) > 0) return false
  if (constraintAttr != CONSTRAINT_NONE && !inSet(attrOf(node, constraintAttr), constraintOffset, constraintLength)) return false
  for (let l = listOffset, end = listOffset + listLength; l < end; l++) {
    const at = lists + (<usize>l * 12)
    if (!inSet(attrOf(node, load<i32>(at)), load<i32>(at, 4), load<i32>(at, 8))) return false
  }
  return true
}

/** No port the task needs is taken on the node (by a running task or one placed earlier in the batch). */
export function portsFree(node: i32): bool {
  for (let j = portOffset, end = portOffset + portLength; j < end; j++) {
    if (portTaken(node, i32At(ports, j))) return false
  }
  return true
}

/** The task's port keys, for the commit (offset and length into the port pool). */
export function taskPortOffset(): i32 {
  return portOffset
}

export function taskPortLength(): i32 {
  return portLength
}

/**
 * Full check of one node, as a probe or a scan sees it: returns 0 when the task
 * may go there, else the reason that filtered it (and counts it).
 */
export function classify(node: i32, cpu: i32, mem: i32, gpu: i32): i32 {
  addEvaluated()
  if (load<u8>(status + <usize>node) != NODE_ACTIVE) {
    addMetric(M_FILTERED_INACTIVE, 1.0)
    return REASON_NO_ACTIVE_NODE
  }
  // A reserved node is held for another task: to this one it is a constraint.
  if (load<u8>(blocked + <usize>node) == BLOCK_RESERVED || !constraintsHold(node)) {
    addMetric(M_FILTERED_CONSTRAINT, 1.0)
    return REASON_CONSTRAINT
  }
  if (i32At(freeCpu, node) < cpu) {
    addMetric(M_FILTERED_CPU, 1.0)
    return REASON_CPU
  }
  if (i32At(freeMem, node) < mem) {
    addMetric(M_FILTERED_MEMORY, 1.0)
    return REASON_MEMORY
  }
  if (i32At(freeGpu, node) < gpu) {
    addMetric(M_FILTERED_GPU, 1.0)
    return REASON_GPU
  }
  if (portLength > 0 && !portsFree(node)) {
    addMetric(M_FILTERED_PORTS, 1.0)
    return REASON_PORTS
  }
  return 0
}

// The counts of the last scan (placement.ts hands them to the memo).
export let scannedCpu: i32 = 0
export let scannedMem: i32 = 0
export let scannedGpu: i32 = 0
export let scannedPorts: i32 = 0

/**
 * The reason rule with ports: CONSTRAINT when no active node was ruled out by
 * a resource or a port, else whichever ruled out the most nodes (ties: cpu,
 * memory, gpu, ports). Without ports it is memo.ts's reasonFrom.
 */
export function reasonWithPorts(byCpu: i32, byMem: i32, byGpu: i32, byPorts: i32): i32 {
  if (byPorts == 0) return reasonFrom(byCpu, byMem, byGpu)
  if (byPorts > byCpu && byPorts > byMem && byPorts > byGpu) return REASON_PORTS
  return reasonFrom(byCpu, byMem, byGpu)
}

/**
 * Why no node took the task: a scan over every node. With no active node the
 * reason is NO_ACTIVE_NODE; when constraints (or reservations) ruled out every
 * active node it is CONSTRAINT; otherwise the resource that filtered the most
 * nodes, each node counting for the first of cpu, memory, gpu it lacks (ties:
 * cpu, memory, gpu).
 */
export function explainFailure(cpu: i32, mem: i32, gpu: i32): i32 {
  let byCpu = 0
  let byMem = 0
  let byGpu = 0
  let byPorts = 0
  let active = 0
  for (let node = 0; node < nodeCount; node++) {
    const r = classify(node, cpu, mem, gpu)
    if (r != REASON_NO_ACTIVE_NODE) active++
    if (r == REASON_CPU) byCpu++
    else if (r == REASON_MEMORY) byMem++
    else if (r == REASON_GPU) byGpu++
    else if (r == REASON_PORTS) byPorts++
    assert(r != 0, 'a feasible node was missed by the search')
  }
  scannedCpu = byCpu
  scannedMem = byMem
  scannedGpu = byGpu
  scannedPorts = byPorts
  if (active == 0) return REASON_NO_ACTIVE_NODE
  return reasonWithPorts(byCpu, byMem, byGpu, byPorts)
}
