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
// Runner reports (running, ended) arriving in the same tick are recorded in
// one store transaction, in arrival order, each in a savepoint of its own
// (report-batch.ts): a durable store pays per commit.
//
// Owners hear of their tasks through these callbacks, inside the store's
// transactions; anyone else through watch().

import { constants as osConstants } from 'node:os'
import type { Clock, TimerHandle } from '../clock/clock.js'
import type { Partition } from '../aws/partition.js'
import { arns } from '../aws/arn.js'
import type { Store, StoreReader, Transaction } from '../store/store.js'
import type { Demand, NodePools, NodeRecord } from '../cluster/node-pool.js'
import type { ContainerSpec, Runner, RunnerCapabilities, SandboxExit, SandboxInfo, SandboxListener, SandboxSpec } from '../runners/runner.js'
import { InvalidArgumentError, NotFoundError, StratusError } from '../errors.js'
import { RunnerError } from '../runners/errors.js'
import { AddressPool } from './addresses.js'
import { ReportBatch } from './report-batch.js'
import { EXITED_REASON, FAILED_TO_START_REASON, OOM_REASON, hostTerminatedReason } from './reasons.js'
import type { OutcomeKind, StopRequest, TaskEvent, TaskIntent, TaskOutcome, TaskOwner, TaskRow } from './task-types.js'

export type { OutcomeKind, StopRequest, TaskEvent, TaskIntent, TaskOutcome, TaskOwner, TaskRow } from './task-types.js'

export const TASKS = 'tasks'
/** Task rows ended per transaction by recover(). */
const RECOVERY_CHUNK = 500

/** A runner's report: running (info), or ended: exited (exit) or failed to start (error). */
interface Report {
  runId: string
  info?: SandboxInfo
  /** A container changed (SandboxListener.changed). */
  changed?: SandboxInfo
  exit?: SandboxExit
  error?: Error
}

export interface TaskLauncherOptions {
  store: Store
  clock: Clock
  partition: Partition
  pools: NodePools
  /** The runners by registration name; a pool names the one that backs it. */
  runners: ReadonlyMap<string, Runner>
  /** Identifies this engine on its sandboxes' labels. */
  engineId: string
  /**
   * For a pool backed by a container runner, the runner that runs its work
   * without an image (docker → process): a Batch job with only a command runs
   * as a process, one with an image in a container.
   */
  commandRunners?: Readonly<Record<string, string>>
}

export class TaskLauncher {
  readonly #o: TaskLauncherOptions
  readonly #owners = new Map<string, TaskOwner>()
  /** Owners whose tasks are adopted after a restart when their sandbox lives on (see registerOwner). */
  readonly #adopting = new Set<string>()
  readonly #ownerLabels = new Map<string, Readonly<Record<string, string>>>()
  readonly #watchers = new Set<(event: TaskEvent) => void>()
  readonly #timeouts = new Map<string, TimerHandle>()
  readonly #addresses = new AddressPool()
  /** Runner reports of this tick, recorded in one transaction. */
  readonly #reports = new ReportBatch<Report>((reports) => this.#record(reports))
  /** Sandboxes handed to a runner and not yet reported running, failed or ended. */
  #starting = 0
  #closed = false
  readonly #removeProbe: (() => void) | undefined

  constructor(options: TaskLauncherOptions) {
    this.#o = options
    options.store.defineIndex<TaskRow>(TASKS, 'owner', (row) => `${row.owner}/${row.ownerKey}`)
    options.store.defineIndex<TaskRow>(TASKS, 'address', (row) => row.address)
    this.#removeProbe = options.clock.addBusyProbe?.(() => this.#starting > 0)
  }

