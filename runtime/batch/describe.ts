// A job as DescribeJobs shows it, built from the store: the job's row, an
// array child expanded from its parent's columns, and the live attempt from
// its task row. Reads go through a StoreReader, so a transaction describes
// the job as it is inside the transaction (the detail of an event is the job
// at the time of its change).

import type { ColumnSet } from '../store/columns.js'
import type { StoreReader } from '../store/store.js'
import { arns, childJobArn, parseArn } from '../aws/arn.js'
import type { Partition } from '../aws/partition.js'
import { EXITED_REASON } from '../tasks/reasons.js'
import type { TaskRow } from '../tasks/task-launcher.js'
import { TASKS } from '../tasks/task-launcher.js'
import { TASK_OWNER } from './context.js'
import { JOB_STATUSES, type AttemptDetail, type ContainerDetail, type JobDependency, type JobDetail, type JobSummary } from './model.js'
import { CHILD_COUNTS, CHILDREN, JOBS, NODES, S_SUCCEEDED, childId, logStreamName, statusSummary, type ChildExtra, type JobRow, type NodeRow } from './records.js'
import { settingsDetail, type ResolvedContainer } from './container-properties.js'
import { toEnvList } from './environment.js'
import { nodeDetail } from './describe-nodes.js'

export { toEnvList }

/** A job's (or node's) container as DescribeJobs shows it, before any attempt says more. */
export function containerDetail(c: ResolvedContainer): ContainerDetail {
  return {
    ...(c.image ? { image: c.image } : {}),
    command: [...c.command],
    environment: toEnvList(c.environment),
    resourceRequirements: [
      { type: 'VCPU', value: String(c.vcpus) },
      { type: 'MEMORY', value: String(c.memory) },
      ...(c.gpus > 0 ? [{ type: 'GPU' as const, value: String(c.gpus) }] : [])
    ],
    vcpus: c.vcpus,
    memory: c.memory,
    ...settingsDetail(c.settings)
  }
}

/** The live attempt of a job or child (its task row), if one is STARTING or RUNNING. */
export function liveTask(reader: StoreReader, jobId: string, child: number): TaskRow | undefined {
  const key = child >= 0 ? childId(jobId, child) : jobId
  return reader.scan<TaskRow>(TASKS, { index: { name: 'owner', value: `${TASK_OWNER}/${key}` }, limit: 1 })[0]?.value
}

export function children(reader: StoreReader, jobId: string): ColumnSet | undefined {
  return reader.get<ColumnSet>(CHILDREN, jobId)?.value
}

