// The registry part of the SDK: repositories in ECR's shapes, and the image
// builder that pushes without Docker, over the RegistryService (the engine's
// registry in this process, the ECR API and /v2/ remotely).

import type {
  Repository, ImageDetail, LifecyclePolicyPreview, AuthorizationData, ImageBuilder, ImageTagMutability, ScrubReport, QuarantinedBlob, GarbageCollectReport
} from '../runtime/index.js'
import type { RegistryService } from './services.js'

export class RepositoryHandle {
  readonly name: string
  readonly #registry: RegistryService

  constructor(registry: RegistryService, name: string) {
    this.#registry = registry
    this.name = name
  }

  async create(options: { tagMutability?: ImageTagMutability; scanOnPush?: boolean; allowAnonymousPull?: boolean } = {}): Promise<Repository> {
    const { repository } = await this.#registry.createRepository({
      repositoryName: this.name,
      ...(options.tagMutability ? { imageTagMutability: options.tagMutability } : {}),
      ...(options.scanOnPush !== undefined ? { imageScanningConfiguration: { scanOnPush: options.scanOnPush } } : {}),
      ...(options.allowAnonymousPull !== undefined ? { allowAnonymousPull: options.allowAnonymousPull } : {})
    })
    return repository
  }

  async describe(): Promise<Repository> {
    const { repositories } = await this.#registry.describeRepositories({ repositoryNames: [this.name] })
    return repositories[0]
  }

  /** Every image (ECR DescribeImages), all pages. */
  async images(): Promise<ImageDetail[]> {
    const out: ImageDetail[] = []
    let nextToken: string | undefined
    do {
      const page = await this.#registry.describeImages({ repositoryName: this.name, ...(nextToken ? { nextToken } : {}) })
      out.push(...page.imageDetails)
      nextToken = page.nextToken
    } while (nextToken !== undefined)
    return out
  }

  async tags(): Promise<string[]> {
    return (await this.images()).flatMap((i) => i.imageTags ?? []).sort()
  }

  async delete(options: { force?: boolean } = {}): Promise<Repository> {
    const { repository } = await this.#registry.deleteRepository({ repositoryName: this.name, force: options.force })
    return repository
  }

  async setTagMutability(mutability: ImageTagMutability): Promise<void> {
    await this.#registry.putImageTagMutability({ repositoryName: this.name, imageTagMutability: mutability })
  }

  /** Sets the lifecycle policy (ECR's JSON, as a string or an object). */
  async lifecyclePolicy(policy: string | object): Promise<void> {
    await this.#registry.putLifecyclePolicy({ repositoryName: this.name, lifecyclePolicyText: typeof policy === 'string' ? policy : JSON.stringify(policy) })
  }

  /** The lifecycle policy's JSON text, or undefined when the repository has none. */
  async getLifecyclePolicy(): Promise<string | undefined> {
    try {
      return (await this.#registry.getLifecyclePolicy({ repositoryName: this.name })).lifecyclePolicyText
    } catch (error) {
      if ((error as { code?: string }).code === 'LifecyclePolicyNotFoundException') return undefined
      throw error
    }
  }

  /** ECR-style credentials for this registry (`docker login -u AWS -p …`), valid 12 hours of clock time. */
  async authorizationToken(): Promise<AuthorizationData> {
    return (await this.#registry.getAuthorizationToken()).authorizationData[0]
  }

  /** Allows or refuses pulls without credentials (when the registry requires them). */
  async allowAnonymousPull(allow: boolean): Promise<void> {
    await this.#registry.setAnonymousPull({ repositoryName: this.name, allowAnonymousPull: allow })
  }

  /** What the lifecycle policy (or `policy`, if given) would expire now. */
  async preview(policy?: string | object): Promise<LifecyclePolicyPreview> {
    return this.#registry.getLifecyclePolicyPreview({
      repositoryName: this.name,
      ...(policy !== undefined ? { lifecyclePolicyText: typeof policy === 'string' ? policy : JSON.stringify(policy) } : {})
    })
  }

  /** Applies the lifecycle policy now. */
  async expire(): Promise<LifecyclePolicyPreview> {
    return this.#registry.applyLifecyclePolicy({ repositoryName: this.name })
  }
}

export class RegistryClient {
  readonly registry: RegistryService

  constructor(registry: RegistryService) {
    this.registry = registry
  }

  /** host:port for docker and skopeo (plain HTTP on loopback). */
  get endpoint(): string {
    return this.registry.endpoint ?? ''
  }

  repository(name: string): RepositoryHandle {
    return new RepositoryHandle(this.registry, name)
  }

  /** An image to build and push without Docker: `.fromScratch().addFile(…).cmd([…]).push()`. */
  image(reference: string): ImageBuilder {
    return this.registry.image(reference)
  }

  /** ECR-style credentials (user AWS, valid 12 hours of clock time) for `docker login`. */
  async authorizationToken(): Promise<AuthorizationData> {
    return (await this.registry.getAuthorizationToken()).authorizationData[0]
  }

  /**
   * Reads every stored blob and checks it against its digest now. Corrupted blobs are
   * quarantined: no repository serves them (404 BLOB_UNKNOWN) until the same content is
   * pushed again. The registry also does this on its own clock (`scrubIntervalMs`, default daily).
   */
  scrub(): Promise<ScrubReport> {
    return this.registry.scrub()
  }

  /** Blobs found corrupted (by a scrub, or while being served) and not repaired yet. */
  quarantinedBlobs(): Promise<QuarantinedBlob[]> {
    return this.registry.quarantinedBlobs()
  }

  /** Deletes blobs no manifest references (past the grace period; `dryRun` reports without deleting). */
  garbageCollect(options: { gracePeriodMs?: number; dryRun?: boolean } = {}): Promise<GarbageCollectReport> {
    return this.registry.garbageCollect(options)
  }
}
