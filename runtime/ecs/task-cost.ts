// What a task costs so far: vCPU-seconds and GB-seconds from the image pull
// (or the start, or its creation) until it stopped (or now), at the price
// table's rates (the task-definitions area's pricing.ts, us-east-1).
// Until that table lands this answers UnsupportedFeatureException rather
// than a number it did not compute.

import type { EcsContext } from './context.js'
import { EcsError, invalidParameter } from './errors.js'
import type { TaskCost } from './model-tasks.js'

export function taskCostOf(ctx: EcsContext, input: { cluster?: string; task: string }): TaskCost {
  void ctx
  if (typeof input?.task !== 'string' || input.task.length === 0) throw invalidParameter('task', 'task is required.')
  throw new EcsError('UnsupportedFeatureException', 'taskCost needs the price table (pricing.ts), which is not built yet.', { field: 'task' })
}
