// Job queues: CreateJobQueue & co. A queue has a priority (higher first across
// queues that share an environment), a state, and up to three compute
// environments tried in order. Deleting one terminates its unfinished jobs,
// as on AWS, and forgets them.

import { arns } from '../aws/arn.js'
import type { Partition } from '../aws/partition.js'
import { ConflictError, LimitExceededError, NotFoundError } from '../errors.js'
import type { StoreReader, Transaction } from '../store/store.js'
import type { BatchContext } from './context.js'
import { readCe } from './compute-environments.js'
import { endJob, sendStops } from './cancel.js'
import { forgetJob } from './retention.js'
import { describeByNameOrPage } from './describe-page.js'
import { done, type ReconcileResult } from '../controller/reconciler.js'
import { kickQueue } from './job-state.js'
import type {
  ComputeEnvironmentOrder, CreateJobQueueRequest, CreateJobQueueResponse, DeleteJobQueueRequest, DescribeJobQueuesRequest, DescribeJobQueuesResponse,
  JobQueueDetail, UpdateJobQueueRequest, UpdateJobQueueResponse
} from './model.js'
import { JOBS, QUEUES, isTerminal, type JobRow } from './records.js'
import { readPolicy } from './scheduling-policies.js'
import { LIMITS, checkInteger, checkName, checkTags, clientError, localName } from './validation.js'

export function readQueue(p: Partition, reader: StoreReader, value: unknown, field: string): { detail: JobQueueDetail; version: number } {
  const name = typeof value === 'string' ? localName(p, value, 'job-queue', field) : ''
  const found = name === '' ? undefined : reader.get<JobQueueDetail>(QUEUES, name)
  if (found === undefined) throw new NotFoundError('ClientException', `${field}: job queue ${String(value)} does not exist`, { field })
  return { detail: found.value, version: found.version }
}

function environmentOrder(p: Partition, tx: StoreReader, order: unknown, field = 'computeEnvironmentOrder'): ComputeEnvironmentOrder[] {
  if (!Array.isArray(order) || order.length === 0) throw clientError(field, 'must list at least one compute environment')
  if (order.length > LIMITS.computeEnvironmentsPerQueue) {
    throw new LimitExceededError('ClientException', `${field}: at most ${LIMITS.computeEnvironmentsPerQueue} compute environments per job queue, got ${order.length}`, { field, limit: LIMITS.computeEnvironmentsPerQueue })
  }
  const orders = new Set<number>()
  const resolved = order.map((entry: Partial<ComputeEnvironmentOrder>, i) => {
    checkInteger(entry?.order, `${field}[${i}].order`, 0, 1_000_000)
    if (orders.has(entry.order!)) throw clientError(`${field}[${i}].order`, `order ${entry.order} is used twice`)
    orders.add(entry.order!)
    return { order: entry.order!, arn: readCe(p, tx, entry.computeEnvironment, `${field}[${i}].computeEnvironment`).record.detail.computeEnvironmentArn }
  })
  if (new Set(resolved.map((r) => r.arn)).size !== resolved.length) throw clientError(field, 'lists a compute environment twice')
  // Tried in ascending order; the orders are kept as given, as AWS returns them.
  return resolved.sort((a, b) => a.order - b.order).map((r) => ({ order: r.order, computeEnvironment: r.arn }))
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
      computeEnvironmentOrder: environmentOrder(ctx.partition, tx, input.computeEnvironmentOrder),
      ...(input.schedulingPolicyArn !== undefined ? { schedulingPolicyArn: readPolicy(ctx.partition, tx, input.schedulingPolicyArn, 'schedulingPolicyArn').detail.arn } : {}),
      ...(tags ? { tags } : {})
    }
    tx.put(QUEUES, name, detail, 0)
    return { jobQueueName: name, jobQueueArn: detail.jobQueueArn }
  })
}

