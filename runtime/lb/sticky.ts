// Sticky-session cookie values (ALB's AWSALB / AWSALBCORS for lb_cookie
// stickiness, AWSALBAPP-n for app_cookie stickiness, AWSALBTG for group-level
// stickiness across weighted target groups).
//
// A value is opaque and tamper-evident: AES-256-GCM over the target's key and
// the expiry (a time on the engine's Clock), with the target group's key as
// associated data, so a value made for one group never pins a target in
// another, and a client can neither read nor forge one. Values are base64url
// (cookie-safe, no quoting needed).
//
// The listener decodes the cookie it receives (decode → the target key it
// passes as PickRequest.sticky), and encodes the chosen target's key
// (Picked.key) with a fresh expiry on every response, as ALB does.
//
// Both sit on the request path, so both are cached: expiries are whole
// seconds (a cookie's Expires has no finer grain), and a group's value for a
// target is made once per second; a value decoded once is remembered (a
// bounded map) with what it carries, its expiry checked on every use.

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

/** lb_cookie stickiness: the cookie ALB sets. */
export const AWSALB = 'AWSALB'
/** The same value with `SameSite=None; Secure` for cross-origin requests. */
export const AWSALBCORS = 'AWSALBCORS'
/** app_cookie stickiness: ALB's own cookie next to the application's (`AWSALBAPP-0` … `AWSALBAPP-3`). */
export const AWSALBAPP = 'AWSALBAPP'
/** Group-level stickiness (forward to weighted target groups). */
export const AWSALBTG = 'AWSALBTG'
export const AWSALBTGCORS = 'AWSALBTGCORS'

const VERSION = 1
const IV_BYTES = 12
const TAG_BYTES = 16
/** Decoded values remembered per codec (and encoded ones per group). */
const DECODED_CACHE = 4096
/** Groups whose encoded values are remembered. */
const ENCODED_GROUPS = 1024

/** Encodes and decodes sticky cookie values with one secret. */
export class StickyCodec {
  readonly #key: Buffer
  /** GCM nonces: a random prefix and a counter (unique per key, no randomness per value). */
  readonly #nonce = Buffer.alloc(IV_BYTES)
  #counter = 0n
  /** group → target → the value made for an expiry second. */
  readonly #encoded = new Map<string, Map<string, { expiresAt: number; value: string }>>()
  /** value → what it carries (only values that decoded). */
  readonly #decoded = new Map<string, { group: string; target: string; expiresAt: number }>()

  /** secret: any bytes (a per-plane secret); a random one when not given. */
  constructor(secret: Buffer = randomBytes(32)) {
    this.#key = createHash('sha256').update('stratus-lb-sticky\0').update(secret).digest()
    randomBytes(4).copy(this.#nonce, 0)
  }

  /** A cookie value pinning `target` (a Picked.key) in group `group` until `expiresAt` (clock ms, kept to the second below). */
  encode(group: string, target: string, expiresAt: number): string {
    const expires = Math.floor(expiresAt / 1000) * 1000
    let byTarget = this.#encoded.get(group)
    const cached = byTarget?.get(target)
    if (cached !== undefined && cached.expiresAt === expires) return cached.value
    this.#nonce.writeBigUInt64BE(this.#counter = (this.#counter + 1n) & 0xffffffffffffffffn, 4)
    const iv = Buffer.from(this.#nonce)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(group))
    const head = Buffer.allocUnsafe(9)
    head.writeUInt8(VERSION, 0)
    head.writeDoubleBE(expires, 1)
    const body = Buffer.concat([cipher.update(head), cipher.update(target, 'utf8'), cipher.final()])
    const value = Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
    if (byTarget === undefined) {
      if (this.#encoded.size >= ENCODED_GROUPS) this.#encoded.delete(this.#encoded.keys().next().value!)
      this.#encoded.set(group, byTarget = new Map())
    }
    if (cached === undefined && byTarget.size >= DECODED_CACHE) byTarget.delete(byTarget.keys().next().value!)
    byTarget.set(target, { expiresAt: expires, value })
    return value
  }

  /**
   * The target key a cookie value carries, or undefined when the value is
   * not one of ours for this group (tampered, another secret, another
   * group, malformed) or has expired at `now` (clock ms).
   */
  decode(group: string, value: string | undefined, now: number): string | undefined {
    if (value === undefined || value.length === 0 || value.length > 1024) return undefined
    const known = this.#decoded.get(value)
    if (known !== undefined) return known.group === group && now < known.expiresAt ? known.target : undefined
    const raw = Buffer.from(value, 'base64url')
    if (raw.length < IV_BYTES + 9 + TAG_BYTES) return undefined
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES))
      decipher.setAAD(Buffer.from(group))
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES))
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()])
      if (plain.readUInt8(0) !== VERSION) return undefined
      const expiresAt = plain.readDoubleBE(1)
      const target = plain.subarray(9).toString('utf8')
      if (this.#decoded.size >= DECODED_CACHE) this.#decoded.delete(this.#decoded.keys().next().value!)
      this.#decoded.set(value, { group, target, expiresAt })
      return now < expiresAt ? target : undefined
    } catch {
      return undefined
    }
  }
}

let processCodec: StickyCodec | undefined

/** The process's codec (a random secret made once): for listeners and groups given no secret. */
export function defaultStickyCodec(): StickyCodec {
  processCodec ??= new StickyCodec()
  return processCodec
}

/** encode with the process's codec. */
export function encodeSticky(group: string, target: string, expiresAt: number): string {
  return defaultStickyCodec().encode(group, target, expiresAt)
}

/** decode with the process's codec. */
export function decodeSticky(group: string, value: string | undefined, now: number): string | undefined {
  return defaultStickyCodec().decode(group, value, now)
}
