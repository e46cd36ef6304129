import { parseDigest } from '../digest.js'
import { invalidParameter, isRegistryError, RegistryError } from '../errors.js'
import type { UploadSession } from '../content/uploads.js'
import type { EcrContext } from './context.js'

/**
 * ECR's layer operations (what `docker push` does through the ECR API in tools that do not
 * speak /v2/): BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart,
 * CompleteLayerUpload, GetDownloadUrlForLayer. They run on the same upload sessions and
 * blob store as /v2/, so a layer uploaded one way is there for the other.
 */
export const LAYER_LIMITS = {
  digests: 100,
  /** layerPartBlob, as ECR's model bounds it (20 MiB). */
  partBytes: 20 * 1024 * 1024
} as const

export interface Layer {
  layerDigest: string
  layerAvailability: 'AVAILABLE' | 'UNAVAILABLE'
  layerSize?: number
}

export interface LayerFailure {
  layerDigest: string
  failureCode: 'InvalidLayerDigest' | 'MissingLayerDigest'
  failureReason: string
}

function uploadNotFound (uploadId: unknown, repositoryName: string): RegistryError {
  return new RegistryError('UploadNotFoundException',
    `The upload with upload ID '${String(uploadId).slice(0, 64)}' does not exist in the repository with name '${repositoryName}'`, { kind: 'NotFound', field: 'uploadId' })
}

export class LayerApi {
  constructor (private readonly ctx: EcrContext, private readonly downloadBase: () => string) {}

