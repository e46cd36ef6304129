// The dispatcher: a reconciler keyed by compute environment. One reconcile
// takes the runnable work of the queues that use the environment, in dispatch
// order (queue priority, the environment's place in the queue, submission),
// asks the Placer for a plan over the environment's pool, and has the
// PlanApplier commit it — each placement an attempt STARTING with its task
// row, in one transaction. What does not fit waits (and ages); a managed
// environment launches instances for it and the environment is reconciled
// again. A plan refused as stale (the pool moved on) is simply made again.

import { channel } from 'node:diagnostics_channel'
import type { Reconciler, ReconcileResult } from '../controller/reconciler.js'
import { againAfter, done } from '../controller/reconciler.js'
import type { PlacementPlan } from '../scheduler/placer.js'
import { nameFromArn } from '../aws/arn.js'
import type { PlanApplier } from '../cluster/plan-applier.js'
import type { ColumnSet } from '../store/columns.js'
import type { Demand } from '../cluster/node-pool.js'
import type { BatchContext } from './context.js'
import { startAttempt } from './attempts.js'
import { managedCapacity } from './compute-environments.js'
import type { JobEntry } from './job-cache.js'
import type { JobQueueDetail } from './model.js'
import { CES, CHILDREN, JOBS, QUEUES, S_RUNNABLE, type CeRecord, type JobRow } from './records.js'
import { startNodeAttempt } from './multinode.js'
import { distinctColumns, nodesToPlace, probeGangs, runnableNodes, type Candidate, type GangRefusal } from './node-dispatch.js'

const roundChannel = channel('stratus:batch:dispatch')

export class Dispatcher implements Reconciler {
  readonly #ctx: BatchContext
  /** Dispatch rounds run so far (diagnostics, benchmarks). */
  rounds = 0

  constructor(ctx: BatchContext) {
    this.#ctx = ctx
  }

  reconcile(ceName: string): ReconcileResult {
    const ctx = this.#ctx
    const ce = ctx.store.get<CeRecord>(CES, ceName)?.value
    if (ce === undefined || ce.detail.state !== 'ENABLED' || ce.detail.status !== 'VALID') return done
    const queues = ctx.store.scan<JobQueueDetail>(QUEUES, { index: { name: 'ce', value: ceName } })
      .map((r) => r.value)
      // A DISABLED queue takes no new jobs, but what it holds still runs (AWS); a DELETING one holds nothing more.
      .filter((q) => q.status === 'VALID')
      .sort((a, b) => b.priority - a.priority)
    if (queues.length === 0) return done
    this.rounds++
    const snapshot = ctx.pools.snapshot(ce.poolId)
    let freeCpu = 0
    for (const n of snapshot.nodes) if (n.status === 'ACTIVE') freeCpu += n.totalCpu - n.usedCpu
    const r = ce.detail.computeResources
    const managed = ce.detail.type === 'MANAGED' && r !== undefined
    const headroomCpu = managed ? Math.max(0, r.maxvCpus * 1000 - ctx.pools.vcpus(ce.poolId) * 1000) : 0
    // Gather candidates: enough demand to fill what is free (and what may be launched).
    const budget = (freeCpu + headroomCpu) * 1.25 + 1
    const candidates = this.#gather(queues, ceName, budget)
    if (candidates.length === 0) return done
    const sorted = queues.length === 1 ? candidates : this.#order(candidates)
    // A multi-node job's main node is placed only when all of its nodes could be (see node-dispatch.ts).
    const { kept: ordered, refused } = probeGangs(ctx, snapshot, sorted)
    const count = ordered.length
    const cpu = new Int32Array(count)
    const memory = new Int32Array(count)
    const gpu = new Int32Array(count)
    const waitRounds = new Int32Array(count)
    for (let i = 0; i < count; i++) {
      const d = ordered[i].demand
      cpu[i] = d.cpu
      memory[i] = d.memory
      gpu[i] = d.gpu
      waitRounds[i] = ordered[i].entry.waitRounds
    }
    const distinct = distinctColumns(ctx, snapshot, ordered)
    let plan: PlacementPlan
    let result: ReturnType<PlanApplier['apply']>
    try {
      plan = ctx.placer.place(snapshot, { count, cpu, memory, gpu, waitRounds, ...(distinct ? { group: distinct.group, distinct: distinct.distinct } : {}) }, {
        agingRounds: ctx.settings.agingRounds, ...(distinct ? { running: distinct.running } : {})
      })
      result = ctx.applier.apply(
        plan,
        (i) => ordered[i].demand,
        (tx, i, node) => {
          const c = ordered[i]
          if (c.node) startNodeAttempt(ctx, tx, c.entry, c.child, c.demand, node, ceName)
          else startAttempt(ctx, tx, c.entry, c.child, node, ceName)
        }
      )
    } catch (error) {
      // The plan's transaction was undone (a conflict, a refusal of the runner…): what was taken
      // from the cache goes back, and the work queue runs this environment again.
      this.#putBack(ordered)
      throw error
    }
    if (!result.applied) {
      // Nothing was placed: every candidate goes back, and the round is made again on the pool as it is now.
      this.#putBack(ordered)
      return againAfter(0)
    }
    const { unplaced, gangs } = this.#settle(ordered, plan, ceName, refused)
    if (roundChannel.hasSubscribers) roundChannel.publish({ computeEnvironment: ceName, candidates: count, placed: result.placed, metrics: plan.metrics })
    if (!managed || unplaced.length + gangs.length === 0) return done
    const capacity = managedCapacity(ce)
    // A multi-node job's missing instances are launched only while there is room for one: idle instances it
    // would use are not work that cannot use them, and must not be released to make room (they would come back).
    const room = r.maxvCpus - ctx.pools.vcpus(ce.poolId)
    const launchable = gangs.filter((d) => capacity.types.some((t) => t.vcpus <= room && t.vcpus * 1000 >= d.cpu && t.memory >= d.memory && t.gpus >= d.gpu))
    if (unplaced.length + launchable.length === 0) return done
    const launched = ctx.store.transaction((tx) => ctx.capacity.scaleOut(tx, capacity, [...unplaced, ...launchable]))
    return launched.length > 0 ? againAfter(0) : done
  }

