import type { RepositoryMeta } from '../content/repository.js'
import { ignoreMissing, type StorageDriver } from '../storage/driver.js'
import { paths } from '../content/paths.js'

/**
 * Every `_repository.json` under `/repositories` (a repository name is a path, so nested
 * repositories are found too; underscore directories hold a repository's contents and are
 * skipped). A file that does not parse (torn by a crash of a registry that wrote settings
 * without fsync) is skipped, as it always was.
 */
export async function readSettingsFiles (driver: StorageDriver): Promise<RepositoryMeta[]> {
  const found: RepositoryMeta[] = []
  await ignoreMissing(driver.walk(paths.repositoriesRoot, async (info) => {
    const base = info.path.slice(info.path.lastIndexOf('/') + 1)
    if (info.isDir) return base.startsWith('_') ? 'skip' : undefined
    if (base !== '_repository.json') return
    try {
      found.push(JSON.parse((await driver.getContent(info.path)).toString('utf8')) as RepositoryMeta)
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err
    }
  }))
  return found
}

/** The record without its undefined fields: what a JSON file or any store keeps of it. */
export function compactSettings (meta: RepositoryMeta): RepositoryMeta {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(meta)) if (value !== undefined) out[key] = value
  return out as unknown as RepositoryMeta
}
