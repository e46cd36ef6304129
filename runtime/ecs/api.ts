// The ECS service as the wire table and the SDK see it: every AWS operation
// (one interface per area, in model-<area>.ts, with AWS's request and
// response shapes) and the Stratus-only extensions (waits, costs, exec
// sessions, Spot interruption).

import type { ClusterExtensions, ClusterOperations } from './model-clusters.js'
import type { TaskDefinitionExtensions, TaskDefinitionOperations } from './model-task-definitions.js'
import type { TaskExtensions, TaskOperations } from './model-tasks.js'
import type { ServiceExtensions, ServiceOperations } from './model-services.js'
import type { ExecExtensions, ExecOperations } from './model-exec.js'
import type { TaskSetOperations } from './model-task-sets.js'

export interface EcsApi extends ClusterOperations, TaskDefinitionOperations, TaskOperations, ServiceOperations, TaskSetOperations, ExecOperations {}

export interface EcsExtensions extends ClusterExtensions, TaskDefinitionExtensions, TaskExtensions, ServiceExtensions, ExecExtensions {}
