// AWS Batch (restJson1) as a table: each operation is the BatchApi call of
// the same name, at `POST /v1/<lowercase name>` as the Batch service model
// routes it, with the IAM action `batch:<Name>` on the resources AWS's
// service authorization reference lists. Required members are the model's.
// Errors: ClientException (400) for the caller's mistakes, ServerException
// (500) for the engine's.

import type { BatchService } from '../../batch/api.js'
import type { Partition } from '../../aws/partition.js'
import { arn, arns } from '../../aws/arn.js'
import { localName } from '../../batch/validation.js'
import { readOnlyByName, type Authorization, type Operation, type ServiceTable, type WireError } from '../operation.js'
import { byKind } from '../errors.js'

type Input = Record<string, any>

// A name-or-ARN member → the canonical ARN IAM is asked about, rebuilt from
// the name (so a Deny on the resource's ARN or on its tags always applies).
// An ARN of another partition, region, account or service is refused here,
// naming the member, before IAM is asked; the service refuses it too.

/** A job queue (name or ARN) → its ARN. */
export function queueArn(p: Partition, value: unknown, field = 'jobQueue'): string {
  return arns.batch.jobQueue(p, localName(p, String(value), 'job-queue', field))
}

export function environmentArn(p: Partition, value: unknown, field = 'computeEnvironment'): string {
  return arns.batch.computeEnvironment(p, localName(p, String(value), 'compute-environment', field))
}

export function schedulingPolicyArn(p: Partition, value: unknown, field: string): string {
  return arns.batch.schedulingPolicy(p, localName(p, String(value), 'scheduling-policy', field))
}

/** name, name:revision or ARN → the job definition ARN (a bare name: the definition's ARN without revision). */
function definitionArn(p: Partition, value: unknown, field: string): string {
  const v = localName(p, String(value), 'job-definition', field)
  const colon = v.lastIndexOf(':')
  const revision = colon < 0 ? NaN : Number(v.slice(colon + 1))
  return Number.isInteger(revision) ? arns.batch.jobDefinition(p, v.slice(0, colon), revision) : arn(p, 'batch', `job-definition/${v}`)
}

function tagsOf(input: Input): Pick<Authorization, 'requestTags'> {
  const tags = input.tags
  return tags !== undefined && tags !== null && typeof tags === 'object' ? { requestTags: tags as Record<string, string> } : {}
}

function any(action: string): Authorization {
  return { action, resources: ['*'] }
}

type Path = `/v1/${string}`

function op(name: string, spec: Omit<Operation, 'name' | 'http' | 'readOnly'> & { readOnly?: boolean; path?: Path }): Operation {
  return {
    name,
    http: { method: 'POST', path: spec.path ?? `/v1/${name.toLowerCase()}` },
    readOnly: spec.readOnly ?? readOnlyByName(name),
    ...(spec.required !== undefined ? { required: spec.required } : {}),
    authorize: spec.authorize,
    call: spec.call
  }
}

