// EcsService over the wire: ECS's own API (awsJson1_1, `X-Amz-Target:
// AmazonEC2ContainerServiceV20141113.<Op>`, signing name ecs), so a remote
// call is the call the official ECS client and `aws ecs` make — authorized as
// ecs:<Op>. ECS's times come back as epoch seconds and are revived to Dates
// (as the embedded SDK gives them, and the official client). The extensions go over /stratus/; a task's log
// events over CloudWatch Logs' GetLogEvents.

import { CLUSTER_OPERATION_NAMES } from '../../runtime/ecs/model-clusters.js'
import { TASK_DEFINITION_OPERATION_NAMES } from '../../runtime/ecs/model-task-definitions.js'
import { TASK_OPERATION_NAMES } from '../../runtime/ecs/model-tasks.js'
import { SERVICE_OPERATION_NAMES } from '../../runtime/ecs/model-services.js'
import { EXEC_OPERATION_NAMES } from '../../runtime/ecs/model-exec.js'
import { TASK_SET_OPERATION_NAMES } from '../../runtime/ecs/model-task-sets.js'
import { ECS_TARGET, ECS_TIMESTAMP_MEMBERS } from '../../runtime/api/tables/ecs.js'
import type { EcsExtensions } from '../../runtime/ecs/api.js'
import type { EcsService } from '../services.js'
import { encode, reviveDates } from './codec.js'
import type { StratusApi } from './stratus-api.js'
import type { WireClient } from './wire.js'

const ECS_OPERATIONS: readonly string[] = [
  ...CLUSTER_OPERATION_NAMES, ...TASK_DEFINITION_OPERATION_NAMES, ...TASK_OPERATION_NAMES, ...SERVICE_OPERATION_NAMES, ...TASK_SET_OPERATION_NAMES, ...EXEC_OPERATION_NAMES
]

export function remoteEcs(wire: WireClient, stratus: StratusApi): EcsService {
  const service: Record<string, (input?: unknown) => Promise<unknown>> = {}
  for (const op of ECS_OPERATIONS) {
    const action = op[0].toUpperCase() + op.slice(1)
    service[op] = async (input) => reviveDates(await wire.json({
      service: 'ecs', path: '/', body: encode(input ?? {}), family: 'stratus',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${ECS_TARGET}.${action}` }
    }), ECS_TIMESTAMP_MEMBERS)
  }
  // Typed as the extensions: one the areas add and this file lacks fails the type check.
  const extensions: EcsExtensions & Pick<EcsService, 'getLogEvents'> = {
    execCommand: (input) => stratus.call('ExecCommand', input, { long: true }),
    taskCost: (input) => stratus.call('EcsTaskCost', input),
    serviceCost: (input) => stratus.call('EcsServiceCost', input),
    interruptSpotTask: async (input) => reviveDates(await stratus.call('InterruptSpotTask', input), ECS_TIMESTAMP_MEMBERS),
    capacityProviderReservation: async (input) => (await stratus.call<{ reservation?: never }>('CapacityProviderReservation', input)).reservation,
    getLogEvents: (input) => wire.json({
      service: 'logs', path: '/', body: encode(input), family: 'stratus',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Logs_20140328.GetLogEvents' }
    }) as never
  }
  return { ...service, ...extensions } as unknown as EcsService
}
