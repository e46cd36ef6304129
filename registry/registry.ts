import { channel } from 'node:diagnostics_channel'
import { Periodic, realClock, type Clock } from './clock.js'
import { invalidParameter, RegistryError } from './errors.js'
import { checkRepositoryName } from './names.js'
import type { StorageDriver } from './storage/driver.js'
import { createStorageDriver, type StorageConfig } from './storage/drivers.js'
import { Distribution } from './content/distribution.js'
import { garbageCollect, type GarbageCollectReport } from './content/garbage-collector.js'
import { scrub, type ScrubReport } from './content/scrub.js'
import type { QuarantinedBlob } from './content/quarantine.js'
import type { RepositoryMeta, RepositoryState } from './content/repository.js'
import { Authenticator, type AuthOptions } from './auth/authenticator.js'
import { createRouter, type RequestHandler } from './http/router.js'
import type { EcrContext } from './ecr/context.js'
import { ImageApi } from './ecr/images.js'
import { LifecycleApi } from './ecr/lifecycle.js'
import { maxResultsOf, pageOffset, pageToken } from './ecr/paging.js'
import type { AuthorizationData, ImageTagMutability, Repository } from './ecr/shapes.js'
import { ImageBuilder } from './builder/image-builder.js'
import { localImageTarget } from './builder/local-target.js'
import { LayerApi } from './ecr/layers.js'
import { checkTagList, TagApi, type Tag } from './ecr/tags.js'
import { RepositoryPolicyApi } from './ecr/repository-policy.js'
import type { RegistryAudit, RegistryAuthorize } from './auth/authorize.js'
import { parseLifecyclePolicy } from './ecr/lifecycle-policy.js'
import type { ExternalRepositorySettingsStore } from './settings/settings-store.js'
import { openSettingsStore } from './settings/storage-link.js'

export interface RegistryOptions {
  /** A driver instance or a configuration from the registration table (default: in memory). */
  storage?: StorageDriver | StorageConfig
  /** Time source (default: the real clock). */
  clock?: Clock
  /**
   * Where repository settings live (default: `_repository.json` files in `storage`). The
   * engine passes its Store's. Given one, the storage is linked to it at open, and settings
   * files a registry without one left in the storage are moved into it (see
   * settings/storage-link.ts).
   */
  repositorySettings?: ExternalRepositorySettingsStore
  /** Authentication (default: off). */
  auth?: AuthOptions
  /** A push to a missing repository creates it (default true). */
  createRepositoryOnPush?: boolean
  /** 12-digit account id for ARNs and registryId (default 000000000000). */
  accountId?: string
  /** Region for ARNs (default us-east-1). */
  regionName?: string
  /**
   * The ARN of a repository (the engine passes its one ARN builder, which
   * knows the partition); standalone, arn:aws:ecr:<region>:<account>:repository/<name>.
   */
  repositoryArn?: (repositoryName: string) => string
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
  /**
   * How often every stored blob is read and checked against its digest (default 24 hours;
   * 0: only on demand). Serving verifies what it sends; the scrub finds corruption in blobs
   * nobody pulls. It reads the whole store, one blob at a time.
   */
  scrubIntervalMs?: number
  /** Most upload sessions open at once (default 1000). */
  maxUploadSessions?: number
  /** Bytes of manifests kept in memory for fast GETs (default 32 MiB). */
  manifestCacheBytes?: number
  /** Errors that are not the client's fault (default: published on `stratus:registry:error`). */
  onError?: (err: unknown) => void
  /**
   * With auth on, asked for every /v2/ pull and push made with a principal-bound token
   * (see auth/authorize.ts); a denial answers the OCI DENIED (403) with its message. The
   * engine connects it to IAM, so repository policies are enforced on /v2/.
   */
  authorize?: RegistryAuthorize
  /**
   * With auth on, told once per /v2/ request made with a principal-bound token, allowed or
   * denied, as the ECR event it stands for (see auth/authorize.ts). The engine records it
   * in its audit trail.
   */
  audit?: RegistryAudit
}

const HOUR = 60 * 60 * 1000
const errorChannel = channel('stratus:registry:error')

