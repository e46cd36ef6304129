// A task's lifecycle as ECS reports it, on its record (records.ts TaskRecord,
// whose `task` is the AWS Task shape DescribeTasks returns):
//
//   PROVISIONING    written with the launcher's intent (run-task.ts)
//   PENDING         the runner was asked (pulling, starting), once the intent committed
//   RUNNING         the runner reported it running (ACTIVATING is not held: the
//                   runner's report is the activation); lifecycle hooks `running`
//   DEACTIVATING    a stop was decided (stopTask) from PROVISIONING, PENDING or RUNNING:
//                   desiredStatus STOPPED, stopCode, stoppedReason, stoppingAt; lifecycle
//                   hooks `stopping` (RUNNING only, after the decision commits: a load balancer's
//                   draining holds the task here); a task stopped before it ran has no startedAt
//   STOPPING        its containers were told to stop (after the decision committed)
//   DEPROVISIONING  the runner reported the exit: exit codes, executionStoppedAt
//   STOPPED         its own storage deleted; stoppedAt; purged after the retention
//
// Every change is one transaction that also puts an `ECS Task State Change`
// event on the outbox; after it commits, ctx.hooks.taskChanged hears of it.

import { rmSync } from 'node:fs'
import type { Transaction } from '../store/store.js'
import { emitEvent } from '../events/outbox-relay.js'
import type { SandboxInfo } from '../runners/runner.js'
import type { TaskOutcome, TaskRow } from '../tasks/task-launcher.js'
import type { EcsContext } from './context.js'
import { invalidParameter } from './errors.js'
import { TASKS, type TaskRecord } from './records.js'
import type { Container, HealthStatus, Task, TaskLastStatus, TaskStopCode } from './model-tasks.js'
import { taskPaths } from './sandbox-spec.js'
import { AwsLogs } from '../logs/aws-logs.js'

export const ECS_SOURCE = 'aws.ecs'
export const TASK_STATE_CHANGE = 'ECS Task State Change'
export const RETENTION_QUEUE = 'ecs:retention'

export const USER_STOP_REASON = 'Task stopped by user'
export const ESSENTIAL_EXITED_REASON = 'Essential container in task exited'
export const SPOT_INTERRUPTED_REASON = 'Your Spot Task was interrupted.'

/** An ECS task as this area keeps it: the shared record plus what its lifecycle needs. */
export interface EcsTaskRecord extends TaskRecord {
  task: Task
  /** Runs on Fargate (its own storage is deleted when it stops; no container instance shown). */
  fargate: boolean
  /** Essential containers that have a health check: the task's health is theirs. */
  healthChecked: string[]
  /** SIGTERM → SIGKILL grace of a stop (the definition's longest stopTimeout), ms. */
  stopGraceMs?: number
  /** The task's demand (millicores, MiB): what it holds on its node. */
  demand: { cpu: number; memory: number }
  /** Its containers' awslogs streams (ended when it stops). */
  awslogs?: Array<{ group: string; stream: string }>
  /** PROVISIONING without a node: waiting for its EC2 capacity provider to launch instances (task-waiting.ts). */
  awaitingCapacity?: boolean
  /** What starting it needs, while it waits (task-start.ts LaunchPlan). */
  launch?: import('./task-start.js').LaunchPlan
}

export interface StopDecision {
  reason: string
  stopCode: TaskStopCode
  /** The grace before SIGKILL (default: the definition's stopTimeout, else the runner's). */
  graceMs?: number
}

/** The task id of an ARN (task/<cluster>/<id>), or the id itself. */
export function taskIdOf(value: string): string {
  const slash = value.lastIndexOf('/')
  return slash >= 0 ? value.slice(slash + 1) : value
}

export function readTask(tx: Pick<Transaction, 'get'>, taskId: string): { record: EcsTaskRecord; version: number } | undefined {
  const found = tx.get<EcsTaskRecord>(TASKS, taskId)
  return found === undefined ? undefined : { record: found.value, version: found.version }
}

/** Writes a task's record (version: the one read; 0 to create), its event, and tells taskChanged once it commits. */
export function saveTask(ctx: EcsContext, tx: Transaction, record: EcsTaskRecord, version: number): EcsTaskRecord {
  const next: EcsTaskRecord = { ...record, task: { ...record.task, version: (record.task.version ?? 0) + (version === 0 ? 0 : 1) } }
  if (version === 0) next.task.version = 1
  tx.put(TASKS, next.taskId, next, version)
  emitEvent(tx, ctx.events, ECS_SOURCE, TASK_STATE_CHANGE, () => [next.task.taskArn!], () => eventDetail(next.task, ctx.clock.now()), () => ctx.clock.now())
  tx.afterCommit(() => {
    for (const f of ctx.hooks.taskChanged) {
      try {
        f(next)
      } catch {
        // A listener's failure is its own.
      }
    }
  })
  return next
}

