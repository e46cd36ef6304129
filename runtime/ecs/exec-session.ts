// The ECS Exec sessions ExecuteCommand hands out: what a session runs (task,
// container, command), whose it is (the principal that asked) and its token.
// A token is single use and short lived: the WebSocket handshake that
// presents it takes the session, and no second one can. Under auth 'iam' the
// handshake must also be signed by the principal that asked (exec.ts checks
// the signature; take() compares the principal).
//
// The expiry runs on REAL time (a monotonic clock: performance.now()), not on
// the engine clock. "No Date.now in controllers" is about the cloud's logic;
// a security deadline must not depend on a clock a test (or an operator) can
// stop: on a manual-clock engine an engine-clock token would never expire.
//
// Sessions are connection state, not cloud state: they live in this process
// only (a restart ends every exec stream anyway), so they are not in the store.

import { randomBytes, timingSafeEqual } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { EcsError } from './errors.js'

/** How long a session's token may wait for its WebSocket (real-time ms, whatever the engine clock). */
export const SESSION_TTL_MS = 60_000

/** The path of a session's stream on the engine endpoint. */
export const EXEC_PATH_PREFIX = '/stratus/exec/'

export interface ExecTarget {
  clusterName: string
  taskId: string
  taskArn: string
  containerName: string
  command: string
  /** The principal ARN that asked for the session (the account's root for the embedded SDK). */
  principal: string
}

export interface PendingSession extends ExecTarget {
  sessionId: string
  /** Real-time deadline (performance.now() ms). */
  expiresAt: number
}

export interface ExecSessionsOptions {
  /** Token lifetime in real-time ms (SESSION_TTL_MS). */
  ttlMs?: number
}

export class ExecSessions {
  readonly #ttlMs: number
  readonly #pending = new Map<string, PendingSession & { token: Buffer }>()
  /** The engine's endpoint (host:port), set once its HTTP server listens. */
  endpoint: string | undefined
  /** What closes the live streams when the engine stops (set by the WebSocket route). */
  readonly live = new Set<{ close(): void }>()

  constructor(options: ExecSessionsOptions = {}) {
    this.#ttlMs = options.ttlMs ?? SESSION_TTL_MS
  }

  /** A new session for `target`: its id, stream URL and token. */
  open(target: ExecTarget): { sessionId: string; streamUrl: string; tokenValue: string } {
    this.#purge()
    if (this.endpoint === undefined) {
      throw new EcsError('TargetNotConnectedException', 'The execute command failed because the engine has no endpoint to stream the session on.', { field: 'task' })
    }
    const sessionId = `ecs-execute-command-${randomBytes(9).toString('hex')}`
    const token = randomBytes(32)
    this.#pending.set(sessionId, { ...target, sessionId, token, expiresAt: performance.now() + this.#ttlMs })
    return { sessionId, streamUrl: `ws://${this.endpoint}${EXEC_PATH_PREFIX}${sessionId}`, tokenValue: token.toString('base64url') }
  }

  /**
   * Takes a session by its id and token: the session, once (the token is spent
   * whether or not the stream then starts), or why not. `presenter`, when
   * given (auth 'iam': the principal that signed the handshake), must be the
   * session's principal; a right token presented by another principal is
   * refused and spent (a leaked token is dead either way).
   */
  take(sessionId: string, tokenValue: string | undefined, presenter?: string): PendingSession | { refused: string } {
    this.#purge()
    const session = this.#pending.get(sessionId)
    if (session === undefined) return { refused: `no exec session ${sessionId.slice(0, 80)} waits (it was used, it expired, or it never existed)` }
    const given = Buffer.from(tokenValue ?? '', 'base64url')
    if (given.length !== session.token.length || !timingSafeEqual(given, session.token)) return { refused: 'the session token is not this session\'s' }
    this.#pending.delete(sessionId)
    if (presenter !== undefined && presenter !== session.principal) return { refused: `the session was started by another principal than ${presenter.slice(0, 200)}` }
    const { token: _token, ...rest } = session
    return rest
  }

  #purge(): void {
    const now = performance.now()
    for (const [id, s] of this.#pending) if (s.expiresAt <= now) this.#pending.delete(id)
  }

  close(): void {
    this.#pending.clear()
    for (const stream of [...this.live]) stream.close()
  }
}
