import type { IncomingMessage, ServerResponse } from 'node:http'
import { ociError, RegistryError } from '../errors.js'
import { checkWireName } from '../names.js'
import type { Distribution } from '../content/distribution.js'
import type { RepositoryState } from '../content/repository.js'
import { pullScopes, TOKEN_PATH, type Authenticator, type Principal } from '../auth/authenticator.js'
import { sendJson, type RequestContext } from './context.js'
import { actionOf, requestParametersOf, type RegistryAudit, type RegistryAuthorize } from '../auth/authorize.js'
import { sendError } from './wire-errors.js'
import { deleteBlob, getBlob } from './blobs.js'
import { cancelUpload, patchUpload, putUpload, startUpload, uploadStatus } from './uploads.js'
import { deleteManifest, getManifest, putManifest } from './manifests.js'
import { catalog, listTags, referrers } from './listing.js'

/**
 * The /v2/ API: one table of routes, each a path pattern and a handler per method.
 *
 * Repository names contain `/`, so patterns match from the end of the path. For each
 * request the router authenticates (when auth is on), resolves the repository (a push
 * that may create it gets its name and creates it itself, see `CreatingHandler`), runs the
 * handler and turns any error into the spec's error body.
 */
type Access = 'pull' | 'push'
type RepoHandler = (ctx: RequestContext, state: RepositoryState, param: string) => Promise<void> | void
/**
 * A push that may create the repository gets its name, not its state: it checks its input
 * first and creates the repository (`Distribution.repositoryForPush`) only when the push
 * can land, so a refused push leaves no empty repository behind.
 */
type CreatingHandler = (ctx: RequestContext, name: string, param: string) => Promise<void> | void

type MethodSpec =
  | { readonly access: Access, readonly create: false, readonly handler: RepoHandler }
  | { readonly access: 'push', readonly create: true, readonly handler: CreatingHandler }

interface RepoRoute {
  /** What the route is, for the ECR action it needs (auth/authorize.ts). */
  readonly kind: Parameters<typeof actionOf>[0]
  readonly pattern: RegExp
  readonly methods: Readonly<Record<string, MethodSpec>>
}

const pull = (handler: RepoHandler): MethodSpec => ({ access: 'pull', create: false, handler })
const push = (handler: RepoHandler): MethodSpec => ({ access: 'push', create: false, handler })
const pushCreating = (handler: CreatingHandler): MethodSpec => ({ access: 'push', create: true, handler })

const ROUTES: readonly RepoRoute[] = [
  {
    kind: 'manifests',
    pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/,
    methods: { GET: pull(getManifest), HEAD: pull(getManifest), PUT: pushCreating(putManifest), DELETE: push(deleteManifest) }
  },
  {
    kind: 'uploads-start',
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/?()$/,
    methods: { POST: pushCreating((ctx, name) => startUpload(ctx, name)) }
  },
  {
    kind: 'uploads',
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
    methods: { GET: push(uploadStatus), PATCH: push(patchUpload), PUT: push(putUpload), DELETE: push(cancelUpload) }
  },
  {
    kind: 'blobs',
    pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/,
    methods: { GET: pull(getBlob), HEAD: pull(getBlob), DELETE: push(deleteBlob) }
  },
  { kind: 'tags', pattern: /^\/v2\/(.+)\/tags\/list$/, methods: { GET: pull(listTags) } },
  { kind: 'referrers', pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/, methods: { GET: pull(referrers) } }
]

