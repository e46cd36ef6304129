// A synthetic cluster and workload for the placement benchmark and demo:
// real AWS instance shapes spread over three zones, and a seeded stream of
// tasks with container-sized requests. Same seed, same cluster, same tasks.

import * as abi from '../runtime/scheduler/abi.js'
import type { PlacementBatch } from '../runtime/scheduler/placement-batch.js'
import type { PlacementCore } from '../runtime/scheduler/core.js'

/** Large instance types (vCPUs, GiB), as the AWS catalog lists them. */
export const INSTANCE_SHAPES: ReadonlyArray<readonly [string, number, number]> = [
  ['m5.16xlarge', 64, 256],
  ['m5.24xlarge', 96, 384],
  ['c5.18xlarge', 72, 144],
  ['r5.16xlarge', 64, 512],
  ['m5.12xlarge', 48, 192],
  ['c5.24xlarge', 96, 192]
]

const TASK_CPU = [125, 250, 250, 500, 500, 1000, 2000]
const TASK_MEM = [256, 512, 512, 1024, 2048, 2048, 4096]

export const STRATEGIES = [
  { name: 'binpack(cpu)', strategy: abi.STRATEGY_BINPACK_CPU, spread: abi.SPREAD_NODE },
  { name: 'binpack(memory)', strategy: abi.STRATEGY_BINPACK_MEMORY, spread: abi.SPREAD_NODE },
  { name: 'bestfit', strategy: abi.STRATEGY_BESTFIT, spread: abi.SPREAD_NODE },
  { name: 'spread(zone)', strategy: abi.STRATEGY_SPREAD, spread: abi.ATTR_ZONE },
  { name: 'spread(node)', strategy: abi.STRATEGY_SPREAD, spread: abi.SPREAD_NODE },
  { name: 'random', strategy: abi.STRATEGY_RANDOM, spread: abi.SPREAD_NODE }
] as const

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 0x100000000
  }
}

export interface Workload {
  nodes: number
  tasks: number
  strategy: number
  spreadAttribute: number
  seed?: number
}

/** Allocates and fills a batch on `core`: an empty cluster and a stream of tasks. */
export function syntheticBatch(core: PlacementCore, w: Workload): PlacementBatch {
  const next = rng(w.seed ?? 42)
  const batch = core.allocate({ nodes: w.nodes, tasks: w.tasks })
  const nodes = batch.nodes
  for (let i = 0; i < w.nodes; i++) {
    const shape = Math.floor(next() * INSTANCE_SHAPES.length)
    const [, vcpus, gib] = INSTANCE_SHAPES[shape]
    nodes.totalCpu[i] = nodes.freeCpu[i] = vcpus * 1000
    nodes.totalMemory[i] = nodes.freeMemory[i] = gib * 1024
    nodes.attributes[abi.ATTR_ZONE * w.nodes + i] = 1 + (i % 3)
    nodes.attributes[abi.ATTR_INSTANCE_TYPE * w.nodes + i] = 1 + shape
  }
  const tasks = batch.tasks
  for (let i = 0; i < w.tasks; i++) {
    tasks.cpu[i] = TASK_CPU[Math.floor(next() * TASK_CPU.length)]
    tasks.memory[i] = TASK_MEM[Math.floor(next() * TASK_MEM.length)]
    tasks.strategy[i] = w.strategy
    tasks.spreadAttribute[i] = w.spreadAttribute
  }
  batch.seed = w.seed ?? 42
  return batch
}

export interface Outcome {
  placed: number
  /** Placed cpu over total cpu, after the batch. */
  utilization: number
  /** Share of free cpu stranded on nodes that can no longer fit a median task (1 vCPU-ish shape). */
  fragmentation: number
}

export function outcome(batch: PlacementBatch): Outcome {
  const n = batch.shape.nodes
  const freeCpu = Float64Array.from(batch.nodes.freeCpu)
  const freeMem = Float64Array.from(batch.nodes.freeMemory)
  let total = 0
  for (let i = 0; i < n; i++) total += batch.nodes.totalCpu[i]
  let placedCpu = 0
  let placed = 0
  const plan = batch.plan
  for (let i = 0; i < batch.shape.tasks; i++) {
    const v = plan.node[i]
    if (v >= 0 && plan.reason[i] === abi.REASON_PLACED) {
      placed++
      placedCpu += batch.tasks.cpu[i]
      freeCpu[v] -= batch.tasks.cpu[i]
      freeMem[v] -= batch.tasks.memory[i]
    }
  }
  const medianCpu = 500
  const medianMem = 1024
  let free = 0
  let stranded = 0
  for (let i = 0; i < n; i++) {
    free += freeCpu[i]
    if (freeCpu[i] < medianCpu || freeMem[i] < medianMem) stranded += freeCpu[i]
  }
  return { placed, utilization: total > 0 ? placedCpu / total : 0, fragmentation: free > 0 ? stranded / free : 0 }
}
