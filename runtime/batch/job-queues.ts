// Job queues: CreateJobQueue & co. A queue has a priority (higher first across
// queues that share an environment), a state, and up to three compute
// environments tried in order. Deleting one terminates its unfinished jobs,
// as on AWS, and forgets them.

import { arns, nameFromArn } from '../aws/arn.js'
import { ConflictError, LimitExceededError, NotFoundError } from '../errors.js'
import type { StoreReader, Transaction } from '../store/store.js'
import type { BatchContext } from './context.js'
import { readCe } from './compute-environments.js'
import { cancelOrTerminate, forgetJob } from './cancel.js'
import { kickQueue } from './job-state.js'
import type {
  ComputeEnvironmentOrder, CreateJobQueueRequest, CreateJobQueueResponse, DeleteJobQueueRequest, DescribeJobQueuesRequest, DescribeJobQueuesResponse,
  JobQueueDetail, UpdateJobQueueRequest, UpdateJobQueueResponse
} from './model.js'
import { JOBS, QUEUES, isTerminal, type JobRow } from './records.js'
import { LIMITS, checkInteger, checkName, checkTags, clientError } from './validation.js'

export function readQueue(reader: StoreReader, value: unknown, field: string): { detail: JobQueueDetail; version: number } {
  const name = typeof value === 'string' ? nameFromArn(value, 'job-queue') : ''
  const found = reader.get<JobQueueDetail>(QUEUES, name)
  if (found === undefined) throw new NotFoundError('ClientException', `${field}: job queue ${String(value)} does not exist`, { field })
  return { detail: found.value, version: found.version }
}

function environmentOrder(tx: StoreReader, order: unknown, field = 'computeEnvironmentOrder'): ComputeEnvironmentOrder[] {
  if (!Array.isArray(order) || order.length === 0) throw clientError(field, 'must list at least one compute environment')
  if (order.length > LIMITS.computeEnvironmentsPerQueue) {
    throw new LimitExceededError('ClientException', `${field}: at most ${LIMITS.computeEnvironmentsPerQueue} compute environments per job queue, got ${order.length}`, { field, limit: LIMITS.computeEnvironmentsPerQueue })
  }
  const orders = new Set<number>()
  const resolved = order.map((entry: Partial<ComputeEnvironmentOrder>, i) => {
    checkInteger(entry?.order, `${field}[${i}].order`, 0, 1_000_000)
    if (orders.has(entry.order!)) throw clientError(`${field}[${i}].order`, `order ${entry.order} is used twice`)
    orders.add(entry.order!)
    return { order: entry.order!, arn: readCe(tx, entry.computeEnvironment, `${field}[${i}].computeEnvironment`).record.detail.computeEnvironmentArn }
  })
  if (new Set(resolved.map((r) => r.arn)).size !== resolved.length) throw clientError(field, 'lists a compute environment twice')
  return resolved.sort((a, b) => a.order - b.order).map((r, i) => ({ order: i + 1, computeEnvironment: r.arn }))
}

function checkState(state: unknown): 'ENABLED' | 'DISABLED' {
  if (state !== 'ENABLED' && state !== 'DISABLED') throw clientError('state', `must be ENABLED or DISABLED, got ${String(state)}`)
  return state
}

export function createJobQueue(ctx: BatchContext, input: CreateJobQueueRequest): CreateJobQueueResponse {
  const name = checkName(input?.jobQueueName, 'jobQueueName')
  const priority = checkInteger(input.priority, 'priority', 0, LIMITS.priorityMax)
  const state = checkState(input.state ?? 'ENABLED')
  const tags = checkTags(input.tags, 'tags')
  return ctx.store.transaction((tx) => {
    if (tx.get(QUEUES, name) !== undefined) throw new ConflictError('ClientException', `jobQueueName: ${name} already exists`, { field: 'jobQueueName' })
    const detail: JobQueueDetail = {
      jobQueueName: name,
      jobQueueArn: arns.batch.jobQueue(ctx.partition, name),
      state,
      status: 'VALID',
      statusReason: 'JobQueue Healthy',
      priority,
      computeEnvironmentOrder: environmentOrder(tx, input.computeEnvironmentOrder),
      ...(tags ? { tags } : {})
    }
    tx.put(QUEUES, name, detail, 0)
    return { jobQueueName: name, jobQueueArn: detail.jobQueueArn }
  })
}

