// Runner v2: the one interface every runner implements (process, simulated;
// docker and oci next). A run is a *sandbox* of one or more containers, like
// CRI's pod sandbox: they share a network namespace and the sandbox's own
// 127.x address (handed out by the engine), each container has its own
// command, environment, limits and log, and the sandbox ends when an
// essential container exits (the others are then stopped).
//
// The engine speaks to a runner through a listener rather than a promise per
// sandbox, so a million simulated array children cost no more than their
// compact state. Every runner the engine uses is wrapped once by
// `instrument()` (instrumented.ts): validation with coded errors, and the
// diagnostics channels stratus:runner:start, :exit and :error.
//
// Contract, checked by tests/runtime/runners/conformance.ts for every runner:
//   - start() throws a RunnerError synchronously, and starts nothing, only for
//     a spec the wrapper refuses (RunnerInvalidSpec, RunnerUnsupported) or an
//     id that a live sandbox already has (RunnerDuplicateId). Whatever else
//     goes wrong, a closed runner included, is reported through the listener,
//     never from inside start(). Exactly one of these sequences follows:
//       running, exited      the sandbox ran (and ended)
//       failed               it could not be started (nothing of it is left)
//     A listener must not throw: runners call it from their own callbacks.
//   - stop() on a sandbox still starting is remembered by the runner and
//     applied as soon as it runs (the caller asks once; nobody else keeps a
//     pending kill). stop() on an unknown or ended sandbox returns false.
//   - stop() sends `signal` (default SIGTERM) to every container and SIGKILL
//     to those still alive after `graceMs`; the exit says whether it had to
//     (`escalated`). When an essential container exits by itself, the others
//     are stopped the same way (SIGTERM, SIGKILL after the runner's grace).
//   - inspect() and list() know a sandbox from start() until its exit or
//     failure has been reported. A container runner also knows, from its
//     creation, the sandboxes a previous runner of the same engine (the
//     `stratus.engine` label) left running: list() shows them `recovered`,
//     attach() hands them a listener, stop() ends them.
//   - close() stops and removes everything the runner started: nothing it
//     made is left (no container in `docker ps -a`, no bundle, no cgroup).

/** SIGTERM → SIGKILL grace of stop() when neither the caller nor the runner's options say (like `docker stop`). */
export const DEFAULT_STOP_GRACE_MS = 10_000

export interface PortMapping {
  containerPort: number
  /** 0 or absent: an ephemeral port, reported back in the sandbox's networkBindings. */
  hostPort?: number
  protocol?: 'tcp' | 'udp'
}

export interface NetworkBinding {
  bindIP: string
  containerPort: number
  hostPort: number
  protocol: 'tcp' | 'udp'
}

