// The dispatcher's in-memory view of jobs: which have runnable work, in
// submission order per queue, their demand, how many rounds they waited
// (aging) and why they did not start. A cache: rebuilt from the store at
// start (restore(), job by job), and only ever a hint — the dispatcher re-reads a job's
// status before it places it.

import type { Demand } from '../cluster/node-pool.js'
import type { FilterCounts } from '../scheduler/placer.js'
import type { PlacementReason } from '../scheduler/scheduler.js'
import type { StoreReader } from '../store/store.js'
import type { ColumnSet } from '../store/columns.js'
import { CHILDREN, NODES, S_RUNNABLE, type JobRow, type NodeRow } from './records.js'
import { RunQueue } from './run-queue.js'
import { resolveNode } from './node-properties.js'

/** What the plan of a dispatch round said as a whole (the core's metrics). */
export interface PlanSummary {
  placed: number
  failed: number
  nodesEvaluated: number
  /** Nodes the core's filters ruled out, per cause (each node once, for the first rule it failed). */
  filtered: { cpu: number; memory: number; gpu: number; constraint: number; inactive: number }
  /** Nodes held for tasks that waited their agingRounds. */
  reservations: number
}

/** What the last dispatch round that passed a job over saw. */
export interface LastPlacement {
  computeEnvironment: string
  poolVersion: number
  reason: PlacementReason
  at: number
  plan: PlanSummary
}

/** Why a RUNNABLE job did not start: its last dispatch round's plan, and what rules the pool's nodes out for it now. */
export interface PlacementExplanation {
  computeEnvironment: string
  /** The pool version the plan was made against. */
  poolVersion: number
  /** The core's reason for this job's demand. */
  reason: PlacementReason
  /** Clock ms of that round. */
  at: number
  /** That round's plan as a whole. */
  plan: PlanSummary
  /** The pool's nodes now, and how many rule this job's demand out per cause (a node short of several counts for each). */
  nodesNow: FilterCounts
}

export interface JobEntry {
  readonly jobId: string
  readonly seq: number
  readonly queueName: string
  /** Millicores, MiB, GPUs. */
  readonly cpu: number
  readonly memory: number
  readonly gpu: number
  /** The same, as one (shared, never changed) demand. */
  readonly demand: Readonly<Demand>
  /** Array jobs: the runnable children. */
  readonly children: RunQueue | undefined
  /** Multi-node parallel jobs: their nodes' demands, and the child nodes that may be placed now. */
  readonly nodes: NodeGang | undefined
  inRunnable: boolean
  /** Rounds in which it had runnable work that was not placed. */
  waitRounds: number
  /** The dispatch turn in which it last aged (it ages once per turn, however many environments look at it). */
  agedAt: number
  lastPlacement: LastPlacement | undefined
}

/** A multi-node job's nodes as the dispatcher places them: the main node first (with a check that every node could be placed), the others once it runs. */
export interface NodeGang {
  numNodes: number
  mainNode: number
  /** Per node index (nodes asking for the same resources share one object). */
  demands: ReadonlyArray<Readonly<Demand>>
  /** Child nodes RUNNABLE while the main node runs (a hint: the node rows are the truth). */
  children: RunQueue
}

function gangOf(row: JobRow): NodeGang | undefined {
  const np = row.nodeProperties
  if (np === undefined) return undefined
  const shared = new Map<string, Readonly<Demand>>()
  const demands: Array<Readonly<Demand>> = []
  for (let i = 0; i < np.numNodes; i++) {
    const c = resolveNode(np, row.nodeOverrides ?? [], row.parameters, i)
    const cpu = Math.round(c.vcpus * 1000)
    const key = `${cpu}/${c.memory}/${c.gpus}`
    let demand = shared.get(key)
    if (demand === undefined) shared.set(key, (demand = Object.freeze({ cpu, memory: c.memory, gpu: c.gpus })))
    demands.push(demand)
  }
  return { numNodes: np.numNodes, mainNode: np.mainNode, demands, children: new RunQueue() }
}

interface QueueList {
  jobs: JobEntry[]
  head: number
  sorted: boolean
}

