// What Batch keeps in the store, and how. Records reference each other by key
// (names, ARNs, job ids), never by object; everything in memory elsewhere in
// batch/ is a cache rebuilt from these.
//
//   batch:computeEnvironments  <name>            CeRecord
//   batch:jobQueues            <name>            JobQueueDetail            index ce → the names of its environments
//   batch:jobDefinitions       <name>:<revision> JobDefinition             (revision zero-padded: keys sort by revision)
//   batch:jobs                 <jobId>           JobRow                    index queue → queue name,
//                                                                          index queueStatus → "<queue>|<status>",
//                                                                          index dependsOn → the jobs it waits for
//   batch:children             <jobId>           ColumnSet (array jobs)    typed columns per child, sparse ChildExtra
//   batch:childCounts          <jobId>           ColumnSet (array jobs)    children per status (JOB_STATUSES order)
//   batch:nodes                <jobId>#<index>   NodeRow (multi-node jobs) one node's status, attempts and live task
//   batch:schedulingPolicies   <name>            SchedulingPolicyDetail    (queues index policy → its name)
//
// A job's nodes are the compute environment's pool (cluster/), its running
// attempts are task rows (tasks/).

import { ColumnSet } from '../store/columns.js'
import { nameFromArn } from '../aws/arn.js'
import type { Store } from '../store/store.js'
import {
  JOB_STATUSES, type AttemptDetail, type ComputeEnvironmentDetail, type JobDependency, type JobQueueDetail, type JobStatus, type NodeProperties,
  type NodePropertyOverride, type RetryStrategy
} from './model.js'
import type { ContainerSettings } from './container-properties.js'

export const CES = 'batch:computeEnvironments'
export const QUEUES = 'batch:jobQueues'
export const DEFINITIONS = 'batch:jobDefinitions'
export const JOBS = 'batch:jobs'
export const CHILDREN = 'batch:children'
export const CHILD_COUNTS = 'batch:childCounts'
export const NODES = 'batch:nodes'
export const POLICIES = 'batch:schedulingPolicies'

export interface CeRecord {
  detail: ComputeEnvironmentDetail
  /** The node pool (cluster/) holding its instances. */
  poolId: string
  /** A desiredvCpus the user asked for, applied by the status controller, then cleared. */
  desiredRequest?: number
}

export interface JobRow {
  /** Submission order. */
  seq: number
  jobId: string
  jobName: string
  jobArn: string
  queueName: string
  jobQueue: string
  definitionName: string
  jobDefinition: string
  createdAt: number
  status: JobStatus
  statusReason?: string
  startedAt?: number
  stoppedAt?: number
  parameters: Record<string, string>
  /** The command with Ref:: parameters substituted. */
  command: string[]
  environment: Record<string, string>
  image?: string
  vcpus: number
  memory: number
  gpus: number
  /** Container properties beyond command, environment, image and resources (volumes, ulimits, user…), when any is set. */
  settings?: ContainerSettings
  /**
   * Multi-node parallel jobs: the nodes (numNodes after the submission's
   * override) and the submission's node property overrides; the job's own
   * command, environment, image and resources are its main node's.
   */
  nodeProperties?: NodeProperties
  nodeOverrides?: NodePropertyOverride[]
  retryStrategy?: RetryStrategy
  timeoutSeconds?: number
  dependsOn: JobDependency[]
  tags?: Record<string, string>
  propagateTags?: boolean
  /** Fair-share queues: the job's share and its scheduling priority override. */
  shareIdentifier?: string
  schedulingPriority?: number
  /** From its definition. */
  platformCapabilities: Array<'EC2' | 'FARGATE'>
  /** Array jobs: the number of children (their state is the job's CHILDREN record). */
  arraySize?: number
  /** Whole-job dependencies not yet SUCCEEDED. */
  pendingJobDeps: number
  /** A whole-job dependency FAILED before this job was evaluated. */
  dependencyFailed: boolean
  /** Single jobs: the attempts that ended (multi-node jobs: their main node's). */
  attempts: AttemptDetail[]
  /** Single jobs: attempts started (multi-node jobs: the job's attempts, each a start of its main node). */
  attemptCount: number
  isCancelled: boolean
  isTerminated: boolean
}

/** Per-child details only some children have (a retry's history, a failure's reason). */
export interface ChildExtra {
  attempts: AttemptDetail[]
  statusReason?: string
  /** This child alone was cancelled or terminated (the parent's flags cover the whole job). */
  isCancelled?: boolean
  isTerminated?: boolean
}

