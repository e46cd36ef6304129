// The entry point: `await using cloud = await Stratus.embedded()` starts the
// whole engine in-process (Batch, the registry, one loopback HTTP endpoint)
// in milliseconds; `cloud.clock.advance(ms)` fast-forwards a manual clock.

import { Engine, InvalidArgumentError, ManualClock, type CloudEvent, type EngineOptions, type EventPattern } from '../runtime/index.js'
import { BatchClient } from './batch.js'
import { RegistryClient } from './registry.js'

export interface EmbeddedOptions extends EngineOptions {}

export class CloudClock {
  readonly #engine: Engine

  constructor(engine: Engine) {
    this.#engine = engine
  }

  get kind(): 'real' | 'manual' {
    return this.#engine.clock.kind
  }

  /** Milliseconds since the epoch, on the engine's clock. */
  now(): number {
    return this.#engine.clock.now()
  }

  /** Moves a manual clock forward, firing every timer due on the way (timeouts, retries, purges…). */
  async advance(ms: number): Promise<void> {
    const clock = this.#engine.clock
    if (!(clock instanceof ManualClock)) {
      throw new InvalidArgumentError('ClockNotManual', 'advance() needs Stratus.embedded({ clock: "manual" })', { field: 'clock' })
    }
    await clock.advance(ms)
  }
}

export class CloudEvents {
  readonly #engine: Engine

  constructor(engine: Engine) {
    this.#engine = engine
  }

  /** Calls handler with every event (EventBridge shape) matching an EventBridge pattern; returns unsubscribe. */
  subscribe(pattern: EventPattern, handler: (event: CloudEvent) => void | Promise<void>): () => void {
    return this.#engine.events.subscribe(pattern, handler)
  }
}

export class Stratus implements AsyncDisposable {
  readonly engine: Engine
  readonly clock: CloudClock
  readonly events: CloudEvents
  readonly batch: BatchClient
  readonly registry: RegistryClient

  private constructor(engine: Engine) {
    this.engine = engine
    this.clock = new CloudClock(engine)
    this.events = new CloudEvents(engine)
    this.batch = new BatchClient(engine.batch)
    this.registry = new RegistryClient(engine.registry)
  }

  /** The whole cloud in this process. */
  static async embedded(options: EmbeddedOptions = {}): Promise<Stratus> {
    return new Stratus(await Engine.start(options))
  }

  /** host:port of the engine's HTTP endpoint (the registry is under /v2/). */
  get endpoint(): string {
    return this.engine.endpoint
  }

  async close(): Promise<void> {
    await this.engine.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
