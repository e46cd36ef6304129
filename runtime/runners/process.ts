// The process runner: a job's command as a local process (a shell script or an
// executable), through the launcher (runtime/runners/launcher): spawns never
// block the event loop, stdout and stderr go straight into the job's log file,
// and the memory limit is a cgroup where the machine has one.

import { ProcessLauncher, type LaunchedProcess, type LauncherOptions } from './launcher/index.js'
import { DEFAULT_GRACE_MS, MIN_MEMORY_LIMIT_BYTES } from './launcher/index.js'
import type { KillOptions, RunInfo, RunListener, Runner, RunTask } from './runner-v1.js'

/** The PATH a task gets when its environment has none (as a container image's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export interface ProcessRunnerOptions {
  /** SIGTERM → SIGKILL grace when a task is stopped (default 10 s, like a container stop). */
  graceMs?: number
  launcher?: LauncherOptions
}

interface Live {
  process: LaunchedProcess | undefined
  startedAt: number
  killed: KillOptions | undefined
}

export class ProcessRunner implements Runner {
  readonly kind = 'process'
  readonly memoryLimits: 'enforced' | 'not-enforced'
  readonly launcher: ProcessLauncher
  readonly #graceMs: number
  readonly #now: () => number
  readonly #live = new Map<string, Live>()

  private constructor(launcher: ProcessLauncher, now: () => number, graceMs: number) {
    this.launcher = launcher
    this.#now = now
    this.#graceMs = graceMs
    this.memoryLimits = launcher.memoryLimit.enforced ? 'enforced' : 'not-enforced'
  }

  static async create(now: () => number, options: ProcessRunnerOptions = {}): Promise<ProcessRunner> {
    const launcher = await ProcessLauncher.start(options.launcher ?? {})
    return new ProcessRunner(launcher, now, options.graceMs ?? DEFAULT_GRACE_MS)
  }

  start(task: RunTask, listener: RunListener): void {
    const live: Live = { process: undefined, startedAt: 0, killed: undefined }
    this.#live.set(task.id, live)
    const env = task.env.PATH === undefined ? { PATH: DEFAULT_PATH, ...task.env } : task.env
    const memoryLimitBytes = task.memoryMiB > 0 ? Math.max(MIN_MEMORY_LIMIT_BYTES, Math.round(task.memoryMiB * 1024 * 1024)) : undefined
    // The launcher creates the working and log directories off the event loop.
    this.launcher.spawn({
      id: task.id,
      argv: task.command,
      env,
      cwd: task.workDir,
      stdout: task.logPath,
      stderr: task.logPath,
      appendOutput: true,
      createDirectories: true,
      memoryLimitBytes
    })
      .then((process) => {
        live.process = process
        live.startedAt = this.#now()
        listener.running(live.startedAt)
        if (live.killed !== undefined) this.#terminate(task.id, live.killed)
        return process.exited
      })
      .then((exit) => {
        this.#live.delete(task.id)
        listener.exited({ exitCode: exit.exitCode, signal: exit.signal, oomKilled: exit.oomKilled })
      })
      .catch((error: Error) => {
        const started = live.process !== undefined
        this.#live.delete(task.id)
        if (started) listener.exited({ exitCode: null, signal: 'SIGKILL', oomKilled: false })
        else listener.failed(error)
      })
  }

  #terminate(id: string, options: KillOptions): boolean {
    return this.launcher.terminate(id, { signal: options.signal ?? 'SIGTERM', graceMs: options.graceMs ?? this.#graceMs })
  }

  kill(id: string, options: KillOptions = {}): boolean {
    const live = this.#live.get(id)
    if (live === undefined) return false
    if (live.process === undefined) {
      live.killed = options // killed while starting: stop it as soon as it runs
      return true
    }
    return this.#terminate(id, options)
  }

  inspect(id: string): RunInfo | undefined {
    const live = this.#live.get(id)
    if (live === undefined) return undefined
    return live.process === undefined
      ? { id, state: 'starting' }
      : { id, state: 'running', pid: live.process.pid, startedAt: live.startedAt }
  }

  async close(): Promise<void> {
    await this.launcher.close({ graceMs: 0 })
  }
}
