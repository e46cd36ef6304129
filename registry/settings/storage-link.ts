import { randomUUID } from 'node:crypto'
import type { Clock } from '../clock.js'
import { RegistryError } from '../errors.js'
import { paths } from '../content/paths.js'
import { ignoreMissing, PathNotFoundError, type StorageDriver } from '../storage/driver.js'
import { readSettingsFiles } from './settings-files.js'
import { DriverRepositorySettings } from './driver-settings.js'
import type { ExternalRepositorySettingsStore, RepositorySettingsStore } from './settings-store.js'

/** What `settings-store.json` holds: the storage's half of the link (see ExternalRepositorySettingsStore). */
interface StorageLinkMarker {
  token: string
  /** Registry-clock ms. */
  linkedAt: number
}

async function readMarker (driver: StorageDriver): Promise<StorageLinkMarker | undefined> {
  let text: string
  try {
    text = (await driver.getContent(paths.settingsStoreMarker)).toString('utf8')
  } catch (err) {
    if (err instanceof PathNotFoundError) return undefined
    throw err
  }
  const marker = JSON.parse(text) as StorageLinkMarker
  if (typeof marker?.token !== 'string') {
    throw new RegistryError('RepositorySettingsMarkerInvalid', `${paths.settingsStoreMarker} in the registry storage has no token`, { kind: 'Unavailable', field: 'storage' })
  }
  return marker
}

/**
 * Opens a storage whose settings live in `store`. In order, each step safe to interrupt:
 * 1. refuse a storage linked to another store (or a store that lost its state): its
 *    repositories would be silently missing;
 * 2. one atomic write to the store: the link token, and the settings of every
 *    `_repository.json` still in the storage (from a registry that kept them there) that the
 *    store has no record of — the store's record is the newer one;
 * 3. the marker in the storage (a crash before it: step 2 again finds the store linked, and
 *    writes the marker with its token);
 * 4. the settings files removed: from now on the store is the one place settings live, so a
 *    stale copy can neither mislead a reader of the directory nor be imported again.
 * Manifests, tags, blob links and blobs stay where they are.
 */
export async function openLinkedStorage (driver: StorageDriver, store: ExternalRepositorySettingsStore, clock: Clock): Promise<void> {
  const marker = await readMarker(driver)
  const linked = await store.linkedStorage()
  if (marker !== undefined && marker.token !== linked) {
    throw new RegistryError('RepositorySettingsStoreMismatch',
      `the registry storage keeps its repository settings in an engine store (linked ${new Date(marker.linkedAt).toISOString()}), ` +
      `and the store given ${linked === undefined ? 'holds none (a new or lost engine state)' : 'is linked to another storage'}: ` +
      `open it with the store it was used with, or remove ${paths.settingsStoreMarker} from the storage to start with no repositories ` +
      '(their images stay in the storage until garbage collection)',
      { kind: 'Conflict', field: 'repositorySettings' })
  }
  const files = await readSettingsFiles(driver)
  const token = linked ?? randomUUID()
  if (linked === undefined || files.length > 0) await store.link(token, files)
  if (marker === undefined) await driver.putContent(paths.settingsStoreMarker, JSON.stringify({ token, linkedAt: clock.now() } satisfies StorageLinkMarker))
  for (const meta of files) await ignoreMissing(driver.delete(paths.repositoryMeta(meta.repositoryName)))
}

/**
 * A registry opened without an external store on a storage linked to one would see no
 * repositories (and its garbage collector would sweep every image): refused.
 */
async function refuseLinkedStorage (driver: StorageDriver): Promise<void> {
  const marker = await readMarker(driver)
  if (marker === undefined) return
  throw new RegistryError('RepositorySettingsElsewhere',
    `this registry storage keeps its repository settings in an engine store (linked ${new Date(marker.linkedAt).toISOString()}): ` +
    'open it with that store (Registry.open({ repositorySettings }), as the Stratus engine does)',
    { kind: 'Conflict', field: 'repositorySettings' })
}

/**
 * The settings store a registry opens with: `external` linked to the storage, or (none
 * given) the storage's own settings files, unless the storage is linked to an external store.
 */
export async function openSettingsStore (driver: StorageDriver, external: ExternalRepositorySettingsStore | undefined, clock: Clock): Promise<RepositorySettingsStore> {
  if (external === undefined) {
    await refuseLinkedStorage(driver)
    return new DriverRepositorySettings(driver)
  }
  await openLinkedStorage(driver, external, clock)
  return external
}