export interface ContainerSpec {
  /** Unique within the sandbox. */
  name: string
  /** The sandbox ends when an essential container exits (default true). At least one container is essential. */
  essential?: boolean
  /** Container image (container runners; the process and simulated runners ignore it). */
  image?: string
  /** Program and arguments: for the process runner the argv exactly; container runners combine it with entryPoint. */
  command: readonly string[]
  /** Overrides the image's entry point (container runners). */
  entryPoint?: readonly string[]
  /** The container's environment, exactly (a runner adds only what it needs to exec, e.g. PATH when absent). */
  env: Readonly<Record<string, string>>
  /** Working directory inside the container (container runners). */
  workingDirectory?: string
  /** User to run as (container runners; default the image's). */
  user?: string
  vcpus: number
  /** Hard memory limit, MiB (0: none). */
  memoryMiB: number
  /** Soft limit, MiB (container runners). */
  memoryReservationMiB?: number
  gpus: number
  portMappings?: readonly PortMapping[]
  /** File that receives the container's stdout and stderr, interleaved. */
  logPath: string
  /** A host directory of the container's own (the process runner's working directory; created by the runner). */
  workDir: string
  /** Host paths bound into the container (container runners), only where a definition asks for them. */
  mounts?: readonly Mount[]
  /** Named volumes mounted into the container (capabilities.volumes; ECS's Docker volumes). */
  volumes?: readonly VolumeMount[]
  /** The root filesystem is mounted read-only (container runners). */
  readonlyRootFilesystem?: boolean
  /** Refused by the wrapper unless the runner was created allowing it (container runners). */
  privileged?: boolean
  /** An init process as PID 1 that reaps zombies and forwards signals (container runners; default true). */
  initProcessEnabled?: boolean
  /** Resource limits (RLIMIT_*), AWS's names: nofile, nproc, core, memlock, stack… */
  ulimits?: readonly Ulimit[]
  /** A health check the runtime runs in the container (capabilities.healthChecks); its result is ContainerState.health. */
  healthCheck?: HealthCheck
  /**
   * Conditions on other containers of the sandbox before this one is started
   * (capabilities.dependsOn). No cycles; HEALTHY needs the other to have a
   * healthCheck; COMPLETE and SUCCESS need it to be non-essential (as ECS).
   */
  dependsOn?: readonly ContainerDependency[]
  /**
   * This container's SIGTERM → SIGKILL grace, in whole seconds, when the sandbox
   * is stopped or an essential container's exit stops it (capabilities.stopTimeout).
   * An explicit StopOptions.graceMs overrides it; absent: the runner's grace.
   */
  stopTimeoutSeconds?: number
  /** Labels put on the container itself (ECS's dockerLabels; capabilities.dockerLabels). Keys starting `stratus.` are the runner's. */
  dockerLabels?: Readonly<Record<string, string>>
  /** Every mount of another container of the sandbox, at the same paths (ECS's volumesFrom; capabilities.volumesFrom). */
  volumesFrom?: readonly VolumeFrom[]
}

/** ECS's healthCheck (seconds, ECS's ranges; the wrapper refuses others, naming the field). */
export interface HealthCheck {
  /** `['CMD-SHELL', 'script']` (run by /bin/sh -c) or `['CMD', program, ...args]`. */
  command: readonly string[]
  /** Between checks: 5–300, default 30. */
  intervalSeconds?: number
  /** A check that takes longer fails: 2–60, default 5. */
  timeoutSeconds?: number
  /** Consecutive failures that make it UNHEALTHY: 1–10, default 3. */
  retries?: number
  /** Failures in the first seconds do not count (a pass does): 0–300, default 0 (off). */
  startPeriodSeconds?: number
}

export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN'

export type DependencyCondition = 'START' | 'COMPLETE' | 'SUCCESS' | 'HEALTHY'

/** START: the other has started; COMPLETE: it has exited; SUCCESS: it exited 0; HEALTHY: its health check passed. */
export interface ContainerDependency {
  containerName: string
  condition: DependencyCondition
}

export interface VolumeFrom {
  /** A container of the same sandbox. */
  sourceContainer: string
  /** Its mounts are read-only here (they are anyway where the source's are). */
  readOnly?: boolean
}

export interface Mount {
  /** An absolute host path (a file or a directory; a subdirectory of a shared one, e.g. an EFS file system's). */
  sourcePath: string
  /** An absolute path in the container. */
  containerPath: string
  readOnly?: boolean
}

/**
 * A named volume of the runtime (a Docker volume: ECS's dockerVolumeConfiguration).
 * Containers of one sandbox naming the same volume share it. `task` scope: the
 * sandbox's own, created for it and removed when it ends; `shared`: the volume of
 * that name on the host, kept after the sandbox (created when absent if
 * `autoprovision`, else it must exist).
 */
export interface VolumeMount {
  /** The volume's name (ECS's volume name; a shared volume is this name on the host). */
  volume: string
  containerPath: string
  readOnly?: boolean
  /** Default `task`. */
  scope?: 'task' | 'shared'
  /** A shared volume that does not exist is created (default false: it must exist). Task volumes always are. */
  autoprovision?: boolean
  /** Only `local` (the default). */
  driver?: 'local'
  /** Labels of a volume the runner creates. */
  labels?: Readonly<Record<string, string>>
}

export interface Ulimit {
  name: string
  softLimit: number
  hardLimit: number
}

