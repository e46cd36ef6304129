// Spread: even counts of a group's tasks over the values of an attribute, or
// over nodes.
//
// The "context" is the group whose tasks are counted (group 0 counts every
// task) and, for attribute spread, the attribute. Building it is O(nodes):
//   aux[node]          tasks of the group on the node (feeds minAux in both trees)
//   the spread tree    a second capacity index whose leaves are the nodes
//                      sorted by (attribute value, node index), so each value is
//                      one contiguous range of positions
//   rangeCount[r]      tasks of the group on nodes of value range r
// Batches usually place many tasks of one group (a service, an array job), so
// the context is rebuilt rarely; every placement keeps it current in O(log n).

import { M_CONTEXT_BUILDS } from './abi'
import { attrOf, aux, i32At, nodeCount, setI32At, tasksOn } from './state'
import { countGet } from './counts'
import { build, Tree, update } from './tree'
import { search } from './search'
import { ORDER_BY_ATTR, sortIndices } from './sort'
import { addMetric } from './metrics'

export let active: bool = false
let contextGroup: i32 = 0
let contextAttr: i32 = -2 // attribute the spread tree is sorted by; -2 = not built

let mainTree: Tree = changetype<Tree>(0)
let spreadTree: Tree = changetype<Tree>(0)
let spreadPos: usize = 0 //   i32[nodes] node -> position in the spread tree
let nodeRange: usize = 0 //   i32[nodes] node -> value range
let rangeStart: usize = 0 //  i32[nodes + 1]
let rangeCount: usize = 0 //  i32[nodes]
let sortTmp: usize = 0 //     i32[nodes]
let ranges: i32 = 0

export function spreadInit(main: Tree, spread: Tree, pos: usize, nr: usize, rs: usize, rc: usize, tmp: usize): void {
  active = false
  contextGroup = 0
  contextAttr = -2
  mainTree = main
  spreadTree = spread
  spreadPos = pos
  nodeRange = nr
  rangeStart = rs
  rangeCount = rc
  sortTmp = tmp
  ranges = 0
}

/** Node indices sorted by (value of attr, index) into spreadTree.perm. */
function sortByAttr(attr: i32): void {
  sortIndices(nodeCount, spreadTree.perm, sortTmp, ORDER_BY_ATTR, attr)
}

function buildRanges(attr: i32): void {
  ranges = 0
  let previous: i32 = 0
  for (let pos = 0; pos < nodeCount; pos++) {
    const node = i32At(spreadTree.perm, pos)
    setI32At(spreadPos, node, pos)
    const v = attrOf(node, attr)
    if (pos == 0 || v != previous) {
      setI32At(rangeStart, ranges, pos)
      ranges++
      previous = v
    }
    setI32At(nodeRange, node, ranges - 1)
  }
  setI32At(rangeStart, ranges, nodeCount)
}

function countRanges(): void {
  for (let r = 0; r < ranges; r++) setI32At(rangeCount, r, 0)
  for (let node = 0; node < nodeCount; node++) {
    const r = i32At(nodeRange, node)
    setI32At(rangeCount, r, i32At(rangeCount, r) + i32At(aux, node))
  }
}

/** Makes (group, attr) the context; attr < 0 needs only the node counts. */
export function ensureContext(group: i32, attr: i32): void {
  const regroup = !active || contextGroup != group
  if (regroup) {
    for (let node = 0; node < nodeCount; node++) {
      setI32At(aux, node, group == 0 ? i32At(tasksOn, node) : countGet(group, node))
    }
    contextGroup = group
    active = true
    build(mainTree)
    addMetric(M_CONTEXT_BUILDS, 1.0)
  }
  if (attr >= 0 && attr != contextAttr) {
    sortByAttr(attr)
    buildRanges(attr)
    contextAttr = attr
    build(spreadTree)
    countRanges()
  } else if (regroup && contextAttr >= 0) {
    build(spreadTree)
    countRanges()
  }
}

/** After a placement on `node` of a task of `group`: keep the context current. */
export function noteTaskPlaced(node: i32, group: i32): void {
  if (!active || (contextGroup != 0 && contextGroup != group)) return
  setI32At(aux, node, i32At(aux, node) + 1)
  if (contextAttr >= 0) {
    const r = i32At(nodeRange, node)
    setI32At(rangeCount, r, i32At(rangeCount, r) + 1)
  }
}

/** After any change to a node's leaf (capacity, aux, blocked). */
export function refreshSpreadLeaf(node: i32): void {
  if (contextAttr >= 0) update(spreadTree, i32At(spreadPos, node))
}

/**
 * Attribute spread: the value with the fewest tasks of the group among values
 * that have a feasible node (ties: lower value id), then within it the node
 * with the fewest (ties: lower node index). Returns a node index or -1.
 */
export function selectSpread(): i32 {
  let bestCount: i32 = i32.MAX_VALUE
  let bestPos: i32 = -1
  for (let r = 0; r < ranges; r++) {
    const count = i32At(rangeCount, r)
    if (count >= bestCount) continue
    const pos = search(spreadTree, i32At(rangeStart, r), i32At(rangeStart, r + 1), 0)
    if (pos >= 0) {
      bestCount = count
      bestPos = pos
    }
  }
  return bestPos < 0 ? -1 : i32At(spreadTree.perm, bestPos)
}
