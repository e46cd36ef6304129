// The load balancers' data plane (LbPlane, model.ts): it owns the target
// groups' runtimes and, per load balancer, the listeners bound on its 127.x
// address. apply() moves a load balancer's listeners to a new configuration as
// one step: new ports are bound first (any failure closes them again and
// leaves the old listeners untouched), listeners whose protocol and port stay
// are updated in place (rules, certificates: no connection dropped), those
// whose protocol changed are rebound, removed ones are closed. A target group
// is "in use" (health checks run) while some listener forwards to it, by its
// default actions or its rules; its checks come from the address of the load
// balancer with the lowest key among those that forward to it.

import type { Clock } from '../clock/clock.js'
import { ConflictError, InvalidArgumentError, StratusError, UnavailableError } from '../errors.js'
import {
  DEFAULT_LB_LIMITS,
  type LbLimits, type LbPlane, type LbPlaneOptions, type ListenerConfig, type ListenerProtocol,
  type LoadBalancerConfig, type TargetGroupConfig, type TargetGroupRuntime
} from './model.js'
import { HttpListener } from './http/index.js'
import { TargetGroup } from './target-group.js'
import { bindError, TcpListener, type ListenerOptions } from './tcp.js'
import { forwardedGroups } from './tcp-forward.js'

/** What the plane needs of a listener (HttpListener and TcpListener both are). */
export interface Listener {
  readonly port: number
  update(config: ListenerConfig): void
  close(): Promise<void>
  /** The load balancer's idle timeout changed; without it the listener keeps its first one. */
  setIdleTimeout?(ms: number): void
  /** routing.http2.enabled changed (HTTPS listeners). */
  setHttp2?(enabled: boolean): void
}

export type ListenerOpener = (config: ListenerConfig, o: ListenerOptions & { http2?: boolean }) => Promise<Listener>
export type TargetGroupFactory = (config: TargetGroupConfig, o: { clock: Clock }) => TargetGroupRuntime

export interface LoadBalancerPlaneOptions extends LbPlaneOptions {
  /** The sticky cookies' secret (AWSALB, AWSALBAPP): keep it to keep clients pinned across restarts (default: the process's random one). */
  stickySecret?: Buffer
  /** How a target group's runtime is made (default: runtime/lb/target-group.ts's TargetGroup). */
  createTargetGroup?: TargetGroupFactory
  /** HTTP and HTTPS listeners (default: runtime/lb/http/'s HttpListener.open). */
  openHttpListener?: ListenerOpener
}

/** Socket errors that mean "this address and port cannot be had". */
const BIND_ERRORS = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'EPERM'])

function errnoOf(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e !== undefined && e !== null && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && BIND_ERRORS.has(e.code)) return e.code
  }
  return undefined
}

const NETWORK: ReadonlySet<ListenerProtocol> = new Set(['TCP', 'TLS', 'UDP', 'TCP_UDP'])
const APPLICATION: ReadonlySet<ListenerProtocol> = new Set(['HTTP', 'HTTPS'])

interface Bound {
  config: ListenerConfig
  listener: Listener
}

interface Balancer {
  config: LoadBalancerConfig
  /** By configured port. */
  listeners: Map<number, Bound>
}

function isLoopback(address: string): boolean {
  const parts = address.split('.')
  return parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)
}

export class LoadBalancerPlane implements LbPlane {
  readonly #clock: Clock
  readonly #limits: LbLimits
  readonly #createTargetGroup: TargetGroupFactory
  readonly #openHttp: ListenerOpener
  readonly #groups = new Map<string, TargetGroupRuntime>()
  /** What each group was last given by setInUse: in use, and from which address. */
  readonly #inUse = new Map<string, { inUse: boolean; from: string | undefined }>()
  /** Groups some listener forwards to → the address their health checks come from. */
  #used = new Map<string, string>()
  readonly #balancers = new Map<string, Balancer>()
  readonly #queues = new Map<string, Promise<unknown>>()
  #closed = false

  constructor(o: LoadBalancerPlaneOptions) {
    this.#clock = o.clock
    this.#limits = { ...DEFAULT_LB_LIMITS, ...o.limits }
    const secret = o.stickySecret
    this.#createTargetGroup = o.createTargetGroup ?? ((config, { clock }) => new TargetGroup(config, secret === undefined ? { clock } : { clock, secret }))
    this.#openHttp = o.openHttpListener ?? ((config, options) => HttpListener.open(config, options))
  }

