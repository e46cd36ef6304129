import type { Clock } from '../clock.js'
import { invalidParameter } from '../errors.js'
import type { StorageDriver } from './driver.js'
import { FilesystemDriver } from './filesystem.js'
import { InMemoryDriver } from './memory.js'

/**
 * The storage drivers, in one explicit registration table. `Registry.open({ storage })`
 * takes either a driver instance or one of these configurations.
 */
export type StorageConfig =
  | { driver: 'filesystem', rootDirectory: string }
  | { driver: 'inmemory' }

export const STORAGE_DRIVERS = Object.freeze({
  filesystem: (config: Extract<StorageConfig, { driver: 'filesystem' }>) => new FilesystemDriver({ rootDirectory: config.rootDirectory }),
  inmemory: (_config: Extract<StorageConfig, { driver: 'inmemory' }>, clock?: Clock) => new InMemoryDriver({ clock })
} satisfies { [K in StorageConfig['driver']]: (config: Extract<StorageConfig, { driver: K }>, clock?: Clock) => StorageDriver })

export type StorageDriverName = keyof typeof STORAGE_DRIVERS

export function createStorageDriver (config: StorageConfig, clock?: Clock): StorageDriver {
  switch (config?.driver) {
    case 'filesystem':
      if (typeof config.rootDirectory !== 'string' || config.rootDirectory === '') {
        throw invalidParameter('storage.rootDirectory', 'the filesystem driver needs a directory')
      }
      return STORAGE_DRIVERS.filesystem(config)
    case 'inmemory':
      return STORAGE_DRIVERS.inmemory(config, clock)
    default:
      throw invalidParameter('storage.driver', `unknown storage driver ${JSON.stringify((config as { driver?: unknown })?.driver)}`, Object.keys(STORAGE_DRIVERS).join(' | '))
  }
}
