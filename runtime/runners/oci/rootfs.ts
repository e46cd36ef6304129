// A container's root filesystem, assembled from cached layers (image-store.ts)
// in one of two ways, chosen once when the runner is created:
//   overlay  the layer directories are an overlayfs's lowerdirs, with an upper
//            and a work directory per container. The runtime mounts it (a mount
//            at "/" in config.json, in the container's own mount namespace), so
//            nothing is ever mounted on the host and nothing can be left
//            mounted there. Whiteouts are overlay marks in the layers already.
//   copy     where the kernel refuses overlayfs (a state dir on overlayfs, an
//            old kernel): the layers are copied into one directory, bottom
//            first, each layer's whiteouts and opaque directories applied to
//            what the layers below left before its files land.
// The copy never follows a symlink: it walks the layer and the target with
// lstat, and a layer's directory replaces whatever non-directory the target
// had at that path (a symlink to / in a lower layer is removed, not entered).
import { execFile } from 'node:child_process'
import { constants } from 'node:fs'
import { copyFile, lchown, link, lstat, lutimes, mkdir, readdir, readlink, rm, symlink, chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { CachedLayer } from './image-store.js'

const exec = promisify(execFile)

export type RootfsMode = 'overlay' | 'copy'

export interface OverlayProbe {
  mode: RootfsMode
  /** Why overlay is not used (copy mode). */
  reason?: string
}

/**
 * Can this kernel mount an overlay of directories under `dir`, honouring the
 * marks the overlay-marks helper makes? Mounts one on the host and looks:
 * a whited-out file must be gone and an opaque directory empty.
 */
export async function probeOverlay(dir: string, overlayMarks: string): Promise<OverlayProbe> {
  const root = join(dir, `.overlay-probe-${process.pid}`)
  const lower = join(root, 'lower')
  const upper = join(root, 'upper')
  const base = join(root, 'base')
  const merged = join(root, 'merged')
  let mounted = false
  try {
    await rm(root, { recursive: true, force: true })
    for (const d of [join(base, 'opaque'), join(lower, 'opaque'), upper, join(root, 'work'), merged]) await mkdir(d, { recursive: true })
    await writeFile(join(base, 'gone'), 'x')
    await writeFile(join(base, 'opaque', 'hidden'), 'x')
    await new Promise<void>((resolve, reject) => {
      const child = execFile(overlayMarks, [lower], (error, _out, stderr) => error ? reject(new Error(stderr.trim() || error.message)) : resolve())
      child.stdin!.end('w gone\no opaque\n')
    })
    await exec('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower}:${base},upperdir=${upper},workdir=${join(root, 'work')}`, merged])
    mounted = true
    const names = (await readdir(merged)).sort()
    const opaque = await readdir(join(merged, 'opaque'))
    if (names.join() !== 'opaque' || opaque.length !== 0) return { mode: 'copy', reason: `the overlay did not honour whiteouts (saw ${names.join(', ')})` }
    return { mode: 'overlay' }
  } catch (error) {
    return { mode: 'copy', reason: `overlayfs is not available here: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}` }
  } finally {
    if (mounted) await exec('umount', [merged]).catch(() => exec('umount', ['-l', merged]).catch(() => {}))
    await rm(root, { recursive: true, force: true }).catch(() => {})
  }
}

/** The overlay mount a container's config.json carries at "/": `lowers` bottom first (at least one). */
export function overlayOptions(lowers: readonly string[], upper: string, work: string): string[] {
  return [`lowerdir=${[...lowers].reverse().join(':')}`, `upperdir=${upper}`, `workdir=${work}`]
}

/** lstat, or undefined when nothing is there. */
async function lstatOrNone(path: string) {
  try {
    return await lstat(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** `rel` under `root` when every parent is a real directory (so `rel` names something the layers made), else undefined. */
async function inside(root: string, rel: string): Promise<string | undefined> {
  if (rel === '') return root
  const parts = rel.split('/')
  let path = root
  for (let i = 0; i < parts.length - 1; i++) {
    path = join(path, parts[i])
    const st = await lstatOrNone(path)
    if (st === undefined || !st.isDirectory()) return undefined
  }
  return join(path, parts[parts.length - 1])
}

/** What a layer deletes from the layers below, applied to the copy so far. */
async function applyDeletions(target: string, layer: CachedLayer): Promise<void> {
  for (const rel of layer.unpacked.opaque) {
    const path = await inside(target, rel)
    const st = path && await lstatOrNone(path)
    if (!path || !st) continue
    if (!st.isDirectory()) {
      await rm(path, { force: true })
      continue
    }
    for (const name of await readdir(path)) await rm(join(path, name), { recursive: true, force: true })
  }
  for (const rel of layer.unpacked.whiteouts) {
    const path = await inside(target, rel)
    if (path) await rm(path, { recursive: true, force: true })
  }
}

async function copyMetadata(path: string, st: { uid: number; gid: number; mode: number; atime: Date; mtime: Date }, isLink: boolean): Promise<void> {
  await lchown(path, st.uid, st.gid)
  if (!isLink) await chmod(path, st.mode & 0o7777)
  await lutimes(path, st.atime, st.mtime)
}

/** Copies the layer tree `src` over `dst`; `links` maps a hardlinked inode of the layer to its first copy. */
async function copyTree(src: string, dst: string, links: Map<number, string>): Promise<void> {
  for (const entry of await readdir(src, { withFileTypes: true })) {
    const from = join(src, entry.name)
    const to = join(dst, entry.name)
    const st = await lstat(from)
    const existing = await lstatOrNone(to)
    if (st.isDirectory()) {
      if (existing !== undefined && !existing.isDirectory()) await rm(to, { force: true })
      if (existing === undefined || !existing.isDirectory()) await mkdir(to)
      await copyTree(from, to, links)
      await copyMetadata(to, st, false)
      continue
    }
    if (existing !== undefined) await rm(to, { recursive: true, force: true })
    if (st.isSymbolicLink()) {
      await symlink(await readlink(from), to)
      await copyMetadata(to, st, true)
    } else if (st.isFile()) {
      const first = st.nlink > 1 ? links.get(st.ino) : undefined
      if (first !== undefined) {
        await link(first, to)
        continue
      }
      await copyFile(from, to, constants.COPYFILE_FICLONE)
      await copyMetadata(to, st, false)
      if (st.nlink > 1) links.set(st.ino, to)
    }
    // Nothing else is in a cached layer: unpack.ts makes no devices, FIFOs or sockets.
  }
}

/** copy mode: the layers (bottom first) assembled into `target`, an empty directory. */
export async function assembleCopy(layers: readonly CachedLayer[], target: string): Promise<void> {
  await mkdir(target, { recursive: true, mode: 0o755 })
  for (const layer of layers) {
    await applyDeletions(target, layer)
    await copyTree(layer.root, target, new Map())
  }
}
