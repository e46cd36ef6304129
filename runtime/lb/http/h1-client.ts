// One client connection to an HTTP listener, on a raw socket: request heads
// are found and parsed here (h1-head.ts), bodies are delimited (Content-Length
// or chunked, h1-chunked.ts) and handed to whoever answers the request — a
// forward exchange (proxy.ts) or the load balancer itself (pages, redirects,
// fixed responses). One exchange at a time: bytes of a pipelined next request
// wait (bounded, the socket paused) until the current answer is complete.
//
// Why not node:http: a forwarded request through http.Server and
// http.request cost ~80 µs of CPU here, most of it in the two stream stacks
// (IncomingMessage, ServerResponse, ClientRequest, their listeners and
// timers per request). Here a connection's listeners are registered once and
// a request is a head parse, one write to the target and one to the client.
//
// Defences: the head size limits (400: 64 K in all, 16 K a line, as ALB), the header count (400, in the
// parser), the header timeout (408, checked by the listener's sweep), the
// idle timeout (a socket deadline), strict framing (400 and the connection
// closed; see h1-head.ts). Every failure closes the connection: after a
// framing error nothing more on it can be trusted.

import type { Socket } from 'node:net'
import type { Deadlines } from '../deadlines.js'
import { ChunkedScanner, MALFORMED, NEED_MORE } from './h1-chunked.js'
import { Framing, parseRequestHead, type RequestHead } from './h1-head.js'
import { page, reason } from './pages.js'

/** Where a request's body goes: the raw framed bytes, then requestEnd() or requestAbort(). */
export interface BodySink {
  /** false: the reader pauses until ClientConnection.resumeBody(). */
  requestChunk(chunk: Buffer): boolean
  requestEnd(): void
  /** The body will never complete (the client left, or its framing broke). */
  requestAbort(): void
}

export interface ClientHandler {
  /** A request: answer it, or set a sink for its body, before returning. */
  request(conn: ClientConnection, head: RequestHead): void
  /** An upgrade request: the socket is the handler's from here on; rest is what followed the head. */
  upgrade(socket: Socket, head: RequestHead, rest: Buffer): void
}

export interface ClientLimits {
  maxHeaderBytes: number
  /** The request line's and each header line's bytes. */
  maxHeaderLineBytes: number
  maxHeaders: number
}

/**
 * A listener's deadlines for its connections, on the engine's Clock: a head must be complete
 * headerTimeoutMs after its first byte (else 408); a connection is closed idleTimeoutMs after
 * its last byte either way (0: never) — except while a request waits for its answer to start:
 * the target timeout governs then (504 at the idle timeout, as ALB).
 */
export interface ClientDeadlines {
  heads: Deadlines<ClientConnection>
  idle: Deadlines<ClientConnection>
  headerTimeoutMs: number
  idleTimeoutMs: number
}

const HEAD = 0
const BODY = 1
const WAIT = 2
const CLOSED = 3

/** Bytes of a pipelined request held while the current one is answered, before reading pauses. */
const HOLD_BYTES = 65_536
const EMPTY = Buffer.alloc(0)

const DISCARD: BodySink = { requestChunk: () => true, requestEnd: () => {}, requestAbort: () => {} }

export class ClientConnection {
  readonly socket: Socket
  /** The client's address (IPv4-mapped IPv6 given as IPv4). */
  readonly remoteIp: string
  /** The current request (valid from handler.request() until the next). */
  head: RequestHead | undefined
  /** Set by an exchange: the client socket drained (write() had returned false). */
  onWritable: (() => void) | undefined
  /** Set by an exchange: the client went away mid-exchange. */
  onGone: (() => void) | undefined

  readonly #handler: ClientHandler
  readonly #limits: ClientLimits
  readonly #date: () => string
  #buf: Buffer | undefined
  #scanFrom = 0
  #phase = HEAD
  readonly #deadlines: ClientDeadlines
  /** The current head's first byte came (its header deadline runs). */
  #headStarted = false
  /** Bytes of the current answer have been written to the client. */
  #answering = false
  #remaining = 0
  #chunked: ChunkedScanner | undefined
  #sink: BodySink = DISCARD
  #bodyDone = true
  #responseDone = true
  #keepAlive = true
  #pumping = false
  #paused = false
  /** The client half-closed: no more requests will come. */
  #ended = false

