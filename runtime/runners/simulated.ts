// The simulated runner runs nothing. Each container's environment says what
// happens to it, on the engine's clock:
//   STRATUS_SIM_SECONDS=<n>        it lasts n seconds (default 0)
//   STRATUS_SIM_EXIT=<0-255>       then exits with this code (default 0)
//   STRATUS_SIM_OUTPUT=<text>      written to its log when it starts
//   STRATUS_SIM_IGNORE_SIGTERM=1   stop() must wait the grace period and SIGKILL it
//   STRATUS_SIM_OOM=1              when its time is up the kernel kills it (SIGKILL, oomKilled)
//   STRATUS_SIM_FAIL=<message>     the sandbox cannot be started (failed: RunnerStartFailed)
// A bad value fails the sandbox with RunnerInvalidSpec naming the variable.
// It lets tests and benchmarks drive thousands of nodes and a million jobs, so
// a sandbox costs a few small objects, one shared microtask per batch of
// starts and one clock timer per container that lasts.
import { appendFile, mkdir, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Clock, TimerHandle } from '../clock/clock.js'
import { fileLines } from '../logs/file-lines.js'
import { dependencyReason, dependencyVerdict, type DependencyView } from './dependencies.js'
import { HealthTracker } from './health.js'
import { duplicateId, execUnsupported, invalidArgument, invalidSpec, runnerClosed, startFailed, type RunnerError } from './errors.js'
import { listMatching } from './labels.js'
import { SimulatedPorts } from './simulated-ports.js'
import {
  DEFAULT_STOP_GRACE_MS, type ContainerExit, type DependencyFailure, type ContainerSpec, type ContainerState, type ExecResult, type NetworkBinding,
  type Runner, type RunnerCapabilities, type SandboxExit, type SandboxInfo, type SandboxListener, type SandboxSpec, type StopOptions
} from './runner.js'

export interface SimulatedRunnerOptions {
  /** SIGTERM → SIGKILL grace of stop() and of stopping the other containers (default 10 s of clock time). */
  graceMs?: number
}

const STARTING = 0
const RUNNING = 1
/** Its end is decided (stop(), or an essential container exited): waiting for the other containers. */
const ENDING = 2
const REPORTED = 3

class SimContainer {
  /** Its own timer: set while it lasts. */
  timer: TimerHandle | undefined = undefined
  /** Its next health probe. */
  healthTimer: TimerHandle | undefined = undefined
  /** SIGKILL after its grace, when it ignored SIGTERM. */
  killTimer: TimerHandle | undefined = undefined
  /** It has been started (one with dependsOn waits until its conditions hold). */
  started = false
  startedAt = 0
  /** It ended without having been started (the sandbox ended while it waited). */
  notStarted = false
  readonly health: HealthTracker | undefined
  /** Its output is being written (it cannot end by itself before that is done). */
  writing = false
  timeUp = false
  done = false
  exitCode: number | null = null
  signal: NodeJS.Signals | null = null
  oomKilled = false
  bindings: NetworkBinding[] | undefined = undefined

  constructor(
    readonly spec: ContainerSpec,
    readonly essential: boolean,
    readonly durationMs: number,
    readonly code: number,
    readonly output: string | undefined,
    readonly ignoreSigterm: boolean,
    readonly oom: boolean,
    /** Its health check passes for this long after its start, then fails. */
    readonly healthyMs: number
  ) {
    this.health = spec.healthCheck === undefined ? undefined : new HealthTracker(spec.healthCheck)
  }

  /** What a dependsOn condition on it sees. */
  view(): DependencyView {
    return { started: this.started, exitCode: this.done ? this.exitCode : undefined, health: this.health?.status }
  }
}

class SimSandbox {
  state = STARTING
  startedAt = 0
  pendingStop: StopOptions | undefined = undefined
  stopped = false
  escalated = false
  /** The essential container whose exit ended it. */
  decider: SimContainer | undefined = undefined
  alive: number
  /** Outputs still being written (or its storage being removed): the exit is reported once they are done. */
  writes = 0
  /** An ephemeral sandbox's workDirs have been removed. */
  storageRemoved = false
  dependencyFailure: DependencyFailure | undefined = undefined
  /** Why it cannot start, found when it was asked for (reported from the start microtask). */
  failure: RunnerError | undefined = undefined

