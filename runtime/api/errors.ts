// Errors on the wire, in one place: the router's own errors (unknown
// operation, malformed body, too large, authentication), the x-stratus-error
// header that lets the remote SDK rebuild the engine's error class, and the
// per-kind helpers tables use to build their `error()`.

import { StratusError, type ErrorKind } from '../errors.js'
import { RegistryError } from '../../registry/errors.js'
import type { Protocol, WireError } from './operation.js'

/** An error the router raises itself, before or around a service call: carries its wire form and its coded form. */
export class RouterError extends StratusError {
  readonly wire: WireError
  constructor(kind: ErrorKind, code: string, wire: WireError, details: { field?: string; limit?: number | string } = {}) {
    super(kind, code, wire.message, details)
    this.wire = wire
  }
}

export function unknownOperation(service: string, operation: string): RouterError {
  return new RouterError('InvalidArgument', 'UnknownOperation', {
    type: 'UnknownOperationException', status: 400, message: `${service} has no operation ${operation} (Stratus does not implement it)`
  }, { field: 'operation' })
}

export function serializationError(message: string): RouterError {
  return new RouterError('InvalidArgument', 'Serialization', { type: 'SerializationException', status: 400, message }, { field: 'body' })
}

export function bodyTooLarge(limit: number): RouterError {
  return new RouterError('LimitExceeded', 'RequestTooLarge', {
    type: 'RequestEntityTooLargeException', status: 413, message: `the request body is larger than ${limit} bytes`
  }, { field: 'body', limit })
}

/**
 * Authentication failures (codes from security.ts) per protocol, with the
 * exception names and statuses AWS sends: JSON protocols use the *Exception
 * names — 400 from the awsJson1_1 services (ECR, ECS, Logs, CloudTrail,
 * Lightsail: `{"__type":"UnrecognizedClientException"}` with 400 Bad Request),
 * 403 from the restJson1 ones (Batch) and the Stratus API — awsQuery
 * (IAM, STS) the short names with their own statuses.
 */
const AUTH_ERRORS: Record<string, { json: string; query: [string, number] }> = {
  MissingAuthenticationToken: { json: 'MissingAuthenticationTokenException', query: ['MissingAuthenticationToken', 403] },
  IncompleteSignature: { json: 'IncompleteSignatureException', query: ['IncompleteSignature', 400] },
  UnrecognizedClient: { json: 'UnrecognizedClientException', query: ['InvalidClientTokenId', 403] },
  ExpiredToken: { json: 'ExpiredTokenException', query: ['ExpiredToken', 403] },
  InvalidSignature: { json: 'InvalidSignatureException', query: ['SignatureDoesNotMatch', 403] },
  SignatureExpired: { json: 'InvalidSignatureException', query: ['RequestExpired', 400] }
}

/** The wire form of an authentication failure, or undefined when err is not one. */
export function authWireError(err: unknown, protocol: Protocol): WireError | undefined {
  if (!(err instanceof StratusError) || err.kind !== 'AccessDenied') return undefined
  const known = AUTH_ERRORS[err.code]
  if (known === undefined) return undefined
  if (protocol === 'awsQuery') return { type: known.query[0], status: known.query[1], message: err.message }
  return { type: known.json, status: protocol === 'awsJson1_1' ? 400 : 403, message: err.message }
}


/** What an error is, for the engine: kind, code, field, limit (both error families). */
export interface CodedError {
  readonly name: string
  readonly kind: string
  readonly code: string
  readonly field?: string
  readonly limit?: number | string
}

export function codedOf(err: unknown): CodedError | undefined {
  if (err instanceof StratusError) {
    return { name: err.name, kind: err.kind, code: err.code, field: err.field, limit: err.limit }
  }
  if (err instanceof RegistryError) return { name: 'RegistryError', kind: err.kind, code: err.code, field: err.field, limit: err.limit }
  return undefined
}

/**
 * The x-stratus-error header value: the coded error as JSON, ASCII only (a
 * header cannot carry anything else), so the remote SDK throws the same class
 * the embedded SDK does. `name` is the class: NotFoundError, …, RegistryError.
 */
export function stratusErrorHeader(err: unknown): string | undefined {
  const coded = codedOf(err)
  if (coded === undefined) return undefined
  return JSON.stringify(coded).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** The usual mapping of error kinds to a service's client and server exceptions. */
export function byKind(err: unknown, client: (kind: string) => string, server: string): WireError {
  const coded = codedOf(err)
  const message = err instanceof Error ? err.message : String(err)
  if (coded === undefined || coded.kind === 'Internal' || coded.kind === 'Unavailable') return { type: server, status: 500, message }
  return { type: client(coded.kind), status: 400, message }
}
