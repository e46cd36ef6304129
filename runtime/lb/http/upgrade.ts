// Upgrade requests (WebSocket): forwarded to the picked target with their
// Connection/Upgrade headers; a 101 from the target joins the two sockets,
// piped both ways until either side ends or the idle timeout passes. A
// target that declines (any other status) has its answer relayed.

import http from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { RequestHead } from './h1-head.js'
import type { Socket } from 'node:net'
import type { TimerHandle } from '../../clock/clock.js'
import type { Deadlines } from '../deadlines.js'
import type { Picked } from '../model.js'
import { requestHeaders, responseHeaders } from './headers.js'
import { writeRawPage } from './pages.js'
import type { ExchangeContext } from './proxy.js'

function head(status: number, message: string, raw: readonly string[]): string {
  let out = `HTTP/1.1 ${status} ${message}\r\n`
  for (let i = 0; i < raw.length; i += 2) out += `${raw[i]}: ${raw[i + 1]}\r\n`
  return out
}

export function forwardUpgrade(req: RequestHead, socket: Socket, bodyHead: Buffer, picked: Picked, ctx: ExchangeContext & { clientIp: string; idleTimeoutMs: number; idle: Deadlines<Socket>; track: (s: Socket) => void }): void {
  let released = false
  let answered = false
  /** The target's answer (a 101, or its refusal) is being relayed. */
  let relaying = false
  let timer: TimerHandle | undefined
  const release = (): void => {
    if (released) return
    released = true
    if (timer !== undefined) ctx.clock.clearTimeout(timer)
    picked.release()
  }
  socket.on('close', release)
  socket.on('error', () => socket.destroy())

  const upstream = http.request({
    host: picked.target.host,
    port: picked.target.port,
    method: req.method,
    path: req.url,
    headers: requestHeaders(req.rawHeaders, { clientIp: ctx.clientIp, proto: ctx.proto, port: ctx.port, nowMs: ctx.clock.now(), upgrade: true }),
    agent: false,
    localAddress: ctx.localAddress,
    maxHeaderSize: ctx.maxHeaderBytes,
    setHost: false
  })

  timer = ctx.clock.setTimeout(() => {
    timer = undefined
    if (answered) return
    answered = true
    upstream.destroy()
    writeRawPage(socket, 504, new Date(ctx.clock.now()).toUTCString())
  }, ctx.targetTimeoutMs)

  const settle = (): boolean => {
    if (answered) return false
    answered = true
    if (timer !== undefined) ctx.clock.clearTimeout(timer)
    timer = undefined
    return true
  }

  upstream.on('upgrade', (ures: IncomingMessage, tsocket: Socket, theadBytes: Buffer) => {
    if (!settle() || socket.destroyed) {
      tsocket.destroy()
      return
    }
    relaying = true
    ctx.track(tsocket)
    const headers = responseHeaders(ures.rawHeaders)
    // Upgrade and Connection are this hop's business, and this hop is upgrading.
    headers.push('Connection', 'Upgrade')
    const upgradeTo = ures.headers.upgrade
    if (upgradeTo !== undefined) headers.push('Upgrade', upgradeTo)
    socket.write(head(101, ures.statusMessage ?? 'Switching Protocols', headers) + '\r\n')
    if (theadBytes.length > 0) socket.write(theadBytes)
    if (bodyHead.length > 0) tsocket.write(bodyHead)
    // Idle: no byte either way for the idle timeout (on the clock) closes both.
    const active = (): void => { if (ctx.idleTimeoutMs > 0) ctx.idle.set(socket, ctx.idleTimeoutMs) }
    active()
    socket.once('close', () => ctx.idle.delete(socket))
    for (const s of [socket, tsocket]) {
      s.on('data', active)
      s.setNoDelay(true)
    }
    tsocket.on('error', () => socket.destroy())
    tsocket.on('close', () => socket.destroy())
    socket.on('close', () => tsocket.destroy())
    tsocket.pipe(socket)
    socket.pipe(tsocket)
    socket.resume()
  })

  upstream.on('response', (ures: IncomingMessage) => {
    if (!settle()) {
      ures.destroy()
      return
    }
    // The target declined the upgrade: its answer goes back, then the connection ends.
    relaying = true
    const headers = responseHeaders(ures.rawHeaders)
    headers.push('Connection', 'close')
    socket.write(head(ures.statusCode ?? 502, ures.statusMessage ?? '', headers) + '\r\n')
    ures.on('end', release)
    ures.pipe(socket)
  })

  upstream.on('error', () => {
    // After our own 504 page the socket is ending already: leave it to flush.
    if (settle()) writeRawPage(socket, 502, new Date(ctx.clock.now()).toUTCString())
    else if (relaying) socket.destroy()
  })

  upstream.end()
}
