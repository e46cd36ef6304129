// What the CloudWatch Logs operations share: the engine's store (groups and
// streams of any name), the LogStore (Batch's job output), the engine's clock
// and partition, page tokens, and what Batch knows of each stream's attempt.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { arns, localId } from '../aws/arn.js'
import type { Partition } from '../aws/partition.js'
import type { PageTokens } from '../aws/pagination.js'
import type { Store } from '../store/store.js'
import { invalid } from './errors.js'
import type { LogStore } from './log-store.js'

export { groupNotFound, invalid, streamNotFound } from './errors.js'

/** What the owner of a stream (Batch) knows of its attempt. */
export interface StreamAttempt {
  startedAt?: number
  stoppedAt?: number
  /** Still running: its output may grow. */
  live: boolean
}

export interface LogsContext {
  readonly store: Store
  readonly logs: LogStore
  readonly now: () => number
  readonly partition: Partition
  readonly tokens: PageTokens
  readonly attempt: (logStreamName: string) => StreamAttempt | undefined
  /** HMAC key of GetLogEvents' tokens (they must repeat exactly: see eventToken). */
  readonly secret: Buffer
}

export function newSecret(): Buffer {
  return randomBytes(32)
}

/** An optional integer member in [min, max]. */
export function checkLimit(value: unknown, field: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `must be an integer from ${min} to ${max}, got ${String(value)}`, typeof value === 'number' && value < min ? min : max)
  }
  return value
}

/** An optional epoch-ms member. */
export function checkTime(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalid(field, `must be epoch milliseconds (a non-negative integer), got ${String(value)}`, 0)
  return value
}

/** A group's name from a name or an ARN (`arn:…:logs:<region>:<account>:log-group:<name>[:*]`). */
export function groupName(ctx: LogsContext, value: string): string {
  if (!value.startsWith('arn:')) return value
  // Another partition's, region's or account's group is none of this engine's: '' is found nowhere.
  const named = localId(ctx.partition, 'logs', 'log-group:', value)
  if ('refused' in named) return ''
  return named.id.endsWith(':*') ? named.id.slice(0, -2) : named.id
}

export function groupArn(ctx: LogsContext, name: string): string {
  return arns.logs.logGroup(ctx.partition, name)
}

/**
 * GetLogEvents' tokens: `f/<n>` or `b/<n>` (a position among the stream's
 * events) with a MAC binding them to the request. No expiry inside, so asking
 * again with nothing new gives the very same forward token (the aws CLI and
 * the SDK paginators stop on that).
 */
export function eventToken(ctx: LogsContext, scope: string, direction: 'f' | 'b', position: number): string {
  const body = `${direction}/${position}`
  return `${body}/${createHmac('sha256', ctx.secret).update(`${scope}|${body}`).digest('base64url').slice(0, 16)}`
}

export function readEventToken(ctx: LogsContext, scope: string, token: unknown): { direction: 'f' | 'b'; position: number } {
  const m = typeof token === 'string' ? /^([fb])\/(\d{1,12})\/([A-Za-z0-9_-]{16})$/.exec(token) : null
  if (m === null) throw invalid('nextToken', 'is not a token GetLogEvents returned')
  const expected = Buffer.from(eventToken(ctx, scope, m[1] as 'f' | 'b', Number(m[2])).slice(-16))
  if (!timingSafeEqual(expected, Buffer.from(m[3]))) throw invalid('nextToken', 'was issued for another stream or time range')
  return { direction: m[1] as 'f' | 'b', position: Number(m[2]) }
}
