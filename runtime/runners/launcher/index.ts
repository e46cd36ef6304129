// The process launcher of the Batch "process" runner: see README.md.
export { ProcessLauncher, spawnChannel, exitChannel, DEFAULT_GRACE_MS } from './launcher.js'
export { LauncherError, type LauncherErrorCode, type LauncherErrorDetails, type SpawnStage } from './errors.js'
export { MIN_MEMORY_LIMIT_BYTES, MAX_ARGS_BYTES, MAX_ID_LENGTH } from './request.js'
export { findLauncherBinary, LAUNCHER_BINARY_RELATIVE } from './binary.js'
export type { Signal } from './signals.js'
export type {
  LauncherImplementation, LauncherOptions, LaunchRequest, LaunchedProcess, ProcessExit, ResourceUsage,
  TerminateOptions, MemoryLimitSupport, MemoryLimitState
} from './types.js'
