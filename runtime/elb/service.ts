// Elastic Load Balancing v2's control plane: its records live in the store
// (records.ts), every call is checked as ELBv2 checks it and is one
// transaction, and what the records say is driven into the data plane
// (LbPlane: target group runtimes, listeners on each load balancer's 127.x
// address). This class wires the areas (load-balancers.ts, target-groups.ts,
// load-balancer-network.ts, targets.ts, listeners.ts, rules.ts, tags.ts, ssl-policies.ts) and is the
// union of what they return (model.ts: Elbv2Operations); `targets` is the
// TargetRegistry ECS registers services' tasks through.

import type { Clock } from '../clock/clock.js'
import type { Partition } from '../aws/partition.js'
import { PageTokens } from '../aws/pagination.js'
import type { Store } from '../store/store.js'
import type { CertificateSource, LbPlane, TargetRegistry } from '../lb/model.js'
import { DEFAULT_ELB_QUOTAS, makeSerial, type CertificateUse, type ElbContext, type ElbQuotas } from './context.js'
import { LbAddressPool } from './addresses.js'
import type { DescribeSSLPoliciesInput, DescribeSSLPoliciesOutput, Elbv2Operations } from './model.js'
import { defineElbIndexes, LISTENERS, LOAD_BALANCERS, type ListenerRecord, type LoadBalancerRecord } from './records.js'
import { loadBalancerOperations } from './load-balancers.js'
import { loadBalancerNetworkOperations } from './load-balancer-network.js'
import { targetGroupOperations } from './target-groups.js'
import { targetOperations, targetRegistry } from './targets.js'
import { listenerOperations } from './listeners.js'
import { ruleOperations } from './rules.js'
import { tagOperations } from './tags.js'
import { describeSslPolicies } from './ssl-policies.js'
import { dropAllGroups, restoreGroups } from './group-runtimes.js'
import { applyAll, certificatesOf, markCertificates } from './reconcile.js'

export interface Elbv2Options {
  store: Store
  clock: Clock
  partition: Partition
  /** The data plane (runtime/lb/plane.ts LoadBalancerPlane); the engine owns and closes it. */
  plane: LbPlane
  /** ACM's certificates for HTTPS and TLS listeners, and its InUseBy (absent: none can be named until setCertificates). */
  certificates?: CertificateSource & Partial<CertificateUse>
  /** An EC2 instance id's 127.x address (instance targets: ECS container instances); absent: no instance targets. */
  resolveInstance?: (id: string) => string | undefined
  /** The region's availability zones (default `<region>a`, `b`, `c`). */
  zones?: readonly string[]
  quotas?: Partial<ElbQuotas>
  tokens?: PageTokens
}

/** A load balancer's names as the Lightsail DNS server will serve them. */
export interface LoadBalancerName {
  arn: string
  name: string
  hostname: string
  address: string
}

