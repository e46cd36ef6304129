// Where the package's compiled helpers are (build/…, made by
// runtime/runners/launcher/build.mjs at install), found from this module
// whether it runs from source or from dist/.
import { accessSync, constants } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The executable at `relative` under the package root, or undefined (not built). */
export function findBuiltBinary(relative: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let depth = 0; depth < 8; depth++) {
    const candidate = join(dir, relative)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // keep walking up
    }
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return undefined
}
