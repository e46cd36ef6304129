// The rules CloudWatch Logs' model states for names and retention, checked
// before anything is written (a refusal names the member and the limit).

import { invalid } from './errors.js'

export const GROUP_NAME = { min: 1, max: 512, pattern: /^[.\-_/#A-Za-z0-9]+$/ } as const
/** Stream names: 1–512 characters, no `:` and no `*`. */
export const STREAM_NAME = { min: 1, max: 512, pattern: /^[^:*]*$/ } as const

/** PutRetentionPolicy's documented values. */
export const RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]

export function checkGroupName(value: unknown, field = 'logGroupName'): string {
  if (typeof value !== 'string') throw invalid(field, 'is required: a log group name (1 to 512 characters of [.-_/#A-Za-z0-9])')
  if (value.length < GROUP_NAME.min || value.length > GROUP_NAME.max) {
    throw invalid(field, `must be 1 to ${GROUP_NAME.max} characters, got ${value.length}`, value.length < GROUP_NAME.min ? GROUP_NAME.min : GROUP_NAME.max)
  }
  if (!GROUP_NAME.pattern.test(value)) throw invalid(field, `may hold only the characters [.-_/#A-Za-z0-9], got ${JSON.stringify(value.slice(0, 100))}`)
  return value
}

export function checkStreamName(value: unknown, field = 'logStreamName'): string {
  if (typeof value !== 'string') throw invalid(field, 'is required: a log stream name (1 to 512 characters, no : or *)')
  if (value.length < STREAM_NAME.min || value.length > STREAM_NAME.max) {
    throw invalid(field, `must be 1 to ${STREAM_NAME.max} characters, got ${value.length}`, value.length < STREAM_NAME.min ? STREAM_NAME.min : STREAM_NAME.max)
  }
  if (!STREAM_NAME.pattern.test(value)) throw invalid(field, `may not hold : or *, got ${JSON.stringify(value.slice(0, 100))}`)
  return value
}

export function checkRetention(value: unknown): number {
  if (typeof value !== 'number' || !RETENTION_DAYS.includes(value)) {
    throw invalid('retentionInDays', `must be one of ${RETENTION_DAYS.join(', ')}, got ${String(value)}`)
  }
  return value
}