  constructor(readonly spec: SandboxSpec, readonly listener: SandboxListener, readonly containers: SimContainer[]) {
    this.alive = containers.length
  }
}

function variableFault(index: number, name: string, message: string): RunnerError {
  return invalidSpec(`containers[${index}].env.${name}`, message)
}

function flag(env: Readonly<Record<string, string>>, name: string, index: number): boolean | RunnerError {
  const value = env[name]
  if (value === undefined || value === '0') return false
  if (value === '1') return true
  return variableFault(index, name, `must be 0 or 1, got ${JSON.stringify(value)}`)
}

/** A container's behaviour from its environment, or the fault of its first bad variable. */
function simContainer(spec: ContainerSpec, index: number): SimContainer | RunnerError {
  const env = spec.env
  const secondsText = env.STRATUS_SIM_SECONDS
  const seconds = secondsText === undefined ? 0 : secondsText.trim() === '' ? NaN : Number(secondsText)
  if (!Number.isFinite(seconds) || seconds < 0) {
    return variableFault(index, 'STRATUS_SIM_SECONDS', `must be a non-negative number of seconds, got ${JSON.stringify(secondsText)}`)
  }
  const exitText = env.STRATUS_SIM_EXIT
  const code = exitText === undefined ? 0 : exitText.trim() === '' ? NaN : Number(exitText)
  if (!Number.isInteger(code) || code < 0 || code > 255) {
    return variableFault(index, 'STRATUS_SIM_EXIT', `must be an exit code from 0 to 255, got ${JSON.stringify(exitText)}`)
  }
  const ignoreSigterm = flag(env, 'STRATUS_SIM_IGNORE_SIGTERM', index)
  if (typeof ignoreSigterm !== 'boolean') return ignoreSigterm
  const oom = flag(env, 'STRATUS_SIM_OOM', index)
  if (typeof oom !== 'boolean') return oom
  const healthyText = env.STRATUS_SIM_HEALTHY_SECONDS
  const healthy = healthyText === undefined ? Infinity : healthyText.trim() === '' ? NaN : Number(healthyText)
  if (Number.isNaN(healthy) || healthy < 0) {
    return variableFault(index, 'STRATUS_SIM_HEALTHY_SECONDS', `must be a non-negative number of seconds, got ${JSON.stringify(healthyText)}`)
  }
  const fail = env.STRATUS_SIM_FAIL
  if (fail !== undefined) {
    if (fail === '') return variableFault(index, 'STRATUS_SIM_FAIL', 'must be the message of the start failure, got ""')
    return startFailed(fail, undefined, `containers[${index}]`)
  }
  return new SimContainer(spec, spec.essential !== false, seconds * 1000, code, env.STRATUS_SIM_OUTPUT, ignoreSigterm, oom, healthy * 1000)
}

async function* noLines(): AsyncGenerator<string> {}

export class SimulatedRunner implements Runner {
  readonly kind = 'simulated'
  readonly capabilities: RunnerCapabilities = {
    memoryLimits: 'enforced', multiContainer: true, ports: true, exec: false, images: true,
    healthChecks: true, dependsOn: true, stopTimeout: true, volumes: true, volumesFrom: true, dockerLabels: true,
    ephemeralStorage: true, containerReports: true
  }
  readonly #clock: Clock
  readonly #graceMs: number
  readonly #live = new Map<string, SimSandbox>()
  readonly #ports = new SimulatedPorts()
  /** Sandboxes started since the last microtask: one microtask runs them all. */
  #queue: SimSandbox[] = []
  #closed = false
  /** Outputs being written (a manual clock's advance() waits for them). */
  #writing = 0
  readonly #removeProbe: (() => void) | undefined

  constructor(clock: Clock, options: SimulatedRunnerOptions = {}) {
    this.#clock = clock
    this.#graceMs = options.graceMs ?? DEFAULT_STOP_GRACE_MS
    const manual = clock as { addBusyProbe?: (probe: () => boolean) => () => void }
    this.#removeProbe = manual.addBusyProbe?.(() => this.#writing > 0)
  }

