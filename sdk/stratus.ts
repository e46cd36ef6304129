// The entry point: `await using cloud = await Stratus.embedded()` starts the
// whole engine in-process (Batch, the registry, one loopback HTTP endpoint)
// in milliseconds; `cloud.clock.advance(ms)` fast-forwards a manual clock.
// `await Stratus.connect('http://127.0.0.1:4750')` gives the same SDK over
// the wire API of a running engine (`stratus serve`, or another process's
// embedded one). Both run over the service interfaces of services.ts.

import { Engine, type EngineOptions, type CloudWatchLogsApi } from '../runtime/index.js'
import { BatchClient } from './batch.js'
import { EcsClient } from './ecs.js'
import { AcmClient } from './acm.js'
import { RegistryClient } from './registry.js'
import { IamClient } from './iam.js'
import { AuditClient } from './audit.js'
import { CloudEvents } from './events.js'
import { Elbv2Client } from './elbv2.js'
import { embeddedBackend } from './embedded.js'
import { connectBackend, type ConnectOptions } from './remote/connect.js'
import type { CloudBackend, ClockService } from './services.js'

export interface EmbeddedOptions extends EngineOptions {}
export { CloudEvents }
export type { ConnectOptions, Credentials } from './remote/connect.js'

export class CloudClock {
  readonly #clock: ClockService

  constructor(clock: ClockService) {
    this.#clock = clock
  }

  get kind(): 'real' | 'manual' {
    return this.#clock.kind
  }

  /** Milliseconds since the epoch, on the engine's clock (remotely: as last seen; see `read()`). */
  now(): number {
    return this.#clock.now()
  }

  /** The engine's clock, asked now (a round trip when remote). */
  read(): Promise<number> {
    return this.#clock.read()
  }

  /** Moves a manual clock forward, firing every timer due on the way (timeouts, retries, purges…). */
  async advance(ms: number): Promise<void> {
    await this.#clock.advance(ms)
  }
}

/**
 * The SDK over a cloud: Batch, ECS, the registry, the clock, events, IAM and the audit trail. What
 * `Stratus.connect(url)` returns; `Stratus` (an engine in this process) is one.
 * Code written against StratusClient runs the same embedded and remote.
 */
export class StratusClient implements AsyncDisposable {
  readonly clock: CloudClock
  readonly events: CloudEvents
  readonly batch: BatchClient
  /** Amazon ECS and Fargate: clusters, task definitions, tasks (with ECS Exec), services. */
  readonly ecs: EcsClient
  /** AWS Certificate Manager: certificates from the engine's local CA (request, validate, renew on the clock), imports, the root to trust. */
  readonly acm: AcmClient
  readonly registry: RegistryClient
  /** Users, roles, access keys, inline policies, tags. */
  readonly iam: IamClient
  /** The engine's API calls as CloudTrail records (calls through the wire API; the embedded SDK's own calls are not API calls). */
  readonly audit: AuditClient
  /**
   * CloudWatch Logs in its own shapes: groups (any name, retention, tags), streams (ECS awslogs
   * output, Batch's job output in /aws/batch/job, PutLogEvents) and their events.
   */
  readonly logs: CloudWatchLogsApi
  /** Elastic Load Balancing v2: load balancers on 127.x addresses, listeners and rules, target groups and their health. */
  readonly elbv2: Elbv2Client
  readonly #backend: CloudBackend

  constructor(backend: CloudBackend) {
    this.#backend = backend
    this.clock = new CloudClock(backend.clock)
    this.events = new CloudEvents(backend.events)
    this.batch = new BatchClient(backend.batch)
    this.ecs = new EcsClient(backend.ecs)
    this.acm = new AcmClient(backend.acm)
    this.registry = new RegistryClient(backend.registry)
    this.iam = new IamClient(backend.iam)
    this.audit = new AuditClient(backend.audit)
    this.logs = backend.logs
    this.elbv2 = new Elbv2Client(backend.elbv2)
  }

  /** host:port of the engine's HTTP endpoint (the registry is under /v2/, the wire API beside it). */
  get endpoint(): string {
    return this.#backend.endpoint
  }

  /** Embedded: stops the engine. Remote: closes the connections (the engine keeps running). */
  async close(): Promise<void> {
    await this.#backend.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/** The whole cloud in this process (`Stratus.embedded()`): `.engine` reaches every part of it. */
export class Stratus extends StratusClient {
  readonly engine: Engine

  private constructor(engine: Engine) {
    super(embeddedBackend(engine))
    this.engine = engine
  }

  /** The whole cloud in this process. */
  static async embedded(options: EmbeddedOptions = {}): Promise<Stratus> {
    return new Stratus(await Engine.start(options))
  }

  /**
   * The cloud of a running engine, over its wire API (`http://127.0.0.1:4750`): the same SDK,
   * SigV4-signed with `credentials` (default test/test) for `region` (default us-east-1).
   */
  static async connect(url: string, options: ConnectOptions = {}): Promise<StratusClient> {
    return new StratusClient(await connectBackend(url, options))
  }
}
