// A submitted job (single, or the parent of an array) as the engine holds it.
// Array children are not objects: see children.ts.

import type { TimerHandle } from '../clock/clock.js'
import type { ArrayChildren } from './children.js'
import type { ComputeEnvironmentState, VirtualNode } from './compute.js'
import type { AttemptDetail, JobDefinition, JobDependency, JobQueueDetail, RetryStrategy } from './model.js'

export interface QueueState {
  detail: JobQueueDetail
  /** Its compute environments, in order. */
  environments: ComputeEnvironmentState[]
  /** Jobs that may have runnable work, by submission sequence (sorted lazily), from index `head` on. */
  runnable: JobRecord[]
  head: number
  sorted: boolean
}

/** One attempt while it is STARTING or RUNNING. */
export interface LiveAttempt {
  job: JobRecord
  /** Child index, or -1 for a single job. */
  child: number
  attempt: number
  runId: string
  node: VirtualNode
  environment: ComputeEnvironmentState
  logStreamName: string
  /** Set when the runner reports the task running. */
  running: boolean
  startedAt: number
  timeout: TimerHandle | undefined
  /** Why the engine stopped it, if it did: it is then not retried. */
  stoppedFor: { kind: 'timeout' | 'terminate'; reason: string } | undefined
}

/** Who waits on a job: whole-job dependants, or N_TO_N (child i waits for child i). */
export interface Dependant {
  job: JobRecord
  type: 'JOB' | 'N_TO_N'
}

export class JobRecord {
  readonly seq: number
  readonly jobId: string
  readonly jobName: string
  readonly jobArn: string
  readonly queue: QueueState
  readonly definition: JobDefinition
  readonly createdAt: number
  /** Index into JOB_STATUSES. */
  status = 0
  statusReason: string | undefined
  startedAt: number | undefined
  stoppedAt: number | undefined
  readonly parameters: Record<string, string>
  /** The command with Ref:: parameters substituted. */
  readonly command: string[]
  readonly environment: Record<string, string>
  readonly image: string | undefined
  readonly vcpus: number
  readonly memory: number
  readonly gpus: number
  readonly retryStrategy: RetryStrategy | undefined
  readonly timeoutSeconds: number | undefined
  readonly dependsOn: JobDependency[]
  readonly tags: Record<string, string> | undefined
  readonly propagateTags: boolean | undefined
  readonly children: ArrayChildren | undefined
  /** Whole-job dependencies not yet SUCCEEDED. */
  pendingJobDeps = 0
  /** A whole-job dependency FAILED before this job was evaluated. */
  dependencyFailed = false
  readonly dependants: Dependant[] = []
  /** Single jobs: attempts so far, and the live one. */
  readonly attempts: AttemptDetail[] = []
  attemptCount = 0
  live: LiveAttempt | undefined
  /** Array jobs: live attempts by child. */
  readonly liveChildren = new Map<number, LiveAttempt>()
  inRunnable = false
  /** Rounds in which this job had runnable work that was not placed (aging). */
  waitRounds = 0
  isCancelled = false
  isTerminated = false
  purge: TimerHandle | undefined
  readonly waiters: Array<() => void> = []
  /** Waiters on single children (sparse: only children someone waits for). */
  readonly childWaiters = new Map<number, Array<() => void>>()

  constructor(init: {
    seq: number; jobId: string; jobName: string; jobArn: string; queue: QueueState; definition: JobDefinition; createdAt: number
    parameters: Record<string, string>; command: string[]; environment: Record<string, string>; image: string | undefined
    vcpus: number; memory: number; gpus: number; retryStrategy: RetryStrategy | undefined; timeoutSeconds: number | undefined
    dependsOn: JobDependency[]; tags: Record<string, string> | undefined; propagateTags: boolean | undefined
    children: ArrayChildren | undefined
  }) {
    this.seq = init.seq
    this.jobId = init.jobId
    this.jobName = init.jobName
    this.jobArn = init.jobArn
    this.queue = init.queue
    this.definition = init.definition
    this.createdAt = init.createdAt
    this.parameters = init.parameters
    this.command = init.command
    this.environment = init.environment
    this.image = init.image
    this.vcpus = init.vcpus
    this.memory = init.memory
    this.gpus = init.gpus
    this.retryStrategy = init.retryStrategy
    this.timeoutSeconds = init.timeoutSeconds
    this.dependsOn = init.dependsOn
    this.tags = init.tags
    this.propagateTags = init.propagateTags
    this.children = init.children
  }

  get isArray(): boolean {
    return this.children !== undefined
  }

  /** Children or the single job waiting for a node now. */
  runnableCount(): number {
    if (this.children !== undefined) return this.children.runnable.size
    return this.status === 2 ? 1 : 0
  }
}
