// HTTP/2 from clients on HTTPS listeners (ALB's routing.http2.enabled,
// default on): a TLS connection that negotiated `h2` by ALPN is given to a
// node:http2 session; each stream is routed like an HTTP/1.1 request and
// forwarded to the target in HTTP/1.1, as ALB does — over the same pooled
// target connections (h1-target.ts).
//
// The downgrade is where h2 → h1 proxies smuggle: nghttp2 already refuses
// connection-specific headers and CR/LF/NUL in fields; a body is sent with
// the client's Content-Length only when the stream's DATA matches it exactly
// (more or fewer bytes reset the stream and the target connection), else
// chunked. Answers reach the client decoded (h2 has its own framing).

import http2 from 'node:http2'
import type { TLSSocket } from 'node:tls'
import type { Clock, TimerHandle } from '../../clock/clock.js'
import { Deadlines } from '../deadlines.js'
import type { Picked } from '../model.js'
import { ChunkedScanner } from './h1-chunked.js'
import { Framing, type RequestHead, type ResponseHead } from './h1-head.js'
import type { TargetConnection, TargetExchange } from './h1-target.js'
import { requestHeaders, responseHeaders } from './headers.js'
import { page } from './pages.js'
import { headerLines, type CookieSource, type ExchangeContext } from './proxy.js'

const { NGHTTP2_INTERNAL_ERROR, NGHTTP2_PROTOCOL_ERROR } = http2.constants

/** ALB's limit of concurrent requests on one HTTP/2 connection. */
export const H2_MAX_CONCURRENT_STREAMS = 128

/** A stream's request as the router and the target see it (rawHeaders without pseudo-headers, Host from :authority). */
export function streamHead(headers: http2.IncomingHttpHeaders, rawPairs: readonly string[], endAfterHeaders: boolean): RequestHead | undefined {
  const method = headers[':method']
  const path = headers[':path']
  if (typeof method !== 'string' || (typeof path !== 'string' && method !== 'CONNECT')) return undefined
  const rawHeaders: string[] = []
  const map: Record<string, string | string[] | undefined> = Object.create(null)
  const authority = headers[':authority']
  let host: string | undefined
  for (let i = 0; i < rawPairs.length; i += 2) {
    const name = rawPairs[i]!
    if (name.charCodeAt(0) === 58) continue
    const value = rawPairs[i + 1]!
    if (name === 'host') host = value
    rawHeaders.push(name, value)
    const prior = map[name]
    if (prior === undefined) map[name] = name === 'set-cookie' ? [value] : value
    else if (Array.isArray(prior)) prior.push(value)
    else map[name] = `${prior}${name === 'cookie' ? '; ' : ', '}${value}`
  }
  if (host === undefined && typeof authority === 'string') {
    rawHeaders.unshift('host', authority)
    map.host = authority
  }
  let framing = Framing.None
  let length = 0
  if (!endAfterHeaders) {
    const declared = map['content-length']
    if (typeof declared === 'string' && /^[0-9]{1,15}$/.test(declared)) {
      length = Number(declared)
      framing = length > 0 ? Framing.Length : Framing.None
    } else {
      if (declared !== undefined) return undefined
      framing = Framing.Chunked
    }
  }
  return { method, url: path ?? '', minor: 1, rawHeaders, headers: map, framing, length, transferEncoding: 'chunked', keepAlive: true, upgrade: false }
}

/** Target header pairs → an h2 header block (lowercase names; repeated set-cookie kept apart). */
function h2Headers(status: number, raw: readonly string[], extraCookies: readonly string[]): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = { ':status': status }
  const cookies: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase()
    const value = raw[i + 1]!
    if (name === 'set-cookie') cookies.push(value)
    else if (out[name] === undefined) out[name] = value
    else out[name] = `${String(out[name])}, ${value}`
  }
  cookies.push(...extraCookies)
  if (cookies.length > 0) out['set-cookie'] = cookies
  return out
}

