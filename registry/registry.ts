import type { IncomingMessage, ServerResponse } from 'node:http'
import { channel } from 'node:diagnostics_channel'
import { Periodic, realClock, type Clock } from './clock.js'
import { digestOf, parseDigest } from './digest.js'
import { invalidParameter, isRegistryError, RegistryError } from './errors.js'
import { checkRepositoryName, checkTag, isTag } from './names.js'
import { INDEX_TYPES } from './media-types.js'
import type { StorageDriver } from './storage/driver.js'
import { createStorageDriver, type StorageConfig } from './storage/drivers.js'
import { Distribution } from './content/distribution.js'
import { garbageCollect, type GarbageCollectReport } from './content/garbage-collector.js'
import type { ManifestRecord, RepositoryMeta, RepositoryState } from './content/repository.js'
import { Authenticator, type AuthOptions } from './auth/authenticator.js'
import { createRouter, type RequestHandler } from './http/router.js'
import { evaluateLifecyclePolicy, parseLifecyclePolicy, type LifecycleImage, type LifecycleVerdict } from './ecr/lifecycle-policy.js'
import type {
  AuthorizationData, Image, ImageDetail, ImageFailure, ImageIdentifier, ImageTagMutability,
  LifecyclePolicyPreview, Repository, TagStatusFilter
} from './ecr/shapes.js'
import { ImageBuilder } from './builder/image-builder.js'

export interface RegistryOptions {
  /** A driver instance or a configuration from the registration table (default: in memory). */
  storage?: StorageDriver | StorageConfig
  /** Time source (default: the real clock). */
  clock?: Clock
  /** Authentication (default: off). */
  auth?: AuthOptions
  /** A push to a missing repository creates it (default true). */
  createRepositoryOnPush?: boolean
  /** 12-digit account id for ARNs and registryId (default 000000000000). */
  accountId?: string
  /** Region for ARNs (default us-east-1). */
  regionName?: string
  /** `host:port` clients reach the registry at (used in repositoryUri); see `setEndpoint`. */
  endpoint?: string
  /** Lifecycle policies are applied this often on the clock (default 1 hour; 0: only on demand). */
  lifecycleIntervalMs?: number
  /** Upload sessions older than this are purged (default 24 hours). */
  uploadMaxAgeMs?: number
  /** How often the stale-upload purge runs (default 1 hour; 0: only on demand). */
  uploadPurgeIntervalMs?: number
  /** GC keeps unreferenced blobs used more recently than this (default 1 hour). */
  gcGracePeriodMs?: number
  /** How often GC runs by itself (default 0: only on demand). */
  gcIntervalMs?: number
  /** Most upload sessions open at once (default 1000). */
  maxUploadSessions?: number
  /** Bytes of manifests kept in memory for fast GETs (default 32 MiB). */
  manifestCacheBytes?: number
  /** Errors that are not the client's fault (default: published on `stratus:registry:error`). */
  onError?: (err: unknown) => void
}

export interface DescribeImagesInput {
  repositoryName: string
  imageIds?: ImageIdentifier[]
  filter?: { tagStatus?: TagStatusFilter }
  maxResults?: number
  nextToken?: string
}

const HOUR = 60 * 60 * 1000
const errorChannel = channel('stratus:registry:error')
const lifecycleChannel = channel('stratus:registry:lifecycle')

function positiveOr (value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalidParameter(field, 'must be a non-negative number of milliseconds', '>= 0')
  return value
}

function notFoundRepository (name: string, accountId: string): RegistryError {
  return new RegistryError('RepositoryNotFoundException',
    `The repository with name '${name}' does not exist in the registry with id '${accountId}'`, { kind: 'NotFound', field: 'repositoryName' })
}

function pageToken (offset: number): string { return Buffer.from(String(offset)).toString('base64url') }
function pageOffset (token: string | undefined): number {
  if (token === undefined) return 0
  const n = Number(Buffer.from(token, 'base64url').toString('utf8'))
  if (!Number.isSafeInteger(n) || n < 0) throw invalidParameter('nextToken', 'is not a token this registry issued')
  return n
}
function maxResultsOf (value: number | undefined, limit: number): number {
  if (value === undefined) return limit
  if (!Number.isInteger(value) || value < 1 || value > limit) throw invalidParameter('maxResults', `must be an integer`, `1..${limit}`)
  return value
}

