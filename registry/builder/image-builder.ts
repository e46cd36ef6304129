import { arch } from 'node:process'
import { invalidParameter, ociError } from '../errors.js'
import { parseImageReference, type ImageReference } from '../names.js'
import { INDEX_TYPES, MediaType } from '../media-types.js'
import { buildLayer, normalizeDest, type BuiltLayer, type LayerStep } from './layer.js'
import type { ImageTarget } from './target.js'

/**
 * A Docker-free image builder: `registry.image('team/app:1').fromScratch()
 * .addFile(src, dest).entrypoint([...]).push()`.
 *
 * Builders are immutable: each call returns a new frozen builder over a frozen spec, so a
 * builder can be kept and forked (`const base = b.env({...}); base.cmd(['a']); base.cmd(['b'])`).
 * Each `addFile` / `addDirectory` / `addContent` is one layer, built with tar-stream and
 * gzip deterministically (see `layer.ts`): the same inputs push the same digests.
 * `push()` streams layers into its target (the registry's storage with no HTTP, or a registry
 * over `/v2/`; nothing held whole), then stores the config and an OCI image manifest under the tag.
 */
export interface ImageBuildSpec {
  readonly target: ImageReference
  /** `undefined` until `fromScratch()` or `from(ref)` is called. */
  readonly base: { readonly kind: 'scratch' } | { readonly kind: 'image', readonly reference: ImageReference } | undefined
  readonly steps: readonly LayerStep[]
  readonly entrypoint?: readonly string[]
  readonly cmd?: readonly string[]
  readonly env: Readonly<Record<string, string>>
  readonly exposedPorts: readonly string[]
  readonly workingDir?: string
  readonly user?: string
  readonly labels: Readonly<Record<string, string>>
  readonly platform: { readonly os: string, readonly architecture: string }
}

export interface PushedImage {
  readonly repositoryName: string
  readonly imageTag: string
  readonly imageDigest: string
  /** `<endpoint>/<repository>:<tag>` as a docker client would name it. */
  readonly imageUri: string
  readonly imageManifestMediaType: string
  readonly imageSizeInBytes: number
  readonly configDigest: string
  readonly layers: ReadonlyArray<{ readonly digest: string, readonly diffId: string, readonly size: number, readonly mediaType: string }>
}

interface ImageConfig {
  architecture: string
  os: string
  created?: string
  config: Record<string, unknown>
  rootfs: { type: 'layers', diff_ids: string[] }
  history?: Array<Record<string, unknown>>
  [key: string]: unknown
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' }
const CREATED = '1970-01-01T00:00:00Z'

function stringArray (value: unknown, field: string): readonly string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalidParameter(field, 'must be an array of strings')
  return Object.freeze([...value])
}

export class ImageBuilder {
  private constructor (private readonly target: ImageTarget, readonly spec: ImageBuildSpec) {
    Object.freeze(this)
  }

  static create (target: ImageTarget, reference: string): ImageBuilder {
    const ref = parseImageReference(reference)
    if (ref.digest !== undefined) throw invalidParameter('image', 'the image to build is named by a tag, not a digest')
    return new ImageBuilder(target, Object.freeze({
      target: ref,
      base: undefined,
      steps: Object.freeze([]),
      env: Object.freeze({}),
      exposedPorts: Object.freeze([]),
      labels: Object.freeze({}),
      platform: Object.freeze({ os: 'linux', architecture: ARCH[arch] ?? arch })
    }))
  }

