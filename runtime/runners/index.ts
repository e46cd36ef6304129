// Runners, listed in one table: the engine picks one by name. Every runner the
// table makes comes wrapped by instrument() (validation, coded errors,
// diagnostics channels); the engine uses them through the Runner interface.
import type { Clock } from '../clock/clock.js'
import { instrument } from './instrumented.js'
import { ProcessRunner, type ProcessRunnerOptions } from './process.js'
import { SimulatedRunner, type SimulatedRunnerOptions } from './simulated.js'
import type { Runner } from './runner.js'

export type RunnerName = 'process' | 'simulated'

export interface RunnerContext {
  clock: Clock
  process?: ProcessRunnerOptions
  simulated?: SimulatedRunnerOptions
}

export const RUNNERS: Record<RunnerName, (context: RunnerContext) => Promise<Runner>> = {
  process: async (context) => instrument(await ProcessRunner.create(() => context.clock.now(), context.process)),
  simulated: async (context) => instrument(new SimulatedRunner(context.clock, context.simulated))
}

export {
  instrument, uninstrumented, startChannel as runnerStartChannel, exitChannel as runnerExitChannel, errorChannel as runnerErrorChannel
} from './instrumented.js'
export { RunnerError, type RunnerErrorCode } from './errors.js'
export { ProcessRunner, DEFAULT_PATH, type ProcessRunnerOptions } from './process.js'
export { SimulatedRunner, type SimulatedRunnerOptions } from './simulated.js'
export { EPHEMERAL_FIRST, EPHEMERAL_LAST } from './simulated-ports.js'
export {
  MAX_CONTAINERS, MAX_GPUS, MAX_GRACE_MS, MAX_ID_LENGTH, MAX_MEMORY_MIB, MAX_NAME_LENGTH, MAX_PORT_MAPPINGS, MAX_VCPUS
} from './validation.js'
export {
  DEFAULT_STOP_GRACE_MS,
  type ContainerExit, type ContainerSpec, type ContainerState, type ExecResult, type NetworkBinding, type PortMapping,
  type Runner, type RunnerCapabilities, type SandboxExit, type SandboxInfo, type SandboxListener, type SandboxSpec,
  type StopOptions
} from './runner.js'
