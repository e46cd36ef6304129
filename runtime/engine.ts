// The engine: one clock, one store, one event stream, the scheduler, a runner,
// the Batch service and the registry, behind one loopback HTTP endpoint.
// `Engine.start()` is what `Stratus.embedded()` and `stratus serve` run.

import { access, constants, mkdtemp, rm, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock, RealClock, type Clock } from './clock/clock.js'
import { LegacyMemoryStore as MemoryStore, type Store } from './store/legacy.js'
import { EventBus } from './events/bus.js'
import { Scheduler } from './scheduler/scheduler.js'
import { RUNNERS, type RunnerName } from './runners/index.js'
import type { Runner } from './runners/runner-v1.js'
import type { ProcessRunnerOptions } from './runners/process.js'
import { BatchService } from './batch/service.js'
import { LogStore } from './logs/log-store.js'
import { startHttp, type HttpEndpoint } from './http/server.js'
import { Registry, type RegistryOptions } from '../registry/index.js'
import { InvalidArgumentError } from './errors.js'

export interface EngineOptions {
  /** 'real' (default) or 'manual' (moves only on advance()), or a Clock of your own. */
  clock?: 'real' | 'manual' | Clock
  /** Start time of a manual clock (epoch ms; default now). */
  startTime?: number
  /** How jobs run: 'process' (default) or 'simulated'. */
  runner?: RunnerName
  /** 12-digit account id of ARNs (default 000000000000). */
  accountId?: string
  region?: string
  /**
   * Where logs, working directories and registry data live. Default: temporary
   * directories removed on close — registry data under the OS temp directory,
   * job logs and working directories on /dev/shm where it exists (a tmpfs:
   * creating a file per attempt there costs no disk I/O).
   */
  dataDir?: string
  /** HTTP endpoint port on 127.0.0.1 (default: a free port). */
  port?: number
  /** Registry options (storage, auth…); storage defaults to the filesystem under dataDir. */
  registry?: Omit<RegistryOptions, 'clock' | 'accountId' | 'regionName'>
  batch?: { scaleInIdleMs?: number; retentionMs?: number; agingRounds?: number; maxDispatch?: number; killGraceMs?: number }
  process?: ProcessRunnerOptions
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

export class Engine {
  readonly clock: Clock
  readonly store: Store
  readonly events: EventBus
  readonly scheduler: Scheduler
  readonly runner: Runner
  readonly batch: BatchService
  readonly registry: Registry
  readonly http: HttpEndpoint
  readonly dataDir: string
  /** Where job logs and working directories live (dataDir, or a tmpfs directory when temporary). */
  readonly runDir: string
  readonly accountId: string
  readonly region: string
  readonly #ownsDataDir: boolean
  #closed: Promise<void> | undefined

  private constructor(parts: {
    clock: Clock; store: Store; events: EventBus; scheduler: Scheduler; runner: Runner; batch: BatchService; registry: Registry
    http: HttpEndpoint; dataDir: string; runDir: string; ownsDataDir: boolean; accountId: string; region: string
  }) {
    this.clock = parts.clock
    this.store = parts.store
    this.events = parts.events
    this.scheduler = parts.scheduler
    this.runner = parts.runner
    this.batch = parts.batch
    this.registry = parts.registry
    this.http = parts.http
    this.dataDir = parts.dataDir
    this.runDir = parts.runDir
    this.#ownsDataDir = parts.ownsDataDir
    this.accountId = parts.accountId
    this.region = parts.region
  }

  static async start(options: EngineOptions = {}): Promise<Engine> {
    const accountId = options.accountId ?? '000000000000'
    if (!/^\d{12}$/.test(accountId)) throw new InvalidArgumentError('InvalidAccountId', `accountId must be 12 digits, got ${accountId}`, { field: 'accountId' })
    const region = options.region ?? 'us-east-1'
    const clock = typeof options.clock === 'object' ? options.clock : options.clock === 'manual' ? new ManualClock(options.startTime) : new RealClock()
    const ownsDataDir = options.dataDir === undefined
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'stratus-')))
    const runDir = ownsDataDir ? await temporaryRunDir(dataDir) : dataDir
    await mkdir(join(runDir, 'logs'), { recursive: true })
    const runnerName = options.runner ?? 'process'
    if (!(runnerName in RUNNERS)) throw new InvalidArgumentError('InvalidRunner', `runner must be one of ${Object.keys(RUNNERS).join(', ')}, got ${runnerName}`, { field: 'runner' })
    const [scheduler, runner, registry] = await Promise.all([
      Scheduler.create(),
      RUNNERS[runnerName]({ clock, process: options.process }),
      Registry.open({ storage: { driver: 'filesystem', rootDirectory: join(dataDir, 'registry') }, ...options.registry, clock, accountId, regionName: region })
    ])
    const store = new MemoryStore()
    const events = new EventBus({ account: accountId, region, now: () => clock.now() })
    const batch = new BatchService({
      partition: { accountId, region }, clock, store, events, scheduler, runner,
      logs: new LogStore(join(runDir, 'logs')), workRoot: join(runDir, 'work'), ...options.batch
    })
    const http = await startHttp({
      registry: registry.handle,
      health: () => ({ service: 'stratus', accountId, region, clock: clock.kind, runner: runner.kind })
    }, { port: options.port })
    registry.setEndpoint(http.address)
    return new Engine({ clock, store, events, scheduler, runner, batch, registry, http, dataDir, runDir, ownsDataDir, accountId, region })
  }

  /** host:port of the HTTP endpoint. */
  get endpoint(): string {
    return this.http.address
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.batch.close()
      await this.runner.close()
      await this.http.close()
      await this.registry.close()
      if (this.#ownsDataDir) {
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
