import { ignoreMissing, type StorageDriver } from '../storage/driver.js'
import type { RepositorySettingsStore } from '../settings/settings-store.js'
import { compactSettings } from '../settings/settings-files.js'
import { Mutex } from './locks.js'
import { paths } from './paths.js'
import { RepositoryState, type RepositoryMeta } from './repository.js'

/**
 * The set of repositories. Their settings records come from the settings store at open; a
 * repository's contents (manifests, tags, blob links, in the storage driver) load on first
 * use. Creates and deletes run under `lock`.
 *
 * A repository is there when its settings record is (and is not `deleting`):
 * - create is one settings write, of the whole record; contents a lost record left in the
 *   storage under the same name are removed first, so a new repository never inherits them;
 * - delete records the intent first (the record, marked `deleting`), then removes the
 *   contents, then the record. Interrupted anywhere, the repository is gone from the next
 *   open on, which finishes the delete (so does a create of the same name before then).
 */
export class Repositories {
  readonly #meta = new Map<string, RepositoryMeta>()
  readonly #versions = new Map<string, number>()
  /** Deletes whose intent is recorded and not finished: name → version of the `deleting` record. */
  readonly #pendingDeletes = new Map<string, number>()
  readonly #states = new Map<string, Promise<RepositoryState>>()
  #sorted: string[] | undefined
  readonly lock = new Mutex()
  #settings: RepositorySettingsStore | undefined

  constructor (private readonly driver: StorageDriver) {}

  /** Where the settings records are: set once, at open. */
  private get settings (): RepositorySettingsStore {
    if (this.#settings === undefined) throw new Error('Repositories used before open()')
    return this.#settings
  }

  async open (settingsStore: RepositorySettingsStore): Promise<void> {
    this.#settings = settingsStore
    for (const { settings, version } of await settingsStore.list()) {
      if (settings.deleting === true) {
        this.#pendingDeletes.set(settings.repositoryName, version)
      } else {
        this.#meta.set(settings.repositoryName, settings)
        this.#versions.set(settings.repositoryName, version)
      }
    }
    for (const name of [...this.#pendingDeletes.keys()]) await this.#finishDelete(name)
  }

  has (name: string): boolean { return this.#meta.has(name) }

  /** A repository's settings without loading its contents. */
  meta (name: string): RepositoryMeta | undefined { return this.#meta.get(name) }

  /** All names, sorted (the catalog order). */
  names (): readonly string[] {
    this.#sorted ??= [...this.#meta.keys()].sort()
    return this.#sorted
  }

  get (name: string): Promise<RepositoryState> | undefined {
    const meta = this.#meta.get(name)
    if (meta === undefined) return undefined
    let state = this.#states.get(name)
    if (state === undefined) {
      state = RepositoryState.load(meta, this.driver)
      state.catch(() => this.#states.delete(name))
      this.#states.set(name, state)
    }
    return state
  }

  /** Creates the repository; the caller checked it does not exist (under `lock`). */
  async create (meta: RepositoryMeta): Promise<RepositoryState> {
    const name = meta.repositoryName
    if (this.#pendingDeletes.has(name)) await this.#finishDelete(name)
    await this.#removeContents(name)
    const version = await this.settings.put(compactSettings(meta), 0)
    const state = new RepositoryState(meta, this.driver)
    this.#meta.set(name, meta)
    this.#versions.set(name, version)
    this.#states.set(name, Promise.resolve(state))
    this.#sorted = undefined
    return state
  }

  /** Writes a repository's new settings (under its `lock`). */
  async saveMeta (state: RepositoryState, meta: RepositoryMeta): Promise<void> {
    const name = state.name
    const version = await this.settings.put(compactSettings(meta), this.#versions.get(name) ?? 0)
    this.#versions.set(name, version)
    state.meta = meta
    if (!state.deleted) this.#meta.set(name, meta)
  }

  /** Deletes the repository's own contents (not nested repositories) and its record (under `lock`). */
  async delete (state: RepositoryState): Promise<void> {
    const name = state.name
    const version = await this.settings.put({ ...compactSettings(state.meta), deleting: true }, this.#versions.get(name) ?? 0)
    // The intent is recorded: from here on the repository is gone, whatever happens next.
    state.deleted = true
    this.#pendingDeletes.set(name, version)
    this.#meta.delete(name)
    this.#versions.delete(name)
    this.#states.delete(name)
    this.#sorted = undefined
    await this.#finishDelete(name)
  }

  async #finishDelete (name: string): Promise<void> {
    await this.#removeContents(name)
    await this.settings.delete(name, this.#pendingDeletes.get(name) ?? 0)
    this.#pendingDeletes.delete(name)
  }

  async #removeContents (name: string): Promise<void> {
    for (const sub of ['_manifests', '_layers']) {
      await ignoreMissing(this.driver.delete(`${paths.repository(name)}/${sub}`))
    }
  }
}
