// The process runner: a sandbox of exactly one container, which is one local
// process (a shell script or an executable) started through the launcher
// (runtime/runners/launcher): spawns never block the event loop, stdout and
// stderr go straight into the container's log file, and the memory limit is a
// cgroup where the machine has one. No images, ports or exec: the wrapper
// (instrumented.ts) refuses specs that need them.

import { rm } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { fileLines } from '../logs/file-lines.js'
import { LauncherError, ProcessLauncher, type LaunchedProcess, type LauncherOptions, type ProcessExit } from './launcher/index.js'
import { MIN_MEMORY_LIMIT_BYTES } from './launcher/index.js'
import { duplicateId, execUnsupported, invalidArgument, runnerClosed, startFailed, RunnerError } from './errors.js'
import {
  DEFAULT_STOP_GRACE_MS, type ContainerSpec, type ExecResult, type Runner, type RunnerCapabilities, type SandboxExit,
  type SandboxInfo, type SandboxListener, type SandboxSpec, type StopOptions
} from './runner.js'
import { listMatching } from './labels.js'

/** The PATH a container gets when its environment has none (as a container image's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export interface ProcessRunnerOptions {
  /** SIGTERM → SIGKILL grace when a sandbox is stopped (default 10 s, like a container stop). */
  graceMs?: number
  launcher?: LauncherOptions
}

/**
 * The launcher's escalation deadline is set in whole milliseconds once its helper reads the
 * request, so a SIGKILL it sends comes at most this much before `graceMs` after our stop().
 */
const DEADLINE_SLACK_MS = 2

class ProcessSandbox {
  process: LaunchedProcess | undefined = undefined
  startedAt = 0
  /** stop() while the process was being started: applied once it exists. */
  pendingStop: StopOptions | undefined = undefined
  stopped = false
  /** The last signal stop() sent, when (real ms) and with which grace: to tell an escalation. */
  stopSignal: NodeJS.Signals | undefined = undefined
  stopAt = 0
  stopGraceMs = 0

  constructor(readonly spec: SandboxSpec, readonly container: ContainerSpec, readonly listener: SandboxListener) {}
}

/** The launcher's field names, as paths in the sandbox spec. */
function specField(field: string | undefined): string | undefined {
  if (field === undefined) return undefined
  if (field === 'id') return 'id'
  if (field.startsWith('argv')) return `containers[0].command${field.slice(4)}`
  if (field.startsWith('env')) return `containers[0].${field}`
  if (field === 'cwd') return 'containers[0].workDir'
  if (field === 'stdout' || field === 'stderr') return 'containers[0].logPath'
  if (field === 'memoryLimitBytes') return 'containers[0].memoryMiB'
  return `containers[0].${field}`
}

async function* noLines(): AsyncGenerator<string> {}

export class ProcessRunner implements Runner {
  readonly kind = 'process'
  readonly capabilities: RunnerCapabilities
  readonly launcher: ProcessLauncher
  readonly #graceMs: number
  readonly #now: () => number
  readonly #live = new Map<string, ProcessSandbox>()
  #closing = false

  private constructor(launcher: ProcessLauncher, now: () => number, graceMs: number) {
    this.launcher = launcher
    this.#now = now
    this.#graceMs = graceMs
    this.capabilities = {
      memoryLimits: launcher.memoryLimit.enforced ? 'enforced' : 'not-enforced',
      multiContainer: false,
      ports: false,
      exec: false,
      images: false,
      stopTimeout: true,
      ephemeralStorage: true
    }
  }

  static async create(now: () => number, options: ProcessRunnerOptions = {}): Promise<ProcessRunner> {
    const launcher = await ProcessLauncher.start(options.launcher ?? {})
    return new ProcessRunner(launcher, now, options.graceMs ?? DEFAULT_STOP_GRACE_MS)
  }

  start(spec: SandboxSpec, listener: SandboxListener): void {
    if (this.#live.has(spec.id)) throw duplicateId(spec.id)
    if (this.#closing) {
      queueMicrotask(() => listener.failed(runnerClosed(this.kind)))
      return
    }
    const container = spec.containers[0]
    const sandbox = new ProcessSandbox(spec, container, listener)
    this.#live.set(spec.id, sandbox)
    const env = container.env.PATH === undefined ? { PATH: DEFAULT_PATH, ...container.env } : container.env
    const memoryLimitBytes = container.memoryMiB > 0 ? Math.max(MIN_MEMORY_LIMIT_BYTES, container.memoryMiB * 1024 * 1024) : undefined
    // The launcher creates the working and log directories off the event loop.
    this.launcher.spawn({
      id: spec.id,
      argv: container.command,
      env,
      cwd: container.workDir,
      stdout: container.logPath,
      stderr: container.logPath,
      appendOutput: true,
      createDirectories: true,
      memoryLimitBytes
    }).then(
      (process) => this.#running(sandbox, process),
      (error: Error) => this.#startFailed(sandbox, error)
    )
  }

  #running(sandbox: ProcessSandbox, process: LaunchedProcess): void {
    sandbox.process = process
    sandbox.startedAt = this.#now()
    process.exited.then(
      (exit) => this.#exited(sandbox, exit),
      () => this.#lost(sandbox)
    )
    // Before the listener hears of it, so that a stop asked for while starting is never lost.
    if (sandbox.pendingStop !== undefined) {
      const options = sandbox.pendingStop
      sandbox.pendingStop = undefined
      this.#terminate(sandbox, options)
    }
    sandbox.listener.running(this.#info(sandbox))
  }

  #startFailed(sandbox: ProcessSandbox, error: Error): void {
    this.#forget(sandbox)
    sandbox.listener.failed(this.#startError(error))
  }

  #startError(error: Error): RunnerError {
    if (this.#closing || (error instanceof LauncherError && error.code === 'LauncherClosed')) {
      return new RunnerError('RunnerClosed', `the ${this.kind} runner closed before the sandbox started`, { cause: error })
    }
    if (error instanceof LauncherError && error.code === 'LauncherInvalidRequest') {
      // What the wrapper cannot see: the launcher's own limits (the size of argv and env).
      const field = specField(error.field) ?? 'containers[0]'
      return new RunnerError('RunnerInvalidSpec', `${field}: ${error.message}`, { field, limit: error.limit, cause: error })
    }
    return startFailed(`the sandbox could not be started: ${error.message}`, error, specField((error as LauncherError).field))
  }

