// Retry strategy: evaluateOnExit rules decide whether a failed attempt is
// retried. The first rule whose conditions all match decides; when none
// matches, the job is retried (AWS's documented default) while attempts remain.

import { InvalidArgumentError } from '../errors.js'
import type { EvaluateOnExit, RetryStrategy } from './model.js'

export const MAX_ATTEMPTS = 10
export const MAX_EVALUATE_ON_EXIT = 5
const MAX_PATTERN = 512
const EXIT_CODE_PATTERN = /^[0-9]*\*?$/
const REASON_PATTERN = /^[A-Za-z0-9.: \t]*\*?$/

/** Glob of AWS's flavour: literal text, optionally ending in * (prefix match). */
export function globMatches(pattern: string, value: string): boolean {
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1))
  return value === pattern
}

export interface AttemptOutcome {
  exitCode?: number
  /** The container reason (e.g. OutOfMemoryError…). */
  reason?: string
  statusReason?: string
}

function ruleMatches(rule: EvaluateOnExit, outcome: AttemptOutcome): boolean {
  if (rule.onExitCode !== undefined && (outcome.exitCode === undefined || !globMatches(rule.onExitCode, String(outcome.exitCode)))) return false
  if (rule.onReason !== undefined && (outcome.reason === undefined || !globMatches(rule.onReason, outcome.reason))) return false
  if (rule.onStatusReason !== undefined && (outcome.statusReason === undefined || !globMatches(rule.onStatusReason, outcome.statusReason))) return false
  return true
}

/** Should a failed attempt number `attempt` (1-based) be retried? */
export function shouldRetry(strategy: RetryStrategy | undefined, attempt: number, outcome: AttemptOutcome): boolean {
  const attempts = strategy?.attempts ?? 1
  if (attempt >= attempts) return false
  for (const rule of strategy?.evaluateOnExit ?? []) {
    if (ruleMatches(rule, outcome)) return rule.action.toUpperCase() === 'RETRY'
  }
  return true
}

export function validateRetryStrategy(strategy: RetryStrategy | undefined, field: string): void {
  if (strategy === undefined) return
  if (strategy === null || typeof strategy !== 'object') throw new InvalidArgumentError('ClientException', `${field} must be an object`, { field })
  const attempts = strategy.attempts
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 1 || attempts > MAX_ATTEMPTS)) {
    throw new InvalidArgumentError('ClientException', `${field}.attempts must be an integer from 1 to ${MAX_ATTEMPTS}, got ${attempts}`, { field: `${field}.attempts`, limit: typeof attempts === 'number' && attempts < 1 ? 1 : MAX_ATTEMPTS })
  }
  const rules = strategy.evaluateOnExit ?? []
  if (!Array.isArray(rules)) throw new InvalidArgumentError('ClientException', `${field}.evaluateOnExit must be an array`, { field: `${field}.evaluateOnExit` })
  if (rules.length > MAX_EVALUATE_ON_EXIT) {
    throw new InvalidArgumentError('ClientException', `${field}.evaluateOnExit has ${rules.length} rules; the limit is ${MAX_EVALUATE_ON_EXIT}`, { field: `${field}.evaluateOnExit`, limit: MAX_EVALUATE_ON_EXIT })
  }
  rules.forEach((rule, i) => {
    const at = `${field}.evaluateOnExit[${i}]`
    if (typeof rule?.action !== 'string' || !['RETRY', 'EXIT'].includes(rule.action.toUpperCase())) {
      throw new InvalidArgumentError('ClientException', `${at}.action must be RETRY or EXIT, got ${String(rule?.action)}`, { field: `${at}.action` })
    }
    const check = (key: 'onExitCode' | 'onReason' | 'onStatusReason', allowed: RegExp, what: string) => {
      const value = rule[key]
      if (value === undefined) return
      if (typeof value !== 'string' || value.length > MAX_PATTERN || !allowed.test(value)) {
        throw new InvalidArgumentError('ClientException', `${at}.${key} must be ${what}, at most ${MAX_PATTERN} characters, optionally ending in *`, { field: `${at}.${key}`, limit: MAX_PATTERN })
      }
    }
    check('onExitCode', EXIT_CODE_PATTERN, 'digits')
    check('onReason', REASON_PATTERN, 'letters, digits, periods, colons and white space')
    check('onStatusReason', REASON_PATTERN, 'letters, digits, periods, colons and white space')
  })
}
