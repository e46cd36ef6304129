import type { IncomingMessage, ServerResponse } from 'node:http'
import { ociError } from '../errors.js'
import type { Distribution } from '../content/distribution.js'
import type { Authenticator, Principal } from '../auth/authenticator.js'

/** What every /v2/ handler receives. */
export interface RequestContext {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly method: string
  /** Decoded query parameters. */
  readonly query: URLSearchParams
  readonly distribution: Distribution
  readonly auth: Authenticator
  readonly principal: Principal | undefined
}

export const API_VERSION_HEADER = 'Docker-Distribution-API-Version'

/** Sends a JSON body (no body for HEAD) with the API version header. */
export function sendJson (ctx: RequestContext, status: number, body: unknown, headers: Record<string, string | number> = {}): void {
  const payload = JSON.stringify(body)
  ctx.res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(payload),
    [API_VERSION_HEADER]: 'registry/2.0',
    ...headers
  })
  ctx.res.end(ctx.method === 'HEAD' ? undefined : payload)
}

export function sendEmpty (ctx: RequestContext, status: number, headers: Record<string, string | number> = {}): void {
  ctx.res.writeHead(status, { 'Content-Length': 0, [API_VERSION_HEADER]: 'registry/2.0', ...headers })
  ctx.res.end()
}

/** Reads a request body up to `limit` bytes; past it, SIZE_INVALID (413). */
export async function readBody (req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > limit) {
    throw ociError('SIZE_INVALID', `body is ${declared} bytes; the limit is ${limit}`, { status: 413 })
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) throw ociError('SIZE_INVALID', `body is over the limit of ${limit} bytes`, { status: 413 })
    chunks.push(chunk as Buffer)
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)
}

/** True when the request carries a body (a Content-Length above 0, or chunked). */
export function hasBody (req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  if (length !== undefined) return Number(length) > 0
  return req.headers['transfer-encoding'] !== undefined
}

/** `bytes=a-b` / `a-b` → [a, b]; undefined when absent; BLOB_UPLOAD_INVALID when malformed. */
export function parseContentRange (value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(value.trim())
  if (m === null) throw ociError('BLOB_UPLOAD_INVALID', `malformed Content-Range ${JSON.stringify(value.slice(0, 100))}`)
  const start = Number(m[1])
  const end = Number(m[2])
  if (end < start) throw ociError('BLOB_UPLOAD_INVALID', `Content-Range end ${end} is before start ${start}`)
  return [start, end]
}

/** The spec's `n` / `last` pagination over a sorted list, with the `Link` header for the next page. */
export function paginate (ctx: RequestContext, all: readonly string[], basePath: string): { page: string[], headers: Record<string, string> } {
  const nParam = ctx.query.get('n')
  const last = ctx.query.get('last')
  let start = 0
  if (last !== null && last !== '') {
    // First entry lexically after `last` (binary search over the sorted list).
    let lo = 0
    let hi = all.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (all[mid] <= last) lo = mid + 1
      else hi = mid
    }
    start = lo
  }
  let n = all.length - start
  if (nParam !== null && nParam !== '') {
    const parsed = Number(nParam)
    if (!Number.isSafeInteger(parsed) || parsed < 0) {
      throw ociError('UNSUPPORTED', `n must be a non-negative integer, got ${JSON.stringify(nParam.slice(0, 20))}`, { status: 400 })
    }
    n = Math.min(parsed, n)
  }
  const page = all.slice(start, start + n)
  const headers: Record<string, string> = {}
  if (nParam !== null && start + n < all.length && page.length > 0) {
    const next = new URLSearchParams({ n: String(n), last: page[page.length - 1] })
    headers.Link = `<${basePath}?${next.toString()}>; rel="next"`
  }
  return { page, headers }
}
