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
import { appendFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Clock, TimerHandle } from '../clock/clock.js'
import { fileLines } from '../logs/file-lines.js'
import { duplicateId, execUnsupported, invalidArgument, invalidSpec, runnerClosed, startFailed, type RunnerError } from './errors.js'
import { listMatching } from './labels.js'
import { SimulatedPorts } from './simulated-ports.js'
import {
  DEFAULT_STOP_GRACE_MS, type ContainerExit, type ContainerSpec, type ContainerState, type ExecResult, type NetworkBinding,
  type Runner, type RunnerCapabilities, type SandboxInfo, type SandboxListener, type SandboxSpec, type StopOptions
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
    readonly oom: boolean
  ) {}
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
  /** Outputs still being written: the exit is reported once they are on disk. */
  writes = 0
  graceTimer: TimerHandle | undefined = undefined
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
  const fail = env.STRATUS_SIM_FAIL
  if (fail !== undefined) {
    if (fail === '') return variableFault(index, 'STRATUS_SIM_FAIL', 'must be the message of the start failure, got ""')
    return startFailed(fail, undefined, `containers[${index}]`)
  }
  return new SimContainer(spec, spec.essential !== false, seconds * 1000, code, env.STRATUS_SIM_OUTPUT, ignoreSigterm, oom)
}

async function* noLines(): AsyncGenerator<string> {}

export class SimulatedRunner implements Runner {
  readonly kind = 'simulated'
  readonly capabilities: RunnerCapabilities = {
    memoryLimits: 'enforced', multiContainer: true, ports: true, exec: false, images: true
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
    for (const c of sandbox.containers) {
      if (c.output !== undefined) void this.#write(sandbox, c, c.output)
      if (c.durationMs > 0) c.timer = this.#clock.setTimeout(() => this.#due(sandbox, c), c.durationMs)
    }
    sandbox.listener.running(this.#info(sandbox))
    if (sandbox.pendingStop !== undefined) {
      const options = sandbox.pendingStop
      sandbox.pendingStop = undefined
      this.#stop(sandbox, options)
    }
    for (const c of sandbox.containers) if (c.durationMs === 0 && !c.done) this.#due(sandbox, c)
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
    if (c.timer !== undefined) {
      this.#clock.clearTimeout(c.timer)
      c.timer = undefined
    }
    sandbox.alive--
    if (sandbox.state === RUNNING && c.essential) {
      // An essential container exited by itself: the sandbox ends, and the others are stopped.
      sandbox.state = ENDING
      sandbox.decider = c
      this.#signal(sandbox, 'SIGTERM', this.#graceMs)
    }
    this.#reportIfOver(sandbox)
  }

  /** Sends a signal to every container still alive; those that ignore it get SIGKILL after graceMs. */
  #signal(sandbox: SimSandbox, signal: NodeJS.Signals, graceMs: number): void {
    let stubborn = false
    for (const c of sandbox.containers) {
      if (c.done) continue
      if (signal === 'SIGTERM' && c.ignoreSigterm) stubborn = true
      else this.#ended(sandbox, c, null, signal, false)
    }
    if (stubborn && sandbox.graceTimer === undefined) {
      sandbox.graceTimer = this.#clock.setTimeout(() => this.#escalate(sandbox), graceMs)
    }
  }

  #escalate(sandbox: SimSandbox): void {
    sandbox.graceTimer = undefined
    if (sandbox.alive === 0) return
    sandbox.escalated = true
    for (const c of sandbox.containers) if (!c.done) this.#ended(sandbox, c, null, 'SIGKILL', false)
  }

  #reportIfOver(sandbox: SimSandbox): void {
    if (sandbox.alive > 0 || sandbox.writes > 0 || sandbox.state !== ENDING) return
    sandbox.state = REPORTED
    if (this.#live.get(sandbox.spec.id) === sandbox) this.#live.delete(sandbox.spec.id)
    if (sandbox.graceTimer !== undefined) this.#clock.clearTimeout(sandbox.graceTimer)
    this.#ports.release(sandbox.containers)
    const containers = sandbox.containers
    const exits: ContainerExit[] = new Array(containers.length)
    for (let i = 0; i < containers.length; i++) {
      const c = containers[i]
      exits[i] = { name: c.spec.name, exitCode: c.exitCode, signal: c.signal, oomKilled: c.oomKilled }
    }
    const decider = sandbox.decider ?? containers.find((c) => c.essential)!
    sandbox.listener.exited({
      exitCode: decider.exitCode, signal: decider.signal, oomKilled: decider.oomKilled,
      containers: exits, stopped: sandbox.stopped, escalated: sandbox.escalated, stoppedAt: this.#clock.now()
    })
  }

  #stop(sandbox: SimSandbox, options: StopOptions): void {
    if (sandbox.state === RUNNING) {
      sandbox.state = ENDING
      sandbox.stopped = true
    }
    this.#signal(sandbox, options.signal ?? 'SIGTERM', options.graceMs ?? this.#graceMs)
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
        continue
      }
      const state: ContainerState = { name: spec.containers[i].name, state: c.done ? 'exited' : 'running' }
      if (c.done) state.exitCode = c.exitCode
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
