// ALB's automatic target weights (ATW) for weighted_random target groups:
// anomaly detection compares each target's error ratio (5xx answers, and
// connections refused, reset or timed out) with the rest of its group's over
// a sliding window on the Clock; a target with a disproportionate ratio is
// `anomalous`. With load_balancing.algorithm.anomaly_mitigation on, an
// anomalous target's weight drops to a floor, and once it is normal again it
// ramps back up linearly, as ALB "slowly increases traffic back".
//
// As ALB: detection needs at least three healthy targets (fewer: every
// target is normal), and at most half of a group's targets are treated as
// anomalous at once (the worst ones), so a group-wide failure is not
// "mitigated" into sending everything to one target.
//
// The thresholds are this engine's (ALB does not publish its own): at least
// MIN_REQUESTS requests in the window, an error ratio of at least 10%, and
// at least twice the others' ratio plus 5 points.

import type { Clock } from '../clock/clock.js'

export const WINDOW_MS = 60_000
const BUCKETS = 6
const BUCKET_MS = WINDOW_MS / BUCKETS
export const MIN_REQUESTS = 20
/** The weight of a mitigated target, against 1 for the others. */
export const MITIGATED_WEIGHT = 0.05
/** Back from the floor to full weight after the target turns normal. */
export const RECOVERY_MS = 60_000

interface Counts {
  /** Per bucket (ring): requests and errors, and the bucket number each slot holds. */
  requests: Float64Array
  errors: Float64Array
  slot: Float64Array
  anomalous: boolean
  /** When it turned normal after being mitigated (recovery ramp); undefined: at full weight. */
  recoveringSince: number | undefined
}

export interface AnomalyView {
  result: 'anomalous' | 'normal'
  mitigationInEffect: 'yes' | 'no'
}

export class AnomalyDetector {
  readonly #clock: Clock
  readonly #targets = new Map<string, Counts>()
  /** The bucket the last evaluation ran in (evaluations run at most once per bucket). */
  #evaluatedIn = -1
  mitigation = false

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** One finished exchange with a target. */
  record(key: string, error: boolean): void {
    const bucket = Math.floor(this.#clock.monotonic() / BUCKET_MS)
    let c = this.#targets.get(key)
    if (c === undefined) {
      c = { requests: new Float64Array(BUCKETS), errors: new Float64Array(BUCKETS), slot: new Float64Array(BUCKETS).fill(-1), anomalous: false, recoveringSince: undefined }
      this.#targets.set(key, c)
    }
    const i = bucket % BUCKETS
    if (c.slot[i] !== bucket) {
      c.slot[i] = bucket
      c.requests[i] = 0
      c.errors[i] = 0
    }
    c.requests[i]!++
    if (error) c.errors[i]!++
  }

  forget(key: string): void {
    this.#targets.delete(key)
  }

  /** Re-evaluates which of the healthy targets are anomalous (at most once per bucket unless forced). */
  evaluate(healthy: readonly string[], force = false): void {
    const now = this.#clock.monotonic()
    const bucket = Math.floor(now / BUCKET_MS)
    if (!force && bucket === this.#evaluatedIn) return
    this.#evaluatedIn = bucket
    const totals = healthy.map((key) => this.#windowOf(key, bucket))
    let requests = 0
    let errors = 0
    for (const t of totals) {
      requests += t.requests
      errors += t.errors
    }
    const suspects: Array<{ key: string; ratio: number }> = []
    if (healthy.length >= 3) {
      healthy.forEach((key, i) => {
        const t = totals[i]!
        if (t.requests < MIN_REQUESTS) return
        const ratio = t.errors / t.requests
        const otherRequests = requests - t.requests
        const others = otherRequests > 0 ? (errors - t.errors) / otherRequests : 0
        if (ratio >= 0.1 && ratio >= 2 * others + 0.05) suspects.push({ key, ratio })
      })
    }
    suspects.sort((a, b) => b.ratio - a.ratio)
    const anomalous = new Set(suspects.slice(0, Math.floor(healthy.length / 2)).map((s) => s.key))
    for (const [key, c] of this.#targets) {
      const now_ = anomalous.has(key)
      if (c.anomalous && !now_) c.recoveringSince = now
      if (now_) c.recoveringSince = undefined
      c.anomalous = now_
    }
  }

  /** The target's weight under mitigation (1 when mitigation is off or the target normal and recovered). */
  weight(key: string): number {
    if (!this.mitigation) return 1
    const c = this.#targets.get(key)
    if (c === undefined) return 1
    if (c.anomalous) return MITIGATED_WEIGHT
    if (c.recoveringSince === undefined) return 1
    const w = MITIGATED_WEIGHT + ((this.#clock.monotonic() - c.recoveringSince) / RECOVERY_MS) * (1 - MITIGATED_WEIGHT)
    if (w >= 1) {
      c.recoveringSince = undefined
      return 1
    }
    return w
  }

  /** What DescribeTargetHealth's AnomalyDetection says of a target. */
  view(key: string): AnomalyView {
    const c = this.#targets.get(key)
    const anomalous = c?.anomalous === true
    return { result: anomalous ? 'anomalous' : 'normal', mitigationInEffect: this.mitigation && (anomalous || c?.recoveringSince !== undefined) ? 'yes' : 'no' }
  }

  #windowOf(key: string, bucket: number): { requests: number; errors: number } {
    const c = this.#targets.get(key)
    let requests = 0
    let errors = 0
    if (c !== undefined) {
      for (let i = 0; i < BUCKETS; i++) {
        if (c.slot[i]! > bucket - BUCKETS) {
          requests += c.requests[i]!
          errors += c.errors[i]!
        }
      }
    }
    return { requests, errors }
  }
}
