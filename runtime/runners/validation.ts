// What the instrumented wrapper checks before a runner sees a call: the shape
// and ranges of a SandboxSpec, and that the runner has the capabilities the
// spec needs. Each check throws the first fault it finds as a RunnerError
// naming its path in the spec. It runs for every sandbox (a million simulated
// array children), so it allocates nothing on a valid spec.
import { constants } from 'node:os'
import { invalidArgument, invalidSpec, unsupported } from './errors.js'
import type { ContainerSpec, RunnerCapabilities, SandboxListener, SandboxSpec, StopOptions } from './runner.js'

export const MAX_ID_LENGTH = 256
/** As ECS: at most 10 containers in a task. */
export const MAX_CONTAINERS = 10
export const MAX_NAME_LENGTH = 255
export const MAX_VCPUS = 1024
/** 24 TiB, the largest EC2 instances. */
export const MAX_MEMORY_MIB = 24 * 1024 * 1024
export const MAX_GPUS = 64
export const MAX_PORT_MAPPINGS = 100
/** What the launcher can time (u32 milliseconds). */
export const MAX_GRACE_MS = 0xffff_ffff
export const MAX_MOUNTS = 100
export const MAX_ULIMITS = 32
/** The ulimit names AWS accepts (Batch and ECS containerDefinitions.ulimits). */
export const ULIMIT_NAMES: ReadonlySet<string> = new Set([
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'
])

/** ECS's healthCheck defaults (seconds) and ranges. */
export const HEALTH_CHECK_DEFAULTS = { intervalSeconds: 30, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 0 } as const
const HEALTH_RANGES = {
  intervalSeconds: [5, 300], timeoutSeconds: [2, 60], retries: [1, 10], startPeriodSeconds: [0, 300]
} as const
/** A day: the longest stopTimeoutSeconds (ECS caps Fargate's at 120; that check is ECS's). */
export const MAX_STOP_TIMEOUT_SECONDS = 86_400
const CONDITIONS = new Set(['START', 'COMPLETE', 'SUCCESS', 'HEALTHY'])
/** A Docker volume name (ECS: up to 255 letters, numbers, hyphens and underscores). */
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/
const NETWORK_MODES = new Set(['awsvpc', 'bridge', 'host', 'none'])
const LOOPBACK = /^127\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'number') return String(value)
  return typeof value
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * A field's path: `name` of the spec (i < 0) or of its container i. Built only
 * for a fault, so that a valid spec costs no string.
 */
function path(i: number, name: string): string {
  return i < 0 ? name : `containers[${i}].${name}`
}

function checkString(value: unknown, i: number, name: string, max = Infinity): void {
  if (typeof value !== 'string') throw invalidSpec(path(i, name), `must be a string, got ${describe(value)}`)
  if (value.length === 0) throw invalidSpec(path(i, name), 'must not be empty')
  if (value.length > max) throw invalidSpec(path(i, name), `is ${value.length} characters; the limit is ${max}`, max)
  if (value.includes('\0')) throw invalidSpec(path(i, name), 'must not contain NUL characters')
}

function checkOptionalString(value: unknown, i: number, name: string): void {
  if (value !== undefined) checkString(value, i, name)
}

function checkPath(value: unknown, i: number, name: string): void {
  checkString(value, i, name)
  if ((value as string)[0] !== '/') throw invalidSpec(path(i, name), `must be an absolute path, got ${describe(value)}`)
}

function checkStrings(value: unknown, i: number, name: string): void {
  if (!Array.isArray(value)) throw invalidSpec(path(i, name), `must be an array of strings, got ${describe(value)}`)
  for (let k = 0; k < value.length; k++) {
    const item: unknown = value[k]
    if (typeof item !== 'string') throw invalidSpec(`${path(i, name)}[${k}]`, `must be a string, got ${describe(item)}`)
    if (item.includes('\0')) throw invalidSpec(`${path(i, name)}[${k}]`, 'must not contain NUL characters')
  }
}