  start(spec: SandboxSpec, listener: SandboxListener): void {
    if (this.#live.has(spec.id)) throw duplicateId(spec.id)
    const specs = spec.containers
    const containers: SimContainer[] = new Array(specs.length)
    let failure: RunnerError | undefined = this.#closed ? runnerClosed(this.kind) : undefined
    for (let i = 0; i < specs.length && failure === undefined; i++) {
      const c = simContainer(specs[i], i)
      if (c instanceof SimContainer) containers[i] = c
      else failure = c
    }
    const sandbox = new SimSandbox(spec, listener, containers)
    sandbox.failure = failure
    if (!this.#closed) this.#live.set(spec.id, sandbox)
    if (this.#queue.push(sandbox) === 1) queueMicrotask(this.#drain)
  }

  readonly #drain = (): void => {
    const queue = this.#queue
    let i = 0
    try {
      // Starts made by listeners meanwhile join this same round.
      for (; i < queue.length; i++) this.#begin(queue[i])
    } finally {
      if (i + 1 < queue.length) {
        queue.splice(0, i + 1) // a listener threw: the rest still start, in a later microtask
        queueMicrotask(this.#drain)
      } else {
        queue.length = 0
      }
    }
  }

  #begin(sandbox: SimSandbox): void {
    if (sandbox.state !== STARTING) return // close() came first and reported it
    const id = sandbox.spec.id
    if (sandbox.failure === undefined) {
      const busy = this.#ports.bind(sandbox.spec, sandbox.containers)
      if (busy !== undefined) sandbox.failure = busy
    }
    if (sandbox.failure !== undefined) {
      if (this.#live.get(id) === sandbox) this.#live.delete(id)
      sandbox.listener.failed(sandbox.failure)
      return
    }
    sandbox.state = RUNNING
    sandbox.startedAt = this.#clock.now()
    // running() once every container without dependsOn has started; the others start as their conditions hold.
    for (const c of sandbox.containers) if (c.spec.dependsOn === undefined || c.spec.dependsOn.length === 0) this.#launch(sandbox, c)
    sandbox.listener.running(this.#info(sandbox))
    if (sandbox.pendingStop !== undefined) {
      const options = sandbox.pendingStop
      sandbox.pendingStop = undefined
      this.#stop(sandbox, options)
    }
    for (const c of sandbox.containers) if (c.started && c.durationMs === 0 && !c.done) this.#due(sandbox, c)
    this.#evaluate(sandbox)
  }

  /** Starts a container: its output, its duration, its health probes. */
  #launch(sandbox: SimSandbox, c: SimContainer): void {
    c.started = true
    c.startedAt = this.#clock.now()
    if (c.output !== undefined) void this.#write(sandbox, c, c.output)
    if (c.durationMs > 0) c.timer = this.#clock.setTimeout(() => this.#due(sandbox, c), c.durationMs)
    if (c.health !== undefined) c.healthTimer = this.#clock.setTimeout(() => this.#probe(sandbox, c), c.health.intervalMs)
  }

  /** A health probe, every interval from its start (Docker's first one comes after one interval). */
  #probe(sandbox: SimSandbox, c: SimContainer): void {
    c.healthTimer = undefined
    if (c.done || sandbox.state !== RUNNING) return
    const since = this.#clock.now() - c.startedAt
    c.healthTimer = this.#clock.setTimeout(() => this.#probe(sandbox, c), c.health!.intervalMs)
    if (c.health!.record(since < c.healthyMs, since)) {
      this.#changed(sandbox)
      this.#evaluate(sandbox)
    }
  }

  /** Starts the waiting containers whose conditions hold; ends the sandbox when one can no longer hold. */
  #evaluate(sandbox: SimSandbox): void {
    const containers = sandbox.containers
    for (let i = 0; i < containers.length; i++) {
      if (sandbox.state !== RUNNING) return
      const c = containers[i]
      if (c.started || c.done) continue
      const verdict = dependencyVerdict(c.spec, (name) => containers.find((o) => o.spec.name === name)!.view())
      if (verdict === 'wait') continue
      if (verdict !== 'start') {
        sandbox.state = ENDING
        sandbox.dependencyFailure = verdict
        this.#signal(sandbox, 'SIGTERM', undefined)
        return
      }
      this.#launch(sandbox, c)
      this.#changed(sandbox)
      if (c.durationMs === 0 && !c.done && !c.writing) this.#due(sandbox, c)
      i = -1 // what it did may let another start
    }
  }

  /** Tells a listener that wants it (SandboxListener.changed) how the sandbox is now. */
  #changed(sandbox: SimSandbox): void {
    const listener = sandbox.listener
    if (listener.changed !== undefined && sandbox.state === RUNNING) listener.changed(this.#info(sandbox))
  }

  async #write(sandbox: SimSandbox, c: SimContainer, output: string): Promise<void> {
    c.writing = true
    sandbox.writes++
    this.#writing++
    try {
      await mkdir(dirname(c.spec.logPath), { recursive: true })
      await appendFile(c.spec.logPath, output.endsWith('\n') ? output : `${output}\n`)
    } catch {
      // A log that cannot be written loses the output, as a full disk would; the container still runs.
    } finally {
      this.#writing--
      sandbox.writes--
      c.writing = false
      if (c.timeUp && !c.done) this.#endByItself(sandbox, c)
      this.#reportIfOver(sandbox)
    }
  }

