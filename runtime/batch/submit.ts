// SubmitJob: every input rule is checked before anything is stored; then the
// job's row (and, for an array, its children's columns) is written in one
// transaction together with what its dependencies mean (how many whole-job
// dependencies are outstanding, which children wait on which). The job stays
// SUBMITTED until the evaluate controller looks at it on the next turn.

import { randomUUID } from 'node:crypto'
import { arns, nameFromArn } from '../aws/arn.js'
import { LimitExceededError, NotFoundError } from '../errors.js'
import type { Transaction } from '../store/store.js'
import type { BatchContext } from './context.js'
import { allowedTypes, canEverHold } from './compute-environments.js'
import { checkTimeout, readDefinition } from './job-definitions.js'
import { readQueue } from './job-queues.js'
import type { JobDefinition, JobDependency, JobQueueDetail, NodeProperties, NodePropertyOverride, SubmitJobRequest, SubmitJobResponse } from './model.js'
import { CES, CHILD_COUNTS, CHILDREN, JOBS, S_SUCCEEDED, newChildren, type CeRecord, type JobRow } from './records.js'
import type { ColumnSet } from '../store/columns.js'
import { validateRetryStrategy } from './retry.js'
import { LIMITS, checkInteger, checkName, checkStringRecord, checkTags, clientError } from './validation.js'
import { resolveContainer, type ResolvedContainer } from './container-properties.js'
import { applyNodeOverrides, resolveNode } from './node-properties.js'
import { checkMultiNodeQueue, createNodes } from './multinode.js'
import { checkShareIdentifier } from './scheduling-policies.js'

/** What a job runs: its container (a multi-node job's main node's) and, for a multi-node job, its nodes. */
interface Resolved {
  container: ResolvedContainer
  nodes?: { nodeProperties: NodeProperties; overrides: NodePropertyOverride[]; containers: ResolvedContainer[] }
}

function resolveSubmission(tx: Transaction, input: SubmitJobRequest, definition: JobDefinition, queue: JobQueueDetail, parameters: Record<string, string>, size: number | undefined): Resolved {
  if (definition.type !== 'multinode') {
    if (input.nodeOverrides !== undefined) throw clientError('nodeOverrides', `applies to multi-node parallel jobs only; ${definition.jobDefinitionName} is a container job definition`)
    const overrides = input.containerOverrides === undefined ? [] : [{ value: input.containerOverrides, field: 'containerOverrides' }]
    return { container: resolveContainer(definition.containerProperties ?? {}, overrides, parameters, '') }
  }
  if (input.containerOverrides !== undefined) throw clientError('containerOverrides', 'a multi-node parallel job takes nodeOverrides (nodePropertyOverrides per range of nodes)')
  if (size !== undefined) throw clientError('arrayProperties', 'a multi-node parallel job cannot be an array job')
  checkMultiNodeQueue(tx, queue)
  const { nodeProperties, overrides } = applyNodeOverrides(definition.nodeProperties!, input.nodeOverrides)
  const containers = Array.from({ length: nodeProperties.numNodes }, (_, i) => resolveNode(nodeProperties, overrides, parameters, i))
  return { container: containers[nodeProperties.mainNode], nodes: { nodeProperties, overrides, containers } }
}

interface CheckedDependency {
  entry: JobDependency
  target: JobRow | undefined
}

function checkDependencies(tx: Transaction, list: JobDependency[] | undefined, size: number | undefined): CheckedDependency[] {
  if (list === undefined) return []
  if (!Array.isArray(list)) throw clientError('dependsOn', 'must be an array')
  if (list.length > LIMITS.dependsOn) {
    throw new LimitExceededError('ClientException', `dependsOn: a job may have up to ${LIMITS.dependsOn} dependencies, got ${list.length}`, { field: 'dependsOn', limit: LIMITS.dependsOn })
  }
  return list.map((entry, i) => {
    const at = `dependsOn[${i}]`
    const type = entry?.type
    if (type !== undefined && type !== 'N_TO_N' && type !== 'SEQUENTIAL') throw clientError(`${at}.type`, `must be N_TO_N or SEQUENTIAL, got ${String(type)}`)
    if (type !== undefined && size === undefined) throw clientError(`${at}.type`, `${type} dependencies are for array jobs only`)
    if (type === 'SEQUENTIAL') {
      if (entry.jobId !== undefined && entry.jobId !== '') throw clientError(`${at}.jobId`, 'a SEQUENTIAL dependency names no job: it orders the children of this array')
      return { entry, target: undefined }
    }
    const target = typeof entry?.jobId === 'string' ? tx.get<JobRow>(JOBS, entry.jobId)?.value : undefined
    if (target === undefined) throw new NotFoundError('ClientException', `${at}.jobId: job ${String(entry?.jobId)} does not exist`, { field: `${at}.jobId` })
    if (type === 'N_TO_N') {
      if (target.arraySize === undefined) throw clientError(`${at}.jobId`, `N_TO_N needs an array job to depend on; ${target.jobId} is not one`)
      if (target.arraySize !== size) {
        throw clientError(`${at}.jobId`, `N_TO_N needs arrays of equal size: this job has ${size} children, ${target.jobId} has ${target.arraySize}`, target.arraySize)
      }
    }
    return { entry, target }
  })
}