function checkNumber(value: unknown, i: number, name: string, max: number, integer: boolean): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidSpec(path(i, name), `must be a finite number, got ${describe(value)}`)
  if (integer && !Number.isInteger(value)) throw invalidSpec(path(i, name), `must be a whole number, got ${value}`)
  if (value < 0) throw invalidSpec(path(i, name), `must not be negative, got ${value}`, 0)
  if (value > max) throw invalidSpec(path(i, name), `is ${value}; the limit is ${max}`, max)
}

function checkPortNumber(value: unknown, field: string, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 65535) {
    throw invalidSpec(field, `must be a whole number from ${min} to 65535, got ${describe(value)}`, 65535)
  }
}

/** Labels (and a list() filter): string keys and string values. */
function checkLabels(labels: unknown, field: string, fault: (field: string, message: string) => Error): void {
  if (!isRecord(labels)) throw fault(field, `must be an object of strings, got ${describe(labels)}`)
  for (const key in labels) {
    const value = labels[key]
    if (key.length === 0) throw fault(field, 'a label key must not be empty')
    if (typeof value !== 'string') throw fault(`${field}.${key}`, `must be a string, got ${describe(value)}`)
  }
}

function checkPortMappings(ports: unknown, i: number, caps: RunnerCapabilities, kind: string): void {
  const at = path(i, 'portMappings')
  if (!Array.isArray(ports)) throw invalidSpec(at, `must be an array, got ${describe(ports)}`)
  if (ports.length > 0 && !caps.ports) throw unsupported(at, `the ${kind} runner cannot publish ports`)
  if (ports.length > MAX_PORT_MAPPINGS) throw invalidSpec(at, `has ${ports.length} mappings; the limit is ${MAX_PORT_MAPPINGS}`, MAX_PORT_MAPPINGS)
  for (let p = 0; p < ports.length; p++) {
    const m: unknown = ports[p]
    const pat = `${at}[${p}]`
    if (!isRecord(m)) throw invalidSpec(pat, `must be an object, got ${describe(m)}`)
    checkPortNumber(m.containerPort, `${pat}.containerPort`, 1)
    if (m.hostPort !== undefined) checkPortNumber(m.hostPort, `${pat}.hostPort`, 0)
    if (m.protocol !== undefined && m.protocol !== 'tcp' && m.protocol !== 'udp') {
      throw invalidSpec(`${pat}.protocol`, `must be tcp or udp, got ${describe(m.protocol)}`)
    }
  }
}

