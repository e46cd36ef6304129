// The docker runner: Runner v2 over one or more Docker engines (README.md).
// A sandbox is a set of containers created from the spec (sandbox.ts), each
// watched by a wait (POST /containers/{id}/wait?condition=not-running, issued
// once it has started, so an exit is never missed) and a followed log stream
// that appends its output to its log file (logs.ts). Its end is reported once
// every container has exited, its output is in its file and its containers
// are removed. Everything it creates carries labels (stratus.engine,
// stratus.sandbox, stratus.container, …): a later runner of the same engine
// finds them (recovery.ts), and close() removes them.
import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { duplicateId, invalidArgument, RunnerError, runnerClosed, startFailed } from '../errors.js'
import type { ImageSource } from '../images.js'
import { listMatching } from '../labels.js'
import {
  DEFAULT_STOP_GRACE_MS, type ExecOptions, type ExecResult, type ExecSession, type HealthStatus, type Runner, type RunnerCapabilities,
  type SandboxInfo, type SandboxListener, type SandboxSpec, type StopOptions
} from '../runner.js'
import { DockerApiError, type DockerHost } from './client.js'
import { execCollect, execInteractive } from './exec.js'
import { connectHosts, LOCAL_HOST, type EngineHost } from './hosts.js'
import { HealthWatcher } from './health.js'
import { evaluateDependencies } from './flow.js'
import { launch } from './launch.js'
import { pumpLogs, resumePoint } from './logs.js'
import { PulledJournal } from './pulled-journal.js'
import { listEngineContainers, recoverSandbox, type ContainerInspect } from './recovery.js'
import { LABEL } from './sandbox.js'
import { removeVolume, sweepContainers, taskVolumes } from './volumes.js'
import { DockerSandbox, type DockerContainer, type DockerSandboxExit } from './state.js'
import type { DockerRunnerOptions } from './options.js'
import { dockerCapabilities, sweepLeftovers, SWEEP_MS } from './closing.js'
import { runningContainer, sandboxLogs } from './lookup.js'
import { terminate } from './signals.js'
import { oomEventSeen, oomRecheckDelay, OOM_RECHECKS } from './oom.js'

export type { DockerRunnerOptions } from './options.js'

/** How long a container's log drain may go without progress, after its exit, before it is broken off. */
const LOG_DRAIN_MS = 5000
/** The pause before waiting again on a container whose wait broke off while it runs; doubled per failed inspect, up to MAX_RETRY_MS. */
const REWAIT_MS = 100
const MAX_RETRY_MS = 5000
const DEFAULT_CLOSE_TIMEOUT_MS = 30_000
const NO_LISTENER: SandboxListener = { running() {}, exited() {}, failed() {} }

export class DockerRunner implements Runner {
  readonly kind = 'docker'
  readonly capabilities: RunnerCapabilities
  readonly engineId: string
  readonly #hosts: EngineHost[]
  readonly #now: () => number
  readonly #graceMs: number
  readonly #closeTimeoutMs: number
  readonly #runnerId: string
  readonly #journal: PulledJournal | undefined
  readonly #live = new Map<string, DockerSandbox>()
  /** One health event stream per engine, opened for the first container with a health check. */
  readonly #health = new Map<EngineHost, HealthWatcher>()
  #closing = false
  #closed: Promise<void> | undefined = undefined

  private constructor(hosts: EngineHost[], options: DockerRunnerOptions, runnerId: string, journal: PulledJournal | undefined) {
    this.#hosts = hosts
    this.#journal = journal
    this.engineId = options.engineId
    this.#now = options.now ?? Date.now
    this.#graceMs = options.graceMs ?? DEFAULT_STOP_GRACE_MS
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS
    this.#runnerId = runnerId
    this.capabilities = dockerCapabilities(hosts, options)
  }

