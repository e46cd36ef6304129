// A brute-force reference for the deterministic strategies: every task looks
// at every node (no index, no pruning, no memo). The cores must choose exactly
// what this picks; it is the definition of the strategies in plain loops.
// Random placements are checked for feasibility only.

import * as abi from '../../runtime/scheduler/abi.js'
import type { PlacementBatch } from '../../runtime/scheduler/placement-batch.js'

const frac = (part: number, whole: number) => (whole > 0 ? part / whole : 0)
const inv = (whole: number) => (whole > 0 ? 1 / whole : 0)

export interface OracleResult {
  node: Int32Array
  reason: Uint8Array
}

export function oraclePlan(batch: PlacementBatch): OracleResult {
  const n = batch.shape.nodes
  const t = batch.shape.tasks
  const N = batch.nodes
  const T = batch.tasks
  const free = { cpu: N.freeCpu.slice(), mem: N.freeMemory.slice(), gpu: N.freeGpu.slice() }
  const tasksOn = N.tasks.slice()
  const blocked = new Uint8Array(n).map((_, i) => (N.status[i] === abi.NODE_ACTIVE ? 0 : 1))
  const counts = new Map<string, number>()
  const key = (g: number, v: number) => `${g}:${v}`
  for (let i = 0; i < batch.shape.pairs; i++) {
    const [g, v, c] = [batch.pairs[i * 3], batch.pairs[i * 3 + 1], batch.pairs[i * 3 + 2]]
    if (c > 0) counts.set(key(g, v), (counts.get(key(g, v)) ?? 0) + c)
  }
  const attr = (v: number, k: number) => N.attributes[k * n + v]
  const out: OracleResult = { node: new Int32Array(t), reason: new Uint8Array(t) }
  const active = Array.from(N.status).filter((s) => s === abi.NODE_ACTIVE).length
  for (let j = 0; j < t; j++) {
    const i = batch.useOrder ? T.order[j] : j
    const cpu = T.cpu[i], mem = T.memory[i], gpu = T.gpu[i], g = T.group[i], strategy = T.strategy[i]
    const distinct = (T.flags[i] & abi.FLAG_DISTINCT_INSTANCE) !== 0
    const ca = T.constraintAttribute[i]
    const set = ca >= 0 ? Array.from(batch.values.subarray(T.constraintOffset[i], T.constraintOffset[i] + T.constraintLength[i])) : []
    const constraintsHold = (v: number) =>
      !(distinct && (counts.get(key(g, v)) ?? 0) > 0) && (ca < 0 || set.includes(attr(v, ca)))
    const feasible = (v: number) =>
      blocked[v] === 0 && free.cpu[v] >= cpu && free.mem[v] >= mem && free.gpu[v] >= gpu && constraintsHold(v)
    const countOf = (v: number) => (g === 0 ? tasksOn[v] : counts.get(key(g, v)) ?? 0)
    const score = (v: number): number => {
      switch (strategy) {
        case abi.STRATEGY_BINPACK_CPU: return free.cpu[v] - cpu
        case abi.STRATEGY_BINPACK_MEMORY: return free.mem[v] - mem
        case abi.STRATEGY_BESTFIT:
          return (frac(free.cpu[v], N.totalCpu[v]) + frac(free.mem[v], N.totalMemory[v])) -
            (cpu * inv(N.totalCpu[v]) + mem * inv(N.totalMemory[v]))
        default: return countOf(v)
      }
    }
    let chosen = -1
    if (active > 0 && strategy !== abi.STRATEGY_RANDOM) {
      const candidates = [...Array(n).keys()].filter(feasible)
      if (strategy === abi.STRATEGY_SPREAD && T.spreadAttribute[i] >= 0) {
        const k = T.spreadAttribute[i]
        const perValue = new Map<number, number>()
        for (let v = 0; v < n; v++) perValue.set(attr(v, k), (perValue.get(attr(v, k)) ?? 0) + countOf(v))
        let best: [number, number] | undefined
        for (const v of candidates) {
          const c = perValue.get(attr(v, k))!
          if (!best || c < best[0] || (c === best[0] && attr(v, k) < best[1])) best = [c, attr(v, k)]
        }
        if (best) {
          const inValue = candidates.filter((v) => attr(v, k) === best![1])
          chosen = inValue.reduce((a, b) => (countOf(b) < countOf(a) ? b : a))
        }
      } else if (candidates.length > 0) {
        chosen = candidates.reduce((a, b) => (score(b) < score(a) ? b : a))
      }
    } else if (active > 0) {
      chosen = -2 // random: the core's pick is checked by the caller
    }
    out.node[i] = chosen
    if (chosen >= 0) {
      free.cpu[chosen] -= cpu
      free.mem[chosen] -= mem
      free.gpu[chosen] -= gpu
      tasksOn[chosen]++
      if (g !== 0) counts.set(key(g, chosen), (counts.get(key(g, chosen)) ?? 0) + 1)
    }
    if (chosen === -2) {
      // follow the core's choice so later tasks see the same state
      const v = batch.plan.node[i]
      if (v >= 0 && (batch.plan.reason[i] & abi.REASON_RESERVED_BIT) === 0) {
        if (!feasible(v)) throw new Error(`random placed task ${i} on infeasible node ${v}`)
        free.cpu[v] -= cpu
        free.mem[v] -= mem
        free.gpu[v] -= gpu
        tasksOn[v]++
        if (g !== 0) counts.set(key(g, v), (counts.get(key(g, v)) ?? 0) + 1)
        out.node[i] = v
      } else out.node[i] = -1
    }
    if (out.node[i] < 0) {
      // reservations taken by the core block the node for later tasks
      const v = batch.plan.node[i]
      if (v >= 0 && (batch.plan.reason[i] & abi.REASON_RESERVED_BIT) !== 0) {
        blocked[v] = 1
        out.node[i] = v
      }
    }
  }
  return out
}
