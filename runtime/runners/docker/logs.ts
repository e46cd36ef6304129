// Container output, from the engine into the container's log file as it is
// written. A container without a TTY streams multiplexed frames — an 8-byte
// header (stream: 1 stdout, 2 stderr; three zero bytes; a big-endian uint32
// payload length) then the payload — which `Demultiplexer` splits back into
// stdout and stderr chunks, whatever way the bytes were cut in transit.
//
// `pumpLogs` follows GET /containers/{id}/logs from the start (the engine's
// json-file log keeps everything a container wrote, so starting to follow
// after POST /start loses nothing) and appends every chunk to the log file;
// the stream ends when the container has stopped and its output is drained.
import { createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { once } from 'node:events'
import { Transform, type TransformCallback } from 'node:stream'
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

/** A Transform from a multiplexed stream to its payloads (stdout and stderr interleaved, as written). */
export function demultiplexed(): Transform {
  let out: Transform
  const demux = new Demultiplexer((_stream, payload) => out.push(payload))
  out = new Transform({
    transform(chunk: Buffer, _encoding: string, callback: TransformCallback) {
      demux.push(chunk)
      callback()
    }
  })
  return out
}

export interface LogPump {
  /** Resolves once everything the container wrote is in the file (or the stream broke off). */
  done: Promise<void>
  /** Breaks off following (a container whose stream does not end). */
  abort(): void
}

/**
 * Appends a container's output to `logPath` as the engine streams it. `since`
 * (seconds since the epoch, fractions allowed) skips what is older: a recovered
 * container's output that an earlier runner already wrote.
 */
export function pumpLogs(client: DockerClient, containerId: string, logPath: string, since?: number): LogPump {
  const controller = new AbortController()
  const done = (async () => {
    const file = createWriteStream(logPath, { flags: 'a' })
    const opened = once(file, 'open')
    try {
      await opened
      const body = await client.stream('GET', `/containers/${containerId}/logs`, {
        query: { follow: true, stdout: true, stderr: true, since: since === undefined ? undefined : since.toFixed(9) },
        noTimeout: true,
        signal: controller.signal
      })
      const demux = new Demultiplexer((_stream, payload) => {
        file.write(payload)
      })
      for await (const chunk of body) {
        demux.push(chunk as Buffer)
        // Backpressure: a slow disk holds the engine's stream, never our memory.
        if (file.writableNeedDrain) await once(file, 'drain')
      }
    } catch {
      // The container vanished or the engine went away: what arrived is in the file.
    } finally {
      file.end()
      await once(file, 'close').catch(() => {})
    }
  })()
  return { done, abort: () => controller.abort() }
}

/** When the log file was last written (seconds since the epoch), to resume a recovered container's output. */
export async function lastWritten(logPath: string): Promise<number | undefined> {
  try {
    const info = await stat(logPath, { bigint: true })
    return Number(info.mtimeNs / 1000n) / 1e6
  } catch {
    return undefined
  }
}
