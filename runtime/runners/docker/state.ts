// What the docker runner knows of each sandbox and container it has in hand,
// and how an engine's exit status becomes a ContainerExit: the engine reports
// a container killed by signal N as exit code 128+N (so does docker-init), so
// such a code is read as that signal only when the runner sent it — a program
// that itself exits 143 keeps its code. The kernel's OOM kill (State.OOMKilled
// with 137) is SIGKILL with oomKilled, as the process runner reports it.
import { constants } from 'node:os'
import { dependencyReason, type DependencyView } from '../dependencies.js'
import type { ContainerExit, ContainerSpec, ContainerState, DependencyFailure, HealthStatus, NetworkBinding, SandboxExit, SandboxInfo, SandboxListener, SandboxSpec, StopOptions } from '../runner.js'
import type { EngineHost } from './hosts.js'
import type { LogPump } from './logs.js'

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals])
)

/** A docker sandbox's exit: a SandboxExit, and why its end is not known, when close() gave up on its engine. */
export interface DockerSandboxExit extends SandboxExit {
  /** The engine did not answer: the exits of containers still running there are unknown (no code, no signal). */
  lost?: string
}

export class DockerContainer {
  /** The engine's container id, once created. */
  id: string | undefined = undefined
  state: ContainerState['state'] = 'starting'
  imageDigest: string | undefined = undefined
  bindings: NetworkBinding[] | undefined = undefined
  /** Signals the runner sent it: an exit status of 128+N is read as signal N only for these. */
  readonly signals = new Set<NodeJS.Signals>()
  /** The runner sent SIGKILL after a grace period (an escalation, when it died of it). */
  escalatedKill = false
  exit: ContainerExit | undefined = undefined
  logs: LogPump | undefined = undefined
  /** Docker's health of it (a container with a healthCheck): UNKNOWN until the first result. */
  health: HealthStatus | undefined
  /** It has been started (one with dependsOn waits, created, until its conditions hold). */
  started = false
  /** Its start (after its dependsOn held) is under way. */
  launching = false
  /** SIGKILL after its own grace (stop, or an essential container's exit). */
  killTimer: NodeJS.Timeout | undefined = undefined
  /** A stop signal is on its way (signals.ts may hold it until the init takes it): its grace is armed once it is delivered. */
  terminating = false
  /** When this runner asked the engine to start it (performance.now()); undefined for a recovered one. */
  startRequestedAt: number | undefined = undefined
  /** Its init has been seen taking signals (signals.ts). */
  initReady = false

  constructor(readonly spec: ContainerSpec, readonly index: number) {
    this.health = spec.healthCheck === undefined ? undefined : 'UNKNOWN'
  }

  /** What a dependsOn condition on it sees. */
  view(): DependencyView {
    return { started: this.started, exitCode: this.exit === undefined ? undefined : this.exit.exitCode, health: this.health }
  }

  get essential(): boolean {
    return this.spec.essential !== false
  }

  /** Reads the engine's State.ExitCode and State.OOMKilled. */
  exitFrom(exitCode: number, oomKilled: boolean): ContainerExit {
    const name = this.spec.name
    if (oomKilled && exitCode === 137) return { name, exitCode: null, signal: 'SIGKILL', oomKilled: true }
    const signal = exitCode > 128 ? SIGNAL_NAMES.get(exitCode - 128) : undefined
    if (signal !== undefined && this.signals.has(signal)) return { name, exitCode: null, signal, oomKilled }
    return { name, exitCode, signal: null, oomKilled }
  }

  info(): ContainerState {
    const state: ContainerState = { name: this.spec.name, state: this.state }
    if (this.id !== undefined) state.runtimeId = this.id
    if (this.imageDigest !== undefined) state.imageDigest = this.imageDigest
    if (this.bindings !== undefined) state.networkBindings = this.bindings
    if (this.exit !== undefined) state.exitCode = this.exit.exitCode
    if (this.health !== undefined) state.health = this.health
    return state
  }
}

