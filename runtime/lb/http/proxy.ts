// One forwarded exchange: the client's request written to the picked target
// over a pooled keep-alive connection (h1-target.ts), its body streamed as
// framed, the answer streamed back (h1-client.ts). ALB's error rules:
// refused/reset before a response → 502, no response head within the target
// timeout → 504 (on the Clock), and a request already sent is never retried
// on another target. Picked.release() runs exactly once, whichever way the
// exchange ends.

import type { Clock, TimerHandle } from '../../clock/clock.js'
import type { Picked } from '../model.js'
import { ChunkedScanner, MALFORMED } from './h1-chunked.js'
import type { BodySink, ClientConnection } from './h1-client.js'
import { Framing, type RequestHead, type ResponseHead } from './h1-head.js'
import type { TargetConnection, TargetExchange, TargetPools } from './h1-target.js'
import { requestHeaders, responseHeaders } from './headers.js'

export interface ExchangeContext {
  clock: Clock
  pools: TargetPools
  targetTimeoutMs: number
  proto: string
  port: string
  /** A target's response headers are held to the same size limit as clients' requests. */
  maxHeaderBytes: number
  /** Connections to targets come from the load balancer's address. */
  localAddress: string
}

/** Set-Cookie values the load balancer adds (stickiness), given the target's raw response headers. */
export type CookieSource = (raw: readonly string[]) => readonly string[]

/** Raw header pairs as header lines, each ending CRLF. */
export function headerLines(raw: readonly string[]): string {
  let out = ''
  for (let i = 0; i < raw.length; i += 2) out += `${raw[i]}: ${raw[i + 1]}\r\n`
  return out
}

/** The request as the target receives it: the request line, ALB's headers, the body's framing. */
function requestText(head: RequestHead, clientIp: string, ctx: ExchangeContext): string {
  const headers = requestHeaders(head.rawHeaders, { clientIp, proto: ctx.proto, port: ctx.port, nowMs: ctx.clock.now(), upgrade: false })
  let text = `${head.method} ${head.url} HTTP/1.1\r\n${headerLines(headers)}`
  // An HTTP/1.0 request may come without Host; the target is spoken to in 1.1, which requires one.
  if (head.headers.host === undefined) text += `Host: ${ctx.localAddress}:${ctx.port}\r\n`
  if (head.framing === Framing.Chunked) text += `Transfer-Encoding: ${head.transferEncoding}\r\n`
  return text + '\r\n'
}

/** Errors that mean a pooled connection was already closed by the target when the request went out. */
const STALE = new Set(['ECONNRESET', 'EPIPE'])

class Exchange implements TargetExchange, BodySink {
  readonly #conn: ClientConnection
  readonly #head: RequestHead
  readonly #picked: Picked
  readonly #ctx: ExchangeContext
  readonly #cookies: CookieSource | undefined
  readonly #request: string
  readonly #bodiless: boolean
  #target!: TargetConnection
  #timer: TimerHandle | undefined
  /** The client's answer is decided (the target's head relayed, or our page). */
  #answered = false
  #released = false
  #retried = false
  #requestSent = false
  /** The client connection stays open after this answer. */
  #keep = false
  /** A chunked answer to an HTTP/1.0 client is decoded (it cannot read chunks). */
  #decoder: ChunkedScanner | undefined
  /** The target's final status (a 5xx counts against it). */
  #status = 0

  constructor(conn: ClientConnection, head: RequestHead, picked: Picked, cookies: CookieSource | undefined, ctx: ExchangeContext) {
    this.#conn = conn
    this.#head = head
    this.#picked = picked
    this.#ctx = ctx
    this.#cookies = cookies
    this.#bodiless = head.framing === Framing.None
    this.#request = requestText(head, conn.remoteIp, ctx)
  }

