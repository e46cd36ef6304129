// CloudTrail's operation table (awsJson1_1, target CloudTrail_20131101 and its
// long form): LookupEvents over the audit trail. Members are PascalCase;
// timestamps travel as epoch seconds. Errors: CloudTrail's own exceptions, 400.

import { StratusError } from '../../errors.js'
import type { AuditService, LookupEventsRequest } from '../../audit/audit-trail.js'
import type { Operation, ServiceTable } from '../operation.js'

const CLOUDTRAIL_ERRORS = new Set([
  'InvalidLookupAttributesException', 'InvalidTimeRangeException', 'InvalidMaxResultsException', 'InvalidNextTokenException', 'InvalidEventCategoryException',
  'OperationNotPermittedException', 'UnsupportedOperationException'
])

export function cloudTrailTable(audit: AuditService): ServiceTable {
  const operations: Operation[] = [
    {
      name: 'LookupEvents', readOnly: true, timestamps: ['StartTime', 'EndTime'],
      authorize: () => ({ action: 'cloudtrail:LookupEvents', resources: ['*'] }),
      call: (input: LookupEventsRequest) => audit.lookupEvents(input)
    }
  ]
  return {
    signingName: 'cloudtrail',
    eventSource: 'cloudtrail.amazonaws.com',
    protocol: 'awsJson1_1',
    targets: ['CloudTrail_20131101', 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101'],
    operations,
    error: (err) => {
      if (err instanceof StratusError && CLOUDTRAIL_ERRORS.has(err.code)) return { type: err.code, status: 400, message: err.message }
      if (err instanceof StratusError && err.kind === 'InvalidArgument') return { type: 'InvalidParameterException', status: 400, message: err.message }
      return { type: 'InternalServerException', status: 500, message: err instanceof Error ? err.message : String(err) }
    },
    invalid: (_member, message) => ({ type: 'InvalidParameterException', status: 400, message })
  }
}