export function updateJobQueue(ctx: BatchContext, input: UpdateJobQueueRequest): UpdateJobQueueResponse {
  return ctx.store.transaction((tx) => {
    const { detail, version } = readQueue(ctx.partition, tx, input?.jobQueue, 'jobQueue')
    const next = structuredClone(detail)
    if (input.state !== undefined) next.state = checkState(input.state)
    if (input.priority !== undefined) next.priority = checkInteger(input.priority, 'priority', 0, LIMITS.priorityMax)
    if (input.computeEnvironmentOrder !== undefined) next.computeEnvironmentOrder = environmentOrder(ctx.partition, tx, input.computeEnvironmentOrder)
    if (input.schedulingPolicyArn !== undefined) {
      // As on AWS: a fair-share queue's policy can be replaced, a FIFO queue stays FIFO.
      if (detail.schedulingPolicyArn === undefined) throw clientError('schedulingPolicyArn', `${detail.jobQueueName} is a FIFO queue (created without a scheduling policy): it cannot get one`)
      next.schedulingPolicyArn = readPolicy(ctx.partition, tx, input.schedulingPolicyArn, 'schedulingPolicyArn').detail.arn
    }
    tx.put(QUEUES, next.jobQueueName, next, version)
    tx.afterCommit(() => kickQueue(ctx, next.jobQueueName))
    return { jobQueueName: next.jobQueueName, jobQueueArn: next.jobQueueArn }
  })
}

export const QUEUE_DELETED_REASON = 'Job queue deleted'

/**
 * Deletes a DISABLED queue, as AWS does: DELETING at once, its unfinished
 * jobs terminated (what has not started fails now, running attempts are
 * stopped), and the queue and its jobs gone once the last of them has
 * ended (the deletion controller, below). Their dependants in other queues
 * learn of each end as usual.
 */
export function deleteJobQueue(ctx: BatchContext, input: DeleteJobQueueRequest): void {
  const stops = ctx.store.transaction((tx: Transaction) => {
    const { detail, version } = readQueue(ctx.partition, tx, input?.jobQueue, 'jobQueue')
    const name = detail.jobQueueName
    if (detail.status === 'DELETING') return []
    if (detail.state !== 'DISABLED') throw clientError('jobQueue', `${name} must be DISABLED before it is deleted`)
    tx.put(QUEUES, name, { ...detail, status: 'DELETING', statusReason: 'JobQueue is being deleted' }, version)
    const runs: string[] = []
    for (const { value: job } of tx.scan<JobRow>(JOBS, { index: { name: 'queue', value: name } })) {
      if (!isTerminal(job.status)) runs.push(...endJob(ctx, tx, job, -1, QUEUE_DELETED_REASON, 'terminate'))
    }
    tx.afterCommit(() => ctx.queues.queueDeletion.add(name))
    return runs
  })
  sendStops(ctx, stops, QUEUE_DELETED_REASON)
}

/** The deletion controller (per queue): a DELETING queue forgets its finished jobs, and goes once it has none left. */
export function reconcileQueueDeletion(ctx: BatchContext, name: string): ReconcileResult {
  ctx.store.transaction((tx) => {
    const found = tx.get<JobQueueDetail>(QUEUES, name)
    if (found === undefined || found.value.status !== 'DELETING') return
    let left = 0
    for (const { value: job } of tx.scan<JobRow>(JOBS, { index: { name: 'queue', value: name } })) {
      if (isTerminal(job.status)) forgetJob(ctx, tx, job.jobId)
      else left++
    }
    if (left > 0) return
    tx.delete(QUEUES, name, found.version)
    tx.afterCommit(() => {
      ctx.cache.dropQueue(name)
      ctx.waiters.wake(`queue:${name}`)
    })
  })
  return done
}

export function describeJobQueues(ctx: BatchContext, input: DescribeJobQueuesRequest = {}): DescribeJobQueuesResponse {
  const { items, nextToken } = describeByNameOrPage(ctx, {
    collection: QUEUES, resourceType: 'job-queue', field: 'jobQueues', scope: 'DescribeJobQueues',
    detail: (queue: JobQueueDetail) => structuredClone(queue)
  }, input.jobQueues, input)
  return { jobQueues: items, ...(nextToken ? { nextToken } : {}) }
}
