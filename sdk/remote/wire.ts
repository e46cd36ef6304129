// One connection pool to the engine's endpoint (undici, keep-alive), SigV4
// signing per service, and the three shapes of call the remote SDK makes: a
// JSON call (AWS protocols and /stratus/), an NDJSON stream (/stratus/), and a
// raw request (/v2/, which authenticates with registry tokens, not SigV4).

import { Readable } from 'node:stream'
import { Pool } from 'undici'
import { SignatureV4 } from '@smithy/signature-v4'
import { Hash } from '@smithy/hash-node'
import { InvalidArgumentError } from '../../runtime/index.js'
import { errorFromResponse, type ErrorFamily } from './errors.js'

export interface Credentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

export interface WireOptions {
  credentials: Credentials
  region: string
  /** Most connections open at once (default 16). */
  connections?: number
}

export type Headers = Record<string, string | string[] | undefined>

export interface RawResponse {
  status: number
  headers: Headers
  body: Buffer
}

export interface SignedCall {
  /** SigV4 signing name (credential scope service): batch, ecr, iam, cloudtrail, stratus. */
  service: string
  /** Default POST (restJson1's GET and DELETE carry no body). */
  method?: 'GET' | 'POST' | 'DELETE'
  path: string
  /** Query members (a list repeats its name). */
  query?: Record<string, string | string[]>
  headers?: Record<string, string>
  body: string
  family: ErrorFamily
  /** Long calls (waits) and streams: no headers or body timeout. */
  long?: boolean
  signal?: AbortSignal
}

export class WireClient {
  readonly origin: URL
  /** host:port */
  readonly host: string
  readonly #pool: Pool
  readonly #signers = new Map<string, SignatureV4>()
  readonly #options: WireOptions

  constructor(url: string, options: WireOptions) {
    let origin: URL
    try {
      origin = new URL(url)
    } catch {
      throw new InvalidArgumentError('InvalidEndpoint', `url must be http://host:port, got ${JSON.stringify(url)}`, { field: 'url' })
    }
    if (origin.protocol !== 'http:' && origin.protocol !== 'https:') {
      throw new InvalidArgumentError('InvalidEndpoint', `url must be http://host:port, got ${JSON.stringify(url)}`, { field: 'url' })
    }
    this.origin = new URL(origin.origin)
    this.host = this.origin.host
    this.#options = options
    this.#pool = new Pool(this.origin.origin, { connections: options.connections ?? 16, pipelining: 1, keepAliveTimeout: 30_000 })
  }

  #signer(service: string): SignatureV4 {
    let signer = this.#signers.get(service)
    if (signer === undefined) {
      signer = new SignatureV4({ credentials: this.#options.credentials, region: this.#options.region, service, sha256: Hash.bind(null, 'sha256'), uriEscapePath: true, applyChecksum: true })
      this.#signers.set(service, signer)
    }
    return signer
  }

  async #send(call: SignedCall): Promise<{ status: number; headers: Headers; body: AsyncIterable<Buffer> & { text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer>; destroy(): unknown } }> {
    const method = call.method ?? 'POST'
    const query = call.query ?? {}
    const search = new URLSearchParams()
    for (const [name, value] of Object.entries(query)) for (const v of Array.isArray(value) ? value : [value]) search.append(name, v)
    const qs = search.toString().replace(/\+/g, '%20')
    const signed = await this.#signer(call.service).sign({
      method,
      protocol: this.origin.protocol,
      hostname: this.origin.hostname,
      port: Number(this.origin.port) || undefined,
      path: call.path,
      query,
      headers: { host: this.host, 'content-type': 'application/json', ...call.headers },
      body: call.body
    })
    const response = await this.#pool.request({
      method,
      path: qs === '' ? call.path : `${call.path}?${qs}`,
      headers: signed.headers,
      body: call.body,
      signal: call.signal,
      ...(call.long ? { headersTimeout: 0, bodyTimeout: 0 } : {})
    })
    return { status: response.statusCode, headers: response.headers, body: response.body }
  }

  /** A signed call answered whole: resolves with the body, or rejects with the error the embedded SDK would throw. */
  async signed(call: SignedCall): Promise<Buffer> {
    const response = await this.#send(call)
    const body = Buffer.from(await response.body.arrayBuffer())
    if (response.status >= 300) throw errorFromResponse(call.family, response.status, response.headers, body)
    return body
  }

  /** A signed JSON call: resolves with the parsed body, or rejects with the error the embedded SDK would throw. */
  async json(call: SignedCall): Promise<unknown> {
    const body = await this.signed(call)
    if (body.length === 0) return {}
    return JSON.parse(body.toString('utf8')) as unknown
  }

  /** A signed call answered with NDJSON: yields each value as it arrives; breaking out closes the connection. */
  async *ndjson(call: Omit<SignedCall, 'long'>): AsyncGenerator<unknown> {
    const controller = new AbortController()
    const abort = () => controller.abort(call.signal?.reason)
    call.signal?.addEventListener('abort', abort, { once: true })
    try {
      const response = await this.#send({ ...call, long: true, signal: controller.signal })
      if (response.status >= 300) {
        throw errorFromResponse(call.family, response.status, response.headers, Buffer.from(await response.body.arrayBuffer()))
      }
      let pending = ''
      try {
        for await (const chunk of response.body) {
          pending += chunk.toString('utf8')
          let newline: number
          while ((newline = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, newline)
            pending = pending.slice(newline + 1)
            if (line.trim() !== '') yield JSON.parse(line) as unknown
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return
        throw error
      }
      if (pending.trim() !== '') yield JSON.parse(pending) as unknown
    } finally {
      call.signal?.removeEventListener('abort', abort)
      // Leaving early (break, return, an unsubscribe) closes the stream: the server stops producing.
      controller.abort()
    }
  }

  /** An unsigned request (the registry's /v2/ API), answered whole. */
  async raw(request: { method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'; path: string; headers?: Record<string, string>; body?: Buffer | AsyncIterable<Buffer> }): Promise<RawResponse> {
    const body = request.body === undefined || Buffer.isBuffer(request.body) ? request.body : Readable.from(request.body)
    const response = await this.#pool.request({ method: request.method, path: request.path, headers: request.headers, body })
    const answer = request.method === 'HEAD' ? (await response.body.dump(), Buffer.alloc(0)) : Buffer.from(await response.body.arrayBuffer())
    return { status: response.statusCode, headers: response.headers, body: answer }
  }

  async close(): Promise<void> {
    await this.#pool.close()
  }
}
