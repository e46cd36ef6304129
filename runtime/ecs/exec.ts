// SKELETON — this area's engineer replaces this file.

import type { EcsContext } from './context.js'
import type { ExecOperations, ExecExtensions } from './model-exec.js'
import { EXEC_OPERATION_NAMES } from './model-exec.js'
import { notBuiltOperations } from './not-built.js'

/** Creates the area's controllers (work queues, owners, watchers) and picks up what the store holds. */
export function execOperations(ctx: EcsContext): ExecOperations & ExecExtensions {
  void ctx
  return notBuiltOperations<ExecOperations & ExecExtensions>(EXEC_OPERATION_NAMES)
}
