// The target groups' runtimes in the data plane, kept in step with their
// records: created or updated after each commit that changes a group (the
// data plane decides whether a listener forwards to them), and listened to
// for target state changes (the TargetRegistry's onHealthChange).

import type { StoreReader } from '../store/store.js'
import type { TargetGroupRuntime, TargetSpec } from '../lb/model.js'
import type { ElbContext } from './context.js'
import { LISTENERS, RULES, TARGET_GROUPS, type ListenerRecord, type RuleRecord, type TargetGroupRecord, type TargetRecord } from './records.js'
import { targetGroupConfig } from './target-group-settings.js'

const subscriptions = new WeakMap<ElbContext, Map<string, () => void>>()

function subs(ctx: ElbContext): Map<string, () => void> {
  let m = subscriptions.get(ctx)
  if (m === undefined) subscriptions.set(ctx, m = new Map())
  return m
}

/** Creates or updates the group's runtime from its record (targets are kept). */
export function syncGroup(ctx: ElbContext, record: TargetGroupRecord): TargetGroupRuntime {
  const arn = record.targetGroup.TargetGroupArn
  const runtime = ctx.plane.targetGroup(targetGroupConfig(record))
  const m = subs(ctx)
  if (!m.has(arn)) {
    m.set(arn, runtime.onChange((health, previous) => {
      for (const listener of ctx.healthListeners) {
        try {
          listener(arn, health, previous)
        } catch {
          // A listener's failure is its own; the others still hear of the change.
        }
      }
    }))
  }
  return runtime
}

export function dropGroup(ctx: ElbContext, arn: string): void {
  const m = subs(ctx)
  m.get(arn)?.()
  m.delete(arn)
  ctx.plane.removeTargetGroup(arn)
}

export function dropAllGroups(ctx: ElbContext): void {
  for (const unsubscribe of subs(ctx).values()) unsubscribe()
  subs(ctx).clear()
}

/** The load balancers whose listeners or rules forward to the group. */
export function loadBalancersOf(reader: StoreReader, arn: string): string[] {
  const out = new Set<string>()
  for (const { value } of reader.scan<ListenerRecord>(LISTENERS, { index: { name: 'targetGroup', value: arn } })) out.add(value.listener.LoadBalancerArn)
  for (const { value } of reader.scan<RuleRecord>(RULES, { index: { name: 'targetGroup', value: arn } })) out.add(value.LoadBalancerArn)
  return [...out].sort()
}

/**
 * What the data plane is given for a group's targets: for an instance group,
 * the instance's address as the engine knows it now (else the one it had) and
 * whether the instance is still there (gone: Target.InvalidState).
 */
export function planeTargets(ctx: ElbContext, record: TargetGroupRecord, targets: readonly TargetRecord[]): TargetSpec[] {
  const instance = record.targetGroup.TargetType === 'instance'
  return targets.map((t) => ({
    id: t.Id, port: t.Port, host: instance ? ctx.resolveInstance(t.Id) ?? t.host : t.host,
    ...(t.AvailabilityZone !== undefined ? { availabilityZone: t.AvailabilityZone } : {}),
    ...(instance ? { usable: () => ctx.resolveInstance(t.Id) !== undefined } : {})
  }))
}

/**
 * Every group's runtime from the store (an engine restarted over a durable
 * store): targets registered again, and those that were draining draining
 * again for what is left of their delay (as ELB, whose draining a restart of
 * this engine does not cut short: ECS still waits it out).
 */
export function restoreGroups(ctx: ElbContext): void {
  const now = ctx.clock.now()
  for (const { value } of ctx.store.scan<TargetGroupRecord>(TARGET_GROUPS)) {
    const runtime = syncGroup(ctx, value)
    if (value.targets.length > 0) runtime.register(planeTargets(ctx, value, value.targets))
    // Never longer than the group's delay (a clock that reads earlier than the one that wrote `until`).
    const delayMs = runtime.config.deregistrationDelayMs
    for (const t of value.draining ?? []) {
      if (t.until > now) runtime.resumeDraining(planeTargets(ctx, value, [t]), Math.min(t.until - now, delayMs))
    }
  }
}
