// The OCI runner: sandboxes of containers run by runc (or crun) from bundles
// it prepares itself, images from the built-in registry's store. See README.md
// for the picture; this file is the Runner contract (runner.ts one level up):
// start → pull → bundles → shims → running → exits → teardown → exited.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileLines } from '../../logs/file-lines.js'
import { duplicateId, invalidArgument, runnerClosed, startFailed, RunnerError } from '../errors.js'
import type { ImageSource } from '../images.js'
import { listMatching } from '../labels.js'
import {
  DEFAULT_STOP_GRACE_MS, type ExecOptions, type ExecResult, type ExecSession, type Runner, type RunnerCapabilities,
  type SandboxInfo, type SandboxListener, type SandboxSpec, type StopOptions
} from '../runner.js'
import { ociBinaries, type OciBinaries } from './binaries.js'
import { bundleDir, prepareRawBundle, removeBundle, type BundleContext } from './bundle.js'
import { preflight, startContainer, type StartContext } from './container-start.js'
import { memoryCgroups, oomKills, removeCgroupParent, type MemoryCgroups } from './cgroups.js'
import { execCollect, execInteractive } from './exec.js'
import { ImageStore } from './image-store.js'
import { newNetworkNamespace } from './netns.js'
import { boundingCapabilities } from './oci-config.js'
import { publishSandbox, unpublish } from './port-forward.js'
import { probeOverlay, type RootfsMode } from './rootfs.js'
import { OciRuntime, ShimServer, type RuntimeName } from './runtime.js'
import { containerExit, OciContainer, OciSandbox, sandboxExit, sandboxInfo } from './sandbox.js'
import { enginePrefix, sandboxKey, SandboxStore, type SandboxRecord } from './state.js'
import { EventsWatcher, recoverSandboxes } from './recovery.js'
import type { UnpackLimits } from './unpack.js'

export interface OciRunnerOptions {
  /** The engine's clock (startedAt, stoppedAt, pull times). */
  now: () => number
  /** Container ids and the state dir's records carry it: a runner of the same engine finds them after a restart. */
  engineId: string
  /** The built-in registry (images). Without it every image fails to pull. */
  images?: ImageSource
  /** Layer cache, bundles, records, the runtime's root. */
  stateDir: string
  /** Default: runc when installed, else crun. */
  runtime?: RuntimeName
  allowPrivileged?: boolean
  /** SIGTERM → SIGKILL grace (default 10 s). */
  graceMs?: number
  /** Default: overlay when the kernel allows it (probed at create), else copy. */
  rootfs?: RootfsMode
  unpackLimits?: UnpackLimits
}

export class OciRunner implements Runner {
  readonly kind = 'oci'
  readonly capabilities: RunnerCapabilities
  readonly runtime: OciRuntime
  readonly images: ImageStore
  readonly rootfsMode: RootfsMode
  /** Why overlay is not used, when it is not. */
  readonly rootfsReason: string | undefined
  readonly #options: OciRunnerOptions
  readonly #binaries: OciBinaries
  readonly #memory: MemoryCgroups | undefined
  readonly #store: SandboxStore
  readonly #bundle: BundleContext
  readonly #prefix: string
  readonly #graceMs: number
  readonly #live = new Map<string, OciSandbox>()
  readonly #watcher = new EventsWatcher((s, c) => this.#containerEnded(s, c))
  #server: ShimServer | undefined
  #closing = false