function positiveOr (value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalidParameter(field, 'must be a non-negative number of milliseconds', '>= 0')
  return value
}

function notFoundRepository (name: string, accountId: string): RegistryError {
  return new RegistryError('RepositoryNotFoundException',
    `The repository with name '${name}' does not exist in the registry with id '${accountId}'`, { kind: 'NotFound', field: 'repositoryName' })
}

/**
 * The built-in registry: an OCI Distribution v1.1 registry served from `handle(req, res)`,
 * with ECR's repository model as methods returning ECR's shapes, and a Docker-free image
 * builder. Everything durable goes through the storage driver.
 */
export class Registry implements AsyncDisposable {
  readonly accountId: string
  readonly regionName: string
  readonly #repositoryArn: (repositoryName: string) => string
  readonly clock: Clock
  readonly storage: StorageDriver
  /** Serves everything under `/v2/` (mount on a `node:http` server). */
  readonly handle: RequestHandler
  readonly #distribution: Distribution
  readonly #auth: Authenticator
  readonly #images: ImageApi
  readonly #lifecycle: LifecycleApi
  readonly #layers: LayerApi
  readonly #tags: TagApi
  readonly #policies: RepositoryPolicyApi
  readonly #periodic: Periodic[] = []
  readonly #uploadMaxAgeMs: number
  readonly #gcGracePeriodMs: number
  #endpoint: string | undefined
  #closed = false
  #scrubbing: Promise<ScrubReport> | undefined

