// The ALB data plane for one HTTP or HTTPS listener: a Node http/https server
// on the load balancer's address that routes each request by the listener's
// rules and answers it (forward to a target, redirect, fixed response), with
// ALB's defences on client connections:
//
//   client ──► [limits: connections, header bytes/count, header timeout, idle]
//          ──► Router (rules by priority → action; weighted groups, stickiness)
//          ──► forward (proxy.ts, pooled keep-alive to targets) | redirect | fixed-response
//
// The header timeout and the idle timeout are socket deadlines in real time
// (they guard against slow clients, not scheduled work); the target timeout
// (504) runs on the engine's Clock.

import http from 'node:http'
import https from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { Clock } from '../../clock/clock.js'
import { InvalidArgumentError } from '../../errors.js'
import type { Action, LbLimits, ListenerConfig, TargetGroupRuntime } from '../model.js'
import { bindError } from '../tcp.js'
import { ListenerCertificates } from '../tcp-tls.js'
import { sendFixedResponse, sendRedirect, redirectLocation } from './actions.js'
import { hostWithoutPort } from './headers.js'
import { sendPage, writeRawPage, page, reason } from './pages.js'
import { forward, TargetAgents, type ExchangeContext } from './proxy.js'
import { normaliseIp } from './rules.js'
import { Router } from './router.js'
import { forwardUpgrade } from './upgrade.js'

export interface HttpListenerOptions {
  address: string
  idleTimeoutMs: number
  limits: LbLimits
  targetGroup: (key: string) => TargetGroupRuntime | undefined
  clock: Clock
}

/** Parser errors → ALB's answers (and the connection is closed after). */
function clientErrorStatus(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'HPE_HEADERS_TIMEOUT') return 408
  return 400
}

export class HttpListener {
  readonly #server: http.Server
  readonly #router: Router
  readonly #agents = new TargetAgents()
  #certificates: ListenerCertificates | undefined
  readonly #o: HttpListenerOptions
  readonly #proto: 'http' | 'https'
  readonly #upgraded = new Set<Socket>()
  #config: ListenerConfig
  #port = 0
  #portText = '0'
  #idleTimeoutMs: number
  #closed = false

  private constructor(config: ListenerConfig, o: HttpListenerOptions) {
    if (config.protocol !== 'HTTP' && config.protocol !== 'HTTPS') {
      throw new InvalidArgumentError('UnsupportedListenerProtocol', `an HTTP listener serves HTTP or HTTPS, not ${config.protocol}`, { field: 'Protocol' })
    }
    this.#config = config
    this.#o = o
    this.#idleTimeoutMs = o.idleTimeoutMs
    this.#proto = config.protocol === 'HTTPS' ? 'https' : 'http'
    this.#router = new Router(config, { targetGroup: o.targetGroup, clock: o.clock })
    const limits = o.limits
    const serverOptions: http.ServerOptions = {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headerTimeoutMs,
      requestTimeout: 0,
      keepAliveTimeout: o.idleTimeoutMs,
      connectionsCheckingInterval: Math.max(20, Math.min(1000, Math.floor(limits.headerTimeoutMs / 4))),
      noDelay: true
    }
    if (this.#proto === 'https') {
      // SNI reads the current set: update() replaces it for new handshakes.
      this.#certificates = new ListenerCertificates(config.certificates, config.sslPolicy)
      this.#server = https.createServer({
        ...serverOptions,
        ...this.#certificates.options,
        SNICallback: (name, cb) => this.#certificates!.sniCallback(name, cb)
      })
    } else {
      this.#server = http.createServer(serverOptions)
    }
    const server = this.#server
    server.maxHeadersCount = limits.maxHeaders + 1
    server.maxConnections = limits.maxConnectionsPerListener
    server.timeout = o.idleTimeoutMs
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#onRequest(req, res))
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.#onUpgrade(req, socket, head))
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.#onClientError(err, socket))
    if (this.#proto === 'https') server.on('tlsClientError', (_err: Error, socket: TLSSocket) => socket.destroy())
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
      ;(this.#server as https.Server).setSecureContext(certificates.options)
      this.#certificates = certificates
    }
    this.#router.update(config)
    this.#config = config
  }

  /** The load balancer's idle timeout changed (0: never): for new and open connections' next idle period. */
  setIdleTimeout(ms: number): void {
    this.#idleTimeoutMs = ms
    this.#server.keepAliveTimeout = ms
    this.#server.timeout = ms
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#server.closeAllConnections()
    for (const s of this.#upgraded) s.destroy()
    this.#upgraded.clear()
    this.#agents.close()
    await closed
  }

  #listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.#agents.close()
        reject(bindError(err, this.#o.address, port, this.#config.protocol))
      }
      this.#server.once('error', onError)
      this.#server.listen({ host: this.#o.address, port, exclusive: true }, () => {
        this.#server.off('error', onError)
        const address = this.#server.address()
        this.#port = typeof address === 'object' && address !== null ? address.port : port
        this.#portText = String(this.#port)
        resolve()
      })
    })
  }

  #context(sourceIp: string): ExchangeContext {
    return {
      clock: this.#o.clock,
      agents: this.#agents,
      targetTimeoutMs: this.#o.limits.targetTimeoutMs,
      proto: this.#proto,
      port: this.#portText,
      clientIp: sourceIp,
      localAddress: this.#o.address,
      maxHeaderBytes: this.#o.limits.maxHeaderBytes
    }
  }

  #tooManyHeaders(req: IncomingMessage): boolean {
    return req.rawHeaders.length > this.#o.limits.maxHeaders * 2
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.#tooManyHeaders(req)) {
      sendPage(res, 400, true)
      req.socket.destroySoon()
      return
    }
    const sourceIp = normaliseIp(req.socket.remoteAddress)
    const action = this.#router.actionFor(req, sourceIp)
    if (action === undefined) {
      sendPage(res, 503)
      return
    }
    switch (action.type) {
      case 'fixed-response':
        sendFixedResponse(res, action)
        return
      case 'redirect':
        sendRedirect(res, action, this.#redirectFacts(req))
        return
      case 'forward': {
        const choice = this.#router.choose(action, req, sourceIp)
        if (choice === undefined) {
          sendPage(res, 503)
          return
        }
        const ctx = this.#context(sourceIp)
        if (choice.cookies !== undefined) ctx.cookies = choice.cookies
        forward(req, res, choice.picked, ctx)
        return
      }
    }
  }

  #redirectFacts(req: IncomingMessage): { protocol: string; host: string; port: number; path: string; query: string } {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    return {
      protocol: this.#proto,
      host: hostWithoutPort(req.headers.host),
      port: this.#port,
      path: path.startsWith('/') ? path.slice(1) : path,
      query: q < 0 ? '' : url.slice(q + 1)
    }
  }

  #onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const date = new Date(this.#o.clock.now()).toUTCString()
    if (this.#tooManyHeaders(req)) {
      writeRawPage(socket, 400, date)
      return
    }
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
      ...this.#context(sourceIp),
      idleTimeoutMs: this.#idleTimeoutMs,
      track: (s) => {
        this.#upgraded.add(s)
        s.on('close', () => this.#upgraded.delete(s))
      }
    })
  }

  #onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage
    if (err.code === 'ECONNRESET' || !socket.writable || (inFlight !== undefined && inFlight.headersSent)) {
      socket.destroy()
      return
    }
    writeRawPage(socket, clientErrorStatus(err.code), new Date(this.#o.clock.now()).toUTCString())
    socket.destroySoon()
  }
}
