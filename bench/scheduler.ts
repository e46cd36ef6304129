// Placement core benchmark: WebAssembly vs the TypeScript twin on the same
// synthetic cluster and tasks, in the same run.
//
//   npm run bench:scheduler              readable table: 1,000 / 5,000 / 10,000 nodes x every strategy
//   npm run bench:scheduler -- --json    the headline (10,000 nodes, 1,000,000 tasks, bestfit) and
//                                        an overloaded cluster (2,000 nodes, the same tasks: most
//                                        fail, so the memo of failed shapes carries the run);
//                                        last line is one JSON object
//
// Figures are placements (tasks decided, placed or not) per second of place(),
// validation included; the ratio is the number to read on a shared, noisy machine.

import { performance } from 'node:perf_hooks'
import { loadWasmCore } from '../runtime/scheduler/wasm-core.js'
import { TsPlacementCore } from '../runtime/scheduler/twin.js'
import type { PlacementCore, PlanMetrics } from '../runtime/scheduler/core.js'
import { outcome, STRATEGIES, syntheticBatch, type Outcome, type Workload } from './synthetic-cluster.js'
import { runBench } from './cleanup.js'

const json = process.argv.includes('--json')
const repeats = Number(process.argv.find((a) => a.startsWith('--repeats='))?.slice(10) ?? (json ? 3 : 1))

interface Run extends Outcome {
  perSecond: number
  metrics: PlanMetrics
}

function runOnce(core: PlacementCore, w: Workload): Run {
  const batch = syntheticBatch(core, w)
  const start = performance.now()
  const metrics = core.place(batch)
  const seconds = (performance.now() - start) / 1000
  const result = { ...outcome(batch), perSecond: w.tasks / seconds, metrics }
  core.release(batch)
  return result
}

/** Median of `repeats` runs, alternating cores so drift on the machine hits both alike. */
function compare(wasm: PlacementCore, ts: PlacementCore, w: Workload): { wasm: Run; ts: Run } {
  const a: Run[] = []
  const b: Run[] = []
  for (let r = 0; r < repeats; r++) {
    a.push(runOnce(wasm, w))
    b.push(runOnce(ts, w))
  }
  const median = (runs: Run[]) => runs.sort((x, y) => x.perSecond - y.perSecond)[Math.floor(runs.length / 2)]
  return { wasm: median(a), ts: median(b) }
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US')

async function main() {
  // Warm both cores up (JIT tiers, wasm compilation) on a small batch first.
  const warm = await loadWasmCore()
  const twin = new TsPlacementCore()
  for (const s of STRATEGIES) compare(warm, twin, { nodes: 1000, tasks: 50_000, strategy: s.strategy, spreadAttribute: s.spread })

  if (!json) {
    console.log('nodes   tasks      strategy          wasm/s        ts/s   ratio  util   frag')
    for (const nodes of [1000, 5000, 10000]) {
      for (const s of STRATEGIES) {
        const w = { nodes, tasks: nodes * 100, strategy: s.strategy, spreadAttribute: s.spread }
        const r = compare(warm, twin, w)
        console.log(
          `${String(nodes).padEnd(7)} ${String(w.tasks).padEnd(10)} ${s.name.padEnd(16)} ${fmt(r.wasm.perSecond).padStart(11)} ${fmt(r.ts.perSecond).padStart(11)}` +
          ` ${(r.wasm.perSecond / r.ts.perSecond).toFixed(2).padStart(6)} ${(r.wasm.utilization * 100).toFixed(1).padStart(5)}% ${(r.wasm.fragmentation * 100).toFixed(1).padStart(5)}%`
        )
      }
    }
  }

  // The headline, on a fresh instance so its linear memory is this run's alone.
  const fresh = await loadWasmCore()
  const bestfit = STRATEGIES.find((s) => s.name === 'bestfit')!
  const headline = { nodes: 10000, tasks: 1_000_000, strategy: bestfit.strategy, spreadAttribute: bestfit.spread }
  const r = compare(fresh, twin, headline)
  const linearMemory = fresh.memoryBytes // before the overloaded run reuses the instance
  const overloadedWorkload = { ...headline, nodes: 2000 }
  const o = compare(fresh, twin, overloadedWorkload)
  const overloaded = {
    nodes: overloadedWorkload.nodes,
    tasks: overloadedWorkload.tasks,
    failed: o.wasm.metrics.failed,
    failure_scans: o.wasm.metrics.failureScans,
    wasm_placements_per_s: Math.round(o.wasm.perSecond),
    ts_placements_per_s: Math.round(o.ts.perSecond),
    ratio: Number((o.wasm.perSecond / o.ts.perSecond).toFixed(3))
  }
  const result = {
    nodes: headline.nodes,
    tasks: headline.tasks,
    strategy: bestfit.name,
    wasm_placements_per_s: Math.round(r.wasm.perSecond),
    ts_placements_per_s: Math.round(r.ts.perSecond),
    ratio: Number((r.wasm.perSecond / r.ts.perSecond).toFixed(3)),
    utilization: Number(r.wasm.utilization.toFixed(4)),
    linear_memory_bytes: linearMemory,
    overloaded
  }
  if (!json) {
    console.log(`\nheadline: ${fmt(result.wasm_placements_per_s)} placements/s in WASM, ${fmt(result.ts_placements_per_s)} in TS (x${result.ratio}),` +
      ` ${(result.utilization * 100).toFixed(1)}% cpu placed, ${(result.linear_memory_bytes / 1048576).toFixed(1)} MiB linear memory`)
    console.log(`overloaded (${fmt(overloaded.nodes)} nodes): ${fmt(overloaded.wasm_placements_per_s)} placements/s in WASM, ${fmt(overloaded.ts_placements_per_s)} in TS` +
      ` (x${overloaded.ratio}), ${fmt(overloaded.failed)} failed, ${fmt(overloaded.failure_scans)} failure scans`)
  }
  console.log(JSON.stringify(result))
}

// It starts no process or server; runBench gives it the same exit paths as the others.
await runBench(main)
