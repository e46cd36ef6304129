// The control-loop contract (Kubernetes' reconcile): a reconciler brings one
// key's observed state to its desired state, reading both from the store, and
// says whether it is done or wants to look again later. It is level-triggered:
// it acts on the state it reads, never on the event that woke it, so running
// it twice, or after a missed wake-up, is harmless.

export type ReconcileResult = undefined | { readonly againAfterMs: number }

/** Done: nothing more to do for this key until something changes. */
export const done: ReconcileResult = undefined

/** Look again after ms (on the engine's clock); 0: on the next turn. */
export function againAfter(ms: number): ReconcileResult {
  return { againAfterMs: Math.max(0, ms) }
}

export interface Reconciler<K extends string = string> {
  /** Reconciles one key. May throw: a store conflict is retried soon, other errors with backoff. */
  reconcile(key: K): ReconcileResult | Promise<ReconcileResult>
}
