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
import { fileLines } from '../../logs/file-lines.js'
import { duplicateId, invalidArgument, RunnerError, runnerClosed, startFailed } from '../errors.js'
import type { ImageSource } from '../images.js'
import { listMatching } from '../labels.js'
import {
  DEFAULT_STOP_GRACE_MS, type ExecOptions, type ExecResult, type ExecSession, type Runner, type RunnerCapabilities,
  type SandboxInfo, type SandboxListener, type SandboxSpec, type StopOptions
} from '../runner.js'
import { DockerApiError, type DockerHost } from './client.js'
import { execCollect, execInteractive } from './exec.js'
import { connectHosts, LOCAL_HOST, type EngineHost } from './hosts.js'
import { launch } from './launch.js'
import { pumpLogs, resumePoint } from './logs.js'
import { labelFilter, listEngineContainers, recoverSandbox, type ContainerInspect } from './recovery.js'
import { LABEL } from './sandbox.js'
import { DockerSandbox, type DockerContainer } from './state.js'

export interface DockerRunnerOptions {
  /** The engine's id: every container is labelled with it, and a runner of the same id recovers them. */
  engineId: string
  /** The engine's clock (ms since the epoch): startedAt, stoppedAt, pull times. */
  now?: () => number
  /** The built-in registry: its references are pulled from it. */
  images?: ImageSource
  /** The Docker engines (default: the local one, /var/run/docker.sock); the first is the default host. */
  hosts?: readonly DockerHost[]
  /** Privileged containers are refused unless this is true. */
  allowPrivileged?: boolean
  /** SIGTERM → SIGKILL grace of stop() and of stopping the others after an essential exit (default 10 s). */
  graceMs?: number
}

/** How long a log stream may run on after its container's exit before it is broken off. */
const LOG_DRAIN_MS = 5000
/** The pause before waiting again on a container whose wait broke off while it runs. */
const REWAIT_MS = 100
const NO_LISTENER: SandboxListener = { running() {}, exited() {}, failed() {} }

async function* noLines(): AsyncGenerator<string> {}

export class DockerRunner implements Runner {
  readonly kind = 'docker'
  readonly capabilities: RunnerCapabilities
  readonly engineId: string
  readonly #hosts: EngineHost[]
  readonly #now: () => number
  readonly #graceMs: number
  readonly #runnerId: string
  readonly #live = new Map<string, DockerSandbox>()
  #closing = false
  #closed: Promise<void> | undefined = undefined

  private constructor(hosts: EngineHost[], options: DockerRunnerOptions, runnerId: string) {
    this.#hosts = hosts
    this.engineId = options.engineId
    this.#now = options.now ?? Date.now
    this.#graceMs = options.graceMs ?? DEFAULT_STOP_GRACE_MS
    this.#runnerId = runnerId
    this.capabilities = {
      memoryLimits: hosts.every((h) => h.memoryLimits) ? 'enforced' : 'not-enforced',
      multiContainer: true, ports: true, exec: true, images: true,
      privileged: options.allowPrivileged === true,
      networkModes: ['awsvpc', 'bridge', 'host', 'none'],
      hosts: hosts.map((h) => h.name)
    }
  }

  /** Connects to every engine and recovers the sandboxes an earlier runner of the same engine id left there. */
  static async create(options: DockerRunnerOptions): Promise<DockerRunner> {
    if (typeof options.engineId !== 'string' || options.engineId === '') throw invalidArgument('engineId', 'must be a non-empty string')
    const runnerId = randomUUID()
    const hosts = await connectHosts(options.hosts ?? [LOCAL_HOST], {
      engineId: options.engineId, runnerId, allowPrivileged: options.allowPrivileged === true, images: options.images
    })
    const runner = new DockerRunner(hosts, options, runnerId)
    await runner.#recover()
    return runner
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
  }

  #wait(s: DockerSandbox, c: DockerContainer): void {
    s.host.client.request('POST', `/containers/${c.id}/wait`, { query: { condition: 'not-running' }, noTimeout: true })
      .then(() => this.#exited(s, c), () => this.#exited(s, c))
  }