export function jobDetail(reader: StoreReader, row: JobRow, child: number): JobDetail {
  const c = row.arraySize === undefined ? undefined : children(reader, row.jobId)
  const status = child >= 0 && c !== undefined ? JOB_STATUSES[c.column('status')[child]] : row.status
  const detail: JobDetail = {
    jobArn: child >= 0 ? childJobArn(row.jobArn, child) : row.jobArn,
    jobName: row.jobName,
    jobId: child >= 0 ? childId(row.jobId, child) : row.jobId,
    jobQueue: row.jobQueue,
    status,
    attempts: [],
    createdAt: row.createdAt,
    dependsOn: row.dependsOn.map((d) => ({ ...d })),
    jobDefinition: row.jobDefinition,
    parameters: { ...row.parameters },
    container: containerDetail(row),
    platformCapabilities: [...(row.platformCapabilities ?? ['EC2'])],
    ...(row.nodeProperties ? { nodeProperties: structuredClone(row.nodeProperties) } : {}),
    ...(row.retryStrategy ? { retryStrategy: structuredClone(row.retryStrategy) } : {}),
    ...(row.timeoutSeconds !== undefined ? { timeout: { attemptDurationSeconds: row.timeoutSeconds } } : {}),
    ...(row.tags ? { tags: { ...row.tags } } : {}),
    ...(row.propagateTags !== undefined ? { propagateTags: row.propagateTags } : {}),
    ...(row.shareIdentifier !== undefined ? { shareIdentifier: row.shareIdentifier } : {}),
    ...(row.schedulingPriority !== undefined ? { schedulingPriority: row.schedulingPriority } : {}),
    ...(row.isCancelled ? { isCancelled: true } : {}),
    ...(row.isTerminated ? { isTerminated: true } : {})
  }
  if (c === undefined) {
    detail.attempts = row.attempts.map((a) => structuredClone(a))
    if (row.statusReason !== undefined) detail.statusReason = row.statusReason
    if (row.startedAt !== undefined) detail.startedAt = row.startedAt
    if (row.stoppedAt !== undefined) detail.stoppedAt = row.stoppedAt
    // A multi-node job's container and attempts are its main node's.
    const live = row.nodeProperties === undefined ? liveTask(reader, row.jobId, -1) : liveMainNode(reader, row)
    containerFrom(detail, live, live === undefined ? '' : logStreamName(row.definitionName, live.ownerKey, -1, live.attempt), row.attempts.at(-1))
    return detail
  }
  if (child < 0) {
    detail.arrayProperties = { statusSummary: statusSummary(reader.get<ColumnSet>(CHILD_COUNTS, row.jobId)!.value), size: row.arraySize }
    if (row.statusReason !== undefined) detail.statusReason = row.statusReason
    if (row.startedAt !== undefined) detail.startedAt = row.startedAt
    if (row.stoppedAt !== undefined) detail.stoppedAt = row.stoppedAt
    return detail
  }
  detail.arrayProperties = { index: child }
  detail.dependsOn = childDependsOn(row, child)
  const extra = c.sparse(child) as ChildExtra | undefined
  const startedAt = c.column('startedAt')[child]
  const stoppedAt = c.column('stoppedAt')[child]
  if (extra !== undefined) {
    detail.attempts = extra.attempts.map((a) => structuredClone(a))
    if (extra.statusReason !== undefined) detail.statusReason = extra.statusReason
    if (extra.isCancelled) detail.isCancelled = true
    if (extra.isTerminated) detail.isTerminated = true
  } else if (c.column('status')[child] === S_SUCCEEDED) {
    // A first attempt that succeeded is kept compactly: rebuilt here.
    detail.attempts = [{
      container: { exitCode: c.column('exitCode')[child], logStreamName: logStreamName(row.definitionName, row.jobId, child, 1) },
      startedAt, stoppedAt, statusReason: EXITED_REASON
    }]
    detail.statusReason = EXITED_REASON
  }
  if (startedAt > 0) detail.startedAt = startedAt
  if (stoppedAt > 0) detail.stoppedAt = stoppedAt
  const live = liveTask(reader, row.jobId, child)
  containerFrom(detail, live, live === undefined ? '' : logStreamName(row.definitionName, row.jobId, child, live.attempt), detail.attempts.at(-1))
  return detail
}

/** The main node's live task of a multi-node job, if it has one. */
function liveMainNode(reader: StoreReader, row: JobRow): TaskRow | undefined {
  const runId = reader.get<NodeRow>(NODES, `${row.jobId}#${row.nodeProperties!.mainNode}`)?.value.runId
  return runId === undefined ? undefined : reader.get<TaskRow>(TASKS, runId)?.value
}

/** What the live attempt (its task, logging to `stream`) or else the last attempt says of the container. */
export function containerFrom(detail: JobDetail, live: TaskRow | undefined, stream: string, last: AttemptDetail | undefined): void {
  if (live !== undefined) {
    detail.container.logStreamName = stream
    detail.container.containerInstanceArn = live.containerInstanceArn
    detail.container.taskArn = taskArnOf(detail.jobArn, live)
    detail.container.networkInterfaces = [{ privateIpv4Address: live.address }]
    return
  }
  if (last === undefined) return
  const c = last.container
  if (c.exitCode !== undefined) detail.container.exitCode = c.exitCode
  if (c.reason !== undefined) detail.container.reason = c.reason
  if (c.logStreamName !== undefined) detail.container.logStreamName = c.logStreamName
  if (c.containerInstanceArn !== undefined) detail.container.containerInstanceArn = c.containerInstanceArn
  if (c.taskArn !== undefined) detail.container.taskArn = c.taskArn
  if (c.networkInterfaces !== undefined) detail.container.networkInterfaces = structuredClone(c.networkInterfaces)
}

