// What the TCP listener and plane tests share: self-signed certificates
// (openssl), loopback TCP / TLS / UDP backends that say who they are,
// a client that reads what a connection returns, a free port on an address,
// and target group configurations.
import { execFile } from 'node:child_process'
import dgram from 'node:dgram'
import net from 'node:net'
import tls from 'node:tls'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { ListenerCertificate, ListenerConfig, TargetGroupConfig } from '../../../runtime/lb/model.js'

const run = promisify(execFile)

export interface Pem { certPem: string; keyPem: string }

/**
 * A self-signed ECDSA P-256 certificate for `names` (the first is the CN), made
 * by the openssl CLI.
 */
export async function selfSigned(names: readonly string[]): Promise<Pem> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-lb-cert-'))
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`
    ])
    return { certPem: await readFile(join(dir, 'cert.pem'), 'utf8'), keyPem: await readFile(join(dir, 'key.pem'), 'utf8') }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export async function listenerCertificate(key: string, names: readonly string[], isDefault: boolean): Promise<ListenerCertificate> {
  return { key, names, isDefault, ...await selfSigned(names) }
}

export interface Backend { name: string; port: number; host: string; connections: number; ended: number; close(): Promise<void> }

/**
 * A TCP backend: writes `<name>\n` on connect, then echoes; when the client
 * half-closes it writes `bye <name>\n` and ends. With `tlsPem`, it speaks TLS.
 */
export async function backend(name: string, host = '127.0.0.1', tlsPem?: Pem): Promise<Backend> {
  const sockets = new Set<net.Socket>()
  const state = { connections: 0, ended: 0 }
  const onSocket = (socket: net.Socket): void => {
    state.connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    socket.write(`${name}\n`)
    socket.on('data', (chunk) => socket.write(chunk))
    socket.on('end', () => { state.ended++; socket.end(`bye ${name}\n`) })
  }
  const server = tlsPem === undefined
    ? net.createServer({ allowHalfOpen: true }, onSocket)
    : tls.createServer({ key: tlsPem.keyPem, cert: tlsPem.certPem, allowHalfOpen: true }, onSocket)
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    name, host, port,
    get connections() { return state.connections },
    get ended() { return state.ended },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  }
}

/** A UDP backend answering each datagram with `<name>:<datagram>`. */
export async function udpBackend(name: string, host = '127.0.0.1'): Promise<{ port: number; host: string; peers: Set<string>; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4')
  const peers = new Set<string>()
  socket.on('message', (msg, rinfo) => {
    peers.add(`${rinfo.address}:${rinfo.port}`)
    socket.send(`${name}:${msg.toString()}`, rinfo.port, rinfo.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, host, resolve))
  return { port: socket.address().port, host, peers, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) }
}

export interface Conversation {
  /** Everything received until the connection closed. */
  received: string
  /** The error the socket saw (ECONNRESET on a reset), if any. */
  error?: string
}

/**
 * Connects, reads the first line, then sends `send` (if any) and half-closes,
 * and resolves with all it received once the connection is closed.
 */
export function converse(port: number, host: string, send?: string, connect: () => net.Socket = () => net.connect({ port, host, allowHalfOpen: true })): Promise<Conversation> {
  return new Promise((resolve) => {
    const socket = connect()
    let received = ''
    let error: string | undefined
    let sent = false
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      received += chunk
      if (!sent && received.includes('\n')) {
        sent = true
        if (send !== undefined) socket.write(send)
        socket.end()
      }
    })
    socket.on('end', () => socket.end()) // closed before a line: close our side too
    socket.on('error', (e: NodeJS.ErrnoException) => { error = e.code ?? e.message })
    socket.on('close', () => resolve(error === undefined ? { received } : { received, error }))
  })
}

/** The first line a connection returns, the connection kept open; close it with the returned socket. */
export function firstLine(socket: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = ''
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString()
      const nl = buffered.indexOf('\n')
      if (nl >= 0) {
        socket.off('data', onData)
        resolve(buffered.slice(0, nl))
      }
    }
    socket.on('data', onData)
    socket.once('error', reject)
    socket.once('close', () => reject(new Error(`closed before a line (got ${JSON.stringify(buffered)})`)))
  })
}

/** A port free on `host` now (bound and released). */
export async function freePort(host: string): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A 127.x address of its own for a test (127.<200-249>.x.y). */
export function testAddress(): string {
  const r = () => 1 + Math.floor(Math.random() * 250)
  return `127.${200 + Math.floor(Math.random() * 50)}.${r()}.${r()}`
}

export function tcpGroupConfig(key: string, overrides: Partial<TargetGroupConfig> = {}): TargetGroupConfig {
  return {
    key, name: key.split('/').at(-1) ?? key, protocol: 'TCP', port: 80, targetType: 'ip',
    healthCheck: { enabled: true, protocol: 'TCP', port: 'traffic-port', path: '/', intervalMs: 30_000, timeoutMs: 10_000, healthyThreshold: 5, unhealthyThreshold: 2, matcher: '200' },
    deregistrationDelayMs: 300_000, slowStartMs: 0, algorithm: 'round_robin',
    stickiness: { enabled: false, type: 'source_ip', durationMs: 0 },
    ...overrides
  }
}

export function tcpListenerConfig(key: string, port: number, groups: readonly string[], overrides: Partial<ListenerConfig> = {}): ListenerConfig {
  return {
    key, protocol: 'TCP', port, certificates: [], rules: [],
    defaultActions: [{ type: 'forward', targetGroups: groups.map((g) => ({ key: g, weight: 1 })) }],
    ...overrides
  }
}
