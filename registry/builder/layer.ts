import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, readdir, readlink, stat } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { once } from 'node:events'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { pack as tarPack, type Header, type Pack } from 'tar-stream'
import { invalidParameter } from '../errors.js'

/**
 * Deterministic layer tarballs: the same inputs always give the same bytes, so the same
 * digests. Every entry has mtime 0 (1970-01-01), uid/gid 0 and no user names; entries come
 * in sorted order; parent directories of a destination are emitted (mode 0755) before it;
 * gzip runs at a fixed level and Node's gzip header carries no timestamp or file name.
 * File modes (the permission bits) are kept, as they are part of the input.
 */
export type LayerStep =
  | { readonly kind: 'file', readonly src: string, readonly dest: string, readonly mode?: number }
  | { readonly kind: 'directory', readonly src: string, readonly dest: string }
  | { readonly kind: 'content', readonly content: Buffer, readonly dest: string, readonly mode: number }

export interface BuiltLayer {
  /** sha256 of the gzip stream (the blob digest). */
  readonly digest: string
  /** sha256 of the uncompressed tar (the config's rootfs diff_id). */
  readonly diffId: string
  readonly size: number
}

const EPOCH = new Date(0)
const GZIP_LEVEL = 6

/** `/usr/bin/x` or `usr/bin/x` → `usr/bin/x`; refuses escapes and empty paths. */
export function normalizeDest (dest: string, field: string): string {
  if (typeof dest !== 'string' || dest === '') throw invalidParameter(field, 'must be a path inside the image')
  const norm = posix.normalize(`/${dest}`).replace(/^\/+/, '').replace(/\/+$/, '')
  if (norm === '' || dest.split('/').includes('..')) throw invalidParameter(field, `must name a path inside the image, got ${JSON.stringify(dest)}`)
  return norm
}

function header (name: string, type: Header['type'], mode: number, extra: Partial<Header> = {}): Partial<Header> & { name: string } {
  return { name, type, mode, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '', ...extra }
}

async function addEntry (pack: Pack, h: Partial<Header> & { name: string }, body?: Readable | Buffer): Promise<void> {
  if (body === undefined || Buffer.isBuffer(body)) {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null): void => err ? reject(err) : resolve()
      if (body === undefined) pack.entry(h, done)
      else pack.entry(h, body, done)
    })
    return
  }
  const entry = pack.entry(h)
  const finished = new Promise<void>((resolve, reject) => {
    entry.on('finish', () => resolve())
    entry.on('close', () => resolve())
    entry.on('error', reject)
  })
  for await (const chunk of body) {
    if (!entry.write(chunk as Buffer)) await once(entry as unknown as NodeJS.EventEmitter, 'drain')
  }
  ;(entry as unknown as { end (): void }).end()
  await finished
}

class LayerWriter {
  readonly #dirs = new Set<string>()
  constructor (private readonly pack: Pack) {}

  async parents (path: string): Promise<void> {
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/')
      if (this.#dirs.has(dir)) continue
      this.#dirs.add(dir)
      await addEntry(this.pack, header(`${dir}/`, 'directory', 0o755))
    }
  }

  async file (src: string, dest: string, mode?: number): Promise<void> {
    const info = await stat(src).catch((err) => { throw invalidParameter('src', `cannot read ${src}: ${(err as Error).message}`) })
    if (!info.isFile()) throw invalidParameter('src', `${src} is not a regular file`)
    await this.parents(dest)
    await addEntry(this.pack, header(dest, 'file', mode ?? (info.mode & 0o7777), { size: info.size }), createReadStream(src, { highWaterMark: 1 << 20 }))
  }

  async directory (src: string, dest: string): Promise<void> {
    const info = await stat(src).catch((err) => { throw invalidParameter('src', `cannot read ${src}: ${(err as Error).message}`) })
    if (!info.isDirectory()) throw invalidParameter('src', `${src} is not a directory`)
    await this.parents(dest)
    if (!this.#dirs.has(dest)) {
      this.#dirs.add(dest)
      await addEntry(this.pack, header(`${dest}/`, 'directory', info.mode & 0o7777))
    }
    await this.#tree(src, dest)
  }

  async #tree (src: string, dest: string): Promise<void> {
    const names = (await readdir(src)).sort()
    for (const name of names) {
      const from = join(src, name)
      const to = `${dest}/${name}`
      const info = await lstat(from)
      if (info.isSymbolicLink()) {
        await addEntry(this.pack, header(to, 'symlink', 0o777, { linkname: await readlink(from) }))
      } else if (info.isDirectory()) {
        this.#dirs.add(to)
        await addEntry(this.pack, header(`${to}/`, 'directory', info.mode & 0o7777))
        await this.#tree(from, to)
      } else if (info.isFile()) {
        await addEntry(this.pack, header(to, 'file', info.mode & 0o7777, { size: info.size }), createReadStream(from, { highWaterMark: 1 << 20 }))
      }
      // Sockets, FIFOs and devices are not copied into images.
    }
  }

  async content (content: Buffer, dest: string, mode: number): Promise<void> {
    await this.parents(dest)
    await addEntry(this.pack, header(dest, 'file', mode, { size: content.length }), content)
  }
}

/**
 * Streams the gzip of one step's tarball into `sink` (never holding it whole) and returns
 * its digests. `sink` consumes the async iterable of compressed chunks.
 */
export async function buildLayer (step: LayerStep, sink: (chunks: AsyncIterable<Buffer>) => Promise<unknown>): Promise<BuiltLayer> {
  const pack = tarPack()
  const diff = createHash('sha256')
  const compressed = createHash('sha256')
  let size = 0
  const tapDiff = new Transform({ transform (chunk, _enc, cb) { diff.update(chunk); cb(null, chunk) } })
  const gzip = createGzip({ level: GZIP_LEVEL })
  const tapCompressed = new Transform({ transform (chunk, _enc, cb) { compressed.update(chunk); size += chunk.length; cb(null, chunk) } })
  const flowing = pipeline(Readable.from(pack), tapDiff, gzip, tapCompressed)
  const writing = (async () => {
    try {
      const writer = new LayerWriter(pack)
      if (step.kind === 'file') await writer.file(step.src, step.dest, step.mode)
      else if (step.kind === 'directory') await writer.directory(step.src, step.dest)
      else await writer.content(step.content, step.dest, step.mode)
      pack.finalize()
    } catch (err) {
      pack.destroy(err as Error)
      throw err
    }
  })()
  await Promise.all([writing, flowing, sink(tapCompressed)])
  return { digest: `sha256:${compressed.digest('hex')}`, diffId: `sha256:${diff.digest('hex')}`, size }
}
