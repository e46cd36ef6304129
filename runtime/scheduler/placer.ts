// The Placer: the engine's controllers hand it a pool snapshot and the tasks
// waiting for that pool, and get a plan back. It owns one reusable placement
// batch per pool (reallocated when the pool's node count changes or the tasks
// outgrow it) and is, with the Scheduler, the only code that touches the
// placement ABI: callers never fill columns.
//
// A plan is a proposal (Nomad): it carries the pool version it was made
// against and the core's metrics; cluster/PlanApplier re-checks and commits
// it. Plans are published on the diagnostics channel stratus:scheduler:plan
// before anyone applies them.

import { channel } from 'node:diagnostics_channel'
import * as abi from './abi.js'
import type { PlacementBatch } from './placement-batch.js'
import type { PlacementCore, PlanMetrics } from './core.js'
import { REASONS, type PlacementReason } from './scheduler.js'

const planChannel = channel('stratus:scheduler:plan')

/** What the Placer needs of a node (cluster/NodeRecord has it). */
export interface PlacerNode {
  id: string
  /** Its key in the store (what the PlanApplier reads and writes). */
  key: string
  status: 'ACTIVE' | 'DRAINING'
  totalCpu: number
  totalMemory: number
  totalGpu: number
  usedCpu: number
  usedMemory: number
  usedGpu: number
  running: number
}

export interface PlacerSnapshot {
  poolId: string
  version: number
  nodes: readonly PlacerNode[]
}

/** Tasks as columns (millicores, MiB, GPUs, rounds waited); `count` of them are used. */
export interface PlacerTasks {
  count: number
  cpu: ArrayLike<number>
  memory: ArrayLike<number>
  gpu: ArrayLike<number>
  waitRounds: ArrayLike<number>
  /** Groups (> 0; 0: none): tasks of a group with `distinct` set go to nodes no other task of the group is on. */
  group?: ArrayLike<number>
  /** Non-zero: distinctInstance (needs a group). */
  distinct?: ArrayLike<number>
}

export interface PlacerOptions {
  /** Dispatch order: task indices (default: as given). */
  order?: ArrayLike<number>
  /** Rounds after which a task that does not fit reserves a node; 0 = never. */
  agingRounds?: number
  seed?: number
  /**
   * Tasks of the groups already running, as (group, node index, count)
   * triples: a distinct task of the group does not go to those nodes.
   */
  running?: ArrayLike<number>
}

/** The group unused pair slots of a reused batch name: no task has it, and its count is 0. */
const PAD_GROUP = 0x7fffffff

export interface PlacementPlan {
  poolId: string
  /** The pool version the plan was made against (the PlanApplier refuses it once the pool moved on). */
  poolVersion: number
  /** The snapshot's nodes, which `node` indexes. */
  nodes: readonly PlacerNode[]
  /** Per task (in the caller's index order): the node index, or -1. */
  node: Int32Array
  /** Per task: why it was not placed (PLACED when it was). */
  reason: PlacementReason[]
  /** Per task: the node held for it (aging), or -1. */
  reserved: Int32Array
  metrics: PlanMetrics
}

/** How many nodes of a snapshot rule a demand out, per cause (for a task that waits). */
export interface FilterCounts {
  nodes: number
  inactive: number
  cpu: number
  memory: number
  gpu: number
}


export class Placer {
  readonly core: PlacementCore
  readonly #batches = new Map<string, PlacementBatch>()

  constructor(core: PlacementCore) {
    this.core = core
  }

