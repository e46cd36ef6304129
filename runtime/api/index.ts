// The AWS wire protocols: the router, the codecs, the service tables.
export { ApiRouter, type ApiRouterOptions, type CallSummary } from './router.js'
export { serviceTables, type ServiceParts } from './services.js'
export type { Operation, ServiceTable, CallContext, Authorization, WireError, Protocol } from './operation.js'
export type { Authenticator, Authorizer, AuditSink, AuditEntry, AuthorizationRequest, Decision, SignedRequest } from './security.js'
export { xmlMap, XmlMap } from './aws-query.js'
export { RouterError, stratusErrorHeader, byKind } from './errors.js'
export { encodeJson } from './json.js'
