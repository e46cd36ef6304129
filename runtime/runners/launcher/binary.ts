// Where the compiled helper is: build/launcher/stratus-launcher of the package,
// found from this module whether it runs from source or from dist/.
import { accessSync, constants } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const LAUNCHER_BINARY_RELATIVE = 'build/launcher/stratus-launcher'

export function findLauncherBinary(): string | undefined {
  const override = process.env.STRATUS_LAUNCHER_BIN
  if (override) return override
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let depth = 0; depth < 8; depth++) {
    const candidate = join(dir, LAUNCHER_BINARY_RELATIVE)
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
