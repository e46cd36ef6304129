// The ECS Exec stream: one WebSocket per session (runtime/ecs/EXEC.md, "ECS
// Exec"). Every message is a binary frame whose first byte is its channel:
//
//   0 stdin   client → server  bytes for the command's stdin; an empty payload closes stdin
//   1 output  server → client  the command's stdout and stderr (one stream with a TTY)
//   2 resize  client → server  JSON {"columns":N,"rows":N} (TTY sessions)
//   3 exit    server → client  the exit code as decimal ASCII; the server then closes (1000)
//
// Text frames are never sent and are refused (close 1003). A session that
// cannot run closes with 1011 and the reason. This file holds the framing,
// the server's side (bridging a socket to a runner's ExecSession) and the
// client the SDK and `stratus exec` use.

import { PassThrough } from 'node:stream'
import WebSocket from 'ws'
import { SignatureV4 } from '@smithy/signature-v4'
import { Hash } from '@smithy/hash-node'
import type { ExecSession } from '../runners/runner.js'

export const CHANNEL = { stdin: 0, output: 1, resize: 2, exit: 3 } as const

/** The handshake header that carries the session's token. */
export const TOKEN_HEADER = 'x-stratus-exec-token'

/** Output waiting to be sent beyond which the command's output is paused (the socket's reader sets the pace). */
const HIGH_WATER_BYTES = 1 << 20

export function frame(channel: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload
  const out = Buffer.allocUnsafe(body.length + 1)
  out[0] = channel
  body.copy(out, 1)
  return out
}

function asBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}

/** A message received before the exec started (held by holdMessages). */
export type HeldMessage = [WebSocket.RawData, boolean]

/**
 * Keeps what the client sends while the exec is being started (a client may
 * write stdin as soon as the socket is open): `release()` stops holding and
 * hands the messages over, in order, to bridge().
 */
export function holdMessages(socket: WebSocket): { release(): HeldMessage[] } {
  const held: HeldMessage[] = []
  const hold = (data: WebSocket.RawData, isBinary: boolean) => { held.push([data, isBinary]) }
  socket.on('message', hold)
  return { release: () => { socket.off('message', hold); return held } }
}

/** Runs a session's stream on an open socket: frames in (those held first) → the exec, its output and exit → frames out. */
export function bridge(socket: WebSocket, exec: ExecSession, held: readonly HeldMessage[] = []): Promise<void> {
  return new Promise<void>((resolve) => {
    const output = exec.output as NodeJS.ReadableStream & { pause(): void; resume(): void }
    let paused = false
    output.on('data', (chunk: Buffer | string) => {
      if (socket.readyState !== WebSocket.OPEN) return
      socket.send(frame(CHANNEL.output, typeof chunk === 'string' ? Buffer.from(chunk) : chunk), () => {
        if (paused && socket.bufferedAmount < HIGH_WATER_BYTES) {
          paused = false
          output.resume()
        }
      })
      if (!paused && socket.bufferedAmount >= HIGH_WATER_BYTES) {
        paused = true
        output.pause()
      }
    })
    const ended = new Promise<void>((done) => output.on('end', () => done()))
    let stdinOpen = true
    const closeStdin = () => {
      if (!stdinOpen) return
      stdinOpen = false
      exec.stdin.end()
    }
    const onMessage = (data: WebSocket.RawData, isBinary: boolean) => {
      if (!isBinary) {
        socket.close(1003, 'text frames are not part of the exec stream: send binary frames (channel byte + payload)')
        return
      }
      const message = asBuffer(data)
      if (message.length === 0) return
      const payload = message.subarray(1)
      if (message[0] === CHANNEL.stdin) {
        if (payload.length === 0) closeStdin()
        else if (stdinOpen) exec.stdin.write(payload)
      } else if (message[0] === CHANNEL.resize) {
        try {
          const { columns, rows } = JSON.parse(payload.toString('utf8')) as { columns?: unknown; rows?: unknown }
          if (typeof columns === 'number' && typeof rows === 'number' && columns > 0 && rows > 0) void exec.resize?.(columns, rows).catch(() => {})
        } catch { /* a malformed resize is ignored: the terminal keeps its size */ }
      }
    }
    for (const [data, isBinary] of held) onMessage(data, isBinary)
    socket.on('message', onMessage)
    socket.on('close', () => {
      closeStdin()
      output.resume()
      resolve()
    })
    socket.on('error', () => {})
    void Promise.all([exec.exit, ended]).then(([code]) => {
      if (socket.readyState !== WebSocket.OPEN) return
      socket.send(frame(CHANNEL.exit, String(code)), () => socket.close(1000, 'exited'))
    }, (error: Error) => {
      if (socket.readyState === WebSocket.OPEN) socket.close(1011, error.message.slice(0, 120))
    })
  })
}

