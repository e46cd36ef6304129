// The OCI runner's images: read from the built-in registry's store (no Docker,
// no HTTP), unpacked once per layer digest into a cache under the state dir.
//
//   reference ─► repository + tag/digest ─► manifest (an index: linux/<arch>) ─► config
//                                                                      └─► layers ─► cache
//
// References: the endpoint and ECR forms (`images.resolve`), and a plain name
// such as `busybox:1.36`, which is repository `busybox`, tag `1.36`, of the
// same registry: the runner has no other local image store. Anything else (a
// host that is not the registry's) cannot be reached: no network exists
// beyond this machine. Every failure is a CannotPullContainerError naming the
// image; a layer that breaks an unpacking rule names the layer and its entry.
//
// The cache: <dir>/<hex>/root (the files) and <dir>/<hex>/layer.json (what
// unpack.ts found: whiteouts, opaque directories, skipped entries). A layer
// is unpacked into <dir>/.tmp-… and renamed into place, so a crash never
// leaves half a layer where a runner would use it. In overlay mode the
// whiteouts are also marks overlayfs understands (char 0/0, opaque xattr),
// made by the overlay-marks helper before the rename. Every digest a manifest or
// an index names is checked before it is used, in a path or a registry read: a
// digest such as `sha256:../../x` would otherwise point the cache anywhere.
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { MediaType, parseImageReference, type Registry, type RandomAccessFile } from '../../../registry/index.js'
import { cannotPull, RunnerError } from '../errors.js'
import type { ImageSource } from '../images.js'
import { DEFAULT_UNPACK_LIMITS, unpackLayer, UnsafeLayerError, type UnpackedLayer, type UnpackLimits } from './unpack.js'

/** The part of an image config a container runs from (`config` of the OCI image config). */
export interface ImageRunConfig {
  Entrypoint?: string[] | null
  Cmd?: string[] | null
  Env?: string[] | null
  WorkingDir?: string
  User?: string
}

export interface LayerRef {
  digest: string
  mediaType: string
  size: number
}

export interface ResolvedImage {
  /** The reference as the task gave it. */
  reference: string
  repository: string
  /** The manifest's digest (of the platform's manifest, when the reference named an index). */
  digest: string
  config: ImageRunConfig
  layers: LayerRef[]
}

export interface CachedLayer {
  digest: string
  /** The layer's files. */
  root: string
  unpacked: UnpackedLayer
}

export interface PulledImage {
  image: ResolvedImage
  /** Bottom first, as in the manifest. */
  layers: CachedLayer[]
}

export interface ImageStoreOptions {
  source: ImageSource | undefined
  /** The cache directory (one per rootfs mode: overlay layers carry marks a copy must not see). */
  dir: string
  limits?: UnpackLimits
  /** The overlay-marks helper: given, whiteouts become overlay marks. */
  overlayMarks?: string
}

const PLATFORM_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' }
const INDEXES = new Set<string>([MediaType.OciIndex, MediaType.DockerManifestList])
const LAYER_TYPES = new Set<string>([
  MediaType.OciLayer, MediaType.OciLayerGzip, MediaType.DockerLayerGzip, MediaType.DockerForeignLayerGzip,
  'application/vnd.oci.image.layer.nondistributable.v1.tar', 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar'
])
const READ_CHUNK = 1024 * 1024
/**
 * A digest the runner may turn into a path (the layer cache is <dir>/<hex>). The registry's
 * own checks are not relied on: a manifest comes from its storage, which something else may
 * have written. sha256, and sha512 (the registry accepts both; either is hex only).
 */
const SAFE_DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/

/** Throws CannotPullContainerError naming `what` and the digest, unless it is one. */
function checkDigest(image: string, what: string, digest: unknown): asserts digest is string {
  if (typeof digest !== 'string' || !SAFE_DIGEST.test(digest)) {
    throw cannotPull(image, `${what} has an invalid digest ${JSON.stringify(digest)?.slice(0, 200)} (a digest is sha256:<64 lowercase hex> or sha512:<128>)`)
  }
}

function registryMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** A reference with a registry host that is not ours: `ghcr.io/x`, `localhost:5000/x`, `docker.io/library/x`. */
function foreignHost(reference: string): string | undefined {
  const slash = reference.indexOf('/')
  if (slash < 0) return undefined
  const first = reference.slice(0, slash)
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : undefined
}

