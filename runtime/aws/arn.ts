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

/** The name in an ARN of the given resource type (`job-queue`), or the string itself when it is a plain name. */
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
    service: (p: Partition, cluster: string, name: string) => arn(p, 'ecs', `service/${cluster}/${name}`)
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
