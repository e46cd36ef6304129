// One forwarded exchange: the client's request streamed to the picked target
// over a pooled keep-alive connection, the answer streamed back. ALB's error
// rules: refused/reset before a response → 502, no response headers within the
// target timeout → 504, and a request already sent is never retried on
// another target. Picked.release() runs exactly once, whichever way the
// exchange ends.

import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Clock, TimerHandle } from '../../clock/clock.js'
import type { Picked, TargetSpec } from '../model.js'
import { requestHeaders, responseHeaders } from './headers.js'
import { sendPage } from './pages.js'

/** Keep-alive connection pools, one per target address. */
export class TargetAgents {
  readonly #agents = new Map<string, http.Agent>()

  for(target: TargetSpec): http.Agent {
    const key = `${target.host}:${target.port}`
    let agent = this.#agents.get(key)
    if (agent === undefined) {
      agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: Infinity, maxFreeSockets: 1024, scheduling: 'lifo' })
      this.#agents.set(key, agent)
    }
    return agent
  }

  close(): void {
    for (const agent of this.#agents.values()) agent.destroy()
    this.#agents.clear()
  }
}

export interface ExchangeContext {
  clock: Clock
  agents: TargetAgents
  targetTimeoutMs: number
  proto: string
  port: string
  clientIp: string
  /** A target's response headers are held to the same size limit as clients' requests. */
  maxHeaderBytes: number
  /** Connections to targets come from the load balancer's address. */
  localAddress: string
  /** Set-Cookie values the load balancer adds (stickiness), given the target's raw response headers. */
  cookies?: (raw: readonly string[]) => readonly string[]
}

/** Whether a request carries a body (a length above 0, or a transfer coding). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined
}

/**
 * Forwards req to picked's target and answers res.
 *
 * One exception to "never retried": a body-less request whose pooled
 * keep-alive connection turns out to have been closed by the target (reset
 * before a byte of the answer, the race every pooling proxy has with a
 * target's own idle timeout) is sent once more to the same target on a fresh
 * connection — the target never saw it.
 */
export function forward(req: IncomingMessage, res: ServerResponse, picked: Picked, ctx: ExchangeContext): void {
  const target = picked.target
  const bodiless = !hasBody(req)
  const headers = requestHeaders(req.rawHeaders, { clientIp: ctx.clientIp, proto: ctx.proto, port: ctx.port, nowMs: ctx.clock.now(), upgrade: false })
  let released = false
  /** An answer is decided: the target's (proxying) or ours (a 502/504 page). */
  let answered = false
  let proxying = false
  let timer: TimerHandle | undefined
  let upstream: http.ClientRequest
  const release = (): void => {
    if (released) return
    released = true
    if (timer !== undefined) ctx.clock.clearTimeout(timer)
    picked.release()
  }

  const onResponse = (ures: IncomingMessage): void => {
    if (answered) {
      ures.destroy()
      return
    }
    answered = true
    proxying = true
    if (timer !== undefined) {
      ctx.clock.clearTimeout(timer)
      timer = undefined
    }
    const out = responseHeaders(ures.rawHeaders)
    if (ctx.cookies !== undefined) for (const c of ctx.cookies(ures.rawHeaders)) out.push('Set-Cookie', c)
    res.writeHead(ures.statusCode ?? 502, ures.statusMessage, out)
    // A hand-wired pipe: fewer listeners per exchange than Readable.pipe.
    const cut = (): void => { res.destroy() }
    ures.on('data', (chunk: Buffer) => { if (!res.write(chunk)) ures.pause() })
    ures.on('end', () => { res.end() })
    ures.on('error', cut)
    ures.on('aborted', cut)
    res.on('drain', () => { ures.resume() })
  }

  const send = (retry: boolean): void => {
    const agent = ctx.agents.for(target)
    const request = http.request({
      host: target.host,
      port: target.port,
      method: req.method,
      path: req.url,
      headers,
      agent,
      localAddress: ctx.localAddress,
      maxHeaderSize: ctx.maxHeaderBytes,
      setHost: false
    })
    upstream = request
    request.on('response', onResponse)
    request.on('error', (err: NodeJS.ErrnoException) => {
      if (!answered && retry && bodiless && request.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE') && !released) {
        send(false)
        return
      }
      if (!answered) {
        answered = true
        sendPage(res, 502)
      } else if (proxying && !res.writableFinished) {
        // The target failed mid-answer: the client's response cannot be completed.
        res.destroy()
      }
      release()
    })
    if (bodiless) request.end()
    else req.pipe(request)
  }

  send(true)

  timer = ctx.clock.setTimeout(() => {
    timer = undefined
    if (answered || released) return
    answered = true
    upstream.destroy()
    sendPage(res, 504)
    release()
  }, ctx.targetTimeoutMs)

  res.on('close', () => {
    // The client went away (or the exchange is over): a response still
    // streaming from the target is cut, a finished one leaves its connection pooled.
    if (!res.writableFinished) upstream.destroy()
    release()
  })
}
