// The engine: wires the parts, nothing else. One clock, one store, one event
// stream (fed from the store's outbox), the placement core and its Placer,
// the node pools with their PlanApplier and CapacityProvider, the runners
// (a registration table; a pool names the one that backs it), the
// TaskLauncher, the Batch service and the registry, behind one loopback HTTP
// endpoint (registry /v2/, health, the AWS wire API). `Engine.start()` is what `Stratus.embedded()` and `stratus serve` run.

import { randomUUID } from 'node:crypto'
import { access, constants, mkdtemp, rm, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock, RealClock, type Clock } from './clock/clock.js'
import { keepClockMark, manualStartOf } from './clock/clock-mark.js'
import { makePartition, type Partition } from './aws/partition.js'
import { PageTokens } from './aws/pagination.js'
import { arns } from './aws/arn.js'
import { MemoryStore } from './store/memory.js'
import type { Store } from './store/store.js'
import { EventBus } from './events/bus.js'
import { OutboxRelay } from './events/outbox-relay.js'
import { EventBridge } from './events/service.js'
import type { BackoffOptions } from './events/delivery-worker.js'
import { Scheduler } from './scheduler/scheduler.js'
import { Placer } from './scheduler/placer.js'
import { NodePools, POOLS, type PoolRecord } from './cluster/node-pool.js'
import { PlanApplier } from './cluster/plan-applier.js'
import { CapacityProvider } from './cluster/capacity-provider.js'
import { TaskLauncher } from './tasks/task-launcher.js'
import { RUNNERS, registryImageSource, type ProcessRunnerOptions, type Runner, type RunnerContext, type RunnerName } from './runners/index.js'
import { Batch, type BatchSettings } from './batch/index.js'
import { Ecs, execSessionsOf, execUpgradeRoute, type EcsSettings } from './ecs/index.js'
import { instanceAddressOf } from './ecs/service-targets.js'
import { LogStore } from './logs/log-store.js'
import { Elbv2 } from './elb/index.js'
import { LoadBalancerPlane } from './lb/plane.js'
import { TargetGroup } from './lb/target-group.js'
import { HttpListener } from './lb/http/index.js'
import { Iam, type IamConfig } from './iam/index.js'
import { Acm } from './acm/index.js'
import { AuditTrail } from './audit/index.js'
import { CloudWatchLogs } from './logs/cloudwatch-logs.js'
import { anyRoute, getRoute, jsonDocument, prefixRoute, startHttp, type HttpEndpoint } from './http/server.js'
import { ApiRouter, type CallSummary } from './api/router.js'
import { serviceTables } from './api/services.js'
import { Registry, type RegistryOptions } from '../registry/index.js'
import { registryAuditor, registryAuthorizer } from './api/registry-security.js'
import { engineRegistryOpenError, engineRepositorySettings } from './registry-state/index.js'
import { InvalidArgumentError, UnavailableError } from './errors.js'
import { COMMAND_RUNNERS, dockerSocketPath, probeRunners, resolveAuto, type RunnerChoice } from './runners/choice.js'

