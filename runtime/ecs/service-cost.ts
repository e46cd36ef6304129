// A service's cost so far (a Stratus extension, not an AWS operation): the
// sum of its tasks' costs as the tasks area computes them (task-cost.ts over
// the task-definitions area's price table), the retained stopped tasks
// included. Until the price table lands, taskCostOf refuses, and so does this:
// never a number that was not computed.

import type { EcsContext } from './context.js'
import { taskCostOf } from './task-cost.js'
import type { TaskRecord } from './records.js'
import type { ServiceCost } from './model-services.js'

export function serviceCostOf(ctx: EcsContext, clusterName: string, serviceArn: string, tasks: readonly TaskRecord[]): ServiceCost {
  let usd = 0
  for (const t of tasks) usd += taskCostOf(ctx, { cluster: clusterName, task: String(t.task.taskArn) }).usd
  return { serviceArn, usd, tasks: tasks.length }
}
