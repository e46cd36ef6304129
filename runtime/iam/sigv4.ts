// SigV4 verification: who signed a request, proved by recomputing its
// signature from what arrived (sigv4-canonical.ts) with the secret of the key
// it names, compared in constant time. Both forms AWS accepts: the
// Authorization header and presigned query strings (X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
// X-Amz-Signature). Time is the wall clock (injectable for tests), never the
// engine's manual clock: a request signed now must verify whatever the test
// clock says.

import { timingSafeEqual } from 'node:crypto'
import { AccessDeniedError } from '../errors.js'
import type { SignedRequest } from '../api/security.js'
import type { Principal } from './principal.js'
import {
  ALGORITHM, EMPTY_SHA256, canonicalRequest, headerMap, sha256Hex, signature, signingKey, stringToSign
} from './sigv4-canonical.js'

/** What a known access key stands for. */
export interface KeyOwner {
  readonly secretAccessKey: string
  readonly principal: Principal
  /** Temporary credentials (AssumeRole) carry a session token the request must present. */
  readonly sessionToken?: string
  /** Temporary credentials: wall-clock epoch ms after which a request signed with them is ExpiredToken. */
  readonly expiration?: number
}

/** What the credential scope must say for the endpoint the request reached. */
export interface ExpectedScope {
  /** The routed service's signing name: another is `Credential should be scoped to correct service`. */
  readonly service?: string
  /** The regions the service answers for (the engine's; us-east-1 too for global IAM and STS); undefined: any. */
  readonly regions?: readonly string[]
}

export interface SigV4Options {
  /** The owner of an access key, undefined when the key is unknown (or inactive). */
  lookup(accessKeyId: string): KeyOwner | undefined
  /** Wall-clock milliseconds (default Date.now). */
  now?: () => number
}

/** The signature a request carries, parsed (nothing verified yet). */
export interface SignatureClaim {
  readonly presigned: boolean
  readonly accessKeyId: string
  /** yyyymmdd of the credential scope. */
  readonly scopeDate: string
  readonly region: string
  readonly service: string
  readonly signedHeaders: readonly string[]
  readonly signature: string
  /** yyyymmddThhmmssZ */
  readonly amzDate: string | undefined
  /** Presigned: X-Amz-Expires, seconds (1–604800); verify() refuses a presigned request without it. */
  readonly expires?: number
  readonly sessionToken?: string
}

export const SKEW_MS = 15 * 60_000
const MAX_PRESIGNED_SECONDS = 604_800
const MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'
const INVALID_TOKEN = 'The security token included in the request is invalid.'
const EXPIRED_TOKEN = 'The security token included in the request is expired'

function denied(code: string, message: string): AccessDeniedError {
  return new AccessDeniedError(code, message)
}

function queryParams(rawQuery: string): Map<string, string> {
  const out = new Map<string, string>()
  if (rawQuery.length === 0) return out
  for (const part of rawQuery.split('&')) {
    const eq = part.indexOf('=')
    const name = eq < 0 ? part : part.slice(0, eq)
    if (!name.startsWith('X-Amz-') && !name.startsWith('x-amz-')) continue
    try {
      out.set(decodeURIComponent(name), decodeURIComponent(eq < 0 ? '' : part.slice(eq + 1)))
    } catch {
      out.set(name, eq < 0 ? '' : part.slice(eq + 1))
    }
  }
  return out
}

/** 20150830T123600Z → epoch ms (undefined when malformed). */
export function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value)
  if (m === null) return undefined
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])
  return Number.isNaN(ms) ? undefined : ms
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
}

/** `AKID/20150830/us-east-1/service/aws4_request` → its parts, or the reason it is malformed. */
function parseCredential(value: string): { accessKeyId: string; scopeDate: string; region: string; service: string } | string {
  const parts = value.split('/')
  if (parts.length !== 5) return `Credential should be scoped to a valid region. Credential=${value}`
  const [accessKeyId, scopeDate, region, service, terminator] = parts
  if (terminator !== 'aws4_request') return `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`
  if (!/^\d{8}$/.test(scopeDate)) return `Credential should be scoped to a valid date. Credential=${value}`
  if (accessKeyId.length === 0 || region.length === 0 || service.length === 0) return `Credential should be scoped to a valid region. Credential=${value}`
  return { accessKeyId, scopeDate, region, service }
}

export class SigV4Verifier {
  readonly #lookup: (accessKeyId: string) => KeyOwner | undefined
  readonly #now: () => number
  /** Derived signing keys by secret, date, region and service: one HMAC chain per key per day, not per request. */
  readonly #keys = new Map<string, Buffer>()

  constructor(options: SigV4Options) {
    this.#lookup = options.lookup
    this.#now = options.now ?? Date.now
  }

