// One target group at run time (TargetGroupRuntime, model.ts): its targets
// and their health states, the health checks on the engine's Clock, draining
// on deregistration, and the choice of a target for each request or
// connection (algorithm, slow start, stickiness, fail-open).
//
// States and reasons follow ELBv2's DescribeTargetHealth:
//   register ─► initial (Elb.RegistrationInProgress) ─first check─► initial (Elb.InitialHealthChecking)
//     ─1 success─► healthy ─unhealthyThreshold failures─► unhealthy ─healthyThreshold successes─► healthy
//   (a new target needs one passing check, as ALB's and NLB's guides say; an
//   initial one that fails unhealthyThreshold checks in a row turns unhealthy)
//   deregister ─► draining (Target.DeregistrationInProgress) ─the delay─► gone
//   (no new requests from the deregistration on; ELB's guides: a target with
//   nothing in flight is deregistered at once but "displayed as draining until
//   the deregistration delay timeout expires", so it is shown, and waited on by
//   ECS, for the whole delay; delay 0: gone at once, or at the next instant
//   with requests in flight)
//   not used by a listener: unused (Target.NotInUse), no checks; checks off: unavailable (Target.HealthCheckDisabled)
//   its instance gone (TargetSpec.usable false, asked at each check): unused (Target.InvalidState),
//   no checks, no traffic, looked at each interval; usable again: initial, as a new registration
//
// pick() routes to healthy (and unavailable) targets; when none is, or fewer than the
// group's minimum healthy targets (a count, default 1, or a percentage of the registered
// ones), to every registered target that is not draining (fail-open, as ALB does).

import type { Clock } from '../clock/clock.js'
import { AnomalyDetector } from './anomaly.js'
import { balancerFor, bySourceIp, fnv1a, type Balancer } from './balancing.js'
import { DESCRIPTIONS, healthCheckPort, probe, type Matcher, type ProbeResult } from './health-check.js'
import type { PickRequest, Picked, TargetGroupConfig, TargetGroupRuntime, TargetHealth, TargetReason, TargetSpec, TargetState } from './model.js'
import { defaultStickyCodec, StickyCodec } from './sticky.js'
import { matcherFor } from './target-group-config.js'
import { handOut, mitigatedWeights, newEntry, routableSet, slowStartBegins, slowStartWeights, terminate, type TargetEntry as Entry } from './target-choice.js'

/**
 * Probes younger than this (real time) keep a ManualClock's advance() waiting
 * for their answer; an older one is taken to hang (its timeout is a timer on
 * the clock that the advance must be free to fire). Generous, so that a live
 * target on a loaded machine is not mistaken for a hanging one.
 */
const YOUNG_PROBE_MS = 500

export interface TargetGroupOptions {
  clock: Clock
  /** The sticky cookies' secret (the process's random one when not given). */
  secret?: Buffer
}

const keyOf = (t: { id: string; port: number }) => `${t.id}:${t.port}`

export class TargetGroup implements TargetGroupRuntime {
  #config: TargetGroupConfig
  readonly #clock: Clock
  readonly #codec: StickyCodec
  readonly #targets = new Map<string, Entry>()
  readonly #listeners = new Set<(health: TargetHealth, previous: TargetState | undefined) => void>()
  #matcher: Matcher
  #balancer: Balancer
  /** weighted_random HTTP(S) groups: automatic target weights. */
  #anomaly: AnomalyDetector | undefined
  #inUse = false
  /** Where health checks connect from (setInUse's `from`). */
  #from: string | undefined
  #closed = false
  /** The routable targets (cached until a state changes). */
  #routable: Entry[] | undefined
  #young = 0
  readonly #removeProbe: (() => void) | undefined

  constructor(config: TargetGroupConfig, o: TargetGroupOptions) {
    this.#config = config
    this.#clock = o.clock
    this.#codec = o.secret === undefined ? defaultStickyCodec() : new StickyCodec(o.secret)
    this.#matcher = matcherFor(config)
    this.#balancer = balancerFor(config.algorithm, fnv1a(config.key))
    this.#anomaly = this.#detectorFor(config)
    // A manual clock's advance() waits for a probe's answer (it decides the next state and timer),
    // but not past YOUNG_PROBE_MS of real time: that target hangs, and its timeout is a timer on the clock.
    this.#removeProbe = o.clock.addBusyProbe?.(() => this.#young > 0)
  }

  get config(): TargetGroupConfig {
    return this.#config
  }

