// What a task costs so far (a Stratus extension): Fargate's per vCPU-second
// and GB-second, from the image pull (or, without one, the start, else the
// creation) until it stopped (or now, on the engine clock), at the price
// table's rates (pricing.ts, us-east-1; FARGATE_SPOT at its own; the
// one-minute minimum). An EC2 task costs nothing of its own: its instance is
// what is paid for.

import type { EcsContext } from './context.js'
import { invalidParameter } from './errors.js'
import { getCluster } from './clusters.js'
import { taskCost } from './pricing.js'
import type { TaskCost } from './model-tasks.js'
import { readTask, taskIdOf } from './task-lifecycle.js'

export function taskCostOf(ctx: EcsContext, input: { cluster?: string; task: string }): TaskCost {
  if (typeof input?.task !== 'string' || input.task.length === 0) throw invalidParameter('task', 'task is required.')
  const cluster = String(getCluster(ctx, input.cluster, 'cluster').cluster.clusterName)
  const found = readTask(ctx.store, taskIdOf(input.task))
  if (found === undefined || found.record.clusterName !== cluster) throw invalidParameter('task', 'The referenced task was not found.')
  const task = found.record.task
  const vcpu = Number(task.cpu ?? 0) / 1024
  const memoryGiB = Number(task.memory ?? 0) / 1024
  if (task.launchType !== 'FARGATE') return { taskArn: task.taskArn!, usd: 0, seconds: 0, vcpu, memoryGiB }
  // Billed from the pull (the runner reports it with the start); a task that never started costs nothing.
  const began = task.pullStartedAt ?? task.startedAt
  const cost = taskCost({
    cpu: task.cpu ?? '256', memory: task.memory ?? '512',
    ...(task.ephemeralStorage !== undefined ? { ephemeralGiB: task.ephemeralStorage.sizeInGiB } : {}),
    capacityProvider: task.capacityProviderName === 'FARGATE_SPOT' ? 'FARGATE_SPOT' : 'FARGATE',
    ...(began !== undefined ? { pullStartedAt: began } : {}),
    ...(task.stoppedAt !== undefined ? { stoppedAt: task.stoppedAt } : task.executionStoppedAt !== undefined ? { stoppedAt: task.executionStoppedAt } : {}),
    now: ctx.clock.now()
  })
  return {
    taskArn: task.taskArn!, usd: cost.usd, seconds: cost.billedSeconds, vcpu: cost.vcpu, memoryGiB: cost.memoryGB,
    capacityProviderName: cost.capacityProvider
  }
}
