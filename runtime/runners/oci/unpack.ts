// Unpacks one image layer (an uncompressed tar stream) into a directory of its
// own, treating the tar as hostile: whatever it says, nothing is written
// outside that directory, no device is created and no setuid bit survives.
//   ../ escapes        refused (UnsafeLayerError naming the entry)
//   /absolute paths    confined: `/etc/x` is `etc/x` of the layer, as Docker and GNU tar do
//   through a symlink  refused: every parent of an entry must be a directory this unpack made
//   hardlinks          only to a file or symlink of the same layer, already unpacked
//   devices, FIFOs     skipped (listed in `skipped`), never mknod'ed
//   setuid, setgid     stripped from every mode
//   tar bombs          refused past `maxBytes` of file content, `maxEntries` entries,
//                      or a stream much longer than its content (headers are capped by tar-stream)
// The unpacker knows every path it created (a map from path to type), so it
// never has to ask the filesystem what a path is, and never follows anything.
// Whiteouts are not applied here: they are returned (`whiteouts`, `opaque`)
// for the rootfs to apply, as overlay marks or while copying (rootfs.ts).
import { constants } from 'node:fs'
import { chmod, lchown, link, lutimes, mkdir, open, rm, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { extract, type Header } from 'tar-stream'

export interface UnpackLimits {
  /** Bytes of file content in one layer (default 8 GiB). */
  maxBytes: number
  /** Entries in one layer (default 1,000,000). */
  maxEntries: number
}

export const DEFAULT_UNPACK_LIMITS: UnpackLimits = Object.freeze({ maxBytes: 8 * 1024 ** 3, maxEntries: 1_000_000 })

export interface UnpackedLayer {
  /** Paths the layer deletes from the layers below (`.wh.<name>`), relative, no leading slash. */
  whiteouts: string[]
  /** Directories whose content in the layers below the layer hides (`.wh..wh..opq`); '' is the root. */
  opaque: string[]
  /** Entries that were not created: devices and FIFOs. */
  skipped: Array<{ path: string; type: string }>
  entries: number
  bytes: number
}

/** The layer broke a rule; `entry` is the tar entry's name as the layer wrote it. */
export class UnsafeLayerError extends Error {
  constructor(readonly entry: string, readonly reason: string) {
    super(`entry ${JSON.stringify(entry)} ${reason}`)
    this.name = 'UnsafeLayerError'
  }
}

const NAME_MAX = 255
const PATH_MAX = 4095
const WHITEOUT = '.wh.'
const OPAQUE = '.wh..wh..opq'
/** Tar framing per entry beyond its content: a header, padding, and room for a long-name or pax header. */
const FRAMING_PER_ENTRY = 4096
const FRAMING_SLACK = 1024 * 1024
const MODE_BITS = 0o1777
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW

type Kind = 'dir' | 'file' | 'symlink'

/**
 * The path of an entry inside the layer ('' for the root), or an UnsafeLayerError.
 * `..` is resolved against the components before it and refused when it would climb above the root.
 */
export function entryPath(name: string, entry = name, what = 'path'): string {
  const parts: string[] = []
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (parts.length === 0) throw new UnsafeLayerError(entry, `has a ${what} that climbs out of the layer (${JSON.stringify(name)})`)
      parts.pop()
      continue
    }
    if (part.length > NAME_MAX) throw new UnsafeLayerError(entry, `has a ${what} component longer than ${NAME_MAX} bytes`)
    parts.push(part)
  }
  const path = parts.join('/')
  if (path.length > PATH_MAX) throw new UnsafeLayerError(entry, `has a ${what} longer than ${PATH_MAX} bytes`)
  return path
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/')
  return slash < 0 ? '' : path.slice(0, slash)
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

class LayerWriter {
  readonly kinds = new Map<string, Kind>([['', 'dir']])
  /** Directory metadata, applied once every entry is in (creating children changes a directory's mtime). */
  readonly dirs = new Map<string, Header>()
  readonly result: UnpackedLayer = { whiteouts: [], opaque: [], skipped: [], entries: 0, bytes: 0 }

  constructor(readonly root: string, readonly limits: UnpackLimits) {}

  abs(path: string): string {
    return path === '' ? this.root : join(this.root, path)
  }

