// ECS's Stratus-only calls on the /stratus/ API (stratusJson, composed into
// the Stratus table in services.ts): what the SDK needs beyond ECS's own
// operations. Each is authorized as the ECS action it stands beside
// (ExecCommand is an ECS Exec: ecs:ExecuteCommand on the cluster and task;
// InterruptSpotTask stops a task: ecs:StopTask; the costs and the reservation
// read: ecs:DescribeTasks, ecs:DescribeServices, ecs:DescribeCapacityProviders), so a policy about
// those ECS actions covers them.

import type { Partition } from '../../aws/partition.js'
import type { EcsExtensions } from '../../ecs/api.js'
import type { Operation } from '../operation.js'
import { capacityProviderArn, clusterArn, serviceArn, taskArn } from './ecs-resources.js'
import { ecsWireTimes } from './ecs.js'

type Input = Record<string, any>

export function ecsStratusOperations(ecs: EcsExtensions, p: Partition): Operation<Input>[] {
  return [
    {
      name: 'ExecCommand',
      readOnly: false,
      required: ['task', 'command'],
      authorize: (i) => ({
        action: 'ecs:ExecuteCommand',
        resources: [clusterArn(p, i.cluster), taskArn(p, i.task, i.cluster)],
        context: { 'ecs:cluster': clusterArn(p, i.cluster), 'ecs:task': taskArn(p, i.task, i.cluster), ...(typeof i.container === 'string' ? { 'ecs:container-name': i.container } : {}) }
      }),
      call: (i) => ecs.execCommand({
        task: i.task, command: i.command, ...(i.cluster !== undefined ? { cluster: i.cluster } : {}), ...(i.container !== undefined ? { container: i.container } : {})
      })
    },
    {
      name: 'EcsTaskCost',
      readOnly: true,
      required: ['task'],
      authorize: (i) => ({ action: 'ecs:DescribeTasks', resources: [taskArn(p, i.task, i.cluster)], context: { 'ecs:cluster': clusterArn(p, i.cluster) } }),
      call: (i) => ecs.taskCost({ task: i.task, ...(i.cluster !== undefined ? { cluster: i.cluster } : {}) })
    },
    {
      name: 'EcsServiceCost',
      readOnly: true,
      required: ['service'],
      authorize: (i) => ({ action: 'ecs:DescribeServices', resources: [serviceArn(p, i.service, i.cluster)], context: { 'ecs:cluster': clusterArn(p, i.cluster) } }),
      call: (i) => ecs.serviceCost({ service: i.service, ...(i.cluster !== undefined ? { cluster: i.cluster } : {}) })
    },
    {
      name: 'InterruptSpotTask',
      readOnly: false,
      required: ['task'],
      authorize: (i) => ({ action: 'ecs:StopTask', resources: [taskArn(p, i.task, i.cluster)], context: { 'ecs:cluster': clusterArn(p, i.cluster) } }),
      call: async (i) => ecsWireTimes(await ecs.interruptSpotTask({ task: i.task, ...(i.cluster !== undefined ? { cluster: i.cluster } : {}) }))
    },
    {
      name: 'CapacityProviderReservation',
      readOnly: true,
      required: ['capacityProvider'],
      authorize: (i) => ({ action: 'ecs:DescribeCapacityProviders', resources: [capacityProviderArn(p, i.capacityProvider)] }),
      call: async (i) => ({ reservation: await ecs.capacityProviderReservation({ capacityProvider: i.capacityProvider }) })
    }
  ]
}
