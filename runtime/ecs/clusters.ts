// SKELETON — this area's engineer replaces this file.

import type { EcsContext } from './context.js'
import type { ClusterOperations, ClusterExtensions } from './model-clusters.js'
import { CLUSTER_OPERATION_NAMES } from './model-clusters.js'
import { notBuiltOperations } from './not-built.js'
import { EcsError } from './errors.js'
import type { ClusterRecord } from './records.js'

/** The cluster a request names (name or ARN; absent: `default`); ClusterNotFoundException otherwise. */
export function getCluster(ctx: EcsContext, nameOrArn: string | undefined, field = 'cluster'): ClusterRecord {
  void ctx
  throw new EcsError('ClusterNotFoundException', 'Cluster not found.', { field: nameOrArn === undefined ? field : field })
}

/** Creates the area's controllers (work queues, owners, watchers) and picks up what the store holds. */
export function clusterOperations(ctx: EcsContext): ClusterOperations & ClusterExtensions {
  void ctx
  return notBuiltOperations<ClusterOperations & ClusterExtensions>(CLUSTER_OPERATION_NAMES)
}
