import type { StorageDriver } from '../storage/driver.js'
import { ignoreMissing, listOrEmpty, PathNotFoundError } from '../storage/driver.js'
import { Mutex } from './locks.js'
import { paths } from './paths.js'

/**
 * ECR settings and policies of one repository: its record in the RepositorySettingsStore
 * (`_repository.json` in the storage driver by default, or the engine's store).
 */
export interface RepositoryMeta {
  repositoryName: string
  /** Registry-clock ms. */
  createdAt: number
  imageTagMutability: 'MUTABLE' | 'IMMUTABLE'
  scanOnPush: boolean
  /** Pulls without credentials allowed when authentication is on. */
  allowAnonymousPull: boolean
  repositoryPolicyText?: string
  lifecyclePolicyText?: string
  lifecycleEvaluatedAt?: number
  /** ECR tags, key → value (kept in the order they were first set). */
  tags?: Record<string, string>
  /** The policy text of the last StartLifecyclePolicyPreview (GetLifecyclePolicyPreview evaluates it). */
  lifecyclePreviewText?: string
  /**
   * Set (the intent) before a delete removes the repository's contents; the record goes
   * last. A registry that opens on a record with it finishes the delete.
   */
  deleting?: true
}

/** What the registry remembers about one pushed manifest (its bytes are a blob). */
export interface ManifestRecord {
  digest: string
  mediaType: string
  size: number
  /** Registry-clock ms of the first push. */
  pushedAt: number
  /** Config media type of an image manifest (ECR's artifactMediaType). */
  configMediaType?: string
  /** What the referrers API reports as artifactType. */
  artifactType?: string
  subject?: string
  annotations?: Record<string, string>
  /** Config and layer digests: what the garbage collector marks. */
  blobs: string[]
  /** Child manifest digests of an index. */
  children: string[]
  /** Sum of the layer sizes (ECR's imageSizeInBytes; for an index, of its children). */
  layersSize: number
}

/**
 * One repository, fully loaded: settings, manifests, tags, blob links and the referrers
 * index. The registry is the only writer of its storage, so this in-memory view is
 * authoritative; every change is written through to the driver first (settings: through
 * `Repositories.saveMeta`, to the settings store). Mutations run under `lock` so they land
 * in order.
 */
export class RepositoryState {
  readonly manifests = new Map<string, ManifestRecord>()
  readonly tags = new Map<string, string>()
  readonly layers = new Set<string>()
  readonly referrers = new Map<string, Set<string>>()
  readonly lock = new Mutex()
  deleted = false

  constructor (public meta: RepositoryMeta, private readonly driver: StorageDriver) {}

  get name (): string { return this.meta.repositoryName }

  tagsOf (digest: string): string[] {
    const out: string[] = []
    for (const [tag, d] of this.tags) if (d === digest) out.push(tag)
    return out.sort()
  }

  /** A tag or digest → digest, when present. */
  resolve (reference: string): string | undefined {
    if (reference.includes(':')) return this.manifests.has(reference) ? reference : undefined
    return this.tags.get(reference)
  }

  async linkBlob (digest: string): Promise<void> {
    if (this.layers.has(digest)) return
    // The blob itself is durable already; its link is not fsynced (one fsync less per layer
    // pushed). A machine crash may lose the link: the layer then reads as absent from this
    // repository and is pushed again (stored once). Links are found by their directory name,
    // so one left empty by a crash still counts.
    await this.driver.putContent(paths.layerLink(this.name, digest), digest, { durable: false })
    this.layers.add(digest)
  }

  async unlinkBlob (digest: string): Promise<void> {
    this.layers.delete(digest)
    await ignoreMissing(this.driver.delete(paths.layerLink(this.name, digest)))
  }

  async putManifest (record: ManifestRecord): Promise<void> {
    await this.driver.putContent(paths.revision(this.name, record.digest), JSON.stringify(record))
    this.manifests.set(record.digest, record)
    if (record.subject !== undefined) {
      let set = this.referrers.get(record.subject)
      if (set === undefined) this.referrers.set(record.subject, set = new Set())
      set.add(record.digest)
    }
  }

  async putTag (tag: string, digest: string): Promise<void> {
    if (this.tags.get(tag) === digest) return
    await this.driver.putContent(paths.tagLink(this.name, tag), digest)
    this.tags.set(tag, digest)
  }

  async deleteTag (tag: string): Promise<void> {
    this.tags.delete(tag)
    await ignoreMissing(this.driver.delete(paths.tagDir(this.name, tag)))
  }

  /** Removes a manifest and every tag that points at it. */
  async deleteManifest (digest: string): Promise<void> {
    for (const tag of this.tagsOf(digest)) await this.deleteTag(tag)
    const record = this.manifests.get(digest)
    this.manifests.delete(digest)
    if (record?.subject !== undefined) {
      const set = this.referrers.get(record.subject)
      set?.delete(digest)
      if (set?.size === 0) this.referrers.delete(record.subject)
    }
    await ignoreMissing(this.driver.delete(paths.revision(this.name, digest).replace(/\/link$/, '')))
  }

  /** Reads everything of repository `meta.repositoryName` from storage. */
  static async load (meta: RepositoryMeta, driver: StorageDriver): Promise<RepositoryState> {
    const state = new RepositoryState(meta, driver)
    const name = meta.repositoryName
    for (const algorithm of ['sha256', 'sha512']) {
      for (const dir of await listOrEmpty(driver, `${paths.revisionsRoot(name)}/${algorithm}`)) {
        try {
          const record = JSON.parse((await driver.getContent(`${dir}/link`)).toString('utf8')) as ManifestRecord
          state.manifests.set(record.digest, record)
          if (record.subject !== undefined) {
            let set = state.referrers.get(record.subject)
            if (set === undefined) state.referrers.set(record.subject, set = new Set())
            set.add(record.digest)
          }
        } catch (err) {
          if (!(err instanceof PathNotFoundError) && !(err instanceof SyntaxError)) throw err
        }
      }
      for (const dir of await listOrEmpty(driver, `${paths.layerLinksRoot(name)}/${algorithm}`)) {
        state.layers.add(`${algorithm}:${dir.slice(dir.lastIndexOf('/') + 1)}`)
      }
    }
    for (const dir of await listOrEmpty(driver, paths.tagsRoot(name))) {
      const tag = dir.slice(dir.lastIndexOf('/') + 1)
      try {
        const digest = (await driver.getContent(`${dir}/current/link`)).toString('utf8').trim()
        if (state.manifests.has(digest)) state.tags.set(tag, digest)
      } catch (err) {
        if (!(err instanceof PathNotFoundError)) throw err
      }
    }
    return state
  }
}
