// Sends each pending delivery to its API destination. One queue per (rule,
// target), in the order the events were matched; only its head is in
// flight, so a target sees its events in order as far as retries allow (a
// failing head holds the later ones back until it is delivered or dead-
// lettered). 2xx: the record is deleted. A retryable failure or a timeout:
// the record gets its attempt count, last error and next-attempt deadline
// (exponential backoff with jitter seeded by the delivery's key, on the
// engine's Clock). Out of attempts or age (RetryPolicy), or a failure
// EventBridge does not retry (a status other than 401, 407, 409, 429, 5xx):
// a dead-letter record, in the same transaction as the delivery's deletion. Deadlines are in the records, so a
// worker started over the store of one that stopped re-arms them. A store
// that refuses to record an outcome stops nothing: the error is published on
// stratus:events:worker-error and the outcome (not the call) is recorded
// again after a backoff on the Clock. Closing stops new calls, gives the
// calls in flight a moment (real time) to be answered, cuts short the rest,
// and records every outcome received.

import { createHash } from 'node:crypto'
import { channel } from 'node:diagnostics_channel'
import type { TimerHandle } from '../clock/clock.js'
import type { Transaction } from '../store/store.js'
import type { Connections } from './connections.js'
import type { EventsContext } from './context.js'
import type { HttpTargets, SendResult } from './http-target.js'
import { resolveHttp } from './http-parameters.js'
import { DEAD_LETTERS, DELIVERIES, LIMITS, pad, targetKey, TARGETS, type ConnectionRecord, type DeadLetter, type DeliveryRecord, type TargetRecord } from './model.js'

const delivered = channel('stratus:events:delivered')
const failed = channel('stratus:events:delivery-failed')
const deadLettered = channel('stratus:events:dead-letter')
const workerErrors = channel('stratus:events:worker-error')

export interface BackoffOptions {
  /** First retry's delay, before jitter (ms; default 1 s). */
  baseMs?: number
  /** Longest delay between attempts (ms; default 5 minutes). */
  capMs?: number
  /** How long a call may take (ms; default 5 s, as EventBridge's API destinations). */
  timeoutMs?: number
  /** close(): real time the calls in flight get to be answered before they are cut short (ms; default 1 s). */
  closeGraceMs?: number
}

interface Queue {
  readonly id: string
  keys: string[]
  head: number
  busy: boolean
  timer: TimerHandle | undefined
  /** Store failures in a row (the backoff of the next try). */
  failures: number
  /** The head's outcome, received but not recorded (the store refused it): recorded again, not sent again. */
  unrecorded: { key: string; result: SendResult } | undefined
}

interface Bucket { tokens: number; at: number }

/** Delay before retry n (1, 2, …): min(cap, base·2^(n-1)), half of it fixed and half jitter from a hash of the key. */
export function backoffMs(key: string, n: number, baseMs: number, capMs: number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(n - 1, 40))
  const h = createHash('sha256').update(`${key}#${n}`).digest().readUInt32BE(0) / 0x1_0000_0000
  return Math.round(ceiling / 2 + (ceiling / 2) * h)
}

export class DeliveryWorker {
  readonly #ctx: EventsContext
  readonly #connections: Connections
  readonly #http: HttpTargets
  readonly #queues = new Map<string, Queue>()
  readonly #buckets = new Map<string, Bucket>()
  readonly #inFlight = new Set<Promise<void>>()
  readonly #aborts = new Set<AbortController>()
  #acks: Array<{ key: string; resolve: (done: boolean) => void; reject: (error: unknown) => void }> = []
  readonly #baseMs: number
  readonly #capMs: number
  readonly #timeoutMs: number
  readonly #closeGraceMs: number
  readonly #removeProbe: (() => void) | undefined
  /** No new call is made (closing). */
  #closing = false
  /** Nothing is recorded any more (closed: the store may be closed next). */
  #closed = false
  /** Calls in flight for less than 250 ms of real time (manual clocks only: see the busy probe). */
  #young = 0

