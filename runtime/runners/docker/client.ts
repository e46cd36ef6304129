// A small Docker Engine API client over undici 7: a unix socket (the local
// engine) or tcp:// with TLS (a remote one). It speaks the API version it
// negotiated from GET /version — the lower of the engine's and the highest
// this client was written for — never a pinned one, so Debian's 1.41 engine
// and recent engines (which refuse clients below 1.44) both answer.
//
// Every answer that is not 2xx becomes a DockerApiError carrying the status
// and the engine's own message; the runner turns those into RunnerErrors.
import { Agent, type Dispatcher } from 'undici'
import { isIPv4 } from 'node:net'
import type { Duplex, Readable } from 'node:stream'

/**
 * The highest Engine API version this client was written against. The
 * requests it makes (container create/start/kill/wait/inspect/remove, logs,
 * exec, images create/inspect, networks) have kept their shape from 1.41 to it.
 */
export const MAX_API_VERSION = '1.47'
/** The lowest version the requests here need (HostConfig.Init, Mounts, wait conditions). */
export const MIN_API_VERSION = '1.25'

export interface DockerTls {
  /** PEM: the CA that signed the engine's certificate. */
  ca?: string | Buffer
  /** PEM: the client certificate and key (docker's --tlsverify). */
  cert?: string | Buffer
  key?: string | Buffer
  /** The name the engine's certificate carries, when it is not the URL's host. */
  servername?: string
}

/** One Docker engine: a local socket, or a remote `tcp://host:port` reached over TLS. */
export interface DockerHost {
  /** The host's name (SandboxSpec.host, RunnerCapabilities.hosts). */
  name: string
  /** A unix socket: /var/run/docker.sock. */
  socketPath?: string
  /** `tcp://host:port` (TLS when `tls` is given; plain HTTP otherwise, which is refused unless the host is a loopback address). */
  url?: string
  tls?: DockerTls
}

export class DockerApiError extends Error {
  constructor(readonly statusCode: number, readonly method: string, readonly path: string, message: string) {
    super(message)
    this.name = 'DockerApiError'
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  headers?: Record<string, string>
  /** Long waits (container wait, followed logs) must not time out: 0 turns undici's timeouts off. */
  noTimeout?: boolean
  /** A raw body (a tar) instead of JSON. */
  raw?: Buffer
  signal?: AbortSignal
}

/** One line of a progress stream (pulls, imports). */
export interface JsonMessage {
  status?: string
  id?: string
  progressDetail?: { current?: number; total?: number }
  error?: string
  errorDetail?: { message?: string }
}

/** Compares dotted API versions numerically: 1.9 < 1.41. */
export function compareVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number)
  const [bm, bn] = b.split('.').map(Number)
  return am !== bm ? am - bm : an - bn
}

/** The version both sides speak: the lower of the engine's and ours, refused when below what either needs. */
export function negotiateVersion(server: { ApiVersion?: string; MinAPIVersion?: string }): string {
  const offered = server.ApiVersion ?? MIN_API_VERSION
  const version = compareVersions(offered, MAX_API_VERSION) < 0 ? offered : MAX_API_VERSION
  if (compareVersions(version, MIN_API_VERSION) < 0) throw new Error(`the engine speaks API ${offered}; this client needs ${MIN_API_VERSION} or later`)
  if (server.MinAPIVersion !== undefined && compareVersions(version, server.MinAPIVersion) < 0) {
    throw new Error(`the engine needs API ${server.MinAPIVersion} or later; this client speaks up to ${MAX_API_VERSION}`)
  }
  return version
}

/** Whether a URL's host is this machine's loopback (127.0.0.0/8, ::1, localhost): the only place plain HTTP may go. */
export function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return bare === 'localhost' || bare === '::1' || (isIPv4(bare) && bare.startsWith('127.'))
}

/**
 * What is wrong with a host's description, or undefined: which field (`url`,
 * `socketPath`) and why. The Engine API without TLS carries no authentication
 * and gives whoever reaches it root on its machine: it is only spoken to
 * loopback.
 */
export function hostProblem(host: DockerHost): { field: 'url' | 'socketPath'; message: string } | undefined {
  if (host.socketPath !== undefined) return undefined
  if (host.url === undefined) return { field: 'socketPath', message: 'a Docker host needs a socketPath or a url' }
  let url: URL
  try {
    url = new URL(host.url)
  } catch {
    return { field: 'url', message: `a Docker host URL is tcp://host:port, got ${JSON.stringify(host.url)}` }
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { field: 'url', message: `a Docker host URL is tcp://host:port, got ${JSON.stringify(host.url)}` }
  }
  const secure = host.tls !== undefined || url.protocol === 'https:'
  if (!secure && !isLoopbackHost(url.hostname)) {
    return { field: 'url', message: `plain HTTP (no tls) is only for a loopback engine; ${url.hostname} is not one: give tls (ca, cert, key)` }
  }
  return undefined
}

function queryString(query: RequestOptions['query']): string {
  if (query === undefined) return ''
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value))
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

