// stratus.sequence, the number a consumer orders and dedupes a job's events
// by: it must grow with every event of a job (an array child, a node), also
// when one transaction changes it twice (an array's fan-out moves each child
// PENDING → RUNNABLE in one commit). The store version of the record a
// change writes grows with every transaction that writes it, not with every
// change inside one, so the sequence is version × SEQUENCE_STEP + the
// event's rank among that record's events of the transaction.

/** More events than this for one job in one transaction cannot happen (a job changes status a handful of times at most). */
export const SEQUENCE_STEP = 1000

/** Events emitted so far, per (record key, version): the rank of the next one. */
const ranks = new Map<string, number>()

/**
 * The sequence of an event of `key` (a job id, `jobId:index` for a child, a
 * node's key) written at record version `version`. afterCommit forgets the
 * count; a transaction undone leaves its count behind (a gap, never a repeat).
 */
export function eventSequence(key: string, version: number, afterCommit: (fn: () => void) => void): number {
  const k = `${key}@${version}`
  const n = ranks.get(k)
  if (n === undefined) afterCommit(() => ranks.delete(k))
  ranks.set(k, (n ?? 0) + 1)
  return version * SEQUENCE_STEP + Math.min(n ?? 0, SEQUENCE_STEP - 1)
}