function checkContainer(c: ContainerSpec, i: number, caps: RunnerCapabilities, kind: string): void {
  if (!isRecord(c)) throw invalidSpec(`containers[${i}]`, `must be an object, got ${describe(c)}`)
  checkString(c.name, i, 'name', MAX_NAME_LENGTH)
  if (c.essential !== undefined && typeof c.essential !== 'boolean') throw invalidSpec(path(i, 'essential'), `must be a boolean, got ${describe(c.essential)}`)
  // Runners without images ignore one, but it must still be a name.
  checkOptionalString(c.image, i, 'image')
  checkStrings(c.command, i, 'command')
  // A runner without images runs the command itself: it needs a program.
  if (!caps.images && c.command.length === 0) throw invalidSpec(path(i, 'command'), `must name a program: the ${kind} runner runs commands, not images`)
  if (!caps.images && c.command[0] === '') throw invalidSpec(path(i, 'command[0]'), 'must name a program: it is empty')
  if (c.entryPoint !== undefined) checkStrings(c.entryPoint, i, 'entryPoint')
  if (!isRecord(c.env)) throw invalidSpec(path(i, 'env'), `must be an object of strings, got ${describe(c.env)}`)
  for (const key in c.env) {
    const value: unknown = c.env[key]
    if (key.length === 0 || key.includes('=') || key.includes('\0')) throw invalidSpec(path(i, 'env'), `${describe(key)} is no variable name (empty, or with '=' or NUL)`)
    if (typeof value !== 'string') throw invalidSpec(path(i, `env.${key}`), `must be a string, got ${describe(value)}`)
    if (value.includes('\0')) throw invalidSpec(path(i, `env.${key}`), 'must not contain NUL characters')
  }
  checkOptionalString(c.workingDirectory, i, 'workingDirectory')
  checkOptionalString(c.user, i, 'user')
  checkNumber(c.vcpus, i, 'vcpus', MAX_VCPUS, false)
  checkNumber(c.memoryMiB, i, 'memoryMiB', MAX_MEMORY_MIB, true)
  if (c.memoryReservationMiB !== undefined) {
    checkNumber(c.memoryReservationMiB, i, 'memoryReservationMiB', c.memoryMiB > 0 ? c.memoryMiB : MAX_MEMORY_MIB, true)
  }
  checkNumber(c.gpus, i, 'gpus', MAX_GPUS, true)
  if (c.portMappings !== undefined) checkPortMappings(c.portMappings, i, caps, kind)
  checkPath(c.logPath, i, 'logPath')
  checkPath(c.workDir, i, 'workDir')
  if (c.mounts !== undefined) checkMounts(c.mounts, i, caps, kind)
  // A runner without images runs the command as the engine's own user, on the host's filesystem: it
  // refuses what only a container can give rather than run without it.
  if (!caps.images) {
    if (c.user !== undefined) throw unsupported(path(i, 'user'), `the ${kind} runner runs commands as the engine's user; a user needs a container runner`)
    if (c.readonlyRootFilesystem === true) throw unsupported(path(i, 'readonlyRootFilesystem'), `the ${kind} runner has no root filesystem of the container's own`)
    if (c.ulimits !== undefined && c.ulimits.length > 0) throw unsupported(path(i, 'ulimits'), `the ${kind} runner does not set resource limits; ulimits need a container runner`)
  }
  if (c.ulimits !== undefined) checkUlimits(c.ulimits, i)
  for (const flag of ['readonlyRootFilesystem', 'privileged', 'initProcessEnabled'] as const) {
    if (c[flag] !== undefined && typeof c[flag] !== 'boolean') throw invalidSpec(path(i, flag), `must be a boolean, got ${describe(c[flag])}`)
  }
  if (c.privileged === true && caps.privileged !== true) {
    throw unsupported(path(i, 'privileged'), `the ${kind} runner does not run privileged containers (the engine was not started allowing them)`)
  }
  if (c.healthCheck !== undefined) checkHealthCheck(c.healthCheck, i, caps, kind)
  if (c.stopTimeoutSeconds !== undefined) {
    checkNumber(c.stopTimeoutSeconds, i, 'stopTimeoutSeconds', MAX_STOP_TIMEOUT_SECONDS, true)
    if (caps.stopTimeout !== true) throw unsupported(path(i, 'stopTimeoutSeconds'), `the ${kind} runner has no per-container stop timeout`)
  }
  if (c.dockerLabels !== undefined) {
    checkLabels(c.dockerLabels, path(i, 'dockerLabels'), invalidSpec)
    for (const key in c.dockerLabels) {
      if (key.startsWith('stratus.')) throw invalidSpec(`${path(i, 'dockerLabels')}.${key}`, 'labels starting with stratus. are the runner\'s own')
    }
    if (caps.dockerLabels !== true && Object.keys(c.dockerLabels).length > 0) throw unsupported(path(i, 'dockerLabels'), `the ${kind} runner has no container labels`)
  }
  if (c.volumes !== undefined) checkVolumes(c.volumes, i, caps, kind)
}

function checkHealthCheck(check: unknown, i: number, caps: RunnerCapabilities, kind: string): void {
  const at = path(i, 'healthCheck')
  if (!isRecord(check)) throw invalidSpec(at, `must be an object, got ${describe(check)}`)
  checkStrings(check.command, i, 'healthCheck.command')
  const command = check.command as string[]
  if (command[0] !== 'CMD' && command[0] !== 'CMD-SHELL') {
    throw invalidSpec(`${at}.command[0]`, `must be CMD or CMD-SHELL, got ${describe(command[0])}`)
  }
  if (command.length < 2 || command[1] === '') throw invalidSpec(`${at}.command`, `${command[0]} must be followed by the command to run`)
  for (const key of Object.keys(HEALTH_RANGES) as Array<keyof typeof HEALTH_RANGES>) {
    const value = check[key]
    if (value === undefined) continue
    const [min, max] = HEALTH_RANGES[key]
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw invalidSpec(`${at}.${key}`, `must be a whole number from ${min} to ${max}, got ${describe(value)}`, typeof value === 'number' && value < min ? min : max)
    }
  }
  if (caps.healthChecks !== true) throw unsupported(at, `the ${kind} runner has no health checks`)
}