export interface EngineOptions {
  /** 'real' (default) or 'manual' (moves only on advance()), or a Clock of your own. */
  clock?: 'real' | 'manual' | Clock
  /** Start time of a manual clock (epoch ms; default now). */
  startTime?: number
  /**
   * How work runs: 'auto' (default: docker when a Docker engine answers, else
   * oci when runc/crun can run, else process), 'docker', 'oci' (containers;
   * work without an image runs as a process), 'process' (commands only) or
   * 'simulated' (nothing runs; see runners/README.md).
   */
  runner?: RunnerChoice
  /** Privileged containers are refused unless this is true. */
  allowPrivileged?: boolean
  /** 12-digit account id of ARNs (default 000000000000). */
  accountId?: string
  region?: string
  /**
   * The engine's state (default: the SQLite store `<dataDir>/state.db` when
   * dataDir is given, else a new memory store). An engine started over the
   * store of one that stopped picks up where it left off. The registry's
   * repository settings go into a SQLite store only; with a memory store they
   * stay in the registry storage's files.
   */
  store?: Store
  /**
   * Where the engine's state (state.db, a SQLite store), logs, working
   * directories and registry data live. Default: temporary directories removed
   * on close — registry data under the OS temp directory, job logs and working
   * directories on /dev/shm where it exists (a tmpfs: creating a file per
   * attempt there costs no disk I/O) — and the state in memory.
   */
  dataDir?: string
  /**
   * How the SQLite store of dataDir commits: 'normal' (default: nothing is
   * lost when the process is killed) or 'full' (nor on power loss; an fsync
   * per commit).
   */
  storeSync?: 'normal' | 'full'
  /** HTTP endpoint port on 127.0.0.1 (default: a free port). */
  port?: number
  /** Registry options (storage, auth…); storage defaults to the filesystem under dataDir. */
  registry?: Omit<RegistryOptions, 'clock' | 'accountId' | 'regionName' | 'repositoryArn' | 'repositorySettings'>
  batch?: Partial<Omit<BatchSettings, 'workRoot' | 'runner'>>
  /**
   * ECS: the container instances every new cluster gets (default one m5.xlarge; count 0: none), stopped-task retention, Spot interruptions,
   * and hostVolumeRoots: the directories tasks may bind-mount (volumes[].host.sourcePath). Default: none, or any path when
   * allowPrivileged is true; `/` and the Docker socket never (runtime/ecs/host-access.ts).
   */
  ecs?: Partial<Omit<EcsSettings, 'workRoot' | 'runner' | 'allowPrivileged'>>
  process?: ProcessRunnerOptions
  /**
   * The docker runner's Docker engines (default: the local one): each
   * compute environment's instances are spread over them, so one pool spans
   * several machines (`{ name, url: 'tcp://host:2376', tls: { ca, cert, key } }`).
   */
  docker?: RunnerContext['docker']
  /** The oci runner's runtime (runc or crun), rootfs mode (overlay or copy), grace and unpack limits. */
  oci?: RunnerContext['oci']
  /** Told once per answered API call (the request log of `stratus serve`). */
  onCall?: (call: CallSummary) => void
  /**
   * 'off' (default): any credentials, or none, are accepted, as the peers do.
   * 'iam': every API call must be SigV4-signed by a known access key and is
   * allowed only as the principal's IAM policies say; the registry's /v2/ then
   * requires a token too, and ECR repository policies apply to pulls and pushes.
   */
  auth?: 'off' | 'iam'
  /** IAM users, roles, access keys and policies: the JSON file's path or its content (see runtime/iam/README.md). */
  iam?: IamConfig | object | string
  /** EventBridge's deliveries to API destinations: backoff base and cap, call timeout (see runtime/events/README.md). */
  eventDelivery?: BackoffOptions
}

/** The store an engine owns: the SQLite store in dataDir when there is one, else a memory store. */
async function openStore(options: EngineOptions): Promise<Store> {
  if (options.dataDir === undefined) return new MemoryStore()
  await mkdir(options.dataDir, { recursive: true })
  // Loaded only here: an engine without a data directory never loads the native SQLite module.
  const { SqliteStore } = await import('./store/sqlite.js')
  return SqliteStore.open(join(options.dataDir, 'state.db'), { synchronous: options.storeSync ?? 'normal' })
}

/** A temporary directory for logs and working directories: on /dev/shm when it is a writable tmpfs. */
async function temporaryRunDir(fallback: string): Promise<string> {
  try {
    await access('/dev/shm', constants.W_OK)
    return await mkdtemp(join('/dev/shm', 'stratus-run-'))
  } catch {
    return fallback
  }
}

/**
 * The runners an engine needs: the one new environments run on, the simulated
 * one (it costs nothing), and every one a pool in the store is backed by (an
 * engine started over the state of one that ran another runner can still
 * place work on those pools).
 */
function runnersNeeded(chosen: RunnerName, store: Store): RunnerName[] {
  const names = new Set<RunnerName>([chosen, 'simulated'])
  const commands = COMMAND_RUNNERS[chosen] as RunnerName | undefined
  if (commands !== undefined) names.add(commands)
  for (const { value } of store.scan<PoolRecord>(POOLS)) {
    if (!(value.runner in RUNNERS)) {
      throw new InvalidArgumentError('InvalidRunner', `pool ${value.poolId} in the store is backed by runner ${value.runner}, which this engine does not have (${Object.keys(RUNNERS).join(', ')})`, { field: 'runner' })
    }
    names.add(value.runner as RunnerName)
    const theirs = COMMAND_RUNNERS[value.runner] as RunnerName | undefined
    if (theirs !== undefined) names.add(theirs)
  }
  return [...names]
}

