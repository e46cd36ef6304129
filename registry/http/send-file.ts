import type { ServerResponse } from 'node:http'
import type { RandomAccessFile } from '../storage/driver.js'

/**
 * Streams `length` bytes from `position` of a file into a response with recycled buffers:
 * a small ring of 1 MiB buffers per response, taken from a shared free list, each reused
 * once the socket has taken it. No allocation per chunk, so serving large blobs costs little
 * CPU and no garbage; memory per response is bounded by the ring.
 */
const CHUNK = 1 << 20
const RING = 3
const FREE_LIST_LIMIT = 48
const freeList: Buffer[] = []

function take (): Buffer { return freeList.pop() ?? Buffer.allocUnsafe(CHUNK) }
function give (b: Buffer): void { if (freeList.length < FREE_LIST_LIMIT) freeList.push(b) }

export async function sendFile (res: ServerResponse, file: RandomAccessFile, position: number, length: number): Promise<void> {
  const ring: Buffer[] = []
  const inFlight: Array<Promise<void> | undefined> = []
  const waiting = new Set<() => void>()
  let failed: Error | undefined
  const onClose = (): void => {
    if (res.writableFinished) return
    failed ??= new Error('client closed the connection')
    for (const wake of waiting) wake()
  }
  res.once('close', onClose)
  try {
    let pos = position
    const end = position + length
    let i = 0
    while (pos < end) {
      if (failed !== undefined) throw failed
      if (ring[i] === undefined) ring[i] = take()
      await inFlight[i]
      const buffer = ring[i]
      const n = await file.read(buffer, Math.min(CHUNK, end - pos), pos)
      if (n === 0) throw new Error(`file ended at ${pos}, before ${end}`)
      pos += n
      inFlight[i] = new Promise<void>((resolve) => {
        const done = (): void => { waiting.delete(done); resolve() }
        waiting.add(done)
        res.write(n === buffer.length ? buffer : buffer.subarray(0, n), (err) => {
          if (err) failed ??= err
          done()
        })
      })
      i = (i + 1) % RING
    }
    await Promise.all(inFlight)
    if (failed !== undefined) throw failed
    await new Promise<void>((resolve) => {
      waiting.add(resolve)
      res.end(() => resolve())
    })
  } finally {
    res.off('close', onClose)
    await file.close()
    // A buffer whose write never completed may still be referenced by the socket: drop it.
    if (failed === undefined) for (const b of ring) give(b)
  }
}