function checkVolumes(volumes: unknown, i: number, caps: RunnerCapabilities, kind: string): void {
  const at = path(i, 'volumes')
  if (!Array.isArray(volumes)) throw invalidSpec(at, `must be an array, got ${describe(volumes)}`)
  if (volumes.length > MAX_MOUNTS) throw invalidSpec(at, `has ${volumes.length} volumes; the limit is ${MAX_MOUNTS}`, MAX_MOUNTS)
  for (let v = 0; v < volumes.length; v++) {
    const volume: unknown = volumes[v]
    const vat = `${at}[${v}]`
    if (!isRecord(volume)) throw invalidSpec(vat, `must be an object, got ${describe(volume)}`)
    if (typeof volume.volume !== 'string' || !VOLUME_NAME.test(volume.volume)) {
      throw invalidSpec(`${vat}.volume`, `must be a volume name (letters, digits, _ . -, starting with a letter or digit, up to 255), got ${describe(volume.volume)}`, 255)
    }
    const target = volume.containerPath
    if (typeof target !== 'string' || target[0] !== '/' || target.includes('\0')) throw invalidSpec(`${vat}.containerPath`, `must be an absolute path, got ${describe(target)}`)
    for (const key of ['readOnly', 'autoprovision'] as const) {
      if (volume[key] !== undefined && typeof volume[key] !== 'boolean') throw invalidSpec(`${vat}.${key}`, `must be a boolean, got ${describe(volume[key])}`)
    }
    if (volume.scope !== undefined && volume.scope !== 'task' && volume.scope !== 'shared') throw invalidSpec(`${vat}.scope`, `must be task or shared, got ${describe(volume.scope)}`)
    if (volume.driver !== undefined && volume.driver !== 'local') throw invalidSpec(`${vat}.driver`, `must be local (the only driver), got ${describe(volume.driver)}`)
    if (volume.labels !== undefined) checkLabels(volume.labels, `${vat}.labels`, invalidSpec)
  }
  if (volumes.length > 0 && caps.volumes !== true) throw unsupported(at, `the ${kind} runner has no named volumes`)
}

