// The EventBridge operations as a service interface (the SDK runs over it:
// the engine's EventBridge in this process, the AWSEvents wire API and the
// /stratus/ ListEventDeadLetters call remotely). Shapes are EventBridge's.

import type { EventBridge } from './service.js'

export const EVENT_BRIDGE_OPERATIONS = [
  'putRule', 'describeRule', 'listRules', 'deleteRule', 'enableRule', 'disableRule', 'putTargets', 'removeTargets', 'listTargetsByRule',
  'listRuleNamesByTarget', 'testEventPattern', 'putEvents', 'createConnection', 'describeConnection', 'listConnections', 'deleteConnection',
  'createApiDestination', 'describeApiDestination', 'listApiDestinations', 'updateApiDestination', 'deleteApiDestination', 'listDeadLetters'
] as const

export type EventBridgeOperation = (typeof EVENT_BRIDGE_OPERATIONS)[number]

type Method<K extends EventBridgeOperation> = EventBridge[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : never

export type EventBridgeService = { readonly [K in EventBridgeOperation]: Method<K> }

/** The engine's EventBridge as the service interface (its calls answer at once; here they are promises, as remotely). */
export function eventBridgeService(bridge: EventBridge): EventBridgeService {
  const service: Record<string, (input: never) => Promise<unknown>> = {}
  for (const op of EVENT_BRIDGE_OPERATIONS) {
    const fn = bridge[op] as (input: never) => unknown
    service[op] = async (input) => fn.call(bridge, input)
  }
  return service as unknown as EventBridgeService
}
