// Input rules of the Batch API, each raising a coded error that names the
// field and the limit. Checked before anything is stored.

import { InvalidArgumentError, LimitExceededError } from '../errors.js'
import { checkTags as checkAwsTags } from '../aws/tags.js'
import { localId } from '../aws/arn.js'
import type { Partition } from '../aws/partition.js'

export const LIMITS = {
  nameLength: 128,
  arraySizeMin: 2,
  arraySizeMax: 10_000,
  dependsOn: 20,
  computeEnvironmentsPerQueue: 3,
  minTimeoutSeconds: 60,
  priorityMax: 1000
} as const

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/

export function clientError(field: string, message: string, limit?: number | string): InvalidArgumentError {
  return new InvalidArgumentError('ClientException', `${field}: ${message}`, { field, ...(limit === undefined ? {} : { limit }) })
}

/**
 * The name a name-or-ARN member gives for a Batch resource of `resourceType`
 * (job-queue, compute-environment, job-definition, scheduling-policy). An ARN
 * of another partition, region, account or service is refused naming the
 * member, never resolved by the name it ends in.
 */
export function localName(p: Partition, value: string, resourceType: string, field: string): string {
  const named = localId(p, 'batch', `${resourceType}/`, value)
  if ('refused' in named) throw clientError(field, named.refused)
  return named.id
}

export function checkName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > LIMITS.nameLength || !NAME.test(value)) {
    throw clientError(field, `must be 1 to ${LIMITS.nameLength} letters, digits, hyphens and underscores, starting with a letter or digit; got ${JSON.stringify(value)}`, LIMITS.nameLength)
  }
  return value
}

export function checkInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw clientError(field, `must be an integer from ${min} to ${max}, got ${String(value)}`, value !== undefined && Number(value) < min ? min : max)
  }
  return value
}

/** vCPUs: positive, in steps of a thousandth (the scheduler counts millicores). */
export function checkVcpus(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || Math.round(value * 1000) < 1) {
    throw clientError(field, `must be a positive number of vCPUs, got ${String(value)}`, 0)
  }
  if (value > 2_000_000) throw new LimitExceededError('ClientException', `${field}: ${value} vCPUs is above the limit of 2000000`, { field, limit: 2_000_000 })
  return value
}

export function checkMemory(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 4) {
    throw clientError(field, `must be an integer number of MiB, at least 4, got ${String(value)}`, 4)
  }
  if (value > 0x7fffffff) throw new LimitExceededError('ClientException', `${field}: ${value} MiB is above the limit of ${0x7fffffff}`, { field, limit: 0x7fffffff })
  return value
}

export function checkStringRecord(value: unknown, field: string): Record<string, string> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw clientError(field, 'must be an object of strings')
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw clientError(`${field}.${k}`, `must be a string, got ${typeof v}`)
  }
  return { ...(value as Record<string, string>) }
}

/** Tags as AWS allows them (at most 50; keys 1-128 characters, values up to 256, no aws: prefix). */
export function checkTags(value: unknown, field: string): Record<string, string> | undefined {
  return checkAwsTags(value, field, 'ClientException')
}

export function checkCommand(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw clientError(field, 'must be an array of strings')
  return [...value]
}
