// The AWS API router on the engine's endpoint. A request goes through:
//
//   route (X-Amz-Target prefix | restJson1 path | awsQuery Action + SigV4 scope | /stratus/v1/<Op>)
//     → body (size limit) → authenticate (SigV4 → Principal) → operation lookup
//     → decode (JSON / form, timestamps, blobs; required members)
//     → authorize (IAM, once per resource) → call → encode → audit (one record)
//
// Errors from every step are mapped in one place per protocol (respond.ts,
// errors.ts and each table's error()). Without an authenticator every call is
// the account's root; without an authorizer everything is allowed; without an
// audit sink nothing is recorded.

import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { anonymousPrincipal, rootPrincipal, type Principal } from '../iam/principal.js'
import type { Partition } from '../aws/partition.js'
import type { Operation, Protocol, ServiceTable, WireError } from './operation.js'
import type { Authenticator, Authorizer, AuditSink, SignedRequest } from './security.js'
import { readBody } from './body.js'
import { RequestContext } from './call-context.js'
import { authorizeCall, auditedInput, auditedOutput } from './authorize.js'
import { RestPaths, bindQuery } from './rest-paths.js'
import { decodeQuery } from './aws-query.js'
import { decodeMembers, missingRequired, parseJsonBody } from './json.js'
import { authWireError, RouterError, serializationError, unknownOperation } from './errors.js'
import { isAsyncIterable, sendError, sendJson, sendQuery, streamNdjson } from './respond.js'
import { credentialScopeService } from './credential-scope.js'

export interface ApiRouterOptions {
  readonly tables: readonly ServiceTable[]
  /** The engine's account, region and partition: the root principal when auth is off, aws:RequestedRegion, audit records. */
  readonly partition: Partition
  readonly authenticator?: Authenticator
  readonly authorizer?: Authorizer
  readonly audit?: AuditSink
  /** Epoch ms, from the engine's clock (aws:CurrentTime, audit times). */
  readonly now?: () => number
  /** Largest request body accepted (default 10 MiB; a table's maxBodyBytes is its own): bigger → 413 RequestEntityTooLargeException. */
  readonly maxBodyBytes?: number
  /** Told once per answered call (the request log of `stratus serve`): never throws into the router. */
  readonly onCall?: (call: CallSummary) => void
}

/** One call as the request log shows it. */
export interface CallSummary {
  readonly service: string
  readonly operation: string
  readonly status: number
  /** Wall time from the request's arrival to the answer, in milliseconds. */
  readonly ms: number
  readonly principal: string
  readonly requestId: string
  readonly errorCode?: string
}

const DEFAULT_MAX_BODY = 10 * 1024 * 1024

interface Mounted {
  readonly table: ServiceTable
  readonly ops: ReadonlyMap<string, Operation>
  /** A name for messages: the target prefix, signing name or path. */
  readonly label: string
}

/** Where a request goes, from its request line and headers (the body is not read yet). */
interface Route {
  readonly protocol: Protocol
  readonly mounted?: Mounted
  readonly opName?: string
  readonly op?: Operation
  readonly labels?: Record<string, string>
}

export class ApiRouter {
  readonly #byTarget = new Map<string, Mounted>()
  readonly #queryBySigning = new Map<string, Mounted>()
  readonly #queryByAction = new Map<string, Mounted>()
  readonly #rest: RestPaths
  readonly #restMounted = new Map<ServiceTable, Mounted>()
  #stratus: Mounted | undefined
  readonly #tables: readonly ServiceTable[]
  readonly #partition: Partition
  readonly #authenticator: Authenticator | undefined
  readonly #authorizer: Authorizer | undefined
  readonly #audit: AuditSink | undefined
  readonly #now: () => number
  readonly #maxBody: number
  readonly #onCall: ((call: CallSummary) => void) | undefined
  readonly #root: Principal
  readonly #anonymous: Principal

