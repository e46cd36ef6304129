export { AuditTrail, type AuditTrailOptions, type AuditService, type LookupEventsRequest, type LookupEventsResponse, type TrailEvent } from './audit-trail.js'
export type { CloudTrailRecord, CloudTrailUserIdentity, LookupAttributeKey, LookupResource } from './records.js'