  #exited(sandbox: ProcessSandbox, exit: ProcessExit): void {
    this.#forget(sandbox)
    const escalated = sandbox.stopSignal !== undefined && sandbox.stopSignal !== 'SIGKILL' && exit.signal === 'SIGKILL' &&
      !exit.oomKilled && performance.now() - sandbox.stopAt >= sandbox.stopGraceMs - DEADLINE_SLACK_MS
    this.#report(sandbox, exit.exitCode, exit.signal, exit.oomKilled, escalated)
  }

  /** The launcher closed or died after the process started: it died with it (PR_SET_PDEATHSIG). */
  #lost(sandbox: ProcessSandbox): void {
    this.#forget(sandbox)
    if (this.#closing) sandbox.stopped = true
    this.#report(sandbox, null, 'SIGKILL', false, false)
  }

  #report(sandbox: ProcessSandbox, exitCode: number | null, signal: NodeJS.Signals | null, oomKilled: boolean, escalated: boolean): void {
    // A Fargate task's storage is its own: its working directory goes before its exit is reported.
    if (sandbox.spec.ephemeralStorage === true) {
      void rm(sandbox.container.workDir, { recursive: true, force: true }).catch(() => {})
        .then(() => this.#reportNow(sandbox, exitCode, signal, oomKilled, escalated))
      return
    }
    this.#reportNow(sandbox, exitCode, signal, oomKilled, escalated)
  }

  #reportNow(sandbox: ProcessSandbox, exitCode: number | null, signal: NodeJS.Signals | null, oomKilled: boolean, escalated: boolean): void {
    const exit: SandboxExit = {
      exitCode, signal, oomKilled,
      containers: [{ name: sandbox.container.name, exitCode, signal, oomKilled }],
      stopped: sandbox.stopped,
      escalated,
      stoppedAt: this.#now()
    }
    sandbox.listener.exited(exit)
  }

  #forget(sandbox: ProcessSandbox): void {
    if (this.#live.get(sandbox.spec.id) === sandbox) this.#live.delete(sandbox.spec.id)
  }

  #terminate(sandbox: ProcessSandbox, options: StopOptions): boolean {
    const signal = options.signal ?? 'SIGTERM'
    const own = sandbox.container.stopTimeoutSeconds
    const graceMs = options.graceMs ?? (own !== undefined ? own * 1000 : this.#graceMs)
    if (!this.launcher.terminate(sandbox.spec.id, { signal, graceMs })) return false
    sandbox.stopped = true
    sandbox.stopSignal = signal
    sandbox.stopAt = performance.now()
    sandbox.stopGraceMs = Math.max(1, graceMs)
    return true
  }

  stop(id: string, options: StopOptions = {}): boolean {
    const sandbox = this.#live.get(id)
    if (sandbox === undefined) return false
    if (sandbox.process === undefined) {
      // Remembered here, and only here: applied once the process exists (the latest request wins).
      sandbox.pendingStop = options
      sandbox.stopped = true
      return true
    }
    return this.#terminate(sandbox, options)
  }

  #info(sandbox: ProcessSandbox): SandboxInfo {
    const { spec, container, process } = sandbox
    const info: SandboxInfo = process === undefined
      ? { id: spec.id, labels: spec.labels, state: 'starting', containers: [{ name: container.name, state: 'starting' }] }
      : {
          id: spec.id, labels: spec.labels, state: 'running', startedAt: sandbox.startedAt,
          containers: [{ name: container.name, state: 'running', pid: process.pid }]
        }
    if (spec.address !== undefined) info.address = spec.address
    return info
  }

  inspect(id: string): SandboxInfo | undefined {
    const sandbox = this.#live.get(id)
    return sandbox && this.#info(sandbox)
  }

  list(labels?: Readonly<Record<string, string>>): SandboxInfo[] {
    return listMatching(this.#live, labels, (sandbox) => this.#info(sandbox))
  }

  logs(id: string, options: { container?: string; follow?: boolean } = {}): AsyncIterable<string> {
    const sandbox = this.#live.get(id)
    if (sandbox === undefined) return noLines()
    if (options.container !== undefined && options.container !== sandbox.container.name) {
      throw invalidArgument('container', `sandbox ${JSON.stringify(id)} has no container ${JSON.stringify(options.container)}`)
    }
    return fileLines(sandbox.container.logPath, options.follow ? { follow: () => this.#live.get(id) === sandbox } : {})
  }

  exec(): Promise<ExecResult> {
    return Promise.reject(execUnsupported(this.kind))
  }

  async close(): Promise<void> {
    this.#closing = true
    for (const sandbox of this.#live.values()) sandbox.stopped = true
    await this.launcher.close({ graceMs: 0 })
  }
}
