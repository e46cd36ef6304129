// The SigV4 canonical request, rebuilt from a request as it arrived (path and
// query still percent-encoded, Node's raw header list), as AWS's "Create a
// canonical request" page says for every service but S3: the path normalised
// (empty, `.` and `..` segments removed) and encoded again, the query decoded,
// re-encoded with RFC 3986's unreserved set and sorted, the signed headers
// lower-cased, trimmed, inner whitespace folded and repeated names joined by
// commas.

import { createHash, createHmac } from 'node:crypto'

export const ALGORITHM = 'AWS4-HMAC-SHA256'
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

/** RFC 3986 encoding of a string's UTF-8 bytes: everything but A–Z a–z 0–9 - _ . ~ becomes %XX (upper-case hex). */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** Percent-decoding that keeps malformed escapes as they are (a signer encoding them again gets the same bytes). */
function uriDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** The canonical URI of a non-S3 service: dot segments and empty segments removed, then the (still encoded) path encoded once more. */
export function canonicalPath(rawPath: string): string {
  const path = rawPath.length === 0 ? '/' : rawPath
  const segments: string[] = []
  for (const segment of path.split('/')) {
    if (segment.length === 0 || segment === '.') continue
    if (segment === '..') segments.pop()
    else segments.push(segment)
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : ''
  return `/${segments.map(uriEncode).join('/')}${trailing}`
}

/** The canonical query string: each name and value decoded then encoded, sorted by name then value; `omit` (X-Amz-Signature) left out. */
export function canonicalQuery(rawQuery: string, omit?: string): string {
  if (rawQuery.length === 0) return ''
  const pairs: Array<[string, string]> = []
  for (const part of rawQuery.split('&')) {
    if (part.length === 0) continue
    const eq = part.indexOf('=')
    const name = uriEncode(uriDecode(eq < 0 ? part : part.slice(0, eq)))
    if (name === omit) continue
    pairs.push([name, uriEncode(uriDecode(eq < 0 ? '' : part.slice(eq + 1)))])
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
  return pairs.map(([k, v]) => `${k}=${v}`).join('&')
}

/** Every header of a raw list under its lower-cased name, values in arrival order. */
export function headerMap(rawHeaders: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>()
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase()
    const values = map.get(name)
    if (values === undefined) map.set(name, [rawHeaders[i + 1]])
    else values.push(rawHeaders[i + 1])
  }
  return map
}

/** `name:value` lines of the signed headers (values trimmed, inner whitespace folded, repeats joined by commas), each ending in a newline. */
export function canonicalHeaders(headers: Map<string, string[]>, signed: readonly string[]): string {
  let out = ''
  for (const name of signed) {
    const values = headers.get(name) ?? []
    out += `${name}:${values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`
  }
  return out
}

export interface CanonicalParts {
  method: string
  rawPath: string
  rawQuery: string
  headers: Map<string, string[]>
  signedHeaders: readonly string[]
  payloadHash: string
  /** Presigned requests: the query parameter left out of the canonical query. */
  omitQuery?: string
}

export function canonicalRequest(parts: CanonicalParts): string {
  return [
    parts.method.toUpperCase(),
    canonicalPath(parts.rawPath),
    canonicalQuery(parts.rawQuery, parts.omitQuery),
    canonicalHeaders(parts.headers, parts.signedHeaders),
    parts.signedHeaders.join(';'),
    parts.payloadHash
  ].join('\n')
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`
}

/** kSigning = HMAC chain over date, region, service and "aws4_request", from "AWS4" + secret. */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest()
  const kRegion = createHmac('sha256', kDate).update(region).digest()
  const kService = createHmac('sha256', kRegion).update(service).digest()
  return createHmac('sha256', kService).update('aws4_request').digest()
}

export function signature(key: Buffer, toSign: string): Buffer {
  return createHmac('sha256', key).update(toSign).digest()
}
