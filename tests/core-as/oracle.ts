// A brute-force reference for the rules core-as/README.md states: every task
// looks at every node (no index, no pruning, no memo, no dead nodes). For each
// task in dispatch order it gives what the rules give:
//
//   placed    the node the strategy picks among the feasible ones (deterministic
//             strategies); random placements are checked for feasibility and
//             followed, and a random task the core left unplaced must have had
//             no feasible node
//   unplaced  the reason, from a scan of every node in the state at that point
//             (see `explain`), and for an aged task the node it reserves (see
//             `reserveFor`), which later tasks may not use
//
// Nothing here is taken from the core's plan except the random picks, so the
// tests compare the cores' placements, reasons and reservations with it.

import * as abi from '../../runtime/scheduler/abi.js'
import type { PlacementBatch } from '../../runtime/scheduler/placement-batch.js'

const frac = (part: number, whole: number) => (whole > 0 ? part / whole : 0)
const inv = (whole: number) => (whole > 0 ? 1 / whole : 0)

/** How a failure scan classified the nodes: each node counts once, for the first rule that rules it out. */
export interface Explanation {
  inactive: number
  constraint: number
  cpu: number
  memory: number
  gpu: number
}

/** An explanation with the nodes a taken host port ruled out (what the scans here make). */
export interface PortExplanation extends Explanation {
  ports: number
}

export interface OracleResult {
  /** Node index per task: where it runs, or the node it reserves, or -1. */
  node: Int32Array
  /** REASON_* per task, with REASON_RESERVED_BIT when it reserves a node. */
  reason: Uint8Array
  /** Per unplaced task (the task's index), the scan its reason comes from. */
  explanations: Map<number, Explanation>
}

/**
 * The reason rule: NO_ACTIVE_NODE without an active node; CONSTRAINT when
 * every active node is ruled out by the task's constraints or held by a
 * reservation; otherwise the resource that ruled out the most nodes (each node
 * counts for the first of cpu, memory, gpu, a free port it lacks; ties: cpu,
 * memory, gpu, ports).
 */
export function reasonOf(e: Explanation & { ports?: number }): number {
  const ports = e.ports ?? 0
  const active = e.constraint + e.cpu + e.memory + e.gpu + ports
  if (active === 0) return abi.REASON_NO_ACTIVE_NODE
  if (e.cpu + e.memory + e.gpu + ports === 0) return abi.REASON_CONSTRAINT
  if (ports > e.cpu && ports > e.memory && ports > e.gpu) return abi.REASON_PORTS
  if (e.cpu >= e.memory && e.cpu >= e.gpu) return abi.REASON_CPU
  if (e.memory >= e.gpu) return abi.REASON_MEMORY
  return abi.REASON_GPU
}

