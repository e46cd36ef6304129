// CloudWatch Logs over the wire: its own API (awsJson1_1, `X-Amz-Target:
// Logs_20140328.<Op>`, signing name logs), the calls the official client and
// the aws CLI make, authorized as logs:<Op>. Timestamps are epoch
// milliseconds both ways (numbers, nothing to revive).

import { CLOUDWATCH_LOGS_OPERATIONS, type CloudWatchLogsApi } from '../../runtime/index.js'
import { encode } from './codec.js'
import type { WireClient } from './wire.js'

export function remoteLogs(wire: WireClient): CloudWatchLogsApi {
  const service: Record<string, (input?: unknown) => Promise<unknown>> = {}
  for (const op of CLOUDWATCH_LOGS_OPERATIONS) {
    const action = op[0].toUpperCase() + op.slice(1)
    service[op] = (input) => wire.json({
      service: 'logs', path: '/', body: encode(input ?? {}), family: 'stratus',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Logs_20140328.${action}` }
    })
  }
  return service as unknown as CloudWatchLogsApi
}
