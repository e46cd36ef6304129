// Headers on the way through: hop-by-hop ones are dropped (RFC 9110 §7.6.1,
// and whatever the Connection header names), the X-Forwarded-* trio and
// X-Amzn-Trace-Id are added as ALB adds them. Headers stay in Node's flat
// raw form ([name, value, name, value, …]) so their case and order survive.

import { randomFillSync } from 'node:crypto'

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings'])
const OURS = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-port', 'x-amzn-trace-id'])

/** Extra names a Connection header lists (hop-by-hop for this message only). */
function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      for (const t of raw[i + 1]!.split(',')) {
        const name = t.trim().toLowerCase()
        if (name !== '' && name !== 'close' && name !== 'keep-alive' && name !== 'upgrade') (tokens ??= new Set()).add(name)
      }
    }
  }
  return tokens
}

// --- X-Amzn-Trace-Id --------------------------------------------------------------

const POOL_SIZE = 12 * 512
const pool = Buffer.allocUnsafe(POOL_SIZE)
let poolOffset = POOL_SIZE

function random24Hex(): string {
  if (poolOffset + 12 > POOL_SIZE) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + 12)
  poolOffset += 12
  return hex
}

/** A trace id `1-<epoch seconds, 8 hex>-<96 random bits, 24 hex>`. */
export function traceId(nowMs: number): string {
  return `1-${Math.floor(nowMs / 1000).toString(16).padStart(8, '0')}-${random24Hex()}`
}

const ROOT = /(?:^|;)\s*Root=1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24}(?:;|$)/

/**
 * ALB's rule: no (valid) header → `Root=<new id>`; a header with a Root →
 * kept, with `Self=<new id>` first (an earlier Self replaced).
 */
export function traceHeader(incoming: string | undefined, nowMs: number): string {
  if (incoming === undefined || !ROOT.test(incoming)) return `Root=${traceId(nowMs)}`
  const rest = incoming
    .split(';')
    .filter((part) => !/^\s*Self=/.test(part))
    .join(';')
  return `Self=${traceId(nowMs)};${rest}`
}

// --- requests to targets ---------------------------------------------------------

export interface ForwardedFacts {
  clientIp: string
  /** `http` / `https`. */
  proto: string
  /** The listener's port (as the client connected to it). */
  port: string
  nowMs: number
  /** An upgrade (WebSocket): Connection and Upgrade are kept. */
  upgrade: boolean
}

/** The headers a target receives, from the client's raw headers. */
export function requestHeaders(raw: readonly string[], f: ForwardedFacts): string[] {
  const out: string[] = []
  const extra = connectionTokens(raw)
  let xff: string | undefined
  let trace: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    const lower = name.toLowerCase()
    if (HOP_BY_HOP.has(lower)) {
      if (f.upgrade && (lower === 'upgrade' || lower === 'connection')) out.push(name, lower === 'connection' ? 'Upgrade' : raw[i + 1]!)
      continue
    }
    if (extra !== undefined && extra.has(lower)) continue
    if (OURS.has(lower)) {
      if (lower === 'x-forwarded-for') xff = xff === undefined ? raw[i + 1]! : `${xff}, ${raw[i + 1]!}`
      else if (lower === 'x-amzn-trace-id') trace = raw[i + 1]!
      continue
    }
    out.push(name, raw[i + 1]!)
  }
  out.push(
    'X-Forwarded-For', xff === undefined || xff.trim() === '' ? f.clientIp : `${xff}, ${f.clientIp}`,
    'X-Forwarded-Proto', f.proto,
    'X-Forwarded-Port', f.port,
    'X-Amzn-Trace-Id', traceHeader(trace, f.nowMs)
  )
  return out
}

/** The headers the client receives, from the target's raw headers (hop-by-hop dropped). */
export function responseHeaders(raw: readonly string[]): string[] {
  const out: string[] = []
  const extra = connectionTokens(raw)
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase()
    if (HOP_BY_HOP.has(lower) || (extra !== undefined && extra.has(lower))) continue
    out.push(raw[i]!, raw[i + 1]!)
  }
  return out
}

/** The Host header's name without a port (`[::1]:8080` → `[::1]`). */
export function hostWithoutPort(host: string | undefined): string {
  if (host === undefined) return ''
  if (host.startsWith('[')) {
    const end = host.indexOf(']')
    return end < 0 ? host : host.slice(0, end + 1)
  }
  const colon = host.indexOf(':')
  return colon < 0 ? host : host.slice(0, colon)
}
