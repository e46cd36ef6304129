// The events part of the SDK: subscribe in-process (`cloud.events.subscribe(pattern, handler)`),
// and EventBridge's rules delivering at least once to HTTP endpoints on loopback:
//
//   const conn = await cloud.events.connection('hooks').apiKey('x-api-key', key).create()
//   const dest = await cloud.events.apiDestination('hook').connection(conn).endpoint(url).create()
//   const rule = await cloud.events.rule('done').pattern({ source: ['aws.batch'] }).create()
//   await rule.target('hook', dest, { retry: { attempts: 3 } })
//   for (const letter of await cloud.events.deadLetters()) …
//
// over the events service interface (runtime/events) — embedded or remote.
// Builders hold a frozen spec and return a new builder from each call.

import { InvalidArgumentError } from '../runtime/index.js'
import type {
  CloudEvent, DeadLetter, EventBridgeService, EventPattern, EventRule, EventTarget, HttpMethod, InputTransformer, PutEventsResultEntry
} from '../runtime/index.js'
import type { EventsService, Subscription } from './services.js'


/** A connection: how calls to its API destinations are authorized. */
export class ConnectionHandle {
  constructor(readonly arn: string, readonly name: string, readonly service: EventBridgeService) {}
  describe() { return this.service.describeConnection({ Name: this.name }) }
  async delete(): Promise<void> { await this.service.deleteConnection({ Name: this.name }) }
}

interface ConnectionSpec { name: string; auth?: Parameters<EventBridgeService['createConnection']>[0]['AuthParameters']; type?: 'API_KEY' | 'BASIC' | 'OAUTH_CLIENT_CREDENTIALS'; description?: string }

export class ConnectionBuilder {
  readonly #spec: Readonly<ConnectionSpec>
  readonly #service: EventBridgeService

  constructor(service: EventBridgeService, spec: ConnectionSpec) {
    this.#service = service
    this.#spec = Object.freeze(spec)
  }

  #with(change: Partial<ConnectionSpec>): ConnectionBuilder {
    return new ConnectionBuilder(this.#service, { ...this.#spec, ...change })
  }

  /** Every call carries header `name: value`. */
  apiKey(name: string, value: string): ConnectionBuilder {
    return this.#with({ type: 'API_KEY', auth: { ApiKeyAuthParameters: { ApiKeyName: name, ApiKeyValue: value } } })
  }

  /** Every call carries `Authorization: Basic …`. */
  basic(username: string, password: string): ConnectionBuilder {
    return this.#with({ type: 'BASIC', auth: { BasicAuthParameters: { Username: username, Password: password } } })
  }

  /** A bearer token from an OAuth client-credentials endpoint on loopback (fetched, cached until it expires). */
  oauth(endpoint: string, clientId: string, clientSecret: string, method: 'GET' | 'POST' | 'PUT' = 'POST'): ConnectionBuilder {
    return this.#with({ type: 'OAUTH_CLIENT_CREDENTIALS', auth: { OAuthParameters: { AuthorizationEndpoint: endpoint, HttpMethod: method, ClientParameters: { ClientID: clientId, ClientSecret: clientSecret } } } })
  }

  description(text: string): ConnectionBuilder {
    return this.#with({ description: text })
  }

