// The ECS Exec sessions ExecuteCommand hands out: what a session runs (task,
// container, command), whose it is (the principal that asked) and its token.
// A token is single use and short lived (SESSION_TTL_MS on the engine clock):
// the WebSocket handshake that presents it takes the session, and no second
// one can. Sessions are connection state, not cloud state: they live in this
// process only (a restart ends every exec stream anyway), so they are not in
// the store.

import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../clock/clock.js'
import { EcsError } from './errors.js'

/** How long a session's token may wait for its WebSocket (engine clock ms). */
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
  expiresAt: number
}

export class ExecSessions {
  readonly #clock: Clock
  readonly #pending = new Map<string, PendingSession & { token: Buffer }>()
  /** The engine's endpoint (host:port), set once its HTTP server listens. */
  endpoint: string | undefined
  /** What closes the live streams when the engine stops (set by the WebSocket route). */
  readonly live = new Set<{ close(): void }>()

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** A new session for `target`: its id, stream URL and token. */
  open(target: ExecTarget): { sessionId: string; streamUrl: string; tokenValue: string } {
    this.#purge()
    if (this.endpoint === undefined) {
      throw new EcsError('TargetNotConnectedException', 'The execute command failed because the engine has no endpoint to stream the session on.', { field: 'task' })
    }
    const sessionId = `ecs-execute-command-${randomBytes(9).toString('hex')}`
    const token = randomBytes(32)
    this.#pending.set(sessionId, { ...target, sessionId, token, expiresAt: this.#clock.now() + SESSION_TTL_MS })
    return { sessionId, streamUrl: `ws://${this.endpoint}${EXEC_PATH_PREFIX}${sessionId}`, tokenValue: token.toString('base64url') }
  }

  /**
   * Takes a session by its id and token: the session, once (the token is spent
   * whether or not the stream then starts), or why not.
   */
  take(sessionId: string, tokenValue: string | undefined): PendingSession | { refused: string } {
    this.#purge()
    const session = this.#pending.get(sessionId)
    if (session === undefined) return { refused: `no exec session ${sessionId.slice(0, 80)} waits (it was used, it expired, or it never existed)` }
    const given = Buffer.from(tokenValue ?? '', 'base64url')
    if (given.length !== session.token.length || !timingSafeEqual(given, session.token)) return { refused: 'the session token is not this session\'s' }
    this.#pending.delete(sessionId)
    const { token: _token, ...rest } = session
    return rest
  }

  #purge(): void {
    const now = this.#clock.now()
    for (const [id, s] of this.#pending) if (s.expiresAt <= now) this.#pending.delete(id)
  }

  close(): void {
    this.#pending.clear()
    for (const stream of [...this.live]) stream.close()
  }
}
