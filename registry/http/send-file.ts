import type { Hash } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { RandomAccessFile } from '../storage/driver.js'

/**
 * Streams `length` bytes from `position` of a file into a response with recycled buffers:
 * a small ring of 1 MiB buffers per response, taken from a shared free list, each reused
 * once the socket has taken it. No allocation per chunk, so serving large blobs costs little
 * CPU and no garbage; memory per response is bounded by the ring.
 *
 * With a `ContentCheck`, every byte of the *whole* file is hashed in order while the range is
 * sent, and the last chunk of the range is held back until the hash is complete: it is sent
 * only when the file hashes to the expected digest. Otherwise `ContentMismatchError` is
 * thrown with that chunk unsent, so no response whose bytes are not the blob is ever
 * completed; the caller aborts the connection. A range cannot be verified from its own bytes,
 * so for a range the bytes before it are hashed before its first byte is sent and the bytes
 * after it before its last: a range costs a read of the whole blob (from the page cache, for a
 * blob just served).
 */
const CHUNK = 1 << 20
const RING = 3
const FREE_LIST_LIMIT = 48
const freeList: Buffer[] = []

function take (): Buffer { return freeList.pop() ?? Buffer.allocUnsafe(CHUNK) }
function give (b: Buffer): void { if (freeList.length < FREE_LIST_LIMIT) freeList.push(b) }

export interface ContentCheck {
  /** A fresh hash of the digest's algorithm. */
  readonly hash: Hash
  /** The hex the whole file must hash to. */
  readonly expectedHex: string
  /** Bytes the whole file must have. */
  readonly size: number
}

/** The file is not the blob it should be: its bytes hash to something else, or it is shorter. */
export class ContentMismatchError extends Error {
  constructor (readonly reason: 'digest-mismatch' | 'size-mismatch', readonly actualHex: string | undefined, readonly storedSize: number) {
    super(reason === 'digest-mismatch' ? 'stored bytes do not hash to the digest' : 'stored file is shorter than the blob')
  }
}

export async function sendFile (res: ServerResponse, file: RandomAccessFile, position: number, length: number, check?: ContentCheck): Promise<void> {
  const ring: Buffer[] = []
  const inFlight: Array<Promise<void> | undefined> = []
  const waiting = new Set<() => void>()
  let failed: Error | undefined
  let held: { buffer: Buffer, n: number } | undefined
  const onClose = (): void => {
    if (res.writableFinished) return
    failed ??= new Error('client closed the connection')
    for (const wake of waiting) wake()
  }
  const write = (chunk: Buffer): Promise<void> => new Promise<void>((resolve) => {
    const done = (): void => { waiting.delete(done); resolve() }
    waiting.add(done)
    res.write(chunk, (err) => {
      if (err) failed ??= err
      done()
    })
  })
  res.once('close', onClose)
  try {
    const rangeEnd = position + length
    // Verified: read (and hash) the whole file; the range's chunks are also sent.
    let pos = check === undefined ? position : 0
    const end = check === undefined ? rangeEnd : check.size
    let i = 0
    while (pos < end) {
      if (failed !== undefined) throw failed
      // Chunks never straddle the range's edges, so each is either sent or only hashed.
      const boundary = pos < position ? position : pos < rangeEnd ? rangeEnd : end
      if (ring[i] === undefined) ring[i] = take()
      await inFlight[i]
      const buffer = ring[i]
      const n = await file.read(buffer, Math.min(CHUNK, boundary - pos), pos)
      if (n === 0) {
        if (check !== undefined) throw new ContentMismatchError('size-mismatch', undefined, pos)
        throw new Error(`file ended at ${pos}, before ${end}`)
      }
      const chunk = n === buffer.length ? buffer : buffer.subarray(0, n)
      check?.hash.update(chunk)
      const inRange = pos >= position && pos < rangeEnd
      pos += n
      if (!inRange) continue
      if (check !== undefined && pos === rangeEnd) {
        // The range's last bytes wait for the verdict; the ring slot gets a fresh buffer.
        held = { buffer, n }
        ring[i] = take()
        inFlight[i] = undefined
      } else {
        inFlight[i] = write(chunk)
      }
      i = (i + 1) % RING
    }
    await Promise.all(inFlight)
    if (failed !== undefined) throw failed
    if (check !== undefined) {
      const actualHex = check.hash.digest('hex')
      if (actualHex !== check.expectedHex) throw new ContentMismatchError('digest-mismatch', actualHex, check.size)
      if (held !== undefined) {
        await write(held.n === held.buffer.length ? held.buffer : held.buffer.subarray(0, held.n))
        if (failed !== undefined) throw failed
      }
    }
    await new Promise<void>((resolve) => {
      waiting.add(resolve)
      res.end(() => resolve())
    })
  } catch (err) {
    failed ??= err as Error
    throw err
  } finally {
    res.off('close', onClose)
    await file.close()
    // After any failure a buffer may still be referenced by a pending write: drop them all.
    if (failed === undefined) {
      for (const b of ring) give(b)
      if (held !== undefined) give(held.buffer)
    }
  }
}
