// What the OCI runner's tests build on: crafted layer tars (tar-stream), images
// pushed into a Registry layer by layer (so a test can push a hostile one), and
// a runner over a fresh state dir. Not a test file.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { pack, type Header } from 'tar-stream'
import { MediaType, Registry } from '../../../registry/index.js'
import { registryImageSource } from '../../../runtime/runners/index.js'
import { OciRunner, type OciRunnerOptions } from '../../../runtime/runners/oci/index.js'
import { OciRuntime } from '../../../runtime/runners/oci/runtime.js'
import { pushBusybox } from '../../fixtures/busybox-image.js'

export interface TarEntry {
  header: Partial<Header> & { name: string }
  content?: string | Buffer
}

/** A tar of exactly these entries, in this order. */
export async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const p = pack()
  const chunks: Buffer[] = []
  p.on('data', (chunk: unknown) => chunks.push(chunk as Buffer))
  const done = new Promise<void>((resolve, reject) => { p.on('end', resolve); p.on('error', reject) })
  for (const e of entries) {
    const body = e.content === undefined ? undefined : Buffer.from(e.content)
    const header = { mode: e.header.type === 'directory' ? 0o755 : 0o644, mtime: new Date(0), uid: 0, gid: 0, ...e.header }
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve())
      if (body === undefined) p.entry(header, cb)
      else p.entry({ ...header, size: body.length }, body, cb)
    })
  }
  p.finalize()
  await done
  return Buffer.concat(chunks)
}

export const file = (name: string, content: string, header: Partial<Header> = {}): TarEntry => ({ header: { name, type: 'file', ...header }, content })
export const dir = (name: string, header: Partial<Header> = {}): TarEntry => ({ header: { name, type: 'directory', ...header } })
export const symlink = (name: string, linkname: string): TarEntry => ({ header: { name, type: 'symlink', linkname } })
export const hardlink = (name: string, linkname: string): TarEntry => ({ header: { name, type: 'link', linkname } })

export interface ImageConfigInput {
  Entrypoint?: string[]
  Cmd?: string[]
  Env?: string[]
  WorkingDir?: string
  User?: string
}

/** Pushes an image made of these layer tars (gzipped), bottom first, as `repository:tag`. */
export async function pushLayers(registry: Registry, name: string, layers: readonly Buffer[], config: ImageConfigInput = {}): Promise<{ digest: string; layers: string[] }> {
  const colon = name.lastIndexOf(':')
  const repository = name.slice(0, colon)
  const tag = name.slice(colon + 1)
  const d = registry.distribution
  const state = await d.repositoryForPush(repository)
  const descriptors = []
  for (const tar of layers) {
    const blob = gzipSync(tar)
    const digest = await d.putBlobContent(state, blob)
    descriptors.push({ mediaType: MediaType.OciLayerGzip, digest, size: blob.length })
  }
  const configBody = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config, rootfs: { type: 'layers', diff_ids: [] }
  }))
  const configDigest = await d.putBlobContent(state, configBody)
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: configDigest, size: configBody.length },
    layers: descriptors
  }))
  const record = await d.putManifest(state, tag, manifest, MediaType.OciManifest)
  return { digest: record.digest, layers: descriptors.map((l) => l.digest) }
}

/** The layers of the busybox test image, to build images on top of it. */
export async function busyboxLayers(registry: Registry): Promise<Buffer[]> {
  const pushed = await pushBusybox(registry, 'busybox-base:1')
  const out: Buffer[] = []
  const { gunzipSync } = await import('node:zlib')
  for (const layer of pushed.layers) {
    const { file: f } = await registry.distribution.openBlobFile(layer.digest)
    const buffer = Buffer.alloc(f.size)
    await f.read(buffer, f.size, 0)
    await f.close()
    out.push(gunzipSync(buffer))
  }
  return out
}

export interface TestRunner {
  runner: OciRunner
  registry: Registry
  stateDir: string
  dir: string
  close(): Promise<void>
}

/** A registry with busybox:1.36, and an OCI runner over a fresh state dir. */
export async function ociTestRunner(options: Partial<OciRunnerOptions> = {}, registry?: Registry): Promise<TestRunner> {
  const reg = registry ?? await Registry.open({ storage: { driver: 'inmemory' } })
  if (registry === undefined) await pushBusybox(reg)
  const dir = await mkdtemp(join(tmpdir(), 'stratus-oci-'))
  const stateDir = join(dir, 'state')
  const runner = await OciRunner.create({
    now: () => Date.now(), engineId: `test-${process.pid}-${Math.random().toString(36).slice(2)}`,
    images: registryImageSource(reg, '000000000000', 'us-east-1'), stateDir, graceMs: 2000, ...options
  })
  return {
    runner, registry: reg, stateDir, dir,
    async close() {
      await runner.close()
      if (registry === undefined) await reg.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/**
 * An OCI runner whose runtime is slow to return, as on a busy machine: the real runc, run by
 * a wrapper (first on the PATH while the runner is created, which is where it finds its
 * runtime) that sleeps a second once `run` is done. A program that ends at once has ended,
 * and its init been reaped, before the runner hears that the container runs.
 */
export async function lingeringRuntimeRunner(options: Partial<OciRunnerOptions>, registry: Registry): Promise<TestRunner> {
  const real = (await OciRuntime.find('/nonexistent', 'runc')).binary
  const bin = await mkdtemp(join(tmpdir(), 'stratus-oci-slow-runc-'))
  await writeFile(join(bin, 'runc'), `#!/bin/sh\n${real} "$@"\nstatus=$?\ncase " $* " in *" run "*) sleep 1 ;; esac\nexit $status\n`)
  await chmod(join(bin, 'runc'), 0o755)
  const path = process.env.PATH
  process.env.PATH = `${bin}:${path}`
  let made: TestRunner
  try {
    made = await ociTestRunner({ ...options, runtime: 'runc' }, registry)
  } finally {
    process.env.PATH = path
  }
  if (made.runner.runtime.binary !== join(bin, 'runc')) throw new Error(`the runner found ${made.runner.runtime.binary}, not the lingering wrapper`)
  return { ...made, close: async () => { await made.close(); await rm(bin, { recursive: true, force: true }) } }
}