  /** Every parent of `path` is a directory of this layer: made here when missing, refused when it is anything else. */
  async parents(path: string, entry: string): Promise<void> {
    const parts = path.split('/')
    let prefix = ''
    for (let i = 0; i < parts.length - 1; i++) {
      prefix = prefix === '' ? parts[i] : `${prefix}/${parts[i]}`
      const kind = this.kinds.get(prefix)
      if (kind === 'dir') continue
      if (kind === 'symlink') throw new UnsafeLayerError(entry, `would be written through the symlink ${JSON.stringify(prefix)}`)
      if (kind === 'file') throw new UnsafeLayerError(entry, `would be written under the file ${JSON.stringify(prefix)}`)
      await mkdir(this.abs(prefix), { mode: 0o755 })
      this.kinds.set(prefix, 'dir')
    }
  }

  /** Makes room for a new entry at `path`: whatever this layer had there goes (a directory with its content). */
  async clear(path: string, keepDir: boolean): Promise<boolean> {
    const kind = this.kinds.get(path)
    if (kind === undefined) return false
    if (kind === 'dir' && keepDir) return true
    await rm(this.abs(path), { recursive: true, force: true })
    this.kinds.delete(path)
    if (kind === 'dir') {
      const inside = `${path}/`
      for (const key of this.kinds.keys()) if (key.startsWith(inside)) this.kinds.delete(key)
      for (const key of this.dirs.keys()) if (key.startsWith(inside)) this.dirs.delete(key)
      this.dirs.delete(path)
    }
    return false
  }

  async entry(header: Header, body: Readable): Promise<void> {
    const name = header.name
    if (++this.result.entries > this.limits.maxEntries) {
      throw new UnsafeLayerError(name, `is past the limit of ${this.limits.maxEntries} entries per layer (a tar bomb?)`)
    }
    const path = entryPath(name)
    const base = baseOf(path)
    if (base.startsWith(WHITEOUT)) return this.whiteout(path, base, header)
    if (path === '') {
      // The layer's root: its owner and mode are the container root's business, not the layer's.
      return
    }
    switch (header.type) {
      case 'directory': return this.directory(path, header)
      case 'file':
      case 'contiguous-file': return this.file(path, header, body)
      case 'symlink': return this.symlink(path, header)
      case 'link': return this.hardlink(path, header)
      case 'character-device':
      case 'block-device':
      case 'fifo':
        this.result.skipped.push({ path, type: header.type })
        return
      default:
        this.result.skipped.push({ path, type: String(header.type) })
    }
  }

  async whiteout(path: string, base: string, header: Header): Promise<void> {
    const dir = parentOf(path)
    await this.parents(path, header.name)
    if (base === OPAQUE) {
      this.result.opaque.push(dir)
      return
    }
    // Other .wh..wh. names are aufs bookkeeping (hardlink directories), not deletions.
    if (base.startsWith(`${WHITEOUT}${WHITEOUT}`)) return
    const hidden = base.slice(WHITEOUT.length)
    if (hidden === '' || hidden === '.' || hidden === '..') throw new UnsafeLayerError(header.name, 'is a whiteout of no file')
    this.result.whiteouts.push(dir === '' ? hidden : `${dir}/${hidden}`)
  }

  async directory(path: string, header: Header): Promise<void> {
    await this.parents(path, header.name)
    if (!(await this.clear(path, true))) {
      await mkdir(this.abs(path), { mode: 0o755 })
      this.kinds.set(path, 'dir')
    }
    this.dirs.set(path, header)
  }

  async file(path: string, header: Header, body: Readable): Promise<void> {
    const size = header.size ?? 0
    if (this.result.bytes + size > this.limits.maxBytes) {
      throw new UnsafeLayerError(header.name, `would take the layer past its limit of ${this.limits.maxBytes} bytes (a tar bomb?)`)
    }
    await this.parents(path, header.name)
    await this.clear(path, false)
    const handle = await open(this.abs(path), WRITE_FLAGS, 0o600)
    this.kinds.set(path, 'file')
    try {
      let written = 0
      for await (const chunk of body) {
        written += (chunk as Buffer).length
        if (written > size) throw new UnsafeLayerError(header.name, 'has more content than its header says')
        await handle.write(chunk as Buffer)
      }
      this.result.bytes += written
      await handle.chown(header.uid ?? 0, header.gid ?? 0)
      await handle.chmod((header.mode ?? 0o644) & MODE_BITS)
      if (header.mtime !== undefined) await handle.utimes(header.mtime, header.mtime)
    } finally {
      await handle.close()
    }
  }

