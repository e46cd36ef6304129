// What EventBridge refuses, with its exception names as codes: bad input is
// ValidationException naming the member and the limit; a bad pattern is
// InvalidEventPatternException. Nothing is written before these pass.

import { InvalidArgumentError, StratusError } from '../errors.js'
import { validatePattern, type EventPattern } from './pattern.js'
import { LIMITS, type RetryPolicy } from './model.js'

const NAME = /^[.\-_A-Za-z0-9]+$/

export function invalid(field: string, message: string, limit?: number | string): InvalidArgumentError {
  return new InvalidArgumentError('ValidationException', `${field}: ${message}`, { field, ...(limit !== undefined ? { limit } : {}) })
}

/** A name of 1..max characters of [.\-_A-Za-z0-9] (rules, targets' Ids, connections, API destinations). */
export function checkName(value: unknown, field: string, max = 64): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > max) throw invalid(field, `must be 1 to ${max} characters, got ${JSON.stringify(value)}`, max)
  if (!NAME.test(value)) throw invalid(field, `must match [.\\-_A-Za-z0-9]+, got ${JSON.stringify(value)}`, '[.\\-_A-Za-z0-9]+')
  return value
}

export function optionalText(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' || value.length > max) throw invalid(field, `must be a string of at most ${max} characters`, max)
  return value
}

export function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`, `${min}-${max}`)
  }
  return value
}

/** An EventPattern member (JSON text): parsed and checked as EventBridge does. */
export function parsePattern(text: unknown, field = 'EventPattern'): EventPattern {
  if (typeof text !== 'string' || text.length === 0 || text.length > 4096) {
    throw new InvalidArgumentError('InvalidEventPatternException', `${field} must be JSON text of 1 to 4096 characters`, { field, limit: 4096 })
  }
  let pattern: unknown
  try {
    pattern = JSON.parse(text)
  } catch (error) {
    throw new InvalidArgumentError('InvalidEventPatternException', `${field} is not valid JSON: ${(error as Error).message}`, { field })
  }
  try {
    validatePattern(pattern, field)
  } catch (error) {
    if (error instanceof StratusError) throw new InvalidArgumentError('InvalidEventPatternException', error.message, { field: error.field ?? field })
    throw error
  }
  return pattern
}

/** RetryPolicy with EventBridge's bounds and defaults (185 attempts, 24 hours). */
export function retryPolicy(value: RetryPolicy | undefined, field: string): { maximumRetryAttempts: number; maximumEventAgeSeconds: number } {
  const attempts = value?.MaximumRetryAttempts
  const age = value?.MaximumEventAgeInSeconds
  return {
    maximumRetryAttempts: attempts === undefined ? LIMITS.maximumRetryAttempts : integerIn(attempts, `${field}.MaximumRetryAttempts`, 0, LIMITS.maximumRetryAttempts),
    maximumEventAgeSeconds: age === undefined ? LIMITS.maximumEventAgeSeconds
      : integerIn(age, `${field}.MaximumEventAgeInSeconds`, LIMITS.minimumEventAgeSeconds, LIMITS.maximumEventAgeSeconds)
  }
}

/**
 * An API destination's endpoint: an http(s) URL on loopback. Stratus sends
 * traffic to nothing else (the machine's own addresses, 127.0.0.0/8, or
 * localhost), so anything else is refused here rather than failing later.
 */
export function loopbackEndpoint(value: unknown, field = 'InvocationEndpoint'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) throw invalid(field, 'must be an http(s) URL of at most 2048 characters', 2048)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalid(field, `${JSON.stringify(value)} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(field, `must be an http:// or https:// URL, got ${url.protocol}`)
  const host = url.hostname
  const loopback = host === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '[::1]'
  if (!loopback) {
    throw invalid(field, `Stratus only delivers on loopback (127.0.0.0/8 or localhost); ${host} is not`, 'loopback')
  }
  return value
}
