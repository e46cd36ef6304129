// The TaskLauncher's records and contracts: the task row (intent before side
// effect), the stop request, the outcome an owner judges, the owner's
// callbacks and the intent it hands the launcher (task-launcher.ts runs them).

import type { Transaction } from '../store/store.js'
import type { Demand, NodeRecord } from '../cluster/node-pool.js'
import type { ContainerSpec, SandboxExit, SandboxInfo, SandboxSpec } from '../runners/runner.js'

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
  /** When pulling its images began and ended (container runners). */
  pullStartedAt?: number
  pullStoppedAt?: number
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
  /** The runner's exit, when it ran: every container's exit, a dependsOn failure and its reason. */
  exit?: SandboxExit
}

export interface TaskOwner {
  /** In the transaction that records the task running (row.lastStatus RUNNING, startedAt set); info: the runner's report of it. */
  running(tx: Transaction, row: TaskRow, info?: SandboxInfo): void
  /** In the transaction that deletes the row and gives the node its demand back. */
  ended(tx: Transaction, row: TaskRow, outcome: TaskOutcome): void
  /**
   * Optional: a container's state or health changed while the task runs (the runner's
   * SandboxListener.changed), recorded with the other reports of the tick, in order. The
   * launcher asks the runner for these reports only for an owner that has this method.
   */
  changed?(tx: Transaction, row: TaskRow, info: SandboxInfo): void
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
  /** The runner (registration name) when not the one the launcher picks (see TaskLauncherOptions.commandRunners). */
  runner?: string
  /** Environment variables every container gets set to the task's address (known once the launcher has picked it). */
  addressEnv?: readonly string[]
  /** The sandbox's storage is its own, removed before its exit is reported (a Fargate task's; SandboxSpec.ephemeralStorage). */
  ephemeralStorage?: boolean
}

export type TaskEvent =
  | { type: 'running'; row: TaskRow }
  | { type: 'ended'; row: TaskRow; outcome: TaskOutcome }

