import { channel } from 'node:diagnostics_channel'
import { ignoreMissing, PathNotFoundError, type StorageDriver } from '../storage/driver.js'
import { digestFromQuarantineDir, paths } from './paths.js'

/**
 * Blobs whose stored bytes no longer hash to their digest.
 *
 * A blob found corrupted (while it was being served, by a scrub, or when the registry read
 * it itself) is moved out of `blobs/` into `quarantine/<algorithm>/<xx>/<hex>/` with an
 * `info.json` saying what was found. From then on the blob is absent: every repository that
 * links it answers BLOB_UNKNOWN (404), as distribution does for a blob it does not have, and
 * a push of the same digest stores verified bytes again (the repair), which drops the
 * quarantined copy. The bytes are kept for whoever wants to look at them until then (or
 * until the garbage collector finds nothing references the digest any more).
 *
 * Published when a blob is quarantined: `stratus:registry:blob-corrupt` with the
 * `QuarantinedBlob` record; when a push repairs it: `stratus:registry:blob-repaired` with
 * `{ digest, repairedAt }`.
 */
export const corruptChannel = channel('stratus:registry:blob-corrupt')
export const repairedChannel = channel('stratus:registry:blob-repaired')

/** Who found the corruption. */
export type CorruptionDetector = 'serve' | 'scrub' | 'read'

export interface CorruptionFinding {
  /** `digest-mismatch`: the bytes hash to something else; `size-mismatch`: the file is not the length stored. */
  readonly reason: 'digest-mismatch' | 'size-mismatch'
  /** What the stored bytes hash to, when they were read whole. */
  readonly actualDigest?: string
  /** Bytes in the stored file when it was found. */
  readonly storedSize: number
  readonly detectedBy: CorruptionDetector
}

export interface QuarantinedBlob extends CorruptionFinding {
  readonly digest: string
  /** Registry-clock ms. */
  readonly detectedAt: number
  /** Repositories that linked the blob (as a layer, config or manifest) when it was found. */
  readonly repositories: readonly string[]
}

export class Quarantine {
  readonly #records = new Map<string, QuarantinedBlob>()

  constructor (private readonly driver: StorageDriver) {}

  /** Loads the records left by earlier runs (a directory without readable info still counts). */
  async open (): Promise<void> {
    await ignoreMissing(this.driver.walk(paths.quarantineRoot, async (info) => {
      if (!info.isDir) return
      const digest = digestFromQuarantineDir(info.path)
      if (digest === undefined) return
      let record: QuarantinedBlob
      try {
        record = JSON.parse((await this.driver.getContent(paths.quarantineInfo(digest))).toString('utf8')) as QuarantinedBlob
      } catch (err) {
        if (!(err instanceof PathNotFoundError) && !(err instanceof SyntaxError)) throw err
        record = { digest, reason: 'digest-mismatch', storedSize: info.size, detectedBy: 'scrub', detectedAt: info.modTime, repositories: [] }
      }
      this.#records.set(digest, { ...record, digest })
      return 'skip'
    }))
  }

  has (digest: string): boolean { return this.#records.has(digest) }

  get (digest: string): QuarantinedBlob | undefined { return this.#records.get(digest) }

  /** Every quarantined blob, by digest. */
  list (): QuarantinedBlob[] {
    return [...this.#records.values()].sort((a, b) => (a.digest < b.digest ? -1 : 1))
  }

  /**
   * Moves the stored bytes at `blobDataPath` into quarantine and records why. The caller
   * holds the blob's lock and removes what is left of the blob's directory.
   */
  async add (record: QuarantinedBlob, blobDataPath: string): Promise<void> {
    await this.driver.move(blobDataPath, paths.quarantineData(record.digest))
    await this.driver.putContent(paths.quarantineInfo(record.digest), JSON.stringify(record))
    this.#records.set(record.digest, record)
    if (corruptChannel.hasSubscribers) corruptChannel.publish(record)
  }

  /** Drops the quarantined copy: the blob was stored again (`repaired`) or nothing needs it. */
  async release (digest: string, repairedAt?: number): Promise<void> {
    if (!this.#records.has(digest)) return
    await ignoreMissing(this.driver.delete(paths.quarantineDir(digest)))
    this.#records.delete(digest)
    if (repairedAt !== undefined && repairedChannel.hasSubscribers) repairedChannel.publish({ digest, repairedAt })
  }
}