/** A job bigger than anything its queue can ever run is refused now, not left RUNNABLE forever; the message names the real cap. */
function checkCapacity(tx: Transaction, queueName: string, ceArns: string[], vcpus: number, memory: number, gpus: number): void {
  const demand = { cpu: Math.round(vcpus * 1000), memory, gpu: gpus }
  const ces = ceArns.map((arn) => tx.get<CeRecord>(CES, nameFromArn(arn, 'compute-environment'))?.value).filter((c) => c !== undefined)
  if (ces.some((ce) => canEverHold(ce, demand))) return
  // What each environment can launch at most: its largest allowed instance under maxvCpus.
  const caps = ces.map((ce) => {
    const r = ce.detail.computeResources!
    const types = allowedTypes(r.instanceTypes)
    const largest = [...types].filter((t) => t.vcpus <= r.maxvCpus).sort((a, b) => b.vcpus - a.vcpus || b.memory - a.memory)[0]
    const name = ce.detail.computeEnvironmentName
    if (largest === undefined) return { text: `${name}: maxvCpus ${r.maxvCpus} is below every allowed instance`, limit: `maxvCpus ${r.maxvCpus}` }
    const capped = r.maxvCpus < Math.max(...types.map((t) => t.vcpus))
    return {
      text: `${name}: largest instance ${largest.name} (${largest.vcpus} vCPUs, ${largest.memory} MiB, ${largest.gpus} GPUs)${capped ? ` under its maxvCpus ${r.maxvCpus}` : ''}`,
      limit: `${largest.vcpus} vCPUs / ${largest.memory} MiB / ${largest.gpus} GPUs`
    }
  })
  throw new LimitExceededError('ClientException',
    `resources: the job needs ${vcpus} vCPUs, ${memory} MiB and ${gpus} GPUs; no compute environment of ${queueName} can ever hold that (${caps.map((c) => c.text).join('; ')})`,
    { field: 'resources', limit: caps.map((c) => c.limit).join('; ') })
}

/** A fair-share queue's jobs name their share (and may set a priority); a FIFO queue's may not. */
function checkShare(input: SubmitJobRequest, queue: JobQueueDetail): { shareIdentifier?: string; schedulingPriority?: number } {
  if (queue.schedulingPolicyArn === undefined) {
    if (input.shareIdentifier !== undefined) throw clientError('shareIdentifier', `${queue.jobQueueName} has no scheduling policy: a share identifier is refused`)
    if (input.schedulingPriorityOverride !== undefined) throw clientError('schedulingPriorityOverride', `${queue.jobQueueName} has no scheduling policy: a scheduling priority is refused`)
    return {}
  }
  if (input.shareIdentifier === undefined) throw clientError('shareIdentifier', `is required: ${queue.jobQueueName} has a fair-share scheduling policy`)
  return {
    shareIdentifier: checkShareIdentifier(input.shareIdentifier, 'shareIdentifier'),
    ...(input.schedulingPriorityOverride !== undefined
      ? { schedulingPriority: checkInteger(input.schedulingPriorityOverride, 'schedulingPriorityOverride', 0, SCHEDULING_PRIORITY_MAX) }
      : {})
  }
}

/** schedulingPriorityOverride's range, as AWS documents it. */
const SCHEDULING_PRIORITY_MAX = 9999

