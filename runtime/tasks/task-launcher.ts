// The TaskLauncher: one unit of work on a node — a Batch job attempt today, an
// ECS task and a Lightsail instance next — from intent to outcome.
//
//   intend(tx, …)   inside the owner's transaction (the one that places the
//                   work): the task row is written (intent before side effect:
//                   a deterministic run id, labels, the sandbox spec, the node
//                   and the demand it holds); after that transaction commits,
//                   the runner backing the node's pool is started
//   running         the runner reports the sandbox running: the row says so and
//                   the owner's running(tx, row) writes what that means, in one
//                   transaction; an attempt timeout starts on the clock
//   stop(runId)     the one place a stop is decided: written to the row, sent
//                   to the runner once (the runner holds it while still starting)
//   ended           the runner reports the exit (or that it could not start):
//                   one transaction deletes the row, gives the node its demand
//                   back and lets the owner's ended(tx, row, outcome) judge it
//   recover()       after a restart over the same store: a row whose sandbox no
//                   runner has any more ended with its host (AWS's reason)
//
// Owners hear of their tasks through these callbacks, inside the store's
// transactions; anyone else through watch().

import { constants as osConstants } from 'node:os'
import type { Clock, TimerHandle } from '../clock/clock.js'
import type { Partition } from '../aws/partition.js'
import { arns } from '../aws/arn.js'
import type { Store, Transaction } from '../store/store.js'
import type { Demand, NodePools, NodeRecord } from '../cluster/node-pool.js'
import type { ContainerSpec, Runner, SandboxExit, SandboxInfo, SandboxSpec } from '../runners/runner.js'
import { InvalidArgumentError, NotFoundError, StratusError } from '../errors.js'
import { AddressPool } from './addresses.js'
import { EXITED_REASON, FAILED_TO_START_REASON, OOM_REASON, hostTerminatedReason } from './reasons.js'

export const TASKS = 'tasks'

export interface StopRequest {
  /** terminate: the owner or a user asked; timeout: the attempt ran too long; host: its node went away. */
  kind: 'terminate' | 'timeout' | 'host'
  reason: string
  graceMs?: number
}

export interface TaskRow {
  runId: string
  owner: string
  ownerKey: string
  attempt: number
  poolId: string
  nodeId: string
  /** The node's store key. */
  nodeKey: string
  containerInstanceArn: string
  /** The ECS cluster (name) of the node's pool: the task's ARN is task/<cluster>/<id of the run> (see taskArn()). */
  cluster: string
  runner: string
  demand: Demand
  address: string
  spec: SandboxSpec
  lastStatus: 'PROVISIONING' | 'RUNNING'
  createdAt: number
  startedAt?: number
  /** Stopped with this reason when it runs longer (clock ms). */
  timeout?: { ms: number; reason: string }
  stop?: StopRequest
}

export type OutcomeKind = 'exited' | 'failed-to-start' | 'host-terminated'

export interface TaskOutcome {
  kind: OutcomeKind
  /** The essential container's exit code; 128 + the signal number when a signal ended it. Absent when it never ran. */
  exitCode?: number
  /** The container's reason (OutOfMemoryError: …, CannotStartContainerError: …). */
  reason?: string
  /** The task's: the stop request's reason, or Essential container in task exited, Task failed to start, Host EC2 (instance …) terminated. */
  stoppedReason: string
  /** What stopped it, when something did. */
  stop?: StopRequest
  oomKilled: boolean
  /** A stop had to SIGKILL a container that outlived the grace period. */
  escalated: boolean
  startedAt?: number
  stoppedAt: number
}

export interface TaskOwner {
  /** In the transaction that records the task running (row.lastStatus RUNNING, startedAt set). */
  running(tx: Transaction, row: TaskRow): void
  /** In the transaction that deletes the row and gives the node its demand back. */
  ended(tx: Transaction, row: TaskRow, outcome: TaskOutcome): void
}

