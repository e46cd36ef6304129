// ECS's Stratus-only calls on the /stratus/ API (stratusJson, composed into
// the Stratus table in services.ts): what the SDK needs beyond ECS's own
// operations. Each is authorized as the ECS action it stands beside
// (ExecCommand is an ECS Exec: ecs:ExecuteCommand on the cluster and task),
// so a policy that allows or denies ECS Exec covers it.

import type { Partition } from '../../aws/partition.js'
import type { EcsExtensions } from '../../ecs/api.js'
import type { Operation } from '../operation.js'
import { clusterArn, taskArn } from './ecs-resources.js'

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
    }
  ]
}