/** What refers to other containers: dependsOn (no cycles, conditions ECS accepts) and volumesFrom, and one scope per volume name. */
function checkReferences(containers: readonly ContainerSpec[], caps: RunnerCapabilities, kind: string): void {
  const index = (name: unknown) => containers.findIndex((c) => c.name === name)
  let edges = false
  let scopes: Map<string, string> | undefined
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i]
    if (c.volumes !== undefined && c.volumes.length > 0) scopes ??= new Map()
    for (const v of c.volumes ?? []) {
      const scope = v.scope ?? 'task'
      const known = scopes!.get(v.volume)
      if (known !== undefined && known !== scope) throw invalidSpec(path(i, 'volumes'), `volume ${v.volume} is ${known}-scoped in another container of this sandbox`)
      scopes!.set(v.volume, scope)
    }
    if (c.volumesFrom !== undefined) {
      const at = path(i, 'volumesFrom')
      if (!Array.isArray(c.volumesFrom)) throw invalidSpec(at, `must be an array, got ${describe(c.volumesFrom)}`)
      for (let k = 0; k < c.volumesFrom.length; k++) {
        const from: unknown = c.volumesFrom[k]
        const fat = `${at}[${k}]`
        if (!isRecord(from)) throw invalidSpec(fat, `must be an object, got ${describe(from)}`)
        const source = index(from.sourceContainer)
        if (source < 0 || source === i) throw invalidSpec(`${fat}.sourceContainer`, `must name another container of this sandbox, got ${describe(from.sourceContainer)}`)
        if (from.readOnly !== undefined && typeof from.readOnly !== 'boolean') throw invalidSpec(`${fat}.readOnly`, `must be a boolean, got ${describe(from.readOnly)}`)
      }
      if (c.volumesFrom.length > 0 && caps.volumesFrom !== true) throw unsupported(at, `the ${kind} runner has no volumesFrom`)
    }
    if (c.dependsOn === undefined) continue
    const at = path(i, 'dependsOn')
    if (!Array.isArray(c.dependsOn)) throw invalidSpec(at, `must be an array, got ${describe(c.dependsOn)}`)
    for (let k = 0; k < c.dependsOn.length; k++) {
      const dep: unknown = c.dependsOn[k]
      const dat = `${at}[${k}]`
      if (!isRecord(dep)) throw invalidSpec(dat, `must be an object, got ${describe(dep)}`)
      const target = index(dep.containerName)
      if (target < 0 || target === i) throw invalidSpec(`${dat}.containerName`, `must name another container of this sandbox, got ${describe(dep.containerName)}`)
      if (typeof dep.condition !== 'string' || !CONDITIONS.has(dep.condition)) throw invalidSpec(`${dat}.condition`, `must be START, COMPLETE, SUCCESS or HEALTHY, got ${describe(dep.condition)}`)
      if (dep.condition === 'HEALTHY' && containers[target].healthCheck === undefined) {
        throw invalidSpec(`${dat}.condition`, `HEALTHY needs container ${containers[target].name} to have a healthCheck`)
      }
      if ((dep.condition === 'COMPLETE' || dep.condition === 'SUCCESS') && containers[target].essential !== false) {
        throw invalidSpec(`${dat}.condition`, `${dep.condition} cannot be set on an essential container (${containers[target].name})`)
      }
      edges = true
    }
    if (c.dependsOn.length > 0 && caps.dependsOn !== true) throw unsupported(at, `the ${kind} runner has no container dependencies`)
  }
  if (edges) checkNoCycle(containers, index)
}

/** Depth-first, marking containers on the current path: a dependency back onto the path is a cycle. */
function checkNoCycle(containers: readonly ContainerSpec[], index: (name: string) => number): void {
  const state = new Array<number>(containers.length).fill(0) // 0 unvisited, 1 on the path, 2 done
  const visit = (i: number, trail: string[]): void => {
    state[i] = 1
    for (const dep of containers[i].dependsOn ?? []) {
      const j = index(dep.containerName)
      if (state[j] === 1) {
        const cycle = [...trail.slice(trail.indexOf(containers[j].name)), containers[i].name, containers[j].name]
        throw invalidSpec(`containers[${i}].dependsOn`, `the dependencies form a cycle: ${cycle.join(' → ')}`)
      }
      if (state[j] === 0) visit(j, [...trail, containers[i].name])
    }
    state[i] = 2
  }
  for (let i = 0; i < containers.length; i++) if (state[i] === 0) visit(i, [])
}

function checkMounts(mounts: unknown, i: number, caps: RunnerCapabilities, kind: string): void {
  const at = path(i, 'mounts')
  if (!Array.isArray(mounts)) throw invalidSpec(at, `must be an array, got ${describe(mounts)}`)
  if (mounts.length > 0 && !caps.images) throw unsupported(at, `the ${kind} runner runs commands on the host: it has no container filesystem to mount into`)
  if (mounts.length > MAX_MOUNTS) throw invalidSpec(at, `has ${mounts.length} mounts; the limit is ${MAX_MOUNTS}`, MAX_MOUNTS)
  for (let m = 0; m < mounts.length; m++) {
    const mount: unknown = mounts[m]
    const mat = `${at}[${m}]`
    if (!isRecord(mount)) throw invalidSpec(mat, `must be an object, got ${describe(mount)}`)
    for (const key of ['sourcePath', 'containerPath'] as const) {
      const value = mount[key]
      if (typeof value !== 'string' || value[0] !== '/' || value.includes('\0')) throw invalidSpec(`${mat}.${key}`, `must be an absolute path, got ${describe(value)}`)
    }
    if (mount.readOnly !== undefined && typeof mount.readOnly !== 'boolean') throw invalidSpec(`${mat}.readOnly`, `must be a boolean, got ${describe(mount.readOnly)}`)
  }
}

