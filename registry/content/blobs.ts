import type { Clock } from '../clock.js'
import { ignoreMissing, PathNotFoundError, type RandomAccessFile, type StorageDriver } from '../storage/driver.js'
import { digestFromBlobDir, paths } from './paths.js'

/**
 * The global, content-addressed blob store shared by every repository. Blobs enter only
 * through `adopt` (a verified upload's data moved into place) and leave only through the
 * garbage collector's `delete`.
 *
 * It also remembers when each blob was last *used* (committed, mounted, referenced by a
 * pushed manifest) on the registry clock: the GC grace period is measured from there. A blob
 * not seen since the registry opened counts as used at open time, so a restart never
 * exposes freshly uploaded blobs to an immediate sweep.
 */
export class BlobStore {
  readonly #sizes = new Map<string, number>()
  readonly #lastUsed = new Map<string, number>()
  readonly openedAt: number

  constructor (private readonly driver: StorageDriver, private readonly clock: Clock) {
    this.openedAt = clock.now()
  }

  /** Size in bytes, or undefined when the blob is not stored. */
  async size (digest: string): Promise<number | undefined> {
    const cached = this.#sizes.get(digest)
    if (cached !== undefined) return cached
    try {
      const info = await this.driver.stat(paths.blobData(digest))
      this.#sizes.set(digest, info.size)
      return info.size
    } catch (err) {
      if (err instanceof PathNotFoundError) return undefined
      throw err
    }
  }

  open (digest: string): Promise<RandomAccessFile> {
    return this.driver.open(paths.blobData(digest))
  }

  async getContent (digest: string): Promise<Buffer> {
    return this.driver.getContent(paths.blobData(digest))
  }

  /**
   * Moves verified data at `sourcePath` into place as `digest`. When the blob is already
   * stored (two clients pushing it at once, or a re-push) the source is dropped: one copy.
   */
  async adopt (sourcePath: string, digest: string, size: number): Promise<void> {
    if (await this.size(digest) === undefined) {
      await this.driver.move(sourcePath, paths.blobData(digest))
    }
    this.#sizes.set(digest, size)
    this.touch(digest)
  }

  /** Stores small content (manifests, image configs) directly. */
  async putContent (digest: string, content: Uint8Array): Promise<void> {
    if (await this.size(digest) === undefined) await this.driver.putContent(paths.blobData(digest), content)
    this.#sizes.set(digest, content.byteLength)
    this.touch(digest)
  }

  touch (digest: string): void {
    this.#lastUsed.set(digest, this.clock.now())
  }

  lastUsed (digest: string): number {
    return this.#lastUsed.get(digest) ?? this.openedAt
  }

  async delete (digest: string): Promise<void> {
    this.#sizes.delete(digest)
    this.#lastUsed.delete(digest)
    await ignoreMissing(this.driver.delete(paths.blobDir(digest)))
  }

  /** Every stored blob digest. */
  async list (): Promise<string[]> {
    const out: string[] = []
    await ignoreMissing(this.driver.walk(paths.blobsRoot, (info) => {
      if (!info.isDir) return
      const digest = digestFromBlobDir(info.path)
      if (digest !== undefined) { out.push(digest); return 'skip' }
    }))
    return out
  }
}
