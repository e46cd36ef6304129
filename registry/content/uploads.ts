import { randomUUID, type Hash } from 'node:crypto'
import type { Clock } from '../clock.js'
import { newHash, parseDigest } from '../digest.js'
import { ociError } from '../errors.js'
import { listOrEmpty, PathNotFoundError, type StorageDriver } from '../storage/driver.js'
import type { BlobStore } from './blobs.js'
import { Mutex } from './locks.js'
import { paths } from './paths.js'

/**
 * Blob upload sessions.
 *
 * Bytes are appended to `/uploads/<uuid>/data` as they arrive and hashed on the way (sha256,
 * the digest clients almost always use), so completing an upload needs no second read.
 * Nothing is buffered whole. A session's state on disk is its data file plus
 * `info.json` (repository, start time on the registry clock): after a restart a session
 * is found again from there, resumes from its current size (its `Range`), and its hash is
 * rebuilt from the stored bytes the first time it is needed.
 */
export interface UploadInfo {
  readonly uuid: string
  readonly repositoryName: string
  /** Registry-clock ms. */
  readonly startedAt: number
}

export class UploadSession implements UploadInfo {
  /** Bytes received so far. */
  size = 0
  /** sha256 over bytes [0, size), when it has been kept in step with the data file. */
  hash: Hash | undefined
  /** Registry-clock ms of the last bytes received (in this process). */
  lastActivity: number
  /**
   * Set once the session is completed, cancelled or purged. A request that found the
   * session before that and waited for its lock must not append to it or commit it: its
   * files are gone, so a write would recreate them as debris and a commit would store bytes
   * that do not match the verified hash.
   */
  ended = false
  readonly lock = new Mutex()
  constructor (readonly uuid: string, readonly repositoryName: string, readonly startedAt: number) {
    this.lastActivity = startedAt
  }
}

export interface UploadLimits {
  /** Most sessions open at once; past it, starting one fails with TOOMANYREQUESTS. */
  maxSessions: number
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function unknownUpload (uuid: string): Error {
  return ociError('BLOB_UPLOAD_UNKNOWN', `upload ${uuid.slice(0, 64)} is unknown`, { detail: { uuid: uuid.slice(0, 64) } })
}

/** BLOB_UPLOAD_UNKNOWN for a session that ended while the caller waited for its lock. */
function checkLive (session: UploadSession): void {
  if (session.ended) throw unknownUpload(session.uuid)
}

export class Uploads {
  readonly #sessions = new Map<string, UploadSession>()
  #count: number | undefined

  constructor (
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
    private readonly clock: Clock,
    private readonly limits: UploadLimits
  ) {}

  async #sessionCount (): Promise<number> {
    if (this.#count === undefined) {
      try { this.#count = (await this.driver.list(paths.uploadsRoot)).length } catch { this.#count = 0 }
    }
    return this.#count
  }

  async start (repositoryName: string): Promise<UploadSession> {
    if (await this.#sessionCount() >= this.limits.maxSessions) {
      throw ociError('TOOMANYREQUESTS', `too many uploads in progress (limit: ${this.limits.maxSessions})`)
    }
    const session = new UploadSession(randomUUID(), repositoryName, this.clock.now())
    session.hash = newHash('sha256')
    // Session bookkeeping is not fsynced: a session lost in a machine crash is an upload the
    // client starts again; only committed blobs must survive one (see `complete`).
    const notDurable = { durable: false }
    await this.driver.putContent(paths.uploadInfo(session.uuid), JSON.stringify({
      repositoryName, startedAt: session.startedAt
    }), notDurable)
    await this.driver.putContent(paths.uploadData(session.uuid), '', notDurable)
    this.#sessions.set(session.uuid, session)
    this.#count = (this.#count ?? 0) + 1
    return session
  }

