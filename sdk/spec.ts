// Builders hold a frozen spec and return a new builder from each call: one
// can be reused and forked, and nothing a caller changes later reaches it.

export type Spec<T> = Readonly<T>

/**
 * A builder's own copy of its spec, frozen all the way down: neither the
 * objects a caller passed in (and may change later) nor the forks that share
 * parts of it can change it.
 */
export function freeze<T extends object>(spec: T): Spec<T> {
  const deepFreeze = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  const copy = structuredClone(spec)
  deepFreeze(copy)
  return copy
}
