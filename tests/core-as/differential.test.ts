// The WebAssembly core and the TypeScript twin give identical plans (nodes,
// reasons, metrics) over thousands of seeded random snapshots, and each agrees
// with a brute-force reference (oracle.ts) on every placement of a
// deterministic strategy, on the reason of every unplaced task and on every
// reservation an aged task takes.
import t, { type Test } from 'tap'
import { loadWasmCore } from '../../runtime/scheduler/wasm-core.js'
import { TsPlacementCore } from '../../runtime/scheduler/twin.js'
import * as abi from '../../runtime/scheduler/abi.js'
import type { PlacementBatch } from '../../runtime/scheduler/placement-batch.js'
import { randomBatch } from './random-batch.js'
import { oraclePlan, type OracleResult } from './oracle.js'

const SNAPSHOTS = 3000

interface OracleDiffs {
  placements: number
  reasons: number
  reservations: number
}

/** Counts where a core's plan departs from the reference (oraclePlan of the same inputs), commenting the first few. */
function compareWithOracle(t: Test, name: string, seed: number, batch: PlacementBatch, reference: OracleResult, diffs: OracleDiffs): void {
  const plan = batch.plan
  for (let i = 0; i < batch.taskCount; i++) {
    const placed = plan.reason[i] === abi.REASON_PLACED
    const expectPlaced = reference.reason[i] === abi.REASON_PLACED
    let kind: keyof OracleDiffs | undefined
    if (placed !== expectPlaced || (placed && plan.node[i] !== reference.node[i])) kind = 'placements'
    else if (!placed && (plan.reason[i] & ~abi.REASON_RESERVED_BIT) !== (reference.reason[i] & ~abi.REASON_RESERVED_BIT)) kind = 'reasons'
    else if (!placed && (plan.node[i] !== reference.node[i] || plan.reason[i] !== reference.reason[i])) kind = 'reservations'
    if (kind === undefined) continue
    if (diffs[kind]++ < 3) {
      t.comment(`${name} seed ${seed} task ${i}: reference ${reference.node[i]}/${reference.reason[i]} core ${plan.node[i]}/${plan.reason[i]}`)
    }
  }
}

t.test('wasm and typescript plans are identical, and agree with the reference', async (t) => {
  const wasm = await loadWasmCore()
  const ts = new TsPlacementCore()
  let planDiffs = 0
  let metricDiffs = 0
  const oracle: Record<string, OracleDiffs> = {
    wasm: { placements: 0, reasons: 0, reservations: 0 },
    typescript: { placements: 0, reasons: 0, reservations: 0 }
  }
  let tasks = 0
  let placed = 0
  const reasons = new Set<number>()
  for (let seed = 1; seed <= SNAPSHOTS; seed++) {
    const a = randomBatch(wasm, seed)
    const b = randomBatch(ts, seed)
    const ma = wasm.place(a)
    const mb = ts.place(b)
    if (JSON.stringify(ma) !== JSON.stringify(mb)) metricDiffs++
    // Both batches hold the same inputs (one seed): the reference is computed once (it is most of this test's time).
    const reference = oraclePlan(b)
    compareWithOracle(t, 'wasm', seed, a, reference, oracle.wasm)
    compareWithOracle(t, 'typescript', seed, b, reference, oracle.typescript)
    for (let i = 0; i < b.shape.tasks; i++) {
      tasks++
      reasons.add(b.plan.reason[i])
      if (b.plan.reason[i] === abi.REASON_PLACED) placed++
      if (a.plan.node[i] !== b.plan.node[i] || a.plan.reason[i] !== b.plan.reason[i]) {
        if (planDiffs++ < 3) t.comment(`seed ${seed} task ${i}: wasm ${a.plan.node[i]}/${a.plan.reason[i]} ts ${b.plan.node[i]}/${b.plan.reason[i]}`)
      }
    }
    wasm.release(a)
  }
  t.equal(planDiffs, 0, 'every task goes to the same node for the same reason')
  t.equal(metricDiffs, 0, 'metrics are identical')
  for (const name of ['wasm', 'typescript']) {
    t.equal(oracle[name].placements, 0, `${name}: every placement matches the reference (random: feasible, and unplaced only when nothing fits)`)
    t.equal(oracle[name].reasons, 0, `${name}: every unplaced task has the reason the rule gives`)
    t.equal(oracle[name].reservations, 0, `${name}: every aged task reserves the node the aging rule gives, and only aged tasks reserve`)
  }
  // The generator must really exercise the edges, or the comparison proves little.
  t.ok(placed > tasks * 0.2 && placed < tasks * 0.8, `a mix of placed and failed tasks (${placed}/${tasks})`)
  for (const code of [abi.REASON_PLACED, abi.REASON_CPU, abi.REASON_MEMORY, abi.REASON_GPU, abi.REASON_CONSTRAINT, abi.REASON_NO_ACTIVE_NODE, abi.REASON_PORTS]) {
    t.ok(reasons.has(code), `reason ${code} occurs`)
  }
  t.ok([...reasons].some((r) => (r & abi.REASON_RESERVED_BIT) !== 0), 'reservations occur')
})

