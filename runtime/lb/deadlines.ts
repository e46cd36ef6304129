// Deadlines of many connections on the engine's Clock (the header timeout, the idle timeout,
// the TLS handshake timeout), kept with one timer: it is armed for the earliest deadline, and
// each check ends what is due and arms again for the rest. Moving a deadline (a connection's
// activity) is a Map write, no timer work, so a real clock pays nothing per byte, and a manual
// clock fast-forwards slow clients and idle connections like every other timing.

import type { Socket } from 'node:net'
import type { Clock, TimerHandle } from '../clock/clock.js'

export class Deadlines<K> {
  readonly #clock: Clock
  readonly #expire: (key: K) => void
  readonly #due = new Map<K, number>()
  /** The least time between two checks, so that deadlines spread thinly over time cost a check each per slack, not each. */
  readonly #slackMs: number
  #timer: TimerHandle | undefined
  #timerAt = Infinity
  #lastCheck = -Infinity
  #closed = false

  constructor(clock: Clock, expire: (key: K) => void, slackMs = 0) {
    this.#clock = clock
    this.#expire = expire
    this.#slackMs = slackMs
  }

  get size(): number {
    return this.#due.size
  }

  /** key's deadline is `ms` from now (on the clock), replacing the one it had. */
  set(key: K, ms: number): void {
    if (this.#closed) return
    const at = this.#clock.monotonic() + ms
    this.#due.set(key, at)
    if (at < this.#timerAt) this.#arm(at)
  }

  delete(key: K): void {
    this.#due.delete(key)
  }

  /** No more checks; every deadline is dropped. */
  close(): void {
    this.#closed = true
    this.#due.clear()
    this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#timerAt = Infinity
  }

  #arm(at: number): void {
    const when = Math.max(at, this.#lastCheck + this.#slackMs)
    if (this.#timer !== undefined && when >= this.#timerAt) return
    this.#clock.clearTimeout(this.#timer)
    this.#timerAt = when
    this.#timer = this.#clock.setTimeout(() => this.#check(), Math.max(0, when - this.#clock.monotonic()))
  }

  #check(): void {
    this.#timer = undefined
    this.#timerAt = Infinity
    const now = this.#clock.monotonic()
    this.#lastCheck = now
    let next = Infinity
    for (const [key, at] of this.#due) {
      if (at <= now) {
        this.#due.delete(key)
        this.#expire(key)
      } else if (at < next) next = at
    }
    // expire() may have set deadlines of its own (they armed a timer already, or wait for this one).
    if (next < Infinity && !this.#closed) this.#arm(next)
  }
}

/**
 * TLS handshakes held to a deadline on the Clock: a raw socket whose handshake is not done in
 * time is destroyed (a slow TLS client cannot hold a connection). A TLS server hands the
 * timing here by a handshakeTimeout of its own that never comes (NODE_NEVER_MS).
 */
export class HandshakeDeadlines {
  readonly #deadlines: Deadlines<Socket>
  /** Raw sockets mid-handshake, by client address and port (what the TLS socket also reports). */
  readonly #raw = new Map<string, Socket>()

  constructor(clock: Clock, readonly timeoutMs: number, slackMs = 0) {
    this.#deadlines = new Deadlines(clock, (raw) => raw.destroy(), slackMs)
  }

  /** A raw connection came: its handshake starts now. */
  started(raw: Socket): void {
    // A socket reset before it was accepted has no address (and closes at once anyway).
    if (raw.remoteAddress === undefined) return
    const key = `${raw.remoteAddress}|${raw.remotePort}`
    this.#raw.set(key, raw)
    this.#deadlines.set(raw, this.timeoutMs)
    raw.once('close', () => {
      this.#deadlines.delete(raw)
      if (this.#raw.get(key) === raw) this.#raw.delete(key)
    })
  }

  /** The handshake of this TLS socket is done. */
  done(secure: Socket): void {
    const key = `${secure.remoteAddress}|${secure.remotePort}`
    const raw = this.#raw.get(key)
    if (raw === undefined) return
    this.#raw.delete(key)
    this.#deadlines.delete(raw)
  }

  close(): void {
    this.#deadlines.close()
    this.#raw.clear()
  }
}

/** The slack of a listener's deadlines: a 20th of its header timeout, at most 250 ms. */
export function deadlineSlack(headerTimeoutMs: number): number {
  return Math.min(250, Math.floor(headerTimeoutMs / 20))
}

/** A timeout that Node's own timers never reach (their longest delay). */
export const NODE_NEVER_MS = 0x7fffffff