  async create(): Promise<ConnectionHandle> {
    const s = this.#spec
    if (s.type === undefined || s.auth === undefined) throw new InvalidArgumentError('ValidationException', 'AuthorizationType: choose apiKey(), basic() or oauth() before create()', { field: 'AuthorizationType' })
    const out = await this.#service.createConnection({ Name: s.name, AuthorizationType: s.type, AuthParameters: s.auth, ...(s.description ? { Description: s.description } : {}) })
    return new ConnectionHandle(out.ConnectionArn, s.name, this.#service)
  }

  /** The connection of this name, as it is. */
  async get(): Promise<ConnectionHandle> {
    const d = await this.#service.describeConnection({ Name: this.#spec.name })
    return new ConnectionHandle(d.ConnectionArn, this.#spec.name, this.#service)
  }
}

/** An API destination: an HTTP endpoint on loopback, called with its connection's authorization. */
export class ApiDestinationHandle {
  constructor(readonly arn: string, readonly name: string, readonly service: EventBridgeService) {}
  describe() { return this.service.describeApiDestination({ Name: this.name }) }
  async update(change: { endpoint?: string; method?: HttpMethod; rateLimitPerSecond?: number }): Promise<void> {
    await this.service.updateApiDestination({
      Name: this.name, ...(change.endpoint ? { InvocationEndpoint: change.endpoint } : {}), ...(change.method ? { HttpMethod: change.method } : {}),
      ...(change.rateLimitPerSecond !== undefined ? { InvocationRateLimitPerSecond: change.rateLimitPerSecond } : {})
    })
  }
  async delete(): Promise<void> { await this.service.deleteApiDestination({ Name: this.name }) }
}

interface DestinationSpec { name: string; connection?: string; endpoint?: string; method: HttpMethod; rate?: number; description?: string }

export class ApiDestinationBuilder {
  readonly #spec: Readonly<DestinationSpec>
  readonly #service: EventBridgeService

  constructor(service: EventBridgeService, spec: DestinationSpec) {
    this.#service = service
    this.#spec = Object.freeze(spec)
  }

  #with(change: Partial<DestinationSpec>): ApiDestinationBuilder {
    return new ApiDestinationBuilder(this.#service, { ...this.#spec, ...change })
  }

  connection(connection: ConnectionHandle | string): ApiDestinationBuilder {
    return this.#with({ connection: typeof connection === 'string' ? connection : connection.arn })
  }

  /** An http(s) URL on loopback (127.0.0.0/8 or localhost); `*` in its path is filled from a target's path parameters. */
  endpoint(url: string): ApiDestinationBuilder {
    return this.#with({ endpoint: url })
  }

  method(method: HttpMethod): ApiDestinationBuilder {
    return this.#with({ method })
  }

  /** Most calls per second (default 300, as EventBridge). */
  rateLimit(perSecond: number): ApiDestinationBuilder {
    return this.#with({ rate: perSecond })
  }

  description(text: string): ApiDestinationBuilder {
    return this.#with({ description: text })
  }

  async create(): Promise<ApiDestinationHandle> {
    const s = this.#spec
    const out = await this.#service.createApiDestination({
      Name: s.name, ...(s.connection ? { ConnectionArn: s.connection } : {}), ...(s.endpoint ? { InvocationEndpoint: s.endpoint } : {}), HttpMethod: s.method,
      ...(s.rate !== undefined ? { InvocationRateLimitPerSecond: s.rate } : {}), ...(s.description ? { Description: s.description } : {})
    })
    return new ApiDestinationHandle(out.ApiDestinationArn, s.name, this.#service)
  }
}

export interface TargetOptions {
  /** Constant JSON text sent instead of the event. */
  input?: string
  /** The part of the event to send (`$.detail`). */
  inputPath?: string
  /** Values picked from the event (`{ status: '$.detail.status' }`) put into a template (`'{"s": <status>}'`). */
  inputTransformer?: { paths?: Record<string, string>; template: string }
  /** RetryPolicy: attempts 0-185 (default 185), maxAgeSeconds 60-86400 (default 86400). */
  retry?: { attempts?: number; maxAgeSeconds?: number }
  /** Recorded with each dead letter (the dead letters are kept by the engine: `cloud.events.deadLetters()`). */
  deadLetterArn?: string
}

/** A rule on the default event bus. */
export class RuleHandle {
  constructor(readonly arn: string, readonly name: string, readonly service: EventBridgeService) {}

