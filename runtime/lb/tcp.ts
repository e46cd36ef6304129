// NLB listeners: TCP, TLS, UDP and TCP_UDP on the load balancer's 127.x
// address. Balancing is per connection: each client connection picks a target
// from the listener's target group (its algorithm; source_ip stickiness is the
// group's), connects to it from the load balancer's address and pipes bytes
// both ways, half-close included. TLS listeners terminate TLS with their
// certificates (SNI as HTTPS listeners) and forward plain TCP, or TLS again to
// a TLS target group. No target: the connection is reset. A target that
// refuses or resets: the client is reset too (NLB passes the RST through).
//
// The hot path (tcp-pipe.ts): plain TCP sockets read into buffers of their own
// and write each chunk straight to the other side, Nagle off; TLS sockets pipe.
// The idle timeout (NLB: 350 s for TCP) is a sweep on the engine's Clock over
// the connections' byte counters, not a per-socket timer refreshed on every
// chunk. The connection limit is the server's maxConnections (beyond it a new
// connection is closed at once).

import { promises as dns } from 'node:dns'
import net from 'node:net'
import tls from 'node:tls'
import type { Clock, TimerHandle } from '../clock/clock.js'
import { ConflictError, InvalidArgumentError } from '../errors.js'
import type { LbLimits, ListenerConfig, ListenerProtocol, Picked } from './model.js'
import { proxyV2Header } from './proxy-protocol.js'
import { pickForward, type TargetGroupLookup } from './tcp-forward.js'
import { adoptAccepted, BufferedFlow } from './tcp-pipe.js'
import { relayBinary, RelayBindError, TcpRelay } from './tcp-relay.js'
import { ListenerCertificates } from './tcp-tls.js'
import { UdpRelay } from './tcp-udp.js'
import { deadlineSlack, HandshakeDeadlines, NODE_NEVER_MS } from './deadlines.js'

/** NLB's default idle timeout of TCP connections. */
export const TCP_IDLE_TIMEOUT_MS = 350_000

const PROTOCOLS: ReadonlySet<ListenerProtocol> = new Set(['TCP', 'TLS', 'UDP', 'TCP_UDP'])

export interface ListenerOptions {
  /** The load balancer's address: the listener binds there, and connects to targets from it. */
  address: string
  /** Connections idle this long are closed (0: never). */
  idleTimeoutMs: number
  limits: LbLimits
  targetGroup: TargetGroupLookup
  clock: Clock
  /** Plain TCP through the C relay when it is built (default true); false: bytes move in Node. */
  relay?: boolean
}

/** A connection the C relay carries: its pick, and when it last moved bytes. */
interface Relayed {
  picked: Picked | undefined
  lastActive: number
}

interface Connection {
  client: net.Socket
  target: net.Socket
  picked: Picked
  /** client bytes read + written at the last sweep that saw them change. */
  seen: number
  lastActive: number
  done: boolean
}

/** A port a listener could not bind (taken, or not allowed): names the address and port. */
export function bindError(cause: unknown, address: string, port: number, protocol: string): ConflictError {
  const code = (cause as NodeJS.ErrnoException)?.code ?? 'unknown'
  const why = code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'is not allowed' : `cannot be bound (${(cause as Error)?.message ?? code})`
  return new ConflictError('ListenerPortUnavailable', `${protocol} listener port ${port} on ${address} ${why} (${code})`, { field: 'Port', limit: port, cause })
}

/** An IPv4 address as itself, not IPv4-mapped IPv6. */
const unmapped = (address: string): string => (address.startsWith('::ffff:') ? address.slice(7) : address)

/** Sends an RST where the socket is plain TCP; otherwise closes it. */
function abort(socket: net.Socket): void {
  if (socket.destroyed) return
  if (socket instanceof tls.TLSSocket) socket.destroy()
  else socket.resetAndDestroy()
}

