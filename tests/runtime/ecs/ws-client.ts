// A WebSocket client written over node:http's upgrade for the exec tests, so
// the stream's framing is checked by code that is not the engine's own
// client (nor the ws package): RFC 6455 frames, client frames masked, server
// frames unmasked. Not a test file.
import { request } from 'node:http'
import { createHash, randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'

export interface RawFrame {
  opcode: number
  payload: Buffer
}

export interface RawSocket {
  /** Every frame received until the server closed (close frame included). */
  readonly frames: Promise<RawFrame[]>
  sendBinary(payload: Buffer): void
  sendText(text: string): void
  close(): void
}

export type Handshake = { status: number; body: string } | RawSocket

function encode(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4)
  const length = payload.length
  const head = length < 126 ? Buffer.from([0x80 | opcode, 0x80 | length])
    : length < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff])
      : (() => { const h = Buffer.alloc(10); h[0] = 0x80 | opcode; h[1] = 0x80 | 127; h.writeBigUInt64BE(BigInt(length), 2); return h })()
  const masked = Buffer.from(payload)
  for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i % 4]
  return Buffer.concat([head, mask, masked])
}

function reader(socket: Socket, head: Buffer): Promise<RawFrame[]> {
  return new Promise((resolve) => {
    const frames: RawFrame[] = []
    let pending = head
    const parse = () => {
      for (;;) {
        if (pending.length < 2) return
        const opcode = pending[0] & 0x0f
        let length = pending[1] & 0x7f
        let at = 2
        if (length === 126) { if (pending.length < 4) return; length = pending.readUInt16BE(2); at = 4 }
        else if (length === 127) { if (pending.length < 10) return; length = Number(pending.readBigUInt64BE(2)); at = 10 }
        if (pending.length < at + length) return
        const payload = pending.subarray(at, at + length)
        frames.push({ opcode, payload })
        pending = pending.subarray(at + length)
        // The closing handshake: echo the server's close frame, then the TCP connection ends.
        if (opcode === 0x8) socket.end(encode(0x8, payload.subarray(0, 2)))
      }
    }
    parse()
    socket.on('data', (chunk: Buffer) => { pending = Buffer.concat([pending, chunk]); parse() })
    socket.on('close', () => resolve(frames))
    socket.on('error', () => {})
  })
}

/** Opens `url` with the given headers: the refusal (status and body), or the open socket. */
export function rawWebSocket(url: string, headers: Record<string, string> = {}): Promise<Handshake> {
  const key = randomBytes(16).toString('base64')
  const expected = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')
  return new Promise((resolve, reject) => {
    const req = request(url.replace(/^ws:/, 'http:'), {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': key, ...headers }
    })
    req.on('upgrade', (res, socket: Socket, head: Buffer) => {
      if (res.headers['sec-websocket-accept'] !== expected) return reject(new Error('bad Sec-WebSocket-Accept'))
      const frames = reader(socket, head)
      resolve({
        frames,
        sendBinary: (payload) => socket.write(encode(0x2, payload)),
        sendText: (text) => socket.write(encode(0x1, Buffer.from(text))),
        close: () => socket.write(encode(0x8, Buffer.from([0x03, 0xe8])))
      })
    })
    req.on('response', (res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** The close frame's code (1000, 1011…) and reason. */
export function closeOf(frames: RawFrame[]): { code: number; reason: string } | undefined {
  const close = frames.find((f) => f.opcode === 0x8)
  if (close === undefined || close.payload.length < 2) return undefined
  return { code: close.payload.readUInt16BE(0), reason: close.payload.subarray(2).toString('utf8') }
}
