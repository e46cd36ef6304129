// Node properties of a multi-node parallel job (AWS's NodeProperties): how
// many nodes, which is the main one, and which container each range of nodes
// runs — validated as AWS documents them, overridden at submission
// (NodeOverrides), and resolved to the container of one node.
//
//   targetNodes   `0:3` (nodes 0 to 3), `4:` (4 to the last), `:3` (0 to 3),
//                 `5` (node 5 alone), `:` (every node)
//   ranges        at most 5; together they cover every node; two ranges that
//                 overlap must nest (0:10 and 4:5), and the narrower one's
//                 properties are the ones its nodes get, as AWS documents
//   numNodes      1 to 1,000 (AWS's default limit, the instances of an ECS
//                 cluster); mainNode inside [0, numNodes)
//   overrides     numNodes only when some range is open-ended (`n:`), every
//                 range starts below it and so does the main node;
//                 nodePropertyOverrides apply, in order, to the nodes of
//                 their range

import type { ContainerOverrides, ContainerProperties, NodeOverrides, NodeProperties, NodePropertyOverride } from './model.js'
import { checkContainerProperties, resolveContainer, type ResolvedContainer } from './container-properties.js'
import { checkInteger, clientError } from './validation.js'

export const MAX_NODES = 1000
export const MAX_NODE_RANGES = 5

/** A parsed targetNodes: `to` undefined is open-ended (the last node). */
export interface NodeRange {
  from: number
  to: number | undefined
}

const SINGLE = /^\d+$/
const RANGE = /^(\d*):(\d*)$/

export function parseTargetNodes(text: unknown, field: string): NodeRange {
  if (typeof text === 'string') {
    if (SINGLE.test(text)) return { from: Number(text), to: Number(text) }
    const m = RANGE.exec(text)
    if (m !== null) {
      const range = { from: m[1] === '' ? 0 : Number(m[1]), to: m[2] === '' ? undefined : Number(m[2]) }
      if (range.to !== undefined && range.to < range.from) throw clientError(field, `${text}: the range ends before it starts`)
      return range
    }
  }
  throw clientError(field, `must be a node index or range of them (0:3, 4:, :3, 5), got ${JSON.stringify(text)}`)
}

function last(range: NodeRange, numNodes: number): number {
  return range.to === undefined ? numNodes - 1 : Math.min(range.to, numNodes - 1)
}

/** Checks a range against numNodes: it starts below it and, closed, ends below it. */
function checkWithin(range: NodeRange, text: string, numNodes: number, field: string): void {
  if (range.from >= numNodes) throw clientError(field, `${text} starts at node ${range.from}; the job has ${numNodes} nodes (0 to ${numNodes - 1})`, numNodes - 1)
  if (range.to !== undefined && range.to >= numNodes) throw clientError(field, `${text} ends at node ${range.to}; the job has ${numNodes} nodes (0 to ${numNodes - 1})`, numNodes - 1)
}

/** Ranges cover every node, and two that overlap nest (identical ones would leave which applies undecided). */
function checkCoverage(ranges: NodeRange[], numNodes: number, field: string): void {
  for (let i = 0; i < ranges.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = ranges[j], b = ranges[i]
      const [aEnd, bEnd] = [last(a, numNodes), last(b, numNodes)]
      if (b.from > aEnd || a.from > bEnd) continue
      const aInB = a.from >= b.from && aEnd <= bEnd
      const bInA = b.from >= a.from && bEnd <= aEnd
      if (aInB && bInA) throw clientError(`${field}[${i}].targetNodes`, `covers the same nodes as nodeRangeProperties[${j}]`)
      if (!aInB && !bInA) throw clientError(`${field}[${i}].targetNodes`, `overlaps nodeRangeProperties[${j}] without nesting in it (ranges may nest, as 0:10 and 4:5)`)
    }
  }
  const covered = new Uint8Array(numNodes)
  for (const r of ranges) covered.fill(1, r.from, last(r, numNodes) + 1)
  const missing = covered.indexOf(0)
  if (missing >= 0) throw clientError(field, `node ${missing} is in no range: the ranges must cover every node, 0 to ${numNodes - 1}`)
}

