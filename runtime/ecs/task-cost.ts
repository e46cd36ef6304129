// What a task costs so far, at the price table of pricing.ts (Fargate,
// us-east-1): its task-level vCPU and memory (and ephemeral storage above 20
// GiB) from the image pull until it stopped (or now). A task on the EC2
// launch type costs nothing of its own: its container instance is what AWS
// bills, so it answers 0 with its launch type named.

import type { EcsContext } from './context.js'
import { invalidParameter } from './errors.js'
import { getCluster } from './clusters.js'
import { readTask, taskIdOf } from './task-lifecycle.js'
import { taskCost } from './pricing.js'
import type { TaskCost } from './model-tasks.js'

export function taskCostOf(ctx: EcsContext, input: { cluster?: string; task: string }): TaskCost {
  if (typeof input?.task !== 'string' || input.task.length === 0) throw invalidParameter('task', 'task is required.')
  const cluster = String(getCluster(ctx, input.cluster, 'cluster').cluster.clusterName)
  const found = readTask(ctx.store, taskIdOf(input.task))
  if (found === undefined || found.record.clusterName !== cluster) throw invalidParameter('task', 'The referenced task was not found.')
  const task = found.record.task
  const provider = task.capacityProviderName === 'FARGATE_SPOT' ? 'FARGATE_SPOT' : 'FARGATE'
  if (task.launchType !== 'FARGATE') {
    return { taskArn: String(task.taskArn), usd: 0, seconds: 0, vcpu: Number(task.cpu ?? 0) / 1024, memoryGiB: Number(task.memory ?? 0) / 1024, ...(task.capacityProviderName ? { capacityProviderName: String(task.capacityProviderName) } : {}) }
  }
  const cost = taskCost({
    cpu: task.cpu ?? 0, memory: task.memory ?? 0, capacityProvider: provider,
    ...(task.ephemeralStorage?.sizeInGiB !== undefined ? { ephemeralGiB: task.ephemeralStorage.sizeInGiB } : {}),
    ...(task.pullStartedAt !== undefined ? { pullStartedAt: task.pullStartedAt } : task.startedAt !== undefined ? { pullStartedAt: task.startedAt } : {}),
    ...(task.stoppedAt !== undefined ? { stoppedAt: task.stoppedAt } : {}),
    now: ctx.clock.now()
  })
  return { taskArn: String(task.taskArn), usd: cost.usd, seconds: cost.billedSeconds, vcpu: cost.vcpu, memoryGiB: cost.memoryGB, capacityProviderName: provider }
}
