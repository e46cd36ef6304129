// What every part of the ELBv2 control plane works with: the engine's shared
// layers, the data plane it drives (LbPlane), where certificates and instance
// addresses come from, ELBv2's quotas, and the one lane every change that
// touches the data plane goes through (a change is applied to the data plane
// and committed to the store as one step: two never interleave).

import type { Clock } from '../clock/clock.js'
import type { Partition } from '../aws/partition.js'
import type { PageTokens } from '../aws/pagination.js'
import type { Store } from '../store/store.js'
import type { CertificateSource, LbPlane, TargetHealth, TargetState } from '../lb/model.js'
import type { LbAddressPool } from './addresses.js'

/** ELBv2's quotas (per region, per load balancer, per listener) as AWS documents their defaults. */
export interface ElbQuotas {
  /** Application (and, separately, Network) Load Balancers per region. */
  loadBalancersPerRegion: number
  targetGroupsPerRegion: number
  /** Targets per target group (ALB: 1000). */
  targetsPerTargetGroup: number
  listenersPerLoadBalancer: number
  /** Rules per Application Load Balancer, default rules not counted. */
  rulesPerLoadBalancer: number
  /** Certificates per listener besides the default one. */
  certificatesPerListener: number
  /** Target groups per forward action. */
  targetGroupsPerAction: number
  /** Unique target groups a load balancer's rules forward to. */
  targetGroupsPerLoadBalancer: number
  /** Condition values per rule (all conditions together). */
  conditionValuesPerRule: number
  /** Wildcards (* and ?) per rule. */
  wildcardsPerRule: number
  tagsPerResource: number
}

export const DEFAULT_ELB_QUOTAS: ElbQuotas = {
  loadBalancersPerRegion: 50,
  targetGroupsPerRegion: 3000,
  targetsPerTargetGroup: 1000,
  listenersPerLoadBalancer: 50,
  rulesPerLoadBalancer: 100,
  certificatesPerListener: 25,
  targetGroupsPerAction: 5,
  targetGroupsPerLoadBalancer: 100,
  conditionValuesPerRule: 5,
  wildcardsPerRule: 5,
  tagsPerResource: 50
}

/** The VPC every load balancer and target group is in (Stratus has one network: loopback). */
export const VPC_ID = 'vpc-stratus'
/** The security group an Application Load Balancer gets when none is named. */
export const DEFAULT_SECURITY_GROUP = 'sg-stratus'

/** ACM's InUseBy: which load balancers use a certificate (runtime/acm's markInUse / unmarkInUse). */
export interface CertificateUse {
  markInUse(certificateArn: string, resourceArn: string): void
  unmarkInUse(certificateArn: string, resourceArn: string): void
}

export type HealthListener = (targetGroupArn: string, health: TargetHealth, previous: TargetState | undefined) => void

export interface ElbContext {
  readonly store: Store
  readonly clock: Clock
  readonly partition: Partition
  readonly plane: LbPlane
  /** ACM's certificates (HTTPS and TLS listeners); undefined: none can be named. Set by Elbv2.setCertificates. */
  certificates: (CertificateSource & Partial<CertificateUse>) | undefined
  /** An EC2 instance id's 127.x address (instance targets); undefined: no such instance. */
  readonly resolveInstance: (id: string) => string | undefined
  /** The region's availability zones (`us-east-1a`…). */
  readonly zones: readonly string[]
  readonly tokens: PageTokens
  readonly quotas: ElbQuotas
  readonly addresses: LbAddressPool
  /** Told of every target state change of every group (the TargetRegistry's onHealthChange). */
  readonly healthListeners: Set<HealthListener>
  /** Runs fn when every change queued before it has finished (one at a time). */
  serial<R>(fn: () => Promise<R> | R): Promise<R>
  /** What to undo when the control plane closes (timers, subscriptions). */
  readonly closers: Array<() => void>
}

/** A lane: each fn starts when the one before it settled. */
export function makeSerial(): <R>(fn: () => Promise<R> | R) => Promise<R> {
  let tail: Promise<unknown> = Promise.resolve()
  return <R>(fn: () => Promise<R> | R): Promise<R> => {
    const run = tail.then(() => fn())
    tail = run.catch(() => {})
    return run
  }
}