export function updateJobQueue(ctx: BatchContext, input: UpdateJobQueueRequest): UpdateJobQueueResponse {
  return ctx.store.transaction((tx) => {
    const { detail, version } = readQueue(tx, input?.jobQueue, 'jobQueue')
    const next = structuredClone(detail)
    if (input.state !== undefined) next.state = checkState(input.state)
    if (input.priority !== undefined) next.priority = checkInteger(input.priority, 'priority', 0, LIMITS.priorityMax)
    if (input.computeEnvironmentOrder !== undefined) next.computeEnvironmentOrder = environmentOrder(tx, input.computeEnvironmentOrder)
    tx.put(QUEUES, next.jobQueueName, next, version)
    tx.afterCommit(() => kickQueue(ctx, next.jobQueueName))
    return { jobQueueName: next.jobQueueName, jobQueueArn: next.jobQueueArn }
  })
}

/** Deletes a DISABLED queue; its unfinished jobs are terminated first, as on AWS, and every job of it is forgotten. */
export function deleteJobQueue(ctx: BatchContext, input: DeleteJobQueueRequest): void {
  const { detail } = readQueue(ctx.store, input?.jobQueue, 'jobQueue')
  if (detail.state !== 'DISABLED') throw clientError('jobQueue', `${detail.jobQueueName} must be DISABLED before it is deleted`)
  const jobs = ctx.store.scan<JobRow>(JOBS, { index: { name: 'queue', value: detail.jobQueueName } }).map((r) => r.value)
  for (const job of jobs) if (!isTerminal(job.status)) cancelOrTerminate(ctx, job.jobId, 'Job queue deleted', 'terminate')
  ctx.store.transaction((tx: Transaction) => {
    for (const job of jobs) forgetJob(ctx, tx, job.jobId)
    tx.delete(QUEUES, detail.jobQueueName)
    tx.afterCommit(() => ctx.cache.dropQueue(detail.jobQueueName))
  })
}

export function describeJobQueues(ctx: BatchContext, input: DescribeJobQueuesRequest = {}): DescribeJobQueuesResponse {
  const max = input.maxResults === undefined ? 100 : checkInteger(input.maxResults, 'maxResults', 1, 100)
  if (input.jobQueues !== undefined) {
    if (!Array.isArray(input.jobQueues)) throw clientError('jobQueues', 'must be a list of names or ARNs')
    if (input.jobQueues.length > 100) throw clientError('jobQueues', `at most 100, got ${input.jobQueues.length}`, 100)
    const out: JobQueueDetail[] = []
    for (const value of input.jobQueues) {
      const found = typeof value === 'string' ? ctx.store.get<JobQueueDetail>(QUEUES, nameFromArn(value, 'job-queue')) : undefined
      if (found !== undefined) out.push(structuredClone(found.value))
    }
    return { jobQueues: out }
  }
  const scope = 'DescribeJobQueues'
  const after = input.nextToken === undefined ? undefined : ctx.tokens.read(input.nextToken, scope, { code: 'ClientException' })
  const page = ctx.store.scan<JobQueueDetail>(QUEUES, { after, limit: max + 1 })
  const more = page.length > max
  const shown = more ? page.slice(0, max) : page
  return {
    jobQueues: shown.map((r) => structuredClone(r.value)),
    ...(more ? { nextToken: ctx.tokens.issue(scope, shown[shown.length - 1].key) } : {})
  }
}
