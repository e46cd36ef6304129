// The choosing half of a target group (target-group.ts keeps the states and
// the health checks): a target's entry, the routable set (healthy and
// unavailable targets, or every registered one that can take traffic when too
// few are: fail-open), the weights slow start and anomaly mitigation give, and
// the hand-out of a picked target with its release and NLB termination.

import type { TimerHandle } from '../clock/clock.js'
import type { AnomalyDetector } from './anomaly.js'
import { slowStartWeight, type Candidate } from './balancing.js'
import type { Picked, TargetGroupConfig, TargetReason, TargetSpec, TargetState } from './model.js'

export interface TargetEntry extends Candidate {
  readonly key: string
  readonly spec: TargetSpec
  inFlight: number
  state: TargetState
  reason: TargetReason | undefined
  description: string | undefined
  successes: number
  failures: number
  /** The next health check. */
  timer: TimerHandle | undefined
  /** The health check in flight. */
  probing: AbortController | undefined
  /** Leaves at the deregistration delay. */
  drainTimer: TimerHandle | undefined
  /** Slow start: when the target turned healthy (undefined: at full share). */
  slowStartSince: number | undefined
  /** In the routable set the group last computed. */
  routable: boolean
  /** Started with its group (setInUse(true)): no slow start on its first turn to healthy. */
  withGroup: boolean
  /** NLB connection termination: how each open connection to it is ended. */
  terminators: Set<() => void> | undefined
}

/** A new target's entry (state initial, nothing in flight). */
export function newEntry(key: string, spec: TargetSpec): TargetEntry {
  return {
    key, spec: { ...spec }, inFlight: 0, state: 'initial', reason: undefined, description: undefined, successes: 0, failures: 0,
    timer: undefined, probing: undefined, drainTimer: undefined, slowStartSince: undefined, routable: false, withGroup: false, terminators: undefined
  }
}

/**
 * The targets requests go to, each marked routable: the healthy (and
 * unavailable) ones; when none is, or fewer than the minimum healthy targets
 * (a count, or a percentage of the registered ones), every registered target
 * that can take traffic (not draining, not a gone instance's).
 */
export function routableSet(entries: Iterable<TargetEntry>, min: TargetGroupConfig['minimumHealthy']): TargetEntry[] {
  const all = [...entries]
  let set: TargetEntry[] = []
  let registered = 0
  for (const e of all) {
    if (e.state !== 'draining' && e.reason !== 'Target.InvalidState') registered++
    if (e.state === 'healthy' || e.state === 'unavailable') set.push(e)
  }
  const tooFew = set.length === 0 || (min !== undefined &&
    (set.length < min.count || (min.percentage !== undefined && set.length * 100 < min.percentage * registered)))
  if (tooFew) set = all.filter((e) => e.state !== 'draining' && e.reason !== 'Target.InvalidState')
  for (const e of set) e.routable = true
  return set
}

/** Slow start: whether a target turning healthy ramps up — another healthy target is at full share (ALB: round robin only). */
export function slowStartBegins(e: TargetEntry, entries: Iterable<TargetEntry>, config: TargetGroupConfig): boolean {
  // Targets that start with their group (it has just come into use) are all new: none ramps up.
  if (config.slowStartMs <= 0 || config.algorithm !== 'round_robin' || e.withGroup) return false
  for (const other of entries) {
    if (other !== e && other.state === 'healthy' && other.slowStartSince === undefined) return true
  }
  return false
}

/** Slow start's weights at `now` (undefined: every candidate at full share); a target whose ramp is over leaves it. */
export function slowStartWeights(candidates: readonly TargetEntry[], slowStartMs: number, now: number): number[] | undefined {
  let weights: number[] | undefined
  for (let i = 0; i < candidates.length; i++) {
    const since = candidates[i].slowStartSince
    if (since === undefined) continue
    const w = slowStartWeight(since, slowStartMs, now)
    if (w >= 1) {
      candidates[i].slowStartSince = undefined
      continue
    }
    weights ??= new Array<number>(candidates.length).fill(1)
    weights[i] = w
  }
  return weights
}

/** Anomaly mitigation's weights (undefined: every candidate at full weight). */
export function mitigatedWeights(anomaly: AnomalyDetector, candidates: readonly TargetEntry[], healthyKeys: readonly string[]): number[] | undefined {
  anomaly.evaluate(healthyKeys)
  let weights: number[] | undefined
  for (let i = 0; i < candidates.length; i++) {
    const w = anomaly.weight(candidates[i]!.key)
    if (w >= 1) continue
    weights ??= new Array<number>(candidates.length).fill(1)
    weights[i] = w
  }
  return weights
}

/** Hands out a picked target: one more in flight until released (once); `outcome` hears a release that says how it went. */
export function handOut(e: TargetEntry, outcome: (e: TargetEntry, result: 'success' | 'error') => void): Picked {
  e.inFlight++
  let released = false
  let ender: (() => void) | undefined
  return {
    target: e.spec,
    key: e.key,
    release: (result) => {
      if (released) return
      released = true
      if (result !== undefined) outcome(e, result)
      e.inFlight--
      if (ender !== undefined) e.terminators?.delete(ender)
    },
    onTerminate: (end) => {
      if (released) return
      ender = end
      ;(e.terminators ??= new Set()).add(end)
    }
  }
}

/** Ends every connection open to the target (NLB connection termination). */
export function terminate(e: TargetEntry): void {
  const enders = e.terminators
  e.terminators = undefined
  if (enders !== undefined) for (const end of enders) end()
}