  update(config: TargetGroupConfig): void {
    if (this.#closed) return
    const before = this.#config
    const matcher = matcherFor(config)
    this.#config = config
    this.#matcher = matcher
    if (before.algorithm !== config.algorithm) this.#balancer = balancerFor(config.algorithm, fnv1a(config.key))
    if (before.algorithm !== config.algorithm || before.protocol !== config.protocol) this.#anomaly = this.#detectorFor(config)
    else if (this.#anomaly !== undefined) this.#anomaly.mitigation = config.anomalyMitigation === true
    if (config.slowStartMs <= 0 || config.algorithm !== 'round_robin') for (const e of this.#targets.values()) e.slowStartSince = undefined
    const hc = before.healthCheck
    const changed = JSON.stringify(hc) !== JSON.stringify(config.healthCheck)
    if (!changed) return this.#invalidate()
    for (const e of this.#targets.values()) {
      if (e.state === 'draining') continue
      this.#stopChecks(e)
      if (!this.#inUse) continue
      if (!config.healthCheck.enabled) {
        this.#start(e, e.state)
      } else {
        if (!hc.enabled) this.#set(e, 'initial', 'Elb.RegistrationInProgress')
        this.#schedule(e, 0)
      }
    }
    this.#invalidate()
  }

  register(targets: readonly TargetSpec[]): void {
    if (this.#closed) return
    for (const spec of targets) {
      const key = keyOf(spec)
      const existing = this.#targets.get(key)
      if (existing !== undefined && existing.state !== 'draining') continue
      if (existing !== undefined) this.#leave(existing, false)
      const e = newEntry(key, spec)
      this.#targets.set(key, e)
      this.#start(e, existing?.state)
    }
    this.#invalidate()
  }

  deregister(targets: readonly { id: string; port: number }[]): void {
    if (this.#closed) return
    for (const t of targets) {
      const e = this.#targets.get(keyOf(t))
      if (e === undefined || e.state === 'draining') continue
      this.#stopChecks(e)
      e.slowStartSince = undefined
      this.#set(e, 'draining', 'Target.DeregistrationInProgress')
      this.#drainFor(e, this.#config.deregistrationDelayMs)
    }
    this.#invalidate()
  }

  resumeDraining(targets: readonly TargetSpec[], remainingMs: number): void {
    if (this.#closed) return
    for (const spec of targets) {
      const key = keyOf(spec)
      if (this.#targets.has(key)) continue
      const e = newEntry(key, spec)
      this.#targets.set(key, e)
      this.#set(e, 'draining', 'Target.DeregistrationInProgress', undefined, { was: undefined })
      this.#drainFor(e, Math.max(0, remainingMs))
    }
    this.#invalidate()
  }

  /** A draining target leaves after `delayMs` (0 with nothing in flight: at once). */
  #drainFor(e: Entry, delayMs: number): void {
    if (delayMs <= 0 && e.inFlight === 0) return this.#leave(e, true)
    e.drainTimer = this.#clock.setTimeout(() => {
      e.drainTimer = undefined
      if (this.#targets.get(e.key) === e) this.#leave(e, true)
    }, delayMs)
  }

  setInUse(inUse: boolean, from?: string): void {
    if (this.#closed) return
    this.#from = from
    if (inUse === this.#inUse) return
    this.#inUse = inUse
    for (const e of this.#targets.values()) {
      if (e.state === 'draining') continue
      this.#stopChecks(e)
      e.slowStartSince = undefined
      e.withGroup = inUse
      if (inUse) this.#start(e, e.state)
      else this.#set(e, 'unused', 'Target.NotInUse')
    }
    this.#invalidate()
  }

  /** Requests and connections open to the group's targets (draining ones too): what least_outstanding_requests counts, per target. */
  get inFlight(): number {
    let n = 0
    for (const e of this.#targets.values()) n += e.inFlight
    return n
  }

  health(targets?: readonly { id: string; port: number }[]): TargetHealth[] {
    this.#anomaly?.evaluate(this.#healthyKeys())
    if (targets === undefined) return [...this.#targets.values()].map((e) => this.#health(e))
    return targets.map((t) => {
      const e = this.#targets.get(keyOf(t))
      if (e !== undefined) return this.#health(e)
      return {
        id: t.id, port: t.port, host: t.id, healthCheckPort: String(healthCheckPort(this.#config.healthCheck, t)),
        state: 'unused', reason: 'Target.NotRegistered', description: DESCRIPTIONS['Target.NotRegistered']
      }
    })
  }

  pick(request: PickRequest): Picked | undefined {
    if (this.#closed) return undefined
    const candidates = this.#routableSet()
    if (candidates.length === 0) return undefined
    let chosen: Entry | undefined
    const stickiness = this.#config.stickiness
    if (stickiness.enabled) {
      if (stickiness.type === 'source_ip') {
        chosen = candidates[bySourceIp(candidates, request.sourceIp)]
      } else if (request.sticky !== undefined) {
        const pinned = this.#targets.get(request.sticky)
        if (pinned !== undefined && pinned.routable) chosen = pinned
      }
    }
    chosen ??= candidates[this.#balancer.choose(candidates, this.#weights(candidates))]
    return this.#hand(chosen)
  }

  onChange(listener: (health: TargetHealth, previous: TargetState | undefined) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The sticky cookie value (AWSALB / AWSALBAPP) pinning a picked target for the group's stickiness duration. */
  stickyCookie(picked: Picked): string {
    return this.#codec.encode(this.#config.key, picked.key, this.#clock.now() + this.#config.stickiness.durationMs)
  }

  /** The target key a sticky cookie value carries (PickRequest.sticky), if it is valid and unexpired. */
  stickyTarget(cookie: string | undefined): string | undefined {
    return this.#codec.decode(this.#config.key, cookie, this.#clock.now())
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const e of this.#targets.values()) {
      this.#stopChecks(e)
      this.#clock.clearTimeout(e.drainTimer)
      e.drainTimer = undefined
    }
    this.#targets.clear()
    this.#routable = undefined
    this.#listeners.clear()
    this.#removeProbe?.()
  }

  // ── states ──

  /** A target entering service (registered, or its group now used): checks start, or unavailable/unused. */
  #start(e: Entry, previous: TargetState | undefined): void {
    e.successes = 0
    e.failures = 0
    if (!this.#inUse) return this.#set(e, 'unused', 'Target.NotInUse', undefined, { was: previous })
    if (e.spec.usable?.() === false) {
      this.#set(e, 'unused', 'Target.InvalidState', undefined, { was: previous })
      return this.#schedule(e, this.#config.healthCheck.intervalMs)
    }
    if (!this.#config.healthCheck.enabled) return this.#set(e, 'unavailable', 'Target.HealthCheckDisabled', undefined, { was: previous })
    this.#set(e, 'initial', 'Elb.RegistrationInProgress', undefined, { was: previous })
    this.#schedule(e, 0)
  }

  #leave(e: Entry, tell: boolean): void {
    if (tell && e.state === 'draining' && this.#config.terminateOnDeregistration === true) terminate(e)
    this.#stopChecks(e)
    this.#clock.clearTimeout(e.drainTimer)
    e.drainTimer = undefined
    if (this.#targets.get(e.key) === e) {
      this.#targets.delete(e.key)
      this.#anomaly?.forget(e.key)
    }
    this.#invalidate()
    if (!tell) return
    const gone: TargetHealth = {
      id: e.spec.id, port: e.spec.port, host: e.spec.host, healthCheckPort: this.#healthCheckPort(e),
      state: 'unused', reason: 'Target.NotRegistered', description: DESCRIPTIONS['Target.NotRegistered']
    }
    this.#tell(gone, e.state)
  }

  /** previous: what listeners are told the state was (a new entry: its earlier life, or undefined). */
  #set(e: Entry, state: TargetState, reason: TargetReason | undefined, description?: string, override?: { was: TargetState | undefined }): void {
    const previous = override === undefined ? e.state : override.was
    const text = description ?? (reason === undefined ? undefined : DESCRIPTIONS[reason as keyof typeof DESCRIPTIONS])
    if (previous === e.state && e.state === state && e.reason === reason && e.description === text) return
    const was = e.state
    e.state = state
    e.reason = reason
    e.description = text
    if (was !== state) this.#invalidate()
    if (state === 'healthy' && was !== 'healthy') this.#maybeSlowStart(e)
    if (state !== 'healthy') e.slowStartSince = undefined
    if (state !== 'initial') e.withGroup = false
    if (state === 'unhealthy' && was !== 'unhealthy' && this.#config.terminateWhenUnhealthy === true) terminate(e)
    this.#tell(this.#health(e), previous)
  }

  #tell(health: TargetHealth, previous: TargetState | undefined): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(health, previous)
      } catch (err) {
        process.emitWarning(`a target health listener of ${this.#config.name} threw: ${String(err)}`)
      }
    }
  }

  #health(e: Entry): TargetHealth {
    const h: TargetHealth = { id: e.spec.id, port: e.spec.port, host: e.spec.host, healthCheckPort: this.#healthCheckPort(e), state: e.state }
    if (e.reason !== undefined) h.reason = e.reason
    if (e.description !== undefined) h.description = e.description
    if (this.#anomaly !== undefined) h.anomaly = this.#anomaly.view(e.key)
    return h
  }

  #detectorFor(config: TargetGroupConfig): AnomalyDetector | undefined {
    if (config.algorithm !== 'weighted_random' || (config.protocol !== 'HTTP' && config.protocol !== 'HTTPS')) return undefined
    const detector = new AnomalyDetector(this.#clock)
    detector.mitigation = config.anomalyMitigation === true
    return detector
  }

  #healthyKeys(): string[] {
    const keys: string[] = []
    for (const e of this.#targets.values()) if (e.state === 'healthy') keys.push(e.key)
    return keys
  }

  #healthCheckPort(e: Entry): string {
    return String(healthCheckPort(this.#config.healthCheck, e.spec))
  }

  // ── health checks ──

  #schedule(e: Entry, delayMs: number): void {
    this.#clock.clearTimeout(e.timer)
    e.timer = this.#clock.setTimeout(() => {
      e.timer = undefined
      void this.#check(e)
    }, delayMs)
  }

  #stopChecks(e: Entry): void {
    this.#clock.clearTimeout(e.timer)
    e.timer = undefined
    e.probing?.abort()
    e.probing = undefined
  }

  async #check(e: Entry): Promise<void> {
    if (this.#closed || !this.#inUse || this.#targets.get(e.key) !== e || e.state === 'draining') return
    const hc = this.#config.healthCheck
    // A target whose instance is gone is not checked (unused, Target.InvalidState) but looked at each interval; back, it starts over.
    const invalid = e.reason === 'Target.InvalidState'
    if (e.spec.usable?.() === false) {
      if (!invalid) {
        e.successes = 0
        e.failures = 0
        this.#set(e, 'unused', 'Target.InvalidState')
      }
      return this.#schedule(e, hc.intervalMs)
    }
    if (invalid) return this.#start(e, e.state)
    if (!hc.enabled) return
    if (e.reason === 'Elb.RegistrationInProgress') this.#set(e, 'initial', 'Elb.InitialHealthChecking')
    const started = this.#clock.monotonic()
    const controller = new AbortController()
    e.probing = controller
    let young = this.#removeProbe !== undefined
    const grown = () => { if (young) { young = false; this.#young-- } }
    const realTimer = young ? setTimeout(grown, YOUNG_PROBE_MS).unref() : undefined
    if (young) this.#young++
    let result: ProbeResult
    try {
      result = await probe(hc, this.#matcher, e.spec, {
        clock: this.#clock, signal: controller.signal, internalErrors: this.#config.protocol === 'HTTP' || this.#config.protocol === 'HTTPS',
        ...(this.#from !== undefined ? { localAddress: this.#from } : {})
      })
    } finally {
      clearTimeout(realTimer)
      grown()
    }
    if (e.probing !== controller || this.#closed) return
    e.probing = undefined
    this.#judge(e, result)
    this.#schedule(e, Math.max(0, started + this.#config.healthCheck.intervalMs - this.#clock.monotonic()))
  }

  #judge(e: Entry, r: ProbeResult): void {
    const hc = this.#config.healthCheck
    if (r.ok) {
      e.failures = 0
      e.successes++
      if (e.state === 'initial' || (e.state === 'unhealthy' && e.successes >= hc.healthyThreshold)) this.#set(e, 'healthy', undefined)
      return
    }
    e.successes = 0
    e.failures++
    if (e.state === 'unhealthy' || e.failures >= hc.unhealthyThreshold) this.#set(e, 'unhealthy', r.reason, r.description)
  }

  // ── choosing (target-choice.ts) ──

  #invalidate(): void {
    if (this.#routable === undefined) return
    for (const e of this.#routable) e.routable = false
    this.#routable = undefined
    this.#balancer.reset()
  }

  #routableSet(): Entry[] {
    return this.#routable ??= routableSet(this.#targets.values(), this.#config.minimumHealthy)
  }

  #maybeSlowStart(e: Entry): void {
    if (slowStartBegins(e, this.#targets.values(), this.#config)) e.slowStartSince = this.#clock.monotonic()
  }

  #weights(candidates: readonly Entry[]): number[] | undefined {
    const anomaly = this.#anomaly
    if (anomaly !== undefined && anomaly.mitigation) return mitigatedWeights(anomaly, candidates, this.#healthyKeys())
    if (this.#config.slowStartMs <= 0) return undefined
    return slowStartWeights(candidates, this.#config.slowStartMs, this.#clock.monotonic())
  }

  #hand(e: Entry): Picked {
    return handOut(e, this.#outcome)
  }

  /** A released request's outcome, for anomaly detection (one function for every hand-out). */
  readonly #outcome = (e: Entry, result: 'success' | 'error'): void => {
    if (this.#targets.get(e.key) === e) this.#anomaly?.record(e.key, result === 'error')
  }
}
