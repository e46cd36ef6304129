// The DAEMON scheduler's plan: exactly one task on each ACTIVE container
// instance that meets the service's constraints. Tasks on DRAINING or
// deregistered instances are stopped, extra tasks on one instance are
// stopped, and a new deployment replaces each instance's task (stop first:
// DAEMON's maximumPercent is 100) as minimumHealthyPercent of the eligible
// instances allows. Tasks on instances that no longer meet the constraints
// are stopped; desiredCount is the number of eligible ACTIVE instances.

import type { NodeRecord } from '../cluster/node-pool.js'
import type { TaskRecord } from './records.js'
import { minimumHealthyTasks, type TaskPhase } from './deployments.js'

export interface DaemonInput {
  nodes: readonly NodeRecord[]
  /** The service's tasks that are not STOPPED. */
  live: readonly TaskRecord[]
  primaryId: string
  phaseOf: (t: TaskRecord) => TaskPhase
  /** Whether an instance meets the service's placement constraints (daemon-constraints.ts). */
  eligible: (node: NodeRecord) => boolean
  minimumHealthyPercent: number
  startAllowed: boolean
  frozen: boolean
}

export interface DaemonPlan {
  stop: Array<{ task: TaskRecord; reason: string }>
  /** Container instance ARNs to launch one PRIMARY task on. */
  launchOn: string[]
  /** The eligible ACTIVE instances: what DescribeServices shows as desiredCount. */
  desiredCount: number
  steady: boolean
}

export function planDaemon(input: DaemonInput): DaemonPlan {
  const byArn = new Map(input.nodes.map((n) => [n.containerInstanceArn, n]))
  const eligible = input.nodes.filter((n) => n.status === 'ACTIVE' && input.eligible(n))
  const stop: DaemonPlan['stop'] = []
  const onInstance = new Map<string, TaskRecord[]>()
  for (const t of input.live) {
    const arn = String(t.task.containerInstanceArn ?? '')
    const list = onInstance.get(arn) ?? []
    list.push(t)
    onInstance.set(arn, list)
  }
  const stopping = (t: TaskRecord) => t.task.desiredStatus === 'STOPPED'
  let healthy = 0
  const replaceable: TaskRecord[] = []
  for (const [arn, tasks] of onInstance) {
    const node = byArn.get(arn)
    const active = tasks.filter((t) => !stopping(t))
    if (node === undefined || node.status !== 'ACTIVE') {
      for (const t of active) stop.push({ task: t, reason: node === undefined ? 'Container instance deregistered.' : 'Container instance is DRAINING.' })
      continue
    }
    if (!input.eligible(node)) {
      for (const t of active) stop.push({ task: t, reason: 'Task no longer meets the placement constraints of the service.' })
      continue
    }
    // One per instance: keep the PRIMARY one that is furthest along.
    const rank = (t: TaskRecord) => (t.deploymentId === input.primaryId ? 10 : 0) + ({ unhealthy: 0, pending: 1, running: 2, healthy: 3 } as const)[input.phaseOf(t)]
    const sorted = [...active].sort((a, b) => rank(b) - rank(a))
    for (const t of sorted.slice(1)) stop.push({ task: t, reason: 'Scaling activity initiated by the DAEMON scheduler: more than one task on the instance.' })
    const kept = sorted[0]
    if (kept === undefined) continue
    const phase = input.phaseOf(kept)
    if (phase === 'unhealthy') { stop.push({ task: kept, reason: 'Task failed container health checks.' }); continue }
    if (phase === 'healthy') healthy++
    if (kept.deploymentId !== input.primaryId && !input.frozen) replaceable.push(kept)
  }
  // Older deployments' tasks: replaced as the minimum healthy count of the eligible instances allows.
  const floor = minimumHealthyTasks(eligible.length, input.minimumHealthyPercent)
  for (const t of replaceable) {
    if (input.phaseOf(t) === 'healthy') {
      if (healthy - 1 < floor) break
      healthy--
    }
    stop.push({ task: t, reason: `Scaling activity initiated by (deployment ${input.primaryId})` })
  }
  const launchOn = input.startAllowed && !input.frozen
    ? eligible.filter((n) => (onInstance.get(n.containerInstanceArn) ?? []).length === 0).map((n) => n.containerInstanceArn)
    : []
  const steady = stop.length === 0 && launchOn.length === 0 && eligible.every((n) => {
    const tasks = onInstance.get(n.containerInstanceArn) ?? []
    return tasks.length === 1 && tasks[0].deploymentId === input.primaryId && input.phaseOf(tasks[0]) === 'healthy'
  }) && input.live.every((t) => byArn.get(String(t.task.containerInstanceArn ?? ''))?.status === 'ACTIVE')
  return { stop, launchOn, desiredCount: eligible.length, steady }
}