  /** Its time is up (it ends once its output is written). */
  #due(sandbox: SimSandbox, c: SimContainer): void {
    c.timer = undefined
    c.timeUp = true
    if (!c.writing && !c.done) this.#endByItself(sandbox, c)
  }

  #endByItself(sandbox: SimSandbox, c: SimContainer): void {
    if (c.oom) this.#ended(sandbox, c, null, 'SIGKILL', true)
    else this.#ended(sandbox, c, c.code, null, false)
  }

  #ended(sandbox: SimSandbox, c: SimContainer, exitCode: number | null, signal: NodeJS.Signals | null, oomKilled: boolean): void {
    if (c.done) return
    c.done = true
    c.exitCode = exitCode
    c.signal = signal
    c.oomKilled = oomKilled
    for (const timer of [c.timer, c.healthTimer, c.killTimer]) if (timer !== undefined) this.#clock.clearTimeout(timer)
    c.timer = c.healthTimer = c.killTimer = undefined
    sandbox.alive--
    if (sandbox.state === RUNNING) {
      if (c.essential) {
        // An essential container exited by itself: the sandbox ends, and the others are stopped.
        sandbox.state = ENDING
        sandbox.decider = c
        this.#signal(sandbox, 'SIGTERM', undefined)
      } else {
        this.#changed(sandbox)
        this.#evaluate(sandbox)
      }
    }
    this.#reportIfOver(sandbox)
  }

  /**
   * Sends a signal to every container still alive; those that ignore it get SIGKILL after
   * graceMs (absent: each its own stopTimeoutSeconds, or the runner's grace). Those still
   * waiting on their dependsOn are never started.
   */
  #signal(sandbox: SimSandbox, signal: NodeJS.Signals, graceMs: number | undefined): void {
    for (const c of sandbox.containers) {
      if (c.done) continue
      if (!c.started) {
        c.notStarted = true
        this.#ended(sandbox, c, null, null, false)
      } else if (signal === 'SIGTERM' && c.ignoreSigterm) {
        const grace = graceMs ?? (c.spec.stopTimeoutSeconds !== undefined ? c.spec.stopTimeoutSeconds * 1000 : this.#graceMs)
        c.killTimer ??= this.#clock.setTimeout(() => this.#escalate(sandbox, c), grace)
      } else {
        this.#ended(sandbox, c, null, signal, false)
      }
    }
  }

  #escalate(sandbox: SimSandbox, c: SimContainer): void {
    c.killTimer = undefined
    if (c.done) return
    sandbox.escalated = true
    this.#ended(sandbox, c, null, 'SIGKILL', false)
  }

  #reportIfOver(sandbox: SimSandbox): void {
    if (sandbox.alive > 0 || sandbox.writes > 0 || sandbox.state !== ENDING) return
    if (sandbox.spec.ephemeralStorage === true && !sandbox.storageRemoved) {
      void this.#removeStorage(sandbox)
      return
    }
    sandbox.state = REPORTED
    if (this.#live.get(sandbox.spec.id) === sandbox) this.#live.delete(sandbox.spec.id)
    this.#ports.release(sandbox.containers)
    const containers = sandbox.containers
    const exits: ContainerExit[] = new Array(containers.length)
    for (let i = 0; i < containers.length; i++) {
      const c = containers[i]
      exits[i] = { name: c.spec.name, exitCode: c.exitCode, signal: c.signal, oomKilled: c.oomKilled }
      if (c.notStarted) exits[i].notStarted = true
    }
    const decider = sandbox.decider ?? containers.find((c) => c.essential)!
    const exit: SandboxExit = {
      exitCode: decider.exitCode, signal: decider.signal, oomKilled: decider.oomKilled,
      containers: exits, stopped: sandbox.stopped, escalated: sandbox.escalated, stoppedAt: this.#clock.now()
    }
    if (sandbox.dependencyFailure !== undefined) {
      exit.dependencyFailure = sandbox.dependencyFailure
      exit.reason = dependencyReason(sandbox.dependencyFailure)
    }
    sandbox.listener.exited(exit)
  }

  /** An ephemeral sandbox's storage (its containers' workDirs) goes before its exit is reported. */
  async #removeStorage(sandbox: SimSandbox): Promise<void> {
    sandbox.writes++
    this.#writing++
    try {
      await Promise.all(sandbox.spec.containers.map((c) => rm(c.workDir, { recursive: true, force: true }).catch(() => {})))
    } finally {
      this.#writing--
      sandbox.writes--
      sandbox.storageRemoved = true
      this.#reportIfOver(sandbox)
    }
  }

  #stop(sandbox: SimSandbox, options: StopOptions): void {
    if (sandbox.state === RUNNING) {
      sandbox.state = ENDING
      sandbox.stopped = true
    }
    this.#signal(sandbox, options.signal ?? 'SIGTERM', options.graceMs)
  }

  stop(id: string, options: StopOptions = {}): boolean {
    const sandbox = this.#live.get(id)
    if (sandbox === undefined) return false
    if (sandbox.state === STARTING) {
      sandbox.pendingStop = options // applied once it runs (the latest request wins)
      return true
    }
    // Never from inside stop(): the caller may be half-way through its own bookkeeping.
    queueMicrotask(() => {
      if (sandbox.state === RUNNING || sandbox.state === ENDING) this.#stop(sandbox, options)
    })
    return true
  }

  #info(sandbox: SimSandbox): SandboxInfo {
    const { spec } = sandbox
    const containers: ContainerState[] = new Array(spec.containers.length)
    for (let i = 0; i < spec.containers.length; i++) {
      // Absent in a sandbox that failed to parse (it is only ever seen starting).
      const c: SimContainer | undefined = sandbox.containers[i]
      if (sandbox.state === STARTING || c === undefined) {
        containers[i] = { name: spec.containers[i].name, state: 'starting' }
        if (c?.health !== undefined) containers[i].health = 'UNKNOWN'
        continue
      }
      const state: ContainerState = { name: spec.containers[i].name, state: c.done ? 'exited' : c.started ? 'running' : 'starting' }
      if (c.done) state.exitCode = c.exitCode
      if (c.health !== undefined) state.health = c.health.status
      if (c.bindings !== undefined) state.networkBindings = c.bindings.slice()
      containers[i] = state
    }
    const info: SandboxInfo = { id: spec.id, labels: spec.labels, state: sandbox.state === STARTING ? 'starting' : 'running', containers }
    if (sandbox.state !== STARTING) info.startedAt = sandbox.startedAt
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
    const container = options.container === undefined ? sandbox.spec.containers[0] : sandbox.spec.containers.find((c) => c.name === options.container)
    if (container === undefined) {
      throw invalidArgument('container', `sandbox ${JSON.stringify(id)} has no container ${JSON.stringify(options.container)}`)
    }
    return fileLines(container.logPath, options.follow ? { follow: () => this.#live.get(id) === sandbox } : {})
  }

  exec(): Promise<ExecResult> {
    return Promise.reject(execUnsupported(this.kind))
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true
      this.#removeProbe?.()
      for (const sandbox of [...this.#live.values()]) {
        if (sandbox.state === STARTING) {
          this.#live.delete(sandbox.spec.id)
          sandbox.state = REPORTED
          sandbox.listener.failed(sandbox.failure ?? runnerClosed(this.kind))
          continue
        }
        if (sandbox.state === RUNNING) {
          sandbox.state = ENDING
          sandbox.stopped = true
        }
        this.#signal(sandbox, 'SIGKILL', 0)
      }
    }
    // Exits wait for outputs still being written.
    while (this.#writing > 0) await new Promise((resolve) => setImmediate(resolve))
  }
}
