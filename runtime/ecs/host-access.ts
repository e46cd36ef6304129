// What of the host an ECS task may have: checked when a task is launched
// (RunTask, StartTask, a service's tasks), before anything is written.
//
// A host bind mount (volumes[i].host.sourcePath) hands the container a host
// directory with the container's root as its owner: `/`, or the Docker
// socket, is the host's root, as a privileged container is. So both are
// gated the same way: anyone allowed RegisterTaskDefinition and RunTask gets
// no more of the host than the engine's operator opened.
//   - `/` and any path that is or holds the Docker socket: always refused.
//   - ecs.hostVolumeRoots given: only paths under those roots.
//   - not given: any path when the engine allows privileged containers (they
//     have the host already), else none (auth 'off', the default, accepts any
//     local caller: it is no reason to open the host).
//   - privileged: true is refused unless the engine allows privileged
//     containers (EngineOptions.allowPrivileged), never dropped.
// Paths are compared once symlinks are resolved (a link under a root that
// points at / is /), as far as the path exists.
import { realpathSync } from 'node:fs'
import { posix } from 'node:path'
import { clientException } from './errors.js'

/** The Docker sockets a bind mount may never reach (the engine's own control: host root). */
export const DOCKER_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock']

export interface HostAccessPolicy {
  /** Directories under which host bind mounts are allowed; undefined: see the file's head. */
  hostVolumeRoots?: readonly string[]
  allowPrivileged?: boolean
}

interface DefinitionLike {
  volumes?: ReadonlyArray<{ host?: { sourcePath?: string } }>
  containerDefinitions: ReadonlyArray<{ privileged?: boolean }>
}

/** The path with its symlinks resolved, as far as it exists (the rest appended as written). */
export function resolvedPath(path: string): string {
  const normal = posix.normalize(path).replace(/(.)\/+$/, '$1')
  const rest: string[] = []
  let head = normal
  for (;;) {
    try {
      return posix.join(realpathSync(head), ...rest.reverse())
    } catch {
      if (head === '/') return normal
      rest.push(posix.basename(head))
      head = posix.dirname(head)
    }
  }
}

const within = (path: string, root: string) => root === '/' || path === root || path.startsWith(`${root}/`)

/** Why sourcePath may not be bind-mounted under the policy, or undefined. */
export function hostPathProblem(sourcePath: string, policy: HostAccessPolicy): string | undefined {
  const path = resolvedPath(sourcePath)
  if (path === '/') return `${sourcePath} is the host's root directory, which is never mounted into a task`
  const socket = DOCKER_SOCKETS.map(resolvedPath).find((s) => within(s, path))
  if (socket !== undefined) return `${sourcePath} is or holds the Docker socket (${socket}), which is never mounted into a task: it controls the host`
  const roots = policy.hostVolumeRoots ?? (policy.allowPrivileged === true ? undefined : [])
  if (roots === undefined) return undefined
  if (roots.length === 0) {
    return `${sourcePath}: this engine allows no host bind mounts (set ecs.hostVolumeRoots to the directories tasks may mount, or start it allowing privileged containers)`
  }
  if (roots.some((r) => within(path, resolvedPath(r)))) return undefined
  return `${sourcePath} is outside the directories this engine allows host bind mounts from (ecs.hostVolumeRoots: ${roots.join(', ')})`
}

/** Refuses, with ClientException naming the field, a definition that asks more of the host than the policy allows. */
export function checkHostAccess(definition: DefinitionLike, policy: HostAccessPolicy): void {
  definition.containerDefinitions.forEach((c, i) => {
    if (c.privileged === true && policy.allowPrivileged !== true) {
      throw clientException(`containerDefinitions[${i}].privileged`, 'Privileged containers are not allowed: the engine was not started allowing them (allowPrivileged, --allow-privileged).')
    }
  })
  ;(definition.volumes ?? []).forEach((v, i) => {
    const sourcePath = v.host?.sourcePath
    if (sourcePath === undefined) return
    const problem = hostPathProblem(sourcePath, policy)
    if (problem !== undefined) throw clientException(`volumes[${i}].host.sourcePath`, `volumes[${i}].host.sourcePath: ${problem}.`)
  })
}
