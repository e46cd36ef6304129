// The ALB data plane for one HTTP or HTTPS listener: a raw net / tls server
// on the load balancer's address whose connections (h1-client.ts) parse
// requests; each is routed by the listener's rules and answered (forward to a
// target over a pooled connection, redirect, fixed response), with ALB's
// defences on client connections:
//
//   client ──► [limits: connections, header bytes/count, header timeout, idle, strict framing]
//          ──► Router (rules by priority → action; weighted groups, stickiness)
//          ──► forward (proxy.ts over h1-target.ts) | redirect | fixed-response
//
// Every timing runs on the engine's Clock: the header timeout (408), the idle
// timeout of a connection waiting for a request, the TLS handshake timeout
// (deadlines.ts: one timer per kind and listener, a Map write per activity) and
// the target timeout (504).

import net from 'node:net'
import tls from 'node:tls'
import type { Socket } from 'node:net'
import type { Clock } from '../../clock/clock.js'
import { InvalidArgumentError } from '../../errors.js'
import type { Action, LbLimits, ListenerConfig, TargetGroupRuntime } from '../model.js'
import { bindError } from '../tcp.js'
import { ListenerCertificates } from '../tcp-tls.js'
import { fixedBody, sendFixedResponse, sendRedirect, redirectLocation } from './actions.js'
import { ClientConnection, type ClientDeadlines, type ClientHandler } from './h1-client.js'
import { Deadlines, deadlineSlack, HandshakeDeadlines, NODE_NEVER_MS } from '../deadlines.js'
import type { RequestHead } from './h1-head.js'
import { TargetPools } from './h1-target.js'
import { hostWithoutPort } from './headers.js'
import { writeRawPage, page, reason } from './pages.js'
import { forward, type ExchangeContext } from './proxy.js'
import { normaliseIp } from './rules.js'
import { Router } from './router.js'
import { forwardUpgrade } from './upgrade.js'
import { answerStream, forwardStream, H2Front } from './h2.js'
import type { ServerHttp2Stream } from 'node:http2'

export interface HttpListenerOptions {
  address: string
  idleTimeoutMs: number
  limits: LbLimits
  targetGroup: (key: string) => TargetGroupRuntime | undefined
  clock: Clock
  /** HTTPS: clients may choose HTTP/2 by ALPN (ALB's routing.http2.enabled; default true). */
  http2?: boolean
}

export class HttpListener {
  readonly #server: net.Server
  readonly #router: Router
  readonly #pools: TargetPools
  readonly #ctx: ExchangeContext
  readonly #handler: ClientHandler
  #certificates: ListenerCertificates | undefined
  /** HTTPS only: the HTTP/2 sessions' side. */
  #h2: H2Front | undefined
  #http2: boolean
  readonly #o: HttpListenerOptions
  readonly #proto: 'http' | 'https'
  readonly #connections = new Set<ClientConnection>()
  /** Sockets not (or no longer) owned by a ClientConnection: TLS handshakes, upgrades. */
  readonly #sockets = new Set<Socket>()
  readonly #upgraded = new Set<Socket>()
  readonly #deadlines: ClientDeadlines
  readonly #handshakes: HandshakeDeadlines | undefined
  /** Upgraded (WebSocket) connections, by client socket: closed after the idle timeout with no byte either way. */
  readonly #upgradedIdle: Deadlines<Socket>
  #config: ListenerConfig
  #port = 0
  #closed = false
  #dateSecond = -1
  #dateText = ''

