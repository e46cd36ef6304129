// The twin of core-as/chain.ts: a task with tie-breaking strategies is placed
// by one scan of every node, lexicographic over the steps' scores, then the
// lower index. Kept out of twin.ts (one concern per file); it reads the
// placement state through ChainHost, which twin.ts's Placement is.

import * as abi from './abi.js'
import { reasonWithPorts } from './twin-memo.js'

/** What the chain scan reads of the twin's placement state. */
export interface ChainHost {
  readonly n: number
  readonly chains: Int32Array
  readonly freeCpu: Int32Array
  readonly freeMem: Int32Array
  readonly potential: Float64Array
  readonly inverseCpu: Float64Array
  readonly inverseMem: Float64Array
  readonly metrics: Float64Array
  cpu: number
  mem: number
  chainReason: number
  attrOf(node: number, attr: number): number
  groupCount(node: number): number
  nextRandom(): number
  classify(node: number): number
}

/** One scan: the first strategy ranks, the chain's entries break its ties, then the lower index. */
export function selectChained(p: ChainHost, strategy: number, spreadAttr: number, chainOffset: number, chainLength: number): number {
  const steps = 1 + chainLength
  const stepStrategy = [strategy]
  const stepAttr = [spreadAttr]
  for (let k = 1; k < steps; k++) {
    stepStrategy.push(p.chains[(chainOffset + k - 1) * 2])
    stepAttr.push(p.chains[(chainOffset + k - 1) * 2 + 1])
  }
  const valueCounts: Array<Map<number, number> | undefined> = []
  let start = 0
  let drawn = false
  for (let k = 0; k < steps; k++) {
    if (stepStrategy[k] === abi.STRATEGY_SPREAD && stepAttr[k] !== abi.SPREAD_NODE) {
      const counts = new Map<number, number>()
      for (let node = 0; node < p.n; node++) {
        const v = p.attrOf(node, stepAttr[k])
        counts.set(v, (counts.get(v) ?? 0) + p.groupCount(node))
      }
      valueCounts[k] = counts
    }
    if (stepStrategy[k] === abi.STRATEGY_RANDOM && !drawn) {
      start = p.nextRandom() % p.n
      drawn = true
    }
  }
  const key = (k: number, node: number): number => {
    switch (stepStrategy[k]) {
      case abi.STRATEGY_BINPACK_CPU: return p.freeCpu[node] - p.cpu
      case abi.STRATEGY_BINPACK_MEMORY: return p.freeMem[node] - p.mem
      case abi.STRATEGY_BESTFIT:
        return p.potential[node] - (p.cpu * p.inverseCpu[node] + p.mem * p.inverseMem[node])
      case abi.STRATEGY_SPREAD:
        return stepAttr[k] === abi.SPREAD_NODE ? p.groupCount(node) : valueCounts[k]!.get(p.attrOf(node, stepAttr[k]))!
      default: return node >= start ? node - start : node - start + p.n
    }
  }
  const bestKeys = new Float64Array(steps)
  let best = -1
  let active = 0, byCpu = 0, byMem = 0, byGpu = 0, byPorts = 0
  for (let node = 0; node < p.n; node++) {
    const r = p.classify(node)
    if (r === 0) {
      active++
      if (best < 0) {
        for (let k = 0; k < steps; k++) bestKeys[k] = key(k, node)
        best = node
        continue
      }
      for (let k = 0; k < steps; k++) {
        const v = key(k, node)
        if (v < bestKeys[k]) {
          bestKeys[k] = v
          for (let j = k + 1; j < steps; j++) bestKeys[j] = key(j, node)
          best = node
          break
        }
        if (v > bestKeys[k]) break
      }
      continue
    }
    if (r !== abi.REASON_NO_ACTIVE_NODE) active++
    if (r === abi.REASON_CPU) byCpu++
    else if (r === abi.REASON_MEMORY) byMem++
    else if (r === abi.REASON_GPU) byGpu++
    else if (r === abi.REASON_PORTS) byPorts++
  }
  if (best < 0) {
    p.metrics[abi.M_FAILURE_SCANS]++
    p.chainReason = active === 0 ? abi.REASON_NO_ACTIVE_NODE : reasonWithPorts(byCpu, byMem, byGpu, byPorts)
  }
  return best
}