export class JobCache {
  readonly #entries = new Map<string, JobEntry>()
  readonly #queues = new Map<string, QueueList>()
  /** Jobs that some job depends on (a superset: a hint that spares the index lookup for the others). */
  readonly #targets = new Set<string>()

  /** Could any job depend on jobId? (False only when none does.) */
  mayHaveDependants(jobId: string): boolean {
    return this.#targets.has(jobId)
  }

  /** Some job depends on these. */
  addTargets(jobIds: readonly string[]): void {
    for (const id of jobIds) this.#targets.add(id)
  }

  entryOf(row: JobRow): JobEntry {
    let entry = this.#entries.get(row.jobId)
    if (entry === undefined) {
      const cpu = Math.round(row.vcpus * 1000)
      entry = {
        jobId: row.jobId, seq: row.seq, queueName: row.queueName,
        cpu, memory: row.memory, gpu: row.gpus, demand: Object.freeze({ cpu, memory: row.memory, gpu: row.gpus }),
        children: row.arraySize === undefined ? undefined : new RunQueue(),
        nodes: gangOf(row),
        inRunnable: false, waitRounds: 0, agedAt: -1, lastPlacement: undefined
      }
      this.#entries.set(row.jobId, entry)
    }
    return entry
  }

  get(jobId: string): JobEntry | undefined {
    return this.#entries.get(jobId)
  }

  /** The job may have runnable work: it joins its queue's list (once). */
  enqueue(entry: JobEntry): void {
    if (entry.inRunnable) return
    let list = this.#queues.get(entry.queueName)
    if (list === undefined) this.#queues.set(entry.queueName, (list = { jobs: [], head: 0, sorted: true }))
    const last = list.jobs.at(-1)
    if (last !== undefined && last.seq > entry.seq) list.sorted = false
    list.jobs.push(entry)
    entry.inRunnable = true
  }

  /** The queue's jobs that may have runnable work, by submission, from `head` on (sorted now if needed). */
  queue(queueName: string): QueueList | undefined {
    const list = this.#queues.get(queueName)
    if (list !== undefined && !list.sorted) {
      list.jobs = list.jobs.slice(list.head).sort((a, b) => a.seq - b.seq)
      list.head = 0
      list.sorted = true
    }
    return list
  }

  /** Drops what the cache holds of a job (purged, or its queue deleted). */
  forget(jobId: string): void {
    this.#targets.delete(jobId)
    const entry = this.#entries.get(jobId)
    if (entry === undefined) return
    this.#entries.delete(jobId)
    if (entry.inRunnable) {
      const list = this.#queues.get(entry.queueName)
      if (list !== undefined) {
        list.jobs = list.jobs.slice(list.head).filter((e) => e !== entry)
        list.head = 0
      }
    }
  }

  dropQueue(queueName: string): void {
    this.#queues.delete(queueName)
  }

  get size(): number {
    return this.#entries.size
  }

  /** Takes in a stored job (at start, over a store that already holds jobs): its dependencies and its runnable work. */
  restore(row: JobRow, store: StoreReader): void {
    for (const d of row.dependsOn) if (d.jobId !== undefined) this.#targets.add(d.jobId)
    if (row.status === 'SUCCEEDED' || row.status === 'FAILED') return
    const entry = this.entryOf(row)
    if (entry.nodes !== undefined) {
      if (row.status === 'RUNNABLE') this.enqueue(entry)
      if (row.status !== 'RUNNING') return
      for (const { value: node } of store.scan<NodeRow>(NODES, { prefix: `${row.jobId}#` })) {
        if (node.index !== entry.nodes.mainNode && node.status === 'RUNNABLE' && node.runId === undefined) entry.nodes.children.add(node.index)
      }
      if (entry.nodes.children.size > 0) this.enqueue(entry)
      return
    }
    if (entry.children === undefined) {
      if (row.status === 'RUNNABLE') this.enqueue(entry)
      return
    }
    const children = store.get<ColumnSet>(CHILDREN, row.jobId)?.value
    if (children === undefined) return
    const status = children.column('status')
    for (let i = 0; i < status.length; i++) if (status[i] === S_RUNNABLE) entry.children.add(i)
    if (entry.children.size > 0) this.enqueue(entry)
  }
}