  #with (change: Partial<ImageBuildSpec>): ImageBuilder {
    return new ImageBuilder(this.target, Object.freeze({ ...this.spec, ...change }))
  }

  /** Starts from an empty filesystem and config. */
  fromScratch (): ImageBuilder {
    return this.#with({ base: Object.freeze({ kind: 'scratch' as const }) })
  }

  /** Layers on an image already in this registry (`team/base:1` or `team/base@sha256:…`). */
  from (reference: string): ImageBuilder {
    return this.#with({ base: Object.freeze({ kind: 'image' as const, reference: parseImageReference(reference, 'from') }) })
  }

  /** Copies one file to `dest` (absolute path in the image), keeping its mode unless `mode` is given. */
  addFile (src: string, dest: string, options: { mode?: number } = {}): ImageBuilder {
    if (typeof src !== 'string' || src === '') throw invalidParameter('src', 'must be a file path')
    const step: LayerStep = { kind: 'file', src, dest: normalizeDest(dest, 'dest'), ...(options.mode !== undefined ? { mode: checkMode(options.mode) } : {}) }
    return this.#with({ steps: Object.freeze([...this.spec.steps, Object.freeze(step)]) })
  }

  /** Copies a directory tree to `dest` (its contents go under `dest`). */
  addDirectory (src: string, dest: string): ImageBuilder {
    if (typeof src !== 'string' || src === '') throw invalidParameter('src', 'must be a directory path')
    const step: LayerStep = { kind: 'directory', src, dest: normalizeDest(dest, 'dest') }
    return this.#with({ steps: Object.freeze([...this.spec.steps, Object.freeze(step)]) })
  }

  /** Writes `content` to `dest` (mode 0644 unless given). */
  addContent (content: string | Uint8Array, dest: string, options: { mode?: number } = {}): ImageBuilder {
    const step: LayerStep = { kind: 'content', content: Buffer.from(content), dest: normalizeDest(dest, 'dest'), mode: checkMode(options.mode ?? 0o644) }
    return this.#with({ steps: Object.freeze([...this.spec.steps, Object.freeze(step)]) })
  }

  entrypoint (args: readonly string[]): ImageBuilder { return this.#with({ entrypoint: stringArray(args, 'entrypoint') }) }
  cmd (args: readonly string[]): ImageBuilder { return this.#with({ cmd: stringArray(args, 'cmd') }) }

  /** Adds (or replaces) environment variables. */
  env (vars: Readonly<Record<string, string>>): ImageBuilder {
    if (typeof vars !== 'object' || vars === null) throw invalidParameter('env', 'must be an object of strings')
    for (const [k, v] of Object.entries(vars)) {
      if (k === '' || k.includes('=') || typeof v !== 'string') throw invalidParameter(`env.${k}`, 'names must be non-empty without "=", values strings')
    }
    return this.#with({ env: Object.freeze({ ...this.spec.env, ...vars }) })
  }

  exposedPort (port: number, protocol: 'tcp' | 'udp' = 'tcp'): ImageBuilder {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalidParameter('exposedPort', `invalid port ${port}`, '1..65535')
    if (protocol !== 'tcp' && protocol !== 'udp') throw invalidParameter('protocol', 'must be tcp or udp')
    const key = `${port}/${protocol}`
    if (this.spec.exposedPorts.includes(key)) return this
    return this.#with({ exposedPorts: Object.freeze([...this.spec.exposedPorts, key]) })
  }

  workdir (dir: string): ImageBuilder { return this.#with({ workingDir: `/${normalizeDest(dir, 'workdir')}` }) }
  user (user: string): ImageBuilder {
    if (typeof user !== 'string' || user === '') throw invalidParameter('user', 'must be a user name or uid[:gid]')
    return this.#with({ user })
  }

  label (key: string, value: string): ImageBuilder {
    if (typeof key !== 'string' || key === '' || typeof value !== 'string') throw invalidParameter('label', 'key and value must be strings')
    return this.#with({ labels: Object.freeze({ ...this.spec.labels, [key]: value }) })
  }

  platform (os: string, architecture: string): ImageBuilder {
    if (typeof os !== 'string' || typeof architecture !== 'string' || os === '' || architecture === '') throw invalidParameter('platform', 'os and architecture must be non-empty')
    return this.#with({ platform: Object.freeze({ os, architecture }) })
  }

  /** Builds the layers, stores config and manifest, and tags the image. */
  async push (): Promise<PushedImage> {
    const spec = this.spec
    if (spec.base === undefined) throw invalidParameter('base', 'call fromScratch() or from(reference) before push()')
    const push = await this.target.openPush(spec.target.repositoryName)
    const { config, layers: baseLayers, from } = await this.#base()
    for (const layer of baseLayers) await push.linkBlob(layer.digest, from)

    const built: Array<BuiltLayer & { mediaType: string }> = []
    for (const step of spec.steps) {
      const layer = await push.uploadLayer((sink) => buildLayer(step, sink))
      built.push({ ...layer, mediaType: MediaType.OciLayerGzip })
    }

    const c = config.config
    if (spec.entrypoint !== undefined) { c.Entrypoint = [...spec.entrypoint]; if (spec.cmd === undefined) delete c.Cmd }
    if (spec.cmd !== undefined) c.Cmd = [...spec.cmd]
    const env = new Map<string, string>()
    for (const line of (c.Env as string[] | undefined) ?? []) {
      const eq = line.indexOf('=')
      env.set(eq < 0 ? line : line.slice(0, eq), eq < 0 ? '' : line.slice(eq + 1))
    }
    for (const [k, v] of Object.entries(spec.env)) env.set(k, v)
    if (env.size > 0) c.Env = [...env].map(([k, v]) => `${k}=${v}`)
    if (spec.exposedPorts.length > 0) {
      c.ExposedPorts = { ...(c.ExposedPorts as Record<string, object> | undefined) }
      for (const p of spec.exposedPorts) (c.ExposedPorts as Record<string, object>)[p] = {}
    }
    if (spec.workingDir !== undefined) c.WorkingDir = spec.workingDir
    if (spec.user !== undefined) c.User = spec.user
    if (Object.keys(spec.labels).length > 0) c.Labels = { ...(c.Labels as Record<string, string> | undefined), ...spec.labels }
    config.rootfs.diff_ids.push(...built.map((l) => l.diffId))
    config.history = [...(config.history ?? []), ...spec.steps.map((s) => ({
      created: CREATED,
      created_by: `stratus image builder: ${s.kind === 'content' ? 'content' : s.kind === 'file' ? 'file' : 'directory'} -> /${s.dest}`
    }))]

    const configBody = Buffer.from(JSON.stringify(config))
    const configDigest = await push.putBlob(configBody)
    const allLayers = [...baseLayers, ...built]
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: configDigest, size: configBody.length },
      layers: allLayers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size }))
    }
    const tag = spec.target.tag ?? 'latest'
    const record = await push.putManifest(tag, Buffer.from(JSON.stringify(manifest)), MediaType.OciManifest)
    return Object.freeze({
      repositoryName: push.repositoryName,
      imageTag: tag,
      imageDigest: record.digest,
      imageUri: `${this.target.host}/${push.repositoryName}:${tag}`,
      imageManifestMediaType: record.mediaType,
      imageSizeInBytes: record.layersSize,
      configDigest,
      layers: Object.freeze(allLayers.map((l) => Object.freeze({ digest: l.digest, diffId: l.diffId, size: l.size, mediaType: l.mediaType })))
    })
  }

  /** The starting config and layers: empty for scratch, else the base image's (for our platform). */
  async #base (): Promise<{ config: ImageConfig, layers: Array<{ digest: string, diffId: string, size: number, mediaType: string }>, from: string }> {
    const spec = this.spec
    const { os, architecture } = spec.platform
    if (spec.base?.kind !== 'image') {
      return { config: { architecture, os, created: CREATED, config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] }, layers: [], from: spec.target.repositoryName }
    }
    const ref = spec.base.reference
    let { mediaType, body } = await this.target.readManifest(ref.repositoryName, ref.digest ?? ref.tag ?? 'latest')
    if (INDEX_TYPES.has(mediaType)) {
      const index = JSON.parse(body.toString('utf8')) as { manifests: Array<{ digest: string, platform?: { os?: string, architecture?: string } }> }
      const pick = index.manifests.find((m) => m.platform?.os === os && m.platform?.architecture === architecture)
      if (pick === undefined) throw ociError('MANIFEST_UNKNOWN', `base image has no ${os}/${architecture} manifest`, { kind: 'NotFound' })
      ;({ mediaType, body } = await this.target.readManifest(ref.repositoryName, pick.digest))
    }
    const manifest = JSON.parse(body.toString('utf8')) as { config: { digest: string }, layers: Array<{ digest: string, size: number, mediaType: string }> }
    const configBytes = await this.target.readBlob(ref.repositoryName, manifest.config.digest)
    const config = JSON.parse(configBytes.toString('utf8')) as ImageConfig
    config.config ??= {}
    config.rootfs ??= { type: 'layers', diff_ids: [] }
    config.created = CREATED
    const layers = manifest.layers.map((l, i) => ({
      digest: l.digest,
      size: l.size,
      diffId: config.rootfs.diff_ids[i],
      mediaType: l.mediaType === MediaType.DockerLayerGzip ? MediaType.OciLayerGzip : l.mediaType
    }))
    return { config, layers, from: ref.repositoryName }
  }
}

function checkMode (mode: number): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw invalidParameter('mode', `invalid mode ${mode}`, '0..0o7777')
  return mode
}