/** The live attempt's ECS task ARN, in the job's own partition, account and region. */
function taskArnOf(jobArn: string, live: TaskRow): string {
  const parsed = parseArn(jobArn)!
  return arns.ecs.task({ partition: parsed.partition as Partition['partition'], accountId: parsed.accountId, region: parsed.region }, live.cluster, live.runId)
}

function childDependsOn(row: JobRow, child: number): JobDependency[] {
  const out: JobDependency[] = []
  for (const d of row.dependsOn) {
    if (d.type === 'N_TO_N') out.push({ jobId: `${d.jobId}:${child}`, type: 'N_TO_N' })
    else if (d.type === 'SEQUENTIAL') {
      if (child > 0) out.push({ jobId: childId(row.jobId, child - 1), type: 'SEQUENTIAL' })
    } else out.push({ ...d })
  }
  return out
}

/** A ListJobs summary of a detail (`numNodes`: of the job a node belongs to). */
export function summaryOf(d: JobDetail, numNodes?: number): JobSummary {
  return {
    jobArn: d.jobArn, jobId: d.jobId, jobName: d.jobName, createdAt: d.createdAt, status: d.status,
    ...(d.statusReason !== undefined ? { statusReason: d.statusReason } : {}),
    ...(d.startedAt !== undefined ? { startedAt: d.startedAt } : {}),
    ...(d.stoppedAt !== undefined ? { stoppedAt: d.stoppedAt } : {}),
    ...(d.container.exitCode !== undefined || d.container.reason !== undefined ? { container: { exitCode: d.container.exitCode, reason: d.container.reason } } : {}),
    ...(d.arrayProperties ? { arrayProperties: { size: d.arrayProperties.size, index: d.arrayProperties.index } } : {}),
    ...(d.nodeProperties ? { nodeProperties: { numNodes: d.nodeProperties.numNodes } } : {}),
    ...(d.nodeDetails ? { nodeProperties: { isMainNode: d.nodeDetails.isMainNode, numNodes, nodeIndex: d.nodeDetails.nodeIndex } } : {}),
    jobDefinition: d.jobDefinition
  }
}

/** A job found by its id: a job, an array child (`child` >= 0) or a node of a multi-node job (`node` >= 0). */
export interface FoundJob {
  row: JobRow
  version: number
  /** -1 unless an array child. */
  child: number
  /** -1 unless a node. */
  node: number
}

/** A job id, child id (`<jobId>:<index>`) or node id (`<jobId>#<index>`), resolved; undefined when there is no such job, child or node. */
export function resolveJob(reader: StoreReader, id: unknown): FoundJob | undefined {
  if (typeof id !== 'string' || id.length === 0) return undefined
  const hash = id.lastIndexOf('#')
  if (hash > 0 && /^\d+$/.test(id.slice(hash + 1))) {
    const record = reader.get<JobRow>(JOBS, id.slice(0, hash))
    const node = Number(id.slice(hash + 1))
    if (record === undefined || record.value.nodeProperties === undefined || node >= record.value.nodeProperties.numNodes) return undefined
    return { row: record.value, version: record.version, child: -1, node }
  }
  const colon = id.lastIndexOf(':')
  const base = colon > 0 && /^\d+$/.test(id.slice(colon + 1)) ? id.slice(0, colon) : id
  const record = reader.get<JobRow>(JOBS, base)
  if (record === undefined) return undefined
  const child = base === id ? -1 : Number(id.slice(colon + 1))
  if (child >= 0 && (record.value.arraySize === undefined || child >= record.value.arraySize)) return undefined
  return { row: record.value, version: record.version, child, node: -1 }
}

/** What DescribeJobs shows of a found job, child or node. */
export function detailOf(reader: StoreReader, found: FoundJob): JobDetail {
  if (found.node < 0) return jobDetail(reader, found.row, found.child)
  return nodeDetail(reader, found.row, reader.get<NodeRow>(NODES, `${found.row.jobId}#${found.node}`)!.value)
}