export class TcpListener {
  #config: ListenerConfig
  readonly #o: ListenerOptions
  #idleMs: number
  #certs: ListenerCertificates | undefined
  #server: net.Server | undefined
  #relay: TcpRelay | undefined
  readonly #relayed = new Map<string, Relayed>()
  #udp: UdpRelay | undefined
  #port = 0
  readonly #connections = new Set<Connection>()
  /** TLS only: every accepted socket, handshaking ones included (close() ends them). */
  readonly #raw = new Set<net.Socket>()
  /** TLS only: handshakes held to the header timeout, on the clock. */
  #handshakes: HandshakeDeadlines | undefined
  #sweep: TimerHandle | undefined
  #closed = false

  private constructor(config: ListenerConfig, o: ListenerOptions) {
    this.#config = config
    this.#o = o
    this.#idleMs = o.idleTimeoutMs
    if (config.protocol === 'TLS') this.#certs = new ListenerCertificates(config.certificates, config.sslPolicy)
  }

  /** Binds config.port (0: any) on o.address; a port that cannot be bound rejects with ListenerPortUnavailable. */
  static async open(config: ListenerConfig, o: ListenerOptions): Promise<TcpListener> {
    if (!PROTOCOLS.has(config.protocol)) {
      throw new InvalidArgumentError('UnsupportedListenerProtocol', `a TCP listener serves TCP, TLS, UDP or TCP_UDP, not ${config.protocol}`, { field: 'Protocol' })
    }
    const listener = new TcpListener(config, o)
    await listener.#bind()
    return listener
  }

  get port(): number {
    return this.#port
  }

  get protocol(): ListenerProtocol {
    return this.#config.protocol
  }

  /** Client connections open now (TCP/TLS). */
  get connections(): number {
    return this.#connections.size + this.#relayed.size
  }

  /** UDP flows open now. */
  get flows(): number {
    return this.#udp?.flows ?? 0
  }