  targetGroup(config: TargetGroupConfig): TargetGroupRuntime {
    this.#open()
    const existing = this.#groups.get(config.key)
    if (existing !== undefined) {
      // update() reschedules health checks: only for a real change.
      if (JSON.stringify(existing.config) !== JSON.stringify(config)) existing.update(config)
      return existing
    }
    const group = this.#createTargetGroup(config, { clock: this.#clock })
    this.#groups.set(config.key, group)
    this.#setInUse(config.key, group, this.#used.get(config.key))
    return group
  }

  getTargetGroup(key: string): TargetGroupRuntime | undefined {
    return this.#groups.get(key)
  }

  removeTargetGroup(key: string): void {
    const group = this.#groups.get(key)
    if (group === undefined) return
    this.#groups.delete(key)
    this.#inUse.delete(key)
    group.close()
  }

  /** The listeners bound for a load balancer: their ARN, protocol and the port they hold. */
  listeners(key: string): { key: string; protocol: ListenerProtocol; port: number }[] {
    const lb = this.#balancers.get(key)
    if (lb === undefined) return []
    return [...lb.listeners.values()].map((b) => ({ key: b.config.key, protocol: b.config.protocol, port: b.listener.port }))
  }

  apply(config: LoadBalancerConfig): Promise<void> {
    return this.#serial(config.key, () => this.#apply(config))
  }

