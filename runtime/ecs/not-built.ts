// SKELETON ONLY — removed before issue 12 is submitted. An operation whose area
// is still being built answers UnknownOperationException naming it (never an
// empty success), as the wire table did before.

import { StratusError } from '../errors.js'

export function notBuilt(operation: string): never {
  throw new StratusError('InvalidArgument', 'UnknownOperationException', `ECS operation ${operation} is not built yet`, { field: 'operation' })
}

/** An object whose every named method throws notBuilt. */
export function notBuiltOperations<T>(names: readonly string[]): T {
  return Object.fromEntries(names.map((n) => [n, async () => notBuilt(n)])) as T
}