export interface RouterOptions {
  distribution: Distribution
  auth: Authenticator
  /** Called with errors that are not the client's fault (500s). */
  onInternalError: (err: unknown) => void
  /** Asked for every request made with a principal-bound token when auth is on (auth/authorize.ts). */
  authorize?: RegistryAuthorize
  /** Told once per request made with a principal-bound token when auth is on, allowed or denied (auth/authorize.ts). */
  audit?: RegistryAudit
  /** A repository's ARN (for authorize). */
  repositoryArn: (name: string) => string
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void

/** The client's address as IAM's aws:SourceIp takes it (IPv4-mapped IPv6 as IPv4). */
function sourceIpOf (req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? ''
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip
}

function decode (segment: string | undefined): string {
  if (segment === undefined) return ''
  if (!segment.includes('%')) return segment
  try { return decodeURIComponent(segment) } catch { return segment }
}

const NO_QUERY = new URLSearchParams()

/** 405 with the `Allow` header RFC 9110 requires, listing what the path does support. */
function methodNotAllowed (method: string, allowed: readonly string[]): Error {
  return Object.assign(ociError('UNSUPPORTED', `${method} is not supported here (allowed: ${allowed.join(', ')})`, { status: 405 }), {
    headers: { Allow: allowed.join(', ') }
  })
}

// Names already validated (the grammar check is a regex; hot paths repeat the same names).
const validNames = new Set<string>()
function checkName (name: string): string {
  if (validNames.has(name)) return name
  checkWireName(name)
  if (validNames.size > 10_000) validNames.clear()
  validNames.add(name)
  return name
}

export function createRouter (options: RouterOptions): RequestHandler {
  const { distribution, auth } = options

  /**
   * GET /v2/token (distribution's token flow): credentials get a token for everything;
   * no credentials get a pull grant on the requested repositories that allow anonymous pulls.
   */
  function issueToken (ctx: RequestContext): void {
    const header = ctx.req.headers.authorization
    let token: { token: string, expiresAt: number }
    if (header !== undefined && !/^bearer /i.test(header)) {
      if (ctx.principal === undefined || ctx.principal.pullOnly !== undefined) {
        throw Object.assign(ociError('UNAUTHORIZED', 'invalid credentials'), { headers: { 'WWW-Authenticate': 'Basic realm="Stratus Registry"' } })
      }
      token = auth.issueToken(undefined, ctx.principal.principalArn)
    } else if (ctx.principal !== undefined && ctx.principal.pullOnly === undefined) {
      token = auth.issueToken(undefined, ctx.principal.principalArn)
    } else {
      const names = pullScopes(ctx.query.getAll('scope'))
      token = auth.issueToken(names.filter((name) => distribution.repositories.meta(name)?.allowAnonymousPull === true))
    }
    const issuedAt = new Date(token.expiresAt - auth.tokenTtlMs).toISOString()
    sendJson(ctx, 200, { token: token.token, access_token: token.token, expires_in: Math.floor(auth.tokenTtlMs / 1000), issued_at: issuedAt })
  }

  async function route (req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const query = q < 0 ? NO_QUERY : new URLSearchParams(url.slice(q + 1))
    let principal: Principal | undefined
    if (auth.enabled) principal = auth.authenticate(req.headers.authorization)
    const ctx: RequestContext = { req, res, method, query, distribution, auth, principal }
    const challenge = (scope?: string): never => {
      throw Object.assign(ociError('UNAUTHORIZED', 'authentication required'), {
        headers: { 'WWW-Authenticate': auth.challenge(req.headers.host, scope) }
      })
    }

    if (path === '/v2/' || path === '/v2') {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(method, ['GET', 'HEAD'])
      if (auth.enabled && principal === undefined) challenge()
      sendJson(ctx, 200, {})
      return
    }
    if (path === TOKEN_PATH && auth.enabled) {
      if (method !== 'GET') throw methodNotAllowed(method, ['GET'])
      issueToken(ctx)
      return
    }
    if (path === '/v2/_catalog') {
      if (method !== 'GET') throw methodNotAllowed(method, ['GET'])
      if (auth.enabled && principal === undefined) challenge('registry:catalog:*')
      if (principal?.pullOnly !== undefined) throw ociError('DENIED', 'requested access to the resource is denied: the catalog needs credentials')
      catalog(ctx)
      return
    }
    for (const route of ROUTES) {
      const m = route.pattern.exec(path)
      if (m === null) continue
      const name = checkName(m[1])
      const param = decode(m[2])
      const spec = route.methods[method]
      if (spec === undefined) throw methodNotAllowed(method, Object.keys(route.methods))
      if (auth.enabled && (principal === undefined || principal.pullOnly !== undefined)) {
        // Anonymous: only pulls, only from repositories that allow them (and, with an
        // anonymous token, only those it was granted).
        const anonymousOk = spec.access === 'pull' &&
          (principal?.pullOnly === undefined || principal.pullOnly.has(name)) &&
          distribution.repositories.meta(name)?.allowAnonymousPull === true
        if (!anonymousOk) {
          // A bearer of an anonymous grant is known and refused (no retry); no credentials: challenge.
          if (principal !== undefined) throw ociError('DENIED', `requested access to the resource is denied: ${spec.access} on ${name} needs credentials`)
          challenge(`repository:${name}:${spec.access === 'pull' ? 'pull' : 'pull,push'}`)
        }
      }
      const run = async (): Promise<void> => {
        if (spec.create) {
          distribution.checkPushTarget(name)
          await spec.handler(ctx, name, param)
        } else {
          await spec.handler(ctx, await distribution.repository(name), param)
        }
      }
      if (!auth.enabled || principal?.principalArn === undefined) {
        await run()
        return
      }
      // A principal-bound token: authorized as the ECR action, then reported once, allowed or denied.
      const principalArn = principal.principalArn
      const action = actionOf(route.kind, method)
      const sourceIp = sourceIpOf(req)
      const userAgent = req.headers['user-agent'] ?? ''
      const report = (error?: unknown): void => {
        if (options.audit === undefined) return
        try {
          options.audit({
            principal: principalArn, action, repositoryName: name, requestParameters: requestParametersOf(route.kind, method, name, param, query),
            readOnly: spec.access === 'pull', sourceIp, userAgent, ...(error !== undefined ? { error } : {})
          })
        } catch {
          // the audit's failure does not change the answer
        }
      }
      if (options.authorize !== undefined) {
        const meta = distribution.repositories.meta(name)
        const decision = await options.authorize({
          principal: principalArn, action, repositoryName: name, repositoryArn: options.repositoryArn(name),
          repositoryTags: meta?.tags ?? {}, sourceIp, userAgent,
          ...(meta?.repositoryPolicyText !== undefined ? { policyText: meta.repositoryPolicyText } : {})
        })
        if (!decision.allowed) {
          const denied = ociError('DENIED', decision.message)
          report(denied)
          throw denied
        }
      }
      try {
        await run()
      } catch (err) {
        report(err)
        throw err
      }
      report()
      return
    }
    throw ociError('NAME_UNKNOWN', `no such endpoint ${path.slice(0, 200)}`, { status: 404 })
  }

  return function handle (req, res) {
    const method = req.method ?? 'GET'
    route(req, res, method).catch((err) => {
      if (!(err instanceof RegistryError) && !req.socket.destroyed) options.onInternalError(err)
      sendError(res, err, method, (err as { headers?: Record<string, string> })?.headers ?? {})
    })
  }
}
