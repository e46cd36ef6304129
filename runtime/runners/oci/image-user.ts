// Who a container runs as: a user given by name (`nobody`, `app:staff`) is
// looked up in the image's /etc/passwd and /etc/group, as Docker does. The
// files are read from the layers themselves (top first, honouring whiteouts
// and opaque directories), with every path resolved inside the image: a
// symlink in the image (`/etc/passwd -> /etc/../../host`) means a path of the
// image, never of the host, so a hostile image cannot make the runner read a
// host file.
import { lstat, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { RunnerError } from '../errors.js'
import type { CachedLayer } from './image-store.js'

export interface ProcessUser {
  uid: number
  gid: number
  additionalGids: number[]
  /** The user's home from passwd (HOME when the environment has none). */
  home: string
}

const MAX_SYMLINKS = 40
const MAX_FILE = 4 * 1024 * 1024

type Found = { layer: CachedLayer; kind: 'file' | 'dir' | 'symlink' | 'other' } | undefined

/** The topmost layer holding `parts` (a path of the merged image), or undefined when it is absent or deleted. */
async function lookup(layers: readonly CachedLayer[], parts: readonly string[]): Promise<Found> {
  const path = parts.join('/')
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]
    try {
      const st = await lstat(join(layer.root, path))
      // A whiteout mark (overlay mode) is a character device: the path is deleted.
      if (st.isCharacterDevice()) return undefined
      return { layer, kind: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other' }
    } catch {
      // not in this layer
    }
    const { whiteouts, opaque } = layer.unpacked
    for (let k = parts.length; k >= 1; k--) {
      const prefix = parts.slice(0, k).join('/')
      if (whiteouts.includes(prefix)) return undefined
      if (k < parts.length && opaque.includes(prefix)) return undefined
    }
    if (opaque.includes('')) return undefined
  }
  return undefined
}

/** A file of the image (path absolute in the image), or undefined when there is none. */
export async function readImageFile(layers: readonly CachedLayer[], path: string): Promise<string | undefined> {
  let pending = path.split('/').filter((p) => p !== '' && p !== '.')
  const resolved: string[] = []
  let links = 0
  while (pending.length > 0) {
    const part = pending.shift()!
    if (part === '..') {
      resolved.pop()
      continue
    }
    const found = await lookup(layers, [...resolved, part])
    if (found === undefined) return undefined
    if (found.kind === 'symlink') {
      if (++links > MAX_SYMLINKS) return undefined
      const target = await readlink(join(found.layer.root, ...resolved, part))
      if (target.startsWith('/')) resolved.length = 0
      pending = [...target.split('/').filter((p) => p !== '' && p !== '.'), ...pending]
      continue
    }
    if (pending.length > 0 && found.kind !== 'dir') return undefined
    if (pending.length === 0) {
      if (found.kind !== 'file') return undefined
      const text = await readFile(join(found.layer.root, ...resolved, part))
      return text.subarray(0, MAX_FILE).toString('utf8')
    }
    resolved.push(part)
  }
  return undefined
}

interface Entry { name: string; id: number; gid: number; home: string; members: string[] }

function parse(text: string | undefined, kind: 'passwd' | 'group'): Entry[] {
  const out: Entry[] = []
  for (const line of (text ?? '').split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const f = line.split(':')
    const id = Number(f[2])
    if (!Number.isInteger(id) || id < 0) continue
    out.push(kind === 'passwd'
      ? { name: f[0], id, gid: Number(f[3]) || 0, home: f[5] || '/', members: [] }
      : { name: f[0], id, gid: id, home: '', members: (f[3] ?? '').split(',').filter((m) => m !== '') })
  }
  return out
}

const NUMERIC = /^\d+$/

function notFound(what: string, user: string): RunnerError {
  return new RunnerError('CannotCreateContainerError', `unable to find ${what} ${JSON.stringify(user)}: no matching entries in the image's ${what === 'user' ? 'passwd' : 'group'} file`, { field: 'user' })
}

/** `user[:group]`, names or numbers, as a uid, gid and the user's other groups. Absent: root. */
export async function resolveUser(layers: readonly CachedLayer[], spec: string | undefined): Promise<ProcessUser> {
  const value = spec === undefined || spec === '' ? '0' : spec
  const colon = value.indexOf(':')
  const userPart = colon < 0 ? value : value.slice(0, colon)
  const groupPart = colon < 0 ? undefined : value.slice(colon + 1)
  // Read even for numbers: the user's home and supplementary groups come from them too.
  const passwd = parse(await readImageFile(layers, '/etc/passwd'), 'passwd')
  const groups = parse(await readImageFile(layers, '/etc/group'), 'group')
  const entry = NUMERIC.test(userPart) ? passwd.find((p) => p.id === Number(userPart)) : passwd.find((p) => p.name === userPart)
  if (entry === undefined && !NUMERIC.test(userPart)) throw notFound('user', userPart)
  const uid = NUMERIC.test(userPart) ? Number(userPart) : entry!.id
  let gid = entry?.gid ?? 0
  if (groupPart !== undefined && groupPart !== '') {
    if (NUMERIC.test(groupPart)) gid = Number(groupPart)
    else {
      const group = groups.find((g) => g.name === groupPart)
      if (group === undefined) throw notFound('group', groupPart)
      gid = group.id
    }
  }
  // Supplementary groups: those that list the user (only with no explicit group, as Docker).
  const additionalGids = groupPart === undefined && entry !== undefined
    ? groups.filter((g) => g.members.includes(entry.name) && g.id !== gid).map((g) => g.id)
    : []
  return { uid, gid, additionalGids, home: entry?.home ?? '/' }
}