export interface TaskIntent {
  owner: string
  ownerKey: string
  attempt: number
  node: NodeRecord
  demand: Demand
  /** The sandbox without what the launcher gives it (id, labels, address). */
  containers: readonly ContainerSpec[]
  networkMode?: SandboxSpec['networkMode']
  timeout?: { ms: number; reason: string }
}

export type TaskEvent =
  | { type: 'running'; row: TaskRow }
  | { type: 'ended'; row: TaskRow; outcome: TaskOutcome }

export interface TaskLauncherOptions {
  store: Store
  clock: Clock
  partition: Partition
  pools: NodePools
  /** The runners by registration name; a pool names the one that backs it. */
  runners: ReadonlyMap<string, Runner>
  /** Identifies this engine on its sandboxes' labels. */
  engineId: string
}

export class TaskLauncher {
  readonly #o: TaskLauncherOptions
  readonly #owners = new Map<string, TaskOwner>()
  readonly #ownerLabels = new Map<string, Readonly<Record<string, string>>>()
  readonly #watchers = new Set<(event: TaskEvent) => void>()
  readonly #timeouts = new Map<string, TimerHandle>()
  readonly #addresses = new AddressPool()
  /** Sandboxes handed to a runner and not yet reported running, failed or ended. */
  #starting = 0
  #closed = false
  readonly #removeProbe: (() => void) | undefined

  constructor(options: TaskLauncherOptions) {
    this.#o = options
    options.store.defineIndex<TaskRow>(TASKS, 'owner', (row) => `${row.owner}/${row.ownerKey}`)
    this.#removeProbe = options.clock.addBusyProbe?.(() => this.#starting > 0)
  }

  registerOwner(owner: string, handler: TaskOwner): void {
    this.#owners.set(owner, handler)
    this.#ownerLabels.set(owner, Object.freeze({ 'stratus.engine': this.#o.engineId, 'stratus.owner': owner }))
  }

