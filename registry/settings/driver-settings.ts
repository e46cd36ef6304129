import { RegistryError } from '../errors.js'
import { ignoreMissing, type StorageDriver } from '../storage/driver.js'
import { paths } from '../content/paths.js'
import type { RepositoryMeta } from '../content/repository.js'
import { readSettingsFiles } from './settings-files.js'
import type { RepositorySettingsStore, StoredRepositorySettings } from './settings-store.js'

/**
 * Settings as `_repository.json` files in the storage driver (fsynced, written atomically):
 * the default of a registry on its own. Files carry no version, so versions are kept here,
 * from the `list` at open: one registry process owns its storage, so compare-and-set only
 * has this process's own writes to guard against.
 */
export class DriverRepositorySettings implements RepositorySettingsStore {
  readonly #versions = new Map<string, number>()
  #next = 1

  constructor (private readonly driver: StorageDriver) {}

  async list (): Promise<StoredRepositorySettings[]> {
    const out: StoredRepositorySettings[] = []
    for (const settings of await readSettingsFiles(this.driver)) {
      const version = this.#next++
      this.#versions.set(settings.repositoryName, version)
      out.push({ settings, version })
    }
    return out
  }

  async put (settings: RepositoryMeta, expected: number): Promise<number> {
    const name = settings.repositoryName
    this.#check(name, expected)
    await this.driver.putContent(paths.repositoryMeta(name), JSON.stringify(settings))
    const version = this.#next++
    this.#versions.set(name, version)
    return version
  }

  async delete (name: string, expected: number): Promise<void> {
    this.#check(name, expected)
    await ignoreMissing(this.driver.delete(paths.repositoryMeta(name)))
    this.#versions.delete(name)
  }

  #check (name: string, expected: number): void {
    const current = this.#versions.get(name) ?? 0
    if (current !== expected) {
      throw new RegistryError('RepositorySettingsConflict',
        `the settings of repository ${name} are at version ${current}, not ${expected}: another writer changed them`,
        { kind: 'Conflict', field: 'repositoryName' })
    }
  }
}
