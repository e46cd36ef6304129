// ECS's coded errors. The code is the ECS exception name the wire table sends
// as `__type` (runtime/api/tables/ecs.ts maps code → exception in one place);
// the kind is what other edges (the SDK, HTTP statuses) make of it. Messages
// are worded as ECS words them.

import { StratusError, type ErrorDetails, type ErrorKind } from '../errors.js'

/** The exceptions of the ECS service model that Stratus sends, with the kind each is. */
export const ECS_EXCEPTIONS = {
  InvalidParameterException: 'InvalidArgument',
  ClientException: 'InvalidArgument',
  ClusterNotFoundException: 'NotFound',
  ServiceNotFoundException: 'NotFound',
  ServiceNotActiveException: 'Conflict',
  TaskSetNotFoundException: 'NotFound',
  ClusterContainsContainerInstancesException: 'Conflict',
  ClusterContainsServicesException: 'Conflict',
  ClusterContainsTasksException: 'Conflict',
  ClusterContainsCapacityProviderException: 'Conflict',
  ResourceInUseException: 'Conflict',
  ResourceNotFoundException: 'NotFound',
  NamespaceNotFoundException: 'NotFound',
  TargetNotFoundException: 'NotFound',
  TargetNotConnectedException: 'Conflict',
  AttributeLimitExceededException: 'LimitExceeded',
  LimitExceededException: 'LimitExceeded',
  UnsupportedFeatureException: 'InvalidArgument',
  PlatformUnknownException: 'InvalidArgument',
  PlatformTaskDefinitionIncompatibilityException: 'InvalidArgument',
  UpdateInProgressException: 'Conflict',
  ServiceDeploymentNotFoundException: 'NotFound',
  ConflictException: 'Conflict',
  AccessDeniedException: 'AccessDenied',
  ServerException: 'Internal'
} as const satisfies Record<string, ErrorKind>

export type EcsExceptionName = keyof typeof ECS_EXCEPTIONS

/** An ECS error: `code` is the exception name (`ClusterNotFoundException`). */
export class EcsError extends StratusError {
  constructor(code: EcsExceptionName, message: string, details?: ErrorDetails) {
    super(ECS_EXCEPTIONS[code], code, message, details)
  }
}

/** InvalidParameterException naming the field (and the limit, when there is one). */
export function invalidParameter(field: string, message: string, limit?: number | string): EcsError {
  return new EcsError('InvalidParameterException', message, { field, ...(limit !== undefined ? { limit } : {}) })
}

/** ClientException naming the field: ECS's answer to a request that is well formed but cannot be done. */
export function clientException(field: string, message: string, limit?: number | string): EcsError {
  return new EcsError('ClientException', message, { field, ...(limit !== undefined ? { limit } : {}) })
}
