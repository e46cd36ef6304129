// Keep-alive connections to targets, on raw sockets from the load balancer's
// address: a pool per target (last used first, so idle connections age out
// at the target's end rather than all staying warm), and on each connection
// the target's answer parsed (h1-head.ts) and delimited (Content-Length,
// chunked, or until close) so the connection can go back to the pool the
// moment the answer is complete.
//
// A connection is reused only when the answer was complete, the request was
// fully written, and neither side asked to close. Bytes from a target with no
// request outstanding end the connection: they belong to no exchange.

import net from 'node:net'
import { ChunkedScanner, MALFORMED, NEED_MORE } from './h1-chunked.js'
import { Framing, parseResponseHead, type ResponseHead } from './h1-head.js'

/** What a connection reports to the exchange using it. */
export interface TargetExchange {
  /** A response head (1xx ones too, then another head follows); first: body bytes that came with it. */
  head(head: ResponseHead, first: Buffer | undefined): void
  /** More body bytes, framed as the target sent them; false: pause until resume(). */
  body(chunk: Buffer): boolean
  /** The answer is complete. */
  end(): void
  /**
   * The connection failed (refused, reset, closed early, a malformed answer).
   * answered: some of a final response had arrived.
   */
  error(code: string, answered: boolean): void
  /** The connection's send buffer drained (a request body may flow again). */
  writable(): void
}

const HEAD = 0
const BODY = 1
const IDLE = 2

export interface TargetPoolOptions {
  host: string
  port: number
  localAddress: string
  maxHeaderBytes: number
  maxHeaders: number
}

const MAX_IDLE = 1024

export class TargetConnection {
  readonly socket: net.Socket
  /** It carried an exchange before this one (a reset may then be the target's idle close racing us). */
  reused = false
  readonly #pool: TargetPool
  #x: TargetExchange | undefined
  #method = 'GET'
  #phase = IDLE
  #buf: Buffer | undefined
  #scanFrom = 0
  #remaining = 0
  #chunked: ChunkedScanner | undefined
  #framing = Framing.None
  #keepAlive = false
  /** A final (non-1xx) head has arrived for the current exchange. */
  #answered = false
  #requestEnded = false
  #responseEnded = false
  #paused = false

