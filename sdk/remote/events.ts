// EventBridgeService over the wire: EventBridge's own API (awsJson1_1,
// `X-Amz-Target: AWSEvents.<Op>`, signing name events), so a remote call is
// the call the official EventBridge client and the aws CLI make — authorized
// as events:<Op>. Timestamps come back as epoch seconds and are revived to
// Dates. The dead letters (a Stratus extension) come from /stratus/.

import { EVENT_BRIDGE_OPERATIONS, type EventBridgeService } from '../../runtime/index.js'
import { encode, reviveDates } from './codec.js'
import type { StratusApi } from './stratus-api.js'
import type { WireClient } from './wire.js'

const EVENTS_TARGET = 'AWSEvents'
const EVENTS_TIMESTAMPS: ReadonlySet<string> = new Set(['CreationTime', 'LastModifiedTime', 'LastAuthorizedTime'])

export function remoteEventBridge(wire: WireClient, stratus: StratusApi): EventBridgeService {
  const service: Record<string, (input?: unknown) => Promise<unknown>> = {}
  for (const op of EVENT_BRIDGE_OPERATIONS) {
    if (op === 'listDeadLetters') continue
    const action = op[0].toUpperCase() + op.slice(1)
    service[op] = async (input) => reviveDates(await wire.json({
      service: 'events', path: '/', body: encode(input ?? {}), family: 'stratus',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${EVENTS_TARGET}.${action}` }
    }), EVENTS_TIMESTAMPS)
  }
  service.listDeadLetters = (input) => stratus.call('ListEventDeadLetters', input ?? {})
  return service as unknown as EventBridgeService
}