/**
 * The built-in registry: an OCI Distribution v1.1 registry served from `handle(req, res)`,
 * with ECR's repository model as methods returning ECR's shapes, and a Docker-free image
 * builder. Everything durable goes through the storage driver.
 */
export class Registry implements AsyncDisposable {
  readonly accountId: string
  readonly regionName: string
  readonly clock: Clock
  readonly storage: StorageDriver
  /** Serves everything under `/v2/` (mount on a `node:http` server). */
  readonly handle: RequestHandler
  readonly #distribution: Distribution
  readonly #auth: Authenticator
  readonly #periodic: Periodic[] = []
  readonly #uploadMaxAgeMs: number
  readonly #gcGracePeriodMs: number
  #endpoint: string | undefined
  #closed = false

  private constructor (options: RegistryOptions, storage: StorageDriver, clock: Clock) {
    this.accountId = options.accountId ?? '000000000000'
    if (!/^\d{12}$/.test(this.accountId)) throw invalidParameter('accountId', 'must be 12 digits')
    this.regionName = options.regionName ?? 'us-east-1'
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(this.regionName)) throw invalidParameter('regionName', `invalid region ${JSON.stringify(this.regionName)}`, 'like us-east-1')
    this.clock = clock
    this.storage = storage
    this.#endpoint = options.endpoint
    this.#uploadMaxAgeMs = positiveOr(options.uploadMaxAgeMs, 24 * HOUR, 'uploadMaxAgeMs')
    this.#gcGracePeriodMs = positiveOr(options.gcGracePeriodMs, HOUR, 'gcGracePeriodMs')
    const maxUploadSessions = options.maxUploadSessions ?? 1000
    if (!Number.isInteger(maxUploadSessions) || maxUploadSessions < 1) throw invalidParameter('maxUploadSessions', 'must be a positive integer', '>= 1')
    this.#distribution = new Distribution({
      driver: storage,
      clock,
      createRepositoryOnPush: options.createRepositoryOnPush ?? true,
      maxUploadSessions,
      manifestCacheBytes: options.manifestCacheBytes ?? 32 * 1024 * 1024
    })
    this.#auth = new Authenticator(options.auth ?? {}, clock)
    const onError = options.onError ?? ((err: unknown) => { if (errorChannel.hasSubscribers) errorChannel.publish({ error: err }) })
    this.handle = createRouter({ distribution: this.#distribution, auth: this.#auth, onInternalError: onError })
    const lifecycleEvery = positiveOr(options.lifecycleIntervalMs, HOUR, 'lifecycleIntervalMs')
    const purgeEvery = positiveOr(options.uploadPurgeIntervalMs, HOUR, 'uploadPurgeIntervalMs')
    const gcEvery = positiveOr(options.gcIntervalMs, 0, 'gcIntervalMs')
    if (lifecycleEvery > 0) this.#periodic.push(new Periodic(clock, lifecycleEvery, () => this.applyLifecyclePolicies(), onError))
    if (purgeEvery > 0) this.#periodic.push(new Periodic(clock, purgeEvery, () => this.purgeStaleUploads(), onError))
    if (gcEvery > 0) this.#periodic.push(new Periodic(clock, gcEvery, () => this.garbageCollect(), onError))
  }

  /** Opens a registry over its storage (loading repository names and the token key). */
  static async open (options: RegistryOptions = {}): Promise<Registry> {
    const clock = options.clock ?? realClock
    const storage = options.storage === undefined
      ? createStorageDriver({ driver: 'inmemory' }, clock)
      : 'driver' in options.storage && typeof options.storage.driver === 'string'
        ? createStorageDriver(options.storage as StorageConfig, clock)
        : options.storage as StorageDriver
    const registry = new Registry(options, storage, clock)
    try {
      await registry.#distribution.open()
      await registry.#auth.open(storage)
    } catch (err) {
      await registry.close()
      throw err
    }
    return registry
  }

  /** Sets the `host:port` clients use (repositoryUri, proxyEndpoint), e.g. `127.0.0.1:4750`. */
  setEndpoint (endpoint: string): void {
    if (typeof endpoint !== 'string' || !/^[A-Za-z0-9.-]+(:\d+)?$/.test(endpoint)) throw invalidParameter('endpoint', 'must be host:port', 'like 127.0.0.1:4750')
    this.#endpoint = endpoint
  }

  get endpoint (): string | undefined { return this.#endpoint }

  /** Stops periodic work. Storage stays as it is (reopen it with `Registry.open`). */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.all(this.#periodic.map((p) => p.stop()))
  }

  async [Symbol.asyncDispose] (): Promise<void> { await this.close() }

  /** Internal content operations, for the image builder. */
  get distribution (): Distribution { return this.#distribution }

  // --- repositories -----------------------------------------------------------------------

  #host (): string {
    return this.#endpoint ?? `${this.accountId}.dkr.ecr.${this.regionName}.amazonaws.com`
  }

  #repositoryShape (meta: RepositoryMeta): Repository {
    return {
      repositoryArn: `arn:aws:ecr:${this.regionName}:${this.accountId}:repository/${meta.repositoryName}`,
      registryId: this.accountId,
      repositoryName: meta.repositoryName,
      repositoryUri: `${this.#host()}/${meta.repositoryName}`,
      createdAt: new Date(meta.createdAt),
      imageTagMutability: meta.imageTagMutability,
      imageScanningConfiguration: { scanOnPush: meta.scanOnPush },
      encryptionConfiguration: { encryptionType: 'AES256' }
    }
  }

  async #state (repositoryName: unknown): Promise<RepositoryState> {
    const name = checkRepositoryName(repositoryName)
    const state = this.#distribution.repositories.get(name)
    if (state === undefined) throw notFoundRepository(name, this.accountId)
    return state
  }

  async #updateMeta (state: RepositoryState, change: Partial<RepositoryMeta>): Promise<RepositoryMeta> {
    return state.lock.run(async () => {
      const meta = { ...state.meta, ...change }
      await state.saveMeta(meta)
      this.#distribution.repositories.updateMeta(meta)
      return meta
    })
  }

  async createRepository (input: {
    repositoryName: string
    imageTagMutability?: ImageTagMutability
    imageScanningConfiguration?: { scanOnPush?: boolean }
    /** Allow pulls without credentials when authentication is on. */
    allowAnonymousPull?: boolean
  }): Promise<{ repository: Repository }> {
    const name = checkRepositoryName(input?.repositoryName)
    const mutability = input.imageTagMutability ?? 'MUTABLE'
    if (mutability !== 'MUTABLE' && mutability !== 'IMMUTABLE') throw invalidParameter('imageTagMutability', `invalid value ${JSON.stringify(mutability)}`, 'MUTABLE | IMMUTABLE')
    const scanOnPush = input.imageScanningConfiguration?.scanOnPush ?? false
    if (typeof scanOnPush !== 'boolean') throw invalidParameter('imageScanningConfiguration.scanOnPush', 'must be a boolean')
    const anonymous = input.allowAnonymousPull ?? false
    if (typeof anonymous !== 'boolean') throw invalidParameter('allowAnonymousPull', 'must be a boolean')
    const state = await this.#distribution.createRepository({
      repositoryName: name, imageTagMutability: mutability, scanOnPush, allowAnonymousPull: anonymous
    })
    return { repository: this.#repositoryShape(state.meta) }
  }

  async describeRepositories (input: { repositoryNames?: string[], maxResults?: number, nextToken?: string } = {}): Promise<{ repositories: Repository[], nextToken?: string }> {
    let names: readonly string[]
    if (input.repositoryNames !== undefined) {
      if (!Array.isArray(input.repositoryNames) || input.repositoryNames.length === 0 || input.repositoryNames.length > 100) {
        throw invalidParameter('repositoryNames', 'must be a non-empty array', '1..100 names')
      }
      names = input.repositoryNames.map((n) => checkRepositoryName(n, 'repositoryNames'))
      for (const n of names) if (!this.#distribution.repositories.has(n)) throw notFoundRepository(n, this.accountId)
    } else {
      names = this.#distribution.repositories.names()
    }
    const offset = pageOffset(input.nextToken)
    const max = maxResultsOf(input.maxResults, 1000)
    const page = names.slice(offset, offset + max)
    const repositories: Repository[] = []
    for (const name of page) repositories.push(this.#repositoryShape((await this.#state(name)).meta))
    const out: { repositories: Repository[], nextToken?: string } = { repositories }
    if (offset + max < names.length) out.nextToken = pageToken(offset + max)
    return out
  }

  /** Deletes a repository; with images in it only when `force` (ECR's RepositoryNotEmptyException). */
  async deleteRepository (input: { repositoryName: string, force?: boolean }): Promise<{ repository: Repository }> {
    const state = await this.#state(input?.repositoryName)
    return this.#distribution.repositories.lock.run(() => state.lock.run(async () => {
      if (state.manifests.size > 0 && input.force !== true) {
        throw new RegistryError('RepositoryNotEmptyException',
          `The repository with name '${state.name}' in registry with id '${this.accountId}' cannot be deleted because it still contains images`,
          { kind: 'Conflict', field: 'force' })
      }
      const shape = this.#repositoryShape(state.meta)
      await this.#distribution.repositories.delete(state)
      return { repository: shape }
    }))
  }

  async putImageTagMutability (input: { repositoryName: string, imageTagMutability: ImageTagMutability }): Promise<{ registryId: string, repositoryName: string, imageTagMutability: ImageTagMutability }> {
    const state = await this.#state(input?.repositoryName)
    const m = input.imageTagMutability
    if (m !== 'MUTABLE' && m !== 'IMMUTABLE') throw invalidParameter('imageTagMutability', `invalid value ${JSON.stringify(m)}`, 'MUTABLE | IMMUTABLE')
    await this.#updateMeta(state, { imageTagMutability: m })
    return { registryId: this.accountId, repositoryName: state.name, imageTagMutability: m }
  }

  async putImageScanningConfiguration (input: { repositoryName: string, imageScanningConfiguration: { scanOnPush: boolean } }): Promise<{ registryId: string, repositoryName: string, imageScanningConfiguration: { scanOnPush: boolean } }> {
    const state = await this.#state(input?.repositoryName)
    const scanOnPush = input.imageScanningConfiguration?.scanOnPush
    if (typeof scanOnPush !== 'boolean') throw invalidParameter('imageScanningConfiguration.scanOnPush', 'must be a boolean')
    await this.#updateMeta(state, { scanOnPush })
    return { registryId: this.accountId, repositoryName: state.name, imageScanningConfiguration: { scanOnPush } }
  }

  /** Allows or refuses pulls without credentials from one repository (when auth is on). */
  async setAnonymousPull (input: { repositoryName: string, allowAnonymousPull: boolean }): Promise<{ repositoryName: string, allowAnonymousPull: boolean }> {
    const state = await this.#state(input?.repositoryName)
    if (typeof input.allowAnonymousPull !== 'boolean') throw invalidParameter('allowAnonymousPull', 'must be a boolean')
    await this.#updateMeta(state, { allowAnonymousPull: input.allowAnonymousPull })
    return { repositoryName: state.name, allowAnonymousPull: input.allowAnonymousPull }
  }

  // --- repository policies (stored and returned; enforcement comes later) -----------------

  async setRepositoryPolicy (input: { repositoryName: string, policyText: string, force?: boolean }): Promise<{ registryId: string, repositoryName: string, policyText: string }> {
    const state = await this.#state(input?.repositoryName)
    const text = input.policyText
    if (typeof text !== 'string' || text.length === 0 || text.length > 10240) throw invalidParameter('policyText', 'must be a JSON policy document', '1..10240 characters')
    let json: unknown
    try { json = JSON.parse(text) } catch (err) { throw invalidParameter('policyText', `is not valid JSON: ${(err as Error).message}`) }
    if (typeof json !== 'object' || json === null || Array.isArray(json) || !('Statement' in json)) {
      throw invalidParameter('policyText', 'must be a policy document object with a Statement')
    }
    await this.#updateMeta(state, { repositoryPolicyText: text })
    return { registryId: this.accountId, repositoryName: state.name, policyText: text }
  }

  async getRepositoryPolicy (input: { repositoryName: string }): Promise<{ registryId: string, repositoryName: string, policyText: string }> {
    const state = await this.#state(input?.repositoryName)
    const text = state.meta.repositoryPolicyText
    if (text === undefined) {
      throw new RegistryError('RepositoryPolicyNotFoundException', `Repository policy does not exist for the repository with name '${state.name}'`, { kind: 'NotFound' })
    }
    return { registryId: this.accountId, repositoryName: state.name, policyText: text }
  }

  async deleteRepositoryPolicy (input: { repositoryName: string }): Promise<{ registryId: string, repositoryName: string, policyText: string }> {
    const existing = await this.getRepositoryPolicy(input)
    await this.#updateMeta(await this.#state(input.repositoryName), { repositoryPolicyText: undefined })
    return existing
  }

  // --- images -----------------------------------------------------------------------------

  #detail (state: RepositoryState, record: ManifestRecord): ImageDetail {
    const detail: ImageDetail = {
      registryId: this.accountId,
      repositoryName: state.name,
      imageDigest: record.digest,
      imageSizeInBytes: record.layersSize,
      imagePushedAt: new Date(record.pushedAt),
      imageManifestMediaType: record.mediaType
    }
    const tags = state.tagsOf(record.digest)
    if (tags.length > 0) detail.imageTags = tags
    if (record.configMediaType !== undefined) detail.artifactMediaType = record.configMediaType
    return detail
  }

  /** Resolves ECR image ids; failures as ECR reports them. */
  #resolveIds (state: RepositoryState, ids: unknown): { found: Array<{ id: ImageIdentifier, digest: string }>, failures: ImageFailure[] } {
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100) throw invalidParameter('imageIds', 'must be a non-empty array', '1..100 image ids')
    const found: Array<{ id: ImageIdentifier, digest: string }> = []
    const failures: ImageFailure[] = []
    for (const raw of ids as ImageIdentifier[]) {
      const id: ImageIdentifier = {}
      if (raw?.imageDigest !== undefined) id.imageDigest = raw.imageDigest
      if (raw?.imageTag !== undefined) id.imageTag = raw.imageTag
      if (id.imageDigest === undefined && id.imageTag === undefined) {
        failures.push({ imageId: id, failureCode: 'MissingDigestAndTag', failureReason: 'Requested image has neither a digest nor a tag' })
        continue
      }
      if (id.imageDigest !== undefined) {
        try { parseDigest(id.imageDigest) } catch {
          failures.push({ imageId: id, failureCode: 'InvalidImageDigest', failureReason: 'Invalid request parameters: image digest should satisfy the regex \'[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+\'' })
          continue
        }
      }
      if (id.imageTag !== undefined && !isTag(id.imageTag)) {
        failures.push({ imageId: id, failureCode: 'InvalidImageTag', failureReason: 'Invalid request parameters: invalid image tag' })
        continue
      }
      const byTag = id.imageTag === undefined ? undefined : state.tags.get(id.imageTag)
      const digest = id.imageDigest ?? byTag
      if (digest === undefined || !state.manifests.has(digest)) {
        failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' })
        continue
      }
      if (id.imageTag !== undefined && byTag !== digest) {
        failures.push({ imageId: id, failureCode: byTag === undefined ? 'ImageNotFound' : 'ImageTagDoesNotMatchDigest', failureReason: 'Invalid request parameters: given tag does not point to the given digest' })
        continue
      }
      found.push({ id, digest })
    }
    return { found, failures }
  }

  async describeImages (input: DescribeImagesInput): Promise<{ imageDetails: ImageDetail[], nextToken?: string }> {
    const state = await this.#state(input?.repositoryName)
    let records: ManifestRecord[]
    if (input.imageIds !== undefined) {
      const { found, failures } = this.#resolveIds(state, input.imageIds)
      if (failures.length > 0) {
        const f = failures[0]
        throw new RegistryError(f.failureCode === 'ImageNotFound' ? 'ImageNotFoundException' : 'InvalidParameterException',
          `The image with imageId ${JSON.stringify(f.imageId)} does not exist within the repository with name '${state.name}' in the registry with id '${this.accountId}'`,
          { kind: f.failureCode === 'ImageNotFound' ? 'NotFound' : 'InvalidArgument', field: 'imageIds' })
      }
      records = [...new Set(found.map((f) => f.digest))].map((d) => state.manifests.get(d)!)
    } else {
      const status = input.filter?.tagStatus ?? 'ANY'
      if (status !== 'ANY' && status !== 'TAGGED' && status !== 'UNTAGGED') throw invalidParameter('filter.tagStatus', `invalid value ${JSON.stringify(status)}`, 'TAGGED | UNTAGGED | ANY')
      records = [...state.manifests.values()].filter((r) => {
        if (status === 'ANY') return true
        const tagged = state.tagsOf(r.digest).length > 0
        return status === 'TAGGED' ? tagged : !tagged
      })
      records.sort((a, b) => b.pushedAt - a.pushedAt || (a.digest < b.digest ? -1 : 1))
    }
    const offset = pageOffset(input.nextToken)
    const max = maxResultsOf(input.maxResults, 1000)
    const out: { imageDetails: ImageDetail[], nextToken?: string } = {
      imageDetails: records.slice(offset, offset + max).map((r) => this.#detail(state, r))
    }
    if (offset + max < records.length) out.nextToken = pageToken(offset + max)
    return out
  }

  async listImages (input: { repositoryName: string, filter?: { tagStatus?: TagStatusFilter }, maxResults?: number, nextToken?: string }): Promise<{ imageIds: ImageIdentifier[], nextToken?: string }> {
    const { imageDetails } = await this.describeImages({ repositoryName: input?.repositoryName, filter: input.filter })
    const ids: ImageIdentifier[] = []
    for (const d of imageDetails) {
      if (d.imageTags === undefined) ids.push({ imageDigest: d.imageDigest })
      else for (const tag of d.imageTags) ids.push({ imageDigest: d.imageDigest, imageTag: tag })
    }
    const offset = pageOffset(input.nextToken)
    const max = maxResultsOf(input.maxResults, 1000)
    const out: { imageIds: ImageIdentifier[], nextToken?: string } = { imageIds: ids.slice(offset, offset + max) }
    if (offset + max < ids.length) out.nextToken = pageToken(offset + max)
    return out
  }

  /** The tags of a repository, sorted. */
  async listTags (input: { repositoryName: string }): Promise<string[]> {
    const state = await this.#state(input?.repositoryName)
    return [...state.tags.keys()].sort()
  }

  /**
   * ECR BatchDeleteImage: by digest removes the image and its tags; by tag removes the tag,
   * and the image with it when that was its last tag.
   */
  async batchDeleteImage (input: { repositoryName: string, imageIds: ImageIdentifier[] }): Promise<{ imageIds: ImageIdentifier[], failures: ImageFailure[] }> {
    const state = await this.#state(input?.repositoryName)
    const { found, failures } = this.#resolveIds(state, input.imageIds)
    const deleted: ImageIdentifier[] = []
    await state.lock.run(async () => {
      for (const { id, digest } of found) {
        if (!state.manifests.has(digest)) continue
        if (id.imageDigest === undefined && id.imageTag !== undefined) {
          await state.deleteTag(id.imageTag)
          if (state.tagsOf(digest).length === 0) await state.deleteManifest(digest)
          deleted.push({ imageDigest: digest, imageTag: id.imageTag })
        } else {
          const tags = state.tagsOf(digest)
          await state.deleteManifest(digest)
          if (tags.length === 0) deleted.push({ imageDigest: digest })
          for (const tag of tags) deleted.push({ imageDigest: digest, imageTag: tag })
        }
      }
    })
    return { imageIds: deleted, failures }
  }

  async batchGetImage (input: { repositoryName: string, imageIds: ImageIdentifier[], acceptedMediaTypes?: string[] }): Promise<{ images: Image[], failures: ImageFailure[] }> {
    const state = await this.#state(input?.repositoryName)
    const { found, failures } = this.#resolveIds(state, input.imageIds)
    const images: Image[] = []
    for (const { id, digest } of found) {
      const record = state.manifests.get(digest)!
      if (input.acceptedMediaTypes !== undefined && !input.acceptedMediaTypes.includes(record.mediaType)) {
        failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: `manifest is a ${record.mediaType}, not an accepted media type` })
        continue
      }
      const body = await this.#distribution.manifestBody(digest)
      images.push({
        registryId: this.accountId,
        repositoryName: state.name,
        imageId: { imageDigest: digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
        imageManifest: body.toString('utf8'),
        imageManifestMediaType: record.mediaType
      })
    }
    return { images, failures }
  }

  /** ECR PutImage: stores a manifest (its blobs must be in the repository), optionally tagged. */
  async putImage (input: { repositoryName: string, imageManifest: string, imageManifestMediaType?: string, imageTag?: string, imageDigest?: string }): Promise<{ image: Image }> {
    const state = await this.#state(input?.repositoryName)
    if (typeof input.imageManifest !== 'string' || input.imageManifest === '') throw invalidParameter('imageManifest', 'must be a manifest JSON string')
    if (input.imageTag !== undefined) checkTag(input.imageTag)
    const body = Buffer.from(input.imageManifest)
    if (input.imageDigest !== undefined) {
      parseDigest(input.imageDigest, 'imageDigest')
      if (digestOf(body, parseDigest(input.imageDigest).algorithm) !== input.imageDigest) throw invalidParameter('imageDigest', 'does not match the manifest')
    }
    const reference = input.imageTag ?? input.imageDigest ?? digestOf(body)
    const record = await this.#distribution.putManifest(state, reference, body, input.imageManifestMediaType)
    return {
      image: {
        registryId: this.accountId,
        repositoryName: state.name,
        imageId: { imageDigest: record.digest, ...(input.imageTag !== undefined ? { imageTag: input.imageTag } : {}) },
        imageManifest: input.imageManifest,
        imageManifestMediaType: record.mediaType
      }
    }
  }

  // --- lifecycle policies -----------------------------------------------------------------

  async putLifecyclePolicy (input: { repositoryName: string, lifecyclePolicyText: string }): Promise<{ registryId: string, repositoryName: string, lifecyclePolicyText: string }> {
    const state = await this.#state(input?.repositoryName)
    parseLifecyclePolicy(input.lifecyclePolicyText)
    await this.#updateMeta(state, { lifecyclePolicyText: input.lifecyclePolicyText, lifecycleEvaluatedAt: undefined })
    return { registryId: this.accountId, repositoryName: state.name, lifecyclePolicyText: input.lifecyclePolicyText }
  }

  async getLifecyclePolicy (input: { repositoryName: string }): Promise<{ registryId: string, repositoryName: string, lifecyclePolicyText: string, lastEvaluatedAt?: Date }> {
    const state = await this.#state(input?.repositoryName)
    const text = state.meta.lifecyclePolicyText
    if (text === undefined) {
      throw new RegistryError('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for the repository with name '${state.name}'`, { kind: 'NotFound' })
    }
    const out: { registryId: string, repositoryName: string, lifecyclePolicyText: string, lastEvaluatedAt?: Date } = {
      registryId: this.accountId, repositoryName: state.name, lifecyclePolicyText: text
    }
    if (state.meta.lifecycleEvaluatedAt !== undefined) out.lastEvaluatedAt = new Date(state.meta.lifecycleEvaluatedAt)
    return out
  }

  async deleteLifecyclePolicy (input: { repositoryName: string }): Promise<{ registryId: string, repositoryName: string, lifecyclePolicyText: string, lastEvaluatedAt?: Date }> {
    const existing = await this.getLifecyclePolicy(input)
    await this.#updateMeta(await this.#state(input.repositoryName), { lifecyclePolicyText: undefined, lifecycleEvaluatedAt: undefined })
    return existing
  }

  /**
   * Images as lifecycle rules see them. Manifests that are children of an index in the
   * repository belong to that index: they are not candidates themselves and go with it.
   */
  #lifecycleImages (state: RepositoryState): LifecycleImage[] {
    const children = new Set<string>()
    for (const r of state.manifests.values()) for (const c of r.children) children.add(c)
    const images: LifecycleImage[] = []
    for (const r of state.manifests.values()) {
      if (children.has(r.digest)) continue
      images.push({ imageDigest: r.digest, imageTags: state.tagsOf(r.digest), imagePushedAt: r.pushedAt })
    }
    return images
  }

  #preview (state: RepositoryState, text: string): { policyText: string, verdicts: LifecycleVerdict[] } {
    const policy = parseLifecyclePolicy(text)
    return { policyText: text, verdicts: evaluateLifecyclePolicy(policy, this.#lifecycleImages(state), this.clock.now()) }
  }

  #previewShape (state: RepositoryState, text: string, verdicts: LifecycleVerdict[]): LifecyclePolicyPreview {
    return {
      registryId: this.accountId,
      repositoryName: state.name,
      lifecyclePolicyText: text,
      status: 'COMPLETE',
      previewResults: verdicts.map((v) => ({
        imageTags: [...v.image.imageTags],
        imageDigest: v.image.imageDigest,
        imagePushedAt: new Date(v.image.imagePushedAt),
        action: { type: 'EXPIRE' },
        appliedRulePriority: v.appliedRulePriority
      })),
      summary: { expiringImageTotalCount: verdicts.length }
    }
  }

  /** What the stored policy (or `lifecyclePolicyText`, without storing it) would expire now. */
  async getLifecyclePolicyPreview (input: { repositoryName: string, lifecyclePolicyText?: string }): Promise<LifecyclePolicyPreview> {
    const state = await this.#state(input?.repositoryName)
    const text = input.lifecyclePolicyText ?? state.meta.lifecyclePolicyText
    if (text === undefined) {
      throw new RegistryError('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for the repository with name '${state.name}'`, { kind: 'NotFound' })
    }
    const { verdicts } = this.#preview(state, text)
    return this.#previewShape(state, text, verdicts)
  }

  /** Applies a repository's lifecycle policy now; returns what it expired (preview shape). */
  async applyLifecyclePolicy (input: { repositoryName: string }): Promise<LifecyclePolicyPreview> {
    const state = await this.#state(input?.repositoryName)
    const text = state.meta.lifecyclePolicyText
    if (text === undefined) {
      throw new RegistryError('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for the repository with name '${state.name}'`, { kind: 'NotFound' })
    }
    const verdicts = await state.lock.run(async () => {
      const { verdicts } = this.#preview(state, text)
      for (const v of verdicts) await this.#expire(state, v.image.imageDigest)
      return verdicts
    })
    await this.#updateMeta(state, { lifecycleEvaluatedAt: this.clock.now() })
    const shape = this.#previewShape(state, text, verdicts)
    if (verdicts.length > 0 && lifecycleChannel.hasSubscribers) lifecycleChannel.publish(shape)
    return shape
  }

  /** Deletes an image and the children of an index that no other index still uses. Under the state lock. */
  async #expire (state: RepositoryState, digest: string): Promise<void> {
    const record = state.manifests.get(digest)
    if (record === undefined) return
    await state.deleteManifest(digest)
    for (const child of record.children) {
      const stillUsed = [...state.manifests.values()].some((r) => r.children.includes(child))
      if (!stillUsed && state.tagsOf(child).length === 0) await this.#expire(state, child)
    }
  }

  /** Applies every repository's lifecycle policy (what the periodic evaluation runs). */
  async applyLifecyclePolicies (): Promise<LifecyclePolicyPreview[]> {
    const out: LifecyclePolicyPreview[] = []
    for (const name of this.#distribution.repositories.names()) {
      const state = await this.#distribution.repositories.get(name)
      if (state?.meta.lifecyclePolicyText === undefined) continue
      try {
        out.push(await this.applyLifecyclePolicy({ repositoryName: name }))
      } catch (err) {
        if (!isRegistryError(err, 'RepositoryNotFoundException')) throw err
      }
    }
    return out
  }

  // --- authorization ------------------------------------------------------------------------

  /** ECR GetAuthorizationToken: `docker login -u AWS -p <token>` for 12 hours of clock time. */
  getAuthorizationToken (): { authorizationData: AuthorizationData[] } {
    const { token, expiresAt } = this.#auth.issueToken()
    return {
      authorizationData: [{
        authorizationToken: Buffer.from(`AWS:${token}`).toString('base64'),
        expiresAt: new Date(expiresAt),
        proxyEndpoint: `http://${this.#host()}`
      }]
    }
  }

  get authEnabled (): boolean { return this.#auth.enabled }

  // --- maintenance --------------------------------------------------------------------------

  /** Mark and sweep; see `content/garbage-collector.ts`. */
  garbageCollect (options: { gracePeriodMs?: number, dryRun?: boolean } = {}): Promise<GarbageCollectReport> {
    return garbageCollect(this.#distribution, {
      gracePeriodMs: positiveOr(options.gracePeriodMs, this.#gcGracePeriodMs, 'gracePeriodMs'),
      dryRun: options.dryRun
    })
  }

  /** Deletes upload sessions older than `maxAgeMs` (default: the configured age). */
  purgeStaleUploads (options: { maxAgeMs?: number } = {}): Promise<number> {
    return this.#distribution.uploads.purgeStale(positiveOr(options.maxAgeMs, this.#uploadMaxAgeMs, 'maxAgeMs'))
  }

  // --- image builder -------------------------------------------------------------------------

  /** A Docker-free image builder for `name:tag` (see `builder/image-builder.ts`). */
  image (reference: string): ImageBuilder {
    return ImageBuilder.create(this, reference)
  }

  /** True for media types of an index (used by the builder to pick a platform). */
  static isIndex (mediaType: string): boolean { return INDEX_TYPES.has(mediaType) }
}

export type { IncomingMessage, ServerResponse }