  async #session (repositoryName: string, uploadId: unknown): Promise<UploadSession> {
    if (typeof uploadId !== 'string') throw invalidParameter('uploadId', 'must be the upload ID InitiateLayerUpload returned')
    try {
      return await this.ctx.distribution.uploads.get(repositoryName, uploadId)
    } catch (err) {
      if (isRegistryError(err, 'BLOB_UPLOAD_UNKNOWN')) throw uploadNotFound(uploadId, repositoryName)
      throw err
    }
  }

  async batchCheckLayerAvailability (input: { repositoryName: string, layerDigests: string[] }): Promise<{ layers: Layer[], failures: LayerFailure[] }> {
    const state = await this.ctx.state(input?.repositoryName)
    const digests = input.layerDigests
    if (!Array.isArray(digests) || digests.length < 1 || digests.length > LAYER_LIMITS.digests) {
      throw invalidParameter('layerDigests', 'must list layer digests', `1..${LAYER_LIMITS.digests}`)
    }
    const layers: Layer[] = []
    const failures: LayerFailure[] = []
    for (const digest of digests) {
      if (typeof digest !== 'string' || digest === '') {
        failures.push({ layerDigest: String(digest ?? ''), failureCode: 'MissingLayerDigest', failureReason: 'The layer digest is missing' })
        continue
      }
      try {
        parseDigest(digest)
      } catch {
        failures.push({ layerDigest: digest, failureCode: 'InvalidLayerDigest', failureReason: `Invalid layer digest: ${digest.slice(0, 100)}` })
        continue
      }
      const size = await this.ctx.distribution.blobSize(state, digest)
      layers.push(size === undefined ? { layerDigest: digest, layerAvailability: 'UNAVAILABLE' } : { layerDigest: digest, layerAvailability: 'AVAILABLE', layerSize: size })
    }
    return { layers, failures }
  }

  async initiateLayerUpload (input: { repositoryName: string }): Promise<{ uploadId: string, partSize: number }> {
    const state = await this.ctx.state(input?.repositoryName)
    const session = await this.ctx.distribution.uploads.start(state.name)
    return { uploadId: session.uuid, partSize: LAYER_LIMITS.partBytes }
  }

  /** One part: it must start at the byte after the last one received, and be as long as its range says. */
  async uploadLayerPart (input: { repositoryName: string, uploadId: string, partFirstByte: number, partLastByte: number, layerPartBlob: Uint8Array }): Promise<{ registryId: string, repositoryName: string, uploadId: string, lastByteReceived: number }> {
    const state = await this.ctx.state(input?.repositoryName)
    const { partFirstByte: first, partLastByte: last, layerPartBlob: blob } = input
    if (!(blob instanceof Uint8Array)) throw invalidParameter('layerPartBlob', 'must be the part\'s bytes')
    if (blob.byteLength > LAYER_LIMITS.partBytes) throw invalidParameter('layerPartBlob', `is ${blob.byteLength} bytes`, `at most ${LAYER_LIMITS.partBytes} bytes`)
    for (const [field, v] of [['partFirstByte', first], ['partLastByte', last]] as const) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalidParameter(field, `must be a non-negative integer, got ${String(v)}`, '>= 0')
    }
    const session = await this.#session(state.name, input.uploadId)
    return session.lock.run(async () => {
      const received = session.size
      const refuse = (why: string): never => {
        throw new RegistryError('InvalidLayerPartException', `${why} (last valid byte received: ${received - 1})`, {
          kind: 'InvalidArgument', field: 'partFirstByte', detail: { registryId: this.ctx.accountId, repositoryName: state.name, uploadId: session.uuid, lastValidByteReceived: received - 1 }
        })
      }
      if (first !== received) refuse(`partFirstByte ${first} must be the byte after the last one received, ${received}`)
      if (last < first) refuse(`partLastByte ${last} is before partFirstByte ${first}`)
      if (last - first + 1 !== blob.byteLength) refuse(`the part is ${blob.byteLength} bytes, its range ${first}-${last} says ${last - first + 1}`)
      await this.ctx.distribution.uploads.append(session, (async function * () { yield blob })())
      return { registryId: this.ctx.accountId, repositoryName: state.name, uploadId: session.uuid, lastByteReceived: session.size - 1 }
    })
  }

  async completeLayerUpload (input: { repositoryName: string, uploadId: string, layerDigests: string[] }): Promise<{ registryId: string, repositoryName: string, uploadId: string, layerDigest: string }> {
    const state = await this.ctx.state(input?.repositoryName)
    const digests = input.layerDigests
    if (!Array.isArray(digests) || digests.length !== 1 || typeof digests[0] !== 'string') throw invalidParameter('layerDigests', 'must hold the layer\'s one digest', '1 digest')
    const digest = digests[0]
    try {
      parseDigest(digest, 'layerDigests')
    } catch {
      throw new RegistryError('InvalidLayerException', `Invalid layer digest: ${digest.slice(0, 100)}`, { kind: 'InvalidArgument', field: 'layerDigests' })
    }
    const session = await this.#session(state.name, input.uploadId)
    return session.lock.run(async () => {
      if (session.ended) throw uploadNotFound(input.uploadId, state.name)
      if (session.size === 0) {
        throw new RegistryError('EmptyUploadException', `The upload with upload ID '${session.uuid}' in the repository with name '${state.name}' has no layer parts`, { kind: 'InvalidArgument', field: 'uploadId' })
      }
      if (state.layers.has(digest) && await this.ctx.distribution.blobSize(state, digest) !== undefined) {
        await this.ctx.distribution.uploads.cancel(session)
        throw new RegistryError('LayerAlreadyExistsException', `The layer '${digest}' already exists in the repository with name '${state.name}'`, { kind: 'Conflict', field: 'layerDigests' })
      }
      try {
        await this.ctx.distribution.completeUpload(state, session, digest)
      } catch (err) {
        if (isRegistryError(err, 'DIGEST_INVALID')) {
          throw new RegistryError('InvalidLayerException', `The layer's bytes do not match its digest ${digest}`, { kind: 'InvalidArgument', field: 'layerDigests', cause: err })
        }
        throw err
      }
      return { registryId: this.ctx.accountId, repositoryName: state.name, uploadId: session.uuid, layerDigest: digest }
    })
  }

  /** A URL on the registry's endpoint that serves the layer (its /v2/ blob URL: it answers when auth allows). */
  async getDownloadUrlForLayer (input: { repositoryName: string, layerDigest: string }): Promise<{ downloadUrl: string, layerDigest: string }> {
    const state = await this.ctx.state(input?.repositoryName)
    const digest = input.layerDigest
    if (typeof digest !== 'string') throw invalidParameter('layerDigest', 'is required')
    try {
      parseDigest(digest, 'layerDigest')
    } catch (err) {
      throw invalidParameter('layerDigest', (err as Error).message)
    }
    if (!state.layers.has(digest) && !state.manifests.has(digest)) {
      throw new RegistryError('LayersNotFoundException', `The layer '${digest}' does not exist in the repository with name '${state.name}'`, { kind: 'NotFound', field: 'layerDigest' })
    }
    if (await this.ctx.distribution.blobSize(state, digest) === undefined || this.ctx.distribution.blobs.quarantine.has(digest)) {
      throw new RegistryError('LayerInaccessibleException', `The layer '${digest}' is not accessible (its bytes are missing or failed their check)`, { kind: 'Unavailable', field: 'layerDigest' })
    }
    return { downloadUrl: `${this.downloadBase()}/v2/${state.name}/blobs/${digest}`, layerDigest: digest }
  }
}
