import { Readable } from 'node:stream'
import { realClock, type Clock } from '../clock.js'
import { checkPath, PathNotFoundError, walkTree, type FileInfo, type FileWriter, type RandomAccessFile, type StorageDriver, type WalkFn } from './driver.js'

export interface InMemoryDriverOptions {
  /** Source of modification times (default: the real clock). */
  clock?: Clock
}

interface Entry {
  /** Content kept as the chunks it was written in: appends never copy what is already stored. */
  chunks: Buffer[]
  size: number
  modTime: number
}

/** Keeps everything in a Map; for tests and throw-away engines. Nothing survives the process. */
export class InMemoryDriver implements StorageDriver {
  readonly name = 'inmemory'
  readonly #files = new Map<string, Entry>()
  readonly #clock: Clock

  constructor (options: InMemoryDriverOptions = {}) {
    this.#clock = options.clock ?? realClock
  }

  #get (path: string): Entry {
    const entry = this.#files.get(checkPath(path, this.name))
    if (entry === undefined) throw new PathNotFoundError(path, this.name)
    return entry
  }

  #isDir (path: string): boolean {
    const prefix = path === '/' ? '/' : `${path}/`
    for (const key of this.#files.keys()) if (key.startsWith(prefix)) return true
    return false
  }

  async getContent (path: string): Promise<Buffer> {
    const entry = this.#get(path)
    return Buffer.concat(entry.chunks, entry.size)
  }

  async putContent (path: string, content: Uint8Array | string): Promise<void> {
    const p = checkPath(path, this.name)
    const data = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content)
    this.#files.set(p, { chunks: [data], size: data.length, modTime: this.#clock.now() })
  }

  async reader (path: string, offset = 0, length?: number): Promise<Readable> {
    const entry = this.#get(path)
    const start = Math.min(offset, entry.size)
    const end = length === undefined ? entry.size : Math.min(entry.size, start + length)
    const chunks = entry.chunks
    function * slices (): Generator<Buffer> {
      let pos = 0
      for (const chunk of chunks) {
        const cStart = pos
        const cEnd = pos + chunk.length
        pos = cEnd
        if (cEnd <= start) continue
        if (cStart >= end) break
        yield chunk.subarray(Math.max(0, start - cStart), Math.min(chunk.length, end - cStart))
      }
    }
    return Readable.from(slices(), { objectMode: false })
  }

  async open (path: string): Promise<RandomAccessFile> {
    const entry = this.#get(path)
    const chunks = entry.chunks.slice()
    const size = entry.size
    return {
      size,
      async read (buffer, length, position) {
        let copied = 0
        let pos = 0
        for (const chunk of chunks) {
          const cEnd = pos + chunk.length
          if (cEnd > position + copied && copied < length) {
            const from = position + copied - pos
            copied += chunk.copy(buffer, copied, from, Math.min(chunk.length, from + length - copied))
          }
          pos = cEnd
          if (copied >= length) break
        }
        return copied
      },
      async close () {}
    }
  }

  async writer (path: string, append: boolean): Promise<FileWriter> {
    const p = checkPath(path, this.name)
    const existing = append ? this.#files.get(p) : undefined
    const entry: Entry = existing ?? { chunks: [], size: 0, modTime: this.#clock.now() }
    const files = this.#files
    const clock = this.#clock
    const staged: Buffer[] = []
    let stagedBytes = 0
    let done = false
    const publish = (): void => {
      entry.chunks.push(...staged)
      entry.size += stagedBytes
      entry.modTime = clock.now()
      files.set(p, entry)
      staged.length = 0
      stagedBytes = 0
    }
    return {
      get size () { return entry.size + stagedBytes },
      async write (chunk: Uint8Array) {
        if (done) throw new Error('inmemory writer: write after close')
        // Copy: the caller may reuse its buffer once the promise resolves.
        staged.push(Buffer.from(chunk))
        stagedBytes += chunk.byteLength
      },
      async close () { if (!done) { done = true; publish() } },
      async commit () { if (done) throw new Error('inmemory writer: commit after close'); done = true; publish() },
      async cancel () { done = true; files.delete(p) }
    }
  }

  async stat (path: string): Promise<FileInfo> {
    const p = checkPath(path, this.name)
    const entry = this.#files.get(p)
    if (entry !== undefined) return { path: p, size: entry.size, modTime: entry.modTime, isDir: false }
    if (p === '/' || this.#isDir(p)) return { path: p, size: 0, modTime: this.#clock.now(), isDir: true }
    throw new PathNotFoundError(path, this.name)
  }

  async list (path: string): Promise<string[]> {
    const p = checkPath(path, this.name)
    const prefix = p === '/' ? '/' : `${p}/`
    const children = new Set<string>()
    for (const key of this.#files.keys()) {
      if (!key.startsWith(prefix)) continue
      const slash = key.indexOf('/', prefix.length)
      children.add(slash < 0 ? key : key.slice(0, slash))
    }
    if (children.size === 0 && p !== '/') {
      if (this.#files.has(p)) return []
      throw new PathNotFoundError(path, this.name)
    }
    return [...children].sort()
  }

  async move (sourcePath: string, destPath: string): Promise<void> {
    const src = checkPath(sourcePath, this.name)
    const dst = checkPath(destPath, this.name)
    const entry = this.#files.get(src)
    if (entry !== undefined) {
      this.#files.delete(src)
      this.#files.set(dst, entry)
      return
    }
    const prefix = `${src}/`
    const moved = [...this.#files.entries()].filter(([k]) => k.startsWith(prefix))
    if (moved.length === 0) throw new PathNotFoundError(sourcePath, this.name)
    for (const [k, v] of moved) {
      this.#files.delete(k)
      this.#files.set(dst + k.slice(src.length), v)
    }
  }

  async delete (path: string): Promise<void> {
    const p = checkPath(path, this.name)
    let found = this.#files.delete(p)
    const prefix = p === '/' ? '/' : `${p}/`
    for (const key of [...this.#files.keys()]) {
      if (key.startsWith(prefix)) { this.#files.delete(key); found = true }
    }
    if (!found) throw new PathNotFoundError(path, this.name)
  }

  walk (path: string, fn: WalkFn): Promise<void> {
    return walkTree(this, path, fn)
  }
}
