// Shared pieces of the HTTP listener's tests: listener configurations, a
// listener opened on 127.0.0.1:0 and closed at teardown, plain HTTP requests,
// raw-socket exchanges (for the tests whose point is the wire) and backends.
import http from 'node:http'
import net from 'node:net'
import type { Test } from 'tap'
import { RealClock, type Clock } from '../../../runtime/clock/clock.js'
import { HttpListener } from '../../../runtime/lb/http/index.js'
import { DEFAULT_LB_LIMITS, type Action, type LbLimits, type ListenerConfig, type TargetGroupRuntime } from '../../../runtime/lb/model.js'

export const LISTENER_ARN = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2'

export function fixed(statusCode: string, messageBody = '', contentType?: string): Action {
  return contentType === undefined ? { type: 'fixed-response', statusCode, messageBody } : { type: 'fixed-response', statusCode, messageBody, contentType }
}

export function listenerConfig(partial: Partial<ListenerConfig> = {}): ListenerConfig {
  return { key: LISTENER_ARN, protocol: 'HTTP', port: 0, certificates: [], rules: [], defaultActions: [fixed('404', 'default')], ...partial }
}

export interface OpenOptions {
  idleTimeoutMs?: number
  limits?: Partial<LbLimits>
  groups?: Map<string, TargetGroupRuntime>
  clock?: Clock
  address?: string
}

export async function openListener(t: Test, config: ListenerConfig, o: OpenOptions = {}): Promise<HttpListener> {
  const groups = o.groups ?? new Map<string, TargetGroupRuntime>()
  const listener = await HttpListener.open(config, {
    address: o.address ?? '127.0.0.1',
    idleTimeoutMs: o.idleTimeoutMs ?? 60_000,
    limits: { ...DEFAULT_LB_LIMITS, ...o.limits },
    targetGroup: (key) => groups.get(key),
    clock: o.clock ?? new RealClock()
  })
  t.teardown(() => listener.close())
  return listener
}

export interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  rawHeaders: string[]
  body: string
}

/** One request on a fresh connection (no agent). */
export function request(port: number, path = '/', o: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string; host?: string; agent?: http.Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: o.host ?? '127.0.0.1', port, path, method: o.method ?? 'GET', headers: o.headers, agent: o.agent ?? false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      }
    )
    req.on('error', reject)
    req.end(o.body)
  })
}

/** Raw bytes to the listener; resolves with everything received until the listener closes the connection. */
export function raw(port: number, data: string | Buffer | readonly (string | Buffer)[], o: { host?: string } = {}): Promise<{ text: string; closed: 'end' | 'reset' }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: o.host ?? '127.0.0.1', port })
    const chunks: Buffer[] = []
    let closed: 'end' | 'reset' = 'end'
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => {
      closed = 'reset'
    })
    socket.on('close', () => resolve({ text: Buffer.concat(chunks).toString('latin1'), closed }))
    socket.on('connect', () => {
      for (const d of Array.isArray(data) ? data : [data]) socket.write(d)
    })
  })
}

/** A connected raw socket (the test writes and reads as it goes); destroyed at teardown. */
export function connect(t: Test, port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port }, () => resolve(socket))
    socket.on('error', reject)
    t.teardown(() => {
      socket.destroy()
    })
  })
}

/** The bytes a socket receives until it closes. */
export function untilClosed(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => undefined)
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
  })
}

/** A Node HTTP server on 127.0.0.1:0 (a target), closed at teardown. */
export async function backend(t: Test, handler: http.RequestListener, host = '127.0.0.1'): Promise<{ server: http.Server; port: number; host: string }> {
  const server = http.createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  )
  const address = server.address() as net.AddressInfo
  return { server, port: address.port, host }
}

export function statusLine(text: string): string {
  return text.slice(0, text.indexOf('\r\n'))
}