export function submitJob(ctx: BatchContext, input: SubmitJobRequest): SubmitJobResponse {
  const jobName = checkName(input?.jobName, 'jobName')
  const size = input.arrayProperties === undefined
    ? undefined
    : checkInteger(input.arrayProperties?.size, 'arrayProperties.size', LIMITS.arraySizeMin, LIMITS.arraySizeMax)
  validateRetryStrategy(input.retryStrategy, 'retryStrategy')
  const tags = checkTags(input.tags, 'tags')
  const jobId = randomUUID()
  const row = ctx.store.transaction((tx) => {
    const queue = readQueue(ctx.partition, tx, input.jobQueue, 'jobQueue').detail
    if (queue.state !== 'ENABLED' || queue.status === 'DELETING') {
      throw clientError('jobQueue', `${queue.jobQueueName} is ${queue.status === 'DELETING' ? 'being deleted' : 'DISABLED'}: it accepts no new jobs`)
    }
    const share = checkShare(input, queue)
    const definition = readDefinition(ctx.partition, tx, input.jobDefinition, 'jobDefinition')
    if (definition.status !== 'ACTIVE') throw clientError('jobDefinition', `${definition.jobDefinitionArn} is INACTIVE`)
    const parameters = { ...definition.parameters, ...checkStringRecord(input.parameters, 'parameters') }
    const resolved = resolveSubmission(tx, input, definition, queue, parameters, size)
    const { command, environment, vcpus, memory, gpus, image, settings } = resolved.container
    const timeoutSeconds = checkTimeout(input.timeout, 'timeout') ?? definition.timeout?.attemptDurationSeconds
    const ceArns = queue.computeEnvironmentOrder.map((o) => o.computeEnvironment)
    const demands = new Set<string>()
    for (const c of resolved.nodes?.containers ?? [resolved.container]) {
      // Each distinct demand once (a thousand nodes usually ask for one or two shapes).
      const key = `${c.vcpus}/${c.memory}/${c.gpus}`
      if (demands.has(key)) continue
      demands.add(key)
      checkCapacity(tx, queue.jobQueueName, ceArns, c.vcpus, c.memory, c.gpus)
    }
    const dependencies = checkDependencies(tx, input.dependsOn, size)
    // Valid: what the dependencies mean, then the job.
    let pendingJobDeps = 0
    let dependencyFailed = false
    const array = size === undefined ? undefined : newChildren(size)
    const pending = array?.children.column('pending')
    for (const { entry, target } of dependencies) {
      if (entry.type === 'SEQUENTIAL') {
        for (let i = 1; i < size!; i++) pending![i]++
      } else if (entry.type === 'N_TO_N') {
        const status = tx.get<ColumnSet>(CHILDREN, target!.jobId)!.value.column('status')
        for (let i = 0; i < size!; i++) if (status[i] !== S_SUCCEEDED) pending![i]++
      } else if (target!.status === 'FAILED') {
        dependencyFailed = true
      } else if (target!.status !== 'SUCCEEDED') {
        pendingJobDeps++
      }
    }
    const row: JobRow = {
      seq: ++ctx.sequence.last,
      jobId, jobName, jobArn: arns.batch.job(ctx.partition, jobId),
      queueName: queue.jobQueueName, jobQueue: queue.jobQueueArn,
      definitionName: definition.jobDefinitionName, jobDefinition: definition.jobDefinitionArn,
      createdAt: ctx.clock.now(),
      status: 'SUBMITTED',
      parameters, command, environment,
      ...(image ? { image } : {}),
      vcpus, memory, gpus,
      ...(settings ? { settings } : {}),
      ...(resolved.nodes ? { nodeProperties: resolved.nodes.nodeProperties, ...(resolved.nodes.overrides.length > 0 ? { nodeOverrides: resolved.nodes.overrides } : {}) } : {}),
      ...(input.retryStrategy ?? definition.retryStrategy ? { retryStrategy: structuredClone(input.retryStrategy ?? definition.retryStrategy) } : {}),
      ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
      dependsOn: dependencies.map(({ entry, target }) => ({ ...(target ? { jobId: target.jobId } : {}), ...(entry.type ? { type: entry.type } : {}) })),
      ...(tags ? { tags } : {}),
      ...share,
      ...(input.propagateTags ?? definition.propagateTags ? { propagateTags: input.propagateTags ?? definition.propagateTags } : {}),
      platformCapabilities: [...(definition.platformCapabilities ?? ['EC2'])],
      ...(size !== undefined ? { arraySize: size } : {}),
      pendingJobDeps, dependencyFailed,
      attempts: [], attemptCount: 0,
      isCancelled: false, isTerminated: false
    }
    tx.put(JOBS, jobId, row, 0)
    if (resolved.nodes !== undefined) createNodes(tx, row)
    if (array !== undefined) {
      tx.put(CHILDREN, jobId, array.children, 0)
      tx.put(CHILD_COUNTS, jobId, array.counts, 0)
    }
    const targets = row.dependsOn.filter((d) => d.jobId !== undefined).map((d) => d.jobId!)
    if (targets.length > 0) ctx.cache.addTargets(targets)
    tx.afterCommit(() => ctx.queues.evaluate.add(jobId))
    return row
  })
  return { jobArn: row.jobArn, jobName: row.jobName, jobId: row.jobId }
}
