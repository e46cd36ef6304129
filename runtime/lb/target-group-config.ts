// A target group's settings as the data plane checks them (the control
// planes check AWS's ranges; this refuses only what the runtime cannot work
// with) and the health check matcher they make.

import { InvalidArgumentError } from '../errors.js'
import { parseMatcher, type Matcher } from './health-check.js'
import type { TargetGroupConfig } from './model.js'

/**
 * The data plane's own guard (the control planes check AWS's ranges): values
 * the runtime cannot work with — a zero interval would probe in a loop at one
 * instant — are refused with a coded error naming the field.
 */
export function checkConfig(config: TargetGroupConfig): void {
  const hc = config.healthCheck
  const positive: Array<[string, number]> = [['healthCheck.intervalMs', hc.intervalMs], ['healthCheck.timeoutMs', hc.timeoutMs]]
  for (const [field, v] of positive) {
    if (!(Number.isFinite(v) && v > 0)) throw new InvalidArgumentError('InvalidTargetGroupConfig', `${field} must be a positive number of milliseconds, got ${v}`, { field, limit: 1 })
  }
  const counts: Array<[string, number]> = [['healthCheck.healthyThreshold', hc.healthyThreshold], ['healthCheck.unhealthyThreshold', hc.unhealthyThreshold]]
  for (const [field, v] of counts) {
    if (!(Number.isInteger(v) && v >= 1)) throw new InvalidArgumentError('InvalidTargetGroupConfig', `${field} must be a whole number of at least 1, got ${v}`, { field, limit: 1 })
  }
  const durations: Array<[string, number]> = [['deregistrationDelayMs', config.deregistrationDelayMs], ['slowStartMs', config.slowStartMs], ['stickiness.durationMs', config.stickiness.durationMs]]
  for (const [field, v] of durations) {
    if (!(Number.isFinite(v) && v >= 0)) throw new InvalidArgumentError('InvalidTargetGroupConfig', `${field} must be a number of milliseconds of at least 0, got ${v}`, { field, limit: 0 })
  }
  if (hc.port !== 'traffic-port' && !(Number.isInteger(hc.port) && hc.port >= 1 && hc.port <= 65535)) {
    throw new InvalidArgumentError('InvalidTargetGroupConfig', `healthCheck.port must be 'traffic-port' or a port from 1 to 65535, got ${hc.port}`, { field: 'healthCheck.port', limit: '1-65535' })
  }
}

/** Checks the settings, then parses the matcher (TCP checks have none). */
export function matcherFor(config: TargetGroupConfig): Matcher {
  checkConfig(config)
  const hc = config.healthCheck
  if (hc.protocol === 'TCP') return () => true
  // ALB's matcher range is 200–499; NLB's HTTP checks accept 200–599.
  const network = config.protocol === 'TCP' || config.protocol === 'TLS' || config.protocol === 'UDP' || config.protocol === 'TCP_UDP'
  return parseMatcher(hc.matcher, network ? { min: 200, max: 599 } : { min: 200, max: 499 })
}
