import { channel } from 'node:diagnostics_channel'
import type { RepositoryState } from '../content/repository.js'
import { isRegistryError, RegistryError } from '../errors.js'
import { evaluateLifecyclePolicy, parseLifecyclePolicy, type LifecycleImage, type LifecycleVerdict } from './lifecycle-policy.js'
import type { EcrContext } from './context.js'
import type { LifecyclePolicyPreview } from './shapes.js'

const lifecycleChannel = channel('stratus:registry:lifecycle')

/** ECR's lifecycle policy operations, and applying policies (periodically or on demand). */
export class LifecycleApi {
  constructor (private readonly ctx: EcrContext) {}

  async putLifecyclePolicy (input: { repositoryName: string, lifecyclePolicyText: string }): Promise<{ registryId: string, repositoryName: string, lifecyclePolicyText: string }> {
    const state = await this.ctx.state(input?.repositoryName)
    parseLifecyclePolicy(input.lifecyclePolicyText)
    await this.ctx.updateMeta(state, { lifecyclePolicyText: input.lifecyclePolicyText, lifecycleEvaluatedAt: undefined })
    return { registryId: this.ctx.accountId, repositoryName: state.name, lifecyclePolicyText: input.lifecyclePolicyText }
  }

  async getLifecyclePolicy (input: { repositoryName: string }): Promise<{ registryId: string, repositoryName: string, lifecyclePolicyText: string, lastEvaluatedAt?: Date }> {
    const state = await this.ctx.state(input?.repositoryName)
    const text = state.meta.lifecyclePolicyText
    if (text === undefined) {
      throw new RegistryError('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for the repository with name '${state.name}'`, { kind: 'NotFound' })
    }
    const out: { registryId: string, repositoryName: string, lifecyclePolicyText: string, lastEvaluatedAt?: Date } = {
      registryId: this.ctx.accountId, repositoryName: state.name, lifecyclePolicyText: text
    }
    if (state.meta.lifecycleEvaluatedAt !== undefined) out.lastEvaluatedAt = new Date(state.meta.lifecycleEvaluatedAt)
    return out
  }

  async deleteLifecyclePolicy (input: { repositoryName: string }): Promise<{ registryId: string, repositoryName: string, lifecyclePolicyText: string, lastEvaluatedAt?: Date }> {
    const existing = await this.getLifecyclePolicy(input)
    await this.ctx.updateMeta(await this.ctx.state(input.repositoryName), { lifecyclePolicyText: undefined, lifecycleEvaluatedAt: undefined })
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

  #verdicts (state: RepositoryState, text: string): LifecycleVerdict[] {
    return evaluateLifecyclePolicy(parseLifecyclePolicy(text), this.#lifecycleImages(state), this.ctx.clock.now())
  }

  #previewShape (state: RepositoryState, text: string, verdicts: LifecycleVerdict[]): LifecyclePolicyPreview {
    return {
      registryId: this.ctx.accountId,
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
    const state = await this.ctx.state(input?.repositoryName)
    const text = input.lifecyclePolicyText ?? state.meta.lifecyclePolicyText
    if (text === undefined) {
      throw new RegistryError('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for the repository with name '${state.name}'`, { kind: 'NotFound' })
    }
    return this.#previewShape(state, text, this.#verdicts(state, text))
  }

  /** Applies a repository's lifecycle policy now; returns what it expired (preview shape). */
  async applyLifecyclePolicy (input: { repositoryName: string }): Promise<LifecyclePolicyPreview> {
    const state = await this.ctx.state(input?.repositoryName)
    const text = state.meta.lifecyclePolicyText
    if (text === undefined) {
      throw new RegistryError('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for the repository with name '${state.name}'`, { kind: 'NotFound' })
    }
    const verdicts = await state.lock.run(async () => {
      const verdicts = this.#verdicts(state, text)
      for (const v of verdicts) await this.#expire(state, v.image.imageDigest)
      return verdicts
    })
    await this.ctx.updateMeta(state, { lifecycleEvaluatedAt: this.ctx.clock.now() })
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
    for (const name of this.ctx.distribution.repositories.names()) {
      const state = await this.ctx.distribution.repositories.get(name)
      if (state?.meta.lifecyclePolicyText === undefined) continue
      try {
        out.push(await this.applyLifecyclePolicy({ repositoryName: name }))
      } catch (err) {
        if (!isRegistryError(err, 'RepositoryNotFoundException')) throw err
      }
    }
    return out
  }
}
