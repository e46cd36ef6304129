// ListContainerInstances' `filter`: an expression of the cluster query
// language (`attribute:ecs.instance-type == t2.micro and not(...)`), parsed
// and evaluated by the placement area (runtime/ecs/placement/query.ts). This
// file is the one place the clusters area calls it.
//
// NOT DONE YET: the placement area's query module has not landed on this
// branch; until it does, a filter is refused (never ignored: a filter that
// matched everything would answer a question that was not asked).

import type { EcsContext } from './context.js'
import { EcsError } from './errors.js'
import type { ClusterRecord } from './records.js'
import type { InstanceRecord } from './container-instances.js'

/** The instances of `cluster` the expression selects, in the order given. */
export function matchesFilter(ctx: EcsContext, cluster: ClusterRecord, filter: string, instances: InstanceRecord[], field: string): InstanceRecord[] {
  void ctx; void cluster; void instances
  throw new EcsError('UnsupportedFeatureException', `${field}: the cluster query language is not available in this build yet (${filter.slice(0, 100)})`, { field })
}
