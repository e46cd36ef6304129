// Container output, from the engine into the container's log file as it is
// written. A container without a TTY streams multiplexed frames — an 8-byte
// header (stream: 1 stdout, 2 stderr; three zero bytes; a big-endian uint32
// payload length) then the payload — which `Demultiplexer` splits back into
// stdout and stderr chunks, whatever way the bytes were cut in transit.
//
// `pumpLogs` follows GET /containers/{id}/logs from the start (the engine's
// json-file log keeps everything a container wrote, so starting to follow
// after POST /start loses nothing) and appends every message to the log file;
// the stream ends when the container has stopped and its output is drained.
import { open, stat, type FileHandle } from 'node:fs/promises'
import type { DockerClient } from './client.js'

export const STDOUT = 1
export const STDERR = 2
const HEADER = 8

export type FrameHandler = (stream: number, payload: Buffer) => void

/** Splits a multiplexed stream into frames; tolerates headers and payloads cut anywhere, in time linear in the bytes. */
export class Demultiplexer {
  readonly #chunks: Buffer[] = []
  #length = 0
  /** The frame whose header has been read: its stream and payload size. */
  #stream = 0
  #need: number | undefined = undefined

  constructor(readonly onFrame: FrameHandler) {}

  push(chunk: Buffer): void {
    this.#chunks.push(chunk)
    this.#length += chunk.length
    for (;;) {
      if (this.#need === undefined) {
        if (this.#length < HEADER) return
        const header = this.#take(HEADER)
        this.#stream = header[0]
        this.#need = header.readUInt32BE(4)
      }
      if (this.#length < this.#need) return
      const payload = this.#take(this.#need)
      this.#need = undefined
      if (payload.length > 0) this.onFrame(this.#stream, payload)
    }
  }

  /** The first n buffered bytes (joining only the chunks they span). */
  #take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0)
    this.#length -= n
    const first = this.#chunks[0]
    if (first.length >= n) {
      if (first.length === n) this.#chunks.shift()
      else this.#chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    const parts: Buffer[] = []
    let left = n
    while (left > 0) {
      const chunk = this.#chunks[0]
      if (chunk.length <= left) {
        parts.push(chunk)
        this.#chunks.shift()
        left -= chunk.length
      } else {
        parts.push(chunk.subarray(0, left))
        this.#chunks[0] = chunk.subarray(left)
        left = 0
      }
    }
    return Buffer.concat(parts, n)
  }

  /** Bytes of an unfinished frame (a stream cut short). */
  get pendingBytes(): number {
    return this.#length + (this.#need === undefined ? 0 : HEADER)
  }
}

export interface LogPump {
  /** Resolves once everything the container wrote is in the file (or the stream broke off). */
  done: Promise<void>
  /** The stream has ended (the container stopped, or the engine went away). */
  readonly ended: boolean
  /** Bytes written to the file so far: a drain that still makes progress is not broken off. */
  readonly written: number
  /** Breaks off following (a container whose stream does not end). */
  abort(): void
}

/** Nanoseconds since the epoch of an engine timestamp (RFC 3339, up to nanoseconds), exactly. */
export function timestampNanos(stamp: string): bigint {
  const dot = stamp.indexOf('.')
  if (dot < 0) return BigInt(Date.parse(stamp)) * 1_000_000n
  const zone = stamp.slice(dot).search(/[Z+-]/) + dot
  const fraction = stamp.slice(dot + 1, zone).padEnd(9, '0').slice(0, 9)
  return BigInt(Date.parse(stamp.slice(0, dot) + stamp.slice(zone))) * 1_000_000n + BigInt(fraction)
}

/**
 * The mtime (seconds, for utimes) that marks everything up to `stamp` copied:
 * the first whole microsecond after it. File times are set through libuv,
 * which keeps whole microseconds (it drops the rest); the seconds are given
 * half a microsecond into that one, so that a double's rounding (±0.2 µs at
 * today's dates) cannot move the mark to a neighbour — below the stamp, the
 * line would be copied again on resume.
 */
export function resumeMark(stamp: string): number {
  const micros = timestampNanos(stamp) / 1000n + 1n
  return (Number(micros) + 0.5) / 1e6
}

/**
 * Appends a container's output to `logPath` as the engine streams it. The
 * stream carries each message's timestamp (stripped from the file); the file's
 * mtime is set just after the last one written (resumeMark), so that a runner
 * recovering the container after a crash resumes right after it (`since`,
 * from resumePoint()).
 * Not exact across a kill between the append and the utimes (the mtime is then
 * the write's own time: lines stamped in between are skipped; README.md).
 */
export function pumpLogs(client: DockerClient, containerId: string, logPath: string, since?: string): LogPump {
  const controller = new AbortController()
  let ended = false
  let written = 0
  const done = (async () => {
    let file: FileHandle | undefined
    try {
      file = await open(logPath, 'a')
      const body = await client.stream('GET', `/containers/${containerId}/logs`, {
        query: { follow: true, stdout: true, stderr: true, timestamps: true, since },
        noTimeout: true,
        signal: controller.signal
      })
      const payloads: Buffer[] = []
      let last: string | undefined
      /** How many frames copied so far carry the stamp `last`. */
      let atLast = 0
      /** The catch-up: frames stamped before this are in the file already, and `skip` of those stamped at it. */
      let after: bigint | undefined
      let skip = 0
      const onFrame = (_stream: number, frame: Buffer): void => {
        const space = frame.indexOf(0x20)
        const stamp = frame.subarray(0, space).toString('latin1')
        if (after !== undefined) {
          const ns = timestampNanos(stamp)
          if (ns < after) return
          if (ns === after && skip > 0) {
            skip--
            return
          }
        }
        atLast = stamp === last ? atLast + 1 : 1
        last = stamp
        payloads.push(frame.subarray(space + 1))
      }
      const copy = async (stream: AsyncIterable<unknown>): Promise<void> => {
        // A parser per response: a stream that ended inside a frame leaves nothing behind.
        const demux = new Demultiplexer(onFrame)
        for await (const chunk of stream) {
          demux.push(chunk as Buffer)
          if (payloads.length === 0) continue
          // Awaited: a slow disk holds the engine's stream, never our memory.
          written += (await file!.writev(payloads.splice(0))).bytesWritten
          await file!.utimes(new Date(), resumeMark(last!))
        }
      }
      await copy(body)
      // The engine can end a followed stream of a container that just exited before its last
      // lines (seen under load): once more, not followed, from the last line copied.
      if (!controller.signal.aborted) {
        after = last === undefined ? undefined : timestampNanos(last)
        skip = atLast
        await copy(await client.stream('GET', `/containers/${containerId}/logs`, {
          query: { follow: false, stdout: true, stderr: true, timestamps: true, since: after === undefined ? since : unixSeconds(after) },
          signal: controller.signal
        }))
      }
    } catch {
      // The container vanished or the engine went away: what arrived is in the file.
    } finally {
      await file?.close().catch(() => {})
      ended = true
    }
  })()
  return { done, get ended() { return ended }, get written() { return written }, abort: () => controller.abort() }
}

/** Nanoseconds since the epoch as the engine's `since` takes them: seconds with nine decimals. */
function unixSeconds(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`
}

/** Where to resume a recovered container's output (`since`): its log file's mtime, the mark resumeMark() set after the last message. */
export async function resumePoint(logPath: string): Promise<string | undefined> {
  try {
    return unixSeconds((await stat(logPath, { bigint: true })).mtimeNs)
  } catch {
    return undefined
  }
}