export function oraclePlan(batch: PlacementBatch): OracleResult {
  const n = batch.shape.nodes
  const N = batch.nodes
  const T = batch.tasks
  const free = { cpu: N.freeCpu.slice(), mem: N.freeMemory.slice(), gpu: N.freeGpu.slice() }
  const tasksOn = N.tasks.slice()
  const active = (v: number) => N.status[v] === abi.NODE_ACTIVE
  const reserved = new Uint8Array(n)
  const counts = new Map<string, number>()
  const key = (g: number, v: number) => `${g}:${v}`
  for (let i = 0; i < batch.shape.pairs; i++) {
    const [g, v, c] = [batch.pairs[i * 3], batch.pairs[i * 3 + 1], batch.pairs[i * 3 + 2]]
    if (c > 0) counts.set(key(g, v), (counts.get(key(g, v)) ?? 0) + c)
  }
  const attr = (v: number, k: number) => N.attributes[k * n + v]
  const ext = batch.shape.extensions
  const portsTaken = new Set<string>()
  if (ext) for (let i = 0; i < batch.shape.usedPorts; i++) portsTaken.add(`${batch.usedPorts[i * 2]}:${batch.usedPorts[i * 2 + 1]}`)
  const out: OracleResult = { node: new Int32Array(batch.shape.tasks), reason: new Uint8Array(batch.shape.tasks), explanations: new Map() }
  const anyActive = Array.from(N.status).some((s) => s === abi.NODE_ACTIVE)
  for (let j = 0; j < batch.taskCount; j++) {
    const i = batch.useOrder ? T.order[j] : j
    const cpu = T.cpu[i], mem = T.memory[i], gpu = T.gpu[i], g = T.group[i], strategy = T.strategy[i]
    const distinct = (T.flags[i] & abi.FLAG_DISTINCT_INSTANCE) !== 0
    const ca = T.constraintAttribute[i]
    const set = ca >= 0 ? Array.from(batch.values.subarray(T.constraintOffset[i], T.constraintOffset[i] + T.constraintLength[i])) : []
    const aged = batch.agingRounds > 0 && batch.useWait && T.wait[i] >= batch.agingRounds
    const e6 = (k: number) => (ext ? T.ext[i * abi.EXT_SLOTS + k] : 0)
    const sets: Array<[number, number[]]> = []
    for (let l = e6(abi.EXT_LIST_OFFSET); l < e6(abi.EXT_LIST_OFFSET) + e6(abi.EXT_LIST_LENGTH); l++) {
      const [a, off, len] = [batch.lists[l * 3], batch.lists[l * 3 + 1], batch.lists[l * 3 + 2]]
      sets.push([a, Array.from(batch.values.subarray(off, off + len))])
    }
    const ports = Array.from(batch.ports.subarray(e6(abi.EXT_PORT_OFFSET), e6(abi.EXT_PORT_OFFSET) + e6(abi.EXT_PORT_LENGTH)))
    const chain: Array<[number, number]> = [[strategy, T.spreadAttribute[i]]]
    for (let c = e6(abi.EXT_CHAIN_OFFSET); c < e6(abi.EXT_CHAIN_OFFSET) + e6(abi.EXT_CHAIN_LENGTH); c++) chain.push([batch.chains[c * 2], batch.chains[c * 2 + 1]])
    const constraintsHold = (v: number) =>
      !(distinct && (counts.get(key(g, v)) ?? 0) > 0) && (ca < 0 || set.includes(attr(v, ca))) &&
      sets.every(([a, values]) => values.includes(attr(v, a)))
    const portsFree = (v: number) => ports.every((p) => !portsTaken.has(`${v}:${p}`))
    const usable = (v: number) => active(v) && reserved[v] === 0 && constraintsHold(v)
    const fits = (v: number) => free.cpu[v] >= cpu && free.mem[v] >= mem && free.gpu[v] >= gpu
    const feasible = (v: number) => usable(v) && fits(v) && portsFree(v)
    const countOf = (v: number) => (g === 0 ? tasksOn[v] : counts.get(key(g, v)) ?? 0)
    const score = (v: number): number => scoreBy(strategy, v)
    const scoreBy = (s: number, v: number): number => {
      switch (s) {
        case abi.STRATEGY_BINPACK_CPU: return free.cpu[v] - cpu
        case abi.STRATEGY_BINPACK_MEMORY: return free.mem[v] - mem
        case abi.STRATEGY_BESTFIT:
          return (frac(free.cpu[v], N.totalCpu[v]) + frac(free.mem[v], N.totalMemory[v])) -
            (cpu * inv(N.totalCpu[v]) + mem * inv(N.totalMemory[v]))
        default: return countOf(v)
      }
    }
    const candidates = anyActive ? [...Array(n).keys()].filter(feasible) : []
    let chosen = -1
    // A chain: lexicographic over the steps' scores, then the lower index (core-as/chain.ts).
    const perValueOf = new Map<number, Map<number, number>>() // attribute -> value -> tasks of the group (all nodes)
    const stepScore = (s: number, k: number, v: number): number => {
      if (s === abi.STRATEGY_SPREAD && k >= 0) {
        let perValue = perValueOf.get(k)
        if (perValue === undefined) {
          perValue = new Map()
          for (let u = 0; u < n; u++) perValue.set(attr(u, k), (perValue.get(attr(u, k)) ?? 0) + countOf(u))
          perValueOf.set(k, perValue)
        }
        return perValue.get(attr(v, k))!
      }
      if (s === abi.STRATEGY_SPREAD) return countOf(v)
      return scoreBy(s, v)
    }
    const chained = chain.length > 1
    const randomChain = chained && chain.some(([s]) => s === abi.STRATEGY_RANDOM)
    if (chained && !randomChain) {
      for (const v of candidates) {
        if (chosen < 0) {
          chosen = v
          continue
        }
        for (const [s, k] of chain) {
          const a = stepScore(s, k, v), b = stepScore(s, k, chosen)
          if (a < b) {
            chosen = v
            break
          }
          if (a > b) break
        }
      }
    } else if (strategy === abi.STRATEGY_RANDOM || randomChain) {
      // The core's pick, if it placed the task; if it did not, any feasible node shows it should have.
      const v = batch.plan.node[i]
      if (v >= 0 && batch.plan.reason[i] === abi.REASON_PLACED) {
        if (!feasible(v)) throw new Error(`random placed task ${i} on infeasible node ${v}`)
        chosen = v
      } else if (candidates.length > 0) chosen = candidates[0]
    } else if (strategy === abi.STRATEGY_SPREAD && T.spreadAttribute[i] >= 0) {
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
    if (chosen >= 0) {
      free.cpu[chosen] -= cpu
      free.mem[chosen] -= mem
      free.gpu[chosen] -= gpu
      tasksOn[chosen]++
      for (const p of ports) portsTaken.add(`${chosen}:${p}`)
      if (g !== 0) counts.set(key(g, chosen), (counts.get(key(g, chosen)) ?? 0) + 1)
      out.node[i] = chosen
      out.reason[i] = abi.REASON_PLACED
      continue
    }
    // Unplaced: the reason from the state as it is now (before the task's own reservation).
    const e = explain(n, (v) => {
      if (!active(v)) return 'inactive'
      if (reserved[v] !== 0 || !constraintsHold(v)) return 'constraint'
      if (free.cpu[v] < cpu) return 'cpu'
      if (free.mem[v] < mem) return 'memory'
      if (free.gpu[v] < gpu) return 'gpu'
      if (!portsFree(v)) return 'ports'
      throw new Error(`task ${i} is unplaced but fits node ${v}`)
    })
    out.explanations.set(i, e)
    const reason = reasonOf(e)
    const held = aged ? reserveFor(n, (v) => usable(v) && N.totalCpu[v] >= cpu && N.totalMemory[v] >= mem && N.totalGpu[v] >= gpu, (v) =>
      frac(Math.max(cpu - free.cpu[v], 0), N.totalCpu[v]) + frac(Math.max(mem - free.mem[v], 0), N.totalMemory[v]) +
      frac(Math.max(gpu - free.gpu[v], 0), N.totalGpu[v])) : -1
    if (held >= 0) reserved[held] = 1
    out.node[i] = held
    out.reason[i] = held >= 0 ? reason | abi.REASON_RESERVED_BIT : reason
  }
  return out
}

function explain(n: number, classify: (v: number) => keyof PortExplanation): PortExplanation {
  const e: PortExplanation = { inactive: 0, constraint: 0, cpu: 0, memory: 0, gpu: 0, ports: 0 }
  for (let v = 0; v < n; v++) e[classify(v)]++
  return e
}

/**
 * The aging rule: an aged task that does not fit reserves the active,
 * unreserved node passing its constraints whose totals can hold it and whose
 * free capacity is closest to it (least normalised deficit, cpu + memory + gpu;
 * ties: lower index); -1 when there is none.
 */
function reserveFor(n: number, candidate: (v: number) => boolean, deficit: (v: number) => number): number {
  let best = -1
  for (let v = 0; v < n; v++) {
    if (candidate(v) && (best < 0 || deficit(v) < deficit(best))) best = v
  }
  return best
}
