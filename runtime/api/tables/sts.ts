// STS's operation table (awsQuery, API version 2011-06-15): GetCallerIdentity
// (allowed to everyone, as AWS does) and AssumeRole (the role's trust policy is
// the resource policy the router evaluates). Errors: AccessDenied 403,
// ValidationError 400, ExpiredToken 400, RegionDisabled 403.

import type { Iam } from '../../iam/iam.js'
import type { Operation, ServiceTable } from '../operation.js'
import { queryInvalid, queryServiceError } from './iam.js'
import { queryNumber } from './query-lists.js'

const STS_ERRORS: Record<string, number> = { AccessDenied: 403, ValidationError: 400, ExpiredToken: 400, MalformedPolicyDocument: 400, RegionDisabled: 403 }
const BY_KIND: Record<string, [string, number]> = {
  NotFound: ['AccessDenied', 403], InvalidArgument: ['ValidationError', 400], AccessDenied: ['AccessDenied', 403], LimitExceeded: ['PackedPolicyTooLarge', 400]
}

export function stsTable(iam: Iam): ServiceTable {
  const operations: Operation[] = [
    {
      name: 'GetCallerIdentity', readOnly: true,
      authorize: () => ({ action: 'sts:GetCallerIdentity', resources: ['*'] }),
      call: (_input, ctx) => iam.getCallerIdentity({}, ctx.principal)
    },
    {
      name: 'AssumeRole', readOnly: false, required: ['RoleArn', 'RoleSessionName'],
      // The trail keeps the session's key id and expiry, never what signs with it.
      secretOutputs: ['Credentials.SecretAccessKey', 'Credentials.SessionToken'],
      authorize: (input: { RoleArn?: string }) => ({ action: 'sts:AssumeRole', resources: [typeof input.RoleArn === 'string' ? input.RoleArn : '*'] }),
      call: (input: Record<string, unknown>, ctx) => iam.assumeRole({ ...(input as any), DurationSeconds: queryNumber(input.DurationSeconds) }, ctx.principal)
    }
  ]
  return {
    signingName: 'sts',
    eventSource: 'sts.amazonaws.com',
    protocol: 'awsQuery',
    query: { version: '2011-06-15', xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/' },
    operations,
    error: (err) => queryServiceError(err, STS_ERRORS, BY_KIND, 'InternalFailure'),
    invalid: queryInvalid,
    resourcePolicy: (arn) => iam.trustPolicy(arn)
  }
}