  place(snapshot: PlacerSnapshot, tasks: PlacerTasks, options: PlacerOptions = {}): PlacementPlan {
    const nodes = snapshot.nodes
    const running = options.running
    const pairs = running === undefined ? 0 : running.length / 3
    const batch = this.#batchFor(snapshot.poolId, nodes.length, tasks.count, pairs)
    const slots = batch.pairs
    for (let p = 0; p < batch.shape.pairs; p++) {
      slots[p * 3] = p < pairs ? running![p * 3] : PAD_GROUP
      slots[p * 3 + 1] = p < pairs ? running![p * 3 + 1] : 0
      slots[p * 3 + 2] = p < pairs ? running![p * 3 + 2] : 0
    }
    const cols = batch.nodes
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]
      cols.totalCpu[i] = n.totalCpu
      cols.totalMemory[i] = n.totalMemory
      cols.totalGpu[i] = n.totalGpu
      cols.freeCpu[i] = n.totalCpu - n.usedCpu
      cols.freeMemory[i] = n.totalMemory - n.usedMemory
      cols.freeGpu[i] = n.totalGpu - n.usedGpu
      cols.tasks[i] = n.running
      cols.status[i] = n.status === 'ACTIVE' ? abi.NODE_ACTIVE : abi.NODE_DRAINING
    }
    const count = tasks.count
    const t = batch.tasks
    const order = options.order
    // The core reads tasks in dispatch order: task k of the batch is the caller's task order[k].
    for (let k = 0; k < count; k++) {
      const i = order === undefined ? k : order[k]
      t.cpu[k] = tasks.cpu[i]
      t.memory[k] = tasks.memory[i]
      t.gpu[k] = tasks.gpu[i]
      t.strategy[k] = abi.STRATEGY_BESTFIT
      t.wait[k] = tasks.waitRounds[i]
      // Written for every task: the batch is reused round after round.
      t.group[k] = tasks.group === undefined ? 0 : tasks.group[i]
      t.flags[k] = tasks.distinct !== undefined && tasks.distinct[i] !== 0 ? abi.FLAG_DISTINCT_INSTANCE : 0
    }
    batch.taskCount = count
    batch.useWait = true
    batch.agingRounds = options.agingRounds ?? 0
    batch.seed = options.seed ?? 1
    const metrics = this.core.place(batch)
    const out = batch.plan
    const node = new Int32Array(count).fill(-1)
    const reserved = new Int32Array(count).fill(-1)
    const reason = new Array<PlacementReason>(count)
    for (let k = 0; k < count; k++) {
      const i = order === undefined ? k : order[k]
      const code = out.reason[k]
      if (code === abi.REASON_PLACED) {
        node[i] = out.node[k]
        reason[i] = 'PLACED'
      } else {
        reason[i] = REASONS[code & ~abi.REASON_RESERVED_BIT]
        if ((code & abi.REASON_RESERVED_BIT) !== 0) reserved[i] = out.node[k]
      }
    }
    const plan: PlacementPlan = { poolId: snapshot.poolId, poolVersion: snapshot.version, nodes, node, reason, reserved, metrics }
    if (planChannel.hasSubscribers) planChannel.publish(plan)
    return plan
  }

  /** Dispatch order of jobs: queue priority (higher first), environment order, submission sequence. */
  orderJobs(priority: Int32Array, envOrder: Int32Array, sequence: Int32Array): Int32Array {
    return this.core.orderJobs(priority, envOrder, sequence)
  }

  /** Gives a pool's batch back (the pool is gone). */
  forget(poolId: string): void {
    const batch = this.#batches.get(poolId)
    if (batch !== undefined) this.core.release(batch)
    this.#batches.delete(poolId)
  }

  close(): void {
    for (const batch of this.#batches.values()) this.core.release(batch)
    this.#batches.clear()
  }

  #batchFor(poolId: string, nodes: number, tasks: number, pairs: number): PlacementBatch {
    let batch = this.#batches.get(poolId)
    if (batch === undefined || batch.shape.nodes !== nodes || batch.shape.tasks < tasks || batch.shape.pairs < pairs) {
      if (batch !== undefined) this.core.release(batch)
      let capacity = 64
      while (capacity < tasks) capacity *= 2
      // Pair slots too grow by doubling (unused ones are padding: PAD_GROUP, count 0).
      let pairSlots = pairs === 0 ? 0 : 8
      while (pairSlots < pairs) pairSlots *= 2
      batch = this.core.allocate({ nodes, tasks: capacity, pairs: pairSlots })
      this.#batches.set(poolId, batch)
    }
    return batch
  }
}

/** Counts, naively, why each node of a snapshot cannot take a demand now (the explanation kept for a waiting task). */
export function filterCounts(nodes: readonly PlacerNode[], cpu: number, memory: number, gpu: number): FilterCounts {
  const counts: FilterCounts = { nodes: nodes.length, inactive: 0, cpu: 0, memory: 0, gpu: 0 }
  for (const n of nodes) {
    if (n.status !== 'ACTIVE') {
      counts.inactive++
      continue
    }
    if (n.totalCpu - n.usedCpu < cpu) counts.cpu++
    if (n.totalMemory - n.usedMemory < memory) counts.memory++
    if (n.totalGpu - n.usedGpu < gpu) counts.gpu++
  }
  return counts
}