/** The blob's bytes as a stream, read from the registry's store. */
function blobStream(file: RandomAccessFile): Readable {
  let position = 0
  return Readable.from((async function* () {
    try {
      while (position < file.size) {
        const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, file.size - position))
        const n = await file.read(buffer, buffer.length, position)
        if (n === 0) break
        position += n
        yield buffer.subarray(0, n)
      }
    } finally {
      await file.close()
    }
  })(), { objectMode: false })
}

/** Passes bytes through, and fails at the end when they do not hash to `digest`. */
function verifying(digest: string): Transform {
  const colon = digest.indexOf(':')
  const hash = createHash(digest.slice(0, colon))
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk)
      done(null, chunk)
    },
    flush(done) {
      const actual = `${digest.slice(0, colon)}:${hash.digest('hex')}`
      done(actual === digest ? null : new Error(`its content hashes to ${actual}`))
    }
  })
}

export class ImageStore {
  readonly dir: string
  readonly #source: ImageSource | undefined
  readonly #limits: UnpackLimits
  readonly #overlayMarks: string | undefined
  readonly #layers = new Map<string, Promise<CachedLayer>>()

  constructor(options: ImageStoreOptions) {
    this.dir = options.dir
    this.#source = options.source
    this.#limits = options.limits ?? DEFAULT_UNPACK_LIMITS
    this.#overlayMarks = options.overlayMarks
  }

  /** Makes the cache directory and drops what a crash left half unpacked. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    for (const name of await readdir(this.dir)) {
      if (name.startsWith('.tmp-')) await rm(join(this.dir, name), { recursive: true, force: true })
    }
  }

  get #registry(): Registry | undefined {
    return this.#source?.registry
  }

  /** The image a reference names, read from the registry: manifest, config and layer list. */
  async resolve(reference: string): Promise<ResolvedImage> {
    const registry = this.#registry
    if (registry === undefined) throw cannotPull(reference, 'the runner was given no registry to pull from')
    let repository: string
    let ref: string
    const ours = this.#source!.resolve(reference)
    if (ours !== undefined) {
      repository = ours.repository
      ref = ours.reference
    } else {
      const host = foreignHost(reference)
      if (host !== undefined) throw cannotPull(reference, `registry ${host} cannot be reached: only the built-in registry can (no network beyond this machine)`)
      try {
        const parsed = parseImageReference(reference)
        repository = parsed.repositoryName
        ref = parsed.digest ?? parsed.tag ?? 'latest'
      } catch (error) {
        throw cannotPull(reference, `not an image reference: ${registryMessage(error)}`, error)
      }
    }
    const d = registry.distribution
    try {
      const state = await d.repository(repository)
      let { record, body } = await d.getManifest(state, ref)
      if (INDEXES.has(record.mediaType)) {
        const arch = PLATFORM_ARCH[process.arch] ?? process.arch
        const index = JSON.parse(body.toString('utf8')) as { manifests?: Array<{ digest: string; platform?: { os?: string; architecture?: string } }> }
        const pick = index.manifests?.find((m) => m.platform?.os === 'linux' && m.platform?.architecture === arch)
        if (pick === undefined) throw cannotPull(reference, `the image index has no linux/${arch} manifest`)
        checkDigest(reference, `the image index's linux/${arch} manifest`, pick.digest)
        ;({ record, body } = await d.getManifest(state, pick.digest))
      }
      const manifest = JSON.parse(body.toString('utf8')) as { config?: { digest: string }; layers?: LayerRef[] }
      if (manifest.config === undefined || !Array.isArray(manifest.layers)) throw cannotPull(reference, `manifest ${record.digest} is no image manifest`)
      checkDigest(reference, `the image config of manifest ${record.digest}`, manifest.config.digest)
      manifest.layers.forEach((layer, i) => checkDigest(reference, `layer ${i} of manifest ${record.digest}`, layer?.digest))
      for (const layer of manifest.layers) {
        if (!LAYER_TYPES.has(layer.mediaType)) throw cannotPull(reference, `layer ${layer.digest} has media type ${layer.mediaType}, which is no layer this runner can unpack`)
      }
      const configDigest = manifest.config.digest
      const configBody = await d.verifiedContent(configDigest, () => cannotPull(reference, `image config ${configDigest} is not in the registry`) as never)
      const config = (JSON.parse(configBody.toString('utf8')) as { config?: ImageRunConfig }).config ?? {}
      return { reference, repository, digest: record.digest, config, layers: manifest.layers }
    } catch (error) {
      if (error instanceof RunnerError) throw error
      throw cannotPull(reference, registryMessage(error), error)
    }
  }

