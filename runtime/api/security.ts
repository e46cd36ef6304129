// What the router needs from runtime/iam and runtime/audit, as interfaces:
// authentication (SigV4 → Principal), authorization (policies → decision),
// and the audit sink (one CloudTrail-shaped record per call).

import type { Principal } from '../iam/principal.js'

/** A request as it arrived, for SigV4: nothing normalised, so the canonical request is rebuilt from the bytes the client signed. */
export interface SignedRequest {
  readonly method: string
  /** The path as sent, still percent-encoded, without the query string. */
  readonly rawPath: string
  /** The query string as sent, without `?` ('' when none). */
  readonly rawQuery: string
  /** Node's raw header list: [name, value, name, value, …] as received. */
  readonly rawHeaders: readonly string[]
  readonly body: Buffer
}

export interface Authenticator {
  /** 'off': any credentials (or none) are accepted; 'iam': requests must be signed by a known key. */
  readonly mode: 'off' | 'iam'
  /**
   * Who signed the request. With mode 'iam' an unsigned, unknown, mis-signed or
   * skewed request throws an AccessDenied StratusError whose code is one of
   * MissingAuthenticationToken, IncompleteSignature, UnrecognizedClient,
   * ExpiredToken, InvalidSignature, SignatureExpired (the router maps it to
   * each protocol's exception); a credential scope for another service than
   * `scope.service`, or a region the engine does not answer for, is
   * InvalidSignature. With 'off' it never throws: the known key's principal, else root.
   */
  authenticate(request: SignedRequest, scope?: { readonly service: string }): Principal
  /** The credential scope's service name of a signed request (header or presigned), if any. */
  signingService(request: SignedRequest): string | undefined
}

export interface AuthorizationRequest {
  readonly principal: Principal
  readonly action: string
  readonly resource: string
  /** Condition keys and values: aws:ResourceTag/…, aws:RequestTag/…, aws:TagKeys, aws:SourceIp, service keys. */
  readonly context: Readonly<Record<string, string | readonly string[] | number | boolean>>
  /** The resource's resource-based policy (JSON text), if it has one. */
  readonly resourcePolicy?: string
}

export type Decision =
  | { readonly allowed: true }
  /** message: AWS's wording — `User: <arn> is not authorized to perform: <action> on resource: <arn> because …`. */
  | { readonly allowed: false; readonly explicit: boolean; readonly message: string }

export interface Authorizer {
  authorize(request: AuthorizationRequest): Decision
}

/** One API call as CloudTrail records it. */
export interface AuditEntry {
  /** Epoch ms. */
  readonly time: number
  readonly eventSource: string
  readonly eventName: string
  readonly region: string
  readonly sourceIp: string
  readonly userAgent: string
  readonly principal: Principal
  readonly requestParameters: unknown
  readonly responseElements: unknown
  readonly errorCode?: string
  readonly errorMessage?: string
  readonly requestId: string
  readonly readOnly: boolean
}

export interface AuditSink {
  record(entry: AuditEntry): void
}