/** One node of a multi-node parallel job. */
export interface NodeRow {
  jobId: string
  index: number
  status: JobStatus
  statusReason?: string
  startedAt?: number
  stoppedAt?: number
  /** The job attempt it last ran in (0: none yet). */
  attempt: number
  /** Its task's run id while one is starting, running or being stopped. */
  runId?: string
  /** Its attempts that ended. */
  attempts: AttemptDetail[]
}

/** A node's id and its key in batch:nodes: `<jobId>#<index>`. */
export function nodeId(jobId: string, index: number): string {
  return `${jobId}#${index}`
}

/** Status codes of the children's status column: index into JOB_STATUSES. */
export const S_SUBMITTED = 0, S_PENDING = 1, S_RUNNABLE = 2, S_STARTING = 3, S_RUNNING = 4, S_SUCCEEDED = 5, S_FAILED = 6
export const NO_EXIT = -1

/** The children of an array job of `size` (a few bytes each), and their count per status. */
export function newChildren(size: number): { children: ColumnSet; counts: ColumnSet } {
  const children = ColumnSet.create({
    status: { kind: 'u8', length: size },
    attempts: { kind: 'u8', length: size },
    /** Per-child dependencies still outstanding (N_TO_N, SEQUENTIAL). */
    pending: { kind: 'u16', length: size },
    startedAt: { kind: 'f64', length: size },
    stoppedAt: { kind: 'f64', length: size },
    exitCode: { kind: 'i16', length: size, fill: NO_EXIT }
  })
  const counts = ColumnSet.create({ n: { kind: 'i32', length: JOB_STATUSES.length } })
  // Every child starts SUBMITTED: the count is set before the record is stored.
  counts.writeCell('n', S_SUBMITTED, size)
  return { children, counts }
}

export function statusSummary(countsSet: ColumnSet): Record<JobStatus, number> {
  const counts = countsSet.column('n')
  const out = {} as Record<JobStatus, number>
  JOB_STATUSES.forEach((name, i) => (out[name] = counts[i]))
  return out
}

export function isTerminal(status: JobStatus | number): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED' || status === S_SUCCEEDED || status === S_FAILED
}

export function definitionKey(name: string, revision: number): string {
  return `${name}:${String(revision).padStart(8, '0')}`
}

/** The indexes Batch's scans use. */
export function defineBatchIndexes(store: Store): void {
  store.defineIndex<JobQueueDetail>(QUEUES, 'ce', (q) => q.computeEnvironmentOrder.map((o) => nameFromArn(o.computeEnvironment, 'compute-environment')))
  store.defineIndex<JobQueueDetail>(QUEUES, 'policy', (q) => q.schedulingPolicyArn === undefined ? undefined : nameFromArn(q.schedulingPolicyArn, 'scheduling-policy'))
  store.defineIndex<JobRow>(JOBS, 'queue', (j) => j.queueName)
  store.defineIndex<JobRow>(JOBS, 'queueStatus', (j) => `${j.queueName}|${j.status}`)
  store.defineIndex<JobRow>(JOBS, 'dependsOn', (j) => {
    // Most jobs depend on nothing: no arrays made for them (this runs over every job at each start).
    if (j.dependsOn.length === 0) return undefined
    const ids = j.dependsOn.filter((d) => d.jobId !== undefined).map((d) => d.jobId!)
    return ids.length === 0 ? undefined : ids
  })
}

/** A child's id: `<jobId>:<index>`. */
export function childId(jobId: string, index: number): string {
  return `${jobId}:${index}`
}

export function logStreamName(definitionName: string, jobId: string, child: number, attempt: number): string {
  return `${definitionName}/default/${jobId}${child >= 0 ? `-${child}` : ''}-${attempt}`
}

/** A node's log stream: as a job's, named after the node (`<jobId>#<index>`). */
export function nodeLogStreamName(definitionName: string, jobId: string, index: number, attempt: number): string {
  return logStreamName(definitionName, nodeId(jobId, index), -1, attempt)
}

/** The node pool of a compute environment (its ECS cluster's instances), and back. */
export function poolIdOf(ceName: string): string {
  return `batch:${ceName}`
}

const names = new Map<string, string>()

export function ceNameOf(poolId: string): string {
  let name = names.get(poolId)
  if (name === undefined) names.set(poolId, (name = poolId.slice('batch:'.length)))
  return name
}