  /** A layer's directory, unpacked on first use (concurrent callers share one unpack). */
  layer(ref: LayerRef, image: string): Promise<CachedLayer> {
    try {
      checkDigest(image, 'a layer', ref.digest) // its digest becomes a path
    } catch (error) {
      return Promise.reject(error)
    }
    let pending = this.#layers.get(ref.digest)
    if (pending === undefined) {
      pending = this.#load(ref, image)
      pending.catch(() => this.#layers.delete(ref.digest))
      this.#layers.set(ref.digest, pending)
    }
    return pending
  }

  /** resolve() and every layer of the image. */
  async pull(reference: string): Promise<PulledImage> {
    const image = await this.resolve(reference)
    const layers = await Promise.all(image.layers.map((l) => this.layer(l, reference)))
    return { image, layers }
  }

  #path(digest: string): string {
    return join(this.dir, digest.slice(digest.indexOf(':') + 1))
  }

  async #load(ref: LayerRef, image: string): Promise<CachedLayer> {
    const path = this.#path(ref.digest)
    try {
      const unpacked = JSON.parse(await readFile(join(path, 'layer.json'), 'utf8')) as UnpackedLayer
      return { digest: ref.digest, root: join(path, 'root'), unpacked }
    } catch {
      // not cached yet
    }
    const registry = this.#registry
    if (registry === undefined) throw cannotPull(image, 'the runner was given no registry to pull from')
    const tmp = join(this.dir, `.tmp-${ref.digest.slice(ref.digest.indexOf(':') + 1, 20)}-${process.pid}-${randomBytes(4).toString('hex')}`)
    try {
      await mkdir(join(tmp, 'root'), { recursive: true })
      let file: RandomAccessFile
      try {
        ;({ file } = await registry.distribution.openBlobFile(ref.digest))
      } catch (error) {
        throw cannotPull(image, `layer ${ref.digest} is not in the registry: ${registryMessage(error)}`, error)
      }
      let unpacked: UnpackedLayer
      try {
        // gzip when the bytes say so (media types lie), else a plain tar.
        const magic = Buffer.alloc(4)
        await file.read(magic, 4, 0)
        if (magic.readUInt32BE(0) === 0x28b52ffd) {
          await file.close()
          throw new Error('it is zstd-compressed, which this runner cannot unpack (Node 20 has no zstd)')
        }
        const stages: Array<Readable | Transform> = [blobStream(file), verifying(ref.digest)]
        if (magic[0] === 0x1f && magic[1] === 0x8b) stages.push(createGunzip())
        unpacked = await unpackLayer(stages, join(tmp, 'root'), this.#limits)
      } catch (error) {
        const why = error instanceof UnsafeLayerError ? `${error.message}` : `it cannot be unpacked: ${registryMessage(error)}`
        throw cannotPull(image, `failed to register layer ${ref.digest}: ${why}`, error)
      }
      if (this.#overlayMarks !== undefined) await this.#mark(tmp, unpacked, image, ref.digest)
      await writeFile(join(tmp, 'layer.json'), JSON.stringify(unpacked))
      try {
        await rename(tmp, path)
      } catch (error) {
        // Another runner on this state dir got there first: theirs is as good.
        if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
        await rm(tmp, { recursive: true, force: true })
      }
      return { digest: ref.digest, root: join(path, 'root'), unpacked }
    } catch (error) {
      await rm(tmp, { recursive: true, force: true })
      throw error
    }
  }

  /** Whiteouts → overlay marks, in one run of the helper per layer. */
  async #mark(tmp: string, unpacked: UnpackedLayer, image: string, digest: string): Promise<void> {
    if (unpacked.whiteouts.length === 0 && unpacked.opaque.length === 0) return
    const lines = [...unpacked.whiteouts.map((p) => `w ${p}`), ...unpacked.opaque.map((p) => `o ${p === '' ? '.' : p}`)].join('\n')
    await new Promise<void>((resolve, reject) => {
      const child = execFile(this.#overlayMarks!, [join(tmp, 'root')], (error, _stdout, stderr) => {
        if (error) reject(cannotPull(image, `failed to register layer ${digest}: its whiteouts cannot be made overlay marks: ${stderr.trim() || error.message}`, error))
        else resolve()
      })
      child.stdin!.end(`${lines}\n`)
    })
  }
}
