// In-process event stream in EventBridge's shape. Subscribers give a pattern;
// events are delivered in publish order, after the state change that caused
// them is committed, each handler isolated from the others' failures.
// Producers ask `wants(source, detailType)` first, so building an event's
// detail costs nothing while nobody listens for it: subscribers and the
// interests added with addInterest() (the ENABLED rules) are asked. An
// event gets its id and time when it is made (inside the transaction that
// writes it, see emitEvent), so a redelivered event keeps them.

import { channel } from 'node:diagnostics_channel'
import { randomUUID } from 'node:crypto'
import { matches, validatePattern, type EventPattern } from './pattern.js'

export interface CloudEvent<D = unknown> {
  version: '0'
  id: string
  'detail-type': string
  source: string
  account: string
  time: string
  region: string
  resources: string[]
  detail: D
}

export type EventHandler = (event: CloudEvent) => void | Promise<void>

interface Subscription {
  pattern: EventPattern
  handler: EventHandler
  sources: readonly unknown[] | undefined
  detailTypes: readonly unknown[] | undefined
}

const handlerErrors = channel('stratus:events:handler-error')

export class EventBus {
  readonly #subs = new Set<Subscription>()
  readonly #interests = new Set<(source: string, detailType: string) => boolean>()
  readonly #queue: CloudEvent[] = []
  #draining = false
  readonly account: string
  readonly region: string
  readonly #now: () => number

  constructor(options: { account: string; region: string; now: () => number }) {
    this.account = options.account
    this.region = options.region
    this.#now = options.now
  }

  /** Calls handler for every event matching pattern; returns the unsubscribe function. */
  subscribe(pattern: EventPattern, handler: EventHandler): () => void {
    validatePattern(pattern)
    const sub: Subscription = {
      pattern,
      handler,
      sources: Array.isArray(pattern.source) ? pattern.source : undefined,
      detailTypes: Array.isArray(pattern['detail-type']) ? pattern['detail-type'] : undefined
    }
    this.#subs.add(sub)
    return () => {
      this.#subs.delete(sub)
    }
  }

  /**
   * Adds a listener that is not a subscriber (the rules): wants() says yes
   * when it does. Returns the function that removes it.
   */
  addInterest(interest: (source: string, detailType: string) => boolean): () => void {
    this.#interests.add(interest)
    return () => {
      this.#interests.delete(interest)
    }
  }

  /** Could an event of this source and detail type reach any subscriber or rule? */
  wants(source: string, detailType: string): boolean {
    for (const interest of this.#interests) if (interest(source, detailType)) return true
    for (const s of this.#subs) {
      if (s.sources !== undefined && !s.sources.some((v) => typeof v !== 'string' || v === source)) continue
      if (s.detailTypes !== undefined && !s.detailTypes.some((v) => typeof v !== 'string' || v === detailType)) continue
      return true
    }
    return false
  }

  /** A new event in EventBridge's envelope: a fresh id; `at` is when it happened (engine clock ms; default now). */
  make<D>(source: string, detailType: string, resources: string[], detail: D, at?: number): CloudEvent<D> {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source,
      account: this.account,
      time: new Date(at ?? this.#now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources,
      detail
    }
  }

  /** Queues a new event for delivery; `at` is when it happened (engine clock ms; default now). */
  publish<D>(source: string, detailType: string, resources: string[], detail: D, at?: number): void {
    this.deliver(this.make(source, detailType, resources, detail, at))
  }

  /** Queues an event already made (it keeps its id and time) for the subscribers. */
  deliver(event: CloudEvent): void {
    this.#queue.push(event)
    if (!this.#draining) {
      this.#draining = true
      queueMicrotask(() => this.#drain())
    }
  }

  #drain(): void {
    try {
      for (let i = 0; i < this.#queue.length; i++) {
        const event = this.#queue[i]
        for (const sub of this.#subs) {
          if (!matches(sub.pattern, event)) continue
          try {
            const result = sub.handler(event)
            if (result instanceof Promise) result.catch((error) => handlerErrors.publish({ event, error }))
          } catch (error) {
            handlerErrors.publish({ event, error })
          }
        }
      }
    } finally {
      this.#queue.length = 0
      this.#draining = false
    }
  }
}