  describe(): Promise<EventRule> { return this.service.describeRule({ Name: this.name }) }
  async enable(): Promise<void> { await this.service.enableRule({ Name: this.name }) }
  async disable(): Promise<void> { await this.service.disableRule({ Name: this.name }) }
  /**
   * Refused while targets remain (remove them first), as EventBridge; `force` is EventBridge's
   * Force, which only concerns managed rules (Stratus has none): it removes no target.
   */
  async delete(options: { force?: boolean } = {}): Promise<void> { await this.service.deleteRule({ Name: this.name, ...(options.force ? { Force: true } : {}) }) }

  /** Adds (or replaces) target `id`: events the rule matches go to the API destination. Refused targets throw, naming why. */
  async target(id: string, destination: ApiDestinationHandle | string, options: TargetOptions = {}): Promise<void> {
    const tr: InputTransformer | undefined = options.inputTransformer === undefined ? undefined
      : { InputTemplate: options.inputTransformer.template, ...(options.inputTransformer.paths ? { InputPathsMap: options.inputTransformer.paths } : {}) }
    const target: EventTarget = {
      Id: id, Arn: typeof destination === 'string' ? destination : destination.arn,
      ...(options.input !== undefined ? { Input: options.input } : {}), ...(options.inputPath !== undefined ? { InputPath: options.inputPath } : {}),
      ...(tr ? { InputTransformer: tr } : {}),
      ...(options.retry ? { RetryPolicy: { ...(options.retry.attempts !== undefined ? { MaximumRetryAttempts: options.retry.attempts } : {}), ...(options.retry.maxAgeSeconds !== undefined ? { MaximumEventAgeInSeconds: options.retry.maxAgeSeconds } : {}) } } : {}),
      ...(options.deadLetterArn ? { DeadLetterConfig: { Arn: options.deadLetterArn } } : {})
    }
    const out = await this.service.putTargets({ Rule: this.name, Targets: [target] })
    const [failed] = out.FailedEntries
    if (failed !== undefined) throw new InvalidArgumentError(failed.ErrorCode, `target ${id}: ${failed.ErrorMessage}`, { field: 'Targets[0].Arn' })
  }

  async removeTarget(id: string): Promise<void> {
    const out = await this.service.removeTargets({ Rule: this.name, Ids: [id] })
    const [failed] = out.FailedEntries
    if (failed !== undefined) throw new InvalidArgumentError(failed.ErrorCode, failed.ErrorMessage, { field: 'Ids[0]' })
  }

  async targets(): Promise<EventTarget[]> {
    const out: EventTarget[] = []
    let NextToken: string | undefined
    do {
      const page = await this.service.listTargetsByRule({ Rule: this.name, ...(NextToken ? { NextToken } : {}) })
      out.push(...page.Targets)
      NextToken = page.NextToken
    } while (NextToken !== undefined)
    return out
  }
}

interface RuleSpec { name: string; pattern?: EventPattern; state: 'ENABLED' | 'DISABLED'; description?: string; tags?: Record<string, string> }

export class RuleBuilder {
  readonly #spec: Readonly<RuleSpec>
  readonly #service: EventBridgeService

  constructor(service: EventBridgeService, spec: RuleSpec) {
    this.#service = service
    this.#spec = Object.freeze(spec)
  }

  #with(change: Partial<RuleSpec>): RuleBuilder {
    return new RuleBuilder(this.#service, { ...this.#spec, ...change })
  }

  /** The EventBridge pattern events must match. */
  pattern(pattern: EventPattern): RuleBuilder { return this.#with({ pattern }) }
  description(text: string): RuleBuilder { return this.#with({ description: text }) }
  disabled(): RuleBuilder { return this.#with({ state: 'DISABLED' }) }
  tags(tags: Record<string, string>): RuleBuilder { return this.#with({ tags }) }

  /** Creates the rule, or updates the rule of this name (as PutRule does). */
  async create(): Promise<RuleHandle> {
    const s = this.#spec
    const out = await this.#service.putRule({
      Name: s.name, State: s.state, ...(s.pattern ? { EventPattern: JSON.stringify(s.pattern) } : {}), ...(s.description ? { Description: s.description } : {}),
      ...(s.tags ? { Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })) } : {})
    })
    return new RuleHandle(out.RuleArn, s.name, this.#service)
  }

