// SKELETON — this area's engineer replaces this file.

import type { EcsContext } from './context.js'
import type { ServiceOperations, ServiceExtensions } from './model-services.js'
import { SERVICE_OPERATION_NAMES } from './model-services.js'
import { notBuiltOperations } from './not-built.js'

/** Creates the area's controllers (work queues, owners, watchers) and picks up what the store holds. */
export function serviceOperations(ctx: EcsContext): ServiceOperations & ServiceExtensions {
  void ctx
  return notBuiltOperations<ServiceOperations & ServiceExtensions>(SERVICE_OPERATION_NAMES)
}