  start(): void {
    const conn = this.#conn
    conn.onGone = () => this.#clientGone()
    conn.onWritable = () => this.#target.resume()
    this.#timer = this.#ctx.clock.setTimeout(() => this.#timeout(), this.#ctx.targetTimeoutMs)
    this.#send(this.#ctx.pools.for(this.#picked.target.host, this.#picked.target.port).acquire())
    if (!this.#bodiless) conn.setSink(this)
  }

  #send(target: TargetConnection): void {
    this.#target = target
    target.attach(this, this.#head.method)
    target.write(this.#request)
    if (this.#bodiless) {
      this.#requestSent = true
      target.requestEnd()
    }
  }

  // --- the client's body (BodySink) ---------------------------------------------

  requestChunk(chunk: Buffer): boolean {
    return this.#target.write(chunk)
  }

  requestEnd(): void {
    this.#requestSent = true
    this.#target.requestEnd()
  }

  requestAbort(): void {
    // The client's body broke off: the target cannot be given a complete request.
    this.#target.destroy()
    this.#release()
  }

  // --- the target's answer (TargetExchange) -------------------------------------

  head(h: ResponseHead, first: Buffer | undefined): void {
    const conn = this.#conn
    if (h.status < 200) {
      // Interim answers reach HTTP/1.1 clients only (1.0 has none).
      if (this.#head.minor === 1 && !this.#answered) conn.write(`HTTP/1.1 ${h.status} ${h.message}\r\n${headerLines(responseHeaders(h.rawHeaders))}\r\n`)
      return
    }
    if (this.#answered) {
      this.#target.destroy()
      return
    }
    this.#answered = true
    this.#status = h.status
    this.#clearTimer()
    let keep = conn.keepAlive
    let framing = ''
    if (h.framing === Framing.Chunked) {
      if (this.#head.minor === 1) framing = `Transfer-Encoding: ${h.transferEncoding}\r\n`
      else {
        this.#decoder = new ChunkedScanner(this.#ctx.maxHeaderBytes)
        keep = false
      }
    } else if (h.framing === Framing.UntilClose) {
      keep = false
    }
    this.#keep = keep
    let text = `HTTP/1.1 ${h.status} ${h.message}\r\n${headerLines(responseHeaders(h.rawHeaders))}${framing}`
    const cookies = this.#cookies
    if (cookies !== undefined) for (const c of cookies(h.rawHeaders)) text += `Set-Cookie: ${c}\r\n`
    if (!keep) text += 'Connection: close\r\n'
    else if (this.#head.minor === 0) text += 'Connection: keep-alive\r\n'
    text += '\r\n'
    if (first === undefined) {
      conn.write(text)
      return
    }
    const socket = conn.socket
    socket.cork()
    socket.write(text, 'latin1')
    this.body(first)
    socket.uncork()
  }

  body(chunk: Buffer): boolean {
    const decoder = this.#decoder
    if (decoder === undefined) return this.#conn.write(chunk)
    let more = true
    const r = decoder.scan(chunk, 0, chunk.length, (b, from, to) => {
      more = this.#conn.write(b.subarray(from, to)) && more
    })
    if (r === MALFORMED) this.#conn.destroy()
    return more
  }

  end(): void {
    // An answer complete before the request was: the target has what it wanted; its connection is not reused.
    if (!this.#requestSent) this.#target.destroy()
    this.#conn.finish(this.#keep)
    this.#release(this.#status >= 500 ? 'error' : 'success')
  }

  error(code: string, answered: boolean): void {
    if (this.#released) return
    if (!this.#answered && !answered) {
      // The one resend: a body-less request on a pooled connection the target had closed.
      if (this.#bodiless && !this.#retried && this.#target.reused && STALE.has(code)) {
        this.#retried = true
        this.#send(this.#ctx.pools.for(this.#picked.target.host, this.#picked.target.port).connect())
        return
      }
      this.#answered = true
      this.#conn.answerPage(502)
    } else {
      // The target failed mid-answer: the client's response cannot be completed.
      this.#conn.destroy()
    }
    this.#release('error')
  }

  writable(): void {
    this.#conn.resumeBody()
  }

  // --- the rest ---------------------------------------------------------------------

  #timeout(): void {
    this.#timer = undefined
    if (this.#answered || this.#released) return
    this.#answered = true
    this.#target.destroy()
    this.#conn.answerPage(504)
    this.#release('error')
  }

  #clientGone(): void {
    this.#target.destroy()
    this.#release()
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

/**
 * Forwards the client's current request to picked's target and answers it.
 *
 * One exception to "never retried": a body-less request whose pooled
 * keep-alive connection turns out to have been closed by the target (reset
 * before a byte of the answer, the race every pooling proxy has with a
 * target's own idle timeout) is sent once more to the same target on a fresh
 * connection — the target never saw it.
 */
export function forward(conn: ClientConnection, head: RequestHead, picked: Picked, cookies: CookieSource | undefined, ctx: ExchangeContext): void {
  new Exchange(conn, head, picked, cookies, ctx).start()
}
