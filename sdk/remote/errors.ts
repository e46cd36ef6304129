// Errors over the wire become the classes the embedded SDK throws. Every
// error response of the engine carries `x-stratus-error: {"kind","code",
// "field","limit"}` beside AWS's `__type`/`message`: from it the client
// rebuilds the same StratusError subclass (Batch, the clock, events) or
// RegistryError (ECR, the registry's extensions), so `instanceof`, `kind`,
// `code` and `field` read the same both ways. A response without it (a proxy,
// another server) falls back to AWS's exception name as the code.

import {
  AccessDeniedError, ConflictError, InternalError, InvalidArgumentError, LimitExceededError, NotFoundError, RegistryError, StratusError, UnavailableError,
  type ErrorKind, type RegistryErrorKind
} from '../../runtime/index.js'
import { child, parseXml } from './xml.js'

/** Which family of errors a service throws when embedded. */
export type ErrorFamily = 'stratus' | 'registry'

interface StratusErrorHeader {
  kind?: string
  code?: string
  field?: string
  limit?: number | string
}

const STRATUS_CLASSES: Record<ErrorKind, new (code: string, message: string, details?: { field?: string; limit?: number | string }) => StratusError> = {
  NotFound: NotFoundError,
  Conflict: ConflictError,
  InvalidArgument: InvalidArgumentError,
  LimitExceeded: LimitExceededError,
  Unavailable: UnavailableError,
  AccessDenied: AccessDeniedError,
  Internal: InternalError
}

const REGISTRY_KINDS: ReadonlySet<string> = new Set<RegistryErrorKind>(['NotFound', 'Conflict', 'InvalidArgument', 'LimitExceeded', 'Unauthorized', 'Forbidden', 'Unsupported', 'Unavailable'])

/** The kind an HTTP status stands for, when the server did not say. */
function kindOfStatus(status: number): ErrorKind {
  if (status === 404) return 'NotFound'
  if (status === 409) return 'Conflict'
  if (status === 401 || status === 403) return 'AccessDenied'
  if (status === 429) return 'LimitExceeded'
  if (status === 503 || status === 502 || status === 504) return 'Unavailable'
  if (status >= 500) return 'Internal'
  return 'InvalidArgument'
}

function parseHeader(value: string | string[] | undefined): StratusErrorHeader | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (text === undefined || text === '') return undefined
  try {
    const parsed = JSON.parse(text) as unknown
    return typeof parsed === 'object' && parsed !== null ? (parsed as StratusErrorHeader) : undefined
  } catch {
    return undefined
  }
}

/** awsQuery's XML error body: `<ErrorResponse><Error><Code>…</Code><Message>…</Message>`. */
function parseXmlBody(text: string): { type?: string; message?: string } {
  try {
    const error = child(parseXml(text), 'Error')
    if (error === undefined) return {}
    const code = child(error, 'Code')?.text
    const message = child(error, 'Message')?.text
    return { ...(code !== undefined ? { type: code } : {}), ...(message !== undefined ? { message } : {}) }
  } catch {
    return {}
  }
}

/** AWS's JSON error body: `{"__type": "…#Name", "message": "…"}` (some services say Message), or awsQuery's XML one. */
function parseBody(body: Buffer): { type?: string; message?: string } {
  const text = body.toString('utf8')
  if (text.trimStart().startsWith('<')) return parseXmlBody(text)
  try {
    const json = JSON.parse(text) as Record<string, unknown>
    const type = typeof json.__type === 'string' ? json.__type.slice(json.__type.lastIndexOf('#') + 1) : undefined
    const message = typeof json.message === 'string' ? json.message : typeof json.Message === 'string' ? json.Message : undefined
    return { type, message }
  } catch {
    return {}
  }
}

/** The error an engine response stands for, as the embedded SDK would have thrown it. */
export function errorFromResponse(family: ErrorFamily, status: number, headers: Record<string, string | string[] | undefined>, body: Buffer): Error {
  const header = parseHeader(headers['x-stratus-error'])
  const aws = parseBody(body)
  const amznType = headers['x-amzn-errortype']
  const type = aws.type ?? (typeof amznType === 'string' ? amznType.split(':')[0] : undefined)
  const message = aws.message ?? (body.length > 0 && body.length < 2048 ? body.toString('utf8') : `HTTP ${status}`)
  const code = header?.code ?? type ?? `Http${status}`
  const kind = header?.kind ?? kindOfStatus(status)
  const field = typeof header?.field === 'string' ? header.field : undefined
  const limit = header?.limit
  if (family === 'registry' && REGISTRY_KINDS.has(kind)) {
    return new RegistryError(code, message, { kind: kind as RegistryErrorKind, ...(field !== undefined ? { field } : {}), ...(limit !== undefined ? { limit: String(limit) } : {}) })
  }
  const make = STRATUS_CLASSES[kind as ErrorKind] ?? InternalError
  return new make(code, message, { ...(field !== undefined ? { field } : {}), ...(limit !== undefined ? { limit } : {}) })
}