/** The Batch operations of BatchApi. */
export function batchOperations(batch: BatchService, p: Partition): Operation[] {
  return [
    op('CreateComputeEnvironment', {
      required: ['computeEnvironmentName', 'type'],
      authorize: (i: Input) => ({ action: 'batch:CreateComputeEnvironment', resources: [environmentArn(p, i.computeEnvironmentName, 'computeEnvironmentName')], ...tagsOf(i) }),
      call: (i) => batch.createComputeEnvironment(i)
    }),
    op('UpdateComputeEnvironment', {
      required: ['computeEnvironment'],
      authorize: (i: Input) => ({ action: 'batch:UpdateComputeEnvironment', resources: [environmentArn(p, i.computeEnvironment)] }),
      call: (i) => batch.updateComputeEnvironment(i)
    }),
    op('DeleteComputeEnvironment', {
      required: ['computeEnvironment'],
      authorize: (i: Input) => ({ action: 'batch:DeleteComputeEnvironment', resources: [environmentArn(p, i.computeEnvironment)] }),
      call: (i) => batch.deleteComputeEnvironment(i)
    }),
    op('DescribeComputeEnvironments', { authorize: () => any('batch:DescribeComputeEnvironments'), call: (i) => batch.describeComputeEnvironments(i) }),
    op('CreateJobQueue', {
      required: ['jobQueueName', 'priority'],
      authorize: (i: Input) => ({
        action: 'batch:CreateJobQueue',
        resources: [queueArn(p, i.jobQueueName, 'jobQueueName'), ...orderArns(p, i), ...policyOf(p, i)],
        ...tagsOf(i)
      }),
      call: (i) => batch.createJobQueue(i)
    }),
    op('UpdateJobQueue', {
      required: ['jobQueue'],
      authorize: (i: Input) => ({
        action: 'batch:UpdateJobQueue',
        resources: [queueArn(p, i.jobQueue), ...orderArns(p, i), ...policyOf(p, i)]
      }),
      call: (i) => batch.updateJobQueue(i)
    }),
    op('DeleteJobQueue', {
      required: ['jobQueue'],
      authorize: (i: Input) => ({ action: 'batch:DeleteJobQueue', resources: [queueArn(p, i.jobQueue)] }),
      call: (i) => batch.deleteJobQueue(i)
    }),
    op('DescribeJobQueues', { authorize: () => any('batch:DescribeJobQueues'), call: (i) => batch.describeJobQueues(i) }),
    op('RegisterJobDefinition', {
      required: ['jobDefinitionName', 'type'],
      authorize: (i: Input) => ({
        action: 'batch:RegisterJobDefinition', resources: [definitionArn(p, i.jobDefinitionName, 'jobDefinitionName')], ...tagsOf(i), context: definitionKeys(i)
      }),
      call: (i) => batch.registerJobDefinition(i)
    }),
    op('DeregisterJobDefinition', {
      required: ['jobDefinition'],
      authorize: (i: Input) => ({ action: 'batch:DeregisterJobDefinition', resources: [definitionArn(p, i.jobDefinition, 'jobDefinition')] }),
      call: (i) => batch.deregisterJobDefinition(i)
    }),
    op('DescribeJobDefinitions', { authorize: () => any('batch:DescribeJobDefinitions'), call: (i) => batch.describeJobDefinitions(i) }),
    op('SubmitJob', {
      required: ['jobName', 'jobQueue', 'jobDefinition'],
      authorize: (i: Input) => ({
        action: 'batch:SubmitJob', resources: [queueArn(p, i.jobQueue), definitionArn(p, i.jobDefinition, 'jobDefinition')], ...tagsOf(i),
        ...(typeof i.shareIdentifier === 'string' ? { context: { 'batch:ShareIdentifier': i.shareIdentifier } } : {})
      }),
      call: (i) => batch.submitJob(i)
    }),
    op('DescribeJobs', { required: ['jobs'], authorize: () => any('batch:DescribeJobs'), call: (i) => batch.describeJobs(i) }),
    op('ListJobs', { authorize: () => any('batch:ListJobs'), call: (i) => batch.listJobs(i) }),
    op('CancelJob', {
      required: ['jobId', 'reason'],
      authorize: (i: Input) => ({ action: 'batch:CancelJob', resources: [arns.batch.job(p, String(i.jobId))] }),
      call: (i) => batch.cancelJob(i)
    }),
    op('TerminateJob', {
      required: ['jobId', 'reason'],
      authorize: (i: Input) => ({ action: 'batch:TerminateJob', resources: [arns.batch.job(p, String(i.jobId))] }),
      call: (i) => batch.terminateJob(i)
    })
  ]
}

function orderArns(p: Partition, i: Input): string[] {
  const order = i.computeEnvironmentOrder
  if (!Array.isArray(order)) return []
  return order.flatMap((o, at) => o !== null && typeof o === 'object' && o.computeEnvironment !== undefined
    ? [environmentArn(p, o.computeEnvironment, `computeEnvironmentOrder[${at}].computeEnvironment`)]
    : [])
}

function policyOf(p: Partition, i: Input): string[] {
  return typeof i.schedulingPolicyArn === 'string' ? [schedulingPolicyArn(p, i.schedulingPolicyArn, 'schedulingPolicyArn')] : []
}

/** RegisterJobDefinition's condition keys (batch:Image, batch:Privileged, batch:User) from the container properties. */
function definitionKeys(i: Input): Record<string, string | boolean> {
  const c = i.containerProperties
  const keys: Record<string, string | boolean> = {}
  if (c === null || typeof c !== 'object') return keys
  if (typeof c.image === 'string') keys['batch:Image'] = c.image
  if (typeof c.privileged === 'boolean') keys['batch:Privileged'] = c.privileged
  if (typeof c.user === 'string') keys['batch:User'] = c.user
  return keys
}

/** Batch's exceptions: ClientException (400) or ServerException (500); an IAM denial is AccessDeniedException (403, not in Batch's model). */
export function batchError(err: unknown): WireError {
  const wire = byKind(err, () => 'ClientException', 'ServerException')
  if ((err as { kind?: unknown })?.kind === 'AccessDenied' && wire.status === 400) return { type: 'AccessDeniedException', status: 403, message: wire.message }
  return wire
}

/** The Batch service as the table needs it: the API, and the tags of a resource for aws:ResourceTag/<key>. */
export type TaggedBatch = BatchService & { resourceTags(resourceArn: string): Readonly<Record<string, string>> | undefined }

export function batchTable(batch: TaggedBatch, p: Partition, operations: readonly Operation[] = batchOperations(batch, p)): ServiceTable {
  return {
    signingName: 'batch',
    eventSource: 'batch.amazonaws.com',
    protocol: 'restJson1',
    operations,
    plainJson: true,
    error: batchError,
    invalid: (member, message) => ({ type: 'ClientException', status: 400, message: message || `${member} is required` }),
    resourceTags: (resourceArn) => batch.resourceTags(resourceArn)
  }
}
