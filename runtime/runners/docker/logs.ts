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

/** Splits a multiplexed stream into frames; tolerates headers and payloads cut anywhere. */
export class Demultiplexer {
  #pending: Buffer = Buffer.alloc(0)

  constructor(readonly onFrame: FrameHandler) {}

  push(chunk: Buffer): void {
    let data = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk])
    while (data.length >= HEADER) {
      const size = data.readUInt32BE(4)
      if (data.length < HEADER + size) break
      const stream = data[0]
      if (size > 0) this.onFrame(stream, data.subarray(HEADER, HEADER + size))
      data = data.subarray(HEADER + size)
    }
    this.#pending = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data)
  }

  /** Bytes of an unfinished frame (a stream cut short). */
  get pendingBytes(): number {
    return this.#pending.length
  }
}

export interface LogPump {
  /** Resolves once everything the container wrote is in the file (or the stream broke off). */
  done: Promise<void>
  /** Breaks off following (a container whose stream does not end). */
  abort(): void
}

/** Seconds since the epoch of an engine timestamp (RFC 3339 with nanoseconds), to a double's precision. */
export function timestampSeconds(stamp: string): number {
  const dot = stamp.indexOf('.')
  if (dot < 0) return Date.parse(stamp) / 1000
  const zone = stamp.slice(dot).search(/[Z+-]/) + dot
  return Date.parse(stamp.slice(0, dot) + stamp.slice(zone)) / 1000 + Number(`0${stamp.slice(dot, zone)}`)
}

/**
 * Appends a container's output to `logPath` as the engine streams it. The
 * stream carries each message's timestamp (stripped from the file); the file's
 * mtime is set to the last one written, so that a runner recovering the
 * container after a crash resumes right after it (`since`, from resumePoint()):
 * every line lands in the file once.
 */
export function pumpLogs(client: DockerClient, containerId: string, logPath: string, since?: string): LogPump {
  const controller = new AbortController()
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
      const demux = new Demultiplexer((_stream, frame) => {
        const space = frame.indexOf(0x20)
        last = frame.subarray(0, space).toString('latin1')
        payloads.push(frame.subarray(space + 1))
      })
      for await (const chunk of body) {
        demux.push(chunk as Buffer)
        if (payloads.length === 0) continue
        // Awaited: a slow disk holds the engine's stream, never our memory.
        await file.writev(payloads.splice(0))
        await file.utimes(new Date(), timestampSeconds(last!))
      }
    } catch {
      // The container vanished or the engine went away: what arrived is in the file.
    } finally {
      await file?.close().catch(() => {})
    }
  })()
  return { done, abort: () => controller.abort() }
}

/** Where to resume a recovered container's output: 1 µs after the last message its log file holds (its mtime). */
export async function resumePoint(logPath: string): Promise<string | undefined> {
  try {
    const ns = (await stat(logPath, { bigint: true })).mtimeNs + 1000n
    return `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`
  } catch {
    return undefined
  }
}