  async #bind(): Promise<void> {
    const { protocol } = this.#config
    const { address } = this.#o
    const binary = protocol === 'UDP' || protocol === 'TLS' || this.#o.relay === false ? undefined : relayBinary()
    if (binary !== undefined) {
      this.#relay = await this.#startRelay(binary, this.#config.port)
      this.#port = this.#relay.port
    } else if (protocol !== 'UDP') {
      const server = this.#createServer()
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen({ port: this.#config.port, host: address, exclusive: true }, () => {
            server.off('error', reject)
            resolve()
          })
        })
      } catch (cause) {
        throw bindError(cause, address, this.#config.port, protocol)
      }
      server.on('error', () => {})
      this.#server = server
      this.#port = (server.address() as net.AddressInfo).port
    }
    if (protocol === 'UDP' || protocol === 'TCP_UDP') {
      const port = this.#server === undefined && this.#relay === undefined ? this.#config.port : this.#port
      try {
        this.#udp = await UdpRelay.bind({
          address, port, clock: this.#o.clock, maxFlows: this.#o.limits.maxConnectionsPerListener,
          pick: (sourceIp) => {
            const choice = pickForward(this.#config, this.#o.targetGroup, sourceIp)
            return choice === undefined ? undefined : { picked: choice.picked, preserveClientIp: choice.group.config.preserveClientIp === true }
          }
        })
      } catch (cause) {
        await this.close()
        throw bindError(cause, address, port, protocol)
      }
      this.#port = this.#udp.port
    }
  }

  async #startRelay(binary: string, port: number): Promise<TcpRelay> {
    const { address } = this.#o
    try {
      return await TcpRelay.start(binary, { address, port, maxConnections: this.#o.limits.maxConnectionsPerListener }, {
        connection: (id, ip, clientPort, relay) => this.#acceptRelayed(relay, id, ip, clientPort),
        finished: (id) => {
          const conn = this.#relayed.get(id)
          if (conn === undefined) return
          this.#relayed.delete(id)
          conn.picked?.release()
        },
        exited: () => this.#relayExited()
      })
    } catch (cause) {
      if (cause instanceof RelayBindError) throw bindError(Object.assign(new Error(cause.message), { code: cause.code }), address, port, this.#config.protocol)
      throw cause
    }
  }

  /** `relay` rather than this.#relay: a restarted relay can report connections before it is recorded. */
  #acceptRelayed(relay: TcpRelay, id: string, ip: string, clientPort: number): void {
    const choice = this.#closed ? undefined : pickForward(this.#config, this.#o.targetGroup, ip)
    // The relay carries plain TCP: a TLS target group (TLS listeners only, in NLB) has nowhere to go here.
    if (choice === undefined || choice.group.config.protocol === 'TLS') {
      choice?.picked.release()
      this.#relayed.set(id, { picked: undefined, lastActive: this.#o.clock.monotonic() })
      return relay.reset(id)
    }
    const { host, port } = choice.picked.target
    const group = choice.group.config
    this.#relayed.set(id, { picked: choice.picked, lastActive: this.#o.clock.monotonic() })
    choice.picked.onTerminate(() => relay.reset(id))
    const how = {
      ...(group.preserveClientIp === true && ip !== '' ? { source: ip } : {}),
      ...(group.proxyProtocolV2 === true ? { header: proxyV2Header({ address: ip, port: clientPort }, { address: this.#o.address, port: this.#port }) } : {})
    }
    if (net.isIP(host) !== 0) relay.target(id, host, port, how)
    else dns.lookup(host).then(({ address }) => relay.target(id, address, port, how), () => relay.reset(id))
    this.#schedule()
  }

  /** The relay died under an open listener: its connections are gone; a new one binds the same port. */
  #relayExited(): void {
    for (const conn of this.#relayed.values()) conn.picked?.release()
    this.#relayed.clear()
    if (this.#closed) return
    const binary = relayBinary()
    if (binary === undefined) return
    this.#startRelay(binary, this.#port).then((relay) => {
      if (this.#closed) void relay.close()
      else this.#relay = relay
    }, () => {})
  }

  #createServer(): net.Server {
    let server: net.Server
    if (this.#certs !== undefined) {
      const tlsServer = tls.createServer({
        ...this.#certs.options,
        SNICallback: (name, callback) => this.#certs!.sniCallback(name, callback),
        allowHalfOpen: true,
        noDelay: true,
        handshakeTimeout: NODE_NEVER_MS
      })
      const handshakes = new HandshakeDeadlines(this.#o.clock, this.#o.limits.headerTimeoutMs, deadlineSlack(this.#o.limits.headerTimeoutMs))
      this.#handshakes?.close()
      this.#handshakes = handshakes
      tlsServer.on('connection', (raw: net.Socket) => {
        this.#raw.add(raw)
        raw.once('close', () => this.#raw.delete(raw))
        handshakes.started(raw)
      })
      tlsServer.on('secureConnection', (socket) => {
        handshakes.done(socket)
        this.#accept(socket)
      })
      tlsServer.on('tlsClientError', () => {})
      server = tlsServer
    } else {
      // Paused: an accepted socket has read nothing when #accept gives it its own read buffer (tcp-pipe.ts).
      server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (socket) => this.#accept(socket))
    }
    server.maxConnections = this.#o.limits.maxConnectionsPerListener
    return server
  }

  #accept(client: net.Socket): void {
    if (this.#closed) return abort(client)
    const choice = pickForward(this.#config, this.#o.targetGroup, client.remoteAddress ?? '')
    if (choice === undefined) return abort(client)
    const { picked, group } = choice
    const { host, port } = picked.target
    const clientIp = unmapped(client.remoteAddress ?? '')
    // Client IP preservation: on loopback every client address is local, so the connection to the target can come from it.
    const localAddress = group.config.preserveClientIp === true && net.isIPv4(clientIp) ? clientIp : this.#o.address
    const header = group.config.proxyProtocolV2 === true
      ? proxyV2Header({ address: clientIp, port: client.remotePort ?? 0 }, { address: this.#o.address, port: this.#port })
      : undefined
    let target: net.Socket
    // target → client: a plain target reads into its own buffer; a TLS one pipes.
    let down: BufferedFlow | undefined
    if (group.config.protocol === 'TLS') {
      // NLB does not check targets' certificates.
      const raw = net.connect({ host, port, localAddress, allowHalfOpen: true, noDelay: true })
      raw.on('error', () => abort(client))
      if (header !== undefined) raw.write(header)
      target = tls.connect({ socket: raw, rejectUnauthorized: false })
    } else {
      down = new BufferedFlow(client)
      target = net.connect({ host, port, localAddress, allowHalfOpen: true, noDelay: true, onread: down.options })
      down.reader = target
      if (header !== undefined) target.write(header)
    }
    const conn: Connection = { client, target, picked, seen: 0, lastActive: this.#o.clock.monotonic(), done: false }
    this.#connections.add(conn)
    client.on('error', () => { abort(target); client.destroy() })
    target.on('error', () => { abort(client); target.destroy() })
    client.on('close', () => this.#finish(conn))
    target.on('close', () => this.#finish(conn))
    picked.onTerminate(() => { abort(client); abort(target) })
    // client → target: an accepted plain socket reads into its own buffer when this Node allows it.
    if (client instanceof tls.TLSSocket || !adoptAccepted(client, new BufferedFlow(target))) client.pipe(target)
    else client.resume()
    if (down === undefined) target.pipe(client)
    this.#schedule()
  }

  #finish(conn: Connection): void {
    if (conn.done) return
    conn.done = true
    this.#connections.delete(conn)
    conn.picked.release()
  }

  #schedule(): void {
    if (this.#sweep !== undefined || this.#closed || this.#idleMs <= 0 || this.connections === 0) return
    this.#sweep = this.#o.clock.setTimeout(() => this.#sweepIdle(), Math.max(100, Math.ceil(this.#idleMs / 10)))
  }

  /** Closes connections with no bytes either way for the idle timeout (never early: activity is dated at the sweep that sees it). */
  #sweepIdle(): void {
    this.#sweep = undefined
    const now = this.#o.clock.monotonic()
    if (this.#relay !== undefined && this.#relayed.size > 0) {
      const relay = this.#relay
      void relay.activity().then((active) => {
        for (const [id, conn] of this.#relayed) {
          if (active.has(id)) conn.lastActive = now
          else if (now - conn.lastActive >= this.#idleMs) relay.kill(id)
        }
      })
    }
    for (const conn of this.#connections) {
      const seen = conn.client.bytesRead + conn.client.bytesWritten
      if (seen !== conn.seen) {
        conn.seen = seen
        conn.lastActive = now
      } else if (now - conn.lastActive >= this.#idleMs) {
        conn.client.destroy()
        conn.target.destroy()
      }
    }
    this.#schedule()
  }

  /** New default actions (and certificates, security policy on TLS listeners) for new connections; open ones keep their target. */
  update(config: ListenerConfig): void {
    if (config.protocol !== this.#config.protocol || (config.port !== this.#config.port && config.port !== this.#port)) {
      throw new InvalidArgumentError('ListenerRebindRequired', `a listener's protocol and port change by binding a new one (${this.#config.protocol}:${this.#port} → ${config.protocol}:${config.port})`, { field: 'Port' })
    }
    if (config.protocol === 'TLS') {
      const certs = new ListenerCertificates(config.certificates, config.sslPolicy)
      ;(this.#server as tls.Server).setSecureContext(certs.options)
      this.#certs = certs
    }
    this.#config = config
  }

  /** The load balancer's idle timeout changed (0: never). */
  setIdleTimeout(ms: number): void {
    this.#idleMs = ms
    // The sweep's period follows the timeout.
    this.#o.clock.clearTimeout(this.#sweep)
    this.#sweep = undefined
    this.#schedule()
  }

  /** Stops accepting and closes every connection; resolves when the port is free. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#o.clock.clearTimeout(this.#sweep)
    this.#sweep = undefined
    const server = this.#server
    const closed = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()))
    for (const conn of this.#connections) {
      conn.client.destroy()
      conn.target.destroy()
    }
    for (const raw of this.#raw) raw.destroy()
    this.#handshakes?.close()
    await Promise.all([closed, this.#udp?.close(), this.#relay?.close()])
    for (const conn of this.#relayed.values()) conn.picked?.release()
    this.#relayed.clear()
  }
}
