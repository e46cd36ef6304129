// ListContainerInstances' `filter`: an expression of the cluster query
// language (`attribute:ecs.instance-type == t2.micro and not(...)`), parsed
// and evaluated by the placement area (placement/query.ts) over the same view
// of an instance a memberOf constraint sees (placement/place.ts instanceView),
// so a filter and a constraint agree on which instances an expression names.

import type { EcsContext } from './context.js'
import type { ClusterRecord, TaskRecord } from './records.js'
import { TASKS } from './records.js'
import { evaluate, parseExpression, instanceView } from './placement/index.js'
import type { InstanceRecord } from './container-instances.js'

/** The instances of `cluster` the expression selects, in the order given; a bad expression is refused naming `field`. */
export function matchesFilter(ctx: EcsContext, cluster: ClusterRecord, filter: string, instances: InstanceRecord[], field: string): InstanceRecord[] {
  const expression = parseExpression(filter, field)
  return instances.filter((r) => {
    const node = ctx.pools.node(cluster.poolId, r.id)
    if (node === undefined) return false
    const groups: Record<string, number> = {}
    for (const { value: t } of ctx.store.scan<TaskRecord>(TASKS, { index: { name: 'instance', value: r.containerInstanceArn } })) {
      if (t.task.lastStatus === 'STOPPED' || typeof t.task.group !== 'string') continue
      groups[t.task.group] = (groups[t.task.group] ?? 0) + 1
    }
    const view = instanceView({
      record: node, groups, agentConnected: r.status !== 'INACTIVE',
      ...(r.versionInfo.agentVersion !== undefined ? { agentVersion: r.versionInfo.agentVersion } : {})
    })
    return evaluate(expression, { ...view, registeredAt: r.registeredAt })
  })
}