  constructor(pool: TargetPool, socket: net.Socket) {
    this.#pool = pool
    this.socket = socket
    socket.setNoDelay(true)
    socket.on('data', this.#onData)
    socket.on('end', this.#onEnd)
    socket.on('drain', this.#onDrain)
    socket.on('error', this.#onError)
    socket.on('close', this.#onClose)
  }

  get alive(): boolean {
    return !this.socket.destroyed && this.socket.writable && this.#phase === IDLE
  }

  /** Starts an exchange on this connection. */
  attach(x: TargetExchange, method: string): void {
    this.#x = x
    this.#method = method
    this.#phase = HEAD
    this.#answered = false
    this.#requestEnded = false
    this.#responseEnded = false
    this.#scanFrom = 0
  }

  write(data: string | Buffer): boolean {
    if (this.socket.destroyed) return true
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data)
  }

  /** The request has been written in full. */
  requestEnd(): void {
    this.#requestEnded = true
    if (this.#responseEnded) this.#done()
  }

  pause(): void {
    if (!this.#paused) {
      this.#paused = true
      this.socket.pause()
    }
  }

  resume(): void {
    if (this.#paused) {
      this.#paused = false
      this.socket.resume()
    }
  }

  /** Ends the connection and the exchange with it (it reports nothing more). */
  destroy(): void {
    this.#x = undefined
    this.#phase = IDLE
    this.socket.destroy()
  }

  #onData = (chunk: Buffer): void => {
    if (this.#x === undefined || this.#phase === IDLE) {
      this.destroy()
      return
    }
    this.#buf = this.#buf === undefined ? chunk : Buffer.concat([this.#buf, chunk])
    while (this.#buf !== undefined && this.#x !== undefined) {
      if (this.#phase === HEAD) {
        if (!this.#readHead()) return
      } else if (this.#phase === BODY) {
        if (!this.#readBody()) return
      } else {
        // Bytes past the end of the answer: no exchange owns them.
        this.destroy()
        return
      }
    }
  }

  #readHead(): boolean {
    const buf = this.#buf!
    const o = this.#pool.options
    const end = buf.indexOf('\r\n\r\n', this.#scanFrom, 'latin1')
    if (end < 0) {
      if (buf.length > o.maxHeaderBytes) this.#fail('HeaderOverflow')
      else this.#scanFrom = Math.max(0, buf.length - 3)
      return false
    }
    const head = end + 4 <= o.maxHeaderBytes ? parseResponseHead(buf.toString('latin1', 0, end), this.#method, o.maxHeaders) : undefined
    if (head === undefined || head.status === 101) {
      this.#fail(head === undefined ? 'BadResponse' : 'UnexpectedUpgrade')
      return false
    }
    this.#scanFrom = 0
    const rest = end + 4 < buf.length ? buf.subarray(end + 4) : undefined
    const x = this.#x!
    if (head.status < 200) {
      // 100 Continue, 103 Early Hints: relayed, and the final head follows.
      this.#buf = rest
      x.head(head, undefined)
      return true
    }
    this.#answered = true
    this.#framing = head.framing
    this.#keepAlive = head.keepAlive
    if (head.framing === Framing.None) {
      this.#buf = rest
      x.head(head, undefined)
      this.#complete()
      return this.#x !== undefined
    }
    this.#phase = BODY
    this.#remaining = head.length
    this.#chunked = head.framing === Framing.Chunked ? new ChunkedScanner(o.maxHeaderBytes) : undefined
    if (rest === undefined) {
      this.#buf = undefined
      x.head(head, undefined)
      return false
    }
    // The body bytes that came with the head go out with it.
    const [first, done, after] = this.#take(rest)
    if (first === undefined) return false
    this.#buf = after
    x.head(head, first)
    if (done) this.#complete()
    return this.#x !== undefined
  }

  #readBody(): boolean {
    const [part, done, after] = this.#take(this.#buf!)
    if (part === undefined) return false
    this.#buf = after
    const x = this.#x!
    const more = x.body(part)
    if (done) {
      this.#complete()
      return this.#x !== undefined
    }
    if (!more) this.pause()
    return false
  }

  /** Splits buf at the end of the body: [the body's part, whether it ended, what follows]; part undefined: malformed. */
  #take(buf: Buffer): [Buffer | undefined, boolean, Buffer | undefined] {
    if (this.#framing === Framing.UntilClose) return [buf, false, undefined]
    let n: number
    let done: boolean
    if (this.#chunked !== undefined) {
      const r = this.#chunked.scan(buf, 0, buf.length)
      if (r === MALFORMED) {
        this.#fail('BadChunk')
        return [undefined, false, undefined]
      }
      done = r !== NEED_MORE
      n = done ? r : buf.length
    } else {
      n = Math.min(this.#remaining, buf.length)
      this.#remaining -= n
      done = this.#remaining === 0
    }
    return n === buf.length ? [buf, done, undefined] : [buf.subarray(0, n), done, buf.subarray(n)]
  }

  #complete(): void {
    this.#responseEnded = true
    this.#chunked = undefined
    const x = this.#x
    if (this.#requestEnded) this.#done()
    x?.end()
  }

  /** Answer and request both complete: back to the pool, or closed. */
  #done(): void {
    this.#x = undefined
    this.#phase = IDLE
    const reusable = this.#keepAlive && this.#buf === undefined && !this.socket.destroyed && this.socket.writable
    this.#buf = undefined
    this.resume()
    if (reusable) {
      this.reused = true
      this.#pool.release(this)
    } else {
      this.socket.destroy()
    }
  }

  #fail(code: string): void {
    const x = this.#x
    const answered = this.#answered
    this.destroy()
    x?.error(code, answered)
  }

  #onEnd = (): void => {
    if (this.#x !== undefined && this.#phase === BODY && this.#framing === Framing.UntilClose) {
      this.#keepAlive = false
      this.#complete()
      this.socket.end()
      return
    }
    if (this.#x !== undefined) this.#fail('ECONNRESET')
    else this.destroy()
  }

  #onDrain = (): void => {
    this.#x?.writable()
  }

  #onError = (err: NodeJS.ErrnoException): void => {
    this.#fail(err.code ?? 'ECONNRESET')
  }

  #onClose = (): void => {
    this.#pool.forget(this)
    if (this.#x !== undefined) this.#fail('ECONNRESET')
  }
}

/** The idle connections to one target. */
export class TargetPool {
  readonly options: TargetPoolOptions
  readonly #idle: TargetConnection[] = []
  #closed = false

  constructor(options: TargetPoolOptions) {
    this.options = options
  }

  /** An idle connection (most recently used first), else a new one. */
  acquire(): TargetConnection {
    const idle = this.#idle
    while (idle.length > 0) {
      const c = idle.pop()!
      if (c.alive) return c
      c.socket.destroy()
    }
    return this.connect()
  }

  /** A new connection, never a pooled one. */
  connect(): TargetConnection {
    const o = this.options
    return new TargetConnection(this, net.connect({ host: o.host, port: o.port, localAddress: o.localAddress, noDelay: true }))
  }

  release(c: TargetConnection): void {
    if (this.#closed || this.#idle.length >= MAX_IDLE) c.socket.destroy()
    else this.#idle.push(c)
  }

  forget(c: TargetConnection): void {
    const at = this.#idle.indexOf(c)
    if (at >= 0) this.#idle.splice(at, 1)
  }

  close(): void {
    this.#closed = true
    for (const c of this.#idle.splice(0)) c.socket.destroy()
  }
}

/** Pools by target address. */
export class TargetPools {
  readonly #pools = new Map<string, TargetPool>()
  readonly #base: Omit<TargetPoolOptions, 'host' | 'port'>

  constructor(base: Omit<TargetPoolOptions, 'host' | 'port'>) {
    this.#base = base
  }

  for(host: string, port: number): TargetPool {
    const key = `${host}:${port}`
    let pool = this.#pools.get(key)
    if (pool === undefined) {
      pool = new TargetPool({ ...this.#base, host, port })
      this.#pools.set(key, pool)
    }
    return pool
  }

  close(): void {
    for (const pool of this.#pools.values()) pool.close()
    this.#pools.clear()
  }
}
