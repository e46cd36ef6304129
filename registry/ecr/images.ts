import type { ManifestRecord, RepositoryState } from '../content/repository.js'
import type { EcrContext } from './context.js'
import { digestOf, parseDigest } from '../digest.js'
import { invalidParameter, RegistryError } from '../errors.js'
import { checkTag, isTag } from '../names.js'
import { maxResultsOf, pageOffset, pageToken } from './paging.js'
import type { Image, ImageDetail, ImageFailure, ImageIdentifier, TagStatusFilter } from './shapes.js'

export interface DescribeImagesInput {
  repositoryName: string
  imageIds?: ImageIdentifier[]
  filter?: { tagStatus?: TagStatusFilter, imageStatus?: 'ACTIVE' | 'ANY' | 'ARCHIVED' | 'ACTIVATING' }
  maxResults?: number
  nextToken?: string
}

const TAG_STATUSES = ['TAGGED', 'UNTAGGED', 'ANY']
/** Every image here is ACTIVE (nothing is archived), so ARCHIVED and ACTIVATING match none. */
const IMAGE_STATUSES = ['ACTIVE', 'ANY', 'ARCHIVED', 'ACTIVATING']

/** ListImages' and DescribeImages' filter, checked whole: a filter that is not the model's shape is refused, naming the member. */
function checkFilter (filter: unknown): { tagStatus: TagStatusFilter, none: boolean } {
  if (filter === undefined || filter === null) return { tagStatus: 'ANY', none: false }
  if (typeof filter !== 'object' || Array.isArray(filter)) throw invalidParameter('filter', `must be an object with tagStatus and imageStatus, got ${JSON.stringify(filter).slice(0, 100)}`)
  const f = filter as Record<string, unknown>
  for (const member of Object.keys(f)) {
    if (member !== 'tagStatus' && member !== 'imageStatus') throw invalidParameter(`filter.${member.slice(0, 100)}`, 'is not a member of the filter', 'tagStatus, imageStatus')
  }
  const tagStatus = f.tagStatus ?? 'ANY'
  if (typeof tagStatus !== 'string' || !TAG_STATUSES.includes(tagStatus)) throw invalidParameter('filter.tagStatus', `invalid value ${JSON.stringify(tagStatus)?.slice(0, 100)}`, TAG_STATUSES.join(' | '))
  const imageStatus = f.imageStatus ?? 'ACTIVE'
  if (typeof imageStatus !== 'string' || !IMAGE_STATUSES.includes(imageStatus)) throw invalidParameter('filter.imageStatus', `invalid value ${JSON.stringify(imageStatus)?.slice(0, 100)}`, IMAGE_STATUSES.join(' | '))
  return { tagStatus: tagStatus as TagStatusFilter, none: imageStatus === 'ARCHIVED' || imageStatus === 'ACTIVATING' }
}

/** ECR's image operations (DescribeImages, ListImages, BatchDeleteImage, BatchGetImage, PutImage). */
export class ImageApi {
  constructor (private readonly ctx: EcrContext) {}

  #detail (state: RepositoryState, record: ManifestRecord): ImageDetail {
    const detail: ImageDetail = {
      registryId: this.ctx.accountId,
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
    const state = await this.ctx.state(input?.repositoryName)
    const filter = checkFilter(input.filter)
    let records: ManifestRecord[]
    if (input.imageIds !== undefined) {
      const { found, failures } = this.#resolveIds(state, input.imageIds)
      if (failures.length > 0) {
        const f = failures[0]
        throw new RegistryError(f.failureCode === 'ImageNotFound' ? 'ImageNotFoundException' : 'InvalidParameterException',
          `The image with imageId ${JSON.stringify(f.imageId)} does not exist within the repository with name '${state.name}' in the registry with id '${this.ctx.accountId}'`,
          { kind: f.failureCode === 'ImageNotFound' ? 'NotFound' : 'InvalidArgument', field: 'imageIds' })
      }
      records = [...new Set(found.map((f) => f.digest))].map((d) => state.manifests.get(d)!)
    } else {
      const status = filter.tagStatus
      records = filter.none ? [] : [...state.manifests.values()].filter((r) => {
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

  async listImages (input: { repositoryName: string, filter?: DescribeImagesInput['filter'], maxResults?: number, nextToken?: string }): Promise<{ imageIds: ImageIdentifier[], nextToken?: string }> {
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
    const state = await this.ctx.state(input?.repositoryName)
    return [...state.tags.keys()].sort()
  }

  /**
   * ECR BatchDeleteImage: by digest removes the image and its tags; by tag removes the tag,
   * and the image with it when that was its last tag.
   */
  async batchDeleteImage (input: { repositoryName: string, imageIds: ImageIdentifier[] }): Promise<{ imageIds: ImageIdentifier[], failures: ImageFailure[] }> {
    const state = await this.ctx.state(input?.repositoryName)
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
    const state = await this.ctx.state(input?.repositoryName)
    const { found, failures } = this.#resolveIds(state, input.imageIds)
    const images: Image[] = []
    for (const { id, digest } of found) {
      const record = state.manifests.get(digest)!
      if (input.acceptedMediaTypes !== undefined && !input.acceptedMediaTypes.includes(record.mediaType)) {
        failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: `manifest is a ${record.mediaType}, not an accepted media type` })
        continue
      }
      const body = await this.ctx.distribution.manifestBody(digest)
      images.push({
        registryId: this.ctx.accountId,
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
    const state = await this.ctx.state(input?.repositoryName)
    if (typeof input.imageManifest !== 'string' || input.imageManifest === '') throw invalidParameter('imageManifest', 'must be a manifest JSON string')
    if (input.imageTag !== undefined) checkTag(input.imageTag)
    const body = Buffer.from(input.imageManifest)
    if (input.imageDigest !== undefined) {
      parseDigest(input.imageDigest, 'imageDigest')
      if (digestOf(body, parseDigest(input.imageDigest).algorithm) !== input.imageDigest) throw invalidParameter('imageDigest', 'does not match the manifest')
    }
    const reference = input.imageTag ?? input.imageDigest ?? digestOf(body)
    const record = await this.ctx.distribution.putManifest(state, reference, body, input.imageManifestMediaType)
    return {
      image: {
        registryId: this.ctx.accountId,
        repositoryName: state.name,
        imageId: { imageDigest: record.digest, ...(input.imageTag !== undefined ? { imageTag: input.imageTag } : {}) },
        imageManifest: input.imageManifest,
        imageManifestMediaType: record.mediaType
      }
    }
  }
}