/** The detail of an ECS Task State Change event: the task as ECS sends it (timestamps as ISO-8601 text, updatedAt). */
export function eventDetail(task: Task, at: number): Record<string, unknown> {
  const iso = (v: unknown) => v instanceof Date ? v.toISOString() : v
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(task)) out[k] = iso(v)
  out.updatedAt = new Date(at).toISOString()
  return out
}

const now = (ctx: EcsContext) => new Date(ctx.clock.now())

/** A task that could not be given what it needs to start (its awslogs group): it stops at once, TaskFailedToStart, with the reason. */
export function failedToStart(ctx: EcsContext, taskId: string, reason: string): void {
  ctx.store.transaction((tx) => {
    const found = readTask(tx, taskId)
    if (found === undefined || found.record.task.desiredStatus === 'STOPPED') return
    const at = now(ctx)
    const containers = (found.record.task.containers ?? []).map((c) => ({ ...c, lastStatus: 'STOPPED', reason }))
    saveTask(ctx, tx, {
      ...found.record,
      task: { ...found.record.task, desiredStatus: 'STOPPED', lastStatus: 'DEPROVISIONING', stopCode: 'TaskFailedToStart', stoppedReason: reason, stoppingAt: at, executionStoppedAt: at, containers }
    }, found.version)
    tx.afterCommit(() => finishStop(ctx, taskId))
  })
}

/**
 * A container's state or health changed while the task runs (the runner's
 * SandboxListener.changed, in the launcher's report transaction): its
 * lastStatus, exit code and health, and the task's health.
 */
export function containersChanged(ctx: EcsContext, tx: Transaction, row: TaskRow, info: SandboxInfo): void {
  const found = readTask(tx, row.ownerKey)
  if (found === undefined || found.record.runId !== row.runId || found.record.task.lastStatus === 'STOPPED') return
  const { record, version } = found
  const task: Task = { ...record.task, containers: applyStates(record.task.containers ?? [], info) }
  task.healthStatus = taskHealth(task, record.healthChecked)
  saveTask(ctx, tx, { ...record, task }, version)
}

/** The task's containers with what the runner says of them now. */
function applyStates(containers: Container[], info: SandboxInfo | undefined): Container[] {
  const states = new Map((info?.containers ?? []).map((c) => [c.name, c]))
  return containers.map((c): Container => {
    const state = states.get(c.name ?? '')
    if (state === undefined) return c
    const bindings = state.networkBindings?.map((b) => ({ bindIP: b.bindIP, containerPort: b.containerPort, hostPort: b.hostPort, protocol: b.protocol }))
    const exitCode = typeof state.exitCode === 'number' ? state.exitCode : undefined
    return {
      ...c,
      lastStatus: state.state === 'exited' ? 'STOPPED' : state.state === 'running' ? 'RUNNING' : 'PENDING',
      ...(state.runtimeId !== undefined ? { runtimeId: state.runtimeId } : {}),
      ...(state.imageDigest !== undefined ? { imageDigest: state.imageDigest } : {}),
      ...(bindings !== undefined && bindings.length > 0 ? { networkBindings: bindings } : {}),
      ...(state.health !== undefined ? { healthStatus: state.health } : {}),
      ...(exitCode !== undefined && state.state === 'exited' ? { exitCode } : {})
    }
  })
}

/** After the intent committed: the runner was asked. PROVISIONING → PENDING (one transaction for the lot). */
export function markPending(ctx: EcsContext, taskIds: readonly string[]): void {
  ctx.store.transaction((tx) => {
    for (const id of taskIds) {
      const found = readTask(tx, id)
      if (found === undefined || found.record.task.lastStatus !== 'PROVISIONING') continue
      saveTask(ctx, tx, { ...found.record, task: { ...found.record.task, lastStatus: 'PENDING' } }, found.version)
    }
  })
}

