// Where RunTask's EC2 tasks go: the cluster's container instances (the nodes
// of its pool) as the placement core sees them, the tasks' demands, one plan,
// committed by the PlanApplier inside the caller's transaction. A task that
// finds no place is a failure as ECS reports it (RESOURCE:CPU, RESOURCE:MEMORY,
// ATTRIBUTE …), from the core's reason codes.
//
// The placement area decides (placement/placeTasks: strategy chains, the
// cluster query language, distinctInstance, static host ports); this reads the
// cluster's instances and commits the plan. A node record counts its tasks by
// group (NodeRecord.groups: taken with the demand, given back when the task
// ends), so a call reads the instances once and never the task records.

import type { Transaction } from '../store/store.js'
import type { NodeRecord, PoolSnapshot } from '../cluster/node-pool.js'
import { placeTasks } from './placement/index.js'
import type { EcsContext } from './context.js'
import { invalidParameter } from './errors.js'
import type { ClusterRecord } from './records.js'
import type { Failure, PlacementConstraint, PlacementStrategy } from './model-tasks.js'

export interface PlacementAsk {
  count: number
  demand: { cpu: number; memory: number; ports?: readonly string[] }
  group: string
  strategies: PlacementStrategy[]
  constraints: PlacementConstraint[]
}

/**
 * Places `ask.count` tasks on the cluster's instances and commits the plan
 * in tx: `commit(tx, i, node)` runs for each placed task (after its demand is
 * reserved); the others come back as failures. A plan the PlanApplier
 * refuses (a port two of its tasks both want) is undone whole and the tasks
 * are placed again one plan each, so each sees what the one before took.
 */
export function placeOnInstances(ctx: EcsContext, tx: Transaction, cluster: ClusterRecord, ask: PlacementAsk, commit: (tx: Transaction, i: number, node: NodeRecord) => void): Failure[] {
  const snapshot = ctx.pools.pool(cluster.poolId, tx) === undefined ? undefined : ctx.pools.snapshot(cluster.poolId, tx)
  if (snapshot === undefined || snapshot.nodes.length === 0) throw invalidParameter('cluster', 'No Container Instances were found in your cluster.')
  const batch = planAndApply(ctx, tx, snapshot, cluster, ask, ask.count, 0)
  if (batch.applied) {
    for (const p of batch.placed) commit(tx, p.i, p.node)
    return batch.failures
  }
  const failures: Failure[] = []
  for (let i = 0; i < ask.count; i++) {
    const one = planAndApply(ctx, tx, ctx.pools.snapshot(cluster.poolId, tx), cluster, ask, 1, i)
    if (one.applied) for (const p of one.placed) commit(tx, p.i, p.node)
    failures.push(...one.failures)
  }
  return failures
}

type Attempt =
  | { applied: true; placed: Array<{ i: number; node: NodeRecord }>; failures: Failure[] }
  | { applied: false; failures: Failure[] }

let seeds = 0
const NO_GROUPS: Readonly<Record<string, number>> = Object.freeze({})

/** One plan for `count` tasks (numbered from `first`) on the snapshot (the pool as tx sees it now), applied in a savepoint of tx: the placements it reserved, or refused (nothing kept). */
function planAndApply(ctx: EcsContext, tx: Transaction, snapshot: PoolSnapshot, cluster: ClusterRecord, ask: PlacementAsk, count: number, first: number): Attempt {
  const clusterArn = String(cluster.cluster.clusterArn)
  const ports = ask.demand.ports !== undefined && ask.demand.ports.length > 0 ? ask.demand.ports : undefined
  // The group rides with the demand: the node counts the task in its groups while it holds the demand.
  const demand = { cpu: ask.demand.cpu, memory: ask.demand.memory, gpu: 0, group: ask.group, ...(ports !== undefined ? { ports } : {}) }
  const result = placeTasks(ctx.scheduler, {
    poolId: snapshot.poolId, poolVersion: snapshot.version,
    nodes: snapshot.nodes.map((record) => ({ record, groups: record.groups ?? NO_GROUPS })),
    tasks: Array.from({ length: count }, () => ({ demand, group: ask.group })),
    placementStrategy: ask.strategies, placementConstraints: ask.constraints,
    seed: ((ctx.clock.now() + ++seeds) & 0x7fffffff) || 1
  })
  const reserved: Array<{ i: number; node: NodeRecord }> = []
  const applied = ctx.applier.apply(result.plan, () => demand, (_t, i, node) => { reserved.push({ i: first + i, node }) })
  const failed = (reason: string, detail?: string): Failure => ({ arn: snapshot.nodes[0]?.containerInstanceArn ?? clusterArn, reason, ...(detail !== undefined ? { detail } : {}) })
  if (!applied.applied) return { applied: false, failures: refusedPlanFailures(ctx, tx, result.placements, demand, applied.detail, clusterArn) }
  return { applied: true, placed: reserved, failures: result.placements.filter((p) => p.node === null).map((p) => failed(p.reason ?? 'AGENT')) }
}

/**
 * The failures of a plan the PlanApplier refused: each task on the instance
 * the plan put it on, with what that instance lacks now (RESOURCE:CPU,
 * RESOURCE:MEMORY, RESOURCE:PORTS; MISSING once it is gone; AGENT when it is
 * not ACTIVE, or with the applier's detail when it still fits, a stale plan);
 * a task the plan had no instance for keeps the core's reason, on the cluster.
 */
export function refusedPlanFailures(ctx: EcsContext, tx: Transaction, placements: ReadonlyArray<{ node: NodeRecord | null; reason: string | null }>, demand: { cpu: number; memory: number; ports?: readonly string[] }, detail: string, clusterArn: string): Failure[] {
  return placements.map((p): Failure => {
    if (p.node === null) return { arn: clusterArn, reason: p.reason ?? 'AGENT' }
    const arn = p.node.containerInstanceArn
    const now = ctx.pools.node(p.node.poolId, p.node.id, tx)
    if (now === undefined) return { arn, reason: 'MISSING' }
    if (now.status !== 'ACTIVE') return { arn, reason: 'AGENT', detail: `The container instance is ${now.status}.` }
    if (now.totalCpu - now.usedCpu < demand.cpu) return { arn, reason: 'RESOURCE:CPU' }
    if (now.totalMemory - now.usedMemory < demand.memory) return { arn, reason: 'RESOURCE:MEMORY' }
    const taken = demand.ports?.find((port) => now.usedPorts?.includes(port))
    if (taken !== undefined) return { arn, reason: 'RESOURCE:PORTS', detail: `host port ${taken} is in use` }
    return { arn, reason: 'AGENT', detail }
  })
}

/** StartTask: each task on the instance named (no placement); an instance that cannot take it is a failure. */
export function startOnInstances(ctx: EcsContext, tx: Transaction, cluster: ClusterRecord, instances: string[], demand: { cpu: number; memory: number; ports?: readonly string[] }, group: string, commit: (tx: Transaction, i: number, node: NodeRecord) => void): Failure[] {
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
    const reserved = ctx.pools.reserve(tx, current.key, { cpu: demand.cpu, memory: demand.memory, gpu: 0, group, ...(demand.ports !== undefined && demand.ports.length > 0 ? { ports: demand.ports } : {}) })
    commit(tx, i, reserved)
  })
  return failures
}
