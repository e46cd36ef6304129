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

/** Encodes and decodes sticky cookie values with one secret. */
export class StickyCodec {
  readonly #key: Buffer

  /** secret: any bytes (a per-plane secret); a random one when not given. */
  constructor(secret: Buffer = randomBytes(32)) {
    this.#key = createHash('sha256').update('stratus-lb-sticky\0').update(secret).digest()
  }

  /** A cookie value pinning `target` (a Picked.key) in group `group` until `expiresAt` (clock ms). */
  encode(group: string, target: string, expiresAt: number): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(group))
    const head = Buffer.allocUnsafe(9)
    head.writeUInt8(VERSION, 0)
    head.writeDoubleBE(Math.floor(expiresAt), 1)
    const body = Buffer.concat([cipher.update(head), cipher.update(target, 'utf8'), cipher.final()])
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
  }

  /**
   * The target key a cookie value carries, or undefined when the value is
   * not one of ours for this group (tampered, another secret, another
   * group, malformed) or has expired at `now` (clock ms).
   */
  decode(group: string, value: string | undefined, now: number): string | undefined {
    if (value === undefined || value.length === 0 || value.length > 1024) return undefined
    const raw = Buffer.from(value, 'base64url')
    if (raw.length < IV_BYTES + 9 + TAG_BYTES) return undefined
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES))
      decipher.setAAD(Buffer.from(group))
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES))
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()])
      if (plain.readUInt8(0) !== VERSION) return undefined
      const expiresAt = plain.readDoubleBE(1)
      if (!(now < expiresAt)) return undefined
      return plain.subarray(9).toString('utf8')
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
