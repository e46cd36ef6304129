import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../clock.js'
import { invalidParameter } from '../errors.js'
import { PathNotFoundError, type StorageDriver } from '../storage/driver.js'

/**
 * Authentication for the /v2/ API. Off by default. When on, every request must prove a
 * principal, except pulls from repositories that allow anonymous pulls.
 *
 * Credentials are HTTP Basic as a configured user, or as user `AWS` with an ECR-style
 * authorization token (`docker login -u AWS -p <token>`), or `Bearer <token>`.
 *
 * Challenges follow distribution's token flow, which docker and skopeo speak:
 * `WWW-Authenticate: Bearer realm="http://<host>/v2/token",service="stratus-registry"`;
 * the client asks `/v2/token?scope=repository:<name>:pull` (with its Basic credentials when it
 * has some) and retries with the bearer token. Without credentials the token endpoint grants
 * pull on the requested repositories that allow anonymous pulls, and nothing else: that is
 * how `docker pull` works anonymously from a public repository.
 *
 * Tokens are stateless, `<expiry ms>.<nonce>.<grant>.<HMAC-SHA256>` under a key kept in
 * storage (so they survive restarts) and expire on the registry clock. The grant is `*`
 * (everything, for a proven principal), `~<base64url principal ARN>` (what that IAM
 * principal is allowed: the registry's `authorize` hook decides each request), or the
 * base64url JSON list of repositories an anonymous token may pull.
 */
export interface AuthOptions {
  /** Require credentials (default false). */
  enabled?: boolean
  /** Basic-auth users: username → password. */
  users?: Readonly<Record<string, string>>
  /** Token lifetime in ms (default 12 hours, as ECR). */
  tokenTtlMs?: number
}

export interface Principal {
  readonly kind: 'user' | 'token' | 'anonymous'
  readonly name: string
  /** For anonymous tokens: the repositories it may pull. Undefined: no restriction. */
  readonly pullOnly?: ReadonlySet<string>
  /** A token bound to an IAM principal (GetAuthorizationToken called by it): its ARN. */
  readonly principalArn?: string
}

export const TOKEN_TTL_MS = 12 * 60 * 60 * 1000
export const TOKEN_PATH = '/v2/token'
export const TOKEN_SERVICE = 'stratus-registry'
const KEY_PATH = '/auth/token-key'
const FULL = '*'
/** The grant prefix of a principal-bound token (not a base64url character, so never an anonymous grant's). */
const BOUND = '~'

export class Authenticator {
  readonly enabled: boolean
  readonly #users: Map<string, Buffer>
  readonly #ttl: number
  #key: Buffer = Buffer.alloc(0)

  constructor (options: AuthOptions, private readonly clock: Clock) {
    this.enabled = options.enabled ?? false
    this.#ttl = options.tokenTtlMs ?? TOKEN_TTL_MS
    if (!Number.isSafeInteger(this.#ttl) || this.#ttl <= 0) throw invalidParameter('auth.tokenTtlMs', 'must be a positive integer', '> 0')
    this.#users = new Map()
    for (const [user, password] of Object.entries(options.users ?? {})) {
      if (user === 'AWS') throw invalidParameter('auth.users', 'user name AWS is reserved for authorization tokens')
      if (user.includes(':') || user === '') throw invalidParameter('auth.users', `invalid user name ${JSON.stringify(user)}`, 'non-empty, no colon')
      this.#users.set(user, Buffer.from(String(password)))
    }
  }

  /** Loads (or creates) the token signing key from storage. */
  async open (driver: StorageDriver): Promise<void> {
    try {
      this.#key = await driver.getContent(KEY_PATH)
    } catch (err) {
      if (!(err instanceof PathNotFoundError)) throw err
      this.#key = randomBytes(32)
      await driver.putContent(KEY_PATH, this.#key)
    }
  }

  /** The `WWW-Authenticate` value for a request to `host` (optionally naming the scope needed). */
  challenge (host: string | undefined, scope?: string): string {
    let value = `Bearer realm="http://${host ?? '127.0.0.1'}${TOKEN_PATH}",service="${TOKEN_SERVICE}"`
    if (scope !== undefined) value += `,scope="${scope}"`
    return value
  }

  /**
   * A token for a proven principal (`pullOnly` undefined), bound to an IAM principal's ARN
   * when one is given, or an anonymous pull grant.
   */
  issueToken (pullOnly?: readonly string[], principalArn?: string): { token: string, expiresAt: number } {
    const expiresAt = this.clock.now() + this.#ttl
    const grant = pullOnly !== undefined
      ? Buffer.from(JSON.stringify(pullOnly)).toString('base64url')
      : principalArn !== undefined ? `${BOUND}${Buffer.from(principalArn).toString('base64url')}` : FULL
    const body = `${expiresAt}.${randomBytes(12).toString('base64url')}.${grant}`
    return { token: `${body}.${this.#sign(body)}`, expiresAt }
  }

  get tokenTtlMs (): number { return this.#ttl }

  #sign (body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url')
  }

  /** The principal a token proves, or undefined when it is forged, malformed or expired. */
  verifyToken (token: string): Principal | undefined {
    const last = token.lastIndexOf('.')
    if (last < 0) return undefined
    const body = token.slice(0, last)
    const expected = Buffer.from(this.#sign(body))
    const given = Buffer.from(token.slice(last + 1))
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
    const [expiry, , grant] = body.split('.')
    const expiresAt = Number(expiry)
    if (!Number.isFinite(expiresAt) || this.clock.now() >= expiresAt || grant === undefined) return undefined
    if (grant === FULL) return { kind: 'token', name: 'AWS' }
    if (grant.startsWith(BOUND)) {
      const principalArn = Buffer.from(grant.slice(BOUND.length), 'base64url').toString('utf8')
      return { kind: 'token', name: 'AWS', principalArn }
    }
    try {
      const repos = JSON.parse(Buffer.from(grant, 'base64url').toString('utf8')) as unknown
      if (!Array.isArray(repos)) return undefined
      return { kind: 'anonymous', name: 'anonymous', pullOnly: new Set(repos.map(String)) }
    } catch {
      return undefined
    }
  }

  /** The principal an `Authorization` header proves, or undefined. */
  authenticate (header: string | undefined): Principal | undefined {
    if (header === undefined) return undefined
    const space = header.indexOf(' ')
    if (space < 0) return undefined
    const scheme = header.slice(0, space).toLowerCase()
    const value = header.slice(space + 1).trim()
    if (scheme === 'bearer') return this.verifyToken(value)
    if (scheme !== 'basic') return undefined
    const decoded = Buffer.from(value, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) return undefined
    const user = decoded.slice(0, colon)
    const password = decoded.slice(colon + 1)
    if (user === 'AWS') {
      const principal = this.verifyToken(password)
      return principal?.kind === 'token' ? principal : undefined
    }
    const expected = this.#users.get(user)
    const given = Buffer.from(password)
    if (expected === undefined || expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined
    return { kind: 'user', name: user }
  }
}

/** `repository:team/app:pull,push` scopes → repository names asking for pull. */
export function pullScopes (scopes: readonly string[]): string[] {
  const out: string[] = []
  for (const scope of scopes) {
    for (const part of scope.split(' ')) {
      const m = /^repository:(.+):([a-z*,]+)$/.exec(part)
      if (m !== null && m[2].split(',').some((a) => a === 'pull' || a === '*')) out.push(m[1])
    }
  }
  return out
}