  private constructor(options: OciRunnerOptions, parts: {
    runtime: OciRuntime; binaries: OciBinaries; memory: MemoryCgroups | undefined; mode: RootfsMode; reason?: string; images: ImageStore
    bounding: readonly string[]
  }) {
    this.#options = options
    this.runtime = parts.runtime
    this.#binaries = parts.binaries
    this.#memory = parts.memory
    this.rootfsMode = parts.mode
    this.rootfsReason = parts.reason
    this.images = parts.images
    this.#store = new SandboxStore(options.stateDir)
    this.#prefix = enginePrefix(options.engineId)
    this.#graceMs = options.graceMs ?? DEFAULT_STOP_GRACE_MS
    this.#bundle = {
      stateDir: options.stateDir, mode: parts.mode, init: parts.binaries.init,
      cgroupParent: `stratus-oci-${this.#prefix.slice(8, 16)}`, swapAccounting: parts.memory?.swapAccounting ?? false, bounding: parts.bounding, linked: new Set()
    }
    this.capabilities = {
      memoryLimits: parts.memory === undefined ? 'not-enforced' : 'enforced',
      multiContainer: true, ports: true, exec: true, images: true,
      privileged: options.allowPrivileged === true,
      networkModes: ['awsvpc', 'host', 'none'],
      stopTimeout: true, ephemeralStorage: true, containerReports: true
    }
  }

  static async create(options: OciRunnerOptions): Promise<OciRunner> {
    const stateDir = options.stateDir
    if (/[,:]/.test(stateDir)) throw new RunnerError('RunnerInvalidArgument', `stateDir: must not contain ',' or ':' (overlay options), got ${JSON.stringify(stateDir)}`, { field: 'stateDir' })
    await mkdir(stateDir, { recursive: true })
    const [binaries, runtime, memory] = await Promise.all([
      ociBinaries(stateDir), OciRuntime.find(join(stateDir, 'runtime'), options.runtime), memoryCgroups()
    ])
    let mode: RootfsMode = options.rootfs ?? 'overlay'
    let reason: string | undefined
    if (mode === 'overlay') {
      const probe = await probeOverlay(stateDir, binaries.overlayMarks)
      mode = probe.mode
      reason = probe.reason
    }
    const images = new ImageStore({
      source: options.images, dir: join(stateDir, 'layers', mode), limits: options.unpackLimits,
      overlayMarks: mode === 'overlay' ? binaries.overlayMarks : undefined
    })
    await images.open()
    const bounding = boundingCapabilities(await readFile('/proc/self/status', 'utf8'))
    const runner = new OciRunner(options, { runtime, binaries, memory, mode, reason, images, bounding })
    await runner.#store.open()
    await recoverSandboxes({
      store: runner.#store, runtime, prefix: runner.#prefix, stateDir, watcher: runner.#watcher,
      adopt: (s) => runner.#live.set(s.spec.id, s),
      ended: (s, c) => runner.#containerEnded(s, c),
      settle: (s) => runner.#settle(s)
    })
    return runner
  }

  /** The shim server, started again should it have died (its shims live on: their containers are watched by file then). */
  get #shims(): ShimServer {
    this.#server ??= new ShimServer(this.#binaries.shim, () => { this.#server = undefined })
    return this.#server
  }

  /** What starting a container needs of the runner. */
  get #starting(): StartContext {
    return {
      bundle: this.#bundle, runtime: this.runtime, shims: this.#shims, memory: this.#memory,
      checkOpen: () => this.#checkOpen(),
      ended: (s, c) => void this.#containerEnded(s, c),
      watch: (s, c) => this.#watcher.watch(s, c)
    }
  }

  // --- start ---------------------------------------------------------------------------

  start(spec: SandboxSpec, listener: SandboxListener): void {
    if (this.#live.has(spec.id)) throw duplicateId(spec.id)
    if (this.#closing) {
      queueMicrotask(() => listener.failed(runnerClosed(this.kind)))
      return
    }
    const key = sandboxKey(spec.id)
    const record: SandboxRecord = {
      version: 1, id: spec.id, labels: { ...spec.labels }, address: spec.address, networkMode: spec.networkMode ?? 'awsvpc',
      state: 'starting', bindings: [],
      ...(spec.ephemeralStorage === true ? { ephemeralStorage: true } : {}),
      containers: spec.containers.map((c, i) => ({
        name: c.name, essential: c.essential !== false, runtimeId: `${this.#prefix}${key}-${i}`,
        bundle: bundleDir(this.#options.stateDir, `${this.#prefix}${key}-${i}`), logPath: c.logPath,
        containerPorts: (c.portMappings ?? []).map((m) => m.containerPort),
        ...(c.stopTimeoutSeconds !== undefined ? { stopTimeoutSeconds: c.stopTimeoutSeconds } : {}),
        ...(spec.ephemeralStorage === true ? { workDir: c.workDir } : {})
      }))
    }
    const containers = spec.containers.map((c, i) => new OciContainer(c, record.containers[i]))
    const sandbox = new OciSandbox({ ...spec, networkMode: record.networkMode }, containers, listener, false, record)
    this.#live.set(spec.id, sandbox)
    void this.#launch(sandbox, spec)
  }

  async #launch(s: OciSandbox, spec: SandboxSpec): Promise<void> {
    const now = this.#options.now
    try {
      if (spec.containers.some((c) => c.privileged) && this.#options.allowPrivileged !== true) {
        throw new RunnerError('RunnerUnsupported', 'privileged: the oci runner was not created allowing privileged containers', { field: 'privileged' })
      }
      preflight(spec)
      s.pullStartedAt = now()
      const pulled = await Promise.all(spec.containers.map((c) => this.images.pull(c.image!)))
      s.pullStoppedAt = now()
      pulled.forEach((p, i) => { s.record.containers[i].imageDigest = p.image.digest })
      await Promise.all(spec.containers.map(async (c) => {
        await mkdir(dirname(c.logPath), { recursive: true })
        await mkdir(c.workDir, { recursive: true })
      }))
      const host = s.spec.networkMode === 'host'
      const ports = spec.containers.flatMap((c) => c.portMappings ?? [])
      let network: string = host ? 'host' : 'new'
      if (!host && (spec.containers.length > 1 || ports.length > 0)) {
        // Shared: a namespace of the sandbox's own, held by this process (netns.ts), whatever its containers do.
        s.netns = await newNetworkNamespace(this.#binaries.shim)
        network = `/proc/${process.pid}/fd/${s.netns.fd}`
      }
      this.#checkOpen()
      await this.#store.write(s.record)
      // The first container first (the others start once it runs, as they always have), then the rest together:
      // every start settles before a failure is handled, so the teardown meets no container still being made.
      await startContainer(this.#starting, s, 0, spec, pulled[0], network)
      const rest = await Promise.allSettled(spec.containers.slice(1).map((_, i) => startContainer(this.#starting, s, i + 1, spec, pulled[i + 1], network)))
      const failure = rest.find((r) => r.status === 'rejected')
      if (failure !== undefined) throw (failure as PromiseRejectedResult).reason
      if (ports.length > 0 && !host) await publishSandbox(s, spec, network, this.#options.stateDir)
      // host: the container's ports are the host's own (ECS: hostPort is containerPort).
      if (host) s.record.bindings = ports.map((m) => ({ bindIP: '0.0.0.0', containerPort: m.containerPort, hostPort: m.containerPort, protocol: m.protocol ?? 'tcp' }))
      const startedAt = now()
      s.record.state = 'running'
      s.record.startedAt = startedAt
      s.record.pullStartedAt = s.pullStartedAt
      s.record.pullStoppedAt = s.pullStoppedAt
      await this.#store.write(s.record)
      this.#checkOpen()
      // From here to running() nothing is awaited: no exit is handled (nor reported) in between.
      s.state = 'running'
      s.startedAt = startedAt
    } catch (error) {
      s.state = 'failed'
      await this.#teardown(s)
      this.#forget(s)
      s.markDone()
      s.listener!.failed(this.#startError(error))
      return
    }
    if (this.#closing) s.pendingStop = { signal: 'SIGKILL' }
    if (s.pendingStop !== undefined) {
      const options = s.pendingStop
      s.pendingStop = undefined
      this.#signal(s, options.signal ?? 'SIGTERM', options.graceMs)
    }
    s.listener!.running(sandboxInfo(s))
    for (const c of s.endedWhileStarting.splice(0)) void this.#containerEnded(s, c)
    this.#settle(s)
  }

  #checkOpen(): void {
    if (this.#closing) throw new RunnerError('RunnerClosed', `the ${this.kind} runner closed before the sandbox started`)
  }

  #startError(error: unknown): RunnerError {
    if (error instanceof RunnerError) return error
    if (this.#closing) return new RunnerError('RunnerClosed', `the ${this.kind} runner closed before the sandbox started`, { cause: error })
    return startFailed(`the sandbox could not be started: ${(error as Error).message}`, error)
  }

  // --- exits ---------------------------------------------------------------------------

  async #containerEnded(s: OciSandbox, c: OciContainer): Promise<void> {
    if (c.state === 'exited' || s.state === 'failed') return
    // Heard once running() has been: its info shows the sandbox as it started, and the exits follow it.
    if (s.state === 'starting') {
      if (!s.endedWhileStarting.includes(c)) s.endedWhileStarting.push(c)
      return
    }
    // The shim read the count before deleting the container (and its cgroup); older records: read it here.
    const oom = c.events.oom ?? await oomKills(c.record.memoryCgroup, this.#memory?.version ?? 1)
    if ((c.state as OciContainer['state']) === 'exited') return
    c.exit = containerExit(c.spec.name, c.events, oom)
    c.state = 'exited'
    if (c.essential && !s.stopped && !s.ending && s.decider === undefined) s.decider = c
    // A non-essential container's exit while the sandbox lives: the listener that wants it hears it.
    if (!c.essential && !s.ending && s.state === 'running') s.listener?.changed?.(sandboxInfo(s))
    this.#settle(s)
  }

  /** After running(): an essential container's exit stops the others; the last exit ends the sandbox. */
  #settle(s: OciSandbox): void {
    if (s.state !== 'running') return
    if (!s.ending && s.containers.some((c) => c.essential && c.state === 'exited')) {
      s.ending = true
      if (s.running().length > 0) this.#signal(s, 'SIGTERM', undefined)
    }
    if (s.containers.every((c) => c.state === 'exited')) void this.#finish(s)
  }

  /**
   * Sends `signal` to every running container; SIGKILL to those still alive after the grace:
   * `graceMs`, or each container's own stopTimeoutSeconds, or the runner's.
   */
  #signal(s: OciSandbox, signal: NodeJS.Signals, graceMs: number | undefined): void {
    s.ending = true
    const running = s.running()
    for (const c of running) this.#kill(c, signal)
    for (const timer of s.killTimers) clearTimeout(timer)
    s.killTimers = []
    if (signal === 'SIGKILL') return
    const groups = new Map<number, OciContainer[]>()
    for (const c of running) {
      const grace = graceMs ?? (c.spec.stopTimeoutSeconds !== undefined ? c.spec.stopTimeoutSeconds * 1000 : this.#graceMs)
      const group = groups.get(grace)
      if (group === undefined) groups.set(grace, [c])
      else group.push(c)
    }
    for (const [grace, members] of groups) {
      s.killTimers.push(setTimeout(() => {
        const alive = s.running().filter((c) => members.includes(c))
        if (alive.length === 0) return
        s.escalated = true
        for (const c of alive) this.#kill(c, 'SIGKILL')
      }, grace))
    }
  }

  #kill(c: OciContainer, signal: NodeJS.Signals): void {
    if (c.events.ended !== undefined) return // its shim said it ended (its pid may be another process's by now)
    try {
      process.kill(c.record.pid!, signal)
    } catch {
      // already gone: its shim reports it
    }
  }

  async #finish(s: OciSandbox): Promise<void> {
    s.state = 'exited'
    for (const timer of s.killTimers) clearTimeout(timer)
    await this.#teardown(s)
    // A Fargate task's storage is its own: its workDirs go with it.
    if (s.record.ephemeralStorage === true) await Promise.all(s.record.containers.map((c) => c.workDir === undefined ? undefined : rm(c.workDir, { recursive: true, force: true }).catch(() => {})))
    const exit = sandboxExit(s, this.#options.now())
    // A recovered sandbox nobody attached to keeps its exit for attach(), unless it was stopped: then nobody wants it.
    if (s.listener === undefined && !s.stopped) {
      s.unclaimedExit = exit
      s.markDone()
      return
    }
    this.#forget(s)
    s.markDone()
    s.listener?.exited(exit)
  }

  /** Removes everything a sandbox made: ports, forwarder, containers, bundles, its record. */
  async #teardown(s: OciSandbox): Promise<void> {
    for (const timer of s.killTimers) clearTimeout(timer)
    await unpublish(s.ports)
    s.ports = []
    if (s.record.forwarder !== undefined) {
      try { process.kill(s.record.forwarder.pid, 'SIGKILL') } catch { /* gone */ }
      await rm(s.record.forwarder.socket, { force: true })
    }
    await s.netns?.close().catch(() => {})
    s.netns = undefined
    await Promise.all(s.containers.map(async (c) => {
      if (c.created && c.events.deleted !== true) await this.runtime.delete(c.record.runtimeId).catch(() => {})
      await removeBundle(c.record.bundle)
    }))
    await this.#store.remove(s.spec.id)
  }

  #forget(s: OciSandbox): void {
    if (this.#live.get(s.spec.id) === s) this.#live.delete(s.spec.id)
  }

  /**
   * For benchmarks (bench/containers.ts): a bundle of `image` running `command` in `dir`,
   * configured as this runner configures a container (init, limits, namespaces), with a
   * copied read-only rootfs that any number of containers can share, for a raw loop of
   * `<binary> --root <root> run -d --bundle <bundle> <id>` and `delete --force <id>`.
   */
  async prepareRawBundle(options: { image: string; command: readonly string[]; dir: string; memoryMiB?: number }): Promise<{ bundle: string; binary: string; root: string }> {
    await prepareRawBundle(this.#bundle, await this.images.pull(options.image), options)
    return { bundle: options.dir, binary: this.runtime.binary, root: this.runtime.root }
  }

  // --- the rest of the Runner interface -------------------------------------------------

  stop(id: string, options: StopOptions = {}): boolean {
    const s = this.#live.get(id)
    if (s !== undefined && s.unclaimedExit !== undefined && s.listener === undefined) {
      // A recovered sandbox that ended before anyone attached: stop() removes what is left of it, its exit.
      s.stopped = true
      this.#forget(s)
      return true
    }
    if (s === undefined || s.state === 'exited' || s.state === 'failed') return false
    s.stopped = true
    if (s.state === 'starting') {
      s.pendingStop = options
      return true
    }
    this.#signal(s, options.signal ?? 'SIGTERM', options.graceMs)
    return true
  }

  inspect(id: string): SandboxInfo | undefined {
    const s = this.#live.get(id)
    return s && sandboxInfo(s)
  }

  list(labels?: Readonly<Record<string, string>>): SandboxInfo[] {
    return listMatching(this.#live, labels, (s) => sandboxInfo(s))
  }

  logs(id: string, options: { container?: string; follow?: boolean } = {}): AsyncIterable<string> {
    const s = this.#live.get(id)
    if (s === undefined) return (async function* () {})()
    const c = options.container === undefined ? s.containers[0] : s.containers.find((x) => x.spec.name === options.container)
    if (c === undefined) throw invalidArgument('container', `sandbox ${JSON.stringify(id)} has no container ${JSON.stringify(options.container)}`)
    // Followed until the exit has been reported (the sandbox is forgotten right before its listener hears it).
    return fileLines(c.spec.logPath, options.follow ? { follow: () => this.#live.get(id) === s && s.unclaimedExit === undefined } : {})
  }

  #execTarget(id: string, container: string): OciContainer {
    const s = this.#live.get(id)
    if (s === undefined) throw invalidArgument('id', `no sandbox ${JSON.stringify(id)} is live`)
    const c = s.containers.find((x) => x.spec.name === container)
    if (c === undefined) throw invalidArgument('container', `sandbox ${JSON.stringify(id)} has no container ${JSON.stringify(container)}`)
    if (c.state !== 'running') throw invalidArgument('container', `container ${JSON.stringify(container)} is not running (${c.state})`)
    return c
  }

  async exec(id: string, container: string, command: readonly string[]): Promise<ExecResult> {
    const c = this.#execTarget(id, container)
    return execCollect(this.runtime, c.record.runtimeId, command)
  }

  async execStream(id: string, container: string, command: readonly string[], options: ExecOptions = {}): Promise<ExecSession> {
    const c = this.#execTarget(id, container)
    return execInteractive(this.runtime, this.#binaries, c.record.runtimeId, c.record.pid!, command, options)
  }

  attach(id: string, listener: SandboxListener): boolean {
    const s = this.#live.get(id)
    if (s === undefined || !s.recovered || s.listener !== undefined) return false
    s.listener = listener
    const exit = s.unclaimedExit
    if (exit !== undefined) {
      queueMicrotask(() => {
        this.#forget(s)
        listener.exited(exit)
      })
    }
    return true
  }

  async close(): Promise<void> {
    this.#closing = true
    const waiting: Promise<void>[] = []
    for (const s of this.#live.values()) {
      s.stopped = true
      if (s.state === 'running') this.#signal(s, 'SIGKILL', 0)
      waiting.push(s.done)
    }
    await Promise.all(waiting)
    this.#watcher.stop()
    this.#server?.close()
    this.#server = undefined
    for (const s of [...this.#live.values()]) if (s.unclaimedExit !== undefined) this.#forget(s)
    // Anything of this engine the runtime still has (a crash between create and record): gone too.
    for (const c of await this.runtime.list()) if (c.id.startsWith(this.#prefix)) await this.runtime.delete(c.id).catch(() => {})
    await removeCgroupParent(this.#bundle.cgroupParent)
    for (const dir of ['bundles', 'fwd']) {
      const path = join(this.#options.stateDir, dir)
      if ((await readdir(path).catch(() => [])).length === 0) await rm(path, { recursive: true, force: true })
    }
  }
}