  /** Runnable work of the queues, in each queue's submission order, up to the budget. */
  #gather(queues: JobQueueDetail[], ceName: string, budget: number): Candidate[] {
    const ctx = this.#ctx
    const max = ctx.settings.maxDispatch
    const out: Candidate[] = []
    for (const q of queues) {
      const list = ctx.cache.queue(q.jobQueueName)
      if (list === undefined) continue
      // Jobs with nothing runnable leave from the front (no scan of the whole list per round).
      while (list.head < list.jobs.length && this.#runnable(list.jobs[list.head]) === 0) list.jobs[list.head++].inRunnable = false
      if (list.head > 1024 && list.head * 2 > list.jobs.length) {
        list.jobs = list.jobs.slice(list.head)
        list.head = 0
      }
      const envOrder = q.computeEnvironmentOrder.findIndex((o) => o.computeEnvironment.endsWith(`/${ceName}`))
      let demand = 0
      for (let at = list.head; at < list.jobs.length; at++) {
        if (out.length >= max || demand > budget) break
        const entry = list.jobs[at]
        if (entry.nodes !== undefined) {
          const room = Math.max(1, Math.min(max - out.length, Math.ceil((budget - demand) / Math.max(entry.cpu, 1))))
          for (const index of nodesToPlace(ctx, entry, room)) {
            const nodeDemand = entry.nodes.demands[index]
            out.push({ entry, child: index, node: true, priority: q.priority, envOrder, demand: nodeDemand })
            demand += nodeDemand.cpu
          }
          continue
        }
        if (entry.children === undefined) {
          if (this.#runnable(entry) === 0) continue
          out.push({ entry, child: -1, node: false, priority: q.priority, envOrder, demand: entry.demand })
          demand += entry.cpu
          continue
        }
        if (entry.children.size === 0) continue
        const room = Math.max(1, Math.min(max - out.length, Math.ceil((budget - demand) / Math.max(entry.cpu, 1))))
        const status = ctx.store.get<ColumnSet>(CHILDREN, entry.jobId)?.value.column('status')
        const taken = new Set<number>()
        for (const child of entry.children.take(room)) {
          // The queue is a hint; the column is the truth (a child cancelled while queued is skipped,
          // and one queued twice is taken once).
          if (status === undefined || status[child] !== S_RUNNABLE || taken.has(child)) continue
          taken.add(child)
          out.push({ entry, child, node: false, priority: q.priority, envOrder, demand: entry.demand })
          demand += entry.cpu
        }
      }
    }
    return out
  }

  #runnable(entry: JobEntry): number {
    if (entry.nodes !== undefined) return runnableNodes(this.#ctx, entry)
    if (entry.children !== undefined) return entry.children.size
    return this.#ctx.store.get<JobRow>(JOBS, entry.jobId)?.value.status === 'RUNNABLE' ? 1 : 0
  }

  /** Candidates of several queues merged into dispatch order by the core. */
  #order(candidates: Candidate[]): Candidate[] {
    const n = candidates.length
    const priority = new Int32Array(n)
    const envOrder = new Int32Array(n)
    const sequence = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      priority[i] = candidates[i].priority
      envOrder[i] = candidates[i].envOrder
      sequence[i] = candidates[i].entry.seq
    }
    const order = this.#ctx.placer.orderJobs(priority, envOrder, sequence)
    return Array.from(order, (i) => candidates[i])
  }

  /**
   * After a plan was applied: what was not placed goes back to the front of
   * its job, ages, and is explained. Returns the demands a managed environment
   * may launch instances for: those of what was not placed, and apart from
   * them those of the nodes of refused multi-node jobs that found no instance
   * of their own.
   */
  #settle(ordered: Candidate[], plan: PlacementPlan, ceName: string, refused: GangRefusal[]): { unplaced: Demand[]; gangs: Demand[] } {
    const ctx = this.#ctx
    const turn = ctx.queues.dispatch.stats.turns
    const unplaced: Candidate[] = []
    const placedJobs = new Set<JobEntry>()
    const waitedJobs = new Set<JobEntry>()
    const gangs: Demand[] = []
    for (const { candidate, plan: probe, failed } of refused) {
      waitedJobs.add(candidate.entry)
      this.#explain(candidate.entry, probe, failed, ceName)
      probe.node.forEach((at, i) => {
        if (at < 0) gangs.push(candidate.entry.nodes!.demands[i])
      })
    }
    for (let i = 0; i < ordered.length; i++) {
      if (plan.node[i] >= 0) placedJobs.add(ordered[i].entry)
      else {
        unplaced.push(ordered[i])
        if (!waitedJobs.has(ordered[i].entry)) {
          waitedJobs.add(ordered[i].entry)
          this.#explain(ordered[i].entry, plan, i, ceName)
        }
      }
    }
    this.#putBack(unplaced)
    for (const entry of waitedJobs) {
      // A job waits at most one round per turn, however many environments looked at it.
      if (!placedJobs.has(entry) && entry.agedAt !== turn) {
        entry.waitRounds++
        entry.agedAt = turn
      }
    }
    for (const entry of placedJobs) {
      if (!waitedJobs.has(entry)) {
        entry.waitRounds = 0
        entry.lastPlacement = undefined
      }
    }
    return { unplaced: unplaced.map((c) => c.demand), gangs }
  }

  #explain(entry: JobEntry, plan: PlacementPlan, i: number, ceName: string): void {
    entry.lastPlacement = {
      computeEnvironment: ceName,
      poolVersion: plan.poolVersion,
      reason: plan.reason[i],
      at: this.#ctx.clock.now(),
      plan: {
        placed: plan.metrics.placed, failed: plan.metrics.failed, nodesEvaluated: plan.metrics.nodesEvaluated,
        filtered: { ...plan.metrics.filtered }, reservations: plan.metrics.reservations
      }
    }
  }

  /** Children (and child nodes) taken but not placed go back to the front of their job's queue, in order. */
  #putBack(candidates: Candidate[]): void {
    const back = new Map<JobEntry, number[]>()
    for (const { entry, child, node } of candidates) {
      if (child < 0 || (node && child === entry.nodes!.mainNode)) continue
      let list = back.get(entry)
      if (list === undefined) back.set(entry, (list = []))
      list.push(child)
    }
    for (const [entry, children] of back) (entry.nodes?.children ?? entry.children!).putBack(children.sort((a, b) => a - b))
  }
}

/** Environments in the order a dispatch turn serves them: the earlier an environment comes in any queue, the sooner. */
export function dispatchOrder(ctx: BatchContext, names: string[]): string[] {
  const rank = new Map<string, number>()
  for (const { value: q } of ctx.store.scan<JobQueueDetail>(QUEUES)) {
    q.computeEnvironmentOrder.forEach((o, i) => {
      const name = nameFromArn(o.computeEnvironment, 'compute-environment')
      rank.set(name, Math.min(rank.get(name) ?? Infinity, i))
    })
  }
  return names.sort((a, b) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity) || a.localeCompare(b))
}
