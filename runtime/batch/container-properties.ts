// Container properties of a job (AWS's ContainerProperties, of a definition or
// of one node range of a multi-node definition): validated as AWS does, kept
// in the job's row, handed to the runner as its ContainerSpec, and shown back
// by DescribeJobs.
//
//   volumes + mountPoints   a volume with host.sourcePath is bound in from the
//                           host; one without is the job's scratch: a
//                           directory of the attempt's own (under its workDir),
//                           created before the runner starts, bound in
//   ulimits, user, readonlyRootFilesystem, privileged,
//   linuxParameters.initProcessEnabled     passed to the runner as they are
//                           (privileged is refused by the runner wrapper unless
//                           the engine allows it: the attempt then fails with
//                           that reason)
//   logConfiguration        awslogs, recorded (the job's output goes to the
//                           engine's log store under its usual stream name)
//
// What Stratus cannot honour (EFS volumes, devices, tmpfs, shared memory,
// swap, other log drivers, secret options, instanceType) is refused with the
// field named rather than accepted and ignored.

import type { ContainerSpec, Mount } from '../runners/runner.js'
import { ULIMIT_NAMES } from '../runners/index.js'
import type { ContainerDetail, ContainerOverrides, ContainerProperties } from './model.js'
import { checkCommand, checkInteger, checkMemory, checkVcpus, clientError } from './validation.js'
import { envFromList } from './environment.js'

const SETTINGS = ['volumes', 'mountPoints', 'readonlyRootFilesystem', 'privileged', 'ulimits', 'user', 'linuxParameters', 'logConfiguration'] as const

/** What a job keeps of its container properties beyond command, environment, image and resources (absent when none is set). */
export type ContainerSettings = Pick<ContainerProperties, (typeof SETTINGS)[number]>

