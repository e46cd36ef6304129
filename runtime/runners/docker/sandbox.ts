// A sandbox as Docker containers: what the runner asks the engine to create
// for each container (and for the holder of a multi-container awsvpc
// sandbox), the labels that let a later runner find them again, and the
// networkBindings read back once they run. Pure functions: no requests.
//
// Network modes:
//   awsvpc  one namespace per sandbox: the only container owns it, or a holder
//           (holder.ts) when there are several, which the others join with
//           NetworkMode container:<holder>, so they reach each other on
//           localhost. Ports are published on the sandbox's 127.x address.
//   bridge  each container on the bridge network; ports on 127.0.0.1, a fixed
//           hostPort or an ephemeral one.
//   host    the host's network; a port mapping is the container's own port.
//   none    loopback only; no ports.
// Containers are reached only through published ports, never a bridge IP.
import { createHash } from 'node:crypto'
import { posix } from 'node:path'
import { effectiveMounts } from '../dependencies.js'
import { unsupported } from '../errors.js'
import type { ContainerSpec, HealthCheck, NetworkBinding, SandboxSpec, VolumeMount } from '../runner.js'
import { HEALTH_CHECK_DEFAULTS } from '../validation.js'
import type { ResolvedImage } from './images.js'

export const LABEL = {
  engine: 'stratus.engine',
  sandbox: 'stratus.sandbox',
  container: 'stratus.container',
  runner: 'stratus.runner',
  role: 'stratus.role',
  index: 'stratus.index',
  essential: 'stratus.essential',
  logPath: 'stratus.log-path',
  labels: 'stratus.labels',
  address: 'stratus.address',
  networkMode: 'stratus.network-mode',
  gpus: 'stratus.gpus',
  ports: 'stratus.ports',
  /** A container's healthCheck, stopTimeoutSeconds and (an ephemeral sandbox's) workDir: what a recovering runner needs of them. */
  healthCheck: 'stratus.health-check',
  stopTimeout: 'stratus.stop-timeout',
  workDir: 'stratus.ephemeral-work-dir',
  /** On a volume the runner made for one sandbox (task scope): removed at its end. */
  volumeScope: 'stratus.volume-scope'
} as const

/** Docker's smallest memory limit (6 MiB): a smaller hard limit is raised to it. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024

export type NetworkMode = NonNullable<SandboxSpec['networkMode']>

/** What the runner knows of the engine a sandbox runs on. */
export interface EngineFacts {
  engineId: string
  /** This runner's own id: close() removes what carries it, even what it lost track of. */
  runnerId: string
  /** The network sandboxes with published ports sit on: `bridge`, or one the runner made (an engine started with --bridge=none). */
  bridgeNetwork: string
  /** CPUs of the engine's machine: NanoCpus above it are refused by the engine. */
  cpus: number
  allowPrivileged: boolean
}

export function networkModeOf(spec: SandboxSpec): NetworkMode {
  return spec.networkMode ?? 'awsvpc'
}

/** Whether a sandbox needs a holder: several containers sharing one awsvpc namespace. */
export function needsHolder(spec: SandboxSpec): boolean {
  return networkModeOf(spec) === 'awsvpc' && spec.containers.length > 1
}

/** The address ports are published on. */
export function bindAddress(spec: SandboxSpec): string {
  return networkModeOf(spec) === 'awsvpc' ? spec.address ?? '127.0.0.1' : '127.0.0.1'
}

/** A deterministic container name (intent before side effect): readable, and unique per engine, sandbox and container. */
export function containerName(engineId: string, sandboxId: string, container: string): string {
  const hash = createHash('sha256').update(`${engineId}\0${sandboxId}\0${container}`).digest('hex').slice(0, 12)
  const readable = `${sandboxId}-${container}`.replace(/[^a-zA-Z0-9_.-]+/g, '_').slice(0, 100)
  return `stratus-${readable}-${hash}`
}

/** The Docker name of a volume: a shared one is its own name; a task one is the sandbox's own (deterministic, unique per engine and sandbox). */
export function volumeName(facts: Pick<EngineFacts, 'engineId'>, spec: SandboxSpec, volume: VolumeMount): string {
  if (volume.scope === 'shared') return volume.volume
  const hash = createHash('sha256').update(`${facts.engineId}\0${spec.id}\0${volume.volume}`).digest('hex').slice(0, 12)
  return `stratus-${`${spec.id}-${volume.volume}`.replace(/[^a-zA-Z0-9_.-]+/g, '_').slice(0, 100)}-${hash}`
}

/** Every distinct volume the sandbox's containers name, once each. */
export function sandboxVolumes(spec: SandboxSpec): VolumeMount[] {
  const seen = new Map<string, VolumeMount>()
  for (const c of spec.containers) for (const v of c.volumes ?? []) if (!seen.has(v.volume)) seen.set(v.volume, v)
  return [...seen.values()]
}

