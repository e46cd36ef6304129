// The placement core at work: a synthetic cluster of 4,000 nodes (real AWS
// instance shapes over three zones) and 300,000 container-sized tasks, placed
// with each strategy. Prints placements/s, the share of cpu placed, and the
// share of free cpu left stranded on nodes too full for a median task.
//
//   npm run demo:placement
import { loadWasmCore, placementAbi as abi, type PlacementCore } from 'stratus/placement'

const NODES = 4000
const TASKS = 300_000
const SHAPES: Array<[string, number, number]> = [['m5.16xlarge', 64, 256], ['m5.24xlarge', 96, 384], ['c5.18xlarge', 72, 144], ['r5.16xlarge', 64, 512]]
const CPU = [125, 250, 500, 1000, 2000]
const MEM = [256, 512, 1024, 2048, 4096]
const STRATEGIES: Array<[string, number, number]> = [
  ['binpack(cpu)', abi.STRATEGY_BINPACK_CPU, abi.SPREAD_NODE],
  ['binpack(memory)', abi.STRATEGY_BINPACK_MEMORY, abi.SPREAD_NODE],
  ['bestfit', abi.STRATEGY_BESTFIT, abi.SPREAD_NODE],
  ['spread(zone)', abi.STRATEGY_SPREAD, abi.ATTR_ZONE],
  ['random', abi.STRATEGY_RANDOM, abi.SPREAD_NODE]
]

function run(core: PlacementCore, strategy: number, spread: number) {
  let seed = 7
  const next = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32)
  // A batch's columns live where the core reads them: fill them in place.
  const batch = core.allocate({ nodes: NODES, tasks: TASKS })
  const n = batch.nodes
  for (let i = 0; i < NODES; i++) {
    const [, vcpus, gib] = SHAPES[i % SHAPES.length]
    n.totalCpu[i] = n.freeCpu[i] = vcpus * 1000
    n.totalMemory[i] = n.freeMemory[i] = gib * 1024
    n.attributes[abi.ATTR_ZONE * NODES + i] = 1 + (i % 3)
  }
  const t = batch.tasks
  for (let i = 0; i < TASKS; i++) {
    t.cpu[i] = CPU[Math.floor(next() * CPU.length)]
    t.memory[i] = MEM[Math.floor(next() * MEM.length)]
    t.strategy[i] = strategy
    t.spreadAttribute[i] = spread
  }
  const start = performance.now()
  const metrics = core.place(batch)
  const seconds = (performance.now() - start) / 1000
  // Read the plan back: cpu placed, and free cpu stranded on nodes that cannot take a 500m/1GiB task.
  const freeCpu = Float64Array.from(batch.nodes.freeCpu)
  const freeMem = Float64Array.from(batch.nodes.freeMemory)
  const plan = batch.plan
  for (let i = 0; i < TASKS; i++) {
    const v = plan.node[i]
    if (plan.reason[i] === abi.REASON_PLACED) {
      freeCpu[v] -= t.cpu[i]
      freeMem[v] -= t.memory[i]
    }
  }
  let total = 0, free = 0, stranded = 0
  for (let i = 0; i < NODES; i++) {
    total += batch.nodes.totalCpu[i]
    free += freeCpu[i]
    if (freeCpu[i] < 500 || freeMem[i] < 1024) stranded += freeCpu[i]
  }
  core.release(batch)
  return { perSecond: TASKS / seconds, placed: metrics.placed, utilization: 1 - free / total, fragmentation: stranded / free }
}

const core = await loadWasmCore()
run(core, abi.STRATEGY_BESTFIT, abi.SPREAD_NODE) // warm up
console.log(`${NODES.toLocaleString()} nodes, ${TASKS.toLocaleString()} tasks, WebAssembly core\n`)
console.log('strategy          placements/s   placed    cpu used   stranded')
for (const [name, strategy, spread] of STRATEGIES) {
  const r = run(core, strategy, spread)
  console.log(`${name.padEnd(16)} ${Math.round(r.perSecond).toLocaleString().padStart(13)} ${r.placed.toLocaleString().padStart(9)} ${(r.utilization * 100).toFixed(1).padStart(9)}% ${(r.fragmentation * 100).toFixed(1).padStart(9)}%`)
}