  /** Finds a session of `repositoryName`, in memory or (after a restart) in storage. */
  async get (repositoryName: string, uuid: string): Promise<UploadSession> {
    if (!UUID.test(uuid)) throw unknownUpload(uuid)
    let session = this.#sessions.get(uuid)
    if (session === undefined) {
      let info: { repositoryName: string, startedAt: number }
      let size: number
      try {
        info = JSON.parse((await this.driver.getContent(paths.uploadInfo(uuid))).toString('utf8'))
        size = (await this.driver.stat(paths.uploadData(uuid))).size
      } catch (err) {
        if (err instanceof PathNotFoundError || err instanceof SyntaxError) throw unknownUpload(uuid)
        throw err
      }
      session = this.#sessions.get(uuid) ?? new UploadSession(uuid, info.repositoryName, info.startedAt)
      if (!this.#sessions.has(uuid)) session.size = size
      this.#sessions.set(uuid, session)
    }
    if (session.repositoryName !== repositoryName) throw unknownUpload(uuid)
    return session
  }

  /**
   * Appends `source` to the session. The caller holds `session.lock`. On a broken source
   * (client gone) the bytes that arrived stay: the client resumes from the new `Range`.
   * `maxBytes` bounds the chunk (its declared length); more is BLOB_UPLOAD_INVALID.
   */
  async append (session: UploadSession, source: AsyncIterable<Uint8Array>, maxBytes = Number.POSITIVE_INFINITY): Promise<number> {
    checkLive(session)
    await this.#ensureHash(session)
    const writer = await this.driver.writer(paths.uploadData(session.uuid), true)
    const hash = session.hash!
    let received = 0
    let failure: unknown
    try {
      for await (const chunk of source) {
        received += chunk.byteLength
        if (received > maxBytes) throw ociError('SIZE_INVALID', `chunk is longer than its declared ${maxBytes} bytes`)
        hash.update(chunk)
        await writer.write(chunk)
        session.lastActivity = this.clock.now()
      }
    } catch (err) {
      failure = err
    }
    try {
      await writer.close()
      session.size = writer.size
    } catch (err) {
      // The file may not hold what was hashed: rebuild both from storage next time.
      session.hash = undefined
      session.size = (await this.driver.stat(paths.uploadData(session.uuid))).size
      failure ??= err
    }
    if (failure !== undefined) throw failure
    return received
  }

  async #ensureHash (session: UploadSession): Promise<void> {
    if (session.hash !== undefined) return
    const hash = newHash('sha256')
    let size = 0
    for await (const chunk of await this.driver.reader(paths.uploadData(session.uuid))) {
      hash.update(chunk as Buffer)
      size += (chunk as Buffer).length
    }
    session.hash = hash
    session.size = size
  }

  /**
   * Verifies the session's bytes against `digest` and moves them into the blob store
   * (fsync, then an atomic rename). A mismatch cancels the upload and throws DIGEST_INVALID.
   */
  async complete (session: UploadSession, digest: string): Promise<{ digest: string, size: number }> {
    const { algorithm } = parseDigest(digest)
    checkLive(session)
    let actual: string
    if (algorithm === 'sha256') {
      await this.#ensureHash(session)
      actual = `sha256:${session.hash!.copy().digest('hex')}`
    } else {
      const hash = newHash(algorithm)
      for await (const chunk of await this.driver.reader(paths.uploadData(session.uuid))) hash.update(chunk as Buffer)
      actual = `${algorithm}:${hash.digest('hex')}`
    }
    if (actual !== digest) {
      await this.cancel(session)
      throw ociError('DIGEST_INVALID', 'provided digest did not match uploaded content', { detail: { expected: digest, actual } })
    }
    const size = session.size
    await this.blobs.adopt(paths.uploadData(session.uuid), digest, size)
    await this.#forget(session.uuid)
    return { digest, size }
  }

  /** Ends the session and deletes its files. The caller holds `session.lock`. */
  async cancel (session: UploadSession): Promise<void> {
    checkLive(session)
    await this.#forget(session.uuid)
  }

  async #forget (uuid: string): Promise<void> {
    const session = this.#sessions.get(uuid)
    if (session !== undefined) session.ended = true
    this.#sessions.delete(uuid)
    try {
      await this.driver.delete(paths.uploadDir(uuid))
    } catch (err) {
      if (err instanceof PathNotFoundError) return // already gone: counted already
      throw err
    }
    if (this.#count !== undefined) this.#count = Math.max(0, this.#count - 1)
  }

  /** Sessions (in storage) in progress, with their start times. */
  async list (): Promise<UploadInfo[]> {
    const out: UploadInfo[] = []
    for (const dir of await listOrEmpty(this.driver, paths.uploadsRoot)) {
      const uuid = dir.slice(dir.lastIndexOf('/') + 1)
      try {
        const info = JSON.parse((await this.driver.getContent(paths.uploadInfo(uuid))).toString('utf8'))
        out.push({ uuid, repositoryName: info.repositoryName, startedAt: info.startedAt })
      } catch {
        // A directory without readable info is debris of a crash at creation: purge it.
        out.push({ uuid, repositoryName: '', startedAt: 0 })
      }
    }
    return out
  }

  /**
   * Deletes sessions idle for more than `maxAgeMs` (registry clock): started that long ago and
   * no bytes received since. Returns how many.
   */
  async purgeStale (maxAgeMs: number): Promise<number> {
    const now = this.clock.now()
    let purged = 0
    for (const info of await this.list()) {
      const live = this.#sessions.get(info.uuid)
      if (now - Math.max(info.startedAt, live?.lastActivity ?? 0) <= maxAgeMs) continue
      if (live !== undefined) {
        await live.lock.run(() => this.#forget(info.uuid))
      } else {
        await this.#forget(info.uuid)
      }
      purged++
    }
    return purged
  }
}
