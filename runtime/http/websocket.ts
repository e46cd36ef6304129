// WebSocket routes of the engine's endpoint (ECS Exec's session streams): an
// HTTP upgrade request goes to the first route whose path matches; the route
// decides before the handshake (a refusal is a plain HTTP answer with its
// status and a JSON body, as the API's errors are), then runs on the open
// socket. No route: 404. Sockets are tracked so the endpoint's close ends them.

import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'

export interface UpgradeRefusal {
  status: number
  /** The exception name (`AccessDeniedException`, `NotFoundException`). */
  type: string
  message: string
}

export interface UpgradeRoute {
  /** For messages and listings: `ecs-exec`. */
  readonly name: string
  matches(path: string): boolean
  /** Before the handshake: a refusal, or what runs on the socket once it is open. */
  accept(req: IncomingMessage, path: string, query: URLSearchParams): UpgradeRefusal | ((socket: WebSocket) => void)
}

function refuse(socket: Duplex, refusal: UpgradeRefusal): void {
  const body = JSON.stringify({ __type: refusal.type, message: refusal.message })
  socket.end(`HTTP/1.1 ${refusal.status} ${refusal.type}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-amzn-errortype: ${refusal.type}\r\nconnection: close\r\n\r\n${body}`)
}

/** Serves `routes` on the server's upgrade requests; returns what ends every open socket. */
export function attachUpgrades(server: Server, routes: readonly UpgradeRoute[]): () => void {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 << 20 })
  const open = new Set<WebSocket>()
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {})
    const url = new URL(req.url ?? '/', 'http://localhost')
    const route = routes.find((r) => r.matches(url.pathname))
    if (route === undefined) return refuse(socket, { status: 404, type: 'NotFoundException', message: `no WebSocket route for ${url.pathname.slice(0, 200)}` })
    let accepted: ReturnType<UpgradeRoute['accept']>
    try {
      accepted = route.accept(req, url.pathname, url.searchParams)
    } catch (error) {
      return refuse(socket, { status: 500, type: 'InternalFailure', message: error instanceof Error ? error.message : String(error) })
    }
    if (typeof accepted !== 'function') return refuse(socket, accepted)
    const run = accepted
    wss.handleUpgrade(req, socket, head, (ws) => {
      open.add(ws)
      ws.on('close', () => open.delete(ws))
      run(ws)
    })
  })
  return () => {
    for (const ws of open) ws.terminate()
    wss.close()
  }
}