  constructor(options: ApiRouterOptions) {
    this.#tables = options.tables
    this.#partition = options.partition
    this.#authenticator = options.authenticator
    this.#authorizer = options.authorizer
    this.#audit = options.audit
    this.#now = options.now ?? Date.now
    this.#maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY
    this.#onCall = options.onCall
    this.#root = Object.freeze(rootPrincipal(options.partition.accountId, options.partition.partition))
    this.#anonymous = Object.freeze(anonymousPrincipal(options.partition.accountId))
    for (const table of options.tables) {
      const ops = new Map(table.operations.map((op) => [op.name, op]))
      switch (table.protocol) {
        case 'awsJson1_1':
          for (const target of table.targets ?? []) {
            if (this.#byTarget.has(target)) throw new Error(`two tables answer X-Amz-Target ${target}`)
            this.#byTarget.set(target, { table, ops, label: target })
          }
          break
        case 'awsQuery': {
          const mounted = { table, ops, label: table.signingName }
          this.#queryBySigning.set(table.signingName, mounted)
          for (const name of ops.keys()) if (!this.#queryByAction.has(name)) this.#queryByAction.set(name, mounted)
          break
        }
        case 'restJson1':
          this.#restMounted.set(table, { table, ops, label: table.signingName })
          break
        case 'stratusJson':
          this.#stratus = { table, ops, label: 'stratus' }
          break
      }
    }
    this.#rest = new RestPaths(options.tables)
  }

  /** The tables mounted, in registration order (for the start-up banner). */
  get tables(): readonly ServiceTable[] {
    return this.#tables
  }

  /** Handles any request the endpoint's other routes did not take. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    void this.#serve(req, res)
  }

  #route(method: string, rawPath: string, req: IncomingMessage): Route | RouterError {
    if (rawPath === '/' && method === 'POST') {
      const target = req.headers['x-amz-target']
      if (typeof target === 'string') {
        const dot = target.lastIndexOf('.')
        const prefix = dot < 0 ? target : target.slice(0, dot)
        const opName = dot < 0 ? '' : target.slice(dot + 1)
        const mounted = this.#byTarget.get(prefix)
        if (mounted === undefined) return unknownOperation(`no service with X-Amz-Target prefix ${prefix}:`, opName || target)
        return { protocol: 'awsJson1_1', mounted, opName, op: mounted.ops.get(opName) }
      }
      const type = req.headers['content-type']
      if (typeof type === 'string' && type.startsWith('application/x-www-form-urlencoded')) return { protocol: 'awsQuery' }
      return unknownOperation('POST / without X-Amz-Target or an awsQuery Action:', 'none')
    }
    if (rawPath.startsWith('/stratus/v1/') && this.#stratus !== undefined) {
      const opName = rawPath.slice('/stratus/v1/'.length)
      if (method !== 'POST') return new RouterError('InvalidArgument', 'MethodNotAllowed', { type: 'UnknownOperationException', status: 405, message: `${method} ${rawPath}: the /stratus/ API takes POST` })
      return { protocol: 'stratusJson', mounted: this.#stratus, opName, op: this.#stratus.ops.get(opName) }
    }
    const match = this.#rest.match(method, rawPath)
    if (match !== undefined) return { protocol: 'restJson1', mounted: this.#restMounted.get(match.table), opName: match.op.name, op: match.op, labels: match.labels }
    if (rawPath.startsWith('/v1/')) return unknownOperation('AWS Batch', `${method} ${rawPath}`)
    return new RouterError('NotFound', 'NoRoute', { type: 'NotFoundException', status: 404, message: `no route for ${method} ${rawPath} (the registry is under /v2/, the health document at GET /health, the AWS APIs at POST / and /v1/)` })
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID()
    const started = this.#onCall === undefined ? 0 : performance.now()
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const rawPath = q < 0 ? url : url.slice(0, q)
    const rawQuery = q < 0 ? '' : url.slice(q + 1)
    const method = req.method ?? 'GET'
    const routed = this.#route(method, rawPath, req)
    if (routed instanceof RouterError) {
      req.resume()
      sendError(res, 'restJson1', requestId, routed.wire, routed)
      this.#refusedAtRouting(req, res, method, rawPath, rawQuery, routed, requestId, started)
      return
    }
    let { protocol, mounted, opName, op } = routed
    const ctx = new RequestContext(req, res, requestId, this.#root)
    let input: Record<string, unknown> | undefined
    let output: unknown
    let failure: unknown
    let wire: WireError | undefined
    try {
      const body = await readBody(req, mounted?.table.maxBodyBytes ?? this.#maxBody)
      const signed: SignedRequest = { method, rawPath, rawQuery, rawHeaders: req.rawHeaders, body }
      if (protocol === 'awsQuery') {
        const decoded = decodeQuery(body.toString('utf8'))
        opName = decoded.action ?? ''
        const service = this.#authenticator?.signingService(signed) ?? credentialScopeService(req.headers.authorization, rawQuery)
        mounted = (service === undefined ? undefined : this.#queryBySigning.get(service)) ?? this.#queryByAction.get(opName)
        if (mounted === undefined) throw unknownOperation(service === undefined ? 'awsQuery' : `awsQuery service ${service}`, opName || '(no Action)')
        op = mounted.ops.get(opName)
        input = decoded.input
      }
      if (this.#authenticator !== undefined) {
        try {
          ctx.principal = this.#authenticator.authenticate(signed, { service: mounted!.table.signingName })
        } catch (err) {
          ctx.principal = this.#anonymous
          throw err
        }
      }
      if (op === undefined) throw unknownOperation(mounted!.label, opName || '(none)')
      if (protocol !== 'awsQuery') {
        try {
          input = parseJsonBody(body)
        } catch (err) {
          throw serializationError(`the request body is not valid JSON: ${(err as Error).message}`)
        }
        if (routed.labels !== undefined) Object.assign(input, routed.labels)
        if (protocol === 'restJson1') bindQuery(op, rawQuery, input)
        decodeMembers(op, input)
      }
      const missing = missingRequired(op, input!)
      if (missing !== undefined) {
        throw new RouterError('InvalidArgument', 'MissingRequiredMember', mounted!.table.invalid(missing, `${missing} is required (${opName})`), { field: missing })
      }
      // Authentication off: nothing is refused (as the peers do), so no policy is evaluated nor a resource's tags read.
      if (this.#authorizer !== undefined && this.#authenticator?.mode !== 'off') await authorizeCall(this.#authorizer, mounted!.table, op, input, ctx, this.#now(), this.#partition.region)
      output = await op.call(input, ctx)
      if (protocol === 'stratusJson' && isAsyncIterable(output)) {
        const table = mounted!.table
        await streamNdjson(res, requestId, output, (err) => this.#wireOf(err, table, 'stratusJson'))
        output = null
      } else if (protocol === 'awsQuery') {
        sendQuery(res, opName!, mounted!.table.query?.xmlns ?? '', requestId, output)
      } else {
        sendJson(res, protocol, requestId, output, mounted!.table.plainJson === true)
      }
    } catch (err) {
      failure = err
      wire = this.#wireOf(err, mounted?.table, protocol)
      if (!res.headersSent) {
        if (!req.complete) req.resume()
        sendError(res, protocol, requestId, wire, err, mounted?.table.query?.xmlns)
      }
    }
    if (this.#audit !== undefined && mounted !== undefined && opName !== undefined && opName !== '') {
      this.#record(mounted.table, opName, op, input, output, ctx, failure === undefined ? undefined : wire)
    }
    if (this.#onCall !== undefined) {
      this.#told(started, mounted?.table.signingName ?? '-', opName || '-', failure === undefined ? undefined : wire, ctx.principal.arn || 'anonymous', requestId)
    }
  }

  /**
   * A request no table took is still a call someone made: the request log gets
   * it with its service when the path (/v1/ is Batch's, /stratus/ Stratus's)
   * or the credential scope names one, and the audit trail records it then
   * (unverified: with auth off the key's principal or root, as for every
   * call; with auth iam anonymous, as for any call refused before authentication).
   */
  #refusedAtRouting(req: IncomingMessage, res: ServerResponse, method: string, rawPath: string, rawQuery: string, err: RouterError, requestId: string, started: number): void {
    const scope = credentialScopeService(req.headers.authorization, rawQuery)
    const table = rawPath.startsWith('/stratus/') ? this.#stratus?.table
      : rawPath.startsWith('/v1/') ? this.#tables.find((t) => t.signingName === 'batch')
        : this.#tables.find((t) => t.signingName === scope)
    const service = table?.signingName ?? scope
    const target = req.headers['x-amz-target']
    const eventName = typeof target === 'string' ? target.slice(target.lastIndexOf('.') + 1) || target
      : rawPath.startsWith('/stratus/v1/') ? rawPath.slice('/stratus/v1/'.length) : `${method} ${rawPath}`
    // With auth off the authenticator never verifies (the body is not needed): the key's principal, else root.
    let principal = this.#authenticator === undefined ? this.#root : this.#anonymous
    if (this.#authenticator?.mode === 'off') {
      try {
        principal = this.#authenticator.authenticate({ method, rawPath, rawQuery, rawHeaders: req.rawHeaders, body: Buffer.alloc(0) })
      } catch {
        // stays anonymous
      }
    }
    this.#told(started, service ?? '-', eventName, err.wire, principal.arn || 'anonymous', requestId)
    if (this.#audit === undefined || service === undefined) return
    const ctx = new RequestContext(req, res, requestId, principal)
    try {
      this.#audit.record({
        time: this.#now(), eventSource: table?.eventSource ?? `${service}.amazonaws.com`, eventName, region: this.#partition.region,
        sourceIp: ctx.sourceIp, userAgent: ctx.userAgent, principal, requestParameters: null, responseElements: null,
        errorCode: err.wire.type, errorMessage: err.wire.message, requestId, readOnly: false
      })
    } catch {
      // The audit sink's failure does not change the answer already sent.
    }
  }

