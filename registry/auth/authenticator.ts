import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../clock.js'
import { invalidParameter } from '../errors.js'
import { PathNotFoundError, type StorageDriver } from '../storage/driver.js'

/**
 * Authentication for the /v2/ API. Off by default. When on, a request authenticates with
 * HTTP Basic as a configured user, or as user `AWS` with a token from `issueToken()`
 * (ECR's GetAuthorizationToken: `docker login -u AWS -p <token>`), or with `Bearer <token>`.
 *
 * Tokens are stateless: `<expiry ms>.<nonce>.<HMAC-SHA256>` under a key kept in storage,
 * so tokens issued before a restart stay valid until they expire on the registry clock.
 */
export interface AuthOptions {
  /** Require credentials (default false). */
  enabled?: boolean
  /** Basic-auth users: username → password. */
  users?: Readonly<Record<string, string>>
  /** Realm in `WWW-Authenticate` (default `Stratus Registry`). */
  realm?: string
  /** Token lifetime in ms (default 12 hours, as ECR). */
  tokenTtlMs?: number
}

export interface Principal {
  readonly kind: 'user' | 'token'
  readonly name: string
}

export const TOKEN_TTL_MS = 12 * 60 * 60 * 1000
const KEY_PATH = '/auth/token-key'

export class Authenticator {
  readonly enabled: boolean
  readonly realm: string
  readonly #users: Map<string, Buffer>
  readonly #ttl: number
  #key: Buffer = Buffer.alloc(0)

  constructor (options: AuthOptions, private readonly clock: Clock) {
    this.enabled = options.enabled ?? false
    this.realm = options.realm ?? 'Stratus Registry'
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

  get challenge (): string {
    return `Basic realm="${this.realm}"`
  }

  issueToken (): { token: string, expiresAt: number } {
    const expiresAt = this.clock.now() + this.#ttl
    const body = `${expiresAt}.${randomBytes(12).toString('base64url')}`
    return { token: `${body}.${this.#sign(body)}`, expiresAt }
  }

  #sign (body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url')
  }

  verifyToken (token: string): boolean {
    const last = token.lastIndexOf('.')
    if (last < 0) return false
    const body = token.slice(0, last)
    const expected = Buffer.from(this.#sign(body))
    const given = Buffer.from(token.slice(last + 1))
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false
    const expiresAt = Number(body.slice(0, body.indexOf('.')))
    return Number.isFinite(expiresAt) && this.clock.now() < expiresAt
  }

  /** The principal an `Authorization` header proves, or undefined. */
  authenticate (header: string | undefined): Principal | undefined {
    if (header === undefined) return undefined
    const space = header.indexOf(' ')
    if (space < 0) return undefined
    const scheme = header.slice(0, space).toLowerCase()
    const value = header.slice(space + 1).trim()
    if (scheme === 'bearer') return this.verifyToken(value) ? { kind: 'token', name: 'AWS' } : undefined
    if (scheme !== 'basic') return undefined
    const decoded = Buffer.from(value, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) return undefined
    const user = decoded.slice(0, colon)
    const password = decoded.slice(colon + 1)
    if (user === 'AWS') return this.verifyToken(password) ? { kind: 'token', name: 'AWS' } : undefined
    const expected = this.#users.get(user)
    const given = Buffer.from(password)
    if (expected === undefined || expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined
    return { kind: 'user', name: user }
  }
}