t.test('the same seed replays the same random plan; another seed differs', async (t) => {
  const ts = new TsPlacementCore()
  const wasm = await loadWasmCore()
  const plan = (core: typeof ts | typeof wasm, seed: number) => {
    const b = core.allocate({ nodes: 50, tasks: 200 })
    for (let i = 0; i < 50; i++) {
      b.nodes.totalCpu[i] = b.nodes.freeCpu[i] = 64000
      b.nodes.totalMemory[i] = b.nodes.freeMemory[i] = 262144
    }
    for (let i = 0; i < 200; i++) {
      b.tasks.cpu[i] = 500
      b.tasks.memory[i] = 512
      b.tasks.strategy[i] = abi.STRATEGY_RANDOM
    }
    b.seed = seed
    core.place(b)
    return Array.from(b.plan.node)
  }
  t.same(plan(wasm, 7), plan(wasm, 7))
  t.same(plan(wasm, 7), plan(ts, 7))
  t.notSame(plan(wasm, 7), plan(wasm, 8))
  t.ok(new Set(plan(wasm, 7)).size > 20, 'random placements spread over many nodes')
})

t.test('a batch reused for fewer tasks (taskCount) places exactly those, on both cores', async (t) => {
  const wasm = await loadWasmCore()
  const ts = new TsPlacementCore()
  for (let seed = 1; seed <= 200; seed++) {
    const a = randomBatch(wasm, seed)
    const b = randomBatch(ts, seed)
    const fewer = Math.floor(a.shape.tasks / 2)
    a.useOrder = b.useOrder = false
    a.taskCount = b.taskCount = fewer
    a.plan.node.fill(-7)
    wasm.place(a)
    ts.place(b)
    const fresh = randomBatch(ts, seed)
    fresh.useOrder = false
    // The same first `fewer` tasks in a batch of exactly that many.
    const exact = ts.allocate({ ...fresh.shape, tasks: fewer })
    for (const key of Object.keys(exact.nodes) as Array<keyof typeof exact.nodes>) exact.nodes[key].set(fresh.nodes[key])
    for (const key of Object.keys(exact.tasks) as Array<keyof typeof exact.tasks>) {
      exact.tasks[key].set(fresh.tasks[key].subarray(0, key === 'ext' ? fewer * abi.EXT_SLOTS : fewer))
    }
    exact.pairs.set(fresh.pairs)
    exact.values.set(fresh.values)
    for (const pool of ['chains', 'lists', 'ports', 'usedPorts'] as const) exact[pool].set(fresh[pool])
    exact.seed = fresh.seed
    exact.agingRounds = fresh.agingRounds
    exact.useWait = fresh.useWait
    ts.place(exact)
    t.same(Array.from(a.plan.node.subarray(0, fewer)), Array.from(exact.plan.node), `seed ${seed}: wasm`)
    t.same(Array.from(b.plan.node.subarray(0, fewer)), Array.from(exact.plan.node), `seed ${seed}: typescript`)
    t.ok(a.plan.node.subarray(fewer).every((v) => v === -7), `seed ${seed}: tasks past taskCount untouched`)
    wasm.release(a)
  }
})
