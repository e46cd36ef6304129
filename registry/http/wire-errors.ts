import type { ServerResponse } from 'node:http'
import { OCI_ERROR_CODES, RegistryError, type ErrorKind, type OciErrorCode } from '../errors.js'

/**
 * The one place where errors become wire responses: the OCI distribution-spec error body
 * `{"errors":[{"code","message","detail"}]}` with the spec's status. Registry errors that
 * are not OCI codes (ECR-model errors, storage errors) map by kind.
 */
const CODE_BY_KIND: Record<ErrorKind, OciErrorCode> = {
  NotFound: 'NAME_UNKNOWN',
  Conflict: 'DENIED',
  InvalidArgument: 'UNSUPPORTED',
  LimitExceeded: 'TOOMANYREQUESTS',
  Unauthorized: 'UNAUTHORIZED',
  Forbidden: 'DENIED',
  Unsupported: 'UNSUPPORTED',
  Unavailable: 'UNSUPPORTED'
}

/**
 * ECR-model errors that ECR itself reports with a specific registry code: a push over an
 * immutable tag is `TAG_INVALID` (400) on ECR, which the docker CLI prints as
 * "tag invalid: The image tag '…' already exists in the '…' repository and cannot be
 * overwritten because the tag is immutable." (`TAG_INVALID` is distribution's code; the OCI
 * spec's list has no closer one.)
 */
const WIRE_BY_CODE: Record<string, { code: string, status: number }> = {
  ImageTagAlreadyExistsException: { code: 'TAG_INVALID', status: 400 }
}

const STATUS_BY_KIND: Partial<Record<ErrorKind, number>> = {
  InvalidArgument: 400,
  Conflict: 403,
  Unavailable: 503
}

interface WireError { code: string, message: string, detail: unknown }

function toWire (err: RegistryError): { status: number, code: string } {
  if (err.code in OCI_ERROR_CODES) {
    const code = err.code as OciErrorCode
    return { status: err.status ?? OCI_ERROR_CODES[code].status, code }
  }
  const mapped = WIRE_BY_CODE[err.code]
  if (mapped !== undefined) return mapped
  const code = CODE_BY_KIND[err.kind]
  return { status: err.status ?? STATUS_BY_KIND[err.kind] ?? OCI_ERROR_CODES[code].status, code }
}

export function errorBody (err: unknown): { status: number, body: { errors: WireError[] } } {
  if (err instanceof RegistryError) {
    const { status, code } = toWire(err)
    const errors = [err, ...err.siblings].map((e) => ({
      code: e === err ? code : toWire(e).code,
      message: e.message,
      detail: e.detail ?? (e.code === code ? null : { reason: e.code })
    }))
    return { status, body: { errors } }
  }
  return { status: 500, body: { errors: [{ code: 'UNKNOWN', message: 'internal registry error', detail: null }] } }
}

export function sendError (res: ServerResponse, err: unknown, method: string, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy(err instanceof Error ? err : undefined)
    return
  }
  const { status, body } = errorBody(err)
  const payload = method === 'HEAD' ? '' : JSON.stringify(body)
  res.writeHead(status, {
    ...extraHeaders,
    'Content-Type': 'application/json',
    'Content-Length': method === 'HEAD' ? Buffer.byteLength(JSON.stringify(body)) : Buffer.byteLength(payload),
    'Docker-Distribution-API-Version': 'registry/2.0'
  })
  res.end(payload)
}