/** The labels of a task-scoped volume (close() and recovery find it by them). */
export function volumeLabels(facts: EngineFacts, spec: SandboxSpec, volume: VolumeMount): Record<string, string> {
  return {
    ...volume.labels,
    ...(volume.scope === 'shared' ? {} : { [LABEL.engine]: facts.engineId, [LABEL.sandbox]: spec.id, [LABEL.runner]: facts.runnerId, [LABEL.volumeScope]: 'task' })
  }
}

const SECOND_NS = 1e9

/** ECS's healthCheck as Docker's Healthcheck (nanoseconds), with ECS's defaults. */
export function dockerHealthcheck(check: HealthCheck): Record<string, unknown> {
  return {
    Test: [...check.command],
    Interval: (check.intervalSeconds ?? HEALTH_CHECK_DEFAULTS.intervalSeconds) * SECOND_NS,
    Timeout: (check.timeoutSeconds ?? HEALTH_CHECK_DEFAULTS.timeoutSeconds) * SECOND_NS,
    Retries: check.retries ?? HEALTH_CHECK_DEFAULTS.retries,
    StartPeriod: (check.startPeriodSeconds ?? HEALTH_CHECK_DEFAULTS.startPeriodSeconds) * SECOND_NS
  }
}

function baseLabels(facts: EngineFacts, spec: SandboxSpec): Record<string, string> {
  return {
    ...spec.labels,
    [LABEL.engine]: facts.engineId,
    [LABEL.sandbox]: spec.id,
    [LABEL.runner]: facts.runnerId,
    [LABEL.labels]: JSON.stringify(spec.labels),
    [LABEL.address]: spec.address ?? '',
    [LABEL.networkMode]: networkModeOf(spec)
  }
}

function portKey(p: { containerPort: number; protocol?: string }): string {
  return `${p.containerPort}/${p.protocol ?? 'tcp'}`
}

/** ExposedPorts and PortBindings for the given containers' mappings, on one address. */
export function publishedPorts(containers: readonly ContainerSpec[], address: string): { ExposedPorts: Record<string, object>; PortBindings: Record<string, object[]> } {
  const ExposedPorts: Record<string, object> = {}
  const PortBindings: Record<string, object[]> = {}
  for (const c of containers) {
    for (const p of c.portMappings ?? []) {
      ExposedPorts[portKey(p)] = {}
      PortBindings[portKey(p)] = [{ HostIp: address, HostPort: p.hostPort ? String(p.hostPort) : '' }]
    }
  }
  return { ExposedPorts, PortBindings }
}

/** A container's networkBindings, from the engine's NetworkSettings.Ports of the container that publishes them. */
export function networkBindings(
  container: ContainerSpec, mode: NetworkMode, address: string, ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | undefined
): NetworkBinding[] | undefined {
  const mappings = container.portMappings ?? []
  if (mappings.length === 0) return undefined
  return mappings.map((p) => {
    const protocol = p.protocol ?? 'tcp'
    if (mode === 'host') return { bindIP: address, containerPort: p.containerPort, hostPort: p.containerPort, protocol }
    const published = ports?.[portKey(p)]?.find((b) => b.HostIp === address) ?? ports?.[portKey(p)]?.[0]
    return { bindIP: address, containerPort: p.containerPort, hostPort: Number(published?.HostPort ?? 0), protocol }
  })
}

/** Why a spec cannot run on Docker in its network mode (a field and a reason), or undefined. */
export function networkProblem(spec: SandboxSpec): { field: string; message: string } | undefined {
  const mode = networkModeOf(spec)
  for (let i = 0; i < spec.containers.length; i++) {
    const ports = spec.containers[i].portMappings ?? []
    for (let p = 0; p < ports.length; p++) {
      const field = `containers[${i}].portMappings[${p}]`
      if (mode === 'none') return { field, message: 'network mode none has no ports to publish' }
      if (mode === 'host' && ports[p].hostPort && ports[p].hostPort !== ports[p].containerPort) {
        return { field: `${field}.hostPort`, message: 'in network mode host, hostPort must be absent or equal containerPort' }
      }
    }
  }
  return undefined
}

export interface ContainerCreate {
  name: string
  body: Record<string, unknown>
}

/** The holder of a multi-container awsvpc sandbox: owns the namespace and publishes every container's ports. */
export function holderCreate(facts: EngineFacts, spec: SandboxSpec, image: string): ContainerCreate {
  const ports = publishedPorts(spec.containers, bindAddress(spec))
  return {
    name: containerName(facts.engineId, spec.id, '.holder'),
    body: {
      Image: image,
      Labels: { ...baseLabels(facts, spec), [LABEL.role]: 'holder', [LABEL.container]: '' },
      ExposedPorts: ports.ExposedPorts,
      HostConfig: {
        NetworkMode: facts.bridgeNetwork,
        PortBindings: ports.PortBindings,
        SecurityOpt: ['no-new-privileges'],
        ReadonlyRootfs: true,
        Memory: MIN_MEMORY_BYTES,
        LogConfig: { Type: 'none', Config: {} }
      }
    }
  }
}

