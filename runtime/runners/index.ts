// Runners, listed in one table: the engine picks one by name.
import type { Clock } from '../clock/clock.js'
import { ProcessRunner, type ProcessRunnerOptions } from './process.js'
import { SimulatedRunner } from './simulated.js'
import type { Runner } from './runner-v1.js'

export type RunnerName = 'process' | 'simulated'

export interface RunnerContext {
  clock: Clock
  process?: ProcessRunnerOptions
}

export const RUNNERS: Record<RunnerName, (context: RunnerContext) => Promise<Runner>> = {
  process: (context) => ProcessRunner.create(() => context.clock.now(), context.process),
  simulated: async (context) => new SimulatedRunner(context.clock)
}

export { ProcessRunner, DEFAULT_PATH, type ProcessRunnerOptions } from './process.js'
export { SimulatedRunner } from './simulated.js'
export { type KillOptions, type RunExit, type RunInfo, type RunListener, type Runner, type RunState, type RunTask } from './runner-v1.js'
