// The engine's one HTTP endpoint, on loopback: the registry under /v2/, and a
// health document at /. (The AWS-compatible API mounts here later.)

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

export interface HttpEndpoint {
  readonly server: Server
  /** host:port */
  readonly address: string
  readonly port: number
  close(): Promise<void>
}

export async function startHttp(routes: { registry?: Handler; health: () => unknown }, options: { host?: string; port?: number } = {}): Promise<HttpEndpoint> {
  const host = options.host ?? '127.0.0.1'
  const server = createServer((req, res) => {
    const url = req.url ?? '/'
    if ((url === '/v2' || url.startsWith('/v2/')) && routes.registry) return routes.registry(req, res)
    if (url === '/' || url === '/health') {
      const body = JSON.stringify(routes.health())
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
      return
    }
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ message: `no route for ${req.method} ${url}` }))
  })
  server.keepAliveTimeout = 65_000
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
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
}