  /**
   * Registers the owner of a kind of task. adopt: after a restart, its rows
   * whose sandbox a runner still has (list() shows it recovered, and the
   * runner can attach) are kept and attached to rather than ended with their
   * host (ECS tasks keep running; Batch's attempts end and are retried).
   */
  registerOwner(owner: string, handler: TaskOwner, options: { adopt?: boolean } = {}): void {
    this.#owners.set(owner, handler)
    if (options.adopt === true) this.#adopting.add(owner)
    else this.#adopting.delete(owner)
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

  /** Writes the task's intent in the caller's transaction; the runner starts once it commits. */
  intend(tx: Transaction, intent: TaskIntent): TaskRow {
    const pool = this.#o.pools.pool(intent.node.poolId, tx)
    if (pool === undefined) throw new NotFoundError('PoolNotFound', `no node pool ${intent.node.poolId}`, { field: 'poolId' })
    const runner = intent.runner ?? this.#runnerFor(pool.runner, intent.containers)
    if (!this.#o.runners.has(runner)) throw new InvalidArgumentError('RunnerNotRegistered', `pool ${pool.poolId} is backed by runner ${runner}, which this engine has not registered`, { field: 'runner' })
    const runId = `${intent.owner}:${intent.ownerKey}#${intent.attempt}`
    const address = this.#addresses.take((a) => tx.count(TASKS, { index: { name: 'address', value: a } }) > 0)
    const containers = intent.addressEnv === undefined || intent.addressEnv.length === 0
      ? intent.containers
      : intent.containers.map((c) => ({ ...c, env: { ...c.env, ...Object.fromEntries(intent.addressEnv!.map((name) => [name, address])) } }))
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
      runner,
      demand: intent.demand,
      address,
      spec: {
        id: runId,
        labels: this.#labels(intent.owner),
        address,
        ...(intent.networkMode ? { networkMode: intent.networkMode } : {}),
        ...(intent.ephemeralStorage ? { ephemeralStorage: true } : {}),
        ...(intent.node.host !== undefined && runner === pool.runner ? { host: intent.node.host } : {}),
        containers
      },
      lastStatus: 'PROVISIONING',
      createdAt: this.#o.clock.now(),
      ...(intent.timeout ? { timeout: intent.timeout } : {})
    }
    tx.put(TASKS, runId, row, 0)
    tx.afterCommit(() => this.#start(row))
    return row
  }

  /** What the runner that would run these containers on this node can do (undefined: the pool or runner is unknown). */
  capabilitiesFor(node: NodeRecord, containers: readonly ContainerSpec[], reader: StoreReader = this.#o.store): RunnerCapabilities | undefined {
    const pool = this.#o.pools.pool(node.poolId, reader)
    return pool === undefined ? undefined : this.#o.runners.get(this.#runnerFor(pool.runner, containers))?.capabilities
  }

  /** The pool's runner, or its command runner for work without an image. */
  #runnerFor(poolRunner: string, containers: readonly ContainerSpec[]): string {
    const commands = this.#o.commandRunners?.[poolRunner]
    return commands !== undefined && !containers.some((c) => c.image !== undefined) ? commands : poolRunner
  }

  #start(row: TaskRow): void {
    if (this.#closed) return
    const runner = this.#o.runners.get(row.runner)!
    const image = runner.capabilities.images ? undefined : row.spec.containers.find((c) => c.image !== undefined)?.image
    if (image !== undefined) {
      // A command runner never runs an image's command on the host as if it were the container.
      const error = new RunnerError('CannotStartContainerError', `the ${runner.kind} runner runs commands, not images: image ${image} needs a container runner (start the engine with runner docker, oci or auto)`, { field: 'image' })
      queueMicrotask(() => this.#ended(row.runId, undefined, error))
      return
    }
    this.#starting++
    let settled = false
    const settle = () => {
      if (!settled) {
        settled = true
        this.#starting--
      }
    }
    const listener: SandboxListener = {
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
    }
    // Only an owner that wants container reports has the runner make them.
    if (this.#owners.get(row.owner)?.changed !== undefined) {
      listener.changed = (info) => { if (!this.#closed) this.#reports.add({ runId: row.runId, changed: info }) }
    }
    try {
      runner.start(row.spec, listener)
    } catch (error) {
      // A spec the runner refuses (validation) is a start failure like any other.
      settle()
      queueMicrotask(() => this.#ended(row.runId, undefined, error as Error))
    }
  }

  /** Records a batch of runner reports (report-batch.ts): one transaction, each report in a savepoint of its own when there are several. */
  #record(reports: Report[]): void {
    // A closed launcher writes nothing more: its rows stay as they are, as after a crash.
    if (this.#closed) return
    const done: Array<TaskEvent | undefined> = []
    let failure: { error: unknown } | undefined
    if (reports.length === 1) {
      this.#o.store.transaction((tx) => done.push(this.#apply(tx, reports[0])))
    } else {
      this.#o.store.transaction(() => {
        for (const report of reports) {
          try {
            done.push(this.#o.store.transaction((savepoint) => this.#apply(savepoint, report)))
          } catch (error) {
            // Undone alone (the others commit); thrown once they have, as a transaction of its own would have thrown.
            failure ??= { error }
          }
        }
      })
    }
    for (const event of done) if (event !== undefined) this.#after(event)
    if (failure !== undefined) throw failure.error
  }

  /** What one report writes, in tx; the event to tell once it commits (undefined: nothing changed). */
  #apply(tx: Transaction, report: Report): TaskEvent | undefined {
    const current = tx.get<TaskRow>(TASKS, report.runId)
    if (current === undefined) return undefined
    if (report.changed !== undefined) {
      this.#owners.get(current.value.owner)?.changed?.(tx, current.value, report.changed)
      return undefined
    }
    if (report.info === undefined) {
      const outcome = outcomeOf(current.value, report.exit, report.error, this.#o.clock.now())
      return { type: 'ended', ...this.#end(tx, current.value, current.version, outcome) }
    }
    if (current.value.lastStatus === 'RUNNING') return undefined
    const info = report.info
    const running: TaskRow = {
      ...current.value, lastStatus: 'RUNNING', startedAt: info.startedAt ?? this.#o.clock.now(),
      ...(info.pullStartedAt !== undefined ? { pullStartedAt: info.pullStartedAt, pullStoppedAt: info.pullStoppedAt ?? info.pullStartedAt } : {})
    }
    tx.put(TASKS, report.runId, running, current.version)
    this.#owners.get(running.owner)?.running(tx, running, info)
    return { type: 'running', row: running }
  }

  /** After a transition committed: a running task's attempt timeout starts on the clock; watchers hear of it. */
  #after(event: TaskEvent): void {
    const row = event.row
    if (event.type === 'running' && row.timeout !== undefined && row.stop === undefined) {
      const runId = row.runId
      this.#timeouts.set(runId, this.#o.clock.setTimeout(() => {
        this.#timeouts.delete(runId)
        this.stop(runId, { kind: 'timeout', reason: row.timeout!.reason })
      }, row.timeout.ms))
    }
    // Running and ended in the same batch: the timeout just armed goes.
    if (event.type === 'ended') this.#clearTimeout(row.runId)
    this.#notify(event)
  }

  /**
   * Stops a task: the request is written to its row and sent to the runner,
   * once (a second request for a task already stopping changes nothing).
   * False when no such task lives.
   */
  stop(runId: string, request: StopRequest): boolean {
    // Ended, its report waiting for this tick's transaction: no longer a task to stop (as once that commits).
    const waiting = this.#reports.waiting(runId)
    if (waiting !== undefined && waiting.info === undefined && waiting.changed === undefined) return false
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

  /** The runner reports the sandbox running: recorded with the other reports of this tick. */
  #running(runId: string, info: SandboxInfo): void {
    if (this.#closed) return
    this.#reports.add({ runId, info })
  }

  /** The runner reports the exit, or that it could not start (error): recorded with the other reports of this tick. */
  #ended(runId: string, exit: SandboxExit | undefined, error: Error | undefined): void {
    if (this.#closed) return
    this.#clearTimeout(runId) // now: its attempt timeout must not stop what already ended
    this.#reports.add({ runId, exit, error })
  }

  #end(tx: Transaction, row: TaskRow, version: number, outcome: TaskOutcome) {
    tx.delete(TASKS, row.runId, version)
    this.#o.pools.release(tx, row.nodeKey, row.demand)
    this.#owners.get(row.owner)?.ended(tx, row, outcome)
    return { row, outcome }
  }

  /**
   * After a restart over the same store: a task row of an owner that adopts
   * (registerOwner) whose sandbox a container runner still has is kept and
   * the runner attached to (the task runs on; its exit comes to this engine).
   * Every other row of an engine that went away ends with its host — `Host
   * EC2 (instance …) terminated.` — and its owner decides (retry or fail), so
   * each task ends exactly once; a sandbox a runner still has for such a row
   * is stopped first. Sandboxes labelled with this engine that no row knows
   * are stopped too (nothing would ever judge them).
   */
  recover(): number {
    const live = new Map<string, Runner>()
    const infos = new Map<string, SandboxInfo>()
    for (const runner of this.#o.runners.values()) {
      for (const sandbox of runner.list({ 'stratus.engine': this.#o.engineId })) {
        live.set(sandbox.id, runner)
        infos.set(sandbox.id, sandbox)
      }
    }
    const all = this.#o.store.scan<TaskRow>(TASKS)
    const known = new Set(all.map((r) => r.key))
    for (const [id, runner] of live) if (!known.has(id)) runner.stop(id, { graceMs: 0 })
    const adopted = new Set<string>()
    for (const { value: row } of all) {
      if (this.#adopt(row, live.get(row.runId), infos.get(row.runId))) adopted.add(row.runId)
      else live.get(row.runId)?.stop(row.runId, { graceMs: 0 })
    }
    const rows = adopted.size === 0 ? all : all.filter((r) => !adopted.has(r.key))
    // Many rows to a transaction (a durable store pays per commit, and thousands of tasks may be
    // waiting). Should an owner throw, that chunk is done again a row at a time, each in a savepoint
    // of its own: the row that throws stays for the next start, the others end.
    const ended: Array<{ row: TaskRow; outcome: TaskOutcome }> = []
    for (let from = 0; from < rows.length; from += RECOVERY_CHUNK) {
      const chunk = rows.slice(from, from + RECOVERY_CHUNK)
      try {
        ended.push(...this.#o.store.transaction((tx) => chunk.map(({ value: row, version }) => this.#end(tx, row, version, this.#hostOutcome(row)))))
      } catch {
        this.#o.store.transaction(() => {
          for (const { value: row, version } of chunk) {
            try {
              ended.push(this.#o.store.transaction((savepoint) => this.#end(savepoint, row, version, this.#hostOutcome(row))))
            } catch {
              // Undone alone; the row stays for the next start.
            }
          }
        })
      }
    }
    for (const result of ended) this.#notify({ type: 'ended', ...result })
    return all.length
  }

  /**
   * Attaches to a row's sandbox that outlived the engine, when its owner
   * adopts and the row's runner can: true when the row is kept. A row still
   * PROVISIONING whose sandbox runs is reported running now (attach does not
   * repeat running()).
   */
  #adopt(row: TaskRow, runner: Runner | undefined, info: SandboxInfo | undefined): boolean {
    if (!this.#adopting.has(row.owner) || runner === undefined || info === undefined) return false
    if (info.recovered !== true || info.state === 'exited' || runner.attach === undefined || runner !== this.#o.runners.get(row.runner)) return false
    const runId = row.runId
    const listener: SandboxListener = {
      running: (report) => this.#running(runId, report),
      exited: (exit) => this.#ended(runId, exit, undefined),
      failed: (error) => this.#ended(runId, undefined, error)
    }
    if (this.#owners.get(row.owner)?.changed !== undefined) {
      listener.changed = (report) => { if (!this.#closed) this.#reports.add({ runId, changed: report }) }
    }
    if (!runner.attach(runId, listener)) return false
    if (row.lastStatus !== 'RUNNING' && info.state === 'running') this.#running(runId, info)
    // A stop decided before the crash: the engine that went away may not have sent it, or died before its SIGKILL
    // escalation — sent again to the adopted sandbox (stop() of one already stopping is harmless).
    if (row.stop !== undefined) runner.stop(runId, row.stop.graceMs === undefined ? {} : { graceMs: row.stop.graceMs })
    return true
  }

  /**
   * A task whose engine went away ended with its host. A stop decided before
   * (terminated, timed out) keeps its reason, and the owner still sees it as a
   * stop (no retry).
   */
  #hostOutcome(row: TaskRow): TaskOutcome {
    return {
      kind: 'host-terminated', stoppedReason: row.stop?.reason ?? hostTerminatedReason(row.nodeId), ...(row.stop ? { stop: row.stop } : {}),
      oomKilled: false, escalated: false,
      ...(row.startedAt !== undefined ? { startedAt: row.startedAt } : {}), stoppedAt: this.#o.clock.now()
    }
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
  // Out of memory only when the kill ended it: a container whose child the kernel killed but which exited by itself did not run out.
  const oom = exit.oomKilled && exitCode === 137
  return {
    kind: 'exited',
    exitCode,
    ...(oom ? { reason: OOM_REASON } : {}),
    stoppedReason: stop?.reason ?? EXITED_REASON,
    ...(stop ? { stop } : {}),
    oomKilled: oom,
    escalated: exit.escalated,
    ...(row.startedAt !== undefined ? { startedAt: row.startedAt } : {}),
    stoppedAt: exit.stoppedAt || now,
    exit
  }
}
