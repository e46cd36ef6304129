// The chunked transfer coding (RFC 9112 §7.1), scanned rather than decoded:
// a proxy forwards the chunks' bytes as they are and only needs to know where
// the message ends — and to refuse a malformed one, whose end another parser
// might place elsewhere. The payload ranges are reported to `onData` for the
// one case that must decode (a chunked answer to an HTTP/1.0 client).

const SIZE = 0
const EXT = 1
const SIZE_LF = 2
const DATA = 3
const DATA_CR = 4
const DATA_LF = 5
const TRAILER_START = 6
const TRAILER = 7
const TRAILER_LF = 8
const FINAL_LF = 9
const DONE = 10

/** scan()'s answers besides an offset. */
export const NEED_MORE = -1
export const MALFORMED = -2

/** Chunk sizes above 2^52 bytes cannot be counted exactly, and are refused. */
const MAX_SIZE = 2 ** 52

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

export class ChunkedScanner {
  #state = SIZE
  #size = 0
  #digits = 0
  /** Bytes of the current chunk-ext or trailer section (bounded: no endless lines). */
  #lineBytes = 0
  readonly #maxLineBytes: number

  constructor(maxLineBytes: number) {
    this.#maxLineBytes = maxLineBytes
  }

  get done(): boolean {
    return this.#state === DONE
  }

  /**
   * Scans buf[start, end): the offset just past the message's last byte when
   * it ends in this range, NEED_MORE when it does not, MALFORMED when the
   * coding is broken (the connection must be closed).
   */
  scan(buf: Buffer, start: number, end: number, onData?: (buf: Buffer, from: number, to: number) => void): number {
    let i = start
    while (i < end) {
      switch (this.#state) {
        case DATA: {
          const n = Math.min(this.#size, end - i)
          if (onData !== undefined) onData(buf, i, i + n)
          i += n
          this.#size -= n
          if (this.#size === 0) this.#state = DATA_CR
          continue
        }
        case SIZE: {
          const c = buf[i]!
          const v = hex(c)
          if (v >= 0) {
            this.#size = this.#size * 16 + v
            if (++this.#digits > 13 || this.#size > MAX_SIZE) return MALFORMED
          } else if (this.#digits === 0) {
            return MALFORMED
          } else if (c === 13) {
            this.#state = SIZE_LF
          } else if (c === 59 || c === 32 || c === 9) {
            this.#state = EXT
            this.#lineBytes = 0
          } else {
            return MALFORMED
          }
          break
        }
        case EXT: {
          const c = buf[i]!
          if (c === 13) this.#state = SIZE_LF
          else if ((c < 32 && c !== 9) || c === 127 || ++this.#lineBytes > this.#maxLineBytes) return MALFORMED
          break
        }
        case SIZE_LF:
          if (buf[i] !== 10) return MALFORMED
          this.#digits = 0
          this.#state = this.#size === 0 ? TRAILER_START : DATA
          this.#lineBytes = 0
          break
        case DATA_CR:
          if (buf[i] !== 13) return MALFORMED
          this.#state = DATA_LF
          break
        case DATA_LF:
          if (buf[i] !== 10) return MALFORMED
          this.#state = SIZE
          break
        case TRAILER_START:
          if (buf[i] === 13) this.#state = FINAL_LF
          else if (buf[i] === 10) return MALFORMED
          else {
            this.#state = TRAILER
            if (++this.#lineBytes > this.#maxLineBytes) return MALFORMED
          }
          break
        case TRAILER: {
          const c = buf[i]!
          if (c === 13) this.#state = TRAILER_LF
          else if (c === 10 || ++this.#lineBytes > this.#maxLineBytes) return MALFORMED
          break
        }
        case TRAILER_LF:
          if (buf[i] !== 10) return MALFORMED
          this.#state = TRAILER_START
          break
        case FINAL_LF:
          if (buf[i] !== 10) return MALFORMED
          this.#state = DONE
          return i + 1
        case DONE:
          return i
      }
      i++
    }
    return NEED_MORE
  }
}
