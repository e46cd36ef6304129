// The non-forward actions (redirect, fixed-response) and the choice among a
// forward action's weighted target groups.

import type { FixedResponseAction, ForwardAction, RedirectAction } from '../model.js'
import type { ClientConnection } from './h1-client.js'
import { page } from './pages.js'

/** What a redirect's placeholders stand for, from the request. */
export interface RedirectFacts {
  /** `http` or `https`: the listener's protocol. */
  protocol: string
  host: string
  port: number
  /** The request's path without its leading `/` (ELBv2's default Path is `/#{path}`). */
  path: string
  /** Without `?`. */
  query: string
}

function fill(template: string, f: RedirectFacts): string {
  if (!template.includes('#{')) return template
  return template
    .replace(/#\{protocol\}/g, f.protocol)
    .replace(/#\{host\}/g, f.host)
    .replace(/#\{port\}/g, String(f.port))
    .replace(/#\{path\}/g, f.path)
    .replace(/#\{query\}/g, f.query)
}

/** The Location of a redirect (a default port for the protocol is left out, as ALB does). */
export function redirectLocation(action: RedirectAction, f: RedirectFacts): string {
  const protocol = fill(action.protocol || '#{protocol}', f).toLowerCase()
  const host = fill(action.host || '#{host}', f)
  const port = fill(action.port || '#{port}', f)
  let path = fill(action.path || '/#{path}', f)
  if (!path.startsWith('/')) path = `/${path}`
  const query = fill(action.query ?? '#{query}', f)
  const defaultPort = (protocol === 'https' && port === '443') || (protocol === 'http' && port === '80')
  return `${protocol}://${host}${defaultPort || port === '' ? '' : `:${port}`}${path}${query === '' ? '' : `?${query}`}`
}

export function sendRedirect(conn: ClientConnection, action: RedirectAction, f: RedirectFacts): void {
  const status = action.statusCode === 'HTTP_301' ? 301 : 302
  conn.answer(status, 'text/html', page(status), `Location: ${redirectLocation(action, f)}\r\n`)
}

/** The fixed response's body (UTF-8) and type, prepared once per action. */
const fixedBodies = new WeakMap<FixedResponseAction, { body: Buffer; type: string; status: number }>()

/** A fixed response's status, content type and body. */
export function fixedBody(action: FixedResponseAction): { body: Buffer; type: string; status: number } {
  let fixed = fixedBodies.get(action)
  if (fixed === undefined) {
    fixed = {
      body: Buffer.from(action.messageBody ?? '', 'utf8'),
      type: action.contentType === undefined || action.contentType === '' ? 'text/plain; charset=utf-8' : action.contentType,
      status: Number(action.statusCode)
    }
    fixedBodies.set(action, fixed)
  }
  return fixed
}

export function sendFixedResponse(conn: ClientConnection, action: FixedResponseAction): void {
  const fixed = fixedBody(action)
  conn.answer(fixed.status, fixed.type, fixed.body)
}

/**
 * Smooth weighted round robin over a forward action's target groups (weight 0
 * never chosen): deterministic, and over any window of sum(weights) requests
 * each group gets exactly its weight.
 */
export class WeightedGroups {
  readonly keys: readonly string[]
  readonly #weights: number[]
  readonly #current: number[]
  readonly #total: number

  constructor(action: ForwardAction) {
    const groups = action.targetGroups.filter((g) => g.weight > 0 || action.targetGroups.length === 1)
    this.keys = groups.map((g) => g.key)
    this.#weights = groups.map((g) => (action.targetGroups.length === 1 ? 1 : g.weight))
    this.#current = groups.map(() => 0)
    this.#total = this.#weights.reduce((a, b) => a + b, 0)
  }

  /** The next group's key; undefined when every weight is 0. */
  next(): string | undefined {
    const n = this.keys.length
    if (n === 0) return undefined
    if (n === 1) return this.keys[0]
    let best = 0
    for (let i = 0; i < n; i++) {
      this.#current[i]! += this.#weights[i]!
      if (this.#current[i]! > this.#current[best]!) best = i
    }
    this.#current[best]! -= this.#total
    return this.keys[best]
  }

  has(key: string): boolean {
    return this.keys.includes(key)
  }
}
