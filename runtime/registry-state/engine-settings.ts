// Where an engine keeps its registry's repository settings: in its store only
// when that store is durable (the SQLite store of a data directory).
//
// Linking a registry storage to a store moves the storage's settings files
// into the store and deletes them (registry/settings/storage-link.ts). A
// memory store is gone at close while the storage stays (a data directory
// given with `store: new MemoryStore()`, or `registry.storage` of the
// caller's): linked to one, the storage would lose every repository and keep
// a marker that refuses every later open. So with a memory store the settings
// stay in the storage's own `_repository.json` files, as a standalone registry
// keeps them, and a later engine on the SQLite store imports them when it
// links the storage.
//
// `store.kind` is a closed union ('memory' | 'sqlite'), so the check is exact.

import { isRegistryError } from '../../registry/index.js'
import { ConflictError } from '../errors.js'
import type { Store } from '../store/store.js'
import { StoreRepositorySettings } from './store-settings.js'

/** True when the store outlives the process, so it can hold the settings of a storage that does. */
export function keepsRepositorySettings(store: Store): boolean {
  return store.kind === 'sqlite'
}

/** The registry's `repositorySettings` for an engine on `store` (none: the storage's own files). */
export function engineRepositorySettings(store: Store): { repositorySettings?: StoreRepositorySettings } {
  return keepsRepositorySettings(store) ? { repositorySettings: new StoreRepositorySettings(store) } : {}
}

/**
 * The registry's refusal of a storage linked to a store (RepositorySettingsElsewhere), said
 * for an engine on a memory store: what it means and what to do. The registry refused before
 * writing anything, so the storage and the store it is linked to are as they were. Any other
 * error is returned as it is.
 */
export function engineRegistryOpenError(error: unknown, store: Store): unknown {
  if (keepsRepositorySettings(store) || !isRegistryError(error, 'RepositorySettingsElsewhere')) return error
  return new ConflictError('RepositorySettingsElsewhere',
    'the registry storage keeps its repository settings in an engine store (its settings-store.json), and this engine\'s store ' +
    'is a memory store, which never holds them (only the SQLite store of a data directory does): start the engine on the data ' +
    'directory whose state.db holds them, without the `store` option. Nothing was changed. (A storage an older engine linked to ' +
    'a memory store has lost its settings with it: remove settings-store.json from the storage to start with no repositories; ' +
    'their images stay until garbage collection.)',
    { field: 'store', cause: error })
}