// The class is the union of the areas' operation objects (declaration merging).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Elbv2 extends Elbv2Operations {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Elbv2 {
  readonly #ctx: ElbContext
  /** What ECS registers services' tasks through (the same records and runtimes as RegisterTargets). */
  readonly targets: TargetRegistry
  /** Load balancers that could not be applied at start (a port taken meanwhile), with why. */
  readonly startFailures: Array<{ arn: string; error: unknown }> = []
  #closed = false

  constructor(o: Elbv2Options) {
    const now = () => o.clock.now()
    this.#ctx = {
      store: o.store, clock: o.clock, partition: o.partition, plane: o.plane, certificates: o.certificates,
      resolveInstance: o.resolveInstance ?? (() => undefined),
      zones: o.zones ?? [`${o.partition.region}a`, `${o.partition.region}b`, `${o.partition.region}c`],
      tokens: o.tokens ?? new PageTokens({ now }),
      quotas: { ...DEFAULT_ELB_QUOTAS, ...o.quotas },
      addresses: new LbAddressPool(),
      healthListeners: new Set(),
      serial: makeSerial(),
      closers: []
    }
    defineElbIndexes(o.store)
    Object.assign(this, loadBalancerOperations(this.#ctx), loadBalancerNetworkOperations(this.#ctx), targetGroupOperations(this.#ctx), targetOperations(this.#ctx), listenerOperations(this.#ctx),
      ruleOperations(this.#ctx), tagOperations(this.#ctx))
    this.targets = targetRegistry(this.#ctx)
  }

  /** The context (tests and the engine's wiring; not part of the API). */
  get context(): ElbContext {
    return this.#ctx
  }

  /**
   * Brings the data plane to what the store holds: every target group's
   * runtime with its targets registered again (their health starts again at
   * initial), every load balancer's listeners bound. Then follows ACM's
   * renewals: a renewed certificate is applied to the listeners that use it.
   */
  async start(): Promise<void> {
    const ctx = this.#ctx
    await ctx.serial(async () => {
      restoreGroups(ctx)
      this.startFailures.push(...await applyAll(ctx))
      this.#markAll()
    })
    this.#followRenewals()
  }

  /**
   * Where certificates come from from now on (ACM, opened after the control
   * plane): listeners are applied again with them, ACM's InUseBy is filled
   * for the certificates listeners hold, and renewals are followed.
   */
  async setCertificates(source: CertificateSource & Partial<CertificateUse>): Promise<void> {
    const ctx = this.#ctx
    await ctx.serial(async () => {
      this.#stopRenewals?.()
      ctx.certificates = source
      this.#followRenewals()
      this.#markAll()
      this.startFailures.push(...await applyAll(ctx, (lb) => certificatesOf(ctx.store, lb.loadBalancer.LoadBalancerArn).size > 0))
    })
  }

  #stopRenewals: (() => void) | undefined

  /** ACM's InUseBy for every certificate a listener holds (a no-op for those it names already). */
  #markAll(): void {
    const ctx = this.#ctx
    for (const { value } of ctx.store.scan<LoadBalancerRecord>(LOAD_BALANCERS)) {
      markCertificates(ctx, value.loadBalancer.LoadBalancerArn, new Set(), certificatesOf(ctx.store, value.loadBalancer.LoadBalancerArn))
    }
  }

  #followRenewals(): void {
    const ctx = this.#ctx
    this.#stopRenewals?.()
    this.#stopRenewals = ctx.certificates?.onRenewed((arn) => {
      if (this.#closed) return
      void ctx.serial(() => applyAll(ctx, (lb) => usesCertificate(ctx, lb, arn)))
    })
  }

  async describeSSLPolicies(input: DescribeSSLPoliciesInput): Promise<DescribeSSLPoliciesOutput> {
    return describeSslPolicies(this.#ctx, input)
  }

  /** Every load balancer's hostname and address (for the Lightsail DNS server). */
  names(): LoadBalancerName[] {
    return this.#ctx.store.scan<LoadBalancerRecord>(LOAD_BALANCERS).map(({ value }) => ({
      arn: value.loadBalancer.LoadBalancerArn, name: value.loadBalancer.LoadBalancerName, hostname: value.hostname, address: value.address
    }))
  }

  /** Stops following renewals and target health; the data plane is closed by its owner. Waits for changes under way. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#ctx.serial(() => undefined)
    this.#stopRenewals?.()
    for (const close of [...this.#ctx.closers].reverse()) close()
    this.#ctx.closers.length = 0
    dropAllGroups(this.#ctx)
    this.#ctx.healthListeners.clear()
  }
}

function usesCertificate(ctx: ElbContext, lb: LoadBalancerRecord, arn: string): boolean {
  return ctx.store.scan<ListenerRecord>(LISTENERS, { index: { name: 'loadBalancer', value: lb.loadBalancer.LoadBalancerArn } })
    .some(({ value }) => value.certificates.some((c) => c.CertificateArn === arn))
}
