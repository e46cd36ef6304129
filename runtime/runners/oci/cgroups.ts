// The cgroups the OCI runner's containers live in. The runtime (runc) makes a
// container's cgroup at a path *relative to its own* (config.json
// linux.cgroupsPath `stratus-oci-<engine8>/<container id>`), so containers
// stay inside the cgroup the runner runs in, under whatever limits it has.
// The runtime applies linux.resources; the runner only reads OOM kills and
// removes the parent directories it caused when it closes.
import { access, readFile, readdir, rmdir } from 'node:fs/promises'
import { join } from 'node:path'

const ROOT = '/sys/fs/cgroup'

export interface MemoryCgroups {
  version: 1 | 2
  /** This process's memory cgroup directory: the runtime's containers go below it. */
  own: string
  /** The limit also covers swap (cgroup v1 memory.memsw.*). */
  swapAccounting: boolean
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false)
}

/** Lines of /proc/self/cgroup as [controllers, path]. */
async function ownCgroups(): Promise<Array<[string[], string]>> {
  const text = await readFile('/proc/self/cgroup', 'utf8').catch(() => '')
  return text.split('\n').filter((l) => l !== '').map((line) => {
    const first = line.indexOf(':')
    const second = line.indexOf(':', first + 1)
    return [line.slice(first + 1, second).split(',').filter((c) => c !== ''), line.slice(second + 1)]
  })
}

/** Where memory limits are, or undefined when the machine has no memory controller the runtime can use. */
export async function memoryCgroups(): Promise<MemoryCgroups | undefined> {
  const lines = await ownCgroups()
  const v1 = lines.find(([controllers]) => controllers.includes('memory'))
  if (v1 !== undefined && await exists(join(ROOT, 'memory', 'memory.limit_in_bytes'))) {
    const own = join(ROOT, 'memory', v1[1])
    return { version: 1, own, swapAccounting: await exists(join(ROOT, 'memory', 'memory.memsw.limit_in_bytes')) }
  }
  const v2 = lines.find(([controllers]) => controllers.length === 0)
  if (v2 !== undefined && (await readFile(join(ROOT, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/).includes('memory')) {
    return { version: 2, own: join(ROOT, v2[1]), swapAccounting: false }
  }
  return undefined
}

/** How many times the kernel's OOM killer struck in a container's memory cgroup (0 when it cannot say). */
export async function oomKills(dir: string | undefined, version: 1 | 2): Promise<number> {
  if (dir === undefined) return 0
  const text = await readFile(join(dir, version === 1 ? 'memory.oom_control' : 'memory.events'), 'utf8').catch(() => '')
  const match = /^oom_kill (\d+)$/m.exec(text)
  return match === null ? 0 : Number(match[1])
}

/** Removes `<hierarchy>/<own path>/<parent>` in every hierarchy (empty once the runtime deleted its containers). */
export async function removeCgroupParent(parent: string): Promise<void> {
  const lines = await ownCgroups()
  if (await exists(join(ROOT, 'cgroup.controllers'))) {
    // A unified (v2 only) host: one hierarchy at the root.
    const v2 = lines.find(([c]) => c.length === 0)
    if (v2 !== undefined) await rmdir(join(ROOT, v2[1], parent)).catch(() => {})
    return
  }
  for (const name of await readdir(ROOT).catch(() => [] as string[])) {
    const controllers = name === 'unified' ? [] : name === 'systemd' ? ['name=systemd'] : name.split(',')
    const line = lines.find(([c]) => c.length === controllers.length && c.every((x) => controllers.includes(x)))
    if (line === undefined) continue
    await rmdir(join(ROOT, name, line[1], parent)).catch(() => {})
  }
}