export class DockerClient {
  readonly name: string
  readonly #dispatcher: Agent
  readonly #origin: string
  #version = MIN_API_VERSION

  private constructor(host: DockerHost) {
    this.name = host.name
    const problem = hostProblem(host)
    if (problem !== undefined) throw new Error(`${host.name}: ${problem.field}: ${problem.message}`)
    if (host.socketPath !== undefined) {
      this.#origin = 'http://docker'
      this.#dispatcher = new Agent({ connect: { socketPath: host.socketPath }, keepAliveTimeout: 30_000 })
    } else if (host.url !== undefined) {
      const url = new URL(host.url)
      const secure = host.tls !== undefined || url.protocol === 'https:'
      this.#origin = `${secure ? 'https' : 'http'}://${url.host}`
      this.#dispatcher = new Agent({
        keepAliveTimeout: 30_000,
        connect: secure ? { ca: host.tls?.ca, cert: host.tls?.cert, key: host.tls?.key, servername: host.tls?.servername } : {}
      })
    } else {
      throw new Error(`${host.name}: a Docker host needs a socketPath or a url`)
    }
  }

  /** Connects to an engine and negotiates the API version from GET /version. */
  static async connect(host: DockerHost): Promise<DockerClient> {
    const client = new DockerClient(host)
    try {
      const server = await client.request<{ ApiVersion?: string; MinAPIVersion?: string }>('GET', '/version', { unversioned: true })
      client.#version = negotiateVersion(server)
      return client
    } catch (error) {
      await client.close()
      throw error
    }
  }

  get apiVersion(): string {
    return this.#version
  }

  async #dispatch(method: string, path: string, options: RequestOptions & { unversioned?: boolean }): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { ...options.headers }
    let body: string | Buffer | undefined
    if (options.raw !== undefined) {
      body = options.raw
      headers['content-type'] ??= 'application/x-tar'
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['content-type'] = 'application/json'
    }
    const full = `${options.unversioned ? '' : `/v${this.#version}`}${path}${queryString(options.query)}`
    const timeouts = options.noTimeout ? { headersTimeout: 0, bodyTimeout: 0 } : {}
    const response = await this.#dispatcher.request({
      origin: this.#origin, path: full, method: method as Dispatcher.HttpMethod, headers, body, signal: options.signal, ...timeouts
    })
    if (response.statusCode >= 300) {
      const text = await response.body.text().catch(() => '')
      let message = text.trim()
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message
      } catch { /* not JSON: the text itself */ }
      throw new DockerApiError(response.statusCode, method, path, message || `HTTP ${response.statusCode}`)
    }
    return response
  }

  /** A request whose answer is JSON (or nothing: undefined). */
  async request<T = unknown>(method: string, path: string, options: RequestOptions & { unversioned?: boolean } = {}): Promise<T> {
    const response = await this.#dispatch(method, path, options)
    const text = await response.body.text()
    return (text === '' ? undefined : JSON.parse(text)) as T
  }

  /** A request whose answer streams (followed logs, pull progress): the body, to read to its end. */
  async stream(method: string, path: string, options: RequestOptions = {}): Promise<Readable> {
    return (await this.#dispatch(method, path, options)).body
  }

  /**
   * A request answered by a stream of JSON messages, one a line (pull and
   * import progress). A message with an `error` rejects with its text.
   */
  async jsonLines(method: string, path: string, options: RequestOptions, onMessage: (message: JsonMessage) => void): Promise<void> {
    const body = await this.stream(method, path, options)
    let partial = ''
    for await (const chunk of body) {
      partial += (chunk as Buffer).toString('utf8')
      let nl: number
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl).trim()
        partial = partial.slice(nl + 1)
        if (line === '') continue
        const message = JSON.parse(line) as JsonMessage
        if (message.error !== undefined) throw new Error(message.errorDetail?.message ?? message.error)
        onMessage(message)
      }
    }
  }

  /** The status of a HEAD request (404 is an answer, not an error). */
  async head(path: string, query?: RequestOptions['query']): Promise<number> {
    const response = await this.#dispatcher.request({ origin: this.#origin, path: `/v${this.#version}${path}${queryString(query)}`, method: 'HEAD' })
    await response.body.dump()
    return response.statusCode
  }

  /**
   * A hijacked connection (exec start, attach): the engine answers 101 and the
   * socket then carries the raw stream both ways.
   */
  async hijack(path: string, body: unknown): Promise<Duplex> {
    const { socket } = await this.#dispatcher.upgrade({
      origin: this.#origin, path: `/v${this.#version}${path}`, method: 'POST', protocol: 'tcp',
      headers: { 'content-type': 'application/json' },
      // undici passes the body of an upgrade request through (its types do not list it).
      ...({ body: JSON.stringify(body) } as object)
    } as Dispatcher.UpgradeOptions)
    return socket
  }

  async close(): Promise<void> {
    await this.#dispatcher.destroy().catch(() => {})
  }
}