/** Checks a definition's node properties; returns a copy with the containers' commands copied. */
export function checkNodeProperties(value: unknown, field = 'nodeProperties'): NodeProperties {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw clientError(field, 'is required for a multinode job definition: { numNodes, mainNode, nodeRangeProperties }')
  const np = value as NodeProperties
  const numNodes = checkInteger(np.numNodes, `${field}.numNodes`, 1, MAX_NODES)
  const mainNode = checkInteger(np.mainNode, `${field}.mainNode`, 0, numNodes - 1)
  const list = np.nodeRangeProperties
  if (!Array.isArray(list) || list.length === 0) throw clientError(`${field}.nodeRangeProperties`, 'must list at least one range of nodes with its container', 1)
  if (list.length > MAX_NODE_RANGES) throw clientError(`${field}.nodeRangeProperties`, `at most ${MAX_NODE_RANGES} node ranges (node groups), got ${list.length}`, MAX_NODE_RANGES)
  const ranges = list.map((r, i) => {
    const at = `${field}.nodeRangeProperties[${i}]`
    if (r === null || typeof r !== 'object') throw clientError(at, 'must be an object { targetNodes, container }')
    const range = parseTargetNodes(r.targetNodes, `${at}.targetNodes`)
    checkWithin(range, r.targetNodes, numNodes, `${at}.targetNodes`)
    return range
  })
  checkCoverage(ranges, numNodes, `${field}.nodeRangeProperties`)
  const nodeRangeProperties = list.map((r, i) => {
    const command = checkContainerProperties(r.container, `${field}.nodeRangeProperties[${i}].container`)
    return { targetNodes: r.targetNodes, container: { ...structuredClone(r.container!), command } }
  })
  return { numNodes, mainNode, nodeRangeProperties }
}

/** The range whose properties node `index` gets: the narrowest that holds it (ranges nest). */
export function rangeOf(np: NodeProperties, index: number): number {
  let best = -1
  let width = Infinity
  np.nodeRangeProperties.forEach((r, i) => {
    const range = parseTargetNodes(r.targetNodes, 'targetNodes')
    const end = last(range, np.numNodes)
    if (index < range.from || index > end) return
    if (end - range.from < width) {
      best = i
      width = end - range.from
    }
  })
  return best
}

/**
 * The node properties of one job: the definition's with the submission's
 * overrides checked (NodeOverrides). Returns the job's numNodes and the
 * property overrides it keeps.
 */
export function applyNodeOverrides(def: NodeProperties, value: unknown, field = 'nodeOverrides'): { nodeProperties: NodeProperties; overrides: NodePropertyOverride[] } {
  if (value === undefined) return { nodeProperties: structuredClone(def), overrides: [] }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw clientError(field, 'must be an object { numNodes, nodePropertyOverrides }')
  const o = value as NodeOverrides
  let numNodes = def.numNodes
  if (o.numNodes !== undefined) {
    numNodes = checkInteger(o.numNodes, `${field}.numNodes`, 1, MAX_NODES)
    const ranges = def.nodeRangeProperties.map((r) => ({ text: r.targetNodes, range: parseTargetNodes(r.targetNodes, 'targetNodes') }))
    if (!ranges.some((r) => r.range.to === undefined)) {
      throw clientError(`${field}.numNodes`, 'can be overridden only when a node range of the definition is open-ended (such as : or n:)')
    }
    for (const r of ranges) {
      if (r.range.from >= numNodes) throw clientError(`${field}.numNodes`, `node range ${r.text} of the definition starts at node ${r.range.from}: numNodes must be above it`, r.range.from + 1)
    }
    if (def.mainNode >= numNodes) throw clientError(`${field}.numNodes`, `the main node is node ${def.mainNode}: numNodes must be above it`, def.mainNode + 1)
  }
  const list = o.nodePropertyOverrides ?? []
  if (!Array.isArray(list)) throw clientError(`${field}.nodePropertyOverrides`, 'must be an array of { targetNodes, containerOverrides }')
  if (list.length > MAX_NODES) throw clientError(`${field}.nodePropertyOverrides`, `at most ${MAX_NODES}, got ${list.length}`, MAX_NODES)
  const overrides = list.map((p, i) => {
    const at = `${field}.nodePropertyOverrides[${i}]`
    if (p === null || typeof p !== 'object') throw clientError(at, 'must be an object { targetNodes, containerOverrides }')
    const range = parseTargetNodes(p.targetNodes, `${at}.targetNodes`)
    if (range.from >= numNodes) throw clientError(`${at}.targetNodes`, `${p.targetNodes} starts at node ${range.from}; the job has ${numNodes} nodes`, numNodes - 1)
    return { targetNodes: p.targetNodes, ...(p.containerOverrides !== undefined ? { containerOverrides: structuredClone(p.containerOverrides) } : {}) }
  })
  return { nodeProperties: { ...structuredClone(def), numNodes }, overrides }
}

/** The container node `index` of a job runs: its range's properties, then the overrides whose range holds it, in order. */
export function resolveNode(np: NodeProperties, overrides: readonly NodePropertyOverride[], parameters: Record<string, string>, index: number): ResolvedContainer {
  const r = rangeOf(np, index)
  const props: ContainerProperties = np.nodeRangeProperties[r].container ?? {}
  const applying: Array<{ value: ContainerOverrides; field: string }> = []
  overrides.forEach((o, i) => {
    if (o.containerOverrides === undefined) return
    const range = parseTargetNodes(o.targetNodes, 'targetNodes')
    if (index >= range.from && index <= last(range, np.numNodes)) applying.push({ value: o.containerOverrides, field: `nodeOverrides.nodePropertyOverrides[${i}].containerOverrides` })
  })
  return resolveContainer(props, applying, parameters, `nodeProperties.nodeRangeProperties[${r}].container.`)
}