  remove(key: string): Promise<void> {
    return this.#serial(key, async () => {
      const lb = this.#balancers.get(key)
      if (lb === undefined) return
      this.#balancers.delete(key)
      await Promise.all([...lb.listeners.values()].map((b) => b.listener.close()))
      this.#refreshInUse()
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.allSettled([...this.#queues.values()])
    const balancers = [...this.#balancers.values()]
    this.#balancers.clear()
    await Promise.all(balancers.flatMap((lb) => [...lb.listeners.values()].map((b) => b.listener.close())))
    for (const group of this.#groups.values()) group.close()
    this.#groups.clear()
    this.#inUse.clear()
  }

  #open(): void {
    if (this.#closed) throw new UnavailableError('LbPlaneClosed', 'the load balancers\' data plane is closed')
  }

  /** One change at a time per load balancer, in call order. */
  #serial<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve()
    const run = previous.then(() => { this.#open(); return work() })
    const tail = run.catch(() => {})
    this.#queues.set(key, tail)
    void tail.then(() => { if (this.#queues.get(key) === tail) this.#queues.delete(key) })
    return run
  }

  #validate(config: LoadBalancerConfig): void {
    if (!isLoopback(config.address)) {
      throw new InvalidArgumentError('LoadBalancerAddressNotLoopback', `load balancer ${config.name}: address ${config.address} is not in 127.0.0.0/8`, { field: 'address' })
    }
    const allowed = config.type === 'network' ? NETWORK : APPLICATION
    const ports = new Map<number, number>()
    config.listeners.forEach((l, i) => {
      if (!allowed.has(l.protocol)) {
        throw new InvalidArgumentError('ListenerProtocolNotSupported', `an ${config.type} load balancer has no ${l.protocol} listeners (${[...allowed].join(', ')})`, { field: `listeners[${i}].protocol` })
      }
      if (!Number.isInteger(l.port) || l.port < 1 || l.port > 65535) {
        throw new InvalidArgumentError('ListenerPortOutOfRange', `listener port ${l.port} is not in 1-65535`, { field: `listeners[${i}].port`, limit: '1-65535' })
      }
      const other = ports.get(l.port)
      if (other !== undefined) {
        throw new ConflictError('DuplicateListenerPort', `listeners[${other}] and listeners[${i}] both use port ${l.port}`, { field: `listeners[${i}].port` })
      }
      ports.set(l.port, i)
    })
  }

  async #openListener(lb: LoadBalancerConfig, config: ListenerConfig): Promise<Listener> {
    const o: ListenerOptions = {
      address: lb.address, idleTimeoutMs: lb.idleTimeoutMs, limits: this.#limits, clock: this.#clock,
      targetGroup: (key) => this.#groups.get(key)
    }
    try {
      return NETWORK.has(config.protocol) ? await TcpListener.open(config, o) : await this.#openHttp(config, { ...o, http2: lb.http2 !== false })
    } catch (error) {
      // One error for a port that cannot be had, whichever listener met it.
      if (error instanceof StratusError && error.code === 'ListenerPortUnavailable') throw error
      const errno = errnoOf(error)
      if (errno !== undefined || !(error instanceof StratusError)) {
        let cause: unknown = error
        while (errno !== undefined && (cause as NodeJS.ErrnoException).code !== errno) cause = (cause as Error).cause
        throw bindError(cause, lb.address, config.port, config.protocol)
      }
      throw error
    }
  }

  async #apply(config: LoadBalancerConfig): Promise<void> {
    this.#validate(config)
    const old = this.#balancers.get(config.key)
    const sameAddress = old !== undefined && old.config.address === config.address
    const kept = new Map<number, Bound>(sameAddress ? old.listeners : [])
    const fresh: ListenerConfig[] = []
    const updates: Array<{ bound: Bound; config: ListenerConfig }> = []
    const rebinds: Array<{ bound: Bound; config: ListenerConfig }> = []
    for (const l of config.listeners) {
      const bound = kept.get(l.port)
      kept.delete(l.port)
      if (bound === undefined) fresh.push(l)
      else if (bound.config.protocol === l.protocol) updates.push({ bound, config: l })
      else rebinds.push({ bound, config: l })
    }
    const removed = [...kept.values(), ...(old !== undefined && !sameAddress ? old.listeners.values() : [])]

    // 1. New ports first: all bound, or none (and nothing else touched).
    const opened = new Map<number, Bound>()
    const results = await Promise.allSettled(fresh.map((l) => this.#openListener(config, l)))
    results.forEach((r, i) => { if (r.status === 'fulfilled') opened.set(fresh[i].port, { config: fresh[i], listener: r.value }) })
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    const undo = async (updated: typeof updates, error: unknown): Promise<never> => {
      for (const u of updated) u.bound.listener.update(u.bound.config)
      await Promise.all([...opened.values()].map((b) => b.listener.close()))
      throw error
    }
    if (failed !== undefined) await undo([], failed.reason)

    // 2. In place: rules, actions, certificates (a bad certificate undoes the whole step).
    const updated: typeof updates = []
    try {
      for (const u of updates) {
        u.bound.listener.update(u.config)
        updated.push(u)
      }
    } catch (error) {
      await undo(updated, error)
    }

    // 3. Same port, another protocol: the old listener must let the port go first.
    const rebound = new Map<number, Bound>()
    for (const r of rebinds) {
      await r.bound.listener.close()
      try {
        rebound.set(r.config.port, { config: r.config, listener: await this.#openListener(config, r.config) })
      } catch (error) {
        // Put back what was there (best effort: the port was just released), then undo the rest.
        for (const [port, b] of rebound) { await b.listener.close(); rebound.delete(port) }
        const back = await this.#restore(config, [r, ...rebinds.slice(0, rebinds.indexOf(r))])
        if (old !== undefined) for (const b of back) old.listeners.set(b.config.port, b)
        await undo(updated, error)
      }
    }

    // 4. Gone from the configuration (or on another address now).
    await Promise.all(removed.map((b) => b.listener.close()))
    if (sameAddress && old.config.idleTimeoutMs !== config.idleTimeoutMs) {
      for (const u of updates) u.bound.listener.setIdleTimeout?.(config.idleTimeoutMs)
    }
    if (sameAddress && (old.config.http2 !== false) !== (config.http2 !== false)) {
      for (const u of updates) u.bound.listener.setHttp2?.(config.http2 !== false)
    }
    const listeners = new Map<number, Bound>()
    for (const u of updates) listeners.set(u.config.port, { config: u.config, listener: u.bound.listener })
    for (const [port, b] of [...opened, ...rebound]) listeners.set(port, b)
    this.#balancers.set(config.key, { config, listeners })
    this.#refreshInUse()
  }

  /** Rebinds listeners closed for a rebind that failed, with their old configuration. */
  async #restore(config: LoadBalancerConfig, closed: Array<{ bound: Bound }>): Promise<Bound[]> {
    const back: Bound[] = []
    for (const { bound } of closed) {
      try {
        back.push({ config: bound.config, listener: await this.#openListener(config, bound.config) })
      } catch { /* the port was taken meanwhile: that listener is gone */ }
    }
    return back
  }

  #refreshInUse(): void {
    const used = new Map<string, string>()
    // In key order: a group several load balancers use is checked from the first one's address, whichever applied last.
    for (const lb of [...this.#balancers.values()].sort((a, b) => (a.config.key < b.config.key ? -1 : a.config.key > b.config.key ? 1 : 0))) {
      for (const b of lb.listeners.values()) for (const key of forwardedGroups(b.config)) if (!used.has(key)) used.set(key, lb.config.address)
    }
    this.#used = used
    for (const [key, group] of this.#groups) this.#setInUse(key, group, used.get(key))
  }

  /** `from`: the address of a load balancer that forwards to the group (undefined: none does, not in use). */
  #setInUse(key: string, group: TargetGroupRuntime, from: string | undefined): void {
    const inUse = from !== undefined
    const last = this.#inUse.get(key)
    if (last !== undefined && last.inUse === inUse && last.from === from) return
    this.#inUse.set(key, { inUse, from })
    group.setInUse(inUse, from)
  }
}
