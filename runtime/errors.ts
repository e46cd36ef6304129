// Coded errors of the engine. Every error has a kind (what went wrong, as the
// edges translate it: an AWS ClientException, an HTTP status) and a stable
// code (which rule, for programs that branch on it). Bad input names the field
// and, where there is one, the limit it broke.

export type ErrorKind = 'NotFound' | 'Conflict' | 'InvalidArgument' | 'LimitExceeded' | 'Unavailable' | 'AccessDenied' | 'Internal'

export interface ErrorDetails {
  /** The input field at fault, as a path: `tasks[3].cpu`, `arrayProperties.size`. */
  field?: string
  /** The limit the value broke, when there is one. */
  limit?: number | string
  cause?: unknown
}

export class StratusError extends Error {
  readonly kind: ErrorKind
  readonly code: string
  readonly field: string | undefined
  readonly limit: number | string | undefined

  constructor(kind: ErrorKind, code: string, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = `${kind}Error`
    this.kind = kind
    this.code = code
    this.field = details.field
    this.limit = details.limit
  }

  toJSON(): Record<string, unknown> {
    return { kind: this.kind, code: this.code, message: this.message, field: this.field, limit: this.limit }
  }
}

export class NotFoundError extends StratusError {
  constructor(code: string, message: string, details?: ErrorDetails) {
    super('NotFound', code, message, details)
  }
}

export class ConflictError extends StratusError {
  constructor(code: string, message: string, details?: ErrorDetails) {
    super('Conflict', code, message, details)
  }
}

export class InvalidArgumentError extends StratusError {
  constructor(code: string, message: string, details?: ErrorDetails) {
    super('InvalidArgument', code, message, details)
  }
}

export class LimitExceededError extends StratusError {
  constructor(code: string, message: string, details?: ErrorDetails) {
    super('LimitExceeded', code, message, details)
  }
}

export class UnavailableError extends StratusError {
  constructor(code: string, message: string, details?: ErrorDetails) {
    super('Unavailable', code, message, details)
  }
}

export class AccessDeniedError extends StratusError {
  constructor(code: string, message: string, details?: ErrorDetails) {
    super('AccessDenied', code, message, details)
  }
}

export class InternalError extends StratusError {
  constructor(code: string, message: string, details?: ErrorDetails) {
    super('Internal', code, message, details)
  }
}