export interface SandboxSpec {
  /** Unique among the runner's live sandboxes; deterministic for a task (recovery finds it again). */
  id: string
  /** Labels the runner keeps with the sandbox (and puts on its containers): list() filters on them. */
  labels: Readonly<Record<string, string>>
  /** The sandbox's address, from 127.0.0.0/8 (handed out by the engine). */
  address?: string
  /** awsvpc (default): the sandbox's own address; bridge, host or none as ECS defines them (container runners). */
  networkMode?: 'awsvpc' | 'bridge' | 'host' | 'none'
  /**
   * Which of the runner's hosts runs the sandbox (a node's `host`: one of the
   * Docker engines a docker runner was given). Absent: the runner's default host.
   */
  host?: string
  containers: readonly ContainerSpec[]
  /**
   * A Fargate task's storage: its containers' workDirs (and its task-scoped
   * volumes, always) are removed before its exit is reported
   * (capabilities.ephemeralStorage). Default false: workDirs stay (Batch).
   */
  ephemeralStorage?: boolean
}

export interface ContainerState {
  name: string
  /** `starting` also while it waits on its dependsOn conditions. */
  state: 'starting' | 'running' | 'exited'
  /** Its health check's status (only for a container with one): UNKNOWN until the first result. */
  health?: HealthStatus
  pid?: number
  exitCode?: number | null
  networkBindings?: NetworkBinding[]
  /** The container's id in its runtime (a Docker container id, an OCI container id). */
  runtimeId?: string
  /** The digest of the image it runs (container runners). */
  imageDigest?: string
}

export interface SandboxInfo {
  id: string
  labels: Readonly<Record<string, string>>
  state: 'starting' | 'running' | 'exited'
  /** When the sandbox was reported running (ms since the epoch, on the engine's clock). */
  startedAt?: number
  address?: string
  /** When pulling its images began and ended (engine clock; container runners, also when nothing had to be fetched). */
  pullStartedAt?: number
  pullStoppedAt?: number
  /** Found by list() after a restart rather than started by this runner (attach() hands it a listener). */
  recovered?: boolean
  containers: ContainerState[]
}

export interface ContainerExit {
  name: string
  /** null when a signal ended it. */
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** The kernel killed it for exceeding its memory limit. */
  oomKilled: boolean
  /** It never started (waiting on a dependsOn condition when the sandbox ended, or its start failed). */
  notStarted?: boolean
  /** Why it did not start or ended (a start failure after running(): CannotStartContainerError: …). */
  reason?: string
}

export interface SandboxExit {
  /** The essential container whose exit ended the sandbox (or the first essential one, when stop() ended it). */
  exitCode: number | null
  signal: NodeJS.Signals | null
  oomKilled: boolean
  /** Every container, in spec order. */
  containers: ContainerExit[]
  /** stop() ended it (rather than an essential container exiting by itself). */
  stopped: boolean
  /**
   * The runner had to send SIGKILL after the grace period to a container still
   * alive (one that ignored the stop signal), during stop() or while stopping
   * the other containers once an essential one had exited.
   */
  escalated: boolean
  /** When it ended (engine clock). */
  stoppedAt: number
  /**
   * A dependsOn condition could no longer hold (SUCCESS but it exited non-zero,
   * HEALTHY but it became UNHEALTHY or exited, START but it could not start): the
   * waiting container was never started and the sandbox was ended.
   */
  dependencyFailure?: DependencyFailure
  /** Why it ended, when neither an exit nor stop() says: `DependencyConditionNotMet: …`, `CannotStartContainerError: …`. */
  reason?: string
}

export interface DependencyFailure {
  /** The container that waited. */
  container: string
  /** The container it waited on. */
  dependency: string
  condition: DependencyCondition
}

export interface SandboxListener {
  /** The sandbox runs (its essential containers exist). */
  running(info: SandboxInfo): void
  /** The sandbox ended; after running(). */
  exited(exit: SandboxExit): void
  /** The sandbox could not be started; no running() or exited() follow. The error is a RunnerError. */
  failed(error: Error): void
  /**
   * Optional (capabilities.containerReports): between running() and exited(),
   * whenever a container's state or health changes while the sandbox lives — a
   * container started once its dependsOn held, a non-essential one exited (its
   * exitCode), a health transition. Not called once the sandbox's end is
   * decided (exited() carries the rest). Runners look for it once per change:
   * a listener without it costs nothing.
   */
  changed?(info: SandboxInfo): void
}

