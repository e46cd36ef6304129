/**
 * Coded errors of the registry.
 *
 * `RegistryError` is what every registry operation throws: a stable `code` (the ECR
 * exception name for repository-model errors, so the AWS-compatible edge maps it one to one;
 * the OCI errcode for protocol errors), a `kind` the engine can reason about, the `field`
 * and `limit` at fault for bad input, and the original `cause`.
 *
 * The HTTP edge turns any error into the OCI distribution-spec error body once, in
 * `http/wire-errors.ts`.
 */
export type ErrorKind =
  | 'NotFound'
  | 'Conflict'
  | 'InvalidArgument'
  | 'LimitExceeded'
  | 'Unauthorized'
  | 'Forbidden'
  | 'Unsupported'
  | 'Unavailable'

/** The OCI distribution-spec error codes, with the HTTP status the spec pairs them with. */
export const OCI_ERROR_CODES = Object.freeze({
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 415, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' }
} as const)

export type OciErrorCode = keyof typeof OCI_ERROR_CODES

export interface RegistryErrorOptions {
  kind: ErrorKind
  /** The input field at fault (e.g. `repositoryName`), for bad input. */
  field?: string
  /** The limit that was exceeded or violated, in words (e.g. `2..256 characters`). */
  limit?: string
  /** Structured detail sent on the wire in the OCI error body. */
  detail?: unknown
  /** Overrides the HTTP status the wire edge would choose. */
  status?: number
  /** Extra errors reported alongside this one on the wire (e.g. one MANIFEST_BLOB_UNKNOWN per blob). */
  siblings?: RegistryError[]
  cause?: unknown
}

export class RegistryError extends Error {
  override name: string
  readonly code: string
  readonly kind: ErrorKind
  readonly field: string | undefined
  readonly limit: string | undefined
  readonly detail: unknown
  readonly status: number | undefined
  readonly siblings: readonly RegistryError[]

  constructor (code: string, message: string, options: RegistryErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.kind = options.kind
    this.field = options.field
    this.limit = options.limit
    this.detail = options.detail
    this.status = options.status
    this.siblings = options.siblings ?? []
  }
}

const KIND_BY_OCI: Record<OciErrorCode, ErrorKind> = {
  BLOB_UNKNOWN: 'NotFound',
  BLOB_UPLOAD_INVALID: 'InvalidArgument',
  BLOB_UPLOAD_UNKNOWN: 'NotFound',
  DIGEST_INVALID: 'InvalidArgument',
  MANIFEST_BLOB_UNKNOWN: 'InvalidArgument',
  MANIFEST_INVALID: 'InvalidArgument',
  MANIFEST_UNKNOWN: 'NotFound',
  NAME_INVALID: 'InvalidArgument',
  NAME_UNKNOWN: 'NotFound',
  SIZE_INVALID: 'InvalidArgument',
  UNAUTHORIZED: 'Unauthorized',
  DENIED: 'Forbidden',
  UNSUPPORTED: 'Unsupported',
  TOOMANYREQUESTS: 'LimitExceeded'
}

/** A protocol error carrying one of the OCI error codes. */
export function ociError (
  code: OciErrorCode,
  message?: string,
  options: Omit<RegistryErrorOptions, 'kind'> & { kind?: ErrorKind } = {}
): RegistryError {
  return new RegistryError(code, message ?? OCI_ERROR_CODES[code].message, { kind: KIND_BY_OCI[code], ...options })
}

/** Bad input at the SDK level: names the field and the limit. */
export function invalidParameter (field: string, message: string, limit?: string): RegistryError {
  return new RegistryError('InvalidParameterException', `${field}: ${message}${limit ? ` (limit: ${limit})` : ''}`, {
    kind: 'InvalidArgument', field, limit
  })
}

export function isRegistryError (err: unknown, code?: string): err is RegistryError {
  return err instanceof RegistryError && (code === undefined || err.code === code)
}