  async symlink(path: string, header: Header): Promise<void> {
    await this.parents(path, header.name)
    await this.clear(path, false)
    // Its target is never followed here: it only means something inside the container.
    await symlink(header.linkname ?? '', this.abs(path))
    this.kinds.set(path, 'symlink')
    await lchown(this.abs(path), header.uid ?? 0, header.gid ?? 0)
    if (header.mtime !== undefined) await lutimes(this.abs(path), header.mtime, header.mtime)
  }

  async hardlink(path: string, header: Header): Promise<void> {
    const target = entryPath(header.linkname ?? '', header.name, 'link target')
    const kind = this.kinds.get(target)
    if (kind === undefined || target === '') {
      throw new UnsafeLayerError(header.name, `is a hardlink to ${JSON.stringify(header.linkname)}, which is no file of this layer`)
    }
    if (kind === 'dir') throw new UnsafeLayerError(header.name, `is a hardlink to the directory ${JSON.stringify(header.linkname)}`)
    await this.parents(path, header.name)
    if (target === path) return
    await this.clear(path, false)
    await link(this.abs(target), this.abs(path))
    this.kinds.set(path, kind)
  }

  /**
   * An entry beats a whiteout of the same layer (the whiteout hides only what is below):
   * a directory deleted and made again hides the old content (opaque). Then directory
   * modes, owners and times, deepest first (so setting a parent's mtime comes last).
   */
  async finish(): Promise<void> {
    const whiteouts: string[] = []
    for (const path of this.result.whiteouts) {
      const kind = this.kinds.get(path)
      if (kind === undefined) whiteouts.push(path)
      else if (kind === 'dir' && !this.result.opaque.includes(path)) this.result.opaque.push(path)
    }
    this.result.whiteouts = whiteouts
    const paths = [...this.dirs.keys()].sort((a, b) => b.length - a.length)
    for (const path of paths) {
      const header = this.dirs.get(path)!
      const abs = this.abs(path)
      await lchown(abs, header.uid ?? 0, header.gid ?? 0)
      await chmod(abs, (header.mode ?? 0o755) & MODE_BITS)
      if (header.mtime !== undefined) await lutimes(abs, header.mtime, header.mtime)
    }
  }
}

/** Counts the tar stream's bytes: far more than its entries' content and framing is a bomb of padding. */
function streamLimit(writer: LayerWriter): Transform {
  let seen = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length
      const allowed = writer.limits.maxBytes + FRAMING_PER_ENTRY * (writer.result.entries + 1) + FRAMING_SLACK
      if (seen > allowed) done(new UnsafeLayerError('(stream)', `is ${seen} bytes of tar for ${writer.result.bytes} bytes of content (a tar bomb?)`))
      else done(null, chunk)
    }
  })
}

/**
 * Unpacks a tar into `root` (an empty directory the caller made). `source` is the
 * tar, or the stages that make it (the blob, a digest check, gunzip): an error in
 * any of them fails the unpack. Rejects with an UnsafeLayerError for a layer that
 * breaks a rule; the caller discards `root` then.
 */
export async function unpackLayer(
  source: Readable | ReadonlyArray<Readable | Transform>, root: string, limits: UnpackLimits = DEFAULT_UNPACK_LIMITS
): Promise<UnpackedLayer> {
  const writer = new LayerWriter(root, limits)
  const entries = extract()
  const stages = Array.isArray(source) ? source : [source as Readable]
  type Stage = NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream
  const feeding = (pipeline as (streams: readonly Stage[]) => Promise<void>)([...stages, streamLimit(writer), entries as unknown as Stage])
  feeding.catch(() => {})
  try {
    for await (const entry of entries) {
      await writer.entry(entry.header, entry as unknown as Readable)
      // Whatever the entry did not read (a directory's, a skipped device's content) is drained here.
      for await (const _ of entry) { /* drain */ }
    }
    await feeding
  } catch (error) {
    entries.destroy(error as Error)
    for (const stage of stages) stage.destroy()
    await feeding.catch(() => {})
    throw error
  }
  await writer.finish()
  return writer.result
}
