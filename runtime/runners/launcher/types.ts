// The launcher's public shapes, and the small interface its two backends
// (the native helper and the pure-Node fallback) implement.
import type { Signal } from './signals.js'
import type { SpawnStage } from './errors.js'

export type LauncherImplementation = 'native' | 'node'

export interface LauncherOptions {
  /**
   * 'native' runs the C helper (build/launcher/stratus-launcher) and fails if it is
   * missing; 'node' spawns from worker threads; 'auto' (default) prefers native and
   * falls back to node, recording why in `ProcessLauncher.fallbackReason`.
   */
  implementation?: 'auto' | LauncherImplementation
  /** Path of the helper binary. Default: $STRATUS_LAUNCHER_BIN, else build/launcher/stratus-launcher. */
  binary?: string
  /**
   * Where memory limits live. 'auto' (default) finds our own memory cgroup (v1, else v2) and
   * creates one child cgroup per limited process below it; 'none' never enforces limits;
   * an explicit parent is for a delegated cgroup (v2 needs one whose subtree can enable `memory`).
   */
  cgroup?: 'auto' | 'none' | { version: 1 | 2; parent: string }
  /** Worker threads of the node fallback (default 1: parallel forks of one process serialise). */
  workers?: number
  /** How long to wait for the helper to say hello (default 10 s). */
  startTimeoutMs?: number
}

/** What one process should be. Paths may be relative (resolved against process.cwd()). */
export interface LaunchRequest {
  /** The caller's name for it (a Batch job id and attempt); unique among running processes. Generated when absent. */
  readonly id?: string
  /** Program and arguments. argv[0] without a '/' is searched in the child's env.PATH. */
  readonly argv: readonly string[]
  /** The complete environment of the child, passed exactly. Default: a copy of process.env. */
  readonly env?: Readonly<Record<string, string>>
  /** Working directory of the child. Default: process.cwd() at the time of the request. */
  readonly cwd?: string
  /** File read as stdin. Default /dev/null. */
  readonly stdin?: string
  /** File that receives stdout, created or truncated (appended with `appendOutput`). Default /dev/null. */
  readonly stdout?: string
  /** File that receives stderr; the same path as stdout shares one file (interleaved). Default /dev/null. */
  readonly stderr?: string
  readonly appendOutput?: boolean
  /** Hard memory limit in bytes for the process and all its descendants (a cgroup). */
  readonly memoryLimitBytes?: number
  /** Start the process as leader of its own process group, so kill() reaches its children (default true). */
  readonly processGroup?: boolean
  /** When the process exits, SIGKILL what is left of its group and cgroup, like a container (default true). */
  readonly killGroupOnExit?: boolean
  /**
   * Create cwd and the directories of stdout/stderr first, like `mkdir -p` (default false).
   * Done off the event loop (in the helper), so callers need no mkdir of their own per process.
   */
  readonly createDirectories?: boolean
}

export interface ResourceUsage {
  readonly userCpuMs: number
  readonly systemCpuMs: number
  /** Peak resident set of the largest process waited for, KiB. */
  readonly maxRssKiB: number
}

export interface ProcessExit {
  readonly id: string
  readonly pid: number
  /** Exit status when the process exited, else null. */
  readonly exitCode: number | null
  /** The signal that killed it, else null. */
  readonly signal: NodeJS.Signals | null
  /** The kernel's OOM killer acted inside the process's memory cgroup (a limit was enforced and hit). */
  readonly oomKilled: boolean
  /** From pid known to exit observed, milliseconds. */
  readonly durationMs: number
  /** Only the native helper reports it (wait4). */
  readonly rusage: ResourceUsage | null
}

export type MemoryLimitState = 'enforced' | 'not-enforced' | 'none'

/** A started process. `exited` never rejects unless the launcher itself was lost or closed first. */
export interface LaunchedProcess {
  readonly id: string
  readonly pid: number
  /** 'not-enforced' when a limit was asked for but this machine offers no writable memory cgroup. */
  readonly memoryLimit: MemoryLimitState
  readonly exited: Promise<ProcessExit>
  kill(signal?: Signal): boolean
  terminate(options?: TerminateOptions): boolean
}

export interface TerminateOptions {
  /** First signal (default SIGTERM). */
  signal?: Signal
  /** Then SIGKILL after this many ms if the process has not exited (default 10 000). */
  graceMs?: number
}

/** How this launcher enforces memory limits. */
export interface MemoryLimitSupport {
  readonly enforced: boolean
  readonly mechanism: 'cgroup-v1' | 'cgroup-v2' | 'none'
  /** The cgroup under which per-process cgroups are created. */
  readonly cgroup?: string
  /** Why limits are not enforced. */
  readonly reason?: string
}

// ---- backends ------------------------------------------------------------------------

export const FLAG_PROCESS_GROUP = 1
export const FLAG_KILL_GROUP_ON_EXIT = 2
export const FLAG_APPEND = 4
export const FLAG_STDERR_TO_STDOUT = 8
export const FLAG_CREATE_DIRECTORIES = 16

/** A validated request, as a backend receives it. Paths are absolute; '' means /dev/null. */
export interface LaunchSpec {
  readonly wireId: number
  readonly argv: readonly string[]
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string
  readonly stdin: string
  readonly stdout: string
  readonly stderr: string
  readonly flags: number
  readonly memoryLimitBytes: number
}

/** What a backend reports, keyed by the wire id the launcher gave the spec. */
export interface BackendEvents {
  started(wireId: number, pid: number, memoryLimitEnforced: boolean): void
  failed(wireId: number, errno: number, stage: SpawnStage): void
  exited(wireId: number, pid: number, exitCode: number | null, signal: number, oomKilled: boolean, rusage: ResourceUsage | null): void
  /** The backend died; nothing it started can be watched any more. */
  lost(error: Error): void
}

/**
 * One way of starting processes. Requests are handled in the order they are made,
 * so a signal() right after spawn() reaches the process it names.
 */
export interface LaunchBackend {
  readonly implementation: LauncherImplementation
  readonly memoryLimit: MemoryLimitSupport
  spawn(spec: LaunchSpec): void
  /** Signal the process (its group when it has one); then SIGKILL after graceMs unless 0. */
  signal(wireId: number, signal: number, graceMs: number): void
  /** Keep the Node process alive only while something runs. */
  setActive(active: boolean): void
  /** Stop every process (SIGTERM, SIGKILL after graceMs; SIGKILL at once when 0) and the backend. */
  close(graceMs: number): Promise<void>
}