  constructor(ctx: EventsContext, connections: Connections, http: HttpTargets, options: BackoffOptions = {}) {
    this.#ctx = ctx
    this.#connections = connections
    this.#http = http
    this.#baseMs = options.baseMs ?? 1000
    this.#capMs = options.capMs ?? 300_000
    this.#timeoutMs = options.timeoutMs ?? LIMITS.invocationTimeoutMs
    this.#closeGraceMs = options.closeGraceMs ?? 1000
    // A manual clock's advance() waits while a call is in flight (its outcome may set the next timer),
    // but not for one that has not answered in 250 ms of real time: that target hangs, and its
    // timeout is a timer on the manual clock that the advance must be free to fire.
    this.#removeProbe = ctx.clock.addBusyProbe?.(() => this.#young > 0)
  }

  /** Every pending delivery in the store, each queue in key order (the order events were matched). */
  start(): void {
    for (const { key } of this.#ctx.store.scan(DELIVERIES)) this.enqueue(key)
  }

  /** Deliveries still waiting (in the store). */
  pending(): number {
    return this.#ctx.store.count(DELIVERIES)
  }

  enqueue(key: string): void {
    if (this.#closing) return
    const id = key.slice(0, key.lastIndexOf('/'))
    let q = this.#queues.get(id)
    if (q === undefined) {
      q = { id, keys: [], head: 0, busy: false, timer: undefined, failures: 0, unrecorded: undefined }
      this.#queues.set(id, q)
    }
    q.keys.push(key)
    this.#pump(q)
  }

  /**
   * Stops: no new call; the calls in flight get up to `closeGraceMs` of real
   * time to be answered (the target may have answered already, its answer on
   * the way), then the rest are cut short (their deliveries stay pending and
   * are sent again by the next worker). Every outcome received is recorded
   * before this resolves, so a graceful stop resends nothing its target
   * answered in time.
   */
  async close(): Promise<void> {
    this.#closing = true
    this.#removeProbe?.()
    for (const q of this.#queues.values()) this.#ctx.clock.clearTimeout(q.timer)
    if (this.#inFlight.size > 0) {
      let grace: NodeJS.Timeout | undefined
      await Promise.race([Promise.allSettled([...this.#inFlight]), new Promise((resolve) => { grace = setTimeout(resolve, this.#closeGraceMs) })])
      clearTimeout(grace)
    }
    for (const a of this.#aborts) a.abort()
    if (this.#acks.length > 0) this.#flushAcks()
    await Promise.allSettled([...this.#inFlight])
    this.#closed = true
    this.#queues.clear()
  }

  #wait(q: Queue, ms: number): void {
    q.timer = this.#ctx.clock.setTimeout(() => {
      q.timer = undefined
      this.#pump(q)
    }, ms)
  }

  /** Ms until the destination may be called again (0: now, and a token is taken). */
  #rateWait(arn: string, perSecond: number): number {
    const now = this.#ctx.clock.now()
    const b = this.#buckets.get(arn) ?? { tokens: perSecond, at: now }
    b.tokens = Math.min(perSecond, b.tokens + ((now - b.at) / 1000) * perSecond)
    b.at = now
    this.#buckets.set(arn, b)
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil(((1 - b.tokens) / perSecond) * 1000))
  }

  /** The store refused a write of this queue: published, and the queue tries again after a backoff (no tight loop). */
  #storeFailed(q: Queue, error: unknown): void {
    q.failures++
    const retryInMs = backoffMs(`${q.id}#store`, q.failures, this.#baseMs, this.#capMs)
    if (workerErrors.hasSubscribers) workerErrors.publish({ queue: q.id, key: q.unrecorded?.key ?? q.keys[q.head], failures: q.failures, retryInMs, error })
    if (!this.#closing) this.#wait(q, retryInMs)
  }

  #pump(q: Queue): void {
    if (this.#closing || q.busy || q.timer !== undefined) return
    try {
      this.#next(q)
    } catch (error) {
      this.#storeFailed(q, error)
    }
  }

  #next(q: Queue): void {
    if (q.unrecorded !== undefined) {
      const { key, result } = q.unrecorded
      const done = this.#finish(key, result)
      q.unrecorded = undefined
      q.failures = 0
      if (done) q.head++
    }
    while (q.head < q.keys.length) {
      const key = q.keys[q.head]
      const found = this.#ctx.store.get<DeliveryRecord>(DELIVERIES, key)
      if (found === undefined) {
        q.head++
        continue
      }
      const now = this.#ctx.clock.now()
      const record = found.value
      if (now - record.createdAt > record.maximumEventAgeSeconds * 1000) {
        this.#finish(key, { ok: false, retryable: false, code: record.lastError?.code ?? 'EVENT_EXPIRED', message: record.lastError?.message ?? 'the event was older than MaximumEventAgeInSeconds' }, 'MaximumEventAgeInSeconds')
        q.head++
        continue
      }
      if (record.nextAttemptAt > now) return this.#wait(q, record.nextAttemptAt - now)
      const destination = this.#connections.destinationByArn(record.targetArn)
      if (destination !== undefined) {
        const ms = this.#rateWait(destination.ApiDestinationArn, destination.InvocationRateLimitPerSecond)
        if (ms > 0) return this.#wait(q, ms)
      }
      q.busy = true
      const run = this.#attempt(q, key, record).then((done) => {
        q.failures = 0
        if (done) q.head++
      }, (error: unknown) => this.#storeFailed(q, error)).finally(() => {
        this.#inFlight.delete(run)
        q.busy = false
        if (q.head > 1024 && q.head * 2 > q.keys.length) {
          q.keys = q.keys.slice(q.head)
          q.head = 0
        }
        this.#pump(q)
      })
      this.#inFlight.add(run)
      return
    }
    this.#queues.delete(q.id)
  }

  /** One call; true when the delivery is finished (acknowledged or dead-lettered); throws when the store refused to record the outcome. */
  async #attempt(q: Queue, key: string, record: DeliveryRecord): Promise<boolean> {
    const destination = this.#connections.destinationByArn(record.targetArn)
    let connection: ConnectionRecord | undefined
    try {
      if (destination !== undefined) connection = this.#connections.connectionByArn(destination.ConnectionArn)
    } catch { /* the connection is gone: a failure, retried (it may be created again) */ }
    let result: SendResult
    if (destination === undefined || connection === undefined) {
      result = { ok: false, retryable: true, code: 'RESOURCE_NOT_FOUND', message: destination === undefined ? `API destination ${record.targetArn} does not exist` : `the connection ${destination.ConnectionArn} does not exist` }
    } else {
      const abort = new AbortController()
      this.#aborts.add(abort)
      let timedOut = false
      const timer = this.#ctx.clock.setTimeout(() => { timedOut = true; abort.abort() }, this.#timeoutMs)
      // Planned with the delivery; a record written before that was kept takes the target's current parameters.
      const http = record.http ?? (() => {
        const target = this.#ctx.store.get<TargetRecord>(TARGETS, targetKey(record.rule, record.targetId))?.value
        return target === undefined ? undefined : resolveHttp(target, record.event)
      })()
      let young = this.#removeProbe !== undefined
      const grown = () => { if (young) { young = false; this.#young-- } }
      const realTimer = young ? setTimeout(grown, 250).unref() : undefined
      if (young) this.#young++
      try {
        result = await this.#http.send(destination, connection, http, record.body, abort.signal)
      } finally {
        clearTimeout(realTimer)
        grown()
        this.#ctx.clock.clearTimeout(timer)
        this.#aborts.delete(abort)
      }
      // Cut short by close: not an outcome of the target's (the delivery stays pending and is sent again).
      if (!result.ok && abort.signal.aborted && !timedOut && this.#closing) return false
    }
    if (this.#closed) return false
    try {
      return result.ok ? await this.#acknowledge(key) : this.#finish(key, result)
    } catch (error) {
      q.unrecorded = { key, result }
      throw error
    }
  }

  /**
   * A 2xx: the delivery record is deleted, together with the others
   * acknowledged in the same turn of the event loop (one transaction for all);
   * the queue moves on once that is committed.
   */
  #acknowledge(key: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#acks.push({ key, resolve, reject })
      if (this.#acks.length === 1) setImmediate(() => this.#flushAcks())
    })
  }

  /** Records the pending acknowledgements; when the store refuses, each waiting attempt gets the error (its queue records it again later). */
  #flushAcks(): void {
    const acks = this.#acks
    this.#acks = []
    if (acks.length === 0) return
    if (this.#closed) {
      for (const { resolve } of acks) resolve(false)
      return
    }
    try {
      this.#ctx.store.transaction((tx) => {
        for (const { key } of acks) {
          const found = tx.get<DeliveryRecord>(DELIVERIES, key)
          if (found === undefined) continue
          tx.delete(DELIVERIES, key, found.version)
          if (delivered.hasSubscribers) tx.afterCommit(() => delivered.publish({ key, event: found.value.event, attempts: found.value.attempts + 1 }))
        }
      })
    } catch (error) {
      for (const { reject } of acks) reject(error)
      return
    }
    for (const { resolve } of acks) resolve(true)
  }

  /** Records an attempt's outcome in one transaction; true when the delivery is finished. */
  #finish(key: string, result: SendResult, condition?: string): boolean {
    return this.#ctx.store.transaction((tx) => {
      const found = tx.get<DeliveryRecord>(DELIVERIES, key)
      if (found === undefined) return true
      const record = found.value
      if (result.ok) {
        tx.delete(DELIVERIES, key, found.version)
        if (delivered.hasSubscribers) tx.afterCommit(() => delivered.publish({ key, event: record.event, attempts: record.attempts + 1 }))
        return true
      }
      const attempts = condition === undefined ? record.attempts + 1 : record.attempts
      const now = this.#ctx.clock.now()
      const nextAttemptAt = now + backoffMs(key, attempts, this.#baseMs, this.#capMs)
      const exhausted = condition ?? (!result.retryable ? 'NonRetryableError'
        : attempts - 1 >= record.maximumRetryAttempts ? 'MaximumRetryAttempts'
          : nextAttemptAt - record.createdAt > record.maximumEventAgeSeconds * 1000 ? 'MaximumEventAgeInSeconds' : undefined)
      if (failed.hasSubscribers) tx.afterCommit(() => failed.publish({ key, event: record.event, attempts, code: result.code, message: result.message }))
      if (exhausted !== undefined) {
        this.#deadLetter(tx, key, found.version, { ...record, attempts }, result, exhausted)
        return true
      }
      tx.put(DELIVERIES, key, { ...record, attempts, nextAttemptAt, lastError: { code: result.code, message: result.message } }, found.version)
      return false
    })
  }

  #deadLetter(tx: Transaction, key: string, version: number, record: DeliveryRecord, result: Extract<SendResult, { ok: false }>, condition: string): void {
    const now = this.#ctx.clock.now()
    const target = tx.get<TargetRecord>(TARGETS, targetKey(record.rule, record.targetId))?.value
    const letter: DeadLetter = {
      Id: `${pad(now)}/${key}`, Event: record.event, Body: record.body, Rule: record.rule, TargetId: record.targetId,
      ...(target?.DeadLetterConfig?.Arn !== undefined ? { DeadLetterArn: target.DeadLetterConfig.Arn } : {}),
      Attributes: {
        ERROR_CODE: result.code, ERROR_MESSAGE: result.message, RULE_ARN: record.ruleArn, TARGET_ARN: record.targetArn,
        // Retries made: the first attempt is not one.
        RETRY_ATTEMPTS: Math.max(0, record.attempts - 1), EXHAUSTED_RETRY_CONDITION: condition
      },
      Time: now
    }
    tx.delete(DELIVERIES, key, version)
    tx.put(DEAD_LETTERS, letter.Id, letter, 0)
    if (deadLettered.hasSubscribers) tx.afterCommit(() => deadLettered.publish(letter))
  }
}