  async #exited(s: DockerSandbox, c: DockerContainer): Promise<void> {
    if (s.discarded || c.exit !== undefined) return
    const inspect = await s.host.client.request<ContainerInspect>('GET', `/containers/${c.id}/json`).catch(() => undefined)
    if (s.discarded || c.exit !== undefined) return
    if (inspect?.State.Running) {
      // The wait broke off while it runs on (the engine dropped the connection): wait again, a moment later.
      const timer = setTimeout(() => {
        s.timers.delete(timer)
        this.#wait(s, c)
      }, REWAIT_MS)
      s.timers.add(timer)
      return
    }
    // Gone without a trace (removed behind the runner's back): it was killed.
    c.exit = inspect === undefined ? { name: c.spec.name, exitCode: null, signal: 'SIGKILL', oomKilled: false } : c.exitFrom(inspect.State.ExitCode, inspect.State.OOMKilled)
    c.state = 'exited'
    if (s.state !== 'starting') this.#decide(s, c)
  }

  /** After a container's exit: an essential one ends the sandbox (the others are stopped); the last one finishes it. */
  #decide(s: DockerSandbox, c: DockerContainer): void {
    if (c.essential && s.decider === undefined && !s.stopped) {
      s.decider = c
      const others = s.containers.filter((o) => o.exit === undefined && o.id !== undefined)
      if (others.length > 0) this.#signal(s, others, 'SIGTERM', this.#graceMs)
    }
    if (s.allExited) void this.#finish(s)
  }

  #kill(s: DockerSandbox, c: DockerContainer, signal: NodeJS.Signals): void {
    c.signals.add(signal)
    s.host.client.request('POST', `/containers/${c.id}/kill`, { query: { signal } }).catch(() => {}) // already exited: nothing to do
  }

  /** Sends `signal`, then SIGKILL to those still alive after the grace. */
  #signal(s: DockerSandbox, targets: DockerContainer[], signal: NodeJS.Signals, graceMs: number): void {
    for (const c of targets) if (c.exit === undefined) this.#kill(s, c, signal)
    if (signal === 'SIGKILL') return
    const timer = setTimeout(() => {
      s.timers.delete(timer)
      for (const c of targets) {
        if (c.exit !== undefined) continue
        c.escalatedKill = true
        this.#kill(s, c, 'SIGKILL')
      }
    }, graceMs)
    s.timers.add(timer)
  }

  #stopNow(s: DockerSandbox, options: StopOptions): void {
    const targets = s.containers.filter((c) => c.exit === undefined && c.id !== undefined)
    this.#signal(s, targets, options.signal ?? 'SIGTERM', options.graceMs ?? this.#graceMs)
  }

  async #finish(s: DockerSandbox): Promise<void> {
    if (s.drained || s.finishing) return
    s.finishing = true
    await Promise.all(s.containers.map(async (c) => {
      if (c.logs === undefined) return
      const deadline = setTimeout(() => c.logs?.abort(), LOG_DRAIN_MS)
      await c.logs.done
      clearTimeout(deadline)
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
    await Promise.allSettled(members.map(remove))
    if (s.holderId !== undefined && s.created.includes(s.holderId)) await remove(s.holderId).catch(() => {})
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
    const s = this.#live.get(id)
    if (s === undefined) return noLines()
    const c = s.container(options.container)
    if (c === undefined) throw invalidArgument('container', `sandbox ${JSON.stringify(id)} has no container ${JSON.stringify(options.container)}`)
    // Until its end is reported (a recovered sandbox nobody attached to: until its output is in).
    return fileLines(c.spec.logPath, options.follow ? { follow: () => this.#live.get(id) === s && !(s.drained && s.listener === undefined) } : {})
  }

  #running(id: string, container: string): { s: DockerSandbox; c: DockerContainer } {
    const s = this.#live.get(id)
    if (s === undefined) throw invalidArgument('id', `no live sandbox ${JSON.stringify(id)}`)
    const c = s.container(container)
    if (c === undefined) throw invalidArgument('container', `sandbox ${JSON.stringify(id)} has no container ${JSON.stringify(container)}`)
    if (c.state !== 'running' || c.exit !== undefined) throw invalidArgument('container', `container ${container} of sandbox ${JSON.stringify(id)} is not running`)
    return { s, c }
  }

  async exec(id: string, container: string, command: readonly string[]): Promise<ExecResult> {
    const { s, c } = this.#running(id, container)
    return execCollect(s.host.client, c.id!, command).catch((error: Error) => {
      throw startFailed(`exec in container ${container} could not be run: ${error.message}`, error)
    })
  }

  async execStream(id: string, container: string, command: readonly string[], options?: ExecOptions): Promise<ExecSession> {
    const { s, c } = this.#running(id, container)
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
    await Promise.all(all.map((s) => s.settled))
    // Whatever this runner created and lost track of (a start broken off by an engine error) goes too.
    await Promise.all(this.#hosts.map(async (host) => {
      const mine = await host.client.request<Array<{ Id: string }>>('GET', '/containers/json', {
        query: { all: true, filters: labelFilter({ [LABEL.engine]: this.engineId, [LABEL.runner]: this.#runnerId }) }
      }).catch(() => [])
      await Promise.allSettled(mine.map((c) => host.client.request('DELETE', `/containers/${c.Id}`, { query: { force: true, v: true } })))
    }))
    await Promise.all(this.#hosts.map((h) => h.client.close()))
  }
}