  /** The labels of an owner's sandboxes: this engine and the owner (the sandbox id is the run id). One object per owner. */
  #labels(owner: string): Readonly<Record<string, string>> {
    const labels = this.#ownerLabels.get(owner)
    if (labels === undefined) throw new InvalidArgumentError('TaskOwnerNotRegistered', `no task owner ${owner} is registered`, { field: 'owner' })
    return labels
  }

  /** Calls listener after each committed task transition; returns the function that removes it. */
  watch(listener: (event: TaskEvent) => void): () => void {
    this.#watchers.add(listener)
    return () => this.#watchers.delete(listener)
  }

  /** A task's ECS-style ARN (built on demand: most tasks never need theirs). */
  taskArn(row: Pick<TaskRow, 'cluster' | 'runId'>): string {
    return arns.ecs.task(this.#o.partition, row.cluster, row.runId)
  }

  get(runId: string): TaskRow | undefined {
    return this.#o.store.get<TaskRow>(TASKS, runId)?.value
  }

  /** The live tasks of an owner's key (a job, a job's child…). */
  byOwner(owner: string, ownerKey: string, reader = this.#o.store as Pick<Store, 'scan'>): TaskRow[] {
    return reader.scan<TaskRow>(TASKS, { index: { name: 'owner', value: `${owner}/${ownerKey}` } }).map((r) => r.value)
  }

  get liveCount(): number {
    return this.#o.store.count(TASKS)
  }

  /** Writes the task's intent in the caller's transaction; the runner starts once it commits. */
  intend(tx: Transaction, intent: TaskIntent): TaskRow {
    const pool = this.#o.pools.pool(intent.node.poolId, tx)
    if (pool === undefined) throw new NotFoundError('PoolNotFound', `no node pool ${intent.node.poolId}`, { field: 'poolId' })
    if (!this.#o.runners.has(pool.runner)) throw new InvalidArgumentError('RunnerNotRegistered', `pool ${pool.poolId} is backed by runner ${pool.runner}, which this engine has not registered`, { field: 'runner' })
    const runId = `${intent.owner}:${intent.ownerKey}#${intent.attempt}`
    const address = this.#addresses.take()
    const row: TaskRow = {
      runId,
      owner: intent.owner,
      ownerKey: intent.ownerKey,
      attempt: intent.attempt,
      poolId: intent.node.poolId,
      nodeId: intent.node.id,
      nodeKey: intent.node.key,
      containerInstanceArn: intent.node.containerInstanceArn,
      cluster: pool.cluster,
      runner: pool.runner,
      demand: intent.demand,
      address,
      spec: {
        id: runId,
        labels: this.#labels(intent.owner),
        address,
        ...(intent.networkMode ? { networkMode: intent.networkMode } : {}),
        containers: intent.containers
      },
      lastStatus: 'PROVISIONING',
      createdAt: this.#o.clock.now(),
      ...(intent.timeout ? { timeout: intent.timeout } : {})
    }
    try {
      tx.put(TASKS, runId, row, 0)
    } catch (error) {
      this.#addresses.release(address)
      throw error
    }
    tx.afterCommit(() => this.#start(row))
    return row
  }

  #start(row: TaskRow): void {
    if (this.#closed) return
    const runner = this.#o.runners.get(row.runner)!
    this.#starting++
    let settled = false
    const settle = () => {
      if (!settled) {
        settled = true
        this.#starting--
      }
    }
    try {
      runner.start(row.spec, {
        running: (info) => {
          settle()
          this.#running(row.runId, info)
        },
        exited: (exit) => {
          settle()
          this.#ended(row.runId, exit, undefined)
        },
        failed: (error) => {
          settle()
          this.#ended(row.runId, undefined, error)
        }
      })
    } catch (error) {
      // A spec the runner refuses (validation) is a start failure like any other.
      settle()
      queueMicrotask(() => this.#ended(row.runId, undefined, error as Error))
    }
  }

  #running(runId: string, info: SandboxInfo): void {
    // A closed launcher writes nothing more: its rows stay as they are, as after a crash.
    if (this.#closed) return
    let running: TaskRow | undefined
    this.#o.store.transaction((tx) => {
      const current = tx.get<TaskRow>(TASKS, runId)
      if (current === undefined || current.value.lastStatus === 'RUNNING') return
      running = { ...current.value, lastStatus: 'RUNNING', startedAt: info.startedAt ?? this.#o.clock.now() }
      tx.put(TASKS, runId, running, current.version)
      this.#owners.get(running.owner)?.running(tx, running)
    })
    if (running === undefined) return
    const row = running
    if (row.timeout !== undefined && row.stop === undefined) {
      this.#timeouts.set(runId, this.#o.clock.setTimeout(() => {
        this.#timeouts.delete(runId)
        this.stop(runId, { kind: 'timeout', reason: row.timeout!.reason })
      }, row.timeout.ms))
    }
    this.#notify({ type: 'running', row })
  }

  /**
   * Stops a task: the request is written to its row and sent to the runner,
   * once (a second request for a task already stopping changes nothing).
   * False when no such task lives.
   */
  stop(runId: string, request: StopRequest): boolean {
    const current = this.#o.store.get<TaskRow>(TASKS, runId)
    if (current === undefined) return false
    if (current.value.stop !== undefined) return true
    const row: TaskRow = { ...current.value, stop: request }
    this.#o.store.put(TASKS, runId, row, current.version)
    this.#clearTimeout(runId)
    const runner = this.#o.runners.get(row.runner)
    runner?.stop(runId, request.graceMs === undefined ? {} : { graceMs: request.graceMs })
    return true
  }

  #ended(runId: string, exit: SandboxExit | undefined, error: Error | undefined): void {
    if (this.#closed) return
    this.#clearTimeout(runId)
    let ended: { row: TaskRow; outcome: TaskOutcome } | undefined
    this.#o.store.transaction((tx) => {
      const current = tx.get<TaskRow>(TASKS, runId)
      if (current === undefined) return
      const row = current.value
      const outcome = outcomeOf(row, exit, error, this.#o.clock.now())
      ended = this.#end(tx, row, current.version, outcome)
    })
    if (ended === undefined) return
    this.#addresses.release(ended.row.address)
    this.#notify({ type: 'ended', ...ended })
  }

  #end(tx: Transaction, row: TaskRow, version: number, outcome: TaskOutcome) {
    tx.delete(TASKS, row.runId, version)
    this.#o.pools.release(tx, row.nodeKey, row.demand)
    this.#owners.get(row.owner)?.ended(tx, row, outcome)
    return { row, outcome }
  }

  /**
   * After a restart over the same store: every task row whose sandbox its
   * runner no longer has is ended with its host — `Host EC2 (instance …)
   * terminated.` — and its owner decides (retry or fail). Sandboxes still
   * running are left to their rows (their runners report them as usual).
   */
  recover(): number {
    const live = new Set<string>()
    for (const runner of this.#o.runners.values()) for (const s of runner.list({ 'stratus.engine': this.#o.engineId })) live.add(s.id)
    let ended = 0
    for (const { value: row, version } of this.#o.store.scan<TaskRow>(TASKS)) {
      if (live.has(row.runId)) {
        this.#addresses.hold(row.address)
        continue
      }
      const outcome: TaskOutcome = {
        kind: 'host-terminated', stoppedReason: hostTerminatedReason(row.nodeId), oomKilled: false, escalated: false,
        ...(row.startedAt !== undefined ? { startedAt: row.startedAt } : {}), stoppedAt: this.#o.clock.now()
      }
      const result = this.#o.store.transaction((tx) => this.#end(tx, row, version, outcome))
      this.#notify({ type: 'ended', ...result })
      ended++
    }
    return ended
  }

  #clearTimeout(runId: string): void {
    const timer = this.#timeouts.get(runId)
    if (timer !== undefined) {
      this.#o.clock.clearTimeout(timer)
      this.#timeouts.delete(runId)
    }
  }

  #notify(event: TaskEvent): void {
    for (const listener of this.#watchers) {
      try {
        listener(event)
      } catch {
        // A watcher's failure is its own.
      }
    }
  }

  close(): void {
    this.#closed = true
    this.#removeProbe?.()
    for (const timer of this.#timeouts.values()) this.#o.clock.clearTimeout(timer)
    this.#timeouts.clear()
  }
}

