export { AuditTrail, AUDIT_DEFAULTS, type AuditTrailOptions, type AuditService, type LookupEventsRequest, type LookupEventsResponse, type TrailEvent } from './audit-trail.js'
export { AUDIT_EVENTS, LOOKUP_ATTRIBUTES, resourceTypeOf, type CloudTrailRecord, type CloudTrailUserIdentity, type LookupAttributeKey, type LookupResource } from './records.js'
