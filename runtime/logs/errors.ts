// CloudWatch Logs' coded errors: code = the exception name the wire answers.

import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors.js'

export function invalid(field: string, message: string, limit?: number): InvalidArgumentError {
  return new InvalidArgumentError('InvalidParameterException', `${field}: ${message}`, { field, ...(limit === undefined ? {} : { limit }) })
}

export function groupNotFound(field: string): NotFoundError {
  return new NotFoundError('ResourceNotFoundException', 'The specified log group does not exist.', { field })
}

export function streamNotFound(): NotFoundError {
  return new NotFoundError('ResourceNotFoundException', 'The specified log stream does not exist.', { field: 'logStreamName' })
}

export function groupExists(): ConflictError {
  return new ConflictError('ResourceAlreadyExistsException', 'The specified log group already exists', { field: 'logGroupName' })
}

export function streamExists(): ConflictError {
  return new ConflictError('ResourceAlreadyExistsException', 'The specified log stream already exists', { field: 'logStreamName' })
}
