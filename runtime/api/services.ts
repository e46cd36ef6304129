// The registration list of the wire API: every service table the engine's
// endpoint answers, built from the engine parts each needs. A service's
// operations may come from several arrays, composed here
// (`batchTable(batch, p, [...batchOperations(batch, p), ...more])`).

import type { Batch } from '../batch/service.js'
import type { Ecs } from '../ecs/service.js'
import type { Acm } from '../acm/service.js'
import type { CloudWatchLogsApi } from '../logs/cloudwatch-logs.js'
import type { Partition } from '../aws/partition.js'
import type { Registry } from '../../registry/index.js'
import type { Clock } from '../clock/clock.js'
import type { EventBus } from '../events/bus.js'
import type { EventBridge } from '../events/service.js'
import type { ServiceTable } from './operation.js'
import { batchOperations, batchTable } from './tables/batch.js'
import { batchExtraOperations } from './tables/batch-extra.js'
import { ecrOperations, ecrTable } from './tables/ecr.js'
import { ecrExtraOperations } from './tables/ecr-extra.js'
import { logsTable } from './tables/logs.js'
import { iamTable } from './tables/iam.js'
import { stsTable } from './tables/sts.js'
import { cloudTrailTable } from './tables/cloudtrail.js'
import type { Iam } from '../iam/index.js'
import type { AuditService } from '../audit/index.js'
import { ecsOperations, ecsTable } from './tables/ecs.js'
import { ecsStratusOperations } from './tables/ecs-extra.js'
import { lightsailTable } from './tables/lightsail.js'
import { stratusTable } from './tables/stratus.js'
import { eventsTable } from './tables/events.js'
import { acmStratusOperations, acmTable } from './tables/acm.js'
import { elbv2Table } from './tables/elbv2.js'
import type { Elbv2Operations } from '../elb/model.js'

/** What the tables are built from. */
export interface ServiceParts {
  readonly partition: Partition
  readonly batch: Batch
  readonly ecs: Ecs
  /** AWS Certificate Manager (its table and its /stratus/ calls are served when given). */
  readonly acm?: Acm
  readonly logs: CloudWatchLogsApi
  readonly iam: Iam
  readonly audit: AuditService
  readonly registry: Registry
  readonly clock: Clock
  readonly events: EventBus
  readonly eventBridge: EventBridge
  /** Elastic Load Balancing v2's control plane (runtime/elb): its table is mounted when given. */
  readonly elb?: Elbv2Operations
}

export function serviceTables(parts: ServiceParts): ServiceTable[] {
  const { partition, batch, ecs, acm, registry, clock, events, eventBridge, logs, iam, audit, elb } = parts
  return [
    batchTable(batch, partition, [...batchOperations(batch, partition), ...batchExtraOperations(batch, partition)]),
    ecrTable(registry, partition, [...ecrOperations(registry, partition), ...ecrExtraOperations(registry, partition)]),
    logsTable(logs, partition),
    iamTable(iam),
    stsTable(iam),
    cloudTrailTable(audit),
    ecsTable(ecsOperations(ecs, partition), ecs),
    lightsailTable(),
    eventsTable(eventBridge, partition),
    stratusTable({ batch, clock, events, eventBridge, registry, partition, iam, extra: [...ecsStratusOperations(ecs, partition), ...(acm !== undefined ? acmStratusOperations(acm, partition) : [])] }),
    // Last: the tables before them keep their places (the health document lists them in this order).
    ...(elb !== undefined ? [elbv2Table(elb, partition)] : []),
    ...(acm !== undefined ? [acmTable(acm, partition)] : [])
  ]
}
