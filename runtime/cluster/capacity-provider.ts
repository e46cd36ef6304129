// Managed capacity: the instances a pool launches and removes on its own
// (a Batch MANAGED compute environment today; an ECS capacity provider with
// managed scaling next). Three decisions, each applied in the caller's
// transaction:
//   scaleTo   launch the cheapest capacity per vCPU until the pool holds a
//             target (minvCpus, or a desiredvCpus set by the user)
//   scaleOut  launch instances for demands that did not fit, chosen by the
//             placement core over hypothetical instances (below); when none can
//             be launched because idle instances hold the room under maxvCpus,
//             those go first
//   scaleIn   remove instances idle for the idle time, down to minvCpus
// Never above maxvCpus.

import type { Scheduler } from '../scheduler/scheduler.js'
import type { Transaction } from '../store/store.js'
import type { InstanceType } from './instance-types.js'
import type { Demand, NodePools, NodeRecord } from './node-pool.js'

export type AllocationStrategy = 'BEST_FIT' | 'BEST_FIT_PROGRESSIVE' | 'SPOT_CAPACITY_OPTIMIZED'

export interface ManagedCapacity {
  poolId: string
  /** Allowed instance types, cheapest per vCPU first (see sortByPrice). */
  types: readonly InstanceType[]
  allocationStrategy: AllocationStrategy
  minvCpus: number
  maxvCpus: number
}

/** Cheapest per vCPU first; ties: fewer vCPUs, then name. */
export function sortByPrice(types: readonly InstanceType[]): InstanceType[] {
  return [...types].sort((a, b) => a.price / a.vcpus - b.price / b.vcpus || a.vcpus - b.vcpus || a.name.localeCompare(b.name))
}

export class CapacityProvider {
  readonly #scheduler: Scheduler
  readonly #pools: NodePools

  constructor(scheduler: Scheduler, pools: NodePools) {
    this.#scheduler = scheduler
    this.#pools = pools
  }

