// The registry's repository settings in the engine's Store. registry/ stays
// standalone (it imports nothing of runtime): it defines the small interface
// it needs (ExternalRepositorySettingsStore), and this adapter implements it
// over the Store, so repositories and their settings are as durable as the
// rest of the engine's state. Manifests, tags, blob links and blobs stay in
// the registry's storage driver (under <dataDir>/registry).
//
//   ecr:repositories  repository name → its settings record (one write each:
//                     create, change, the `deleting` intent; deleted last)
//   ecr:registry      `storage` → { token }: the registry storage this store is
//                     linked to (the same token is in its settings-store.json)

import type { ExternalRepositorySettingsStore, RepositorySettings, StoredRepositorySettings } from '../../registry/index.js'
import type { Store } from '../store/store.js'

export const REPOSITORY_SETTINGS = 'ecr:repositories'
export const REGISTRY_LINK = 'ecr:registry'

interface StorageLinkRecord {
  token: string
}

/**
 * The Store is synchronous and the interface asynchronous (the default
 * implementation writes files): every call here is one store call, or one
 * transaction, done before its promise resolves.
 */
export class StoreRepositorySettings implements ExternalRepositorySettingsStore {
  constructor(private readonly store: Store) {}

  async list(): Promise<StoredRepositorySettings[]> {
    return this.store.scan<RepositorySettings>(REPOSITORY_SETTINGS).map(({ value, version }) => ({ settings: value, version }))
  }

  async put(settings: RepositorySettings, expected: number): Promise<number> {
    return this.store.put(REPOSITORY_SETTINGS, settings.repositoryName, settings, expected)
  }

  async delete(name: string, expected: number): Promise<void> {
    this.store.delete(REPOSITORY_SETTINGS, name, expected)
  }

  async linkedStorage(): Promise<string | undefined> {
    return this.store.get<StorageLinkRecord>(REGISTRY_LINK, 'storage')?.value.token
  }

  async link(token: string, imported: readonly RepositorySettings[]): Promise<void> {
    this.store.transaction((tx) => {
      for (const settings of imported) {
        if (tx.get(REPOSITORY_SETTINGS, settings.repositoryName) === undefined) tx.put(REPOSITORY_SETTINGS, settings.repositoryName, settings, 0)
      }
      tx.put(REGISTRY_LINK, 'storage', { token } satisfies StorageLinkRecord, tx.get(REGISTRY_LINK, 'storage')?.version ?? 0)
    })
  }
}
