// ProcessLauncher: the one front of both backends. It validates requests, names
// processes, turns backend events into promises and coded errors, and publishes
// diagnostics; the backends only start, signal and reap.
import { channel } from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'
import { LauncherError, type SpawnStage } from './errors.js'
import { findLauncherBinary } from './binary.js'
import { NativeBackend } from './native-backend.js'
import { NodeBackend } from './node-backend.js'
import { noticeNodeFallback } from './fallback-notice.js'
import { checkId, toLaunchSpec } from './request.js'
import { errnoName, signalName, signalNumber, type Signal } from './signals.js'
import type {
  BackendEvents, LaunchBackend, LaunchedProcess, LauncherImplementation, LauncherOptions, LaunchRequest,
  LaunchSpec, MemoryLimitState, MemoryLimitSupport, ProcessExit, ResourceUsage, TerminateOptions
} from './types.js'

/** `{ id, pid, implementation, startMs }` or `{ id, implementation, error }` per spawn. */
export const spawnChannel = channel('stratus:launcher:spawn')
/** The ProcessExit (`{ id, pid, exitCode, signal, oomKilled, durationMs, rusage }`) plus `implementation`, per exit. */
export const exitChannel = channel('stratus:launcher:exit')

export const DEFAULT_GRACE_MS = 10_000

interface Entry {
  readonly id: string
  readonly spec: LaunchSpec
  readonly requestedAt: number
  pid: number
  startedAt: number
  state: 'starting' | 'running'
  resolveStart: (process: LaunchedProcess) => void
  rejectStart: (error: Error) => void
  resolveExit: (exit: ProcessExit) => void
  rejectExit: (error: Error) => void
  exited: Promise<ProcessExit>
}

class Launched implements LaunchedProcess {
  constructor(
    readonly id: string,
    readonly pid: number,
    readonly memoryLimit: MemoryLimitState,
    readonly exited: Promise<ProcessExit>,
    readonly launcher: ProcessLauncher
  ) {}

  kill(signal: Signal = 'SIGTERM'): boolean {
    return this.launcher.kill(this.id, signal)
  }

  terminate(options?: TerminateOptions): boolean {
    return this.launcher.terminate(this.id, options)
  }
}

function stageMessage(spec: LaunchSpec, stage: SpawnStage, errno: string): string {
  switch (stage) {
    case 'exec':
      return errno === 'ENOENT'
        ? `cannot run ${JSON.stringify(spec.argv[0])}: not found${spec.argv[0].includes('/') ? '' : ' in PATH'} (ENOENT)`
        : `cannot run ${JSON.stringify(spec.argv[0])} (${errno})`
    case 'chdir':
      return `cwd ${JSON.stringify(spec.cwd)} cannot be entered (${errno})`
    case 'stdin':
    case 'stdout':
    case 'stderr':
      return `${stage} file ${JSON.stringify(spec[stage])} cannot be opened (${errno})`
    case 'cgroup':
      return `memoryLimitBytes: the process could not be placed in a memory cgroup (${errno})`
    case 'launcher':
      return 'the launcher is shutting down'
    default:
      return `the process could not be started: ${stage} failed (${errno})`
  }
}

const stageField: Partial<Record<SpawnStage, string>> = {
  exec: 'argv[0]', chdir: 'cwd', stdin: 'stdin', stdout: 'stdout', stderr: 'stderr', cgroup: 'memoryLimitBytes'
}

function spawnError(spec: LaunchSpec, errno: number, stage: SpawnStage): LauncherError {
  const name = errnoName(errno)
  const kind = name === 'ENOENT' || name === 'ENOTDIR' ? 'NotFound'
    : name === 'EAGAIN' || name === 'ENOMEM' || name === 'EMFILE' || name === 'ENFILE' ? 'LimitExceeded'
    : stage === 'launcher' ? 'Unavailable'
    : 'InvalidArgument'
  return new LauncherError(kind, 'LauncherSpawnFailed', stageMessage(spec, stage, name), { field: stageField[stage], errno: name, stage })
}

/**
 * Starts processes for the Batch process runner: many per second, without blocking
 * the event loop, with logs written straight to files and optional memory limits.
 *
 *   await using launcher = await ProcessLauncher.start()
 *   const p = await launcher.spawn({ id: 'job-1', argv: ['sh', '-c', 'echo hi'], stdout: '/tmp/job-1.out' })
 *   const { exitCode, oomKilled } = await p.exited
 */
