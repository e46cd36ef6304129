// The registration list of the wire API: every service table the engine's
// endpoint answers, built from the engine parts each needs. A service's
// operations may come from several arrays, composed here
// (`batchTable(batch, p, [...batchOperations(batch, p), ...more])`).

import type { BatchService } from '../batch/api.js'
import type { Partition } from '../aws/partition.js'
import type { Registry } from '../../registry/index.js'
import type { Clock } from '../clock/clock.js'
import type { EventBus } from '../events/bus.js'
import type { ServiceTable } from './operation.js'
import { batchTable } from './tables/batch.js'
import { ecrTable } from './tables/ecr.js'
import { ecsTable } from './tables/ecs.js'
import { lightsailTable } from './tables/lightsail.js'
import { stratusTable } from './tables/stratus.js'

/** What the tables are built from. */
export interface ServiceParts {
  readonly partition: Partition
  readonly batch: BatchService
  readonly registry: Registry
  readonly clock: Clock
  readonly events: EventBus
}

export function serviceTables(parts: ServiceParts): ServiceTable[] {
  const { partition, batch, registry, clock, events } = parts
  return [
    stratusTable({ batch, clock, events, registry, partition }),
    batchTable(batch, partition),
    ecrTable(registry, partition),
    ecsTable(),
    lightsailTable()
  ]
}