/** The key the handshake is SigV4-signed with (service ecs): the one ExecuteCommand was called with. */
export interface ExecCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  /** The region requests are signed for (default us-east-1). */
  region?: string
}

export interface ExecStreamOptions {
  /** A pseudo-terminal for the command (stdout and stderr as one stream, line editing, job control). */
  tty?: boolean
  columns?: number
  rows?: number
  /**
   * Signs the upgrade request (SigV4, service ecs). An engine with auth 'iam'
   * opens the stream only for the principal that called ExecuteCommand.
   */
  credentials?: ExecCredentials
}

/** The upgrade request's headers: the token, and a SigV4 signature when credentials are given. */
async function handshakeHeaders(url: URL, tokenValue: string, credentials: ExecCredentials | undefined): Promise<Record<string, string>> {
  const headers: Record<string, string> = { [TOKEN_HEADER]: tokenValue }
  if (credentials === undefined) return headers
  const { region, ...key } = credentials
  const signer = new SignatureV4({ credentials: key, region: region ?? 'us-east-1', service: 'ecs', sha256: Hash.bind(null, 'sha256') })
  const query: Record<string, string> = {}
  for (const [name, value] of url.searchParams) query[name] = value
  const signed = await signer.sign({
    method: 'GET', protocol: 'http:', hostname: url.hostname, ...(url.port !== '' ? { port: Number(url.port) } : {}), path: url.pathname, query,
    headers: { host: url.host, ...headers }
  })
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(signed.headers)) if (name.toLowerCase() !== 'host') out[name] = String(value)
  return out
}

/** The client's side of a session: write stdin, read output, wait for the exit code. */
export interface ExecStream {
  /** The command's output (stdout and stderr). */
  readonly output: NodeJS.ReadableStream
  /** Resolves with the exit code; rejects when the stream ends without one (the reason the server gave). */
  readonly exit: Promise<number>
  write(data: Buffer | string): void
  /** Closes the command's stdin. */
  end(): void
  resize(columns: number, rows: number): void
  /** Drops the connection (the command's stdin closes). */
  close(): void
}

/** Opens a session's stream (`streamUrl` and `tokenValue` from ExecuteCommand). */
export async function openExecStream(streamUrl: string, tokenValue: string, options: ExecStreamOptions = {}): Promise<ExecStream> {
  const url = new URL(streamUrl)
  if (options.tty === true) url.searchParams.set('tty', '1')
  if (options.columns !== undefined) url.searchParams.set('columns', String(options.columns))
  if (options.rows !== undefined) url.searchParams.set('rows', String(options.rows))
  const socket = new WebSocket(url, { headers: await handshakeHeaders(url, tokenValue, options.credentials), perMessageDeflate: false })
  const output = new PassThrough()
  let code: number | undefined
  const exit = new Promise<number>((resolve, reject) => {
    socket.on('close', (closeCode, reason) => {
      output.end()
      if (code !== undefined) resolve(code)
      else reject(new Error(`the exec stream closed without an exit code (${closeCode}${reason.length > 0 ? `: ${reason.toString('utf8')}` : ''})`))
    })
  })
  exit.catch(() => {})
  socket.on('message', (data, isBinary) => {
    if (!isBinary) return
    const message = asBuffer(data)
    if (message[0] === CHANNEL.output) output.write(message.subarray(1))
    else if (message[0] === CHANNEL.exit) code = Number(message.subarray(1).toString('utf8'))
  })
  return new Promise<ExecStream>((resolve, reject) => {
    socket.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString('utf8') })
      res.on('end', () => reject(new Error(`the exec stream was refused (${res.statusCode}): ${body.slice(0, 300)}`)))
    })
    socket.once('error', reject)
    socket.once('open', () => {
      socket.off('error', reject)
      socket.on('error', () => {})
      const send = (channel: number, payload?: Buffer | string) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(frame(channel, payload))
      }
      resolve({
        output,
        exit,
        write: (data) => { if (Buffer.byteLength(data) > 0) send(CHANNEL.stdin, data) },
        end: () => send(CHANNEL.stdin),
        resize: (columns, rows) => send(CHANNEL.resize, JSON.stringify({ columns, rows })),
        close: () => socket.close(1000, 'client closed')
      })
    })
  })
}
