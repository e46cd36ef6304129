import type { Readable } from 'node:stream'
import { RegistryError } from '../errors.js'

/**
 * The storage-driver contract, in the spirit of distribution's `storagedriver.StorageDriver`.
 *
 * Paths are absolute, `/`-separated, made of components matching `[A-Za-z0-9._-]+` (no `.`
 * or `..`); `/` is the root. A driver stores opaque bytes at paths and knows nothing of
 * blobs, manifests or repositories: the layout lives in `../content/paths.ts`.
 *
 * Contract every driver keeps (checked by tests/registry/storage-driver.test.ts, one suite
 * run unchanged against every registered driver):
 * - `putContent` is atomic: a reader sees the old content or the new, never a torn write;
 *   it creates parent directories as needed. It is also durable (survives a machine crash
 *   once it resolves) unless the caller passes `{ durable: false }`: then the content may
 *   be lost in a crash but is still never torn — for state that can be rebuilt or redone
 *   (an upload session's bookkeeping, a repository's link to a blob that is itself durable).
 * - `getContent`, `reader`, `stat` and `move` of a missing path reject with
 *   `PathNotFoundError` (code `PathNotFound`); `delete` of a missing path also does, so that
 *   callers can tell a no-op.
 * - `reader(path, offset, length)` streams bytes from `offset` (past the end: empty stream);
 *   content is never buffered whole. `open(path)` gives positioned reads of the same bytes.
 * - `writer(path, append)` returns a `FileWriter`; with `append` it continues after the bytes
 *   already there (an upload resumed after a restart), otherwise it truncates.
 *   Written bytes become visible to `stat`/`reader` after `close` or `commit`.
 * - `move` is atomic and durable, and replaces the destination if it exists.
 * - `list(path)` returns the full paths of the direct children of a directory, sorted;
 *   a missing directory rejects with `PathNotFoundError`.
 * - `walk(path, fn)` visits every file and directory below `path` depth-first in sorted
 *   order; `fn` returning `'skip'` on a directory skips its contents.
 * - Directories exist implicitly while they hold files; `delete` removes a file or a whole
 *   tree.
 */
export interface StorageDriver {
  /** The name under which the driver is registered (see `drivers.ts`). */
  readonly name: string
  getContent (path: string): Promise<Buffer>
  putContent (path: string, content: Uint8Array | string, options?: PutOptions): Promise<void>
  reader (path: string, offset?: number, length?: number): Promise<Readable>
  /** Random access to a file, for serving with recycled buffers (no allocation per chunk). */
  open (path: string): Promise<RandomAccessFile>
  writer (path: string, append: boolean): Promise<FileWriter>
  stat (path: string): Promise<FileInfo>
  list (path: string): Promise<string[]>
  move (sourcePath: string, destPath: string): Promise<void>
  delete (path: string): Promise<void>
  walk (path: string, fn: WalkFn): Promise<void>
}

export interface PutOptions {
  /** Wait until the content is on stable storage (default true). */
  readonly durable?: boolean
}

/** A file opened for reads at positions; `close` exactly once. */
export interface RandomAccessFile {
  readonly size: number
  /** Reads up to `length` bytes at `position` into `buffer` from 0; resolves bytes read (0 at the end). */
  read (buffer: Buffer, length: number, position: number): Promise<number>
  close (): Promise<void>
}

export interface FileInfo {
  readonly path: string
  /** Bytes for a file, 0 for a directory. */
  readonly size: number
  /** Last modification, epoch ms. */
  readonly modTime: number
  readonly isDir: boolean
}

export type WalkFn = (info: FileInfo) => void | 'skip' | Promise<void | 'skip'>

/**
 * A streaming writer. `write` may resolve before the bytes reach the medium (writes are
 * batched); it applies back-pressure by resolving late when its buffers are full, so a
 * writer never holds more than a few MiB. Exactly one of `close`, `commit` or `cancel` ends it.
 */
export interface FileWriter {
  /** Bytes in the file so far, including those present before an append-mode open. */
  readonly size: number
  write (chunk: Uint8Array): Promise<void>
  /** Flushes and closes; the file stays (an upload can resume later). */
  close (): Promise<void>
  /** Flushes, makes the bytes durable (fsync), closes. */
  commit (): Promise<void>
  /** Closes and deletes the file. */
  cancel (): Promise<void>
}

export class PathNotFoundError extends RegistryError {
  constructor (readonly path: string, driver: string, cause?: unknown) {
    super('PathNotFound', `${driver}: path not found: ${path}`, { kind: 'NotFound', cause, detail: { path } })
  }
}

export class InvalidPathError extends RegistryError {
  constructor (readonly path: string, driver: string) {
    super('InvalidPath', `${driver}: invalid path: ${JSON.stringify(path)}`, { kind: 'InvalidArgument', field: 'path' })
  }
}

const COMPONENT = /^[A-Za-z0-9._-]+$/

/** Validates a driver path; throws InvalidPathError. Returns it without a trailing slash. */
export function checkPath (path: string, driver: string): string {
  if (typeof path !== 'string' || !path.startsWith('/')) throw new InvalidPathError(path, driver)
  if (path === '/') return path
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path
  const parts = trimmed.slice(1).split('/')
  for (const part of parts) {
    if (!COMPONENT.test(part) || part === '.' || part === '..') throw new InvalidPathError(path, driver)
  }
  return trimmed
}

/** Resolves once `operation` has run; a PathNotFoundError (nothing there) counts as done. */
export async function ignoreMissing (operation: Promise<unknown>): Promise<void> {
  try { await operation } catch (err) { if (!(err instanceof PathNotFoundError)) throw err }
}

/** `driver.list(path)`, with a missing directory listed as empty. */
export async function listOrEmpty (driver: StorageDriver, path: string): Promise<string[]> {
  try { return await driver.list(path) } catch (err) {
    if (err instanceof PathNotFoundError) return []
    throw err
  }
}

/**
 * The `walk` every driver offers, written once over its `list` and `stat`: depth-first in
 * sorted order; a path removed while walking is skipped.
 */
export async function walkTree (driver: StorageDriver, path: string, fn: WalkFn): Promise<void> {
  for (const child of await driver.list(path)) {
    let info: FileInfo
    try { info = await driver.stat(child) } catch (err) {
      if (err instanceof PathNotFoundError) continue // removed while walking
      throw err
    }
    const verdict = await fn(info)
    if (info.isDir && verdict !== 'skip') await ignoreMissing(walkTree(driver, child, fn))
  }
}
