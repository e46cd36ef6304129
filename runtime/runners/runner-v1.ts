// The one small interface every runner implements (process, simulated; later
// docker and OCI), like containerd's Process: start, wait, kill, inspect;
// output goes to a log file the engine's log store reads. The engine speaks
// to runners through listeners rather than a promise per task, so a million
// simulated array children cost no more than their compact state.

export interface RunTask {
  /** Unique among live tasks: the Batch job id and attempt. */
  id: string
  /** Program and arguments (ignored by the simulated runner). */
  command: readonly string[]
  /** The task's environment, exactly (the runner adds only what it needs to exec, e.g. PATH when absent). */
  env: Readonly<Record<string, string>>
  /** Container image (container runners; the process runner ignores it). */
  image?: string
  vcpus: number
  /** Hard memory limit, MiB. */
  memoryMiB: number
  gpus: number
  /** File that receives stdout and stderr, interleaved. */
  logPath: string
  /** The task's own working directory (created by the runner). */
  workDir: string
}

export interface RunExit {
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** The kernel killed it for exceeding its memory limit. */
  oomKilled: boolean
}

export interface RunListener {
  /** The task is running (its process exists). */
  running(startedAt: number): void
  /** The task ended; after running(). */
  exited(exit: RunExit): void
  /** The task could not be started (no running() or exited() follow). */
  failed(error: Error): void
}

export type RunState = 'starting' | 'running' | 'exited'

export interface RunInfo {
  id: string
  state: RunState
  pid?: number
  startedAt?: number
}

export interface KillOptions {
  /** First signal (default SIGTERM). */
  signal?: NodeJS.Signals
  /** SIGKILL after this many ms if still alive (default: the runner's grace period). */
  graceMs?: number
}

export interface Runner {
  readonly kind: string
  /** Whether memory limits are enforced on this machine. */
  readonly memoryLimits: 'enforced' | 'not-enforced'
  start(task: RunTask, listener: RunListener): void
  /** Stops a task (false when unknown or already exited). */
  kill(id: string, options?: KillOptions): boolean
  inspect(id: string): RunInfo | undefined
  close(): Promise<void>
}

