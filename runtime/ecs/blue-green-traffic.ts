// Blue/green traffic on the load balancers: the production listener rule's
// forward weights between each loadBalancers entry's blue and green target
// groups, and the test rule's target, changed through the ELBv2 control
// plane's own operations (ctx.traffic: ModifyRule for an ALB's rule,
// ModifyListener for an NLB's listener). Calls for one service run in order
// (a step never overtakes the one before); a refused call is a service event.

import type { EcsContext, ForwardActionInput } from './context.js'
import { SERVICES } from './records.js'
import type { LoadBalancer } from './model-services.js'
import { serviceKey, type ServiceState } from './service-records.js'
import { withEvent } from './service-events.js'
import { groupOf, type TargetSide } from './service-targets.js'
import { weightsFor } from './blue-green.js'

export interface TrafficChange {
  /** Production traffic on green, percent. */
  production?: number
  /** Where the test rule forwards. */
  test?: 'blue' | 'green'
}

const queues = new WeakMap<EcsContext, Map<string, Promise<void>>>()

function forward(groups: Array<{ arn: string; weight: number }>): ForwardActionInput[] {
  return [{ Type: 'forward', ForwardConfig: { TargetGroups: groups.map((g) => ({ TargetGroupArn: g.arn, Weight: g.weight })) } }]
}

async function modify(ctx: EcsContext, arn: string, actions: ForwardActionInput[]): Promise<void> {
  const traffic = ctx.traffic
  if (traffic === undefined) throw new Error('this engine has no ELBv2 listeners to shift traffic on')
  if (arn.includes(':listener-rule/')) await traffic.modifyRule({ RuleArn: arn, Actions: actions })
  else await traffic.modifyListener({ ListenerArn: arn, DefaultActions: actions })
}

function serviceEvent(ctx: EcsContext, clusterName: string, serviceName: string, message: string): void {
  ctx.store.transaction((tx) => {
    const got = tx.get<ServiceState>(SERVICES, serviceKey(clusterName, serviceName))
    if (got === undefined) return
    tx.put(SERVICES, got.key, { ...got.value, service: { ...got.value.service, events: withEvent(ctx, got.value.service, message) } }, got.version)
  })
}

/** Applies the change to every entry with an advancedConfiguration (after the caller's commit). */
export function shiftTraffic(ctx: EcsContext, clusterName: string, serviceName: string, loadBalancers: readonly LoadBalancer[], sides: { blue: TargetSide; green: TargetSide }, change: TrafficChange): Promise<void> {
  let perContext = queues.get(ctx)
  if (perContext === undefined) queues.set(ctx, perContext = new Map())
  const key = serviceKey(clusterName, serviceName)
  const run = async () => {
    for (const lb of loadBalancers) {
      const advanced = lb.advancedConfiguration
      if (advanced?.productionListenerRule === undefined) continue
      const blue = groupOf(lb, sides.blue)
      const green = groupOf(lb, sides.green)
      const calls: Array<[string, ForwardActionInput[]]> = []
      if (change.production !== undefined) {
        const w = weightsFor(change.production)
        calls.push([advanced.productionListenerRule, forward([{ arn: blue, weight: w.blue }, { arn: green, weight: w.green }])])
      }
      if (change.test !== undefined && advanced.testListenerRule !== undefined) {
        calls.push([advanced.testListenerRule, forward([{ arn: change.test === 'green' ? green : blue, weight: 1 }])])
      }
      for (const [arn, actions] of calls) {
        try {
          await modify(ctx, arn, actions)
        } catch (err) {
          serviceEvent(ctx, clusterName, serviceName, `(service ${serviceName}) failed to shift traffic on (listener ${arn}): ${err instanceof Error ? err.message : String(err)}`)
        }
      }
    }
  }
  const next = (perContext.get(key) ?? Promise.resolve()).then(run)
  perContext.set(key, next)
  return next
}

/** The traffic changes of a service still being applied (tests and close wait on it). */
export function trafficSettled(ctx: EcsContext, clusterName: string, serviceName: string): Promise<void> {
  return queues.get(ctx)?.get(serviceKey(clusterName, serviceName)) ?? Promise.resolve()
}