/** The runner reports the task running (the launcher's owner callback, in its transaction). */
export function taskRunning(ctx: EcsContext, tx: Transaction, row: TaskRow, info: SandboxInfo | undefined): void {
  const found = readTask(tx, row.ownerKey)
  if (found === undefined || found.record.runId !== row.runId) return
  const { record, version } = found
  const stopping = record.task.desiredStatus === 'STOPPED'
  const started = new Date(row.startedAt ?? ctx.clock.now())
  const agents = record.task.enableExecuteCommand === true ? [{ name: 'ExecuteCommandAgent' as const, lastStatus: 'RUNNING', lastStartedAt: started }] : undefined
  const containers = applyStates(record.task.containers ?? [], info).map((c) => agents !== undefined ? { ...c, managedAgents: agents } : c)
  const task: Task = {
    ...record.task,
    lastStatus: stopping ? record.task.lastStatus : 'RUNNING',
    // A task whose stop came before it ran never started, as ECS shows it: no startedAt.
    ...(stopping ? {} : { startedAt: started }),
    connectivity: 'CONNECTED',
    connectivityAt: started,
    ...(row.pullStartedAt !== undefined ? { pullStartedAt: new Date(row.pullStartedAt), pullStoppedAt: new Date(row.pullStoppedAt ?? row.pullStartedAt) } : {}),
    containers
  }
  task.healthStatus = taskHealth(task, record.healthChecked)
  const saved = saveTask(ctx, tx, { ...record, task }, version)
  if (!stopping) for (const hook of ctx.hooks.lifecycle) hook.running?.(saved, tx)
}

/** The health of a task: that of its essential containers with health checks (UNKNOWN when none has one). */
export function taskHealth(task: Task, healthChecked: readonly string[]): HealthStatus {
  if (healthChecked.length === 0) return 'UNKNOWN'
  const of = healthChecked.map((name) => task.containers?.find((c) => c.name === name)?.healthStatus ?? 'UNKNOWN')
  if (of.includes('UNHEALTHY')) return 'UNHEALTHY'
  return of.every((h) => h === 'HEALTHY') ? 'HEALTHY' : 'UNKNOWN'
}

/**
 * Decides a task's stop in the caller's transaction: desiredStatus STOPPED,
 * the stop code and reason, stoppingAt, DEACTIVATING; the containers are told
 * to stop once it commits. A task already stopping or stopped keeps its first
 * decision. Unknown task: InvalidParameterException.
 */
export function decideStop(ctx: EcsContext, tx: Transaction, taskArnOrId: string, stop: StopDecision, field = 'task'): EcsTaskRecord {
  const found = readTask(tx, taskIdOf(taskArnOrId))
  if (found === undefined) throw invalidParameter(field, 'The referenced task was not found.')
  const { record, version } = found
  if (record.task.desiredStatus === 'STOPPED') return record
  const at = now(ctx)
  const wasRunning = record.task.lastStatus === 'RUNNING'
  // A task the runner was asked for (PROVISIONING with its intent, PENDING, RUNNING) goes DEACTIVATING → STOPPING, as ECS reports
  // a stop from any of them; a task waiting for capacity has nothing to deactivate (DEPROVISIONING at once).
  const deactivates = record.runId !== undefined && ['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING'].includes(String(record.task.lastStatus))
  const saved = saveTask(ctx, tx, {
    ...record,
    task: {
      ...record.task, desiredStatus: 'STOPPED', stopCode: stop.stopCode, stoppedReason: stop.reason, stoppingAt: at,
      lastStatus: deactivates ? 'DEACTIVATING' : record.task.lastStatus
    }
  }, version)
  const runId = record.runId
  const graceMs = stop.graceMs ?? record.stopGraceMs
  tx.afterCommit(() => {
    // A task waiting for capacity has nothing to stop: it is deprovisioned at once.
    if (runId === undefined) {
      if (record.awaitingCapacity === true) setStatus(ctx, saved.taskId, 'DEPROVISIONING', (s) => s === 'PROVISIONING', { executionStoppedAt: at })
      if (record.awaitingCapacity === true) finishStop(ctx, saved.taskId)
      return
    }
    const tell = () => {
      const asked = ctx.launcher.stop(runId, { kind: 'terminate', reason: stop.reason, ...(graceMs !== undefined ? { graceMs } : {}) })
      if (asked) setStatus(ctx, saved.taskId, 'STOPPING', (s) => s === 'DEACTIVATING')
    }
    // A RUNNING task's hooks may hold it in DEACTIVATING (a load balancer drains its targets first).
    const waits: Promise<unknown>[] = []
    if (wasRunning) {
      for (const hook of ctx.hooks.lifecycle) {
        try {
          const wait = hook.stopping?.(saved)
          if (wait instanceof Promise) waits.push(wait)
        } catch {
          // A hook's failure is its own: the task stops anyway.
        }
      }
    }
    if (waits.length === 0) tell()
    else void Promise.allSettled(waits).then(tell).catch(() => {
      // The engine closed while the targets drained: its runner ends the containers.
    })
  })
  return saved
}

