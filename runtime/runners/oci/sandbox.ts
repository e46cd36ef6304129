// The OCI runner's in-memory picture of a sandbox and its containers (the
// runner drives them: runner.ts), and what it reports from them: SandboxInfo
// and SandboxExit. A sandbox is either started by this runner (it has a
// listener from start()) or recovered from a SandboxRecord a previous runner
// of the same engine left (no listener until attach()).
import type { ChildProcess } from 'node:child_process'
import type { FileHandle } from 'node:fs/promises'
import { constants } from 'node:os'
import type {
  ContainerExit, ContainerSpec, ContainerState, SandboxExit, SandboxInfo, SandboxListener, SandboxSpec, StopOptions
} from '../runner.js'
import type { PublishedPort } from './port-forward.js'
import type { ContainerRecord, SandboxRecord, ShimEvents } from './state.js'

export class OciContainer {
  state: 'starting' | 'running' | 'exited' = 'starting'
  events: ShimEvents = {}
  shim: ChildProcess | undefined = undefined
  exit: ContainerExit | undefined = undefined
  /** Started by the runtime (so there is something to delete). */
  created = false

  constructor(readonly spec: Pick<ContainerSpec, 'name' | 'essential' | 'logPath' | 'portMappings' | 'stopTimeoutSeconds'>, readonly record: ContainerRecord) {}

  get essential(): boolean {
    return this.spec.essential !== false
  }
}

export class OciSandbox {
  /** 'failed': the start failed and is being undone. */
  state: 'starting' | 'running' | 'exited' | 'failed' = 'starting'
  startedAt: number | undefined = undefined
  pullStartedAt: number | undefined = undefined
  pullStoppedAt: number | undefined = undefined
  pendingStop: StopOptions | undefined = undefined
  stopped = false
  escalated = false
  /** The essential containers are being stopped (an essential one ended, or stop()). */
  ending = false
  /** The essential container whose own exit ended the sandbox. */
  decider: OciContainer | undefined = undefined
  /** SIGKILL after the grace: one timer per distinct grace (each container's own stopTimeoutSeconds). */
  killTimers: NodeJS.Timeout[] = []
  ports: PublishedPort[] = []
  /** The sandbox's network namespace (netns.ts), held until its teardown: containers and forwarder join it through this fd. */
  netns: FileHandle | undefined = undefined
  /** Containers whose end was heard while the sandbox was starting: handled once running() was reported. */
  readonly endedWhileStarting: OciContainer[] = []
  /** A recovered sandbox that ended before anyone attached: its exit, kept for attach(). */
  unclaimedExit: SandboxExit | undefined = undefined
  /** Settles once the sandbox is gone (its exit or failure reported, or kept for attach()). */
  readonly done: Promise<void>
  #resolveDone!: () => void

  constructor(
    readonly spec: Pick<SandboxSpec, 'id' | 'labels' | 'address'> & { networkMode: NonNullable<SandboxSpec['networkMode']> },
    readonly containers: OciContainer[],
    public listener: SandboxListener | undefined,
    readonly recovered: boolean,
    readonly record: SandboxRecord
  ) {
    this.done = new Promise((resolve) => (this.#resolveDone = resolve))
  }

  markDone(): void {
    this.#resolveDone()
  }

  running(): OciContainer[] {
    return this.containers.filter((c) => c.state === 'running')
  }
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]))

const SIGKILL = constants.signals.SIGKILL

/**
 * A container's exit from what its shim said, and `oomKills`, the OOM kills in its memory
 * cgroup (0 when it was made). The exit is always the program's own. OOM-killed only when
 * the count rose and the program died of SIGKILL, or exited 137 (128 + SIGKILL: how a shell
 * reports the SIGKILL of its last command, as in `sh -c 'hog | tail'`; Docker calls that an
 * OOM kill too). The kernel kills the cgroup's biggest process, which may be a child the
 * program survives: a program that then exits as it will (0, say) is no OOM kill.
 * An end the shim could not see (`lost`) is reported as a SIGKILL, an OOM kill when the count rose.
 */
export function containerExit(name: string, events: ShimEvents, oomKills: number): ContainerExit {
  const ended = events.ended
  if (ended === undefined || ended === 'lost') return { name, exitCode: null, signal: 'SIGKILL', oomKilled: oomKills > 0 }
  if ('code' in ended) return { name, exitCode: ended.code, signal: null, oomKilled: ended.code === 128 + SIGKILL && oomKills > 0 }
  return { name, exitCode: null, signal: SIGNAL_NAMES.get(ended.signal) ?? 'SIGKILL', oomKilled: ended.signal === SIGKILL && oomKills > 0 }
}

export function sandboxExit(s: OciSandbox, stoppedAt: number): SandboxExit {
  const exits = s.containers.map((c) => c.exit ?? { name: c.spec.name, exitCode: null, signal: 'SIGKILL' as NodeJS.Signals, oomKilled: false })
  const decider = s.decider ?? s.containers.find((c) => c.essential) ?? s.containers[0]
  const deciding = exits[s.containers.indexOf(decider)]
  return {
    exitCode: deciding.exitCode, signal: deciding.signal, oomKilled: deciding.oomKilled,
    containers: exits, stopped: s.stopped, escalated: s.escalated, stoppedAt
  }
}

export function sandboxInfo(s: OciSandbox): SandboxInfo {
  const state = s.state === 'failed' ? 'starting' : s.state
  const info: SandboxInfo = {
    id: s.spec.id, labels: s.spec.labels, state,
    containers: s.containers.map((c) => {
      const out: ContainerState = { name: c.spec.name, state: c.state, runtimeId: c.record.runtimeId }
      if (c.record.pid !== undefined && c.state !== 'starting') out.pid = c.record.pid
      if (c.exit !== undefined) out.exitCode = c.exit.exitCode
      if (c.record.imageDigest !== undefined) out.imageDigest = c.record.imageDigest
      const mine = new Set((c.spec.portMappings ?? []).map((m) => m.containerPort))
      const bindings = s.record.bindings.filter((b) => mine.has(b.containerPort))
      if (bindings.length > 0 && state !== 'starting') out.networkBindings = bindings
      return out
    })
  }
  if (s.startedAt !== undefined) info.startedAt = s.startedAt
  if (s.spec.address !== undefined) info.address = s.spec.address
  if (s.pullStartedAt !== undefined) info.pullStartedAt = s.pullStartedAt
  if (s.pullStoppedAt !== undefined) info.pullStoppedAt = s.pullStoppedAt
  if (s.recovered) info.recovered = true
  return info
}
