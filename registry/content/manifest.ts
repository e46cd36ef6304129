import { ociError, type RegistryError } from '../errors.js'
import { parseDigest } from '../digest.js'
import { baseMediaType, IMAGE_MANIFEST_TYPES, INDEX_TYPES, MANIFEST_TYPES, MediaType } from '../media-types.js'

/**
 * Parsing and validation of pushed manifests (OCI image manifest and index, Docker schema 2
 * manifest and manifest list). Validation collects every problem it can name; the caller
 * turns references into MANIFEST_BLOB_UNKNOWN errors after checking storage.
 */
export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  artifactType?: string
  annotations?: Record<string, string>
  urls?: string[]
  platform?: { architecture?: string, os?: string, variant?: string }
}

export interface ParsedManifest {
  readonly mediaType: string
  readonly kind: 'image' | 'index'
  readonly config: Descriptor | undefined
  readonly layers: readonly Descriptor[]
  /** Child manifests of an index. */
  readonly manifests: readonly Descriptor[]
  readonly subject: Descriptor | undefined
  /** `artifactType`, else (image manifests) the config media type: what the referrers API reports. */
  readonly artifactType: string | undefined
  readonly annotations: Record<string, string> | undefined
}

export const MANIFEST_SIZE_LIMIT = 4 * 1024 * 1024

function invalid (message: string, detail?: unknown): RegistryError {
  return ociError('MANIFEST_INVALID', message, { detail })
}

function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * Annotations are a string-to-string map (OCI image spec). Anything else is refused here: the
 * record stores them and the referrers API serves them, so a nested value would also reach
 * JSON.stringify unbounded.
 */
function checkAnnotations (value: unknown, where: string): void {
  if (value === undefined) return
  if (!isObject(value)) throw invalid(`${where}: must be an object of strings`)
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalid(`${where}.${key.slice(0, 100)}: annotation values must be strings`)
  }
}

function descriptor (value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw invalid(`${where}: descriptor must be an object`)
  const { mediaType, digest, size } = value
  if (typeof mediaType !== 'string' || mediaType === '') throw invalid(`${where}.mediaType: required string`)
  if (typeof digest !== 'string') throw invalid(`${where}.digest: required string`)
  try { parseDigest(digest, `${where}.digest`) } catch (err) { throw invalid(`${where}.digest: invalid digest`, (err as RegistryError).detail) }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(`${where}.size: must be a non-negative integer`)
  checkAnnotations(value.annotations, `${where}.annotations`)
  if (value.urls !== undefined && !Array.isArray(value.urls)) throw invalid(`${where}.urls: must be an array`)
  return value as unknown as Descriptor
}

/**
 * Parses `body` pushed with `Content-Type: contentType`. The media type comes from the
 * header; a `mediaType` field in the body must agree with it. Without a usable header, the
 * body's `mediaType` decides, else the shape (`manifests` → index, `config` → image).
 */
export function parseManifest (body: Buffer, contentType: string | undefined): ParsedManifest {
  if (body.length > MANIFEST_SIZE_LIMIT) {
    throw ociError('SIZE_INVALID', `manifest is ${body.length} bytes; the limit is ${MANIFEST_SIZE_LIMIT}`, { status: 413 })
  }
  let json: unknown
  try { json = JSON.parse(body.toString('utf8')) } catch (err) { throw invalid('manifest is not valid JSON', { cause: String(err) }) }
  if (!isObject(json)) throw invalid('manifest must be a JSON object')
  const header = baseMediaType(contentType)
  const bodyType = typeof json.mediaType === 'string' ? json.mediaType : undefined
  if (json.mediaType !== undefined && bodyType === undefined) throw invalid('mediaType: must be a string')
  if (header === MediaType.DockerSchema1 || header === MediaType.DockerSchema1Signed || json.schemaVersion === 1) {
    throw ociError('MANIFEST_INVALID', 'Docker schema 1 manifests are not supported', { detail: { mediaType: header ?? bodyType } })
  }
  let mediaType: string
  if (header !== undefined && MANIFEST_TYPES.has(header)) {
    if (bodyType !== undefined && bodyType !== header) {
      throw invalid(`mediaType ${bodyType} in the body does not match Content-Type ${header}`)
    }
    mediaType = header
  } else if (bodyType !== undefined) {
    if (!MANIFEST_TYPES.has(bodyType)) throw invalid(`unsupported manifest media type ${bodyType}`, { mediaType: bodyType })
    mediaType = bodyType
  } else if (Array.isArray(json.manifests)) {
    mediaType = MediaType.OciIndex
  } else if (json.config !== undefined) {
    mediaType = MediaType.OciManifest
  } else {
    throw invalid(`cannot tell the manifest media type (Content-Type ${header ?? 'missing'})`)
  }
  if (json.schemaVersion !== 2) throw invalid('schemaVersion: must be 2')
  if (json.artifactType !== undefined && typeof json.artifactType !== 'string') throw invalid('artifactType: must be a string')
  checkAnnotations(json.annotations, 'annotations')
  const subject = json.subject === undefined ? undefined : descriptor(json.subject, 'subject')
  const annotations = json.annotations as Record<string, string> | undefined

  if (IMAGE_MANIFEST_TYPES.has(mediaType)) {
    const config = descriptor(json.config, 'config')
    if (!Array.isArray(json.layers)) throw invalid('layers: required array')
    const layers = json.layers.map((l, i) => descriptor(l, `layers[${i}]`))
    const artifactType = (json.artifactType as string | undefined) ?? config.mediaType
    return Object.freeze({ mediaType, kind: 'image', config, layers, manifests: [], subject, artifactType, annotations })
  }
  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(json.manifests)) throw invalid('manifests: required array')
    const manifests = json.manifests.map((m, i) => descriptor(m, `manifests[${i}]`))
    return Object.freeze({
      mediaType, kind: 'index', config: undefined, layers: [], manifests, subject, artifactType: json.artifactType as string | undefined, annotations
    })
  }
  throw invalid(`unsupported manifest media type ${mediaType}`)
}

/** Blobs a manifest needs in the repository (foreign layers with `urls` excepted). */
export function referencedBlobs (m: ParsedManifest): Descriptor[] {
  const out: Descriptor[] = []
  if (m.config !== undefined) out.push(m.config)
  for (const layer of m.layers) {
    if (layer.mediaType === MediaType.DockerForeignLayerGzip || (layer.urls !== undefined && layer.urls.length > 0)) continue
    out.push(layer)
  }
  return out
}