  private constructor(config: ListenerConfig, o: HttpListenerOptions) {
    if (config.protocol !== 'HTTP' && config.protocol !== 'HTTPS') {
      throw new InvalidArgumentError('UnsupportedListenerProtocol', `an HTTP listener serves HTTP or HTTPS, not ${config.protocol}`, { field: 'Protocol' })
    }
    this.#config = config
    this.#o = o
    this.#http2 = o.http2 !== false
    this.#proto = config.protocol === 'HTTPS' ? 'https' : 'http'
    this.#router = new Router(config, { targetGroup: o.targetGroup, clock: o.clock })
    const limits = o.limits
    this.#pools = new TargetPools({ localAddress: o.address, maxHeaderBytes: limits.maxHeaderBytes, maxHeaders: limits.maxHeaders })
    this.#ctx = {
      clock: o.clock,
      pools: this.#pools,
      targetTimeoutMs: targetTimeout(limits, o.idleTimeoutMs),
      proto: this.#proto,
      port: '0',
      maxHeaderBytes: limits.maxHeaderBytes,
      localAddress: o.address
    }
    this.#handler = {
      request: (conn, head) => this.#onRequest(conn, head),
      upgrade: (socket, head, rest) => this.#onUpgrade(socket, head, rest)
    }
    // Deadlines spread thinly are checked at most every slack ms.
    const slack = deadlineSlack(limits.headerTimeoutMs)
    this.#deadlines = {
      heads: new Deadlines(o.clock, (c) => c.expireHead(), slack),
      idle: new Deadlines(o.clock, (c) => c.expireIdle(), slack),
      headerTimeoutMs: limits.headerTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs
    }
    this.#upgradedIdle = new Deadlines(o.clock, (s) => s.destroy(), slack)
    const accept = (socket: Socket): void => this.#accept(socket)
    if (this.#proto === 'https') {
      // SNI reads the current set: update() replaces it for new handshakes.
      this.#certificates = new ListenerCertificates(config.certificates, config.sslPolicy)
      this.#h2 = new H2Front({
        maxHeaderBytes: limits.maxHeaderBytes,
        maxHeaders: limits.maxHeaders,
        idleTimeoutMs: o.idleTimeoutMs,
        clock: o.clock,
        date: this.#date,
        stream: (stream, head, ip) => this.#onStream(stream, head, ip)
      })
      const server = tls.createServer({
        ...this.#certificates.options,
        allowHalfOpen: true,
        // A handshake is held to the header timeout (on the Clock, #handshakes): a slow TLS client cannot hold a connection either.
        handshakeTimeout: NODE_NEVER_MS,
        SNICallback: (name, cb) => this.#certificates!.sniCallback(name, cb),
        // h2 while routing.http2.enabled is on (read at each handshake), else HTTP/1.1.
        ALPNCallback: ({ protocols }) => (this.#http2 && protocols.includes('h2') ? 'h2' : protocols.includes('http/1.1') ? 'http/1.1' : undefined)
      }, accept)
      const handshakes = new HandshakeDeadlines(o.clock, limits.headerTimeoutMs, slack)
      this.#handshakes = handshakes
      server.on('connection', (socket: Socket) => {
        this.#hold(socket)
        handshakes.started(socket)
      })
      server.on('tlsClientError', (_err: Error, socket: tls.TLSSocket) => socket.destroy())
      this.#server = server
    } else {
      this.#server = net.createServer({ allowHalfOpen: true, noDelay: true }, accept)
    }
    this.#server.maxConnections = limits.maxConnectionsPerListener
  }

  /** Binds the listener (port 0: any free port, see `.port`). */
  static async open(config: ListenerConfig, o: HttpListenerOptions): Promise<HttpListener> {
    const listener = new HttpListener(config, o)
    await listener.#listen(config.port)
    return listener
  }

  get port(): number {
    return this.#port
  }

  get config(): ListenerConfig {
    return this.#config
  }

  /** New rules, actions and certificates, in place: open connections stay. */
  update(config: ListenerConfig): void {
    if (config.protocol !== this.#config.protocol) {
      throw new InvalidArgumentError('ListenerRebindRequired', `a listener's protocol changes by binding a new one (${this.#config.protocol} → ${config.protocol})`, { field: 'Protocol' })
    }
    if (this.#certificates !== undefined) {
      // Built (and checked) before anything changes: a bad set leaves the listener as it was.
      const certificates = new ListenerCertificates(config.certificates, config.sslPolicy)
      ;(this.#server as tls.Server).setSecureContext(certificates.options)
      this.#certificates = certificates
    }
    this.#router.update(config)
    this.#config = config
  }

  /** The load balancer's idle timeout changed (0: never): for new and open connections' next idle period. */
  setIdleTimeout(ms: number): void {
    this.#deadlines.idleTimeoutMs = ms
    this.#ctx.targetTimeoutMs = targetTimeout(this.#o.limits, ms)
    for (const c of this.#connections) c.idleTimeoutChanged()
    this.#h2?.setIdleTimeout(ms)
  }

  /** routing.http2.enabled changed: new TLS handshakes offer h2 or not (open connections keep theirs). */
  setHttp2(enabled: boolean): void {
    this.#http2 = enabled
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#closeDeadlines()
    this.#h2?.close()
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    for (const c of this.#connections) c.destroy()
    this.#connections.clear()
    for (const s of this.#sockets) s.destroy()
    this.#sockets.clear()
    for (const s of this.#upgraded) s.destroy()
    this.#upgraded.clear()
    this.#pools.close()
    await closed
  }

  #listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.#closeDeadlines()
        this.#pools.close()
        reject(bindError(err, this.#o.address, port, this.#config.protocol))
      }
      this.#server.once('error', onError)
      this.#server.listen({ host: this.#o.address, port, exclusive: true }, () => {
        this.#server.off('error', onError)
        const address = this.#server.address()
        this.#port = typeof address === 'object' && address !== null ? address.port : port
        this.#ctx.port = String(this.#port)
        resolve()
      })
    })
  }

  #closeDeadlines(): void {
    this.#deadlines.heads.close()
    this.#deadlines.idle.close()
    this.#upgradedIdle.close()
    this.#handshakes?.close()
  }

  /** A socket tracked until it closes (so close() can end it). */
  #hold(socket: Socket): void {
    this.#sockets.add(socket)
    socket.on('close', () => this.#sockets.delete(socket))
  }

  #accept(socket: Socket): void {
    if (this.#closed) {
      socket.destroy()
      return
    }
    this.#handshakes?.done(socket)
    socket.setNoDelay(true)
    if (this.#h2 !== undefined && (socket as tls.TLSSocket).alpnProtocol === 'h2') {
      this.#h2.accept(socket as tls.TLSSocket)
      return
    }
    const conn = new ClientConnection(socket, normaliseIp(socket.remoteAddress), this.#handler, this.#o.limits, this.#date, this.#deadlines)
    this.#connections.add(conn)
    socket.on('close', () => this.#connections.delete(conn))
  }

  /** The Date header's value, formatted once per second of the Clock. */
  #date = (): string => {
    const now = this.#o.clock.now()
    const second = Math.floor(now / 1000)
    if (second !== this.#dateSecond) {
      this.#dateSecond = second
      this.#dateText = new Date(now).toUTCString()
    }
    return this.#dateText
  }

  #onRequest(conn: ClientConnection, head: RequestHead): void {
    const sourceIp = conn.remoteIp
    const action = this.#router.actionFor(head, sourceIp)
    if (action === undefined) {
      conn.answerPage(503)
      return
    }
    switch (action.type) {
      case 'fixed-response':
        sendFixedResponse(conn, action)
        return
      case 'redirect':
        sendRedirect(conn, action, this.#redirectFacts(head))
        return
      case 'forward': {
        const choice = this.#router.choose(action, head, sourceIp)
        if (choice === undefined) {
          conn.answerPage(503)
          return
        }
        forward(conn, head, choice.picked, choice.cookies, this.#ctx)
        return
      }
    }
  }

  /** An HTTP/2 stream: the same rules and actions, answered in h2. */
  #onStream(stream: ServerHttp2Stream, head: RequestHead, sourceIp: string): void {
    const action = this.#router.actionFor(head, sourceIp)
    const date = this.#date()
    if (action === undefined) {
      answerStream(stream, head.method, 503, 'text/html', page(503), date)
      return
    }
    switch (action.type) {
      case 'fixed-response': {
        const f = fixedBody(action)
        answerStream(stream, head.method, f.status, f.type, f.body, date)
        return
      }
      case 'redirect': {
        const status = action.statusCode === 'HTTP_301' ? 301 : 302
        answerStream(stream, head.method, status, 'text/html', page(status), date, { location: redirectLocation(action, this.#redirectFacts(head)) })
        return
      }
      case 'forward': {
        const choice = this.#router.choose(action, head, sourceIp)
        if (choice === undefined) {
          answerStream(stream, head.method, 503, 'text/html', page(503), date)
          return
        }
        forwardStream(stream, head, sourceIp, choice.picked, choice.cookies, this.#ctx, this.#date)
        return
      }
    }
  }

  #redirectFacts(head: RequestHead): { protocol: string; host: string; port: number; path: string; query: string } {
    const url = head.url
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    return {
      protocol: this.#proto,
      host: hostWithoutPort(head.headers.host as string | undefined),
      port: this.#port,
      path: path.startsWith('/') ? path.slice(1) : path,
      query: q < 0 ? '' : url.slice(q + 1)
    }
  }

  #onUpgrade(socket: Socket, req: RequestHead, head: Buffer): void {
    const date = this.#date()
    socket.on('error', () => socket.destroy())
    this.#upgraded.add(socket)
    socket.on('close', () => this.#upgraded.delete(socket))
    const sourceIp = normaliseIp(socket.remoteAddress)
    const action: Action | undefined = this.#router.actionFor(req, sourceIp)
    if (action === undefined) {
      writeRawPage(socket, 503, date)
      return
    }
    if (action.type === 'fixed-response') {
      const body = Buffer.from(action.messageBody ?? '', 'utf8')
      const status = Number(action.statusCode)
      const type = action.contentType === undefined || action.contentType === '' ? 'text/plain; charset=utf-8' : action.contentType
      socket.end(`HTTP/1.1 ${status} ${reason(status)}\r\nServer: awselb/2.0\r\nDate: ${date}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString('latin1')}`)
      return
    }
    if (action.type === 'redirect') {
      const status = action.statusCode === 'HTTP_301' ? 301 : 302
      const body = page(status)
      socket.end(
        `HTTP/1.1 ${status} ${reason(status)}\r\nServer: awselb/2.0\r\nDate: ${date}\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\n` +
          `Location: ${redirectLocation(action, this.#redirectFacts(req))}\r\nConnection: close\r\n\r\n${body.toString('latin1')}`
      )
      return
    }
    const choice = this.#router.choose(action, req, sourceIp)
    if (choice === undefined) {
      writeRawPage(socket, 503, date)
      return
    }
    forwardUpgrade(req, socket, head, choice.picked, {
      ...this.#ctx,
      clientIp: sourceIp,
      idleTimeoutMs: this.#deadlines.idleTimeoutMs,
      idle: this.#upgradedIdle,
      track: (s) => {
        this.#upgraded.add(s)
        s.on('close', () => this.#upgraded.delete(s))
      }
    })
  }
}

/** ALB's idle timeout at its longest (4000 s): the target timeout of a load balancer whose idle timeout is off (0). */
const LONGEST_IDLE_MS = 4_000_000

/** The target timeout: the limit when set, else the load balancer's idle timeout (a new request's, once it changes). */
function targetTimeout(limits: LbLimits, idleTimeoutMs: number): number {
  return limits.targetTimeoutMs ?? (idleTimeoutMs > 0 ? idleTimeoutMs : LONGEST_IDLE_MS)
}
