// The container of a Batch job definition (or of one node range of a
// multi-node definition), as builder calls: what it runs, its resources, and
// its container properties (volumes and mounts, ulimits, user, read-only
// root, privileged, init process, log configuration). One base class serves
// both builders, so the two read the same; each call returns a new builder.

import type { ContainerProperties, LogConfiguration, MountPoint, Ulimit, Volume } from '../runtime/index.js'
import type { Spec } from './spec.js'

/** The container fields a builder's (frozen) spec holds. */
export interface ContainerFields {
  command?: string[]
  image?: string
  vcpus?: number
  memory?: number
  gpus?: number
  env?: Record<string, string>
  volumes?: Volume[]
  mountPoints?: MountPoint[]
  ulimits?: Ulimit[]
  user?: string
  readonlyRootFilesystem?: boolean
  privileged?: boolean
  initProcessEnabled?: boolean
  logConfiguration?: LogConfiguration
}

export abstract class ContainerSettingsBuilder<Self> {
  /** The container fields of the builder's spec. */
  protected abstract get fields(): Spec<ContainerFields>
  /** A new builder with these container fields changed. */
  protected abstract withContainer(change: Partial<ContainerFields>): Self

  /** The command: a shell script via ('sh', '-c', '…') or an executable and its arguments; `Ref::name` takes a parameter. */
  command(...argv: string[]): Self { return this.withContainer({ command: argv }) }
  /** Container image: runs in a container on the environment's container runner (docker, oci); without one, the command runs as a process. */
  image(image: string): Self { return this.withContainer({ image }) }
  vcpus(n: number): Self { return this.withContainer({ vcpus: n }) }
  /** MiB; a hard limit. */
  memory(mib: number): Self { return this.withContainer({ memory: mib }) }
  gpus(n: number): Self { return this.withContainer({ gpus: n }) }
  env(env: Record<string, string>): Self { return this.withContainer({ env: { ...this.fields.env, ...env } }) }

  /** A volume: a host directory (`hostPath`), or without one the job's scratch (a directory of each attempt's own). */
  volume(name: string, hostPath?: string): Self {
    const volume: Volume = hostPath === undefined ? { name } : { name, host: { sourcePath: hostPath } }
    return this.withContainer({ volumes: [...(this.fields.volumes ?? []), volume] })
  }

  /** Mounts a volume (see volume()) at `containerPath`. */
  mount(volume: string, containerPath: string, options: { readOnly?: boolean } = {}): Self {
    const mount: MountPoint = { sourceVolume: volume, containerPath, ...(options.readOnly ? { readOnly: true } : {}) }
    return this.withContainer({ mountPoints: [...(this.fields.mountPoints ?? []), mount] })
  }

  /** A resource limit (nofile, nproc, core, memlock, stack…); the hard limit defaults to the soft one. */
  ulimit(name: string, softLimit: number, hardLimit = softLimit): Self {
    return this.withContainer({ ulimits: [...(this.fields.ulimits ?? []), { name, softLimit, hardLimit }] })
  }

  /** The user the container runs as (a name, or uid[:gid]); default the image's. */
  user(user: string): Self { return this.withContainer({ user }) }
  readonlyRootFilesystem(readOnly = true): Self { return this.withContainer({ readonlyRootFilesystem: readOnly }) }
  /** Refused by the engine unless it was started allowing privileged containers: the attempt then fails, saying so. */
  privileged(privileged = true): Self { return this.withContainer({ privileged }) }
  /** An init process as PID 1 (reaps zombies, forwards signals): linuxParameters.initProcessEnabled. */
  initProcess(enabled = true): Self { return this.withContainer({ initProcessEnabled: enabled }) }
  /** awslogs, with its options (awslogs-group, awslogs-stream-prefix…): recorded; output goes to the engine's log store. */
  logConfiguration(config: LogConfiguration): Self { return this.withContainer({ logConfiguration: config }) }
}

function requirements(f: ContainerFields) {
  const out: Array<{ type: 'VCPU' | 'MEMORY' | 'GPU'; value: string }> = []
  if (f.vcpus !== undefined) out.push({ type: 'VCPU', value: String(f.vcpus) })
  if (f.memory !== undefined) out.push({ type: 'MEMORY', value: String(f.memory) })
  if (f.gpus !== undefined) out.push({ type: 'GPU', value: String(f.gpus) })
  return out.length === 0 ? undefined : out
}

/** The ContainerProperties (AWS's shape) the fields stand for. */
export function toContainerProperties(f: Spec<ContainerFields>): ContainerProperties {
  const resourceRequirements = requirements(f)
  return {
    ...(f.image ? { image: f.image } : {}),
    command: [...(f.command ?? [])],
    ...(f.env ? { environment: Object.entries(f.env).map(([name, value]) => ({ name, value })) } : {}),
    ...(resourceRequirements ? { resourceRequirements } : {}),
    ...(f.volumes ? { volumes: structuredClone(f.volumes) as Volume[] } : {}),
    ...(f.mountPoints ? { mountPoints: structuredClone(f.mountPoints) as MountPoint[] } : {}),
    ...(f.ulimits ? { ulimits: structuredClone(f.ulimits) as Ulimit[] } : {}),
    ...(f.user !== undefined ? { user: f.user } : {}),
    ...(f.readonlyRootFilesystem !== undefined ? { readonlyRootFilesystem: f.readonlyRootFilesystem } : {}),
    ...(f.privileged !== undefined ? { privileged: f.privileged } : {}),
    ...(f.initProcessEnabled !== undefined ? { linuxParameters: { initProcessEnabled: f.initProcessEnabled } } : {}),
    ...(f.logConfiguration ? { logConfiguration: structuredClone(f.logConfiguration) as LogConfiguration } : {})
  }
}

/** The container fields of a spec (the rest of it left out). */
export function containerFieldsOf(spec: Spec<ContainerFields>): ContainerFields {
  const keys: Array<keyof ContainerFields> = [
    'command', 'image', 'vcpus', 'memory', 'gpus', 'env', 'volumes', 'mountPoints', 'ulimits', 'user', 'readonlyRootFilesystem', 'privileged',
    'initProcessEnabled', 'logConfiguration'
  ]
  const out: Record<string, unknown> = {}
  for (const key of keys) if (spec[key] !== undefined) out[key] = structuredClone(spec[key])
  return out as ContainerFields
}
