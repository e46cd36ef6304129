// A health check's status from its probes' results, as Docker (and so the ECS
// agent) counts them: a pass makes it HEALTHY and resets the count; a failure
// counts only after the start period, and `retries` consecutive ones make it
// UNHEALTHY. UNKNOWN until the first result that decides. Used by the runners
// that run the checks themselves (simulated); the docker runner reads
// Docker's own.
import type { HealthCheck, HealthStatus } from './runner.js'
import { HEALTH_CHECK_DEFAULTS } from './validation.js'

export class HealthTracker {
  status: HealthStatus = 'UNKNOWN'
  #failures = 0
  readonly intervalMs: number
  readonly #retries: number
  readonly #startPeriodMs: number

  constructor(check: HealthCheck) {
    this.intervalMs = (check.intervalSeconds ?? HEALTH_CHECK_DEFAULTS.intervalSeconds) * 1000
    this.#retries = check.retries ?? HEALTH_CHECK_DEFAULTS.retries
    this.#startPeriodMs = (check.startPeriodSeconds ?? HEALTH_CHECK_DEFAULTS.startPeriodSeconds) * 1000
  }

  /** A probe's result, `sinceStartMs` after the container started: true when the status changed. */
  record(passed: boolean, sinceStartMs: number): boolean {
    const before = this.status
    if (passed) {
      this.#failures = 0
      this.status = 'HEALTHY'
    } else if (sinceStartMs >= this.#startPeriodMs && ++this.#failures >= this.#retries) {
      this.status = 'UNHEALTHY'
    }
    return this.status !== before
  }
}