  /** Connects to every engine and recovers the sandboxes an earlier runner of the same engine id left there. */
  static async create(options: DockerRunnerOptions): Promise<DockerRunner> {
    if (typeof options.engineId !== 'string' || options.engineId === '') throw invalidArgument('engineId', 'must be a non-empty string')
    const runnerId = randomUUID()
    const journal = options.stateDir === undefined ? undefined : new PulledJournal(join(options.stateDir, 'pulled-images'))
    const hosts = await connectHosts(options.hosts ?? [LOCAL_HOST], {
      engineId: options.engineId, runnerId, allowPrivileged: options.allowPrivileged === true, images: options.images,
      ...(journal !== undefined ? { journal } : {})
    })
    const runner = new DockerRunner(hosts, options, runnerId, journal)
    await runner.#recover()
    // The names an earlier runner pulled by and never untagged (it was killed): their ports died with it.
    await journal?.sweep(runner.#clients()).catch(() => {})
    return runner
  }

  #clients(): Map<string, EngineHost['client']> {
    return new Map(this.#hosts.map((h) => [h.name, h.client]))
  }

  /** The engines this runner places sandboxes on (the benchmark's floor talks to the same client). */
  get hosts(): readonly EngineHost[] {
    return this.#hosts
  }

  // --- start ---------------------------------------------------------------------------------

  start(spec: SandboxSpec, listener: SandboxListener): void {
    if (this.#live.has(spec.id)) throw duplicateId(spec.id)
    if (this.#closing) {
      queueMicrotask(() => listener.failed(runnerClosed(this.kind)))
      return
    }
    const host = spec.host === undefined ? this.#hosts[0] : this.#hosts.find((h) => h.name === spec.host) ?? this.#hosts[0]
    const sandbox = new DockerSandbox(spec, host, listener, false)
    this.#live.set(spec.id, sandbox)
    void this.#launch(sandbox)
  }

  async #launch(s: DockerSandbox): Promise<void> {
    try {
      await launch(s, {
        now: this.#now,
        checkClosing: () => { if (this.#closing) throw new RunnerError('RunnerClosed', `the ${this.kind} runner closed before the sandbox started`) },
        started: (c) => this.#watch(s, c)
      })
    } catch (error) {
      await this.#abandon(s, error)
      return
    }
    s.startedAt = this.#now()
    s.state = 'running'
    // Before the listener hears of it, so that a stop asked for while starting is never lost.
    if (s.pendingStop !== undefined) {
      const options = s.pendingStop
      s.pendingStop = undefined
      this.#stopNow(s, options)
    }
    s.listener?.running(s.info())
    for (const c of s.containers) if (c.exit !== undefined) this.#decide(s, c)
    this.#evaluate(s)
  }

  // --- dependsOn, health, reports ----------------------------------------------------------

  /** Starts the waiting containers whose conditions hold; ends the sandbox when one can no longer hold. */
  #evaluate(s: DockerSandbox): void {
    evaluateDependencies(s, {
      started: (c) => {
        this.#watch(s, c)
        if (s.ending) void this.#kill(s, c, 'SIGKILL') // the sandbox's end came while it started: it goes at once
        else this.#changed(s)
        this.#evaluate(s)
      },
      notStarted: (c) => {
        if (c.essential && !s.ending) {
          s.reason = c.exit!.reason
          this.#endOthers(s)
        } else {
          this.#changed(s)
          this.#evaluate(s)
        }
        if (s.allExited) void this.#finish(s)
      },
      failed: () => this.#endOthers(s)
    })
  }

  /** Tells a listener that wants it (SandboxListener.changed) how the sandbox is now, while it lives. */
  #changed(s: DockerSandbox): void {
    const listener = s.listener
    if (listener?.changed !== undefined && s.state === 'running' && !s.ending && !s.discarded) listener.changed(s.info())
  }

  #healthChanged(s: DockerSandbox, c: DockerContainer, status: HealthStatus): void {
    if (s.discarded || c.exit !== undefined || c.health === status) return
    c.health = status
    this.#changed(s)
    this.#evaluate(s)
  }

