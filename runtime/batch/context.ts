// What every part of Batch works with: the engine's shared layers, Batch's
// caches, and its controllers' work queues. Built once by BatchService.

import type { Clock } from '../clock/clock.js'
import type { Partition } from '../aws/partition.js'
import type { PageTokens } from '../aws/pagination.js'
import type { Store } from '../store/store.js'
import type { EventBus } from '../events/bus.js'
import type { CapacityProvider } from '../cluster/capacity-provider.js'
import type { NodePools } from '../cluster/node-pool.js'
import type { PlanApplier } from '../cluster/plan-applier.js'
import type { Placer } from '../scheduler/placer.js'
import type { Scheduler } from '../scheduler/scheduler.js'
import type { TaskLauncher } from '../tasks/task-launcher.js'
import type { LogStore } from '../logs/log-store.js'
import type { WorkQueue } from '../controller/work-queue.js'
import type { JobCache } from './job-cache.js'
import type { Waiters } from './waiters.js'

export interface BatchSettings {
  /** An idle managed instance is removed after this long (clock ms). */
  scaleInIdleMs: number
  /** SUCCEEDED and FAILED jobs are kept this long (clock ms). */
  retentionMs: number
  /** Rounds a job may be passed over before it reserves a node (0 = never). */
  agingRounds: number
  /** Most tasks one dispatch round considers per compute environment. */
  maxDispatch: number
  /** SIGTERM → SIGKILL grace when a job is stopped (undefined: the runner's). */
  killGraceMs: number | undefined
  /** Root of the attempts' working directories. */
  workRoot: string
  /** The runner (registration name) new compute environments' instances run on. */
  runner: string
}

export interface BatchQueues {
  /** SUBMITTED jobs, by job id: evaluated (PENDING or RUNNABLE). */
  evaluate: WorkQueue
  /** Compute environments, by name: runnable work placed on their instances. */
  dispatch: WorkQueue
  /** Managed compute environments, by name: idle instances removed. */
  scaling: WorkQueue
  /** Compute environments, by name: CREATING / UPDATING → VALID or INVALID, DELETING → gone. */
  status: WorkQueue
  /** Finished jobs, by job id: purged after the retention time. */
  retention: WorkQueue
  /** DELETING job queues, by name: gone once their jobs have ended. */
  queueDeletion: WorkQueue
}

export interface BatchContext {
  readonly store: Store
  readonly clock: Clock
  readonly partition: Partition
  readonly events: EventBus
  readonly scheduler: Scheduler
  readonly pools: NodePools
  readonly capacity: CapacityProvider
  readonly placer: Placer
  readonly applier: PlanApplier
  readonly launcher: TaskLauncher
  readonly logs: LogStore
  readonly tokens: PageTokens
  readonly settings: BatchSettings
  readonly cache: JobCache
  readonly waiters: Waiters
  readonly queues: BatchQueues
  /** The last submission sequence number handed out. */
  readonly sequence: { last: number }
}

/** The owner name of Batch's tasks in the TaskLauncher. */
export const TASK_OWNER = 'batch'
