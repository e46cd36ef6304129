// Pagination tokens as AWS hands them out: opaque to the caller, bound to the
// query they came from, tamper-checked (HMAC over the content) and expiring.
// A token carries the position to resume from (the last key of the page, so
// paging is stable while records come and go) and its query's scope.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { InvalidArgumentError } from '../errors.js'

export interface TokenOptions {
  /** Milliseconds since the epoch, on the engine's clock. */
  now: () => number
  /** How long a token stays valid (default 24 hours). */
  ttlMs?: number
  /** HMAC key (default: random per engine, so tokens do not outlive it). */
  secret?: Buffer
}

export class PageTokens {
  readonly #now: () => number
  readonly #ttlMs: number
  readonly #secret: Buffer

  constructor(options: TokenOptions) {
    this.#now = options.now
    this.#ttlMs = options.ttlMs ?? 24 * 3_600_000
    this.#secret = options.secret ?? randomBytes(32)
  }

  #mac(body: string): Buffer {
    return createHmac('sha256', this.#secret).update(body).digest().subarray(0, 16)
  }

  /** A token resuming `scope` (the operation and its filters) after `position`. */
  issue(scope: string, position: string): string {
    const body = Buffer.from(JSON.stringify({ s: scope, p: position, e: this.#now() + this.#ttlMs })).toString('base64url')
    return `${body}.${this.#mac(body).toString('base64url')}`
  }

  /**
   * The position a token resumes from. Throws InvalidArgumentError (code
   * `code`, field `field`) for a token this engine did not issue, one issued
   * for another query, or one that expired.
   */
  read(token: unknown, scope: string, options: { code: string; field?: string }): string {
    const field = options.field ?? 'nextToken'
    const refuse = (why: string): never => {
      throw new InvalidArgumentError(options.code, `${field}: ${why}`, { field })
    }
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) return refuse('is not a token this API returned')
    const dot = token.indexOf('.')
    if (dot < 0) return refuse('is not a token this API returned')
    const body = token.slice(0, dot)
    const mac = Buffer.from(token.slice(dot + 1), 'base64url')
    const expected = this.#mac(body)
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return refuse('is not a token this API returned')
    let parsed: { s?: unknown; p?: unknown; e?: unknown }
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))
    } catch {
      return refuse('is not a token this API returned')
    }
    if (parsed.s !== scope || typeof parsed.p !== 'string' || typeof parsed.e !== 'number') return refuse('was issued for another request (same filters and operation needed)')
    if (this.#now() > parsed.e) return refuse('has expired')
    return parsed.p
  }
}
