// ELBv2's coded errors. The code is the awsQuery error code ELBv2 sends
// (`<Error><Code>LoadBalancerNotFound</Code>`, as the service model's
// awsQueryError traits name them); ELBV2_ERRORS gives each its kind and HTTP
// status so the wire table (runtime/api/tables/elbv2.ts) maps them in one
// place. `ValidationError` is the service's generic bad-input answer (not a
// modelled exception: the SDK raises it as a plain ServiceException).
// Messages are worded as ELBv2 words them.

import { StratusError, type ErrorDetails, type ErrorKind } from '../errors.js'

/** Every code the control plane sends: its kind and ELBv2's HTTP status. */
export const ELBV2_ERRORS = {
  ValidationError: { kind: 'InvalidArgument', status: 400 },
  LoadBalancerNotFound: { kind: 'NotFound', status: 400 },
  TargetGroupNotFound: { kind: 'NotFound', status: 400 },
  ListenerNotFound: { kind: 'NotFound', status: 400 },
  RuleNotFound: { kind: 'NotFound', status: 400 },
  CertificateNotFound: { kind: 'NotFound', status: 400 },
  SSLPolicyNotFound: { kind: 'NotFound', status: 400 },
  DuplicateLoadBalancerName: { kind: 'Conflict', status: 400 },
  DuplicateTargetGroupName: { kind: 'Conflict', status: 400 },
  DuplicateListener: { kind: 'Conflict', status: 400 },
  DuplicateTagKeys: { kind: 'InvalidArgument', status: 400 },
  PriorityInUse: { kind: 'Conflict', status: 400 },
  ResourceInUse: { kind: 'Conflict', status: 400 },
  TooManyLoadBalancers: { kind: 'LimitExceeded', status: 400 },
  TooManyTargetGroups: { kind: 'LimitExceeded', status: 400 },
  TooManyTargets: { kind: 'LimitExceeded', status: 400 },
  TooManyRules: { kind: 'LimitExceeded', status: 400 },
  TooManyListeners: { kind: 'LimitExceeded', status: 400 },
  TooManyCertificates: { kind: 'LimitExceeded', status: 400 },
  TooManyActions: { kind: 'LimitExceeded', status: 400 },
  TooManyTags: { kind: 'LimitExceeded', status: 400 },
  TooManyRegistrationsForTargetId: { kind: 'LimitExceeded', status: 400 },
  TooManyUniqueTargetGroupsPerLoadBalancer: { kind: 'LimitExceeded', status: 400 },
  TargetGroupAssociationLimit: { kind: 'LimitExceeded', status: 400 },
  InvalidConfigurationRequest: { kind: 'InvalidArgument', status: 400 },
  InvalidTarget: { kind: 'InvalidArgument', status: 400 },
  InvalidScheme: { kind: 'InvalidArgument', status: 400 },
  InvalidSubnet: { kind: 'InvalidArgument', status: 400 },
  InvalidSecurityGroup: { kind: 'InvalidArgument', status: 400 },
  SubnetNotFound: { kind: 'NotFound', status: 400 },
  IncompatibleProtocols: { kind: 'InvalidArgument', status: 400 },
  UnsupportedProtocol: { kind: 'InvalidArgument', status: 400 },
  InvalidLoadBalancerAction: { kind: 'InvalidArgument', status: 400 },
  OperationNotPermitted: { kind: 'InvalidArgument', status: 400 }
} as const satisfies Record<string, { kind: ErrorKind; status: number }>

export type Elbv2ErrorCode = keyof typeof ELBV2_ERRORS

/** An ELBv2 error: `code` is ELBv2's error code (`LoadBalancerNotFound`). */
export class Elbv2Error extends StratusError {
  /** The HTTP status ELBv2 answers this code with. */
  readonly status: number

  constructor(code: Elbv2ErrorCode, message: string, details?: ErrorDetails) {
    super(ELBV2_ERRORS[code].kind, code, message, details)
    this.status = ELBV2_ERRORS[code].status
  }
}

/** ValidationError naming the field (and the limit, when there is one). */
export function validation(field: string, message: string, limit?: number | string): Elbv2Error {
  return new Elbv2Error('ValidationError', message, { field, ...(limit !== undefined ? { limit } : {}) })
}

/** A coded error naming the field (and the limit). */
export function elbError(code: Elbv2ErrorCode, field: string, message: string, limit?: number | string): Elbv2Error {
  return new Elbv2Error(code, message, { field, ...(limit !== undefined ? { limit } : {}) })
}

/** Whether a thrown value is one of the control plane's coded errors. */
export function isElbv2Error(e: unknown): e is Elbv2Error {
  return e instanceof Elbv2Error
}