export class DockerSandbox {
  readonly containers: DockerContainer[]
  state: SandboxInfo['state'] = 'starting'
  /** The holder's container id (a multi-container awsvpc sandbox). */
  holderId: string | undefined = undefined
  /** Every container id created for it, the holder included: what is removed at its end. */
  readonly created: string[] = []
  /** The Docker names of its task-scoped volumes: removed at its end, after its containers. */
  readonly volumes: string[] = []
  startedAt: number | undefined = undefined
  pullStartedAt: number | undefined = undefined
  pullStoppedAt: number | undefined = undefined
  /** stop() before it ran: applied once it runs. */
  pendingStop: StopOptions | undefined = undefined
  stopped = false
  /** The essential container whose exit ended it. */
  decider: DockerContainer | undefined = undefined
  /** A dependsOn condition that could no longer hold ended it. */
  dependencyFailure: DependencyFailure | undefined = undefined
  /** Why it ended when no exit says (a container that could not be started after running()). */
  reason: string | undefined = undefined
  /** Every container has exited and its output is being drained into its log file. */
  finishing = false
  /** Every container has exited and its output is in its log file. */
  drained = false
  /** Being torn down (its end reported, or its start abandoned): late answers are ignored. */
  discarded = false
  readonly timers = new Set<NodeJS.Timeout>()
  /** Settled: nothing more is done for it. */
  gone = false
  #settle!: () => void
  /** Resolves once the sandbox is gone: reported and removed, or failed and cleaned up. */
  readonly settled = new Promise<void>((resolve) => (this.#settle = resolve))

  constructor(
    readonly spec: SandboxSpec,
    readonly host: EngineHost,
    public listener: SandboxListener | undefined,
    readonly recovered: boolean
  ) {
    this.containers = spec.containers.map((c, i) => new DockerContainer(c, i))
  }

  settle(): void {
    this.gone = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    this.#settle()
  }

  container(name: string | undefined): DockerContainer | undefined {
    return name === undefined ? this.containers[0] : this.containers.find((c) => c.spec.name === name)
  }

  /** Its end is decided: stop(), an essential container's exit, or a dependsOn condition that can no longer hold. */
  get ending(): boolean {
    return this.stopped || this.decider !== undefined || this.dependencyFailure !== undefined || this.reason !== undefined
  }

  /** Whether every container has exited (or was never created). */
  get allExited(): boolean {
    return this.containers.every((c) => c.exit !== undefined)
  }

  info(): SandboxInfo {
    const info: SandboxInfo = { id: this.spec.id, labels: this.spec.labels, state: this.state, containers: this.containers.map((c) => c.info()) }
    if (this.startedAt !== undefined) info.startedAt = this.startedAt
    if (this.spec.address !== undefined) info.address = this.spec.address
    if (this.pullStartedAt !== undefined) info.pullStartedAt = this.pullStartedAt
    if (this.pullStoppedAt !== undefined) info.pullStoppedAt = this.pullStoppedAt
    if (this.recovered) info.recovered = true
    return info
  }

  /** The sandbox's exit, once every container has exited. */
  exit(stoppedAt: number): SandboxExit {
    const exits = this.containers.map((c) => c.exit ?? { name: c.spec.name, exitCode: null, signal: null, oomKilled: false })
    const decider = this.decider ?? this.containers.find((c) => c.essential) ?? this.containers[0]
    // No container at all (nothing was created): no status of its own.
    const deciding = decider === undefined ? { exitCode: null, signal: null, oomKilled: false } : exits[decider.index]
    const escalated = this.containers.some((c) => c.escalatedKill && c.exit?.signal === 'SIGKILL' && !c.exit.oomKilled)
    const exit: SandboxExit = {
      exitCode: deciding.exitCode, signal: deciding.signal, oomKilled: deciding.oomKilled,
      containers: exits, stopped: this.stopped, escalated, stoppedAt
    }
    if (this.dependencyFailure !== undefined) {
      exit.dependencyFailure = this.dependencyFailure
      exit.reason = dependencyReason(this.dependencyFailure)
    } else if (this.reason !== undefined) {
      exit.reason = this.reason
    }
    return exit
  }
}
