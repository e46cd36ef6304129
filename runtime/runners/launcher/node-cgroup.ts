// Memory cgroups for the pure-Node fallback: the same layout and rules as the C
// helper (launcher.c), synchronous because it only runs on the fallback's worker thread.
//
//   <our memory cgroup>/stratus-<tag>/job-<id>   one per limited process, removed after exit
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import type { MemoryLimitSupport } from './types.js'

export interface CgroupPlace {
  readonly version: 1 | 2
  /** Our own directory, parent of the per-process cgroups. */
  readonly base: string
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

function words(text: string | undefined): string[] {
  return text === undefined ? [] : text.split(/\s+/).filter((word) => word !== '')
}

/** Our cgroup's directory in the v1 hierarchy carrying `memory`, or in the v2 unified one. */
export function findOwnCgroup(version: 1 | 2): string | undefined {
  const own = read('/proc/self/cgroup')?.split('\n').map((line) => line.split(':')).find(([hier, controllers]) =>
    version === 2 ? hier === '0' && controllers === '' : controllers?.split(',').includes('memory'))
  if (!own) return undefined
  const path = own.slice(2).join(':')
  for (const line of read('/proc/self/mountinfo')?.split('\n') ?? []) {
    const [left, right] = line.split(' - ')
    if (!right) continue
    const [, , , root, mountpoint] = left.split(' ')
    const [fstype, , superOptions] = right.split(' ')
    const match = version === 2 ? fstype === 'cgroup2' : fstype === 'cgroup' && superOptions?.split(',').includes('memory')
    if (!match) continue
    let rel = path
    if (root !== '/') {
      if (path !== root && !path.startsWith(`${root}/`)) continue
      rel = path.slice(root.length)
    }
    return `${mountpoint}${rel === '/' ? '' : rel}`
  }
  return undefined
}

function none(reason: string): { support: MemoryLimitSupport } {
  return { support: { enforced: false, mechanism: 'none', reason } }
}

function errText(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error)
}

export function setupCgroup(
  spec: 'auto' | 'none' | { version: 1 | 2; parent: string },
  tag: string
): { place?: CgroupPlace; support: MemoryLimitSupport } {
  let version: 1 | 2
  let parent: string | undefined
  if (spec === 'none') return none('memory limits disabled by the launcher\'s caller')
  if (spec === 'auto') {
    parent = findOwnCgroup(1)
    version = 1
    if (parent === undefined) {
      parent = findOwnCgroup(2)
      version = 2
    }
    if (parent === undefined) return none('no writable memory cgroup found')
  } else {
    version = spec.version
    parent = spec.parent
  }
  if (version === 2) {
    if (!words(read(`${parent}/cgroup.controllers`)).includes('memory')) return none(`cgroup v2 at ${parent} has no memory controller`)
    if (!words(read(`${parent}/cgroup.subtree_control`)).includes('memory')) {
      try {
        writeFileSync(`${parent}/cgroup.subtree_control`, '+memory')
      } catch (error) {
        return none(`cannot enable the memory controller below ${parent}: ${errText(error)} (give the launcher a delegated cgroup)`)
      }
    }
  }
  sweepStale(parent)
  const base = `${parent}/stratus-${tag}`
  try {
    mkdirSync(base, { recursive: true })
    if (version === 2) writeFileSync(`${base}/cgroup.subtree_control`, '+memory')
  } catch (error) {
    return none(`cannot create a cgroup below ${parent}: ${errText(error)}`)
  }
  return {
    place: { version, base },
    support: { enforced: true, mechanism: version === 1 ? 'cgroup-v1' : 'cgroup-v2', cgroup: base }
  }
}

/** Removes the cgroups of fallback launchers whose process is gone (killed before cleaning up). */
function sweepStale(parent: string): void {
  let entries: string[]
  try {
    entries = readdirSync(parent)
  } catch {
    return
  }
  for (const name of entries) {
    const m = /^stratus-node-(\d+)-\d+$/.exec(name)
    if (!m || Number(m[1]) === process.pid) continue
    try {
      process.kill(Number(m[1]), 0)
      continue // still alive
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') continue
    }
    const base = `${parent}/${name}`
    try {
      for (const job of readdirSync(base)) if (job.startsWith('job-')) removeCgroup(`${base}/${job}`)
    } catch { /* raced with another sweeper */ }
    removeCgroup(base)
  }
}

/** Creates a process's cgroup with its limit; throws an errno exception. */
export function createJobCgroup(place: CgroupPlace, name: string, limitBytes: number): string {
  const dir = `${place.base}/${name}`
  mkdirSync(dir, { recursive: true })
  try {
    if (place.version === 1) {
      writeFileSync(`${dir}/memory.limit_in_bytes`, String(limitBytes))
      try { writeFileSync(`${dir}/memory.memsw.limit_in_bytes`, String(limitBytes)) } catch { /* no swap accounting */ }
    } else {
      writeFileSync(`${dir}/memory.max`, String(limitBytes))
      try { writeFileSync(`${dir}/memory.swap.max`, '0') } catch { /* no swap controller */ }
      try { writeFileSync(`${dir}/memory.oom.group`, '1') } catch { /* older kernel */ }
    }
  } catch (error) {
    removeCgroup(dir)
    throw error
  }
  return dir
}

export function killCgroupMembers(place: CgroupPlace, dir: string): void {
  if (place.version === 2) {
    try {
      writeFileSync(`${dir}/cgroup.kill`, '1')
      return
    } catch { /* before Linux 5.14: one by one */ }
  }
  for (const word of words(read(`${dir}/cgroup.procs`))) {
    // Never kill(0) or kill(-1): those mean "my whole group" and "everything".
    const pid = Number(word)
    if (!Number.isInteger(pid) || pid <= 0) continue
    try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ }
  }
}

export function cgroupOomKilled(place: CgroupPlace, dir: string, signal: NodeJS.Signals | null): boolean {
  const text = read(`${dir}/${place.version === 1 ? 'memory.oom_control' : 'memory.events'}`) ?? ''
  const counter = (key: string): number | undefined => {
    const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text)
    return m ? Number(m[1]) : undefined
  }
  const kills = counter('oom_kill')
  if (kills !== undefined) return kills > 0
  if (signal !== 'SIGKILL') return false
  if (place.version === 2) return (counter('oom') ?? 0) > 0
  return Number(read(`${dir}/memory.failcnt`) ?? 0) > 0
}

export function removeCgroup(dir: string): boolean {
  try {
    rmdirSync(dir)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT'
  }
}