/** What a runner's report means for the task. */
export function outcomeOf(row: TaskRow, exit: SandboxExit | undefined, error: Error | undefined, now: number): TaskOutcome {
  const stop = row.stop
  if (exit === undefined) {
    const code = error instanceof StratusError && /Error$/.test(error.code) ? error.code : 'CannotStartContainerError'
    return {
      kind: 'failed-to-start',
      reason: `${code}: ${error?.message ?? 'the runner gave no reason'}`,
      stoppedReason: stop?.reason ?? FAILED_TO_START_REASON,
      ...(stop ? { stop } : {}),
      oomKilled: false, escalated: false, stoppedAt: now
    }
  }
  const signals = osConstants.signals as Record<string, number>
  const exitCode = exit.exitCode ?? 128 + (signals[exit.signal ?? 'SIGKILL'] ?? signals.SIGKILL)
  return {
    kind: 'exited',
    exitCode,
    ...(exit.oomKilled ? { reason: OOM_REASON } : {}),
    stoppedReason: stop?.reason ?? EXITED_REASON,
    ...(stop ? { stop } : {}),
    oomKilled: exit.oomKilled,
    escalated: exit.escalated,
    ...(row.startedAt !== undefined ? { startedAt: row.startedAt } : {}),
    stoppedAt: exit.stoppedAt || now
  }
}
