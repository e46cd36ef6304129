// Where RunTask's EC2 tasks go: the cluster's container instances (the nodes
// of its pool) as the placement core sees them, the tasks' demands, one plan,
// committed by the PlanApplier inside the caller's transaction. A task that
// finds no place is a failure as ECS reports it (RESOURCE:CPU, RESOURCE:MEMORY,
// ATTRIBUTE …), from the core's reason codes.
//
// The placement area decides (placement/placeTasks: strategy chains, the
// cluster query language, distinctInstance, static host ports); this reads the
// cluster's instances and their tasks' groups, and commits the plan.

import type { Transaction } from '../store/store.js'
import type { NodeRecord } from '../cluster/node-pool.js'
import { placeTasks } from './placement/index.js'
import type { EcsContext } from './context.js'
import { invalidParameter } from './errors.js'
import { TASKS, type ClusterRecord } from './records.js'
import type { Failure, PlacementConstraint, PlacementStrategy } from './model-tasks.js'
import type { EcsTaskRecord } from './task-lifecycle.js'

export interface PlacementAsk {
  count: number
  demand: { cpu: number; memory: number; ports?: readonly string[] }
  group: string
  strategies: PlacementStrategy[]
  constraints: PlacementConstraint[]
}

/** Tasks of each group on each instance of the cluster, from the live task records. */
function groupsByInstance(tx: Transaction, clusterName: string): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>()
  for (const { value } of tx.scan<EcsTaskRecord>(TASKS, { index: { name: 'cluster', value: clusterName } })) {
    const arn = value.task.containerInstanceArn
    if (arn === undefined || value.task.lastStatus === 'STOPPED' || value.task.group === undefined) continue
    const groups = out.get(arn) ?? {}
    groups[value.task.group] = (groups[value.task.group] ?? 0) + 1
    out.set(arn, groups)
  }
  return out
}

/**
 * Places `ask.count` tasks on the cluster's instances and commits the plan
 * in tx: `commit(tx, i, node)` runs for each placed task (after its demand is
 * reserved); the others come back as failures. A plan the PlanApplier
 * refuses (a port two of its tasks both want) is undone whole and the tasks
 * are placed again one plan each, so each sees what the one before took.
 */
export function placeOnInstances(ctx: EcsContext, tx: Transaction, cluster: ClusterRecord, ask: PlacementAsk, commit: (tx: Transaction, i: number, node: NodeRecord) => void): Failure[] {
  if (ctx.pools.nodes(cluster.poolId, tx).length === 0) throw invalidParameter('cluster', 'No Container Instances were found in your cluster.')
  const batch = planAndApply(ctx, tx, cluster, ask, ask.count, 0)
  if (batch.applied) {
    for (const p of batch.placed) commit(tx, p.i, p.node)
    return batch.failures
  }
  const failures: Failure[] = []
  for (let i = 0; i < ask.count; i++) {
    const one = planAndApply(ctx, tx, cluster, ask, 1, i)
    if (one.applied) for (const p of one.placed) commit(tx, p.i, p.node)
    failures.push(...one.failures)
  }
  return failures
}

type Attempt =
  | { applied: true; placed: Array<{ i: number; node: NodeRecord }>; failures: Failure[] }
  | { applied: false; failures: Failure[] }

let seeds = 0

/** One plan for `count` tasks (numbered from `first`), applied in a savepoint of tx: the placements it reserved, or refused (nothing kept). */
function planAndApply(ctx: EcsContext, tx: Transaction, cluster: ClusterRecord, ask: PlacementAsk, count: number, first: number): Attempt {
  const snapshot = ctx.pools.snapshot(cluster.poolId, tx)
  const clusterArn = String(cluster.cluster.clusterArn)
  const groups = groupsByInstance(tx, String(cluster.cluster.clusterName))
  const ports = ask.demand.ports !== undefined && ask.demand.ports.length > 0 ? ask.demand.ports : undefined
  const demand = { cpu: ask.demand.cpu, memory: ask.demand.memory, gpu: 0, ...(ports !== undefined ? { ports } : {}) }
  const result = placeTasks(ctx.scheduler, {
    poolId: snapshot.poolId, poolVersion: snapshot.version,
    nodes: snapshot.nodes.map((record) => ({ record, groups: groups.get(record.containerInstanceArn) ?? {} })),
    tasks: Array.from({ length: count }, () => ({ demand, group: ask.group })),
    placementStrategy: ask.strategies, placementConstraints: ask.constraints,
    seed: ((ctx.clock.now() + ++seeds) & 0x7fffffff) || 1
  })
  const reserved: Array<{ i: number; node: NodeRecord }> = []
  const applied = ctx.applier.apply(result.plan, () => demand, (_t, i, node) => { reserved.push({ i: first + i, node }) })
  const failed = (reason: string, detail?: string): Failure => ({ arn: snapshot.nodes[0]?.containerInstanceArn ?? clusterArn, reason, ...(detail !== undefined ? { detail } : {}) })
  if (!applied.applied) return { applied: false, failures: Array.from({ length: count }, () => failed('RESOURCE:PORTS', applied.detail)) }
  return { applied: true, placed: reserved, failures: result.placements.filter((p) => p.node === null).map((p) => failed(p.reason ?? 'AGENT')) }
}

/** StartTask: each task on the instance named (no placement); an instance that cannot take it is a failure. */
export function startOnInstances(ctx: EcsContext, tx: Transaction, cluster: ClusterRecord, instances: string[], demand: { cpu: number; memory: number; ports?: readonly string[] }, commit: (tx: Transaction, i: number, node: NodeRecord) => void): Failure[] {
  const failures: Failure[] = []
  const nodes = ctx.pools.nodes(cluster.poolId, tx).map((r) => r.value)
  instances.forEach((ref, i) => {
    const node = nodes.find((n) => n.containerInstanceArn === ref || n.id === ref || n.containerInstanceArn.endsWith(`/${ref}`))
    if (node === undefined) {
      failures.push({ arn: ref, reason: 'MISSING' })
      return
    }
    const current = ctx.pools.node(node.poolId, node.id, tx)!
    if (current.status !== 'ACTIVE') return void failures.push({ arn: current.containerInstanceArn, reason: 'AGENT', detail: `The container instance is ${current.status}.` })
    if (current.totalCpu - current.usedCpu < demand.cpu) return void failures.push({ arn: current.containerInstanceArn, reason: 'RESOURCE:CPU' })
    if (current.totalMemory - current.usedMemory < demand.memory) return void failures.push({ arn: current.containerInstanceArn, reason: 'RESOURCE:MEMORY' })
    const taken = demand.ports?.find((p) => current.usedPorts?.includes(p))
    if (taken !== undefined) return void failures.push({ arn: current.containerInstanceArn, reason: 'RESOURCE:PORTS', detail: `host port ${taken} is in use` })
    const reserved = ctx.pools.reserve(tx, current.key, { cpu: demand.cpu, memory: demand.memory, gpu: 0, ...(demand.ports !== undefined && demand.ports.length > 0 ? { ports: demand.ports } : {}) })
    commit(tx, i, reserved)
  })
  return failures
}
