import { newHash, parseDigest } from '../digest.js'
import { PathNotFoundError } from '../storage/driver.js'
import type { Distribution } from './distribution.js'

/**
 * The scrub: reads every stored blob, hashes it and compares with its digest; a blob whose
 * bytes do not match is quarantined (see `quarantine.ts`), so it is no longer served and a push repairs it.
 *
 * Serving already verifies every blob it sends, so the scrub is for blobs nobody pulls: it
 * finds their corruption before a client does. It takes no lock: blobs are immutable, one
 * deleted while it is read (GC) is skipped, and one stored again while it is read (a repair)
 * is not quarantined (the generation check in `BlobStore.quarantineBlob`). One blob is read
 * at a time, through one 1 MiB buffer.
 */
export interface ScrubReport {
  /** Blobs read whole and hashed. */
  readonly blobsChecked: number
  readonly bytesChecked: number
  /** Digests this scrub found corrupted (now quarantined), sorted. */
  readonly blobsCorrupted: readonly string[]
  /** Every digest in quarantine after the scrub (found now or earlier, not repaired yet), sorted. */
  readonly blobsQuarantined: readonly string[]
  /** Registry-clock ms. */
  readonly startedAt: number
  readonly finishedAt: number
}

export interface ScrubOptions {
  /** Checked between blobs: true stops the scrub early (the registry is closing). */
  readonly stopped?: () => boolean
}

const CHUNK = 1 << 20

export async function scrub (d: Distribution, options: ScrubOptions = {}): Promise<ScrubReport> {
  const startedAt = d.clock.now()
  const buffer = Buffer.allocUnsafe(CHUNK)
  const corrupted: string[] = []
  let blobsChecked = 0
  let bytesChecked = 0
  for (const digest of await d.blobs.list()) {
    if (options.stopped?.() === true) break
    const generation = d.blobs.generation(digest)
    let file
    try {
      file = await d.blobs.open(digest)
    } catch (err) {
      if (err instanceof PathNotFoundError) continue // deleted since the listing
      throw err
    }
    const { algorithm } = parseDigest(digest)
    const hash = newHash(algorithm)
    let size = 0
    try {
      for (;;) {
        const n = await file.read(buffer, CHUNK, size)
        if (n === 0) break
        hash.update(n === CHUNK ? buffer : buffer.subarray(0, n))
        size += n
      }
    } finally {
      await file.close()
    }
    blobsChecked++
    bytesChecked += size
    const actualDigest = `${algorithm}:${hash.digest('hex')}`
    if (actualDigest === digest) continue
    const record = await d.quarantineBlob(digest, { reason: 'digest-mismatch', actualDigest, storedSize: size, detectedBy: 'scrub' }, generation)
    if (record !== undefined) corrupted.push(digest)
  }
  return {
    blobsChecked,
    bytesChecked,
    blobsCorrupted: corrupted.sort(),
    blobsQuarantined: d.blobs.quarantine.list().map((q) => q.digest),
    startedAt,
    finishedAt: d.clock.now()
  }
}
