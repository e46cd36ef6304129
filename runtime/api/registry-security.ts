// IAM and audit for the registry's /v2/: what authorize.ts and the router do
// for an ECR API call, done for the pull or push a principal-bound token makes
// (registry/auth/authorize.ts). The decision is asked with the same condition
// keys as the API's (the repository's tags, source IP, time, transport, region,
// user agent; the principal's own keys are the Authorizer's), and each request
// is recorded as the ECR event it stands for, allowed or denied.

import { randomUUID } from 'node:crypto'
import type { RegistryAudit, RegistryAuthorize } from '../../registry/index.js'
import type { Partition } from '../aws/partition.js'
import { globalConditions } from './authorize.js'
import { anonymousPrincipal, type Principal } from '../iam/principal.js'
import type { AuditSink, Authorizer } from './security.js'
import { ecrError } from './tables/ecr.js'

/** Who a token's ARN stands for now (undefined: the principal was deleted since the token was issued). */
export type PrincipalLookup = (arn: string) => Principal | undefined

export function registryAuthorizer(authorizer: Authorizer, principalByArn: PrincipalLookup, partition: Partition, now: () => number): RegistryAuthorize {
  return (request) => {
    const principal = principalByArn(request.principal)
    if (principal === undefined) return { allowed: false, message: `${request.principal} no longer exists` }
    const context = globalConditions(request.sourceIp, request.userAgent, now(), partition.region)
    for (const key in request.repositoryTags) context[`aws:ResourceTag/${key}`] = request.repositoryTags[key]
    const decision = authorizer.authorize({
      principal, action: request.action, resource: request.repositoryArn, context,
      ...(request.policyText !== undefined ? { resourcePolicy: request.policyText } : {})
    })
    return decision.allowed ? decision : { allowed: false, message: decision.message }
  }
}

/** Each reported /v2/ request as a CloudTrail record of ecr.amazonaws.com: the ECR call's name, its caller, its error. */
export function registryAuditor(audit: AuditSink, principalByArn: PrincipalLookup, partition: Partition, now: () => number): RegistryAudit {
  return (event) => {
    // A token outliving its principal is still recorded under the ARN it was bound to.
    const principal = principalByArn(event.principal) ?? anonymousPrincipal(partition.accountId, event.principal)
    const wire = event.error === undefined ? undefined : ecrError(event.error)
    audit.record({
      time: now(), eventSource: 'ecr.amazonaws.com', eventName: event.action.slice('ecr:'.length), region: partition.region,
      sourceIp: event.sourceIp, userAgent: event.userAgent, principal,
      requestParameters: { registryId: partition.accountId, ...event.requestParameters }, responseElements: null,
      ...(wire !== undefined ? { errorCode: wire.type, errorMessage: wire.message } : {}),
      requestId: randomUUID(), readOnly: event.readOnly
    })
  }
}
