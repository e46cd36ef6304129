// Where the compiled helper is: build/launcher/stratus-launcher of the package.
import { findBuiltBinary } from '../../native.js'

export const LAUNCHER_BINARY_RELATIVE = 'build/launcher/stratus-launcher'

export function findLauncherBinary(): string | undefined {
  const override = process.env.STRATUS_LAUNCHER_BIN
  if (override) return override
  return findBuiltBinary(LAUNCHER_BINARY_RELATIVE)
}
