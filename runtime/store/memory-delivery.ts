// What the memory store tells after a commit (outbox listeners, watchers'
// changes, afterCommit callbacks, in that order), delivered through one
// queue: a commit made by a listener while a delivery runs is queued behind
// it, so every listener sees commits in commit order. Each listener is isolated: what it throws is
// published on a diagnostics channel and the others still run.

import { channel } from 'node:diagnostics_channel'
import type { Change } from './store.js'

const watchErrors = channel('stratus:store:watch-error')
const afterCommitErrors = channel('stratus:store:after-commit-error')

export type Watcher = (change: Change) => void

export class CommitDelivery {
  // Triples: changes, afterCommit callbacks, tell the outbox listeners.
  readonly #queue: unknown[] = []
  #draining = false
  readonly #watchersOf: (collection: string) => ReadonlySet<Watcher> | undefined
  readonly #notifyOutbox: () => void

  constructor(watchersOf: (collection: string) => ReadonlySet<Watcher> | undefined, notifyOutbox: () => void) {
    this.#watchersOf = watchersOf
    this.#notifyOutbox = notifyOutbox
  }

  /** Delivers one commit's notifications now, or after the delivery already running. */
  deliver(changes: Change[] | undefined, after: Array<() => void> | undefined, outbox: boolean): void {
    const queue = this.#queue
    queue.push(changes, after, outbox)
    if (this.#draining) return
    this.#draining = true
    try {
      for (let i = 0; i < queue.length; i += 3) {
        // The outbox first: a commit's events are on their way before its side effects begin.
        if (queue[i + 2] === true) this.#notifyOutbox()
        const cs = queue[i] as Change[] | undefined
        if (cs !== undefined) for (const change of cs) this.#tell(change)
        const fns = queue[i + 1] as Array<() => void> | undefined
        if (fns !== undefined) {
          for (const fn of fns) {
            try {
              fn()
            } catch (error) {
              afterCommitErrors.publish({ error })
            }
          }
        }
      }
    } finally {
      queue.length = 0
      this.#draining = false
    }
  }

  #tell(change: Change): void {
    const watchers = this.#watchersOf(change.collection)
    if (watchers === undefined) return
    for (const watcher of watchers) {
      try {
        watcher(change)
      } catch (error) {
        watchErrors.publish({ collection: change.collection, key: change.key, error })
      }
    }
  }
}
