// The CallContext of one request. Its AbortSignal is made only when an
// operation asks for it (most never do): then it aborts when the client goes
// away before the answer is complete.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Principal } from '../iam/principal.js'
import type { CallContext } from './operation.js'

export class RequestContext implements CallContext {
  readonly requestId: string
  readonly sourceIp: string
  readonly userAgent: string
  principal: Principal
  readonly #res: ServerResponse
  #controller: AbortController | undefined

  constructor(req: IncomingMessage, res: ServerResponse, requestId: string, principal: Principal) {
    this.requestId = requestId
    const ip = req.socket.remoteAddress ?? ''
    this.sourceIp = ip.startsWith('::ffff:') ? ip.slice(7) : ip
    this.userAgent = req.headers['user-agent'] ?? ''
    this.principal = principal
    this.#res = res
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController()
      this.#controller = controller
      const res = this.#res
      if (res.destroyed && !res.writableFinished) controller.abort()
      else res.once('close', () => { if (!res.writableFinished) controller.abort() })
    }
    return this.#controller.signal
  }
}