export class ProcessLauncher implements AsyncDisposable {
  readonly implementation: LauncherImplementation
  readonly memoryLimit: MemoryLimitSupport
  /** Why 'auto' settled for the node fallback. */
  readonly fallbackReason: string | undefined
  readonly #backend: LaunchBackend
  readonly #byWire = new Map<number, Entry>()
  readonly #byId = new Map<string, Entry>()
  #nextWire = 1
  #nextAutoId = 1
  #closed: Promise<void> | undefined
  #lost: Error | undefined

  private constructor(backend: LaunchBackend, fallbackReason: string | undefined, wire: { launcher?: ProcessLauncher }) {
    this.#backend = backend
    this.implementation = backend.implementation
    this.memoryLimit = backend.memoryLimit
    this.fallbackReason = fallbackReason
    wire.launcher = this
  }

  static async start(options: LauncherOptions = {}): Promise<ProcessLauncher> {
    const wanted = options.implementation ?? 'auto'
    const cgroup = options.cgroup ?? 'auto'
    const startTimeoutMs = options.startTimeoutMs ?? 10_000
    // Backend events reach the launcher through this late-bound box: the backend exists first.
    const wire: { launcher?: ProcessLauncher } = {}
    const events: BackendEvents = {
      started: (w, pid, enforced) => { if (wire.launcher) wire.launcher.#started(w, pid, enforced) },
      failed: (w, errno, stage) => { if (wire.launcher) wire.launcher.#failed(w, errno, stage) },
      exited: (w, pid, code, signal, oom, rusage) => { if (wire.launcher) wire.launcher.#exited(w, pid, code, signal, oom, rusage) },
      lost: (error) => { if (wire.launcher) wire.launcher.#onLost(error) }
    }
    let fallbackReason: string | undefined
    if (wanted !== 'node') {
      const binary = options.binary ?? findLauncherBinary()
      try {
        if (!binary) {
          throw new LauncherError('Unavailable', 'LauncherUnavailable',
            'the native launcher is not built (build/launcher/stratus-launcher needs a C compiler: ' +
            '`npm run build:native` in a clone of Stratus; in an app, approve the install script: `npm install-scripts approve stratus && npm rebuild stratus`)')
        }
        const backend = await NativeBackend.start({ binary, cgroup, startTimeoutMs }, events)
        return new ProcessLauncher(backend, undefined, wire)
      } catch (error) {
        if (wanted === 'native') throw error
        fallbackReason = (error as Error).message
      }
    }
    const workers = options.workers ?? 1
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
      throw new LauncherError('InvalidArgument', 'LauncherInvalidRequest', `workers: must be an integer from 1 to 64, got ${workers}`, { field: 'workers', limit: 64 })
    }
    const backend = await NodeBackend.start({ workers, cgroup, startTimeoutMs }, events)
    if (fallbackReason !== undefined) noticeNodeFallback(fallbackReason)
    return new ProcessLauncher(backend, fallbackReason, wire)
  }

  /** Processes started or starting and not yet exited. */
  get running(): number {
    return this.#byWire.size
  }

  /**
   * Starts a process. Resolves once its pid is known; rejects with a LauncherError
   * (code LauncherInvalidRequest, LauncherDuplicateId, LauncherSpawnFailed…) otherwise.
   */
  spawn(request: LaunchRequest): Promise<LaunchedProcess> {
    if (this.#closed || this.#lost) {
      return Promise.reject(this.#lost ?? new LauncherError('Unavailable', 'LauncherClosed', 'the launcher is closed'))
    }
    let spec: LaunchSpec
    let id: string
    const wireId = this.#nextWire
    try {
      id = request?.id === undefined ? `process-${this.#nextAutoId++}` : checkId(request.id)
      spec = toLaunchSpec(request, wireId)
    } catch (error) {
      return Promise.reject(error)
    }
    if (this.#byId.has(id)) {
      return Promise.reject(new LauncherError('Conflict', 'LauncherDuplicateId', `id: a process with id ${JSON.stringify(id)} is already running`, { field: 'id' }))
    }
    this.#nextWire = wireId >= 0xffff_fffe ? 1 : wireId + 1
    return new Promise<LaunchedProcess>((resolveStart, rejectStart) => {
      let resolveExit!: (exit: ProcessExit) => void
      let rejectExit!: (error: Error) => void
      const exited = new Promise<ProcessExit>((resolve, reject) => {
        resolveExit = resolve
        rejectExit = reject
      })
      exited.catch(() => { /* a caller that never awaits exit must not crash the process */ })
      const entry: Entry = {
        id, spec, requestedAt: performance.now(), pid: 0, startedAt: 0, state: 'starting',
        resolveStart, rejectStart, resolveExit, rejectExit, exited
      }
      if (this.#byWire.size === 0) this.#backend.setActive(true)
      this.#byWire.set(wireId, entry)
      this.#byId.set(id, entry)
      this.#backend.spawn(spec)
    })
  }

  /** Sends a signal to the process (to its whole group when it has one). False if no such process runs. */
  kill(id: string, signal: Signal = 'SIGTERM'): boolean {
    const num = signalNumber(signal)
    const entry = this.#byId.get(id)
    if (!entry) return false
    this.#backend.signal(entry.spec.wireId, num, 0)
    return true
  }

  /** SIGTERM (or `signal`) now, SIGKILL after `graceMs` if the process still runs. */
  terminate(id: string, options: TerminateOptions = {}): boolean {
    const num = signalNumber(options.signal ?? 'SIGTERM')
    const graceMs = options.graceMs ?? DEFAULT_GRACE_MS
    if (!Number.isInteger(graceMs) || graceMs < 0 || graceMs > 0xffff_ffff) {
      throw new LauncherError('InvalidArgument', 'LauncherInvalidRequest', `graceMs: must be a whole number of milliseconds, got ${graceMs}`, { field: 'graceMs' })
    }
    const entry = this.#byId.get(id)
    if (!entry) return false
    this.#backend.signal(entry.spec.wireId, num, Math.max(1, graceMs))
    return true
  }

  /** Kills every process (SIGTERM then SIGKILL after graceMs; SIGKILL at once by default) and stops the backend. */
  close(options: { graceMs?: number } = {}): Promise<void> {
    this.#closed ??= (async () => {
      await this.#backend.close(options.graceMs ?? 0)
      const error = new LauncherError('Unavailable', 'LauncherClosed', 'the launcher closed before the process was reported')
      this.#failAll(error)
    })()
    return this.#closed
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  // ---- backend events ----------------------------------------------------------------

  #started(wireId: number, pid: number, enforced: boolean): void {
    const entry = this.#byWire.get(wireId)
    if (!entry) return
    entry.pid = pid
    entry.startedAt = performance.now()
    entry.state = 'running'
    const memoryLimit: MemoryLimitState = entry.spec.memoryLimitBytes === 0 ? 'none' : enforced ? 'enforced' : 'not-enforced'
    entry.resolveStart(new Launched(entry.id, pid, memoryLimit, entry.exited, this))
    if (spawnChannel.hasSubscribers) {
      spawnChannel.publish({ id: entry.id, pid, implementation: this.implementation, startMs: entry.startedAt - entry.requestedAt })
    }
  }

  #failed(wireId: number, errno: number, stage: SpawnStage): void {
    const entry = this.#forget(wireId)
    if (!entry) return
    const error = spawnError(entry.spec, errno, stage)
    entry.rejectStart(error)
    entry.rejectExit(error)
    if (spawnChannel.hasSubscribers) {
      spawnChannel.publish({ id: entry.id, implementation: this.implementation, error })
    }
  }

  #exited(wireId: number, pid: number, exitCode: number | null, signal: number, oomKilled: boolean, rusage: ResourceUsage | null): void {
    const entry = this.#forget(wireId)
    if (!entry) return
    const exit: ProcessExit = {
      id: entry.id, pid, exitCode, signal: signalName(signal), oomKilled,
      durationMs: performance.now() - entry.startedAt, rusage
    }
    entry.resolveExit(exit)
    if (exitChannel.hasSubscribers) exitChannel.publish({ ...exit, implementation: this.implementation })
  }

  #onLost(error: Error): void {
    this.#lost = error
    this.#failAll(error)
  }

  #forget(wireId: number): Entry | undefined {
    const entry = this.#byWire.get(wireId)
    if (!entry) return undefined
    this.#byWire.delete(wireId)
    this.#byId.delete(entry.id)
    if (this.#byWire.size === 0) this.#backend.setActive(false)
    return entry
  }

  #failAll(error: Error): void {
    for (const wireId of [...this.#byWire.keys()]) {
      const entry = this.#forget(wireId)
      if (!entry) continue
      if (entry.state === 'starting') entry.rejectStart(error)
      entry.rejectExit(error)
    }
  }
}