/** Moves a task to `status` when its current one passes `when` (its own transaction). */
function setStatus(ctx: EcsContext, taskId: string, status: TaskLastStatus, when: (current: string | undefined) => boolean, extra: Partial<Task> = {}): void {
  ctx.store.transaction((tx) => {
    const found = readTask(tx, taskId)
    if (found === undefined || !when(found.record.task.lastStatus)) return
    saveTask(ctx, tx, { ...found.record, task: { ...found.record.task, lastStatus: status, ...extra } }, found.version)
  })
}

/**
 * The runner reports the end (the launcher's owner callback, in the
 * transaction that deletes its row): exit codes and reasons, the stop code
 * when nothing decided one, DEPROVISIONING; once that commits, the task's own
 * storage goes and it is STOPPED.
 */
export function taskEnded(ctx: EcsContext, tx: Transaction, row: TaskRow, outcome: TaskOutcome): void {
  const found = readTask(tx, row.ownerKey)
  if (found === undefined || found.record.runId !== row.runId) return
  const { record, version } = found
  const decided = record.task.stopCode !== undefined
  const failedToStart = outcome.kind === 'failed-to-start'
  const stopCode: TaskStopCode = decided ? record.task.stopCode!
    : failedToStart ? 'TaskFailedToStart'
      : outcome.kind === 'host-terminated' ? 'TerminationNotice' : 'EssentialContainerExited'
  const stoppedReason = decided ? record.task.stoppedReason!
    : failedToStart ? (outcome.reason ?? outcome.stoppedReason)
      : outcome.kind === 'host-terminated' ? outcome.stoppedReason : ESSENTIAL_EXITED_REASON
  const exits = new Map((outcome.exit?.containers ?? []).map((c) => [c.name, c]))
  const containers = (record.task.containers ?? []).map((c): Container => {
    const exit = exits.get(c.name ?? '')
    const code = exit === undefined ? undefined : exit.exitCode ?? (exit.signal === 'SIGKILL' ? 137 : exit.signal === 'SIGTERM' ? 143 : undefined)
    return {
      ...c,
      lastStatus: 'STOPPED',
      ...(code !== undefined ? { exitCode: code } : {}),
      ...(exit?.oomKilled ? { reason: outcome.reason ?? 'OutOfMemoryError: Container killed due to memory usage' } : {}),
      ...(failedToStart && outcome.reason !== undefined ? { reason: outcome.reason } : {}),
      ...(exit?.reason !== undefined ? { reason: exit.reason } : {})
    }
  })
  const at = new Date(outcome.stoppedAt)
  const task: Task = {
    ...record.task,
    desiredStatus: 'STOPPED',
    lastStatus: 'DEPROVISIONING',
    stopCode,
    stoppedReason,
    stoppingAt: record.task.stoppingAt ?? at,
    executionStoppedAt: at,
    connectivity: 'DISCONNECTED',
    connectivityAt: at,
    containers
  }
  const saved = saveTask(ctx, tx, { ...record, task }, version)
  tx.afterCommit(() => finishStop(ctx, saved.taskId))
}

/** DEPROVISIONING → STOPPED: the task's own storage (Fargate's ephemeral storage, container working directories) is deleted first. */
export function finishStop(ctx: EcsContext, taskId: string): void {
  try {
    rmSync(taskPaths(ctx, taskId).taskDir, { recursive: true, force: true })
  } catch {
    // Left for the engine's work directory to be removed with; the task stops anyway.
  }
  const retention = ctx.settings.stoppedTaskRetentionMs
  ctx.store.transaction((tx) => {
    const found = readTask(tx, taskId)
    if (found === undefined || found.record.task.lastStatus !== 'DEPROVISIONING') return
    const stoppedAt = ctx.clock.now()
    const { runId: _runId, awaitingCapacity: _waiting, launch: _launch, ...rest } = found.record
    void _runId; void _waiting; void _launch
    saveTask(ctx, tx, { ...rest, expiresAt: stoppedAt + retention, task: { ...found.record.task, lastStatus: 'STOPPED', stoppedAt: new Date(stoppedAt) } }, found.version)
    // Its log streams end with it (the runner wrote the files out before it reported the exit).
    for (const s of found.record.awslogs ?? []) AwsLogs.end(tx, { group: s.group, stream: s.stream, endedAt: stoppedAt })
    tx.afterCommit(() => ctx.queues.get(RETENTION_QUEUE)?.addAfter(taskId, retention))
  })
}