  private constructor (options: RegistryOptions, storage: StorageDriver, clock: Clock) {
    this.accountId = options.accountId ?? '000000000000'
    if (!/^\d{12}$/.test(this.accountId)) throw invalidParameter('accountId', 'must be 12 digits')
    this.regionName = options.regionName ?? 'us-east-1'
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(this.regionName)) throw invalidParameter('regionName', `invalid region ${JSON.stringify(this.regionName)}`, 'like us-east-1')
    this.#repositoryArn = options.repositoryArn ?? ((name) => `arn:aws:ecr:${this.regionName}:${this.accountId}:repository/${name}`)
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
    const ecr: EcrContext = {
      accountId: this.accountId,
      clock,
      distribution: this.#distribution,
      state: (name) => this.#state(name),
      updateMeta: (state, change) => this.#updateMeta(state, change)
    }
    this.#images = new ImageApi(ecr)
    this.#lifecycle = new LifecycleApi(ecr)
    this.#layers = new LayerApi(ecr, () => `http://${this.#host()}`)
    this.#tags = new TagApi(ecr, this.#repositoryArn)
    this.#policies = new RepositoryPolicyApi(ecr)
    const onError = options.onError ?? ((err: unknown) => { if (errorChannel.hasSubscribers) errorChannel.publish({ error: err }) })
    this.handle = createRouter({
      distribution: this.#distribution, auth: this.#auth, onInternalError: onError, authorize: options.authorize, audit: options.audit, repositoryArn: this.#repositoryArn
    })
    const lifecycleEvery = positiveOr(options.lifecycleIntervalMs, HOUR, 'lifecycleIntervalMs')
    const purgeEvery = positiveOr(options.uploadPurgeIntervalMs, HOUR, 'uploadPurgeIntervalMs')
    const gcEvery = positiveOr(options.gcIntervalMs, 0, 'gcIntervalMs')
    const scrubEvery = positiveOr(options.scrubIntervalMs, 24 * HOUR, 'scrubIntervalMs')
    if (lifecycleEvery > 0) this.#periodic.push(new Periodic(clock, lifecycleEvery, () => this.applyLifecyclePolicies(), onError))
    if (purgeEvery > 0) this.#periodic.push(new Periodic(clock, purgeEvery, () => this.purgeStaleUploads(), onError))
    if (gcEvery > 0) this.#periodic.push(new Periodic(clock, gcEvery, () => this.garbageCollect(), onError))
    if (scrubEvery > 0) this.#periodic.push(new Periodic(clock, scrubEvery, () => this.scrub(), onError))
  }

  /**
   * Opens a registry over its storage (loading repository settings and the token key;
   * finishing deletes a crash interrupted).
   */
  static async open (options: RegistryOptions = {}): Promise<Registry> {
    const clock = options.clock ?? realClock
    const storage = options.storage === undefined
      ? createStorageDriver({ driver: 'inmemory' }, clock)
      : 'driver' in options.storage && typeof options.storage.driver === 'string'
        ? createStorageDriver(options.storage as StorageConfig, clock)
        : options.storage as StorageDriver
    const registry = new Registry(options, storage, clock)
    try {
      await registry.#distribution.open(await openSettingsStore(storage, options.repositorySettings, clock))
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
    await this.#scrubbing?.catch(() => undefined) // stops at the next blob
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
      repositoryArn: this.#repositoryArn(meta.repositoryName),
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
      // Deleted while this change waited for the lock: writing would bring its record back.
      if (state.deleted) throw notFoundRepository(state.name, this.accountId)
      const meta = { ...state.meta, ...change }
      await this.#distribution.repositories.saveMeta(state, meta)
      return meta
    })
  }

  async createRepository (input: {
    repositoryName: string
    imageTagMutability?: ImageTagMutability
    imageScanningConfiguration?: { scanOnPush?: boolean }
    /** Allow pulls without credentials when authentication is on. */
    allowAnonymousPull?: boolean
    /** ECR tags, kept (ListTagsForResource). */
    tags?: Tag[]
  }): Promise<{ repository: Repository }> {
    const name = checkRepositoryName(input?.repositoryName)
    const mutability = input.imageTagMutability ?? 'MUTABLE'
    if (mutability !== 'MUTABLE' && mutability !== 'IMMUTABLE') throw invalidParameter('imageTagMutability', `invalid value ${JSON.stringify(mutability)}`, 'MUTABLE | IMMUTABLE')
    const scanOnPush = input.imageScanningConfiguration?.scanOnPush ?? false
    if (typeof scanOnPush !== 'boolean') throw invalidParameter('imageScanningConfiguration.scanOnPush', 'must be a boolean')
    const anonymous = input.allowAnonymousPull ?? false
    if (typeof anonymous !== 'boolean') throw invalidParameter('allowAnonymousPull', 'must be a boolean')
    const tags = checkTagList(input.tags)
    const state = await this.#distribution.createRepository({
      repositoryName: name, imageTagMutability: mutability, scanOnPush, allowAnonymousPull: anonymous,
      ...(tags !== undefined && Object.keys(tags).length > 0 ? { tags } : {})
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
    for (const name of page) {
      const meta = this.#distribution.repositories.meta(name)
      if (meta !== undefined) repositories.push(this.#repositoryShape(meta))
    }
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

  // --- repository policies (ecr/repository-policy.ts) -----------------------------------------

  setRepositoryPolicy (input: Parameters<RepositoryPolicyApi['setRepositoryPolicy']>[0]): ReturnType<RepositoryPolicyApi['setRepositoryPolicy']> { return this.#policies.setRepositoryPolicy(input) }
  getRepositoryPolicy (input: Parameters<RepositoryPolicyApi['getRepositoryPolicy']>[0]): ReturnType<RepositoryPolicyApi['getRepositoryPolicy']> { return this.#policies.getRepositoryPolicy(input) }
  deleteRepositoryPolicy (input: Parameters<RepositoryPolicyApi['deleteRepositoryPolicy']>[0]): ReturnType<RepositoryPolicyApi['deleteRepositoryPolicy']> { return this.#policies.deleteRepositoryPolicy(input) }

  // --- images (ecr/images.ts) -------------------------------------------------------------

  describeImages (input: Parameters<ImageApi['describeImages']>[0]): ReturnType<ImageApi['describeImages']> { return this.#images.describeImages(input) }
  listImages (input: Parameters<ImageApi['listImages']>[0]): ReturnType<ImageApi['listImages']> { return this.#images.listImages(input) }
  listTags (input: Parameters<ImageApi['listTags']>[0]): ReturnType<ImageApi['listTags']> { return this.#images.listTags(input) }
  batchDeleteImage (input: Parameters<ImageApi['batchDeleteImage']>[0]): ReturnType<ImageApi['batchDeleteImage']> { return this.#images.batchDeleteImage(input) }
  batchGetImage (input: Parameters<ImageApi['batchGetImage']>[0]): ReturnType<ImageApi['batchGetImage']> { return this.#images.batchGetImage(input) }
  putImage (input: Parameters<ImageApi['putImage']>[0]): ReturnType<ImageApi['putImage']> { return this.#images.putImage(input) }

  // --- lifecycle policies (ecr/lifecycle.ts) ----------------------------------------------

  putLifecyclePolicy (input: Parameters<LifecycleApi['putLifecyclePolicy']>[0]): ReturnType<LifecycleApi['putLifecyclePolicy']> { return this.#lifecycle.putLifecyclePolicy(input) }
  getLifecyclePolicy (input: Parameters<LifecycleApi['getLifecyclePolicy']>[0]): ReturnType<LifecycleApi['getLifecyclePolicy']> { return this.#lifecycle.getLifecyclePolicy(input) }
  deleteLifecyclePolicy (input: Parameters<LifecycleApi['deleteLifecyclePolicy']>[0]): ReturnType<LifecycleApi['deleteLifecyclePolicy']> { return this.#lifecycle.deleteLifecyclePolicy(input) }
  /**
   * What the last StartLifecyclePolicyPreview's policy (else the stored policy, or
   * `lifecyclePolicyText` given here) would expire now.
   */
  async getLifecyclePolicyPreview (input: Parameters<LifecycleApi['getLifecyclePolicyPreview']>[0]): ReturnType<LifecycleApi['getLifecyclePolicyPreview']> {
    const state = await this.#state(input?.repositoryName)
    const text = input.lifecyclePolicyText ?? state.meta.lifecyclePreviewText
    return this.#lifecycle.getLifecyclePolicyPreview({ repositoryName: state.name, ...(text !== undefined ? { lifecyclePolicyText: text } : {}) })
  }

  /**
   * ECR StartLifecyclePolicyPreview: records the policy to preview (given, else the stored
   * one); GetLifecyclePolicyPreview shows its result. The evaluation is immediate, so the
   * preview is COMPLETE by the time it is asked for.
   */
  async startLifecyclePolicyPreview (input: { repositoryName: string, lifecyclePolicyText?: string }): Promise<{ registryId: string, repositoryName: string, lifecyclePolicyText: string, status: 'IN_PROGRESS' }> {
    const state = await this.#state(input?.repositoryName)
    const text = input.lifecyclePolicyText ?? state.meta.lifecyclePolicyText
    if (text === undefined) {
      throw new RegistryError('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for the repository with name '${state.name}'`, { kind: 'NotFound' })
    }
    parseLifecyclePolicy(text)
    await this.#updateMeta(state, { lifecyclePreviewText: text })
    return { registryId: this.accountId, repositoryName: state.name, lifecyclePolicyText: text, status: 'IN_PROGRESS' }
  }
  applyLifecyclePolicy (input: Parameters<LifecycleApi['applyLifecyclePolicy']>[0]): ReturnType<LifecycleApi['applyLifecyclePolicy']> { return this.#lifecycle.applyLifecyclePolicy(input) }
  /** Applies every repository's lifecycle policy (what the periodic evaluation runs). */
  applyLifecyclePolicies (): ReturnType<LifecycleApi['applyLifecyclePolicies']> { return this.#lifecycle.applyLifecyclePolicies() }

  // --- layers (ecr/layers.ts) ---------------------------------------------------------------

  batchCheckLayerAvailability (input: Parameters<LayerApi['batchCheckLayerAvailability']>[0]): ReturnType<LayerApi['batchCheckLayerAvailability']> { return this.#layers.batchCheckLayerAvailability(input) }
  initiateLayerUpload (input: Parameters<LayerApi['initiateLayerUpload']>[0]): ReturnType<LayerApi['initiateLayerUpload']> { return this.#layers.initiateLayerUpload(input) }
  uploadLayerPart (input: Parameters<LayerApi['uploadLayerPart']>[0]): ReturnType<LayerApi['uploadLayerPart']> { return this.#layers.uploadLayerPart(input) }
  completeLayerUpload (input: Parameters<LayerApi['completeLayerUpload']>[0]): ReturnType<LayerApi['completeLayerUpload']> { return this.#layers.completeLayerUpload(input) }
  getDownloadUrlForLayer (input: Parameters<LayerApi['getDownloadUrlForLayer']>[0]): ReturnType<LayerApi['getDownloadUrlForLayer']> { return this.#layers.getDownloadUrlForLayer(input) }

  // --- tags (ecr/tags.ts) and the registry -------------------------------------------------

  tagResource (input: Parameters<TagApi['tagResource']>[0]): ReturnType<TagApi['tagResource']> { return this.#tags.tagResource(input) }
  untagResource (input: Parameters<TagApi['untagResource']>[0]): ReturnType<TagApi['untagResource']> { return this.#tags.untagResource(input) }
  listTagsForResource (input: Parameters<TagApi['listTagsForResource']>[0]): ReturnType<TagApi['listTagsForResource']> { return this.#tags.listTagsForResource(input) }
  /** A repository's tags for IAM's aws:ResourceTag/<key>; undefined when it does not exist. */
  resourceTags (repositoryArn: string): Record<string, string> | undefined { return this.#tags.resourceTags(repositoryArn) }
  /** A repository's policy text for IAM (resource-based policy); undefined when it has none. */
  resourcePolicy (repositoryArn: string): string | undefined {
    const at = repositoryArn.indexOf(':repository/')
    const name = at < 0 ? '' : repositoryArn.slice(at + ':repository/'.length)
    return name === '' || this.#repositoryArn(name) !== repositoryArn ? undefined : this.#distribution.repositories.meta(name)?.repositoryPolicyText
  }

  /** ECR DescribeRegistry: this registry's id; replication is not configured (Stratus has one region). */
  describeRegistry (): { registryId: string, replicationConfiguration: { rules: never[] } } {
    return { registryId: this.accountId, replicationConfiguration: { rules: [] } }
  }

  // --- authorization ------------------------------------------------------------------------

  /**
   * ECR GetAuthorizationToken: `docker login -u AWS -p <token>` for 12 hours of clock time.
   * Given the caller's principal (an IAM ARN), the token is bound to it: /v2/ requests made
   * with it are put to the `authorize` hook as that principal.
   */
  getAuthorizationToken (input: { principal?: string } = {}): { authorizationData: AuthorizationData[] } {
    if (input.principal !== undefined && (typeof input.principal !== 'string' || !input.principal.startsWith('arn:') || input.principal.length > 2048)) {
      throw invalidParameter('principal', 'must be an IAM principal ARN', 'arn:…, up to 2048 characters')
    }
    const { token, expiresAt } = this.#auth.issueToken(undefined, input.principal)
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

  /**
   * Reads every stored blob and checks it against its digest; corrupted ones are quarantined
   * (reported on `stratus:registry:blob-corrupt`, no longer served, repaired by a push of the
   * same content). A call while a scrub runs gets that scrub's report. See `content/scrub.ts`.
   */
  scrub (): Promise<ScrubReport> {
    this.#scrubbing ??= scrub(this.#distribution, { stopped: () => this.#closed }).finally(() => { this.#scrubbing = undefined })
    return this.#scrubbing
  }

  /** Blobs found corrupted and not repaired yet: what was found, when, by whom, and who linked them. */
  quarantinedBlobs (): QuarantinedBlob[] {
    return this.#distribution.blobs.quarantine.list()
  }

  /** Deletes upload sessions older than `maxAgeMs` (default: the configured age). */
  purgeStaleUploads (options: { maxAgeMs?: number } = {}): Promise<number> {
    return this.#distribution.uploads.purgeStale(positiveOr(options.maxAgeMs, this.#uploadMaxAgeMs, 'maxAgeMs'))
  }

  // --- image builder -------------------------------------------------------------------------

  /** A Docker-free image builder for `name:tag` (see `builder/image-builder.ts`). */
  image (reference: string): ImageBuilder {
    return ImageBuilder.create(localImageTarget(this), reference)
  }
}

