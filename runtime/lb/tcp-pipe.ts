// The bytes of one NLB connection, both ways, between a client and its target.
//
// socket.pipe() costs, per chunk, a fresh 64 KiB read buffer (malloc, an
// ArrayBuffer and its sweep), a push through the Readable and an emit: on a
// request/response load that is about half the listener's user CPU. So a plain
// TCP socket here reads into a buffer of its own (net's `onread`) and each chunk
// is one read into it and one write out of it. The buffer is read into again
// only once what was written from it has left: a write that does not complete
// at once (the peer's socket buffer is full, or the target is still connecting)
// stops the reader until that write's callback. TLS sockets (and any socket the
// fast path cannot adopt) keep socket.pipe().
//
// Half-close passes through: a reader's end ends its writer (allowHalfOpen on
// both sockets keeps the other direction open). Errors and resets are the
// listener's concern (tcp.ts).

import net from 'node:net'

/** Each direction's read buffer (HAProxy's default bufsize): 2 per connection on the fast path. */
export const READ_BUFFER_BYTES = 16 * 1024

type OnRead = (bytes: number, buffer: Buffer) => boolean

/** One direction read into its own buffer: the reader's onread callback writes each chunk to the writer. */
export class BufferedFlow {
  readonly buffer: Buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES)
  #reader: net.Socket | undefined
  #view: Buffer = this.buffer
  #waiting = false
  /** The pending write left: the buffer is free again. */
  readonly #flushed = (): void => {
    if (!this.#waiting) return
    this.#waiting = false
    this.#reader?.resume()
  }

  constructor(readonly writer: net.Socket) {}

  /** The socket whose reads this flow carries (set once it exists: a target is made with the flow's options). */
  set reader(socket: net.Socket) {
    this.#reader = socket
    socket.once('end', () => this.writer.end())
  }

  /** net's onread callback: false stops reading (net calls readStop) until #flushed resumes it. */
  readonly onread: OnRead = (bytes) => {
    // Chunk sizes repeat on request/response traffic: keep the last view rather than slicing each time.
    let view = this.#view
    if (view.length !== bytes) this.#view = view = this.buffer.subarray(0, bytes)
    this.writer.write(view, this.#flushed)
    // Written at once: the kernel has the bytes, the buffer is free.
    if (this.writer.writableLength === 0) return true
    this.#waiting = true
    return false
  }

  /** net.connect's `onread` option for a target read into this flow's buffer. */
  get options(): { buffer: Buffer; callback: OnRead } {
    return { buffer: this.buffer, callback: this.onread }
  }
}

interface UserBufferFields { buffer: symbol; callback: symbol }
let fields: UserBufferFields | null | undefined

/**
 * Where net keeps a socket's onread buffer and callback. Node offers onread to
 * sockets it creates for net.connect / new Socket only, not to those a server
 * accepts; the fields are net's own, found by name once (null: this Node has
 * none such, and accepted sockets keep socket.pipe()).
 */
function userBufferFields(socket: net.Socket): UserBufferFields | null {
  if (fields !== undefined) return fields
  const symbols = Object.getOwnPropertySymbols(socket)
  const buffer = symbols.find((s) => s.description === 'kBuffer')
  const callback = symbols.find((s) => s.description === 'kBufferCb')
  fields = buffer !== undefined && callback !== undefined ? { buffer, callback } : null
  return fields
}

interface StreamHandle { reading?: boolean; useUserBuffer?: (buffer: Uint8Array) => void }

/**
 * Makes an accepted socket read into `flow`'s buffer, as net.connect's onread
 * option would. The socket must come from a server with pauseOnConnect (it has
 * read nothing yet). false: not possible here (the caller pipes instead).
 */
export function adoptAccepted(socket: net.Socket, flow: BufferedFlow): boolean {
  const f = userBufferFields(socket)
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle
  const own = socket as unknown as Record<symbol, unknown>
  if (f === null || handle == null || typeof handle.useUserBuffer !== 'function' || handle.reading !== false || own[f.buffer] !== null) return false
  own[f.buffer] = flow.buffer
  own[f.callback] = flow.onread
  handle.useUserBuffer(flow.buffer)
  flow.reader = socket
  return true
}

/** Whether accepted sockets can read into their own buffers on this Node (a Node upgrade that drops it is noticed by a test). */
export function acceptedSocketsReadIntoOwnBuffers(): boolean {
  const probe = new net.Socket()
  const ok = userBufferFields(probe) !== null
  probe.destroy()
  return ok
}
