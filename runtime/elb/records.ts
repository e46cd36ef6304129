// What ELBv2 keeps in the store. Each record holds the AWS shape a Describe
// call returns (so describing is reading) plus the engine's own fields beside
// it. Keys are the resources' ARNs.
//
//   elb:loadBalancers  <load balancer ARN>  LoadBalancerRecord (its 127.x address, hostname, attributes, tags)
//   elb:targetGroups   <target group ARN>   TargetGroupRecord (settings, attributes, registered targets, tags)
//   elb:listeners      <listener ARN>       ListenerRecord (default actions, every certificate, tags)
//   elb:rules          <rule ARN>           RuleRecord (non-default rules; a listener's default rule is the listener's)

import type { Store } from '../store/store.js'
import type { Action, Certificate, Listener, LoadBalancer, ProtocolEnum, RuleCondition, Tag, TargetGroup } from './model.js'

export const LOAD_BALANCERS = 'elb:loadBalancers'
export const TARGET_GROUPS = 'elb:targetGroups'
export const LISTENERS = 'elb:listeners'
export const RULES = 'elb:rules'

export interface LoadBalancerRecord {
  /** As DescribeLoadBalancers returns it (State kept current). */
  loadBalancer: LoadBalancer & { LoadBalancerArn: string; LoadBalancerName: string; Type: 'application' | 'network' }
  /** Its 127.x address (DNSName too). */
  address: string
  /** `<name>-<id>.<region>.elb.stratus.local`: the name the Lightsail DNS server will resolve to address. */
  hostname: string
  /** Every attribute, defaults included (DescribeLoadBalancerAttributes). */
  attributes: Record<string, string>
  tags: Tag[]
  /** When State moves from provisioning to active (clock ms). */
  activeAt: number
}

export interface TargetRecord {
  Id: string
  Port: number
  AvailabilityZone?: string
  /** Where connections go: the Id itself for ip targets, the resolved address for instance targets. */
  host: string
}

export interface TargetGroupRecord {
  /** As DescribeTargetGroups returns it, without LoadBalancerArns (computed from listeners and rules). */
  targetGroup: TargetGroup & { TargetGroupArn: string; TargetGroupName: string; TargetType: 'ip' | 'instance' }
  attributes: Record<string, string>
  /** Registered targets (deregistered ones leave at once; the data plane drains them). */
  targets: TargetRecord[]
  /**
   * Deregistered targets still draining: when their deregistration delay ends
   * (clock ms), so that an engine restarted before then drains them for what
   * is left. Pruned once passed, at the next write of the group.
   */
  draining?: Array<TargetRecord & { until: number }>
  tags: Tag[]
}

export interface ListenerRecord {
  /** As DescribeListeners returns it: Certificates holds the default certificate only. */
  listener: Listener & { ListenerArn: string; LoadBalancerArn: string; Port: number; Protocol: ProtocolEnum; DefaultActions: Action[] }
  /** Every certificate: the default first, then those AddListenerCertificates added. */
  certificates: Certificate[]
  /** The ARN DescribeRules shows its default rule under. */
  defaultRuleArn: string
  tags: Tag[]
}

export interface RuleRecord {
  RuleArn: string
  ListenerArn: string
  LoadBalancerArn: string
  Priority: number
  Conditions: RuleCondition[]
  Actions: Action[]
  tags: Tag[]
}

/** The target groups an action list forwards to. */
export function forwardedGroups(actions: readonly Action[]): string[] {
  const out = new Set<string>()
  for (const a of actions) {
    if (a.Type !== 'forward') continue
    if (a.TargetGroupArn !== undefined) out.add(a.TargetGroupArn)
    for (const t of a.ForwardConfig?.TargetGroups ?? []) if (t.TargetGroupArn !== undefined) out.add(t.TargetGroupArn)
  }
  return [...out]
}

/**
 * The indexes (defined once, by the Elbv2 class):
 *   elb:loadBalancers  name          <LoadBalancerName>
 *                      address       <127.x address>
 *   elb:targetGroups   name          <TargetGroupName>
 *   elb:listeners      loadBalancer  <LoadBalancerArn>
 *                      targetGroup   <target group ARN its default actions forward to> (several)
 *   elb:rules          listener      <ListenerArn>
 *                      loadBalancer  <LoadBalancerArn>
 *                      targetGroup   <target group ARN its actions forward to> (several)
 */
export function defineElbIndexes(store: Store): void {
  store.defineIndex<LoadBalancerRecord>(LOAD_BALANCERS, 'name', (r) => r.loadBalancer.LoadBalancerName)
  store.defineIndex<LoadBalancerRecord>(LOAD_BALANCERS, 'address', (r) => r.address)
  store.defineIndex<TargetGroupRecord>(TARGET_GROUPS, 'name', (r) => r.targetGroup.TargetGroupName)
  store.defineIndex<ListenerRecord>(LISTENERS, 'loadBalancer', (r) => r.listener.LoadBalancerArn)
  store.defineIndex<ListenerRecord>(LISTENERS, 'targetGroup', (r) => forwardedGroups(r.listener.DefaultActions))
  store.defineIndex<RuleRecord>(RULES, 'listener', (r) => r.ListenerArn)
  store.defineIndex<RuleRecord>(RULES, 'loadBalancer', (r) => r.LoadBalancerArn)
  store.defineIndex<RuleRecord>(RULES, 'targetGroup', (r) => forwardedGroups(r.Actions))
}
