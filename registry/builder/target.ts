import type { BuiltLayer } from './layer.js'

/**
 * Where the image builder pushes: the registry's own storage (`local-target.ts`, no
 * HTTP), or a registry over the OCI distribution API (the remote SDK's `/v2/` client).
 * The builder composes config and manifest; a target only stores and reads content.
 */
export interface ImageTarget {
  /** `host:port` as a docker client names images of this registry (imageUri). */
  readonly host: string
  /** Opens a push into `repositoryName` (created on push when the registry allows it). */
  openPush (repositoryName: string): Promise<ImagePush>
  /** A base image's manifest, by tag or digest (for `from(ref)`). */
  readManifest (repositoryName: string, reference: string): Promise<{ mediaType: string, body: Buffer }>
  /** A blob's content, verified against its digest (a base image's config). */
  readBlob (repositoryName: string, digest: string): Promise<Buffer>
}

/** One push into one repository. */
export interface ImagePush {
  /** The repository's canonical name. */
  readonly repositoryName: string
  /** Makes a blob already stored (a base image's layer, linked in `fromRepository`) part of this repository. */
  linkBlob (digest: string, fromRepository: string): Promise<void>
  /**
   * Stores a layer as it is built: `build` streams the compressed chunks into the sink it is
   * given and resolves with the layer's digests; the blob is committed under that digest.
   */
  uploadLayer (build: (sink: (chunks: AsyncIterable<Buffer>) => Promise<unknown>) => Promise<BuiltLayer>): Promise<BuiltLayer>
  /** Stores a small blob (the config); resolves with its digest. */
  putBlob (content: Buffer): Promise<string>
  /** Stores the manifest under a tag; resolves with its digest, media type and ECR's imageSizeInBytes. */
  putManifest (tag: string, body: Buffer, mediaType: string): Promise<{ digest: string, mediaType: string, layersSize: number }>
}
