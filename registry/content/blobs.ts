import type { Clock } from '../clock.js'
import { ignoreMissing, PathNotFoundError, type RandomAccessFile, type StorageDriver } from '../storage/driver.js'
import { KeyedMutex } from './locks.js'
import { digestFromBlobDir, paths } from './paths.js'
import { Quarantine, type QuarantinedBlob } from './quarantine.js'

/**
 * The global, content-addressed blob store shared by every repository. Blobs enter only
 * through `adopt` (a verified upload's data moved into place) and `putContent`, and leave
 * through the garbage collector's `delete` or `quarantineBlob` (bytes found corrupted; see
 * `quarantine.ts`). The writes, quarantine and delete of one digest are serialized, and each
 * of them bumps the digest's *generation*: a quarantine decided on bytes read at generation g
 * is dropped if the bytes changed since (a fresh, verified copy landed: a repair racing a
 * detection wins), and a size read across a change is not cached.
 *
 * It also remembers when each blob was last *used* (committed, mounted, referenced by a
 * pushed manifest) on the registry clock: the GC grace period is measured from there. A blob
 * not seen since the registry opened counts as used at open time, so a restart never
 * exposes freshly uploaded blobs to an immediate sweep.
 */
export class BlobStore {
  readonly #sizes = new Map<string, number>()
  readonly #lastUsed = new Map<string, number>()
  readonly #generations = new Map<string, number>()
  readonly #locks = new KeyedMutex()
  readonly quarantine: Quarantine
  readonly openedAt: number

  constructor (private readonly driver: StorageDriver, private readonly clock: Clock) {
    this.openedAt = clock.now()
    this.quarantine = new Quarantine(driver)
  }

  /** Loads the quarantine left by earlier runs. */
  async load (): Promise<void> {
    await this.quarantine.open()
  }

  /** Bumped each time bytes are stored under `digest` (read it before reading the bytes). */
  generation (digest: string): number {
    return this.#generations.get(digest) ?? 0
  }

  /** Size in bytes, or undefined when the blob is not stored. */
  async size (digest: string): Promise<number | undefined> {
    const cached = this.#sizes.get(digest)
    if (cached !== undefined) return cached
    const generation = this.generation(digest)
    try {
      const info = await this.driver.stat(paths.blobData(digest))
      if (this.generation(digest) === generation) this.#sizes.set(digest, info.size)
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
    await this.#locks.run(digest, async () => {
      if (await this.size(digest) === undefined) {
        await this.driver.move(sourcePath, paths.blobData(digest))
        await this.#stored(digest)
      }
      this.#sizes.set(digest, size)
    })
    this.touch(digest)
  }

  /** Stores small content (manifests, image configs) directly. */
  async putContent (digest: string, content: Uint8Array): Promise<void> {
    await this.#locks.run(digest, async () => {
      if (await this.size(digest) === undefined) {
        await this.driver.putContent(paths.blobData(digest), content)
        await this.#stored(digest)
      }
      this.#sizes.set(digest, content.byteLength)
    })
    this.touch(digest)
  }

  /** Verified bytes were just stored under `digest`: a quarantined copy is repaired. */
  async #stored (digest: string): Promise<void> {
    this.#bump(digest)
    await this.quarantine.release(digest, this.clock.now())
  }

  #bump (digest: string): void {
    this.#generations.set(digest, this.generation(digest) + 1)
  }

  /**
   * Moves the blob's bytes into quarantine, unless they changed after `generation` (read
   * before the bytes were): then a repair won the race (undefined is returned) or a concurrent
   * detection quarantined them first (its record is returned).
   */
  async quarantineBlob (record: QuarantinedBlob, generation: number): Promise<QuarantinedBlob | undefined> {
    const { digest } = record
    return this.#locks.run(digest, async () => {
      if (this.generation(digest) !== generation) return this.quarantine.get(digest)
      this.#bump(digest)
      this.#sizes.delete(digest)
      try {
        await this.quarantine.add(record, paths.blobData(digest))
      } catch (err) {
        if (err instanceof PathNotFoundError) return this.quarantine.get(digest) // deleted meanwhile
        throw err
      }
      await ignoreMissing(this.driver.delete(paths.blobDir(digest)))
      return record
    })
  }

  touch (digest: string): void {
    this.#lastUsed.set(digest, this.clock.now())
  }

  lastUsed (digest: string): number {
    return this.#lastUsed.get(digest) ?? this.openedAt
  }

  async delete (digest: string): Promise<void> {
    await this.#locks.run(digest, async () => {
      this.#sizes.delete(digest)
      this.#lastUsed.delete(digest)
      // Bumped, not forgotten: a detection made on the deleted bytes must not hit a later copy.
      this.#bump(digest)
      await ignoreMissing(this.driver.delete(paths.blobDir(digest)))
    })
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
