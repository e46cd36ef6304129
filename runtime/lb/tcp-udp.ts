// The UDP side of an NLB listener (protocol UDP, or TCP_UDP beside the TCP
// server): a flow is a client's address and port; its first datagram picks a
// target, and the flow keeps that target (its own socket on the load
// balancer's address, or the client's with client IP preservation, so replies
// come back to the right client) until it has
// been idle for the UDP idle timeout (NLB: 120 s, on the engine's Clock).
// Flows beyond the listener's connection limit are dropped, as datagrams are.

import dgram from 'node:dgram'
import type { Clock, TimerHandle } from '../clock/clock.js'
import type { Picked } from './model.js'

/** NLB's idle timeout of UDP flows. */
export const UDP_IDLE_TIMEOUT_MS = 120_000

interface Flow {
  upstream: dgram.Socket
  picked: Picked
  lastActive: number
  closed: boolean
}

export interface UdpRelayOptions {
  address: string
  port: number
  clock: Clock
  maxFlows: number
  idleTimeoutMs?: number
  /** The target for a new flow from this address (undefined: its datagrams are dropped). */
  pick: (sourceIp: string) => { picked: Picked; preserveClientIp: boolean } | undefined
}

export class UdpRelay {
  readonly #socket: dgram.Socket
  readonly #o: UdpRelayOptions
  readonly #idleMs: number
  readonly #flows = new Map<string, Flow>()
  #sweep: TimerHandle | undefined
  #closed = false

  private constructor(socket: dgram.Socket, o: UdpRelayOptions) {
    this.#socket = socket
    this.#o = o
    this.#idleMs = o.idleTimeoutMs ?? UDP_IDLE_TIMEOUT_MS
  }

  /** Binds address:port (rejects with the socket's error: EADDRINUSE…). */
  static async bind(o: UdpRelayOptions): Promise<UdpRelay> {
    const socket = dgram.createSocket({ type: 'udp4' })
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind({ address: o.address, port: o.port, exclusive: true }, () => {
        socket.off('error', reject)
        resolve()
      })
    })
    const relay = new UdpRelay(socket, o)
    socket.on('message', (msg, rinfo) => relay.#fromClient(msg, rinfo))
    socket.on('error', () => {}) // ICMP errors for a client gone away: nothing to do
    return relay
  }

  get port(): number {
    return this.#socket.address().port
  }

  /** Flows open now. */
  get flows(): number {
    return this.#flows.size
  }

  #fromClient(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const id = `${rinfo.address}:${rinfo.port}`
    let flow = this.#flows.get(id)
    if (flow === undefined) {
      if (this.#closed || this.#flows.size >= this.#o.maxFlows) return
      const choice = this.#o.pick(rinfo.address)
      if (choice === undefined) return
      flow = this.#open(id, rinfo, choice.picked, choice.preserveClientIp)
    }
    flow.lastActive = this.#o.clock.monotonic()
    flow.upstream.send(msg, flow.picked.target.port, flow.picked.target.host)
  }

  #open(id: string, client: dgram.RemoteInfo, picked: Picked, preserveClientIp: boolean): Flow {
    const upstream = dgram.createSocket({ type: 'udp4' })
    const flow: Flow = { upstream, picked, lastActive: this.#o.clock.monotonic(), closed: false }
    const { host, port } = picked.target
    upstream.on('message', (msg, from) => {
      if (from.port !== port || from.address !== host || flow.closed) return
      flow.lastActive = this.#o.clock.monotonic()
      this.#socket.send(msg, client.port, client.address)
    })
    upstream.on('error', () => this.#end(id, flow))
    // Sends wait for the bind (dgram queues them). Client IP preservation: the flow comes from the client's own 127.x address.
    upstream.bind({ address: preserveClientIp ? client.address : this.#o.address, port: 0 })
    this.#flows.set(id, flow)
    picked.onTerminate(() => this.#end(id, flow))
    this.#schedule()
    return flow
  }

  #end(id: string, flow: Flow): void {
    if (flow.closed) return
    flow.closed = true
    if (this.#flows.get(id) === flow) this.#flows.delete(id)
    try { flow.upstream.close() } catch { /* already closed */ }
    flow.picked.release()
  }

  #schedule(): void {
    if (this.#sweep !== undefined || this.#closed || this.#flows.size === 0) return
    this.#sweep = this.#o.clock.setTimeout(() => {
      this.#sweep = undefined
      const now = this.#o.clock.monotonic()
      for (const [id, flow] of this.#flows) if (now - flow.lastActive >= this.#idleMs) this.#end(id, flow)
      this.#schedule()
    }, Math.max(100, Math.ceil(this.#idleMs / 10)))
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#o.clock.clearTimeout(this.#sweep)
    this.#sweep = undefined
    for (const [id, flow] of this.#flows) this.#end(id, flow)
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()))
  }
}