/** The load balancer's own answer on a stream (pages, fixed responses, redirects). */
export function answerStream(stream: http2.ServerHttp2Stream, method: string, status: number, contentType: string, body: Buffer, date: string, extra: Record<string, string> = {}): void {
  if (stream.destroyed || stream.headersSent) {
    if (!stream.destroyed) stream.close(NGHTTP2_INTERNAL_ERROR)
    return
  }
  stream.respond({ ':status': status, server: 'awselb/2.0', date, 'content-type': contentType, 'content-length': body.length, ...extra })
  stream.end(method === 'HEAD' ? undefined : body)
}

const STALE = new Set(['ECONNRESET', 'EPIPE'])

/** One stream forwarded to a target over HTTP/1.1. */
class StreamExchange implements TargetExchange {
  readonly #stream: http2.ServerHttp2Stream
  readonly #head: RequestHead
  readonly #picked: Picked
  readonly #ctx: ExchangeContext
  readonly #cookies: CookieSource | undefined
  readonly #request: string
  readonly #date: () => string
  #target!: TargetConnection
  #timer: TimerHandle | undefined
  #answered = false
  #released = false
  #retried = false
  #requestSent = false
  #sentBytes = 0
  #decoder: ChunkedScanner | undefined
  /** The target's final status (a 5xx counts against it). */
  #status = 0

  constructor(stream: http2.ServerHttp2Stream, head: RequestHead, clientIp: string, picked: Picked, cookies: CookieSource | undefined, ctx: ExchangeContext, date: () => string) {
    this.#stream = stream
    this.#head = head
    this.#picked = picked
    this.#ctx = ctx
    this.#cookies = cookies
    this.#date = date
    const headers = requestHeaders(head.rawHeaders, { clientIp, proto: ctx.proto, port: ctx.port, nowMs: ctx.clock.now(), upgrade: false })
    let text = `${head.method} ${head.url} HTTP/1.1\r\n${headerLines(headers)}`
    if (head.framing === Framing.Chunked) text += 'Transfer-Encoding: chunked\r\n'
    this.#request = text + '\r\n'
  }

