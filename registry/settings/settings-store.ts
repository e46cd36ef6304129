import type { RepositoryMeta } from '../content/repository.js'

/** One repository's settings record, as stored, with the version it was read at. */
export interface StoredRepositorySettings {
  readonly settings: RepositoryMeta
  /** Positive; a new one with every write. What `put` and `delete` compare against. */
  readonly version: number
}

/**
 * Where the registry keeps each repository's settings record (`RepositoryMeta`: creation
 * time, tag mutability, scanning, anonymous pulls, repository and lifecycle policies, ECR
 * tags, and `deleting` while a delete is under way). Everything else of a repository —
 * manifests, tags, blob links — and the blobs stay in the storage driver.
 *
 * Two implementations: `DriverRepositorySettings` (the default when the registry runs on its
 * own: `_repository.json` files in the storage driver) and, given to `Registry.open` as
 * `repositorySettings`, an external store (the engine's Store; see
 * `ExternalRepositorySettingsStore`).
 *
 * Contract:
 * - Writes are compare-and-set: `put` and `delete` succeed only when the record's version is
 *   `expected` (0: it must not exist), else they throw a Conflict error and change nothing.
 *   The registry is the only writer of its records and serializes its own writes, so a
 *   conflict means another writer shares the store (a bug, refused rather than overwritten).
 * - A write is whole and durable when its promise resolves: the record is there with every
 *   field, or (if it threw) as it was.
 * - Values handed to `put` belong to the store afterwards (it may freeze them); the registry
 *   builds a new record for every change. `list` returns records in no particular order.
 */
export interface RepositorySettingsStore {
  /** Every record (read once, when the registry opens). */
  list (): Promise<StoredRepositorySettings[]>
  /** Writes `settings` (keyed by `settings.repositoryName`) if its version is `expected`; returns the new version. */
  put (settings: RepositoryMeta, expected: number): Promise<number>
  /** Removes the record of `name` if its version is `expected`. */
  delete (name: string, expected: number): Promise<void>
}

/**
 * Settings kept outside the registry's storage, in a store of their own (the engine's).
 * The storage and the store are then two halves of one registry: the storage holds a marker
 * with a token (`settings-store.json`), the store the same token. Opening a storage with a
 * store that does not hold its token is refused (its repositories would silently be missing);
 * opening a linked storage without its store is refused too.
 */
export interface ExternalRepositorySettingsStore extends RepositorySettingsStore {
  /** The token of the storage this store is linked to (undefined: none yet). */
  linkedStorage (): Promise<string | undefined>
  /**
   * In one atomic write: sets the link token, and creates the record of every repository of
   * `imported` that has none yet (those that have one keep it: the store's is newer).
   * How settings files of an older storage are moved in, once.
   */
  link (token: string, imported: readonly RepositoryMeta[]): Promise<void>
}
