// ECS placement benchmark: placeTasks of 10 tasks on 1,000 container instances
// with spread(attribute:ecs.availability-zone) then binpack(memory) — a strategy
// chain, so each task is one scan of the instances — on the WebAssembly core and
// on the TypeScript twin, alternating in the same run (the twin is the baseline).
//
//   node dist/bench/ecs-placement.js [--json] [--calls=N]
//
// Figures are milliseconds per placeTasks call (expression compilation, the
// Scheduler's validation and interning, the core, reading the plan back), the
// median of 5 rounds of N calls each; the ratio is the number to read.
// benchEcsPlacement() is exported for `npm run bench:ecs`.

import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Scheduler } from '../runtime/scheduler/scheduler.js'
import type { NodeRecord } from '../runtime/cluster/node-pool.js'
import { placeTasks, type PlaceTasksInput } from '../runtime/ecs/placement/index.js'
import { runBench } from './cleanup.js'

export interface EcsPlacementFigures {
  instances: number
  tasks_per_call: number
  calls: number
  strategy: string
  wasm_ms_per_call: number
  ts_ms_per_call: number
  /** CPU time per call (process.cpuUsage): steadier than wall time on a shared machine. */
  wasm_cpu_ms_per_call: number
  ts_cpu_ms_per_call: number
  /** ts / wasm: how many times faster the WebAssembly core's calls are. */
  ratio: number
  wasm_tasks_per_s: number
  placed_per_call: number
}

function instances(count: number): NodeRecord[] {
  let x = 42
  const next = () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 0x100000000
  }
  return Array.from({ length: count }, (_, i): NodeRecord => {
    const memory = 16384
    return {
      key: `p/i-${i}`, poolId: 'p', id: `i-${i}`, containerInstanceArn: `arn:aws:ecs:us-east-1:000000000000:container-instance/c/i-${i}`,
      instanceType: 'm5.xlarge', zone: `us-east-1${'abc'[i % 3]}`, status: 'ACTIVE', managed: true,
      totalCpu: 4000, totalMemory: memory, totalGpu: 0, usedCpu: 0, usedMemory: Math.floor(next() * 12) * 1024, usedGpu: 0,
      running: 0, attributes: {}, launchedAt: 0, idleSince: 0
    }
  })
}

/** Runs the comparison; `calls` placeTasks calls per round and core. */
export async function benchEcsPlacement(options: { calls?: number; instances?: number } = {}): Promise<EcsPlacementFigures> {
  const calls = options.calls ?? 200
  const records = instances(options.instances ?? 1000)
  const input: PlaceTasksInput = {
    poolId: 'p', poolVersion: 1, nodes: records.map((record) => ({ record })),
    tasks: Array.from({ length: 10 }, () => ({ demand: { cpu: 256, memory: 512, gpu: 0 }, group: 'service:web' })),
    placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'binpack', field: 'memory' }]
  }
  const wasm = await Scheduler.create()
  const ts = await Scheduler.create({ core: 'typescript' })
  const round = (s: Scheduler): { ms: number; cpu: number; placed: number } => {
    let placed = 0
    const start = performance.now()
    const cpu0 = process.cpuUsage()
    for (let c = 0; c < calls; c++) placed += placeTasks(s, { ...input, seed: c + 1 }).metrics.placed
    const cpu = process.cpuUsage(cpu0)
    return { ms: (performance.now() - start) / calls, cpu: (cpu.user + cpu.system) / 1000 / calls, placed: placed / calls }
  }
  round(wasm) // warm both up (JIT tiers)
  round(ts)
  const a: number[] = [], b: number[] = [], ac: number[] = [], bc: number[] = []
  let placed = 0
  for (let r = 0; r < 5; r++) {
    const x = round(wasm)
    a.push(x.ms)
    ac.push(x.cpu)
    placed = x.placed
    const y = round(ts)
    b.push(y.ms)
    bc.push(y.cpu)
  }
  const median = (v: number[]) => v.sort((p, q) => p - q)[2]
  const w = median(a), t = median(b)
  return {
    instances: records.length, tasks_per_call: input.tasks.length, calls, strategy: 'spread(attribute:ecs.availability-zone)+binpack(memory)',
    wasm_ms_per_call: Number(w.toFixed(4)), ts_ms_per_call: Number(t.toFixed(4)),
    wasm_cpu_ms_per_call: Number(median(ac).toFixed(4)), ts_cpu_ms_per_call: Number(median(bc).toFixed(4)), ratio: Number((t / w).toFixed(3)),
    wasm_tasks_per_s: Math.round((input.tasks.length * 1000) / w), placed_per_call: placed
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const json = process.argv.includes('--json')
  const calls = Number(process.argv.find((a) => a.startsWith('--calls='))?.slice(8) ?? 200)
  await runBench(async () => {
    const f = await benchEcsPlacement({ calls })
    if (!json) {
      console.log(`placeTasks of ${f.tasks_per_call} tasks on ${f.instances} instances, ${f.strategy}:`)
      console.log(`  wasm ${f.wasm_ms_per_call} ms per call (${f.wasm_tasks_per_s.toLocaleString('en-US')} tasks/s, ${f.wasm_cpu_ms_per_call} ms cpu), twin ${f.ts_ms_per_call} ms (${f.ts_cpu_ms_per_call} ms cpu; x${f.ratio})`)
    }
    console.log(JSON.stringify(f))
  })
}