/** The registered runner a choice stands for on this machine; a container runner asked for by name must be available. */
async function chooseRunner(choice: RunnerChoice): Promise<RunnerName> {
  const registered = new Set(Object.keys(RUNNERS))
  if (choice === 'auto') return resolveAuto(await probeRunners(), registered) as RunnerName
  if (!registered.has(choice)) {
    throw new InvalidArgumentError('InvalidRunner', `runner must be one of auto, ${Object.keys(RUNNERS).join(', ')}, got ${String(choice)}`, { field: 'runner' })
  }
  if (choice === 'docker' || choice === 'oci') {
    const why = (await probeRunners()).unavailable[choice]
    if (why !== undefined) throw new UnavailableError('RunnerUnavailable', `runner ${choice}: ${why}`, { field: 'runner' })
  }
  return choice as RunnerName
}

/** The engine's identity in its store: the same across restarts over the same state (sandboxes carry it as a label). */
function engineIdOf(store: Store): string {
  const found = store.get<string>('engine', 'id')
  if (found !== undefined) return found.value
  const id = randomUUID()
  store.put('engine', 'id', id, 0)
  return id
}

interface EngineParts {
  clock: Clock; partition: Partition; store: Store; events: EventBus; scheduler: Scheduler; placer: Placer; pools: NodePools
  launcher: TaskLauncher; runners: Map<string, Runner>; runner: Runner; batch: Batch; ecs: Ecs; acm: Acm; elb: Elbv2; lbPlane: LoadBalancerPlane; eventBridge: EventBridge; logs: CloudWatchLogs; registry: Registry; api: ApiRouter; http: HttpEndpoint; iam: Iam; audit: AuditTrail
  dataDir: string; runDir: string; ownsDataDir: boolean; ownsStore: boolean; stopRelay: () => void; stopClockMark: () => void; id: string
}

export class Engine {
  /** The engine's identity, kept in its store: the label `stratus.engine` on everything its runners start. */
  readonly id: string
  readonly clock: Clock
  readonly partition: Partition
  readonly store: Store
  readonly events: EventBus
  /** EventBridge: rules, targets, connections, API destinations, deliveries and dead letters. */
  readonly eventBridge: EventBridge
  readonly scheduler: Scheduler
  readonly placer: Placer
  readonly pools: NodePools
  readonly launcher: TaskLauncher
  /** The registered runners, by name. */
  readonly runners: ReadonlyMap<string, Runner>
  /** The runner new compute environments' instances run on. */
  readonly runner: Runner
  readonly batch: Batch
  /** Amazon ECS and Fargate: clusters, container instances, task definitions, tasks, services. */
  readonly ecs: Ecs
  /** Elastic Load Balancing v2: load balancers on 127.250.x addresses, listeners, rules, target groups (runtime/elb over runtime/lb). */
  readonly elb: Elbv2
  /** AWS Certificate Manager over the engine's local CA (kept in the store): certificates for HTTPS listeners. */
  readonly acm: Acm
  /** CloudWatch Logs over the job logs. */
  readonly logs: CloudWatchLogs
  /** Principals, keys and policies; SigV4 verification and policy evaluation for the API. */
  readonly iam: Iam
  /** One CloudTrail-shaped record per API call. */
  readonly audit: AuditTrail
  readonly registry: Registry
  /** The AWS wire API on the endpoint (its tables, for the banner). */
  readonly api: ApiRouter
  readonly http: HttpEndpoint
  readonly dataDir: string
  /** Where job logs and working directories live (dataDir, or a tmpfs directory when temporary). */
  readonly runDir: string
  readonly #p: EngineParts
  #closed: Promise<void> | undefined

  private constructor(p: EngineParts) {
    this.#p = p
    this.id = p.id
    this.clock = p.clock
    this.partition = p.partition
    this.store = p.store
    this.events = p.events
    this.eventBridge = p.eventBridge
    this.scheduler = p.scheduler
    this.placer = p.placer
    this.pools = p.pools
    this.launcher = p.launcher
    this.runners = p.runners
    this.runner = p.runner
    this.batch = p.batch
    this.ecs = p.ecs
    this.elb = p.elb
    this.acm = p.acm
    this.logs = p.logs
    this.iam = p.iam
    this.audit = p.audit
    this.registry = p.registry
    this.api = p.api
    this.http = p.http
    this.dataDir = p.dataDir
    this.runDir = p.runDir
  }

  get accountId(): string {
    return this.partition.accountId
  }

