import { channel } from 'node:diagnostics_channel'
import type { Clock } from '../clock.js'
import { digestOf, parseDigest } from '../digest.js'
import { ociError, RegistryError } from '../errors.js'
import { PathNotFoundError, type RandomAccessFile, type StorageDriver } from '../storage/driver.js'
import { BlobStore } from './blobs.js'
import type { CorruptionFinding, QuarantinedBlob } from './quarantine.js'
import { SharedLock } from './locks.js'
import { ByteLru } from './lru.js'
import { parseManifest, referencedBlobs, type ParsedManifest } from './manifest.js'
import type { ManifestRecord, RepositoryMeta, RepositoryState } from './repository.js'
import { Repositories } from './repositories.js'
import type { RepositorySettingsStore } from '../settings/settings-store.js'
import { Uploads, type UploadSession } from './uploads.js'

/**
 * Published on every manifest push: `{ repositoryName, imageDigest, imageTag?, mediaType }`
 * (what ECR reports as an image PUSH action).
 */
export const pushChannel = channel('stratus:registry:push')

export interface DistributionOptions {
  driver: StorageDriver
  clock: Clock
  /** Push to a missing repository creates it (default) or fails with NAME_UNKNOWN. */
  createRepositoryOnPush: boolean
  maxUploadSessions: number
  manifestCacheBytes: number
}

export interface StoredManifest {
  readonly record: ManifestRecord
  readonly body: Buffer
}

/**
 * The content operations behind the /v2/ API, shared by the HTTP handlers, the ECR-style
 * API and the image builder: repositories, blobs linked into them, uploads, manifests, tags,
 * referrers. Everything here takes already-validated names; digests are validated here.
 *
 * Pushes (blob commits, mounts, manifest PUTs) hold `gcLock` shared; the garbage collector
 * holds it exclusive.
 */
export class Distribution {
  readonly clock: Clock
  readonly blobs: BlobStore
  readonly uploads: Uploads
  readonly repositories: Repositories
  readonly gcLock = new SharedLock()
  readonly #manifestCache: ByteLru<string>
  readonly #createOnPush: boolean

  constructor (options: DistributionOptions) {
    this.clock = options.clock
    this.blobs = new BlobStore(options.driver, options.clock)
    this.uploads = new Uploads(options.driver, this.blobs, options.clock, { maxSessions: options.maxUploadSessions })
    this.repositories = new Repositories(options.driver)
    this.#manifestCache = new ByteLru(options.manifestCacheBytes)
    this.#createOnPush = options.createRepositoryOnPush
  }

  /** Loads repository settings (from `settings`) and the blob index. */
  async open (settings: RepositorySettingsStore): Promise<void> {
    await this.repositories.open(settings)
    await this.blobs.load()
  }

  // --- repositories ---------------------------------------------------------------------

  /** The repository, or NAME_UNKNOWN. */
  async repository (name: string): Promise<RepositoryState> {
    const state = this.repositories.get(name)
    if (state === undefined) {
      throw ociError('NAME_UNKNOWN', `repository ${name} is not known to the registry`, { detail: { name } })
    }
    return state
  }

  /** The repository a push goes to: created on first push unless the registry refuses. */
  async repositoryForPush (name: string): Promise<RepositoryState> {
    const existing = this.repositories.get(name)
    if (existing !== undefined) return existing
    this.checkPushTarget(name)
    return this.createRepository({ repositoryName: name }, true)
  }

  /**
   * NAME_UNKNOWN when a push to `name` could not land (no such repository, and the registry
   * does not create them on push); checked before a push reads its body.
   */
  checkPushTarget (name: string): void {
    if (!this.#createOnPush && !this.repositories.has(name)) {
      throw ociError('NAME_UNKNOWN', `repository ${name} does not exist and this registry does not create repositories on push`, { detail: { name } })
    }
  }

  async createRepository (settings: Partial<RepositoryMeta> & { repositoryName: string }, okIfExists = false): Promise<RepositoryState> {
    return this.repositories.lock.run(async () => {
      const existing = this.repositories.get(settings.repositoryName)
      if (existing !== undefined) {
        if (okIfExists) return existing
        throw new RegistryError('RepositoryAlreadyExistsException', `The repository with name '${settings.repositoryName}' already exists`, {
          kind: 'Conflict', field: 'repositoryName'
        })
      }
      return this.repositories.create({
        createdAt: this.clock.now(),
        imageTagMutability: 'MUTABLE',
        scanOnPush: false,
        allowAnonymousPull: false,
        ...settings
      })
    })
  }

