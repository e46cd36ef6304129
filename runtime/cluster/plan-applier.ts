// The PlanApplier (Nomad's plan_apply): the scheduler proposes, this commits.
// A plan is applied in one store transaction, all or nothing:
//   - refused as stale when the pool's version moved on since the snapshot
//     (a node was added, removed or drained: the plan may name a node that is
//     gone or no longer takes work);
//   - refused when any placement no longer fits its node as the node is now
//     (something else took the room, or a static host port it needs: ports
//     taken since the plan, or by an earlier placement of the same plan);
//   - otherwise every placement takes its demand on its node, and the owner's
//     commit callback writes, in the same transaction, what the placement
//     means to it (a job attempt STARTING and its task row).
// A refused plan changes nothing; its owner re-plans (the reconciler runs again).

import { channel } from 'node:diagnostics_channel'
import type { PlacementPlan } from '../scheduler/placer.js'
import type { Store, Transaction } from '../store/store.js'
import { fits, NODES, POOLS, portTaken, type Demand, type NodePools, type NodeRecord } from './node-pool.js'

const refusedChannel = channel('stratus:cluster:plan-refused')

export type ApplyResult =
  | { applied: true; placed: number }
  | { applied: false; reason: 'stale' | 'no-fit'; detail: string }

export class PlanApplier {
  readonly #store: Store
  readonly #pools: NodePools
  /** Plans refused so far (diagnostics, tests). */
  refused = 0

  constructor(store: Store, pools: NodePools) {
    this.#store = store
    this.#pools = pools
  }

  /**
   * Applies the placements of `plan` whose task has a node. `demand(i)` is
   * task i's demand; `commit(tx, i, node)` records what placing task i on node
   * means, in the plan's transaction (it sees the node after the reservation).
   */
  apply(plan: PlacementPlan, demand: (task: number) => Demand, commit: (tx: Transaction, task: number, node: NodeRecord) => void): ApplyResult {
    let result: ApplyResult
    try {
      result = this.#commit(plan, demand, commit)
    } catch (error) {
      if (!(error instanceof Refused)) throw error
      result = { applied: false, reason: 'no-fit', detail: error.message }
    }
    if (!result.applied) {
      this.refused++
      if (refusedChannel.hasSubscribers) refusedChannel.publish({ poolId: plan.poolId, poolVersion: plan.poolVersion, ...result })
    }
    return result
  }

  #commit(plan: PlacementPlan, demand: (task: number) => Demand, commit: (tx: Transaction, task: number, node: NodeRecord) => void): ApplyResult {
    return this.#store.transaction((tx): ApplyResult => {
      const pool = tx.get(POOLS, plan.poolId)
      if (pool === undefined || pool.version !== plan.poolVersion) {
        return { applied: false, reason: 'stale', detail: `pool ${plan.poolId} is at version ${pool?.version ?? 'none'}, the plan was made at ${plan.poolVersion}` }
      }
      let placed = 0
      for (let i = 0; i < plan.node.length; i++) {
        const at = plan.node[i]
        if (at < 0) continue
        const key = plan.nodes[at].key
        const record = tx.get<NodeRecord>(NODES, key)
        const d = demand(i)
        if (record === undefined || !fits(record.value, d)) {
          const port = record === undefined ? undefined : portTaken(record.value, d)
          throw new Refused(port === undefined ? `task ${i} no longer fits node ${plan.nodes[at].id}` : `task ${i}: port ${port} is taken on node ${plan.nodes[at].id}`)
        }
        const node = this.#pools.reserve(tx, key, d, record.version)
        commit(tx, i, node)
        placed++
      }
      return { applied: true, placed }
    })
  }
}

/** Thrown inside the transaction to undo it: a placement no longer fits. */
class Refused extends Error {}
