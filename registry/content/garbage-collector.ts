import type { Distribution } from './distribution.js'

/**
 * Mark and sweep over the blob store.
 *
 * Mark: every manifest of every repository (tagged or not) marks its own bytes, its config
 * and its layers (an index's children are manifests of the repository, so they mark
 * themselves). Sweep: every stored blob not marked and not used (committed, mounted,
 * referenced) within the grace period is deleted, and the links to it are removed from
 * every repository, so a later push of the same blob really stores it again.
 *
 * Quarantined copies of corrupted blobs (see `quarantine.ts`) that no manifest references any
 * more are deleted too: nothing will push them again to repair them.
 *
 * Runs with the distribution's GC lock held exclusive: no blob commit, mount or manifest PUT
 * interleaves, so a blob checked by a push cannot vanish before its manifest lands. Uploads
 * in progress live outside the blob store and are never touched.
 */
export interface GarbageCollectOptions {
  /** Blobs used more recently than this (registry clock) are kept. */
  gracePeriodMs: number
  /** Report what would be deleted without deleting. */
  dryRun?: boolean
}

export interface GarbageCollectReport {
  readonly blobsMarked: number
  readonly blobsDeleted: readonly string[]
  readonly bytesFreed: number
  readonly blobsInGracePeriod: number
  /** Quarantined (corrupted) blobs deleted because nothing references them any more. */
  readonly quarantinedDeleted: readonly string[]
}

export async function garbageCollect (d: Distribution, options: GarbageCollectOptions): Promise<GarbageCollectReport> {
  return d.gcLock.exclusive(async () => {
    const marked = new Set<string>()
    const states = []
    for (const name of d.repositories.names()) {
      const state = await d.repositories.get(name)
      if (state === undefined) continue
      states.push(state)
      for (const record of state.manifests.values()) {
        marked.add(record.digest)
        for (const blob of record.blobs) marked.add(blob)
      }
    }
    const now = d.clock.now()
    const deleted: string[] = []
    let bytesFreed = 0
    let inGrace = 0
    for (const digest of await d.blobs.list()) {
      if (marked.has(digest)) continue
      if (now - d.blobs.lastUsed(digest) < options.gracePeriodMs) { inGrace++; continue }
      deleted.push(digest)
      if (options.dryRun === true) continue
      bytesFreed += await d.blobs.size(digest) ?? 0
      for (const state of states) {
        if (state.layers.has(digest)) await state.lock.run(() => state.unlinkBlob(digest))
      }
      await d.blobs.delete(digest)
    }
    const quarantinedDeleted: string[] = []
    for (const { digest } of d.blobs.quarantine.list()) {
      if (marked.has(digest)) continue
      quarantinedDeleted.push(digest)
      if (options.dryRun !== true) await d.blobs.quarantine.release(digest)
    }
    return { blobsMarked: marked.size, blobsDeleted: deleted, bytesFreed, blobsInGracePeriod: inGrace, quarantinedDeleted }
  })
}
