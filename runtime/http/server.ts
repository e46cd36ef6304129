// The engine's one HTTP endpoint, on loopback, as a route table tried in
// order: the registry under /v2/, the health document at GET /health (and
// GET /), and the AWS API router for everything else (it answers a JSON 404
// or UnknownOperationException for what no service knows: never a 200 for a
// request that did nothing).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { attachUpgrades, type UpgradeRoute } from './websocket.js'

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

export interface Route {
  /** For messages and listings: `registry`, `health`, `api`. */
  readonly name: string
  /** Whether the route takes a request (path without the query string). */
  matches(method: string, path: string): boolean
  readonly handler: Handler
}

export interface HttpEndpoint {
  readonly server: Server
  /** host:port */
  readonly address: string
  readonly port: number
  close(): Promise<void>
}

/** Everything under a path prefix (`/v2` takes `/v2` and `/v2/…`). */
export function prefixRoute(name: string, prefix: string, handler: Handler): Route {
  return { name, handler, matches: (_method, path) => path === prefix || path.startsWith(`${prefix}/`) }
}

/** GET or HEAD on one of the paths. */
export function getRoute(name: string, paths: readonly string[], handler: Handler): Route {
  return { name, handler, matches: (method, path) => (method === 'GET' || method === 'HEAD') && paths.includes(path) }
}

/** Every request (the last entry of a table). */
export function anyRoute(name: string, handler: Handler): Route {
  return { name, handler, matches: () => true }
}

/** A JSON document answered with 200 (the health document). */
export function jsonDocument(document: () => unknown): Handler {
  return (_req, res) => {
    const body = JSON.stringify(document())
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }
}

function noRoute(req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify({ __type: 'NotFoundException', message: `no route for ${req.method} ${req.url}` })
  res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-amzn-errortype': 'NotFoundException' })
  res.end(body)
}

/** `upgrades`: the WebSocket routes (websocket.ts), tried on HTTP upgrade requests. */
export async function startHttp(routes: readonly Route[], options: { host?: string; port?: number; upgrades?: readonly UpgradeRoute[] } = {}): Promise<HttpEndpoint> {
  const host = options.host ?? '127.0.0.1'
  const server = createServer((req, res) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const method = req.method ?? 'GET'
    for (const route of routes) {
      if (route.matches(method, path)) return route.handler(req, res)
    }
    req.resume()
    noRoute(req, res)
  })
  server.keepAliveTimeout = 65_000
  const endSockets = options.upgrades !== undefined ? attachUpgrades(server, options.upgrades) : () => {}
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    server,
    port,
    address: `${host}:${port}`,
    close: () => new Promise((resolve) => {
      endSockets()
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
}