  /** The rule of this name, as it is. */
  async get(): Promise<RuleHandle> {
    const r = await this.#service.describeRule({ Name: this.#spec.name })
    return new RuleHandle(r.Arn, r.Name, this.#service)
  }
}

export interface CustomEvent { source: string; detailType: string; detail: unknown; resources?: string[]; time?: Date }

export class CloudEvents {
  readonly #events: EventsService
  /** EventBridge's operations in its own shapes (PutRule, PutTargets, …), for what the builders do not cover. */
  readonly api: EventBridgeService

  constructor(events: EventsService) {
    this.#events = events
    this.api = events.bridge
  }

  /**
   * Calls handler with every event (EventBridge shape) matching an EventBridge pattern.
   * Returns the unsubscribe function; its `ready` resolves once events flow (at once
   * in this process; remotely once the server holds the subscription).
   */
  subscribe(pattern: EventPattern, handler: (event: CloudEvent) => void | Promise<void>): Subscription {
    return this.#events.subscribe(pattern, handler)
  }

  rule(name: string): RuleBuilder {
    return new RuleBuilder(this.api, { name, state: 'ENABLED' })
  }

  connection(name: string): ConnectionBuilder {
    return new ConnectionBuilder(this.api, { name })
  }

  apiDestination(name: string): ApiDestinationBuilder {
    return new ApiDestinationBuilder(this.api, { name, method: 'POST' })
  }

  /** Custom events to the default bus (PutEvents, 10 per call): each entry's EventId or error, in order. */
  async put(...events: CustomEvent[]): Promise<PutEventsResultEntry[]> {
    const out: PutEventsResultEntry[] = []
    for (let i = 0; i < events.length; i += 10) {
      const Entries = events.slice(i, i + 10).map((e) => ({
        Source: e.source, DetailType: e.detailType, Detail: JSON.stringify(e.detail), ...(e.resources ? { Resources: e.resources } : {}), ...(e.time ? { Time: e.time } : {})
      }))
      out.push(...(await this.api.putEvents({ Entries })).Entries)
    }
    return out
  }

  /** Does the event match the pattern (TestEventPattern)? */
  async test(pattern: EventPattern, event: CloudEvent | Record<string, unknown>): Promise<boolean> {
    return (await this.api.testEventPattern({ EventPattern: JSON.stringify(pattern), Event: JSON.stringify(event) })).Result
  }

  /** Every rule (or those whose name starts with prefix). */
  async rules(prefix?: string): Promise<EventRule[]> {
    const out: EventRule[] = []
    let NextToken: string | undefined
    do {
      const page = await this.api.listRules({ ...(prefix ? { NamePrefix: prefix } : {}), ...(NextToken ? { NextToken } : {}) })
      out.push(...page.Rules)
      NextToken = page.NextToken
    } while (NextToken !== undefined)
    return out
  }

  /** The events delivery gave up on, oldest first, with EventBridge's DLQ attributes (ERROR_CODE, RULE_ARN, …). */
  async deadLetters(filter: { rule?: string; targetId?: string } = {}): Promise<DeadLetter[]> {
    const out: DeadLetter[] = []
    let NextToken: string | undefined
    do {
      const page = await this.api.listDeadLetters({ ...(filter.rule ? { Rule: filter.rule } : {}), ...(filter.targetId ? { TargetId: filter.targetId } : {}), ...(NextToken ? { NextToken } : {}) })
      out.push(...page.DeadLetters)
      NextToken = page.NextToken
    } while (NextToken !== undefined)
    return out
  }
}