  constructor(socket: Socket, remoteIp: string, handler: ClientHandler, limits: ClientLimits, date: () => string, deadlines: ClientDeadlines) {
    this.socket = socket
    this.remoteIp = remoteIp
    this.#handler = handler
    this.#limits = limits
    this.#date = date
    this.#deadlines = deadlines
    this.#waitIdle()
    socket.on('data', this.#onData)
    socket.on('end', this.#onEnd)
    socket.on('drain', this.#onDrain)
    socket.on('timeout', this.#onTimeout)
    socket.on('error', this.#onError)
    socket.on('close', this.#onClose)
  }

  get closed(): boolean {
    return this.#phase === CLOSED
  }

  /** Whether the connection stays open after the current exchange (as far as the client is concerned). */
  get keepAlive(): boolean {
    return this.#keepAlive && !this.#ended
  }

  write(data: string | Buffer): boolean {
    this.#answering = true
    this.#waitIdle()
    return this.socket.write(data)
  }

  /** The next request's body bytes may flow again (a sink's write() returned false). */
  resumeBody(): void {
    if (!this.#paused || this.#phase === CLOSED) return
    this.#paused = false
    this.socket.resume()
    this.#pump()
  }

  setSink(sink: BodySink): void {
    this.#sink = sink
  }

  /** The current answer is complete: the next request is read, or the connection ends (keepAlive false). */
  finish(keepAlive: boolean): void {
    if (this.#phase === CLOSED || this.#responseDone) return
    this.#responseDone = true
    this.onWritable = undefined
    this.onGone = undefined
    if (!keepAlive || !this.#keepAlive) {
      this.#close()
      return
    }
    if (!this.#bodyDone) {
      // Answered before the body was read (our own page, an early answer): the rest is read and dropped.
      this.#sink = DISCARD
      this.#waitIdle()
      return
    }
    this.#next()
  }

  /** An answer of the load balancer's own (pages, redirects, fixed responses); extra: header lines, each ending CRLF. */
  answer(status: number, contentType: string, body: Buffer, extra = '', close = false): void {
    if (this.#phase === CLOSED) return
    const keep = !close && this.keepAlive
    const head = this.head
    const connection = !keep ? 'Connection: close\r\n' : head !== undefined && head.minor === 0 ? 'Connection: keep-alive\r\n' : ''
    const text = `HTTP/1.1 ${status} ${reason(status)}\r\nServer: awselb/2.0\r\nDate: ${this.#date()}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n${extra}${connection}\r\n`
    const socket = this.socket
    socket.cork()
    socket.write(text, 'latin1')
    if (body.length > 0 && head?.method !== 'HEAD') socket.write(body)
    socket.uncork()
    this.finish(keep)
  }

  /** ALB's own HTML page for status. */
  answerPage(status: number, close = false): void {
    this.answer(status, 'text/html', page(status), '', close)
  }

  /** Closes at once (no more bytes either way). */
  destroy(): void {
    this.#phase = CLOSED
    this.#dropDeadlines()
    this.socket.destroy()
  }

  /** The header deadline passed: a head still incomplete is cut with 408. */
  expireHead(): void {
    if (this.#phase === HEAD && this.#headStarted) this.#fail(408)
  }

  /**
   * No byte either way for the idle timeout: the connection is closed (an exchange in flight
   * releases its target through onGone). A request still waiting for its answer to start is
   * the target timeout's (504); it waits on.
   */
  expireIdle(): void {
    if (this.#phase === CLOSED) return
    if (!this.#responseDone && !this.#answering) {
      this.#waitIdle()
      return
    }
    this.destroy()
  }

  /** The load balancer's idle timeout changed: the connection's current idle period is the new one, from now. */
  idleTimeoutChanged(): void {
    if (this.#phase !== CLOSED) this.#waitIdle()
  }

  #waitIdle(): void {
    const d = this.#deadlines
    if (d.idleTimeoutMs > 0) d.idle.set(this, d.idleTimeoutMs)
    else d.idle.delete(this)
  }

  #startHead(): void {
    this.#headStarted = true
    this.#deadlines.heads.set(this, this.#deadlines.headerTimeoutMs)
  }

  #headDone(): void {
    this.#headStarted = false
    this.#deadlines.heads.delete(this)
  }

  #dropDeadlines(): void {
    this.#deadlines.heads.delete(this)
    this.#deadlines.idle.delete(this)
  }

  #onData = (chunk: Buffer): void => {
    if (this.#phase === CLOSED) return
    this.#buf = this.#buf === undefined ? chunk : Buffer.concat([this.#buf, chunk])
    this.#waitIdle()
    if (this.#phase === HEAD && !this.#headStarted) this.#startHead()
    this.#pump()
  }

  #onEnd = (): void => {
    // A client's FIN is taken as the client leaving (as Node's http server
    // does by default): an exchange in flight is cut, the connection ends.
    this.#ended = true
    if (this.#phase === CLOSED) return
    if (this.#phase === BODY && !this.#bodyDone) this.#sink.requestAbort()
    const gone = this.#responseDone ? undefined : this.onGone
    this.onGone = undefined
    this.onWritable = undefined
    this.#responseDone = true
    this.#close()
    gone?.()
  }

  #onDrain = (): void => {
    // The client took what was queued: activity.
    if (this.#phase !== CLOSED) this.#waitIdle()
    this.onWritable?.()
  }

  #onTimeout = (): void => {
    this.destroy()
  }

  #onError = (): void => {
    this.destroy()
  }

  #onClose = (): void => {
    const wasBody = this.#phase === BODY && !this.#bodyDone
    this.#phase = CLOSED
    this.#dropDeadlines()
    if (wasBody) this.#sink.requestAbort()
    const gone = this.onGone
    this.onGone = undefined
    this.onWritable = undefined
    gone?.()
  }

  /** Ends the connection after what was written (a half-close; the client's FIN follows). */
  #close(): void {
    this.#phase = CLOSED
    this.#dropDeadlines()
    this.#buf = undefined
    this.socket.end()
    // A client that never closes its side is not waited for past the flush.
    this.socket.setTimeout(5_000)
  }

  #fail(status: number): void {
    if (this.#phase === CLOSED) return
    if (!this.socket.writable) {
      this.destroy()
      return
    }
    this.head = undefined
    const body = page(status)
    this.socket.end(
      `HTTP/1.1 ${status} ${reason(status)}\r\nServer: awselb/2.0\r\nDate: ${this.#date()}\r\nContent-Type: text/html\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n` + body.toString('latin1'),
      'latin1'
    )
    this.#phase = CLOSED
    this.#dropDeadlines()
    this.#buf = undefined
    this.socket.setTimeout(5_000)
  }

  /** After a complete exchange: on to the next request (or the end, if the client has finished). */
  #next(): void {
    this.#phase = HEAD
    this.head = undefined
    if (this.#paused) {
      this.#paused = false
      this.socket.resume()
    }
    this.#waitIdle()
    if (this.#buf !== undefined) {
      if (!this.#headStarted) this.#startHead()
      if (!this.#pumping) this.#pump()
    } else if (this.#ended) {
      this.#close()
    }
  }

  #pump(): void {
    if (this.#pumping) return
    this.#pumping = true
    try {
      while (this.#buf !== undefined) {
        const phase = this.#phase
        if (phase === HEAD) {
          if (!this.#readHead()) break
        } else if (phase === BODY) {
          if (this.#paused || !this.#readBody()) break
        } else {
          if (phase === WAIT && this.#buf.length > HOLD_BYTES && !this.#paused) {
            this.#paused = true
            this.socket.pause()
          }
          break
        }
      }
    } finally {
      this.#pumping = false
    }
    if (this.#phase === HEAD && this.#buf === undefined && this.#ended) this.#close()
  }

  /** false: stop pumping (more bytes needed, the connection closed, or it was handed off). */
  #readHead(): boolean {
    let buf = this.#buf!
    // Empty lines before a request line are allowed (RFC 9112 §2.2).
    let skip = 0
    while (skip + 1 < buf.length && buf[skip] === 13 && buf[skip + 1] === 10) skip += 2
    if (skip > 0) {
      buf = buf.subarray(skip)
      this.#scanFrom = 0
      if (buf.length === 0) {
        this.#buf = undefined
        this.#headDone()
        return false
      }
      this.#buf = buf
    }
    const max = this.#limits.maxHeaderBytes
    const end = buf.indexOf('\r\n\r\n', this.#scanFrom, 'latin1')
    if (end < 0) {
      // ALB answers 400 to a head over its limits (64 K in all, 16 K a line).
      if (buf.length > max) this.#fail(400)
      else this.#scanFrom = Math.max(0, buf.length - 3)
      return false
    }
    if (end + 4 > max) {
      this.#fail(400)
      return false
    }
    const head = parseRequestHead(buf.toString('latin1', 0, end), this.#limits.maxHeaders, this.#limits.maxHeaderLineBytes)
    if (typeof head === 'number') {
      this.#fail(head)
      return false
    }
    this.#headDone()
    this.#scanFrom = 0
    const rest = end + 4
    this.#buf = rest < buf.length ? buf.subarray(rest) : undefined
    this.head = head
    this.#keepAlive = head.keepAlive
    this.#responseDone = false
    this.#answering = false
    this.#sink = DISCARD
    if (head.upgrade) {
      this.#handOff(head)
      return false
    }
    if (head.framing === Framing.None) {
      this.#bodyDone = true
      this.#phase = WAIT
    } else {
      this.#bodyDone = false
      this.#phase = BODY
      this.#remaining = head.length
      this.#chunked = head.framing === Framing.Chunked ? new ChunkedScanner(max) : undefined
    }
    this.#handler.request(this, head)
    return this.#phase !== CLOSED
  }

  #readBody(): boolean {
    const buf = this.#buf!
    let n: number
    let done: boolean
    const chunked = this.#chunked
    if (chunked !== undefined) {
      const r = chunked.scan(buf, 0, buf.length)
      if (r === MALFORMED) {
        this.#sink.requestAbort()
        if (this.#responseDone) this.destroy()
        else this.#fail(400)
        return false
      }
      done = r !== NEED_MORE
      n = done ? r : buf.length
    } else {
      n = Math.min(this.#remaining, buf.length)
      this.#remaining -= n
      done = this.#remaining === 0
    }
    this.#buf = n < buf.length ? buf.subarray(n) : undefined
    const sink = this.#sink
    const more = n === 0 || sink.requestChunk(n === buf.length ? buf : buf.subarray(0, n))
    if (done) {
      this.#bodyDone = true
      this.#chunked = undefined
      if (this.#responseDone) {
        this.#next()
      } else {
        this.#phase = WAIT
        sink.requestEnd()
      }
      return this.#phase !== CLOSED
    }
    if (!more && this.#phase === BODY) {
      this.#paused = true
      this.socket.pause()
      return false
    }
    return this.#phase !== CLOSED
  }

  #handOff(head: RequestHead): void {
    const socket = this.socket
    const rest = this.#buf ?? EMPTY
    this.#buf = undefined
    this.#phase = CLOSED
    this.#dropDeadlines()
    socket.pause()
    socket.setTimeout(0)
    socket.off('data', this.#onData)
    socket.off('end', this.#onEnd)
    socket.off('drain', this.#onDrain)
    socket.off('timeout', this.#onTimeout)
    socket.off('error', this.#onError)
    socket.off('close', this.#onClose)
    this.#handler.upgrade(socket, head, rest)
  }
}