  get region(): string {
    return this.partition.region
  }

  static async start(options: EngineOptions = {}): Promise<Engine> {
    const partition = makePartition(options.accountId, options.region)
    const runnerName = await chooseRunner(options.runner ?? 'auto')
    const store = options.store ?? (await openStore(options))
    // A manual clock never starts before the latest time its store has seen (see clock/clock-mark.ts).
    const clock = typeof options.clock === 'object' ? options.clock
      : options.clock === 'manual' ? new ManualClock(manualStartOf(store, options.startTime)) : new RealClock()
    // What was started so far is stopped again, in reverse, if a later step fails.
    const undo: Array<() => unknown> = []
    try {
      const ownsDataDir = options.dataDir === undefined
      const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'stratus-')))
      const runDir = ownsDataDir ? await temporaryRunDir(dataDir) : dataDir
      if (ownsDataDir) undo.push(() => rm(dataDir, { recursive: true, force: true }), () => rm(runDir, { recursive: true, force: true }))
      await mkdir(join(runDir, 'logs'), { recursive: true })
      const names = runnersNeeded(runnerName, store)
      const engineId = engineIdOf(store)
      const stopClockMark = clock instanceof ManualClock ? keepClockMark(store, clock) : () => {}
      undo.push(stopClockMark)
      // Checked whole before anything starts: a malformed IAM file is refused here, naming the member.
      const iam = new Iam({ store, partition, mode: options.auth ?? 'off', ...(options.iam !== undefined ? { config: options.iam } : {}), now: () => clock.now() })
      const audit = new AuditTrail({ store, partition, now: () => clock.now() })
      undo.push(() => audit.close())
      const [scheduler, registry] = await Promise.all([
        Scheduler.create(),
        Registry.open({
          storage: { driver: 'filesystem', rootDirectory: join(dataDir, 'registry') }, ...options.registry,
          ...(iam.mode === 'iam' ? { auth: { ...options.registry?.auth, enabled: true } } : {}),
          clock, accountId: partition.accountId, regionName: partition.region, repositoryArn: (name) => arns.ecr.repository(partition, name),
          // Repository settings live in a durable store with the rest of the state (with a memory
          // store, in the storage's own files: see registry-state/engine-settings.ts); images stay in the storage.
          ...engineRepositorySettings(store),
          // /v2/ pulls and pushes of principal-bound tokens: decided by IAM as the ECR API's calls are, and recorded in the same trail.
          authorize: registryAuthorizer(iam, (arn) => iam.principalByArn(arn), partition, () => clock.now()),
          audit: registryAuditor(audit, (arn) => iam.principalByArn(arn), partition, () => clock.now())
        }).catch((error: unknown) => { throw engineRegistryOpenError(error, store) })
      ])
      undo.push(() => registry.close())
      const images = registryImageSource(registry, partition.accountId, partition.region)
      const made = await Promise.all(names.map((name) => RUNNERS[name]({
        clock, engineId, images, stateDir: join(dataDir, 'runners', name), allowPrivileged: options.allowPrivileged === true, process: options.process,
        // The local engine is the one `auto` probed: DOCKER_HOST=unix://… or /var/run/docker.sock.
        docker: options.docker ?? { hosts: [{ name: 'local', socketPath: dockerSocketPath() }] },
        ...(options.oci !== undefined ? { oci: options.oci } : {})
      })))
      undo.push(...made.map((r) => () => r.close()))
      const runners = new Map<string, Runner>(names.map((name, i) => [name, made[i]]))
      const events = new EventBus({ account: partition.accountId, region: partition.region, now: () => clock.now() })
      const eventBridge = new EventBridge({ store, partition, clock, bus: events, ...(options.eventDelivery ? { delivery: options.eventDelivery } : {}) })
      undo.push(() => eventBridge.close())
      // Deliveries pending in the store are queued before the outbox's new ones, so each target keeps its order.
      eventBridge.start()
      const relay = eventBridge.consume(new OutboxRelay(store, { clock }))
      relay.start()
      undo.push(() => relay.stop())
      const placer = new Placer(scheduler.core)
      undo.push(() => placer.close())
      const now = () => clock.now()
      const pools = new NodePools({ store, partition, now, hostsOf: (name) => runners.get(name)?.capabilities.hosts })
      const launcher = new TaskLauncher({ store, clock, partition, pools, runners, engineId, commandRunners: COMMAND_RUNNERS })
      undo.push(() => launcher.close())
      const logStore = new LogStore(join(runDir, 'logs'))
      const batch = new Batch({
        store, clock, partition, events, scheduler, placer, pools, launcher,
        capacity: new CapacityProvider(scheduler, pools), applier: new PlanApplier(store, pools),
        logs: logStore, tokens: new PageTokens({ now }),
        settings: { ...options.batch, workRoot: join(runDir, 'work'), runner: runnerName }
      })
      undo.push(() => batch.close())
      // Load balancers before ECS (services register their tasks as targets); instance targets resolve through ECS's container instances.
      const acm = await Acm.open({ store, clock, partition, events, tokens: new PageTokens({ now }) })
      undo.push(() => acm.close())
      const lbPlane = new LoadBalancerPlane({ clock, createTargetGroup: (config, o) => new TargetGroup(config, o), openHttpListener: (config, o) => HttpListener.open(config, o) })
      undo.push(() => lbPlane.close())
      // Read from the store's nodes, so that targets restored before ECS is made resolve too.
      const elb = new Elbv2({ store, clock, partition, plane: lbPlane, certificates: acm, resolveInstance: (id) => instanceAddressOf(store, id) })
      undo.push(() => elb.close())
      await elb.start()
      const ecs = new Ecs({
        store, clock, partition, events, scheduler, pools, launcher, runners, targets: elb.targets, traffic: elb,
        capacity: new CapacityProvider(scheduler, pools), applier: new PlanApplier(store, pools), tokens: new PageTokens({ now }),
        settings: { ...options.ecs, workRoot: join(runDir, 'ecs'), runner: runnerName, allowPrivileged: options.allowPrivileged === true }
      })
      undo.push(() => ecs.close())
      // Every owner is registered: tasks of an engine that stopped can be judged now.
      launcher.recover()
      const logs = new CloudWatchLogs({ store, logs: logStore, now, partition, tokens: new PageTokens({ now }), attempt: (name) => batch.logStreamAttempt(name) })
      const api = new ApiRouter({
        tables: serviceTables({ partition, batch, ecs, elb, acm, registry, clock, events, eventBridge, logs, iam, audit }), partition, now,
        authenticator: iam, authorizer: iam, audit, ...(options.onCall !== undefined ? { onCall: options.onCall } : {}) })
      const http = await startHttp([
        prefixRoute('registry', '/v2', registry.handle),
        getRoute('health', ['/health', '/'], jsonDocument(() => ({
          service: 'stratus', accountId: partition.accountId, region: partition.region, clock: clock.kind, runner: runnerName,
          services: api.tables.map((t) => t.signingName)
        }))),
        anyRoute('api', api.handle)
      ], { port: options.port, upgrades: [execUpgradeRoute(ecs.context, { authenticator: iam, audit })] })
      registry.setEndpoint(http.address)
      // ECS Exec's session streams are WebSockets on this endpoint.
      execSessionsOf(ecs.context).endpoint = http.address
      return new Engine({
        clock, partition, store, events, eventBridge, scheduler, placer, pools, launcher, runners, runner: runners.get(runnerName)!, batch, ecs, acm, elb, lbPlane, logs, registry, api, http, iam, audit,
        dataDir, runDir, ownsDataDir, ownsStore: options.store === undefined, stopRelay: () => relay.stop(), stopClockMark, id: engineId
      })
    } catch (error) {
      for (const step of undo.reverse()) await Promise.resolve().then(step).catch(() => {})
      if (options.store === undefined) await store.close().catch(() => {})
      throw error
    }
  }

  /** host:port of the HTTP endpoint. */
  get endpoint(): string {
    return this.http.address
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      const p = this.#p
      await this.batch.close()
      await this.ecs.close()
      await this.elb.close()
      await p.lbPlane.close()
      this.acm.close()
      this.launcher.close()
      await Promise.all([...p.runners.values()].map((r) => r.close()))
      p.stopRelay()
      await this.eventBridge.close()
      this.placer.close()
      await this.http.close()
      await this.registry.close()
      // What is queued reaches the store before it closes.
      this.audit.close()
      p.stopClockMark()
      if (p.ownsStore) await this.store.close()
      if (p.ownsDataDir) {
        await rm(this.dataDir, { recursive: true, force: true })
        if (this.runDir !== this.dataDir) await rm(this.runDir, { recursive: true, force: true })
      }
    })()
    return this.#closed
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
