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
import { JOB_STATUSES, type AttemptDetail, type JobDependency, type JobDetail, type JobSummary, type KeyValuePair } from './model.js'
import { CHILD_COUNTS, CHILDREN, JOBS, S_SUCCEEDED, childId, logStreamName, statusSummary, type ChildExtra, type JobRow } from './records.js'

export function toEnvList(env: Record<string, string>): KeyValuePair[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }))
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
    container: {
      ...(row.image ? { image: row.image } : {}),
      command: [...row.command],
      environment: toEnvList(row.environment),
      resourceRequirements: [
        { type: 'VCPU', value: String(row.vcpus) },
        { type: 'MEMORY', value: String(row.memory) },
        ...(row.gpus > 0 ? [{ type: 'GPU' as const, value: String(row.gpus) }] : [])
      ],
      vcpus: row.vcpus,
      memory: row.memory
    },
    platformCapabilities: [...(row.platformCapabilities ?? ['EC2'])],
    ...(row.retryStrategy ? { retryStrategy: structuredClone(row.retryStrategy) } : {}),
    ...(row.timeoutSeconds !== undefined ? { timeout: { attemptDurationSeconds: row.timeoutSeconds } } : {}),
    ...(row.tags ? { tags: { ...row.tags } } : {}),
    ...(row.propagateTags !== undefined ? { propagateTags: row.propagateTags } : {}),
    ...(row.isCancelled ? { isCancelled: true } : {}),
    ...(row.isTerminated ? { isTerminated: true } : {})
  }
  if (c === undefined) {
    detail.attempts = row.attempts.map((a) => structuredClone(a))
    if (row.statusReason !== undefined) detail.statusReason = row.statusReason
    if (row.startedAt !== undefined) detail.startedAt = row.startedAt
    if (row.stoppedAt !== undefined) detail.stoppedAt = row.stoppedAt
    containerFrom(detail, liveTask(reader, row.jobId, -1), row, -1, row.attempts.at(-1))
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
  containerFrom(detail, liveTask(reader, row.jobId, child), row, child, detail.attempts.at(-1))
  return detail
}

function containerFrom(detail: JobDetail, live: TaskRow | undefined, row: JobRow, child: number, last: AttemptDetail | undefined): void {
  if (live !== undefined) {
    detail.container.logStreamName = logStreamName(row.definitionName, row.jobId, child, live.attempt)
    detail.container.containerInstanceArn = live.containerInstanceArn
    detail.container.taskArn = taskArnOf(row, live)
    return
  }
  if (last === undefined) return
  if (last.container.exitCode !== undefined) detail.container.exitCode = last.container.exitCode
  if (last.container.reason !== undefined) detail.container.reason = last.container.reason
  if (last.container.logStreamName !== undefined) detail.container.logStreamName = last.container.logStreamName
  if (last.container.containerInstanceArn !== undefined) detail.container.containerInstanceArn = last.container.containerInstanceArn
}

/** The live attempt's ECS task ARN, in the job's own partition, account and region. */
function taskArnOf(row: JobRow, live: TaskRow): string {
  const parsed = parseArn(row.jobArn)!
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

export function summaryOf(d: JobDetail): JobSummary {
  return {
    jobArn: d.jobArn, jobId: d.jobId, jobName: d.jobName, createdAt: d.createdAt, status: d.status,
    ...(d.statusReason !== undefined ? { statusReason: d.statusReason } : {}),
    ...(d.startedAt !== undefined ? { startedAt: d.startedAt } : {}),
    ...(d.stoppedAt !== undefined ? { stoppedAt: d.stoppedAt } : {}),
    ...(d.container.exitCode !== undefined || d.container.reason !== undefined ? { container: { exitCode: d.container.exitCode, reason: d.container.reason } } : {}),
    ...(d.arrayProperties ? { arrayProperties: { size: d.arrayProperties.size, index: d.arrayProperties.index } } : {}),
    jobDefinition: d.jobDefinition
  }
}

/** A job id or child id (`<jobId>:<index>`), resolved; undefined when there is no such job or child. */
export function resolveJob(reader: StoreReader, id: unknown): { row: JobRow; version: number; child: number } | undefined {
  if (typeof id !== 'string' || id.length === 0) return undefined
  const colon = id.lastIndexOf(':')
  const base = colon > 0 && /^\d+$/.test(id.slice(colon + 1)) ? id.slice(0, colon) : id
  const record = reader.get<JobRow>(JOBS, base)
  if (record === undefined) return undefined
  const child = base === id ? -1 : Number(id.slice(colon + 1))
  if (child >= 0 && (record.value.arraySize === undefined || child >= record.value.arraySize)) return undefined
  return { row: record.value, version: record.version, child }
}
