// Runners, listed in one table: the engine picks one by name. Every runner the
// table makes comes wrapped by instrument() (validation, coded errors,
// diagnostics channels); the engine uses them through the Runner interface.
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Clock } from '../clock/clock.js'
import { instrument } from './instrumented.js'
import { ProcessRunner, type ProcessRunnerOptions } from './process.js'
import { SimulatedRunner, type SimulatedRunnerOptions } from './simulated.js'
import { DockerRunner, type DockerRunnerOptions } from './docker/index.js'
import { OciRunner, type OciRunnerOptions } from './oci/index.js'
import type { Runner } from './runner.js'
import type { ImageSource } from './images.js'

export type RunnerName = 'process' | 'simulated' | 'docker' | 'oci'

export interface RunnerContext {
  clock: Clock
  /** The engine's id: container runners label what they start with it, and find it again after a restart. */
  engineId: string
  /** The built-in registry, for container runners' images. */
  images?: ImageSource
  /** Privileged containers are refused unless this is true. */
  allowPrivileged?: boolean
  /** A directory the runner may keep state in (layer caches, bundles): under the engine's data dir. */
  stateDir?: string
  process?: ProcessRunnerOptions
  simulated?: SimulatedRunnerOptions
  /** The docker runner's engines and grace (engineId, images, allowPrivileged and the clock come from the context). */
  docker?: Pick<DockerRunnerOptions, 'hosts' | 'graceMs'>
  /** runc or crun, the rootfs mode, the stop grace, unpack limits. */
  oci?: Partial<Pick<OciRunnerOptions, 'runtime' | 'rootfs' | 'graceMs' | 'unpackLimits'>>
}

export const RUNNERS: Record<RunnerName, (context: RunnerContext) => Promise<Runner>> = {
  process: async (context) => instrument(await ProcessRunner.create(() => context.clock.now(), context.process)),
  simulated: async (context) => instrument(new SimulatedRunner(context.clock, context.simulated)),
  docker: async (context) => instrument(await DockerRunner.create({
    ...context.docker, engineId: context.engineId, now: () => context.clock.now(), images: context.images, allowPrivileged: context.allowPrivileged,
    ...(context.stateDir !== undefined ? { stateDir: context.stateDir } : {})
  })),
  oci: async (context) => instrument(await OciRunner.create({
    now: () => context.clock.now(), engineId: context.engineId, images: context.images, allowPrivileged: context.allowPrivileged,
    // Without a data dir, a directory per engine id: a restarted engine of the same id finds its containers.
    stateDir: context.stateDir ?? join(tmpdir(), `stratus-oci-${createHash('sha256').update(context.engineId).digest('hex').slice(0, 12)}`),
    ...context.oci
  }))
}

export {
  instrument, uninstrumented, startChannel as runnerStartChannel, exitChannel as runnerExitChannel, errorChannel as runnerErrorChannel
} from './instrumented.js'
export { registryImageSource, type ImageSource, type RegistryCredentials, type RegistryImage } from './images.js'
export { RunnerError, cannotPull, type RunnerErrorCode } from './errors.js'
export { ProcessRunner, DEFAULT_PATH, type ProcessRunnerOptions } from './process.js'
export { SimulatedRunner, type SimulatedRunnerOptions } from './simulated.js'
export { DockerRunner, type DockerRunnerOptions, type DockerHost } from './docker/index.js'
export { OciRunner, type OciRunnerOptions } from './oci/index.js'
export { EPHEMERAL_FIRST, EPHEMERAL_LAST } from './simulated-ports.js'
export {
  MAX_CONTAINERS, MAX_GPUS, MAX_GRACE_MS, MAX_ID_LENGTH, MAX_MEMORY_MIB, MAX_MOUNTS, MAX_NAME_LENGTH, MAX_PORT_MAPPINGS, MAX_ULIMITS,
  MAX_VCPUS, ULIMIT_NAMES, HEALTH_CHECK_DEFAULTS, MAX_STOP_TIMEOUT_SECONDS
} from './validation.js'
export {
  DEFAULT_STOP_GRACE_MS,
  type ContainerExit, type ContainerSpec, type ContainerState, type ExecOptions, type ExecResult, type ExecSession, type Mount,
  type NetworkBinding, type PortMapping, type Ulimit, type HealthCheck, type HealthStatus, type DependencyCondition,
  type ContainerDependency, type VolumeFrom, type VolumeMount, type DependencyFailure,
  type Runner, type RunnerCapabilities, type SandboxExit, type SandboxInfo, type SandboxListener, type SandboxSpec,
  type StopOptions
} from './runner.js'
