// Where a new NLB connection or UDP flow goes: the listener's default action
// forwards to a target group (or several, by weight), whose algorithm and
// source_ip stickiness pick the target. NLB listeners have no rules; an
// action other than forward leaves nowhere to go.

import type { Action, ListenerConfig, Picked, TargetGroupRuntime } from './model.js'

export type TargetGroupLookup = (key: string) => TargetGroupRuntime | undefined

/** The forward action's group for one connection: weight-proportional when there are several (weight 0: none). */
export function chooseGroup(actions: readonly Action[]): string | undefined {
  const forward = actions.find((a) => a.type === 'forward')
  if (forward === undefined || forward.type !== 'forward') return undefined
  const groups = forward.targetGroups
  if (groups.length <= 1) return groups[0]?.key
  let total = 0
  for (const g of groups) total += Math.max(0, g.weight)
  if (total <= 0) return undefined
  let r = Math.random() * total
  for (const g of groups) {
    const w = Math.max(0, g.weight)
    if (w === 0) continue
    r -= w
    if (r < 0) return g.key
  }
  return groups.findLast((g) => g.weight > 0)?.key
}

export interface ForwardChoice {
  picked: Picked
  group: TargetGroupRuntime
}

/** A target for a connection from `sourceIp`, or undefined (no group, no target): the connection is closed. */
export function pickForward(config: ListenerConfig, lookup: TargetGroupLookup, sourceIp: string): ForwardChoice | undefined {
  const key = chooseGroup(config.defaultActions)
  if (key === undefined) return undefined
  const group = lookup(key)
  if (group === undefined) return undefined
  const picked = group.pick({ sourceIp })
  return picked === undefined ? undefined : { picked, group }
}

/** The target groups a listener forwards to (its default actions and, for HTTP listeners, its rules). */
export function forwardedGroups(config: ListenerConfig): string[] {
  const keys = new Set<string>()
  const add = (actions: readonly Action[]): void => {
    for (const a of actions) if (a.type === 'forward') for (const g of a.targetGroups) keys.add(g.key)
  }
  add(config.defaultActions)
  for (const rule of config.rules) add(rule.actions)
  return [...keys]
}
