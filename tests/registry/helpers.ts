// Shared test fixtures for the registry: a real HTTP server on 127.0.0.1:0, a manual clock,
// tiny raw-protocol helpers; requireTool (tests/tools.ts) checks the real clients are present.
import http from 'node:http'
import { execFile } from 'node:child_process'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { request as undiciRequest } from 'undici'
import { Registry, type Clock, type RegistryOptions } from '../../registry/index.js'

export { requireTool } from '../tools.js'

export const run = promisify(execFile)

/** A clock tests drive by hand: `advance(ms)` fires the timers that fall due, in order. */
export class ManualClock implements Clock {
  #now: number
  #seq = 0
  #timers = new Map<number, { at: number, fn: () => void }>()
  constructor (start = Date.UTC(2026, 0, 1)) { this.#now = start }
  now (): number { return this.#now }
  setTimeout (fn: () => void, ms: number): unknown {
    const id = ++this.#seq
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn })
    return id
  }
  clearTimeout (handle: unknown): void { this.#timers.delete(handle as number) }
  /** Moves time forward, firing due timers (and timers they set that fall due too). */
  advance (ms: number): void {
    const target = this.#now + ms
    for (;;) {
      let next: [number, { at: number, fn: () => void }] | undefined
      for (const entry of this.#timers) if (entry[1].at <= target && (next === undefined || entry[1].at < next[1].at)) next = entry
      if (next === undefined) break
      this.#timers.delete(next[0])
      this.#now = Math.max(this.#now, next[1].at)
      next[1].fn()
    }
    this.#now = target
  }
}

export interface TestRegistry {
  registry: Registry
  /** `http://127.0.0.1:PORT` */
  url: string
  /** `127.0.0.1:PORT` */
  host: string
  server: http.Server
  close (): Promise<void>
}

/** Opens a registry and serves it on 127.0.0.1:0. */
export async function startRegistry (options: RegistryOptions = {}): Promise<TestRegistry> {
  const registry = await Registry.open({ onError: (err) => { console.error('registry internal error', err) }, ...options })
  const server = http.createServer((req, res) => registry.handle(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const host = `127.0.0.1:${port}`
  registry.setEndpoint(host)
  return {
    registry,
    url: `http://${host}`,
    host,
    server,
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await registry.close()
    }
  }
}

export async function tempDir (t: { teardown (fn: () => unknown): void }, prefix = 'stratus-registry-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export function sha256 (data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}

export interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  json (): any
}

/** One raw HTTP request to the registry. */
export async function req (base: string, method: string, path: string, options: {
  headers?: Record<string, string>
  body?: Uint8Array | string | AsyncIterable<Uint8Array>
} = {}): Promise<Reply> {
  const res = await undiciRequest(base + path, { method: method as any, headers: options.headers, body: options.body as any })
  const body = Buffer.from(await res.body.arrayBuffer())
  return {
    status: res.statusCode,
    headers: res.headers,
    body,
    json () { return JSON.parse(body.toString('utf8')) }
  }
}

export function errorCodes (reply: Reply): string[] {
  return reply.json().errors.map((e: { code: string }) => e.code)
}

/** Pushes a blob monolithically (POST ?digest=). */
export async function pushBlob (base: string, name: string, content: Uint8Array | string): Promise<string> {
  const digest = sha256(content)
  const r = await req(base, 'POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, {
    headers: { 'content-type': 'application/octet-stream' }, body: content
  })
  if (r.status !== 201) throw new Error(`push blob: ${r.status} ${r.body}`)
  return digest
}

/** Pushes config + one layer and an OCI image manifest; returns the manifest digest and body. */
export async function pushImage (base: string, name: string, reference: string, seed = 'x', extra: Record<string, unknown> = {}): Promise<{ digest: string, manifest: Buffer, layer: string, config: string }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed, rootfs: { type: 'layers', diff_ids: [] } }))
  const layer = Buffer.from(`layer-${seed}`)
  const configDigest = await pushBlob(base, name, config)
  const layerDigest = await pushBlob(base, name, layer)
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
    ...extra
  }))
  const r = await req(base, 'PUT', `/v2/${name}/manifests/${reference}`, {
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest
  })
  if (r.status !== 201) throw new Error(`push manifest: ${r.status} ${r.body}`)
  return { digest: sha256(manifest), manifest, layer: layerDigest, config: configDigest }
}

/** Waits (bounded) until `check` holds; for effects of timers fired on the manual clock. */
export async function eventually (check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`never happened: ${what}`)
}

/** Where a filesystem-stored blob's bytes are under the registry root. */
export function blobDataPath (root: string, digest: string): string {
  const [algorithm, hex] = digest.split(':')
  return join(root, 'blobs', algorithm, hex.slice(0, 2), hex, 'data')
}

/** Corrupts a stored blob in place: flips `count` bytes at `offset` (the length stays). */
export async function flipBytes (root: string, digest: string, offset: number, count = 4): Promise<void> {
  const file = await open(blobDataPath(root, digest), 'r+')
  try {
    const bytes = Buffer.alloc(count)
    await file.read(bytes, 0, count, offset)
    for (let i = 0; i < count; i++) bytes[i] ^= 0xff
    await file.write(bytes, 0, count, offset)
  } finally {
    await file.close()
  }
}

/** Every message published on a diagnostics channel during the test. */
export function recordChannel (t: { teardown (fn: () => unknown): void }, name: string): unknown[] {
  const seen: unknown[] = []
  const listener = (message: unknown): void => { seen.push(message) }
  subscribe(name, listener)
  t.teardown(() => unsubscribe(name, listener))
  return seen
}
