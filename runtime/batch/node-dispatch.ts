// How the dispatcher places the nodes of multi-node parallel jobs, on the
// placement core's distinct-instance rule (FLAG_DISTINCT_INSTANCE): a job's
// nodes form a group no two of which share an instance.
//
//   main node   a candidate while the job is RUNNABLE; before the round's plan
//               a probe plan places every node of the job, distinct, on the
//               pool as it is: only when all of them fit does the main node
//               stay a candidate (else the job waits, explained by the probe,
//               and a managed environment launches instances for its nodes)
//   child nodes candidates once the main node runs, in the round's plan with
//               the job's group and the instances its running nodes hold
//               (the core's running pairs), so each lands on an instance of
//               its own; those that do not fit wait for the next round

import type { PlacementPlan, PlacerSnapshot } from '../scheduler/placer.js'
import type { Demand } from '../cluster/node-pool.js'
import type { TaskRow } from '../tasks/task-launcher.js'
import type { BatchContext } from './context.js'
import type { JobEntry } from './job-cache.js'
import { JOBS, NODES, type JobRow, type NodeRow } from './records.js'
import { readNodes } from './multinode.js'

/** What the dispatcher places: a job, an array child, or a node of a multi-node job. */
export interface Candidate {
  entry: JobEntry
  /** An array child's index, a node's index (with `node`), or -1 for a single job. */
  child: number
  node: boolean
  priority: number
  envOrder: number
  demand: Readonly<Demand>
}

/** The node indices of a multi-node job to place now: its main node while it is RUNNABLE, else child nodes while it runs (up to `room`). */
export function nodesToPlace(ctx: BatchContext, entry: JobEntry, room: number): number[] {
  const gang = entry.nodes!
  const status = ctx.store.get<JobRow>(JOBS, entry.jobId)?.value.status
  if (status === 'RUNNABLE') return [gang.mainNode]
  if (status !== 'RUNNING') return []
  const out: number[] = []
  for (const index of gang.children.take(room)) {
    // The queue is a hint; the node's row is the truth (and an index queued twice is taken once).
    const node = ctx.store.get<NodeRow>(NODES, `${entry.jobId}#${index}`)?.value
    if (node === undefined || node.status !== 'RUNNABLE' || node.runId !== undefined || out.includes(index)) continue
    out.push(index)
  }
  return out
}

/** Runnable work of a multi-node job: 1 while RUNNABLE (its main node), its RUNNABLE child nodes while it runs. */
export function runnableNodes(ctx: BatchContext, entry: JobEntry): number {
  const status = ctx.store.get<JobRow>(JOBS, entry.jobId)?.value.status
  return status === 'RUNNABLE' ? 1 : status === 'RUNNING' ? entry.nodes!.children.size : 0
}

/** A main node whose job could not be placed as a whole: the probe's plan explains it. */
export interface GangRefusal {
  candidate: Candidate
  plan: PlacementPlan
  /** The probe task (node index) whose reason explains the wait. */
  failed: number
}

/**
 * Probes every main node candidate's job on the snapshot; returns the
 * candidates that stay (in order) and the jobs that must wait.
 */
export function probeGangs(ctx: BatchContext, snapshot: PlacerSnapshot, ordered: Candidate[]): { kept: Candidate[]; refused: GangRefusal[] } {
  // Most rounds have no multi-node job: no copy of the candidates then.
  let any = false
  for (let i = 0; i < ordered.length && !any; i++) any = ordered[i].node
  if (!any) return { kept: ordered, refused: [] }
  const refused: GangRefusal[] = []
  const kept = ordered.filter((c) => {
    if (!c.node || c.child !== c.entry.nodes!.mainNode) return true
    const demands = c.entry.nodes!.demands
    const n = demands.length
    const plan = ctx.placer.place(snapshot, {
      count: n,
      cpu: demands.map((d) => d.cpu), memory: demands.map((d) => d.memory), gpu: demands.map((d) => d.gpu),
      waitRounds: new Int32Array(n), group: new Int32Array(n).fill(1), distinct: new Uint8Array(n).fill(1)
    })
    const failed = plan.node.findIndex((at) => at < 0)
    if (failed < 0) return true
    refused.push({ candidate: c, plan, failed })
    return false
  })
  return { kept, refused }
}

/**
 * The distinct-instance columns of a round's plan: a group per multi-node job
 * with child nodes among the candidates, and the instances its running nodes
 * hold. Undefined when the round places no child node.
 */
export function distinctColumns(ctx: BatchContext, snapshot: PlacerSnapshot, ordered: Candidate[]): { group: Int32Array; distinct: Uint8Array; running: number[] } | undefined {
  let any = false
  for (let i = 0; i < ordered.length && !any; i++) any = ordered[i].node
  if (!any) return undefined
  const group = new Int32Array(ordered.length)
  const distinct = new Uint8Array(ordered.length)
  const groups = new Map<JobEntry, number>()
  const running: number[] = []
  let indexOf: Map<string, number> | undefined
  ordered.forEach((c, i) => {
    if (!c.node) return
    let g = groups.get(c.entry)
    if (g === undefined) {
      groups.set(c.entry, (g = groups.size + 1))
      indexOf ??= new Map(snapshot.nodes.map((n, k) => [n.key, k]))
      for (const node of readNodes(ctx.store, c.entry.jobId)) {
        const task = node.runId === undefined ? undefined : ctx.launcher.get(node.runId) as TaskRow | undefined
        const at = task === undefined ? undefined : indexOf.get(task.nodeKey)
        if (at !== undefined) running.push(g, at, 1)
      }
    }
    group[i] = g
    distinct[i] = 1
  })
  return { group, distinct, running }
}