/** As AWS names volumes. */
const VOLUME_NAME = /^[A-Za-z0-9_-]{1,255}$/
const MAX_VOLUMES = 100
const MAX_ULIMITS = 32
const LOG_DRIVERS = new Set(['json-file', 'syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'awsfirelens', 'logentries'])
const AWSLOGS_OPTIONS = new Set([
  'awslogs-group', 'awslogs-region', 'awslogs-stream-prefix', 'awslogs-create-group', 'awslogs-datetime-format', 'awslogs-multiline-pattern',
  'mode', 'max-buffer-size'
])
const UNSUPPORTED_LINUX = ['devices', 'sharedMemorySize', 'tmpfs', 'maxSwap', 'swappiness'] as const

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function checkAbsolute(value: unknown, field: string): string {
  if (typeof value !== 'string' || value[0] !== '/' || value.includes('\0') || value.length > 4096) {
    throw clientError(field, `must be an absolute path, got ${JSON.stringify(value)}`)
  }
  return value
}

function checkBoolean(value: unknown, field: string): void {
  if (value !== undefined && typeof value !== 'boolean') throw clientError(field, `must be true or false, got ${JSON.stringify(value)}`)
}

function checkVolumes(list: unknown, field: string): Set<string> {
  const names = new Set<string>()
  if (list === undefined) return names
  if (!Array.isArray(list)) throw clientError(field, 'must be an array of { name, host: { sourcePath } }')
  if (list.length > MAX_VOLUMES) throw clientError(field, `at most ${MAX_VOLUMES} volumes, got ${list.length}`, MAX_VOLUMES)
  list.forEach((volume: unknown, i) => {
    const at = `${field}[${i}]`
    if (!isObject(volume)) throw clientError(at, 'must be an object { name, host }')
    const name = volume.name
    if (typeof name !== 'string' || !VOLUME_NAME.test(name)) throw clientError(`${at}.name`, `must be 1 to 255 letters, digits, hyphens and underscores, got ${JSON.stringify(name)}`, 255)
    if (names.has(name)) throw clientError(`${at}.name`, `volume ${name} is defined twice`)
    names.add(name)
    if (volume.efsVolumeConfiguration !== undefined) throw clientError(`${at}.efsVolumeConfiguration`, 'Stratus has no EFS: use host.sourcePath (a host directory) or no host (the job\'s scratch)')
    if (volume.host === undefined) return
    if (!isObject(volume.host)) throw clientError(`${at}.host`, 'must be an object { sourcePath }')
    if (volume.host.sourcePath !== undefined) checkAbsolute(volume.host.sourcePath, `${at}.host.sourcePath`)
  })
  return names
}

function checkMountPoints(list: unknown, volumes: Set<string>, field: string): void {
  if (list === undefined) return
  if (!Array.isArray(list)) throw clientError(field, 'must be an array of { sourceVolume, containerPath, readOnly }')
  const paths = new Set<string>()
  list.forEach((mount: unknown, i) => {
    const at = `${field}[${i}]`
    if (!isObject(mount)) throw clientError(at, 'must be an object { sourceVolume, containerPath, readOnly }')
    const source = mount.sourceVolume
    if (typeof source !== 'string' || !volumes.has(source)) {
      const known = volumes.size === 0 ? 'no volumes are defined' : `the volumes are ${[...volumes].join(', ')}`
      throw clientError(`${at}.sourceVolume`, `must name a volume of this container; ${JSON.stringify(source)} is none (${known})`)
    }
    const path = checkAbsolute(mount.containerPath, `${at}.containerPath`)
    if (paths.has(path)) throw clientError(`${at}.containerPath`, `${path} is mounted twice`)
    paths.add(path)
    checkBoolean(mount.readOnly, `${at}.readOnly`)
  })
}

function checkUlimits(list: unknown, field: string): void {
  if (list === undefined) return
  if (!Array.isArray(list)) throw clientError(field, 'must be an array of { name, softLimit, hardLimit }')
  if (list.length > MAX_ULIMITS) throw clientError(field, `at most ${MAX_ULIMITS} ulimits, got ${list.length}`, MAX_ULIMITS)
  const seen = new Set<string>()
  list.forEach((limit: unknown, i) => {
    const at = `${field}[${i}]`
    if (!isObject(limit)) throw clientError(at, 'must be an object { name, softLimit, hardLimit }')
    if (typeof limit.name !== 'string' || !ULIMIT_NAMES.has(limit.name)) {
      throw clientError(`${at}.name`, `must be one of ${[...ULIMIT_NAMES].join(', ')}, got ${JSON.stringify(limit.name)}`)
    }
    if (seen.has(limit.name)) throw clientError(`${at}.name`, `ulimit ${limit.name} is set twice`)
    seen.add(limit.name)
    for (const key of ['softLimit', 'hardLimit'] as const) {
      const value = limit[key]
      if (typeof value !== 'number' || !Number.isInteger(value) || value < -1) throw clientError(`${at}.${key}`, `must be a whole number (-1: unlimited), got ${JSON.stringify(value)}`, -1)
    }
    const soft = limit.softLimit as number
    const hard = limit.hardLimit as number
    if (hard !== -1 && (soft === -1 || soft > hard)) throw clientError(`${at}.softLimit`, `${soft === -1 ? 'unlimited' : soft} is above hardLimit ${hard}`, hard)
  })
}

function checkLinuxParameters(value: unknown, field: string): void {
  if (value === undefined) return
  if (!isObject(value)) throw clientError(field, 'must be an object { initProcessEnabled }')
  checkBoolean(value.initProcessEnabled, `${field}.initProcessEnabled`)
  for (const key of UNSUPPORTED_LINUX) {
    if (value[key] !== undefined) throw clientError(`${field}.${key}`, 'is not available in Stratus (its runners have no such setting)')
  }
}

function checkLogConfiguration(value: unknown, field: string): void {
  if (value === undefined) return
  if (!isObject(value)) throw clientError(field, 'must be an object { logDriver, options }')
  const driver = value.logDriver
  if (typeof driver !== 'string' || !LOG_DRIVERS.has(driver)) throw clientError(`${field}.logDriver`, `must be one of ${[...LOG_DRIVERS].join(', ')}, got ${JSON.stringify(driver)}`)
  if (driver !== 'awslogs') throw clientError(`${field}.logDriver`, `${driver} is not available in Stratus: jobs log to its log store (awslogs)`)
  if (value.options !== undefined) {
    if (!isObject(value.options)) throw clientError(`${field}.options`, 'must be an object of strings')
    for (const [key, option] of Object.entries(value.options)) {
      if (!AWSLOGS_OPTIONS.has(key)) throw clientError(`${field}.options.${key}`, `is no awslogs option (${[...AWSLOGS_OPTIONS].join(', ')})`)
      if (typeof option !== 'string') throw clientError(`${field}.options.${key}`, `must be a string, got ${typeof option}`)
    }
  }
  if (value.secretOptions !== undefined) throw clientError(`${field}.secretOptions`, 'is not available in Stratus (no Secrets Manager)')
}

/**
 * Checks container properties as RegisterJobDefinition does (`field` names
 * them: containerProperties, or nodeProperties.nodeRangeProperties[i].container).
 * Resources may be left to the submission; the command is returned, copied.
 */
export function checkContainerProperties(props: unknown, field: string): string[] {
  if (!isObject(props)) throw clientError(field, 'is required (an object)')
  const p = props as ContainerProperties
  const command = p.command === undefined ? [] : checkCommand(p.command, `${field}.command`)
  envFromList(p.environment, `${field}.environment`)
  const vcpus = resourceOf(p.resourceRequirements, 'VCPU', `${field}.resourceRequirements`) ?? p.vcpus
  const memory = resourceOf(p.resourceRequirements, 'MEMORY', `${field}.resourceRequirements`) ?? p.memory
  if (vcpus !== undefined) checkVcpus(vcpus, `${field}.vcpus`)
  if (memory !== undefined) checkMemory(memory, `${field}.memory`)
  const gpus = resourceOf(p.resourceRequirements, 'GPU', `${field}.resourceRequirements`)
  if (gpus !== undefined) checkInteger(gpus, `${field}.resourceRequirements[GPU]`, 0, 1024)
  if (p.image !== undefined && (typeof p.image !== 'string' || p.image.length === 0 || p.image.length > 255)) {
    throw clientError(`${field}.image`, 'must be an image reference of 1 to 255 characters', 255)
  }
  const volumes = checkVolumes(p.volumes, `${field}.volumes`)
  checkMountPoints(p.mountPoints, volumes, `${field}.mountPoints`)
  checkUlimits(p.ulimits, `${field}.ulimits`)
  if (p.user !== undefined && (typeof p.user !== 'string' || p.user.length === 0 || p.user.length > 255 || p.user.includes('\0'))) {
    throw clientError(`${field}.user`, 'must be a user name or uid[:gid] of 1 to 255 characters', 255)
  }
  checkBoolean(p.readonlyRootFilesystem, `${field}.readonlyRootFilesystem`)
  checkBoolean(p.privileged, `${field}.privileged`)
  checkLinuxParameters(p.linuxParameters, `${field}.linuxParameters`)
  checkLogConfiguration(p.logConfiguration, `${field}.logConfiguration`)
  if (p.instanceType !== undefined) throw clientError(`${field}.instanceType`, 'is not available in Stratus: nodes are placed by their resources (resourceRequirements)')
  // Settings that would change what the job sees (environment, pull credentials) are refused rather than dropped.
  const extra = p as Record<string, unknown>
  if (extra.secrets !== undefined) throw clientError(`${field}.secrets`, 'is not available in Stratus (no Secrets Manager or Parameter Store): pass the values as environment')
  if (extra.repositoryCredentials !== undefined) throw clientError(`${field}.repositoryCredentials`, 'is not available in Stratus: images come from the built-in registry or the local engine')
  return command
}

/** A resource of a requirement list (VCPU, MEMORY, GPU), as a number; the list's shape is checked. */
export function resourceOf(reqs: unknown, type: 'VCPU' | 'MEMORY' | 'GPU', field: string): number | undefined {
  if (reqs === undefined) return undefined
  if (!Array.isArray(reqs)) throw clientError(field, 'must be an array of { type, value }')
  reqs.forEach((r: unknown, i) => {
    if (!isObject(r) || !['VCPU', 'MEMORY', 'GPU'].includes(r.type as string) || typeof r.value !== 'string') {
      throw clientError(`${field}[${i}]`, 'must be { type: VCPU | MEMORY | GPU, value: "<number>" }')
    }
  })
  const found = (reqs as Array<{ type: string; value: string }>).find((r) => r.type === type)
  return found === undefined ? undefined : Number(found.value)
}

/** The settings a job keeps of validated properties (undefined when it has none: most jobs). */
export function settingsOf(props: ContainerProperties): ContainerSettings | undefined {
  let out: ContainerSettings | undefined
  for (const key of SETTINGS) {
    if (props[key] === undefined) continue
    out ??= {}
    ;(out as Record<string, unknown>)[key] = structuredClone(props[key])
  }
  return out
}

/** The scratch directory of a volume without a host path, for one attempt. */
export function scratchPath(workDir: string, volume: string): string {
  return `${workDir}/volumes/${volume}`
}

/**
 * What the settings add to the runner's ContainerSpec for one attempt, and
 * the scratch directories to create before it starts.
 */
export function specExtras(settings: ContainerSettings | undefined, workDir: string): { extras: Partial<ContainerSpec>; scratch: string[] } {
  if (settings === undefined) return { extras: {}, scratch: [] }
  const extras: Partial<ContainerSpec> = {}
  const scratch: string[] = []
  if (settings.mountPoints !== undefined && settings.mountPoints.length > 0) {
    const volumes = new Map((settings.volumes ?? []).map((v) => [v.name!, v]))
    const mounts: Mount[] = []
    for (const mp of settings.mountPoints) {
      const volume = volumes.get(mp.sourceVolume!)!
      // A host path that does not exist yet is created, as the Docker daemon does for ECS and Batch
      // bind mounts; a scratch volume is a directory of the attempt's own. Both before the runner starts.
      const sourcePath = volume.host?.sourcePath ?? scratchPath(workDir, volume.name!)
      if (!scratch.includes(sourcePath)) scratch.push(sourcePath)
      mounts.push({ sourcePath, containerPath: mp.containerPath!, ...(mp.readOnly ? { readOnly: true } : {}) })
    }
    extras.mounts = mounts
  }
  if (settings.ulimits !== undefined && settings.ulimits.length > 0) extras.ulimits = settings.ulimits.map((u) => ({ name: u.name, softLimit: u.softLimit, hardLimit: u.hardLimit }))
  if (settings.user !== undefined) extras.user = settings.user
  if (settings.readonlyRootFilesystem !== undefined) extras.readonlyRootFilesystem = settings.readonlyRootFilesystem
  if (settings.privileged !== undefined) extras.privileged = settings.privileged
  if (settings.linuxParameters?.initProcessEnabled !== undefined) extras.initProcessEnabled = settings.linuxParameters.initProcessEnabled
  return { extras, scratch }
}

/** The settings as DescribeJobs shows them in a job's container. */
export function settingsDetail(settings: ContainerSettings | undefined): Partial<ContainerDetail> {
  return settings === undefined ? {} : structuredClone(settings)
}

/** A job's (or a node's) container, resolved at submission: definition, then overrides in order, parameters substituted. */
export interface ResolvedContainer {
  /** With Ref:: parameters substituted. */
  command: string[]
  environment: Record<string, string>
  image?: string
  vcpus: number
  memory: number
  gpus: number
  settings?: ContainerSettings
}

/**
 * The container a job (or node) runs: `props` from its definition, then each
 * of `overrides` (AWS's ContainerOverrides: command, environment, resources),
 * `parameters` substituted into the command. `fields` name the definition's
 * resources (`` for a job's: vcpus, memory) and each override, for errors.
 */
export function resolveContainer(
  props: ContainerProperties, overrides: ReadonlyArray<{ value: ContainerOverrides; field: string }>, parameters: Record<string, string>, resourceField: string
): ResolvedContainer {
  let vcpus = resourceOf(props.resourceRequirements, 'VCPU', `${resourceField}resourceRequirements`) ?? props.vcpus
  let memory = resourceOf(props.resourceRequirements, 'MEMORY', `${resourceField}resourceRequirements`) ?? props.memory
  let gpus = resourceOf(props.resourceRequirements, 'GPU', `${resourceField}resourceRequirements`) ?? 0
  let command: readonly string[] = props.command ?? []
  let environment = envFromList(props.environment, `${resourceField || 'containerProperties.'}environment`)
  for (const { value: o, field } of overrides) {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw clientError(field, 'must be an object { command, environment, resourceRequirements }')
    if (o.instanceType !== undefined) throw clientError(`${field}.instanceType`, 'is not available in Stratus: nodes are placed by their resources (resourceRequirements)')
    if (o.command !== undefined) command = checkCommand(o.command, `${field}.command`)
    if (o.environment !== undefined) environment = { ...environment, ...envFromList(o.environment, `${field}.environment`) }
    vcpus = resourceOf(o.resourceRequirements, 'VCPU', `${field}.resourceRequirements`) ?? o.vcpus ?? vcpus
    memory = resourceOf(o.resourceRequirements, 'MEMORY', `${field}.resourceRequirements`) ?? o.memory ?? memory
    gpus = resourceOf(o.resourceRequirements, 'GPU', `${field}.resourceRequirements`) ?? gpus
  }
  const settings = settingsOf(props)
  return {
    command: command.map((arg) => arg.replace(/Ref::([A-Za-z0-9_-]+)/g, (whole, key: string) => parameters[key] ?? whole)),
    environment,
    ...(props.image ? { image: props.image } : {}),
    vcpus: checkVcpus(vcpus, `${resourceField}vcpus`),
    memory: checkMemory(memory, `${resourceField}memory`),
    gpus: checkInteger(gpus, `${resourceField}gpus`, 0, 1024),
    ...(settings ? { settings } : {})
  }
}