  start(): void {
    const stream = this.#stream
    stream.on('close', () => {
      if (!this.#released) {
        this.#target.destroy()
        this.#release()
      }
    })
    stream.on('drain', () => this.#target.resume())
    this.#timer = this.#ctx.clock.setTimeout(() => this.#timeout(), this.#ctx.targetTimeoutMs)
    this.#send(this.#pool().acquire())
    if (this.#head.framing === Framing.None) return
    const chunked = this.#head.framing === Framing.Chunked
    stream.on('data', (chunk: Buffer) => {
      if (this.#released) return
      let ok: boolean
      if (chunked) {
        this.#target.write(`${chunk.length.toString(16)}\r\n`)
        this.#target.write(chunk)
        ok = this.#target.write('\r\n')
      } else {
        this.#sentBytes += chunk.length
        if (this.#sentBytes > this.#head.length) return this.#broken()
        ok = this.#target.write(chunk)
      }
      if (!ok) stream.pause()
    })
    stream.on('end', () => {
      if (this.#released) return
      if (chunked) this.#target.write('0\r\n\r\n')
      else if (this.#sentBytes !== this.#head.length) return this.#broken()
      this.#requestSent = true
      this.#target.requestEnd()
    })
  }

  #pool() {
    return this.#ctx.pools.for(this.#picked.target.host, this.#picked.target.port)
  }

  #send(target: TargetConnection): void {
    this.#target = target
    target.attach(this, this.#head.method)
    target.write(this.#request)
    if (this.#head.framing === Framing.None) {
      this.#requestSent = true
      target.requestEnd()
    }
  }

  /** The stream's DATA did not match its content-length: nothing of it may reach the target as a request. */
  #broken(): void {
    this.#target.destroy()
    if (!this.#stream.destroyed) this.#stream.close(NGHTTP2_PROTOCOL_ERROR)
    this.#release()
  }

  head(h: ResponseHead, first: Buffer | undefined): void {
    if (h.status < 200 || this.#answered || this.#stream.destroyed) {
      if (h.status >= 200) this.#target.destroy()
      return
    }
    this.#answered = true
    this.#status = h.status
    this.#clearTimer()
    if (h.framing === Framing.Chunked) this.#decoder = new ChunkedScanner(this.#ctx.maxHeaderBytes)
    const cookies = this.#cookies === undefined ? [] : this.#cookies(h.rawHeaders)
    const headers = h2Headers(h.status, responseHeaders(h.rawHeaders), cookies)
    const bodiless = h.framing === Framing.None
    this.#stream.respond(headers, { endStream: bodiless && this.#head.method === 'HEAD' })
    if (first !== undefined) this.body(first)
  }

  body(chunk: Buffer): boolean {
    const stream = this.#stream
    if (stream.destroyed) return true
    const decoder = this.#decoder
    if (decoder === undefined) return stream.write(chunk)
    let more = true
    decoder.scan(chunk, 0, chunk.length, (b, from, to) => {
      more = stream.write(b.subarray(from, to)) && more
    })
    return more
  }

  end(): void {
    if (!this.#requestSent) this.#target.destroy()
    if (!this.#stream.destroyed && !this.#stream.writableEnded) this.#stream.end()
    this.#release(this.#status >= 500 ? 'error' : 'success')
  }

  error(code: string, answered: boolean): void {
    if (this.#released) return
    if (!this.#answered && !answered) {
      if (this.#head.framing === Framing.None && !this.#retried && this.#target.reused && STALE.has(code)) {
        this.#retried = true
        this.#send(this.#pool().connect())
        return
      }
      this.#answered = true
      answerStream(this.#stream, this.#head.method, 502, 'text/html', page(502), this.#date())
    } else if (!this.#stream.destroyed) {
      this.#stream.close(NGHTTP2_INTERNAL_ERROR)
    }
    this.#release('error')
  }

  writable(): void {
    this.#stream.resume()
  }

  #timeout(): void {
    this.#timer = undefined
    if (this.#answered || this.#released) return
    this.#answered = true
    this.#target.destroy()
    answerStream(this.#stream, this.#head.method, 504, 'text/html', page(504), this.#date())
    this.#release('error')
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      this.#ctx.clock.clearTimeout(this.#timer)
      this.#timer = undefined
    }
  }

  /** outcome: the target's part (anomaly detection); undefined when the client ended it. */
  #release(outcome?: 'success' | 'error'): void {
    if (this.#released) return
    this.#released = true
    this.#clearTimer()
    this.#picked.release(outcome)
  }
}

export function forwardStream(stream: http2.ServerHttp2Stream, head: RequestHead, clientIp: string, picked: Picked, cookies: CookieSource | undefined, ctx: ExchangeContext, date: () => string): void {
  new StreamExchange(stream, head, clientIp, picked, cookies, ctx, date).start()
}

export interface H2FrontOptions {
  maxHeaderBytes: number
  maxHeaders: number
  /** A session with no stream open is closed this long after its last one ended (0: never), on the clock. */
  idleTimeoutMs: number
  clock: Clock
  /** A routed stream (the listener answers or forwards it). */
  stream(stream: http2.ServerHttp2Stream, head: RequestHead, clientIp: string): void
  date: () => string
}

/** The h2 side of an HTTPS listener: sessions over TLS sockets that chose h2. */
export class H2Front {
  readonly #server: http2.Http2Server
  /** Open sessions: how many streams each has open, its TLS socket and that socket's byte count when the idle period began. */
  readonly #sessions = new Map<http2.ServerHttp2Session, { open: number; socket: TLSSocket | undefined; bytes: number; quiet: boolean }>()
  readonly #idle: Deadlines<http2.ServerHttp2Session>
  #idleMs: number
  /** The TLS socket whose session 'session' is about to announce. */
  #accepting: TLSSocket | undefined

  constructor(o: H2FrontOptions) {
    this.#idleMs = o.idleTimeoutMs
    this.#idle = new Deadlines(o.clock, (session) => this.#expire(session))
    this.#server = http2.createServer({
      maxHeaderListPairs: o.maxHeaders + 4,
      settings: { maxConcurrentStreams: H2_MAX_CONCURRENT_STREAMS, maxHeaderListSize: o.maxHeaderBytes, enablePush: false }
    })
    this.#server.on('session', (session: http2.ServerHttp2Session) => {
      this.#sessions.set(session, { open: 0, socket: this.#accepting, bytes: 0, quiet: false })
      this.#waitIdle(session)
      session.on('close', () => {
        this.#sessions.delete(session)
        this.#idle.delete(session)
      })
      session.on('error', () => session.destroy())
    })
    this.#server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
      stream.on('error', () => stream.destroy())
      const session = stream.session as http2.ServerHttp2Session | undefined
      const state = session === undefined ? undefined : this.#sessions.get(session)
      if (state !== undefined) {
        state.open++
        this.#waitIdle(session!)
        stream.once('close', () => {
          state.open--
          if (this.#sessions.has(session!)) this.#waitIdle(session!)
        })
      }
      const socket = stream.session?.socket
      const head = streamHead(headers, rawHeaders, stream.endAfterHeaders)
      if (head === undefined) {
        stream.close(NGHTTP2_PROTOCOL_ERROR)
        return
      }
      if (head.method === 'CONNECT') {
        answerStream(stream, 'CONNECT', 405, 'text/html', page(405), o.date())
        return
      }
      const ip = socket?.remoteAddress ?? ''
      o.stream(stream, head, ip.startsWith('::ffff:') ? ip.slice(7) : ip)
    })
  }

  /** A TLS socket whose ALPN chose h2. */
  accept(socket: TLSSocket): void {
    this.#accepting = socket
    try {
      this.#server.emit('connection', socket)
    } finally {
      this.#accepting = undefined
    }
  }

  setIdleTimeout(ms: number): void {
    this.#idleMs = ms
    for (const session of this.#sessions.keys()) this.#waitIdle(session)
  }

  /** A new idle period from now: streams opening and ending are activity; so is any byte (checked at expiry). */
  #waitIdle(session: http2.ServerHttp2Session): void {
    const s = this.#sessions.get(session)
    if (s?.socket !== undefined) s.bytes = s.socket.bytesRead + s.socket.bytesWritten
    if (s !== undefined) s.quiet = false
    if (this.#idleMs > 0) this.#idle.set(session, this.#idleMs)
    else this.#idle.delete(session)
  }

  /**
   * An idle period passed. With no stream open the session is closed (GOAWAY). With streams
   * open, bytes that moved during the period (frames of slow streams) start another; a first
   * quiet one too, since a stream waiting for its answer gets its 504 at the idle timeout (the
   * target timeout); a second: the session is destroyed, its stalled streams with it. A stall
   * is so cut two to three idle periods after the session's last byte.
   */
  #expire(session: http2.ServerHttp2Session): void {
    const s = this.#sessions.get(session)
    if (s === undefined) return
    if (s.open === 0) {
      session.close()
      return
    }
    if (s.socket !== undefined) {
      const moved = s.socket.bytesRead + s.socket.bytesWritten !== s.bytes
      if (moved || !s.quiet) {
        this.#waitIdle(session)
        s.quiet = !moved
        return
      }
    }
    session.destroy()
  }

  close(): void {
    this.#idle.close()
    for (const s of this.#sessions.keys()) s.destroy()
    this.#sessions.clear()
    this.#server.close()
  }
}