  /**
   * The signature a request claims, or undefined when it carries none. Throws
   * IncompleteSignature when one is there but malformed, unless `lenient`.
   * `headers`: the request's header map, when the caller has built it already.
   */
  claim(request: SignedRequest, lenient = false, headers = headerMap(request.rawHeaders)): SignatureClaim | undefined {
    const authorization = headers.get('authorization')?.[0]
    const incomplete = (message: string): undefined => {
      if (lenient) return undefined
      throw denied('IncompleteSignature', message)
    }
    if (authorization !== undefined && authorization.startsWith('AWS4-')) {
      const space = authorization.indexOf(' ')
      const algorithm = space < 0 ? authorization : authorization.slice(0, space)
      if (algorithm !== ALGORITHM) return incomplete(`Unsupported AWS 'algorithm': '${algorithm}'`)
      const fields = new Map<string, string>()
      for (const item of authorization.slice(space + 1).split(',')) {
        const eq = item.indexOf('=')
        if (eq > 0) fields.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim())
      }
      const amzDate = headers.get('x-amz-date')?.[0] ?? headers.get('date')?.[0]
      const missing: string[] = []
      if (!fields.has('Credential')) missing.push("Authorization header requires 'Credential' parameter.")
      if (!fields.has('Signature')) missing.push("Authorization header requires 'Signature' parameter.")
      if (!fields.has('SignedHeaders')) missing.push("Authorization header requires 'SignedHeaders' parameter.")
      if (amzDate === undefined) missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
      if (missing.length > 0) return incomplete(`${missing.join(' ')} Authorization=${authorization}`)
      const credential = parseCredential(fields.get('Credential')!)
      if (typeof credential === 'string') return incomplete(credential)
      const token = headers.get('x-amz-security-token')?.[0]
      return {
        presigned: false, ...credential, signedHeaders: fields.get('SignedHeaders')!.split(';'), signature: fields.get('Signature')!, amzDate,
        ...(token === undefined ? {} : { sessionToken: token })
      }
    }
    if (authorization !== undefined && authorization.length > 0 && !lenient) {
      throw denied('IncompleteSignature', `Authorization header requires 'Credential' parameter. Authorization=${authorization}`)
    }
    const query = queryParams(request.rawQuery)
    const algorithm = query.get('X-Amz-Algorithm')
    if (algorithm === undefined) return undefined
    if (algorithm !== ALGORITHM) return incomplete(`Unsupported AWS 'algorithm': '${algorithm}'`)
    const missing = ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature'].filter((name) => !query.has(name))
    if (missing.length > 0) return incomplete(`AWS query-string parameters must include ${missing.map((m) => `'${m}'`).join(', ')}. Re-examine the query-string parameters.`)
    const credential = parseCredential(query.get('X-Amz-Credential')!)
    if (typeof credential === 'string') return incomplete(credential)
    const expiresText = query.get('X-Amz-Expires')
    const expires = expiresText === undefined ? undefined : /^\d+$/.test(expiresText) ? Number(expiresText) : NaN
    if (expires !== undefined && (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGNED_SECONDS)) {
      return incomplete(`X-Amz-Expires must be an integer from 1 to ${MAX_PRESIGNED_SECONDS} (one week), got ${expiresText}`)
    }
    const token = query.get('X-Amz-Security-Token')
    return {
      presigned: true, ...credential, signedHeaders: query.get('X-Amz-SignedHeaders')!.split(';'), signature: query.get('X-Amz-Signature')!,
      amzDate: query.get('X-Amz-Date'), ...(expires === undefined ? {} : { expires }), ...(token === undefined ? {} : { sessionToken: token })
    }
  }

  /** The credential scope's service of a signed request, if it carries a well-formed signature. */
  signingService(request: SignedRequest): string | undefined {
    return this.claim(request, true)?.service
  }

  /**
   * The principal that signed the request. Throws an AccessDenied StratusError:
   * MissingAuthenticationToken, IncompleteSignature, UnrecognizedClient,
   * ExpiredToken, InvalidSignature (also a credential scope for another region
   * or service than `expectedScope`) or SignatureExpired. Nothing is cached across
   * requests but derived signing keys.
   */
  verify(request: SignedRequest, expectedScope: ExpectedScope = {}): Principal {
    // One header map for the claim and the canonical request.
    const headers = headerMap(request.rawHeaders)
    const claim = this.claim(request, false, headers)
    if (claim === undefined) throw denied('MissingAuthenticationToken', 'Missing Authentication Token')
    // AWS requires X-Amz-Expires on a presigned request: without it, one would never expire.
    if (claim.presigned && claim.expires === undefined) {
      throw denied('IncompleteSignature', "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders' and 'X-Amz-Signature'. Re-examine the query-string parameters.")
    }
    // AWS's wording; both are InvalidSignatureException / SignatureDoesNotMatch on the wire.
    if (expectedScope.regions !== undefined && !expectedScope.regions.includes(claim.region)) {
      throw denied('InvalidSignature', `Credential should be scoped to a valid region, not '${claim.region}'.`)
    }
    if (expectedScope.service !== undefined && claim.service !== expectedScope.service) {
      throw denied('InvalidSignature', `Credential should be scoped to correct service: '${expectedScope.service}'.`)
    }
    const owner = this.#lookup(claim.accessKeyId)
    if (owner === undefined) throw denied('UnrecognizedClient', INVALID_TOKEN)
    if (owner.sessionToken !== undefined ? claim.sessionToken !== owner.sessionToken : claim.sessionToken !== undefined) {
      throw denied('UnrecognizedClient', INVALID_TOKEN)
    }
    if (owner.expiration !== undefined && owner.expiration <= this.#now()) throw denied('ExpiredToken', EXPIRED_TOKEN)
    this.#checkTime(claim)
    if (!claim.signedHeaders.includes('host')) {
      throw denied('IncompleteSignature', `'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.`)
    }
    const declared = claim.presigned
      ? (queryParams(request.rawQuery).get('X-Amz-Content-Sha256') ?? headers.get('x-amz-content-sha256')?.[0])
      : headers.get('x-amz-content-sha256')?.[0]
    let payloadHash: string
    if (declared === undefined) payloadHash = request.body.length === 0 ? EMPTY_SHA256 : sha256Hex(request.body)
    else if (declared === 'UNSIGNED-PAYLOAD' && claim.presigned) payloadHash = declared
    else {
      const actual = request.body.length === 0 ? EMPTY_SHA256 : sha256Hex(request.body)
      if (declared !== actual) throw denied('InvalidSignature', "The provided 'x-amz-content-sha256' header does not match what was computed.")
      payloadHash = declared
    }
    const canonical = canonicalRequest({
      method: request.method, rawPath: request.rawPath, rawQuery: request.rawQuery, headers, signedHeaders: claim.signedHeaders, payloadHash,
      ...(claim.presigned ? { omitQuery: 'X-Amz-Signature' } : {})
    })
    const scope = `${claim.scopeDate}/${claim.region}/${claim.service}/aws4_request`
    const expected = signature(this.#signingKey(owner.secretAccessKey, claim.scopeDate, claim.region, claim.service), stringToSign(claim.amzDate!, scope, canonical))
    const given = /^[0-9a-f]{64}$/.test(claim.signature) ? Buffer.from(claim.signature, 'hex') : Buffer.alloc(0)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw denied('InvalidSignature', MISMATCH)
    return { ...owner.principal, accessKeyId: claim.accessKeyId }
  }

  /** The access key a request names (header or presigned), verified or not: what authentication 'off' goes by. */
  accessKeyOf(request: SignedRequest): string | undefined {
    return this.claim(request, true)?.accessKeyId
  }

  #checkTime(claim: SignatureClaim): void {
    const signedAt = claim.amzDate === undefined ? undefined : parseAmzDate(claim.amzDate) ?? Date.parse(claim.amzDate)
    if (signedAt === undefined || Number.isNaN(signedAt)) {
      throw denied('IncompleteSignature', `Date must be in ISO-8601 'basic format'. Got '${claim.amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`)
    }
    const amzDate = formatAmzDate(signedAt)
    if (amzDate.slice(0, 8) !== claim.scopeDate) {
      throw denied('InvalidSignature', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${claim.scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`)
    }
    const now = this.#now()
    if (claim.presigned && now > signedAt + (claim.expires ?? 0) * 1000) {
      throw denied('SignatureExpired', `Request has expired: signed at ${amzDate}, valid for ${claim.expires} seconds, now ${formatAmzDate(now)}`)
    }
    if (!claim.presigned && signedAt < now - SKEW_MS) {
      throw denied('SignatureExpired', `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - SKEW_MS)} (${formatAmzDate(now)} - 15 min.)`)
    }
    if (signedAt > now + SKEW_MS) {
      throw denied('SignatureExpired', `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + SKEW_MS)} (${formatAmzDate(now)} + 15 min.)`)
    }
  }

  #signingKey(secret: string, date: string, region: string, service: string): Buffer {
    const id = `${secret}\n${date}\n${region}\n${service}`
    let key = this.#keys.get(id)
    if (key === undefined) {
      if (this.#keys.size >= 1024) this.#keys.clear()
      key = signingKey(secret, date, region, service)
      this.#keys.set(id, key)
    }
    return key
  }
}