  #healthWatcher(host: EngineHost): HealthWatcher {
    let watcher = this.#health.get(host)
    if (watcher === undefined) {
      watcher = new HealthWatcher(host.client, this.engineId)
      this.#health.set(host, watcher)
    }
    return watcher
  }

  /** A start that did not complete: whatever was created is removed, and the listener hears why. */
  async #abandon(s: DockerSandbox, error: unknown): Promise<void> {
    s.discarded = true
    for (const c of s.containers) c.logs?.abort()
    await this.#remove(s)
    this.#forget(s)
    s.settle()
    const reason = error instanceof RunnerError
      ? error
      : new RunnerError('RunnerStartFailed', `the Docker engine ${s.host.name} failed: ${(error as Error).message}`, { cause: error, kind: 'Unavailable' })
    s.listener?.failed(reason)
  }

  // --- exits ---------------------------------------------------------------------------------

  /** Follows a started container: its output into its log file (from `since`, for a recovered one), and its exit. */
  #watch(s: DockerSandbox, c: DockerContainer, since?: string): void {
    c.logs = pumpLogs(s.host.client, c.id!, c.spec.logPath, since)
    if (c.exit === undefined) this.#wait(s, c)
    if (c.spec.healthCheck !== undefined && c.exit === undefined) this.#healthWatcher(s.host).watch(c.id!, (status) => this.#healthChanged(s, c, status))
  }

  #wait(s: DockerSandbox, c: DockerContainer): void {
    s.host.client.request('POST', `/containers/${c.id}/wait`, { query: { condition: 'not-running' }, noTimeout: true })
      .then(() => this.#exited(s, c), () => this.#exited(s, c))
  }

  /** Runs `then` after `ms` unless the sandbox is torn down meanwhile (its timers are cleared when it settles). */
  #later(s: DockerSandbox, ms: number, then: () => void): void {
    if (s.discarded) return
    const timer = setTimeout(() => {
      s.timers.delete(timer)
      then()
    }, ms)
    s.timers.add(timer)
  }

  /**
   * A container's wait returned (or broke off): how is it? Only the engine's 404 means it is gone;
   * any other failure (connection refused or reset, a 5xx while the engine restarts) says nothing
   * of the container, which may run on: it is asked again, later and later.
   */
  async #exited(s: DockerSandbox, c: DockerContainer, failures = 0, oomChecks = 0): Promise<void> {
    if (s.discarded || c.exit !== undefined) return
    let inspect: ContainerInspect | undefined
    try {
      inspect = await s.host.client.request<ContainerInspect>('GET', `/containers/${c.id}/json`)
    } catch (error) {
      if (!(error instanceof DockerApiError && error.statusCode === 404)) {
        this.#later(s, Math.min(REWAIT_MS * 2 ** failures, MAX_RETRY_MS), () => void this.#exited(s, c, failures + 1))
        return
      }
    }
    if (s.discarded || c.exit !== undefined) return
    if (inspect?.State.Running) {
      // A kill sent while the engine did not answer may never have arrived: close() sends it again.
      if (this.#closing && c.signals.has('SIGKILL')) void this.#kill(s, c, 'SIGKILL')
      // Output the engine sent while its stream was broken off is followed again, from where the file ends.
      if (c.logs?.ended && !s.finishing) c.logs = pumpLogs(s.host.client, c.id!, c.spec.logPath, await resumePoint(c.spec.logPath))
      // The wait broke off while it runs on (the engine dropped the connection): wait again, a moment later.
      this.#later(s, REWAIT_MS, () => this.#wait(s, c))
      return
    }
    // The engine learns of an OOM kill apart from the exit, and under load after it (oom.ts): a 137 under a hard
    // memory limit that the runner did not send is looked up in the engine's events, and asked about again, briefly.
    let oomKilled = inspect?.State.OOMKilled === true
    if (inspect !== undefined && inspect.State.ExitCode === 137 && !oomKilled && c.spec.memoryMiB > 0 && !c.signals.has('SIGKILL')) {
      oomKilled = await oomEventSeen(s.host.client, c.id!, inspect.State.StartedAt)
      if (s.discarded || c.exit !== undefined) return
      if (!oomKilled && oomChecks < OOM_RECHECKS) {
        this.#later(s, oomRecheckDelay(oomChecks), () => void this.#exited(s, c, failures, oomChecks + 1))
        return
      }
    }
    // Gone without a trace (removed behind the runner's back, the engine answered 404): it was killed.
    c.exit = inspect === undefined ? { name: c.spec.name, exitCode: null, signal: 'SIGKILL', oomKilled: false } : c.exitFrom(inspect.State.ExitCode, oomKilled)
    c.state = 'exited'
    if (c.killTimer !== undefined) clearTimeout(c.killTimer)
    if (c.spec.healthCheck !== undefined) this.#health.get(s.host)?.unwatch(c.id!)
    if (s.state !== 'starting') this.#decide(s, c)
  }

  /** After a container's exit: an essential one ends the sandbox (the others are stopped); the last one finishes it. */
  #decide(s: DockerSandbox, c: DockerContainer): void {
    if (c.essential && !s.ending) {
      s.decider = c
      this.#endOthers(s)
    } else {
      this.#changed(s)
      this.#evaluate(s)
    }
    if (s.allExited) void this.#finish(s)
  }

  /** The sandbox's end is decided: the others are stopped, each with its own grace; those still waiting never start. */
  #endOthers(s: DockerSandbox): void {
    const others = s.containers.filter((o) => o.exit === undefined)
    if (others.length > 0) this.#signal(s, others, 'SIGTERM', undefined)
  }

  /** Sends a signal; settles (never rejects) once the engine answered. */
  #kill(s: DockerSandbox, c: DockerContainer, signal: NodeJS.Signals): Promise<void> {
    c.signals.add(signal)
    return s.host.client.request('POST', `/containers/${c.id}/kill`, { query: { signal } }).then(() => {}, () => {}) // already exited: nothing to do
  }

  /**
   * Sends `signal`, then SIGKILL to those still alive after the grace: `graceMs`, or each
   * container's own stopTimeoutSeconds, or the runner's. A container still waiting on its
   * dependsOn is never started: it ends at once (notStarted).
   */
  #signal(s: DockerSandbox, targets: DockerContainer[], signal: NodeJS.Signals, graceMs: number | undefined): void {
    for (const c of targets) {
      if (c.exit !== undefined) continue
      if (!c.started && !c.launching) {
        c.state = 'exited'
        c.exit = { name: c.spec.name, exitCode: null, signal: null, oomKilled: false, notStarted: true }
        continue
      }
      if (c.id === undefined) continue
      if (signal === 'SIGKILL') {
        void this.#kill(s, c, signal)
        continue
      }
      // Asked again while the first is on its way or its grace runs: sent again, one grace.
      const grace = c.terminating ? undefined : graceMs ?? (c.spec.stopTimeoutSeconds !== undefined ? c.spec.stopTimeoutSeconds * 1000 : this.#graceMs)
      c.terminating = true
      void terminate(s, c, signal, grace, (sig) => this.#kill(s, c, sig))
    }
    if (s.allExited && s.state !== 'starting') void this.#finish(s)
  }

  #stopNow(s: DockerSandbox, options: StopOptions): void {
    const targets = s.containers.filter((c) => c.exit === undefined)
    this.#signal(s, targets, options.signal ?? 'SIGTERM', options.graceMs)
  }

  async #finish(s: DockerSandbox): Promise<void> {
    if (s.drained || s.finishing) return
    s.finishing = true
    // Every byte a container wrote is in its log file before its end is reported (awslogs reads
    // those files): a drain is broken off only once it has made no progress for LOG_DRAIN_MS.
    await Promise.all(s.containers.map(async (c) => {
      const pump = c.logs
      if (pump === undefined) return
      let before = -1
      const stalled = setInterval(() => {
        if (pump.written === before) pump.abort()
        before = pump.written
      }, LOG_DRAIN_MS)
      await pump.done
      clearInterval(stalled)
    }))
    s.drained = true
    s.state = 'exited'
    // A recovered sandbox nobody has attached to keeps its end (and its containers) until someone does, or stops it.
    if (s.listener !== undefined || s.stopped) await this.#report(s)
  }

  async #report(s: DockerSandbox): Promise<void> {
    if (s.discarded) return
    s.discarded = true
    const exit = s.exit(this.#now())
    await this.#remove(s)
    // A Fargate task's storage is its own: its workDirs go with it.
    if (s.spec.ephemeralStorage === true) await Promise.all(s.spec.containers.map((c) => c.workDir === '' ? undefined : rm(c.workDir, { recursive: true, force: true }).catch(() => {})))
    this.#forget(s)
    s.settle()
    s.listener?.exited(exit)
  }

  /** Removes every container of the sandbox, the holder last (the others use its namespace). */
  async #remove(s: DockerSandbox): Promise<void> {
    const remove = (id: string) => s.host.client.request('DELETE', `/containers/${id}`, { query: { force: true, v: true } }).catch((error) => {
      if (!(error instanceof DockerApiError && error.statusCode === 404)) throw error
    })
    const members = s.created.filter((id) => id !== s.holderId)
    for (const c of s.containers) if (c.spec.healthCheck !== undefined && c.id !== undefined) this.#health.get(s.host)?.unwatch(c.id)
    await Promise.allSettled(members.map(remove))
    if (s.holderId !== undefined && s.created.includes(s.holderId)) await remove(s.holderId).catch(() => {})
    // Its task-scoped volumes, once no container uses them (a recovered one's are found by their labels).
    const volumes = s.recovered ? await taskVolumes(s.host, this.engineId, { [LABEL.sandbox]: s.spec.id }) : s.volumes
    await Promise.allSettled(volumes.map((name) => removeVolume(s.host, name)))
  }

  #forget(s: DockerSandbox): void {
    if (this.#live.get(s.spec.id) === s) this.#live.delete(s.spec.id)
  }

  // --- recovery ------------------------------------------------------------------------------

  async #recover(): Promise<void> {
    for (const host of this.#hosts) {
      for (const [id, listed] of await listEngineContainers(host, this.engineId)) {
        if (this.#live.has(id)) continue
        const s = await recoverSandbox(host, id, listed)
        if (s === undefined) continue
        this.#live.set(id, s)
        // Output written after the earlier runner stopped reading is appended from where its file ends.
        for (const c of s.containers) if (c.id !== undefined) this.#watch(s, c, await resumePoint(c.spec.logPath))
        // One that ended while no runner watched is known as ended once its output is in.
        if (s.allExited) await this.#finish(s)
        else for (const c of s.containers) if (c.exit !== undefined) this.#decide(s, c)
      }
    }
  }

  attach(id: string, listener: SandboxListener): boolean {
    const s = this.#live.get(id)
    if (s === undefined || !s.recovered || s.discarded) return false
    s.listener = listener
    if (s.drained) void this.#report(s)
    return true
  }

  // --- the rest of Runner --------------------------------------------------------------------

  stop(id: string, options: StopOptions = {}): boolean {
    const s = this.#live.get(id)
    if (s === undefined || s.discarded) return false
    if (s.drained) {
      // A recovered sandbox that ended before anyone attached: stop() removes it.
      s.stopped = true
      void this.#report(s)
      return true
    }
    if (s.allExited && s.state !== 'starting') return false
    s.stopped = true
    if (s.state === 'starting') {
      s.pendingStop = options // the latest request wins
      return true
    }
    this.#stopNow(s, options)
    return true
  }

  inspect(id: string): SandboxInfo | undefined {
    return this.#live.get(id)?.info()
  }

  list(labels?: Readonly<Record<string, string>>): SandboxInfo[] {
    return listMatching(this.#live, labels, (s) => s.info())
  }

  logs(id: string, options: { container?: string; follow?: boolean } = {}): AsyncIterable<string> {
    return sandboxLogs(this.#live, id, options)
  }

  async exec(id: string, container: string, command: readonly string[]): Promise<ExecResult> {
    const { s, c } = runningContainer(this.#live, id, container)
    return execCollect(s.host.client, c.id!, command).catch((error: Error) => {
      throw startFailed(`exec in container ${container} could not be run: ${error.message}`, error)
    })
  }

  async execStream(id: string, container: string, command: readonly string[], options?: ExecOptions): Promise<ExecSession> {
    const { s, c } = runningContainer(this.#live, id, container)
    return execInteractive(s.host.client, c.id!, command, options).catch((error: Error) => {
      throw startFailed(`exec in container ${container} could not be run: ${error.message}`, error)
    })
  }

  close(): Promise<void> {
    this.#closed ??= this.#close()
    return this.#closed
  }

  async #close(): Promise<void> {
    this.#closing = true
    const all = [...this.#live.values()]
    for (const s of all) {
      s.listener ??= NO_LISTENER // nobody will attach to a recovered one now: it ends like the others
      if (s.discarded) continue
      if (s.drained) {
        void this.#report(s)
        continue
      }
      s.stopped = true
      if (s.state === 'starting') s.pendingStop = { signal: 'SIGKILL', graceMs: 0 }
      else this.#stopNow(s, { signal: 'SIGKILL', graceMs: 0 })
    }
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all(all.map((s) => s.settled)),
      new Promise((resolve) => { timer = setTimeout(resolve, this.#closeTimeoutMs) })
    ])
    clearTimeout(timer)
    const left = all.filter((s) => !s.gone)
    // Whatever this runner created and lost track of (a start broken off by an engine error) goes too,
    // and so does what is left of the sandboxes whose engine did not answer in time, as far as it answers now.
    const deadline = () => left.length > 0 ? AbortSignal.timeout(SWEEP_MS) : undefined
    const removed = await sweepContainers(this.#hosts, this.engineId, this.#runnerId, left, deadline)
    for (const s of left) this.#giveUp(s, s.created.every((id) => removed.has(id)))
    for (const watcher of this.#health.values()) watcher.close()
    await sweepLeftovers(this.#hosts, this.engineId, this.#runnerId, left.length > 0, this.#journal, this.#clients())
  }

  /** close() ran out of time on a sandbox whose engine did not answer: it is reported ended, with what the runner knows. */
  #giveUp(s: DockerSandbox, removed: boolean): void {
    if (s.gone) return
    s.discarded = true
    for (const c of s.containers) c.logs?.abort()
    this.#forget(s)
    s.settle()
    const listener = s.listener
    s.listener = NO_LISTENER // a request still under way when the engine comes back reports nothing more
    const why = `the Docker engine ${s.host.name} did not answer within ${this.#closeTimeoutMs} ms of close(): ` +
      (removed ? 'its containers were removed without their exits being read' : 'its containers may still run there, and were not removed')
    if (s.state === 'starting') {
      listener?.failed(new RunnerError('RunnerClosed', `the ${this.kind} runner closed before the sandbox started; ${why}`, { kind: 'Unavailable' }))
      return
    }
    const exit: DockerSandboxExit = { ...s.exit(this.#now()), lost: why }
    listener?.exited(exit)
  }
}
