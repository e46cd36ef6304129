// The one ARN builder of the engine: every service builds and reads ARNs
// here, in AWS's format arn:<partition>:<service>:<region>:<account>:<resource>.

import { createHash } from 'node:crypto'
import type { Partition } from './partition.js'

export type ArnService = 'batch' | 'ecs' | 'ecr' | 'lightsail' | 'logs' | 'events' | 'iam' | 'elasticloadbalancing'

export function arn(p: Partition, service: ArnService, resource: string, options: { global?: boolean } = {}): string {
  return `arn:${p.partition}:${service}:${options.global ? '' : p.region}:${p.accountId}:${resource}`
}

export interface ParsedArn {
  partition: string
  service: string
  region: string
  accountId: string
  resource: string
}

export function parseArn(value: string): ParsedArn | undefined {
  if (typeof value !== 'string' || !value.startsWith('arn:')) return undefined
  const parts = value.split(':')
  if (parts.length < 6) return undefined
  const [, partition, service, region, accountId] = parts
  return { partition, service, region, accountId, resource: parts.slice(5).join(':') }
}

/**
 * What a request's name-or-ARN member names among this engine's resources:
 * a plain name is itself; an ARN must be of this partition, region and
 * account, of `service`, and its resource must start with `prefix`
 * (`job-queue/`, `log-group:`), the id being what follows. Any other ARN names
 * nothing here, whatever name it ends in: `refused` says why, for the caller
 * to refuse it naming its member (an ARN of another account must never reach
 * the local resource of the same name, nor be what IAM is asked about).
 */
export function localId(p: Partition, service: ArnService, prefix: string, value: string): { id: string } | { refused: string } {
  if (!value.startsWith('arn:')) return { id: value }
  const parsed = parseArn(value)
  const shown = value.length > 300 ? `${value.slice(0, 300)}…` : value
  if (parsed === undefined) return { refused: `${shown} is not a valid ARN` }
  if (parsed.partition !== p.partition || parsed.region !== p.region || parsed.accountId !== p.accountId) {
    return { refused: `${shown} is not in this partition, account and region (${p.partition}, ${p.accountId}, ${p.region})` }
  }
  if (parsed.service !== service) return { refused: `${shown} is not a ${service} ARN` }
  if (!parsed.resource.startsWith(prefix) || parsed.resource.length === prefix.length) {
    return { refused: `${shown} is not a ${prefix.slice(0, -1)} ARN (${arn(p, service, `${prefix}<name>`)})` }
  }
  return { id: parsed.resource.slice(prefix.length) }
}

/**
 * The name in an ARN of the given resource type (`job-queue`), or the string
 * itself when it is a plain name. For ARNs the engine built and stored itself
 * only: it ignores partition, region and account; a request's member goes
 * through localId.
 */
export function nameFromArn(value: string, resourceType: string): string {
  const marker = `:${resourceType}/`
  const at = value.indexOf(marker)
  return value.startsWith('arn:') && at >= 0 ? value.slice(at + marker.length) : value
}

/** ARNs of the services, each built in one place. */
export const arns = {
  batch: {
    computeEnvironment: (p: Partition, name: string) => arn(p, 'batch', `compute-environment/${name}`),
    jobQueue: (p: Partition, name: string) => arn(p, 'batch', `job-queue/${name}`),
    jobDefinition: (p: Partition, name: string, revision: number) => arn(p, 'batch', `job-definition/${name}:${revision}`),
    job: (p: Partition, jobId: string) => arn(p, 'batch', `job/${jobId}`),
    schedulingPolicy: (p: Partition, name: string) => arn(p, 'batch', `scheduling-policy/${name}`)
  },
  ecs: {
    cluster: (p: Partition, name: string) => arn(p, 'ecs', `cluster/${name}`),
    containerInstance: (p: Partition, cluster: string, id: string) => arn(p, 'ecs', `container-instance/${cluster}/${id}`),
    /** task/<cluster>/<32 hex digits>; the id is derived from a run id, so the same run always has the same ARN. */
    task: (p: Partition, cluster: string, runId: string) => arn(p, 'ecs', `task/${cluster}/${taskIdOf(runId)}`),
    taskDefinition: (p: Partition, family: string, revision: number) => arn(p, 'ecs', `task-definition/${family}:${revision}`),
    service: (p: Partition, cluster: string, name: string) => arn(p, 'ecs', `service/${cluster}/${name}`),
    /** task-set/<cluster>/<service>/ecs-svc/<19 digits> (the id is ecs-svc/<digits>). */
    taskSet: (p: Partition, cluster: string, service: string, id: string) => arn(p, 'ecs', `task-set/${cluster}/${service}/${id}`)
  },
  ecr: {
    repository: (p: Partition, name: string) => arn(p, 'ecr', `repository/${name}`)
  },
  logs: {
    /** As DescribeLogGroups reports it and IAM matches it: with the trailing `:*`. */
    logGroup: (p: Partition, name: string) => arn(p, 'logs', `log-group:${name}:*`),
    logStream: (p: Partition, group: string, stream: string) => arn(p, 'logs', `log-group:${group}:log-stream:${stream}`)
  }
} as const

/** The 32-hex-digit ECS task id of a run id. */
export function taskIdOf(runId: string): string {
  return createHash('md5').update(runId).digest('hex')
}

/** The ARN of child `index` of an array job: the parent's, with `:<index>` (as AWS builds it). */
export function childJobArn(jobArn: string, index: number): string {
  return `${jobArn}:${index}`
}
