import { ociError } from '../errors.js'
import type { Registry } from '../registry.js'
import type { ImagePush, ImageTarget } from './target.js'

/** The registry's own storage as an image target: layers stream into upload sessions, no HTTP. */
export function localImageTarget (registry: Registry): ImageTarget {
  const d = registry.distribution
  return {
    get host () { return registry.endpoint ?? `${registry.accountId}.dkr.ecr.${registry.regionName}.amazonaws.com` },
    async openPush (repositoryName): Promise<ImagePush> {
      const state = await d.repositoryForPush(repositoryName)
      return {
        repositoryName: state.name,
        linkBlob: (digest) => d.linkStoredBlob(state, digest),
        async uploadLayer (build) {
          const session = await d.uploads.start(state.name)
          try {
            const layer = await session.lock.run(() => build((chunks) => d.uploads.append(session, chunks)))
            await d.completeUpload(state, session, layer.digest)
            return layer
          } catch (err) {
            await d.uploads.cancel(session).catch(() => undefined)
            throw err
          }
        },
        putBlob: (content) => d.putBlobContent(state, content),
        async putManifest (tag, body, mediaType) {
          const record = await d.putManifest(state, tag, body, mediaType)
          return { digest: record.digest, mediaType: record.mediaType, layersSize: record.layersSize }
        }
      }
    },
    async readManifest (repositoryName, reference) {
      const { record, body } = await d.getManifest(await d.repository(repositoryName), reference)
      return { mediaType: record.mediaType, body }
    },
    readBlob: (_repositoryName, digest) =>
      d.verifiedContent(digest, () => ociError('BLOB_UNKNOWN', `blob ${digest} is not available (missing or corrupted in storage)`))
  }
}