  #told(started: number, service: string, operation: string, wire: WireError | undefined, principal: string, requestId: string): void {
    if (this.#onCall === undefined) return
    try {
      this.#onCall({
        service, operation, status: wire?.status ?? 200, ms: performance.now() - started, principal, requestId,
        ...(wire !== undefined ? { errorCode: wire.type } : {})
      })
    } catch {
      // a log line's failure does not change the answer
    }
  }

  #wireOf(err: unknown, table: ServiceTable | undefined, protocol: Protocol): WireError {
    if (err instanceof RouterError) return err.wire
    const auth = authWireError(err, protocol)
    if (auth !== undefined) return auth
    if (table !== undefined) {
      try {
        return table.error(err)
      } catch {
        // a table's mapping must not hide the error
      }
    }
    return { type: 'InternalFailure', status: 500, message: err instanceof Error ? err.message : String(err) }
  }

  #record(table: ServiceTable, opName: string, op: Operation | undefined, input: Record<string, unknown> | undefined, output: unknown, ctx: RequestContext, wire: WireError | undefined): void {
    const readOnly = op?.readOnly ?? false
    try {
      this.#audit!.record({
        time: this.#now(), eventSource: table.eventSource, eventName: opName, region: this.#partition.region,
        sourceIp: ctx.sourceIp, userAgent: ctx.userAgent, principal: ctx.principal,
        requestParameters: op === undefined ? (input ?? null) : auditedInput(op, input),
        responseElements: readOnly || wire !== undefined || output === undefined ? null : auditedOutput(op, output),
        ...(wire !== undefined ? { errorCode: wire.type, errorMessage: wire.message } : {}),
        requestId: ctx.requestId, readOnly
      })
    } catch {
      // The audit sink's failure does not change the answer already sent.
    }
  }
}
