// The latest time a store has seen from a manual clock. A manual clock's time
// is whatever its advances made it: an engine restarted over the store of one
// that ran on a manual clock would otherwise start at the wall-clock time (or
// the startTime it is given), possibly days before the times its records
// hold — jobs would stop before they were created, and retention and
// scale-in deadlines, measured from persisted times, would stretch by the gap.
// So the engine keeps a mark in its store: the time each advance moves to,
// written before the advance begins (no record can carry a later time until
// the next advance writes a new mark), and a manual clock it makes starts no
// earlier than that mark. The real clock is the wall clock and is left alone.

import type { Store } from '../store/store.js'
import type { ManualClock } from './clock.js'

const COLLECTION = 'engine'
const KEY = 'clock'

/** The mark the store holds (undefined: no manual clock ran over it). */
export function clockMarkOf(store: Store): number | undefined {
  return store.get<number>(COLLECTION, KEY)?.value
}

/** Where a manual clock over this store starts: the time asked for (default now), but never before the store's mark. */
export function manualStartOf(store: Store, startTime: number | undefined): number {
  const wanted = startTime ?? Date.now()
  const mark = clockMarkOf(store)
  return mark !== undefined && mark > wanted ? mark : wanted
}

/** Keeps the store's mark at the clock's time and at every advance's target; returns the function that stops it. */
export function keepClockMark(store: Store, clock: ManualClock): () => void {
  const write = (time: number) => {
    const current = store.get<number>(COLLECTION, KEY)
    if (current !== undefined && current.value >= time) return
    store.put(COLLECTION, KEY, time, current?.version ?? 0)
  }
  write(clock.now())
  return clock.onAdvance(write)
}