function checkUlimits(ulimits: unknown, i: number): void {
  const at = path(i, 'ulimits')
  if (!Array.isArray(ulimits)) throw invalidSpec(at, `must be an array, got ${describe(ulimits)}`)
  if (ulimits.length > MAX_ULIMITS) throw invalidSpec(at, `has ${ulimits.length} ulimits; the limit is ${MAX_ULIMITS}`, MAX_ULIMITS)
  for (let u = 0; u < ulimits.length; u++) {
    const limit: unknown = ulimits[u]
    const uat = `${at}[${u}]`
    if (!isRecord(limit)) throw invalidSpec(uat, `must be an object, got ${describe(limit)}`)
    if (typeof limit.name !== 'string' || !ULIMIT_NAMES.has(limit.name)) throw invalidSpec(`${uat}.name`, `must be one of ${[...ULIMIT_NAMES].join(', ')}, got ${describe(limit.name)}`)
    for (const key of ['softLimit', 'hardLimit'] as const) {
      const value = limit[key]
      if (typeof value !== 'number' || !Number.isInteger(value) || value < -1) throw invalidSpec(`${uat}.${key}`, `must be a whole number (-1: unlimited), got ${describe(value)}`)
    }
    if ((limit.hardLimit as number) !== -1 && ((limit.softLimit as number) === -1 || (limit.softLimit as number) > (limit.hardLimit as number))) {
      throw invalidSpec(`${uat}.softLimit`, `must not exceed hardLimit ${String(limit.hardLimit)}`, limit.hardLimit as number)
    }
  }
}

/** Containers share the sandbox's network namespace: a port (container side, or a fixed host side) is taken once. */
function checkPortsUnique(containers: readonly ContainerSpec[]): void {
  for (let i = 0; i < containers.length; i++) {
    const mine = containers[i].portMappings
    if (mine === undefined) continue
    for (let p = 0; p < mine.length; p++) {
      const a = mine[p]
      for (let j = i; j < containers.length; j++) {
        const theirs = containers[j].portMappings
        if (theirs === undefined) continue
        for (let q = j === i ? p + 1 : 0; q < theirs.length; q++) {
          const b = theirs[q]
          if ((a.protocol ?? 'tcp') !== (b.protocol ?? 'tcp')) continue
          if (a.containerPort === b.containerPort) {
            throw invalidSpec(`containers[${j}].portMappings[${q}].containerPort`, `port ${b.containerPort} is already mapped in this sandbox`)
          }
          if (a.hostPort && a.hostPort === b.hostPort) {
            throw invalidSpec(`containers[${j}].portMappings[${q}].hostPort`, `host port ${b.hostPort} is already mapped in this sandbox`)
          }
        }
      }
    }
  }
}