  // --- blobs ------------------------------------------------------------------------------

  /** Size of `digest` if it is linked into the repository and stored, else undefined. */
  async blobSize (state: RepositoryState, digest: string): Promise<number | undefined> {
    const size = await this.#linkedSize(state, digest)
    if (size === undefined && state.layers.has(digest)) {
      // A link without bytes: forget it so the blob can be pushed (and stored) again.
      await state.lock.run(() => state.unlinkBlob(digest))
    }
    return size
  }

  /** `blobSize` without the repair, for callers already holding the repository lock. */
  async #linkedSize (state: RepositoryState, digest: string): Promise<number | undefined> {
    parseDigest(digest)
    if (!state.layers.has(digest) && !state.manifests.has(digest)) return undefined
    return this.blobs.size(digest)
  }

  /**
   * Opens a blob's bytes for serving, with the generation to hand to `quarantineBlob` if they
   * turn out corrupted; BLOB_UNKNOWN when the blob went away since its size was read.
   */
  async openBlobFile (digest: string): Promise<{ file: RandomAccessFile, generation: number }> {
    const generation = this.blobs.generation(digest)
    try {
      return { file: await this.blobs.open(digest), generation }
    } catch (err) {
      if (err instanceof PathNotFoundError) throw ociError('BLOB_UNKNOWN', `blob ${digest} is not stored`, { detail: { digest } })
      throw err
    }
  }

  /**
   * Takes a blob found corrupted out of service (see `quarantine.ts`): every repository then
   * answers BLOB_UNKNOWN for it until a push stores verified bytes again. `generation` is the
   * one read before the corrupted bytes were. Returns the record (undefined: a repair won).
   */
  async quarantineBlob (digest: string, finding: CorruptionFinding, generation: number): Promise<QuarantinedBlob | undefined> {
    const repositories: string[] = []
    for (const name of this.repositories.names()) {
      const state = await this.repositories.get(name)
      if (state !== undefined && (state.layers.has(digest) || state.manifests.has(digest))) repositories.push(name)
    }
    this.#manifestCache.delete(digest)
    return this.blobs.quarantineBlob({ ...finding, digest, detectedAt: this.clock.now(), repositories }, generation)
  }

  /**
   * Small blob content (a manifest, an image config) read whole and checked against its
   * digest; corrupted bytes are quarantined. `unknown` is the error for a missing or corrupted blob.
   */
  async verifiedContent (digest: string, unknown: () => RegistryError): Promise<Buffer> {
    const generation = this.blobs.generation(digest)
    let body: Buffer
    try {
      body = await this.blobs.getContent(digest)
    } catch (err) {
      if (err instanceof PathNotFoundError) throw unknown()
      throw err
    }
    const actual = digestOf(body, parseDigest(digest).algorithm)
    if (actual !== digest) {
      await this.quarantineBlob(digest, { reason: 'digest-mismatch', actualDigest: actual, storedSize: body.length, detectedBy: 'read' }, generation)
      throw unknown()
    }
    return body
  }

  /** Unlinks a blob from the repository (the bytes go at the next GC if nothing uses them). */
  async deleteBlob (state: RepositoryState, digest: string): Promise<void> {
    if (await this.blobSize(state, digest) === undefined) {
      throw ociError('BLOB_UNKNOWN', `blob ${digest} is not in repository ${state.name}`, { detail: { digest } })
    }
    await state.lock.run(() => state.unlinkBlob(digest))
  }

  /**
   * Cross-repository mount: links `digest` into `target` when `from` (or, without `from`,
   * any repository) holds it. Returns false when it cannot, so the caller falls back to an upload.
   */
  async mountBlob (target: RepositoryState, from: string | undefined, digest: string): Promise<boolean> {
    parseDigest(digest)
    return this.gcLock.shared(async () => {
      if (from !== undefined) {
        const source = this.repositories.get(from)
        if (source === undefined) return false
        if (await this.blobSize(await source, digest) === undefined) return false
      } else if (await this.blobs.size(digest) === undefined) {
        return false
      }
      this.blobs.touch(digest)
      await target.lock.run(() => target.linkBlob(digest))
      return true
    })
  }

  /** Links an already-stored blob (the image builder's base layers). */
  async linkStoredBlob (target: RepositoryState, digest: string): Promise<void> {
    await this.gcLock.shared(async () => {
      if (await this.blobs.size(digest) === undefined) throw ociError('BLOB_UNKNOWN', `blob ${digest} is not stored`)
      this.blobs.touch(digest)
      await target.lock.run(() => target.linkBlob(digest))
    })
  }

  /** Stores small content (an image config) as a blob linked into the repository. */
  async putBlobContent (target: RepositoryState, content: Buffer): Promise<string> {
    const digest = digestOf(content)
    await this.gcLock.shared(async () => {
      await this.blobs.putContent(digest, content)
      await target.lock.run(() => target.linkBlob(digest))
    })
    return digest
  }

  // --- uploads ----------------------------------------------------------------------------

  /**
   * Verifies and commits an upload, then links the blob into the repository. Given a name,
   * the repository is created on push only once the bytes verified.
   */
  async completeUpload (target: RepositoryState | string, session: UploadSession, digest: string): Promise<{ digest: string, size: number }> {
    parseDigest(digest)
    return this.gcLock.shared(async () => {
      const result = await this.uploads.complete(session, digest)
      const state = typeof target === 'string' ? await this.repositoryForPush(target) : target
      await state.lock.run(() => state.linkBlob(digest))
      return result
    })
  }

  // --- manifests --------------------------------------------------------------------------

  /**
   * Stores a manifest under a tag or a digest reference. Every blob (and, for an index,
   * every child manifest) must already be in the repository: each missing one is reported
   * as its own MANIFEST_BLOB_UNKNOWN. Given a name, a missing repository is created on push
   * only for a manifest that can be stored there. Returns the record stored.
   */
  async putManifest (target: RepositoryState | string, reference: string, body: Buffer, contentType: string | undefined): Promise<ManifestRecord> {
    const byDigest = reference.includes(':')
    const algorithm = byDigest ? parseDigest(reference, 'reference').algorithm : 'sha256'
    const parsed = parseManifest(body, contentType)
    const digest = digestOf(body, algorithm)
    if (byDigest && digest !== reference) {
      throw ociError('DIGEST_INVALID', 'manifest digest does not match the reference', { detail: { reference, actual: digest } })
    }
    let state: RepositoryState
    if (typeof target !== 'string') {
      state = target
    } else {
      const existing = this.repositories.get(target)
      // A new repository holds nothing the manifest could reference yet.
      if (existing === undefined) await this.#checkReferences(undefined, target, parsed)
      state = await (existing ?? this.repositoryForPush(target))
    }
    return this.gcLock.shared(() => state.lock.run(async () => {
      if (state.deleted) throw ociError('NAME_UNKNOWN', `repository ${state.name} was deleted`)
      await this.#checkReferences(state, state.name, parsed)
      if (!byDigest && state.meta.imageTagMutability === 'IMMUTABLE') {
        const current = state.tags.get(reference)
        if (current !== undefined && current !== digest) {
          throw new RegistryError('ImageTagAlreadyExistsException',
            `The image tag '${reference}' already exists in the '${state.name}' repository and cannot be overwritten because the tag is immutable.`,
            { kind: 'Conflict', field: 'imageTag', detail: { tag: reference, digest: current } })
        }
      }
      await this.blobs.putContent(digest, body)
      this.#manifestCache.set(digest, body)
      let record = state.manifests.get(digest)
      if (record === undefined) {
        record = this.#record(state, parsed, digest, body.length)
        await state.putManifest(record)
      }
      for (const d of record.blobs) this.blobs.touch(d)
      if (!byDigest) await state.putTag(reference, digest)
      if (pushChannel.hasSubscribers) {
        pushChannel.publish({ repositoryName: state.name, imageDigest: digest, imageTag: byDigest ? undefined : reference, mediaType: record.mediaType })
      }
      return record
    }))
  }

  /** `state` undefined: the repository does not exist yet, so every reference is missing. */
  async #checkReferences (state: RepositoryState | undefined, name: string, parsed: ParsedManifest): Promise<void> {
    const missing: RegistryError[] = []
    for (const d of referencedBlobs(parsed)) {
      if (state === undefined || await this.#linkedSize(state, d.digest) === undefined) {
        missing.push(ociError('MANIFEST_BLOB_UNKNOWN', `blob ${d.digest} is not in repository ${name}`, { detail: { digest: d.digest } }))
      }
    }
    for (const m of parsed.manifests) {
      if (state === undefined || !state.manifests.has(m.digest)) {
        missing.push(ociError('MANIFEST_BLOB_UNKNOWN', `manifest ${m.digest} is not in repository ${name}`, { detail: { digest: m.digest } }))
      }
    }
    if (missing.length > 0) {
      const [first, ...rest] = missing
      throw ociError('MANIFEST_BLOB_UNKNOWN', first.message, { detail: first.detail, siblings: rest })
    }
  }

  #record (state: RepositoryState, parsed: ParsedManifest, digest: string, size: number): ManifestRecord {
    const blobs = referencedBlobs(parsed).map((d) => d.digest)
    let layersSize = 0
    for (const layer of parsed.layers) layersSize += layer.size
    for (const child of parsed.manifests) layersSize += state.manifests.get(child.digest)?.layersSize ?? 0
    const record: ManifestRecord = {
      digest,
      mediaType: parsed.mediaType,
      size,
      pushedAt: this.clock.now(),
      blobs,
      children: parsed.manifests.map((m) => m.digest),
      layersSize
    }
    if (parsed.config !== undefined) record.configMediaType = parsed.config.mediaType
    if (parsed.artifactType !== undefined) record.artifactType = parsed.artifactType
    if (parsed.subject !== undefined) record.subject = parsed.subject.digest
    if (parsed.annotations !== undefined) record.annotations = parsed.annotations
    return record
  }

  /** The manifest a tag or digest names, or MANIFEST_UNKNOWN. */
  async getManifest (state: RepositoryState, reference: string): Promise<StoredManifest> {
    if (reference.includes(':')) parseDigest(reference, 'reference')
    const digest = state.resolve(reference)
    const record = digest === undefined ? undefined : state.manifests.get(digest)
    if (record === undefined) {
      throw ociError('MANIFEST_UNKNOWN', `manifest ${reference} is not in repository ${state.name}`, { detail: { reference } })
    }
    return { record, body: await this.manifestBody(record.digest) }
  }

  /** A manifest's bytes: from the cache (verified when they entered it), else read and verified. */
  async manifestBody (digest: string): Promise<Buffer> {
    let body = this.#manifestCache.get(digest)
    if (body === undefined) {
      body = await this.verifiedContent(digest, () => ociError('MANIFEST_UNKNOWN', `the bytes of manifest ${digest} are not available (missing or corrupted in storage)`, { detail: { digest } }))
      this.#manifestCache.set(digest, body)
    }
    return body
  }

  /** By tag: removes the tag. By digest: removes the manifest and its tags. */
  async deleteManifest (state: RepositoryState, reference: string): Promise<void> {
    await state.lock.run(async () => {
      if (reference.includes(':')) {
        parseDigest(reference, 'reference')
        if (!state.manifests.has(reference)) throw ociError('MANIFEST_UNKNOWN', `manifest ${reference} is not in repository ${state.name}`)
        await state.deleteManifest(reference)
      } else {
        if (!state.tags.has(reference)) throw ociError('MANIFEST_UNKNOWN', `tag ${reference} is not in repository ${state.name}`)
        await state.deleteTag(reference)
      }
    })
  }

  /** Referrers of `digest` as the descriptors of an OCI image index. */
  referrers (state: RepositoryState, digest: string, artifactType: string | undefined): Array<Record<string, unknown>> {
    parseDigest(digest)
    const out: Array<Record<string, unknown>> = []
    for (const d of [...(state.referrers.get(digest) ?? [])].sort()) {
      const record = state.manifests.get(d)
      if (record === undefined) continue
      if (artifactType !== undefined && record.artifactType !== artifactType) continue
      const descriptor: Record<string, unknown> = { mediaType: record.mediaType, digest: record.digest, size: record.size }
      if (record.artifactType !== undefined) descriptor.artifactType = record.artifactType
      if (record.annotations !== undefined) descriptor.annotations = record.annotations
      out.push(descriptor)
    }
    return out
  }
}

