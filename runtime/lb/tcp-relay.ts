// One plain TCP listener's byte path in the C relay (relay/relay.c, built into
// build/lb/stratus-relay): this side speaks its line protocol. The relay binds,
// accepts and moves bytes; the listener (tcp.ts) picks each connection's
// target, releases it when the relay says the connection is over, and runs the
// idle sweep on the engine's Clock through the activity query.

import { spawn, type ChildProcess } from 'node:child_process'
import readline from 'node:readline'
import { findBuiltBinary } from '../native.js'

export const RELAY_BINARY_RELATIVE = 'build/lb/stratus-relay'

/** The relay binary, unless it is not built or STRATUS_LB_RELAY=off. */
export function relayBinary(): string | undefined {
  if (process.env.STRATUS_LB_RELAY === 'off') return undefined
  return findBuiltBinary(RELAY_BINARY_RELATIVE)
}

export interface RelayEvents {
  /** A client connected to `relay` (answer it with target() or reset()). */
  connection(id: string, ip: string, port: number, relay: TcpRelay): void
  finished(id: string): void
  /** The relay ended without being closed. */
  exited(): void
}

/** A bind the relay refused: the errno's code (EADDRINUSE …) and its message. */
export class RelayBindError extends Error {
  constructor(readonly code: string, message: string) {
    super(message)
  }
}

export class TcpRelay {
  readonly #child: ChildProcess
  readonly #activity: Array<(ids: Set<string>) => void> = []
  #closing = false
  readonly #exited: Promise<void>

  private constructor(child: ChildProcess, readonly port: number) {
    this.#child = child
    this.#exited = new Promise((resolve) => child.once('exit', () => {
      for (const answer of this.#activity.splice(0)) answer(new Set())
      resolve()
    }))
  }

  static start(binary: string, o: { address: string; port: number; maxConnections: number }, events: RelayEvents): Promise<TcpRelay> {
    const child = spawn(binary, [o.address, String(o.port), String(o.maxConnections)], { stdio: ['pipe', 'pipe', 'inherit'] })
    child.stdin!.on('error', () => {})
    return new Promise((resolve, reject) => {
      let relay: TcpRelay | undefined
      const lines = readline.createInterface({ input: child.stdout! })
      lines.on('line', (line) => {
        if (relay === undefined) {
          const ready = /^ready (\d+)$/.exec(line)
          if (ready !== null) {
            relay = new TcpRelay(child, Number(ready[1]))
            child.once('exit', () => { if (!relay!.#closing) events.exited() })
            resolve(relay)
            return
          }
          const error = /^error (\S+) (.*)$/.exec(line)
          reject(new RelayBindError(error?.[1] ?? 'EUNKNOWN', error?.[2] ?? line))
          child.kill('SIGKILL')
          return
        }
        switch (line[0]) {
          case 'c': {
            const [, id, ip, port] = line.split(' ')
            events.connection(id, ip === '-' ? '' : ip, Number(port ?? 0), relay)
            break
          }
          case 'x':
            events.finished(line.slice(2))
            break
          case 'A':
            relay.#activity.shift()?.(new Set(line.split(' ').slice(1)))
            break
        }
      })
      child.once('error', (error) => reject(new RelayBindError('EUNKNOWN', error.message)))
      child.once('exit', (code, signal) => { if (relay === undefined) reject(new RelayBindError('EUNKNOWN', `the relay exited (${code ?? signal})`)) })
    })
  }

  #send(line: string): void {
    if (!this.#closing) this.#child.stdin!.write(line + '\n')
  }

  /**
   * Connects the client `id` to host:port. `source`: the address the connection comes from
   * (client IP preservation; the load balancer's otherwise); `header`: bytes the target gets
   * before the client's (the PROXY protocol header).
   */
  target(id: string, host: string, port: number, o: { source?: string; header?: Buffer } = {}): void {
    const source = o.source !== undefined ? ` s ${o.source}` : ''
    const header = o.header !== undefined ? ` h ${o.header.toString('hex')}` : ''
    this.#send(`t ${id} ${host} ${port}${source}${header}`)
  }

  /** Resets the connection: its client, and its target once it has one (no target; NLB connection termination). */
  reset(id: string): void {
    this.#send(`r ${id}`)
  }

  kill(id: string): void {
    this.#send(`k ${id}`)
  }

  /** The connections that moved bytes since the last query. */
  activity(): Promise<Set<string>> {
    if (this.#closing) return Promise.resolve(new Set())
    return new Promise((resolve) => {
      this.#activity.push(resolve)
      this.#send('a')
    })
  }

  /** Ends every connection and the relay; resolves when its port is free. */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true
      this.#child.stdin!.end()
      for (const resolve of this.#activity.splice(0)) resolve(new Set())
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 2_000)
      timer.unref()
      await this.#exited
      clearTimeout(timer)
    }
    await this.#exited
  }
}