export function checkSpec(spec: SandboxSpec, caps: RunnerCapabilities, kind: string): void {
  if (!isRecord(spec)) throw invalidSpec('spec', `must be an object, got ${describe(spec)}`)
  checkString(spec.id, -1, 'id', MAX_ID_LENGTH)
  checkLabels(spec.labels, 'labels', invalidSpec)
  if (spec.address !== undefined && (typeof spec.address !== 'string' || !LOOPBACK.test(spec.address))) {
    throw invalidSpec('address', `must be an IPv4 address in 127.0.0.0/8, got ${describe(spec.address)}`)
  }
  if (spec.networkMode !== undefined && !NETWORK_MODES.has(spec.networkMode)) {
    throw invalidSpec('networkMode', `must be awsvpc, bridge, host or none, got ${describe(spec.networkMode)}`)
  }
  if (spec.networkMode !== undefined && spec.networkMode !== 'awsvpc' && !(caps.networkModes ?? ['awsvpc']).includes(spec.networkMode)) {
    throw unsupported('networkMode', `the ${kind} runner does not have network mode ${spec.networkMode}`)
  }
  if (spec.host !== undefined) {
    if (typeof spec.host !== 'string' || spec.host.length === 0) throw invalidSpec('host', `must be a host name, got ${describe(spec.host)}`)
    if (!(caps.hosts ?? []).includes(spec.host)) throw invalidSpec('host', `the ${kind} runner has no host ${describe(spec.host)} (it has ${(caps.hosts ?? []).join(', ') || 'one, unnamed'})`)
  }
  const containers: unknown = spec.containers
  if (!Array.isArray(containers)) throw invalidSpec('containers', `must be an array, got ${describe(containers)}`)
  if (containers.length === 0) throw invalidSpec('containers', 'a sandbox needs at least one container', 1)
  if (containers.length > 1 && !caps.multiContainer) throw unsupported('containers', `the ${kind} runner runs one container per sandbox`, 1)
  if (containers.length > MAX_CONTAINERS) throw invalidSpec('containers', `has ${containers.length} containers; the limit is ${MAX_CONTAINERS}`, MAX_CONTAINERS)
  let essential = 0
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i] as ContainerSpec
    checkContainer(c, i, caps, kind)
    if (c.essential !== false) essential++
    for (let j = 0; j < i; j++) {
      if ((containers[j] as ContainerSpec).name === c.name) throw invalidSpec(`containers[${i}].name`, `${describe(c.name)} is already the name of containers[${j}]`)
    }
  }
  if (essential === 0) throw invalidSpec('containers', 'at least one container must be essential')
  if (caps.ports) checkPortsUnique(containers as ContainerSpec[])
  checkReferences(containers as ContainerSpec[], caps, kind)
  if (spec.ephemeralStorage !== undefined) {
    if (typeof spec.ephemeralStorage !== 'boolean') throw invalidSpec('ephemeralStorage', `must be a boolean, got ${describe(spec.ephemeralStorage)}`)
    if (spec.ephemeralStorage && caps.ephemeralStorage !== true) throw unsupported('ephemeralStorage', `the ${kind} runner does not remove a sandbox's storage`)
  }
}

export function checkListener(listener: SandboxListener): void {
  if (!isRecord(listener) || typeof listener.running !== 'function' || typeof listener.exited !== 'function' || typeof listener.failed !== 'function') {
    throw invalidArgument('listener', 'must have running(), exited() and failed() methods')
  }
  if (listener.changed !== undefined && typeof listener.changed !== 'function') throw invalidArgument('listener.changed', 'must be a method when present')
}

export function checkStopOptions(options: StopOptions): void {
  if (!isRecord(options)) throw invalidArgument('options', `must be an object, got ${describe(options)}`)
  if (options.signal !== undefined && (typeof options.signal !== 'string' || !Object.hasOwn(constants.signals, options.signal))) {
    throw invalidArgument('signal', `must be a signal name such as SIGTERM, got ${describe(options.signal)}`)
  }
  const grace: unknown = options.graceMs
  if (grace !== undefined && (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_MS)) {
    throw invalidArgument('graceMs', `must be a whole number of milliseconds from 0 to ${MAX_GRACE_MS}, got ${describe(grace)}`, MAX_GRACE_MS)
  }
}

export function checkLabelFilter(labels: unknown): void {
  checkLabels(labels, 'labels', invalidArgument)
}

export function checkExecOptions(options: unknown): void {
  if (options === undefined) return
  if (!isRecord(options)) throw invalidArgument('options', `must be an object, got ${describe(options)}`)
  if (options.tty !== undefined && typeof options.tty !== 'boolean') throw invalidArgument('options.tty', `must be a boolean, got ${describe(options.tty)}`)
  if (options.env !== undefined) checkLabels(options.env, 'options.env', invalidArgument)
  for (const key of ['user', 'workingDirectory'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'string') throw invalidArgument(`options.${key}`, `must be a string, got ${describe(options[key])}`)
  }
}

export function checkExec(container: unknown, command: unknown): void {
  if (typeof container !== 'string' || container.length === 0) throw invalidArgument('container', `must be a container name, got ${describe(container)}`)
  if (!Array.isArray(command) || command.length === 0 || command.some((part) => typeof part !== 'string')) {
    throw invalidArgument('command', 'must be a non-empty array of strings')
  }
}
