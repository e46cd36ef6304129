// AuditService over the wire: CloudTrail's LookupEvents (awsJson1_1,
// `X-Amz-Target: CloudTrail_20131101.LookupEvents`, signing name cloudtrail),
// PascalCase members as the embedded trail has them; StartTime/EndTime go as
// epoch seconds and each event's EventTime comes back as one, revived to a Date.

import type { AuditService, LookupEventsResponse } from '../../runtime/index.js'
import { encode, reviveDates } from './codec.js'
import type { WireClient } from './wire.js'

const CLOUDTRAIL_TARGET = 'CloudTrail_20131101'
const CLOUDTRAIL_TIMESTAMPS: ReadonlySet<string> = new Set(['EventTime'])

export function remoteAudit(wire: WireClient): AuditService {
  return {
    async lookupEvents(input) {
      return reviveDates(await wire.json({
        service: 'cloudtrail', path: '/', body: encode(input), family: 'stratus',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${CLOUDTRAIL_TARGET}.LookupEvents` }
      }) as LookupEventsResponse, CLOUDTRAIL_TIMESTAMPS)
    }
  }
}
