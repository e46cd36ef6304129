// Shared pieces of the HTTP listener's tests: listener configurations, a
// listener opened on 127.0.0.1:0 and closed at teardown, plain HTTP requests,
// raw-socket exchanges (for the tests whose point is the wire) and backends.
import http from 'node:http'
import net from 'node:net'
import type { Test } from 'tap'
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { RealClock, type Clock } from '../../../runtime/clock/clock.js'
import { HttpListener } from '../../../runtime/lb/http/index.js'
import { DEFAULT_LB_LIMITS, type Action, type LbLimits, type ListenerCertificate, type ListenerConfig, type PickRequest, type Picked, type TargetGroupConfig, type TargetGroupRuntime } from '../../../runtime/lb/model.js'
import { TargetGroup } from '../../../runtime/lb/target-group.js'

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
  http2?: boolean
}

export async function openListener(t: Test, config: ListenerConfig, o: OpenOptions = {}): Promise<HttpListener> {
  const groups = o.groups ?? new Map<string, TargetGroupRuntime>()
  const listener = await HttpListener.open(config, {
    address: o.address ?? '127.0.0.1',
    idleTimeoutMs: o.idleTimeoutMs ?? 60_000,
    limits: { ...DEFAULT_LB_LIMITS, ...o.limits },
    targetGroup: (key) => groups.get(key),
    clock: o.clock ?? new RealClock(),
    ...(o.http2 === undefined ? {} : { http2: o.http2 })
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

// --- target groups ------------------------------------------------------------------

export function groupConfig(key: string, partial: Partial<TargetGroupConfig> = {}): TargetGroupConfig {
  return {
    key,
    name: key.split('/').at(-2) ?? key,
    protocol: 'HTTP',
    port: 80,
    targetType: 'ip',
    healthCheck: { enabled: true, protocol: 'HTTP', port: 'traffic-port', path: '/', intervalMs: 30_000, timeoutMs: 5_000, healthyThreshold: 5, unhealthyThreshold: 2, matcher: '200' },
    deregistrationDelayMs: 300_000,
    slowStartMs: 0,
    algorithm: 'round_robin',
    stickiness: { enabled: false, type: 'lb_cookie', durationMs: 86_400_000 },
    ...partial
  }
}

export function groupArn(name: string): string {
  return `arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/${name}/6d0ecf831eec9f09`
}

/** How many targets a group handed out and how many came back (release() calls). */
export interface Counted {
  group: TargetGroupRuntime
  picks: number
  releases: number
  /** A release() called twice for the same pick. */
  doubleReleases: number
}

/**
 * A target group with targets on 127.0.0.1 ports, closed at teardown; the
 * listener sees it through a counting wrapper (the real group underneath).
 */
export function group(t: Test, groups: Map<string, TargetGroupRuntime>, key: string, ports: readonly number[], partial: Partial<TargetGroupConfig> = {}, clock: Clock = new RealClock()): Counted {
  const g = new TargetGroup(groupConfig(key, partial), { clock })
  g.register(ports.map((port) => ({ id: '127.0.0.1', port, host: '127.0.0.1' })))
  const counted: Counted = { group: g, picks: 0, releases: 0, doubleReleases: 0 }
  const wrapper: TargetGroupRuntime = {
    get config() {
      return g.config
    },
    update: (c) => g.update(c),
    register: (x) => g.register(x),
    deregister: (x) => g.deregister(x),
    resumeDraining: (x, ms) => g.resumeDraining(x, ms),
    setInUse: (x) => g.setInUse(x),
    health: (x) => g.health(x),
    onChange: (l) => g.onChange(l),
    close: () => g.close(),
    pick: (request: PickRequest): Picked | undefined => {
      const picked = g.pick(request)
      if (picked === undefined) return undefined
      counted.picks++
      let done = false
      return {
        target: picked.target,
        key: picked.key,
        onTerminate: (end) => picked.onTerminate(end),
        release: () => {
          if (done) {
            counted.doubleReleases++
            return
          }
          done = true
          counted.releases++
          picked.release()
        }
      }
    }
  }
  groups.set(key, wrapper)
  t.teardown(() => g.close())
  return counted
}

/** Waits (a few real milliseconds at a time, bounded) until check() holds: for effects that follow a socket's close. */
export async function until(check: () => boolean, tries = 200): Promise<void> {
  for (let i = 0; i < tries && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5))
}

// --- certificates -------------------------------------------------------------------

x509.cryptoProvider.set(globalThis.crypto)

/** A self-signed ECDSA certificate for names (valid from yesterday to tomorrow). */
export async function certificate(key: string, names: string[], isDefault = false): Promise<ListenerCertificate> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
  const keys = await globalThis.crypto.subtle.generateKey(alg, true, ['sign', 'verify'])
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(8))).toString('hex'),
    name: `CN=${names[0]}`,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value })))]
  })
  const pkcs8 = await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey)
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`
  return { key, certPem: cert.toString('pem'), keyPem, names, isDefault }
}