/** The create request of one container of a sandbox. */
export function containerCreate(
  facts: EngineFacts, spec: SandboxSpec, index: number, image: ResolvedImage, holderId: string | undefined
): ContainerCreate {
  const c = spec.containers[index]
  const mode = networkModeOf(spec)
  // Refused, never dropped (launch refuses it first): a container that asked for privileged does not run without it.
  if (c.privileged === true && !facts.allowPrivileged) throw unsupported(`containers[${index}].privileged`, 'the docker runner was not created allowing privileged containers')
  const labels = {
    ...c.dockerLabels,
    ...baseLabels(facts, spec),
    [LABEL.container]: c.name,
    [LABEL.index]: String(index),
    [LABEL.essential]: String(c.essential !== false),
    [LABEL.logPath]: c.logPath,
    ...(c.gpus > 0 ? { [LABEL.gpus]: String(c.gpus) } : {}),
    ...(c.portMappings !== undefined && c.portMappings.length > 0 ? { [LABEL.ports]: JSON.stringify(c.portMappings) } : {}),
    ...(c.healthCheck !== undefined ? { [LABEL.healthCheck]: JSON.stringify(c.healthCheck) } : {}),
    ...(c.stopTimeoutSeconds !== undefined ? { [LABEL.stopTimeout]: String(c.stopTimeoutSeconds) } : {}),
    ...(spec.ephemeralStorage === true ? { [LABEL.workDir]: c.workDir } : {})
  }
  const host: Record<string, unknown> = {
    Init: c.initProcessEnabled !== false,
    SecurityOpt: ['no-new-privileges'],
    Privileged: c.privileged === true,
    ReadonlyRootfs: c.readonlyRootFilesystem === true,
    LogConfig: { Type: 'json-file', Config: {} },
    RestartPolicy: { Name: 'no' }
  }
  const config: Record<string, unknown> = {
    Image: image.name,
    Labels: labels,
    Env: Object.entries(c.env).map(([k, v]) => `${k}=${v}`),
    AttachStdout: false,
    AttachStderr: false
  }
  if (c.entryPoint !== undefined) config.Entrypoint = [...c.entryPoint]
  if (c.command.length > 0) config.Cmd = [...c.command]
  if (c.workingDirectory !== undefined) config.WorkingDir = c.workingDirectory
  if (c.user !== undefined) config.User = c.user
  if (c.vcpus > 0) {
    host.NanoCpus = Math.round(Math.min(c.vcpus, facts.cpus) * 1e9)
    host.CpuShares = Math.max(2, Math.round(c.vcpus * 1024))
  }
  if (c.memoryMiB > 0) {
    host.Memory = Math.max(MIN_MEMORY_BYTES, c.memoryMiB * 1024 * 1024)
    host.MemorySwap = host.Memory // no swap beyond the hard limit: going over it is an OOM kill
  }
  if (c.memoryReservationMiB !== undefined && c.memoryReservationMiB > 0) host.MemoryReservation = c.memoryReservationMiB * 1024 * 1024
  if (c.ulimits !== undefined && c.ulimits.length > 0) host.Ulimits = c.ulimits.map((u) => ({ Name: u.name, Soft: u.softLimit, Hard: u.hardLimit }))
  if (c.healthCheck !== undefined) config.Healthcheck = dockerHealthcheck(c.healthCheck)
  const { mounts, volumes } = effectiveMounts(spec.containers, index)
  if (mounts.length + volumes.length > 0) {
    host.Mounts = [
      ...mounts.map((m) => ({ Type: 'bind', Source: m.sourcePath, Target: m.containerPath, ReadOnly: m.readOnly === true })),
      ...volumes.map((v) => ({ Type: 'volume', Source: volumeName(facts, spec, v), Target: v.containerPath, ReadOnly: v.readOnly === true }))
    ]
  }
  if (holderId !== undefined) {
    host.NetworkMode = `container:${holderId}`
  } else if (mode === 'host' || mode === 'none') {
    host.NetworkMode = mode
  } else {
    host.NetworkMode = facts.bridgeNetwork
    const ports = publishedPorts([c], bindAddress(spec))
    config.ExposedPorts = ports.ExposedPorts
    host.PortBindings = ports.PortBindings
  }
  config.HostConfig = host
  return { name: containerName(facts.engineId, spec.id, c.name), body: config }
}

/**
 * The program a container's init (docker-init) will exec: the first word of
 * its entry point or command, as the engine merges them with the image's, and
 * the paths where it may be. docker-init starts whatever the program is and
 * exits 127 when it is missing, so the runner looks first (once per image).
 */
export function programCandidates(c: ContainerSpec, image: ResolvedImage): string[] | undefined {
  const argv = c.entryPoint !== undefined
    ? [...c.entryPoint, ...c.command]
    : [...(image.entrypoint ?? []), ...(c.command.length > 0 ? c.command : image.cmd ?? [])]
  const program = argv[0]
  if (program === undefined || program === '') return undefined
  if (program.includes('/')) return [posix.resolve(c.workingDirectory || image.workingDir || '/', program)]
  const envPath = c.env.PATH ?? image.env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  return envPath.split(':').filter((d) => d.startsWith('/')).map((d) => posix.join(d, program))
}