  #launch(tx: Transaction, c: ManagedCapacity, type: InstanceType): NodeRecord {
    return this.#pools.addNode(tx, c.poolId, { instanceType: type.name, vcpus: type.vcpus, memory: type.memory, gpus: type.gpus, managed: true })
  }

  /** Launches the cheapest capacity per vCPU until the pool holds `target` vCPUs (within maxvCpus). */
  scaleTo(tx: Transaction, c: ManagedCapacity, target: number): NodeRecord[] {
    const launched: NodeRecord[] = []
    if (c.types.length === 0) return launched
    for (;;) {
      const have = this.#pools.vcpus(c.poolId, tx)
      if (have >= target) break
      const type = c.types.find((t) => have + t.vcpus <= c.maxvCpus)
      if (type === undefined) break
      launched.push(this.#launch(tx, c, type))
    }
    return launched
  }

  /** Launches instances for demands that did not fit (see planScaleOut); frees idle room first when it must. */
  scaleOut(tx: Transaction, c: ManagedCapacity, demands: readonly Demand[]): NodeRecord[] {
    let launch = planScaleOut(this.#scheduler, c, demands, c.maxvCpus - this.#pools.vcpus(c.poolId, tx))
    if (launch.length === 0 && this.#releaseIdle(tx, c) > 0) {
      // Idle instances that could take none of the waiting work held the room under maxvCpus: freed now.
      launch = planScaleOut(this.#scheduler, c, demands, c.maxvCpus - this.#pools.vcpus(c.poolId, tx))
    }
    return launch.map((type) => this.#launch(tx, c, type))
  }

  /** Removes managed instances with nothing running, down to minvCpus, at once. */
  #releaseIdle(tx: Transaction, c: ManagedCapacity): number {
    let released = 0
    for (const { value: node } of this.#pools.nodes(c.poolId, tx)) {
      if (!node.managed || node.running > 0) continue
      if (this.#pools.vcpus(c.poolId, tx) - node.totalCpu / 1000 < c.minvCpus) continue
      this.#pools.removeNode(tx, c.poolId, node.id)
      released++
    }
    return released
  }

  /**
   * Removes managed instances idle for at least idleMs, down to minvCpus.
   * Returns how many went and, when others are idle but not yet for long
   * enough, the ms until the next one is due.
   */
  scaleIn(tx: Transaction, c: ManagedCapacity, now: number, idleMs: number): { removed: number; nextDueMs: number | undefined } {
    let removed = 0
    let nextDueMs: number | undefined
    for (const { value: node } of this.#pools.nodes(c.poolId, tx)) {
      if (!node.managed || node.running > 0 || node.idleSince === undefined) continue
      const due = node.idleSince + idleMs - now
      if (due > 0) {
        nextDueMs = nextDueMs === undefined ? due : Math.min(nextDueMs, due)
        continue
      }
      if (this.#pools.vcpus(c.poolId, tx) - node.totalCpu / 1000 < c.minvCpus) continue
      this.#pools.removeNode(tx, c.poolId, node.id)
      removed++
    }
    return { removed, nextDueMs }
  }

  /** Could any allowed type ever hold the demand under maxvCpus? */
  static canEverHold(c: Pick<ManagedCapacity, 'types' | 'maxvCpus'>, d: Demand): boolean {
    const maxCpu = c.maxvCpus * 1000
    return d.cpu <= maxCpu && c.types.some((t) => t.vcpus * 1000 <= maxCpu && t.vcpus * 1000 >= d.cpu && t.memory >= d.memory && t.gpus >= d.gpu)
  }
}

/**
 * Which instances to launch for demands that did not fit, with at most
 * `headroom` vCPUs more, decided by the placement core over hypothetical
 * instances:
 *
 *   BEST_FIT              for each allowed type, pack the demands onto
 *                         hypothetical instances of that type alone (bestfit);
 *                         launch the type whose instances cost least in all
 *                         (ties: fewer instances), as many as were used
 *   BEST_FIT_PROGRESSIVE  one pool of every allowed type, cheapest per vCPU
 *                         first; launch the instances the packing used
 *
 * Demands no allowed type can hold are ignored (callers refuse them earlier).
 */
export function planScaleOut(scheduler: Scheduler, c: Pick<ManagedCapacity, 'types' | 'allocationStrategy'>, demands: readonly Demand[], headroom: number): InstanceType[] {
  const fitsType = (t: InstanceType, d: Demand) => t.vcpus * 1000 >= d.cpu && t.memory >= d.memory && t.gpus >= d.gpu
  const wanted = demands.filter((d) => c.types.some((t) => fitsType(t, d)))
  if (wanted.length === 0 || headroom <= 0) return []
  const demandCpu = wanted.reduce((sum, d) => sum + d.cpu, 0)
  const demandMemory = wanted.reduce((sum, d) => sum + d.memory, 0)
  // Enough hypothetical instances of each type to hold every demand, within the headroom.
  const pool = (types: readonly InstanceType[]): InstanceType[] => {
    const out: InstanceType[] = []
    for (const t of types) {
      const enough = Math.ceil(demandCpu / (t.vcpus * 1000)) + Math.ceil(demandMemory / t.memory) + 1
      const count = Math.min(Math.floor(headroom / t.vcpus), wanted.length, enough)
      for (let i = 0; i < count; i++) out.push(t)
    }
    return out
  }
  const pack = (candidates: InstanceType[]): InstanceType[] => {
    if (candidates.length === 0) return []
    const plan = scheduler.place({
      nodes: candidates.map((t) => ({ cpu: t.vcpus * 1000, memory: t.memory, gpus: t.gpus })),
      tasks: wanted.map((d) => ({ cpu: d.cpu, memory: d.memory, gpus: d.gpu, strategy: { type: 'bestfit' } }))
    })
    const used = new Set<number>()
    for (const p of plan.placements) if (p.node !== null) used.add(p.node)
    // Launch within the headroom, in pool order (cheapest per vCPU first).
    const launch: InstanceType[] = []
    let vcpus = 0
    for (const index of [...used].sort((a, b) => a - b)) {
      if (vcpus + candidates[index].vcpus > headroom) continue
      vcpus += candidates[index].vcpus
      launch.push(candidates[index])
    }
    return launch
  }
  if (c.allocationStrategy === 'BEST_FIT_PROGRESSIVE') return pack(pool(c.types))
  let best: InstanceType[] = []
  let bestCost = Infinity
  for (const t of c.types) {
    if (!wanted.every((d) => fitsType(t, d))) continue
    const launch = pack(pool([t]))
    if (launch.length === 0) continue
    const cost = launch.length * t.price
    if (cost < bestCost || (cost === bestCost && launch.length < best.length)) {
      best = launch
      bestCost = cost
    }
  }
  // No single type holds every demand: fall back to the progressive pool.
  return best.length === 0 ? pack(pool(c.types)) : best
}