export interface StopOptions {
  /** First signal (default SIGTERM). */
  signal?: NodeJS.Signals
  /** SIGKILL after this many ms if still alive (default: the runner's grace period). */
  graceMs?: number
}

export interface ExecResult {
  exitCode: number
  output: string
}

export interface ExecOptions {
  /** A pseudo-terminal (stdout and stderr arrive as one stream). */
  tty?: boolean
  env?: Readonly<Record<string, string>>
  user?: string
  workingDirectory?: string
}

/** An interactive exec: what is written to stdin reaches the command; its output streams back. */
export interface ExecSession {
  stdin: NodeJS.WritableStream
  /** stdout (and stderr, interleaved; with a TTY they are one stream anyway). */
  output: NodeJS.ReadableStream
  /** The command's exit code, once it has ended. */
  exit: Promise<number>
  /** Resizes the TTY. */
  resize?(columns: number, rows: number): Promise<void>
}

export interface RunnerCapabilities {
  /** Whether memory limits are enforced on this machine. */
  memoryLimits: 'enforced' | 'not-enforced'
  /** More than one container per sandbox. */
  multiContainer: boolean
  /** Port mappings (published on the sandbox's address). */
  ports: boolean
  /** exec() into a running container. */
  exec: boolean
  /** Container images (the process and simulated runners run commands, not images). */
  images: boolean
  /** Privileged containers (only when the runner was created allowing them). */
  privileged?: boolean
  /** Network modes besides awsvpc (bridge, host, none). */
  networkModes?: ReadonlyArray<'awsvpc' | 'bridge' | 'host' | 'none'>
  /** The hosts the runner can place a sandbox on (SandboxSpec.host); absent: one. */
  hosts?: readonly string[]
  // ECS's container features: absent means no, and the wrapper refuses a spec that needs them (RunnerUnsupported).
  /** ContainerSpec.healthCheck, reported as ContainerState.health. */
  healthChecks?: boolean
  /** ContainerSpec.dependsOn. */
  dependsOn?: boolean
  /** ContainerSpec.stopTimeoutSeconds. */
  stopTimeout?: boolean
  /** Named volumes (ContainerSpec.volumes). */
  volumes?: boolean
  /** ContainerSpec.volumesFrom. */
  volumesFrom?: boolean
  /** ContainerSpec.dockerLabels. */
  dockerLabels?: boolean
  /** SandboxSpec.ephemeralStorage. */
  ephemeralStorage?: boolean
  /** SandboxListener.changed(). */
  containerReports?: boolean
}

export interface Runner {
  readonly kind: string
  readonly capabilities: RunnerCapabilities
  start(spec: SandboxSpec, listener: SandboxListener): void
  /** Stops a sandbox (false when unknown or already ended). */
  stop(id: string, options?: StopOptions): boolean
  inspect(id: string): SandboxInfo | undefined
  /** The live sandboxes whose labels include every given label (all of them without a filter). */
  list(labels?: Readonly<Record<string, string>>): SandboxInfo[]
  /**
   * Output lines of a container of a sandbox (default: its first container),
   * from its log file; with follow, until the sandbox has ended and everything
   * written has been read. Unknown sandbox: no lines.
   */
  logs(id: string, options?: { container?: string; follow?: boolean }): AsyncIterable<string>
  /** Runs a command in a running container; runners without exec throw RunnerError RunnerExecUnsupported. */
  exec(id: string, container: string, command: readonly string[]): Promise<ExecResult>
  /** An interactive exec, streaming both ways (ECS Exec builds on it); runners without it reject with RunnerExecUnsupported. */
  execStream?(id: string, container: string, command: readonly string[], options?: ExecOptions): Promise<ExecSession>
  /**
   * Hands a listener to a sandbox found after a restart (list() shows it with
   * `recovered: true`): it hears the sandbox's exit from then on (running()
   * is not repeated). False when no such recovered sandbox is live.
   */
  attach?(id: string, listener: SandboxListener): boolean
  /** Ends every sandbox (SIGKILL) and releases the runner. */
  close(): Promise<void>
}
