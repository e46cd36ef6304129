// Where RunTask's EC2 tasks go: the cluster's container instances (the nodes
// of its pool) as the placement core sees them, the tasks' demands, one plan,
// committed by the PlanApplier inside the caller's transaction. A task that
// finds no place is a failure as ECS reports it (RESOURCE:CPU, RESOURCE:MEMORY,
// ATTRIBUTE …), from the core's reason codes.
//
// Strategies chain in order (the core ranks by the first, later ones break
// ties), static host ports are a dimension of feasibility (RESOURCE:PORTS).
// Until the placement area's query language lands (placement/placeTasks),
// memberOf takes expressions of the form `attribute:<name> == <value>` or
// `attribute:<name> in [<a>, <b>]`.

import type { Transaction } from '../store/store.js'
import type { NodeRecord } from '../cluster/node-pool.js'
import type { PlacementPlan } from '../scheduler/placer.js'
import type { NodeInput, PlacementReason, Strategy, TaskInput } from '../scheduler/scheduler.js'
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

/** ECS's failure reason for the core's. */
export function failureReason(reason: PlacementReason): string {
  switch (reason) {
    case 'INSUFFICIENT_CPU': return 'RESOURCE:CPU'
    case 'INSUFFICIENT_MEMORY': return 'RESOURCE:MEMORY'
    case 'INSUFFICIENT_GPU': return 'RESOURCE:GPU'
    case 'CONSTRAINT_UNSATISFIED': return 'ATTRIBUTE'
    case 'PORTS_IN_USE': return 'RESOURCE:PORTS'
    default: return 'AGENT'
  }
}

function strategiesOf(list: PlacementStrategy[]): Strategy[] {
  return list.length === 0 ? [{ type: 'random' }] : list.map(strategyOf)
}

function strategyOf(first: PlacementStrategy): Strategy {
  if (first.type === 'random') return { type: 'random' }
  if (first.type === 'binpack') return { type: 'binpack', field: first.field === 'cpu' ? 'cpu' : 'memory' }
  const field = (first.field ?? 'instanceId').toLowerCase() === 'instanceid' || first.field === 'host' ? 'node' : attributeName(first.field!)
  return { type: 'spread', field }
}

function attributeName(field: string): string {
  const name = field.startsWith('attribute:') ? field.slice('attribute:'.length) : field
  return name === 'ecs.availability-zone' ? 'zone' : name === 'ecs.instance-type' ? 'instanceType' : name
}

const MEMBER_EQ = /^\s*attribute:([A-Za-z0-9_.\-]+)\s*==\s*([^\s]+)\s*$/
const MEMBER_IN = /^\s*attribute:([A-Za-z0-9_.\-]+)\s+in\s+\[([^\]]*)\]\s*$/

function memberOfOf(constraints: PlacementConstraint[]): TaskInput['memberOf'] {
  const member = constraints.map((c, i) => ({ c, i })).filter(({ c }) => c.type === 'memberOf')
  if (member.length === 0) return undefined
  if (member.length > 1) throw invalidParameter(`placementConstraints[${member[1].i}]`, 'Stratus takes one memberOf constraint per task until the cluster query language lands.')
  const { c, i } = member[0]
  const eq = MEMBER_EQ.exec(c.expression ?? '')
  if (eq !== null) return { attribute: attributeName(eq[1]), values: [eq[2]] }
  const inList = MEMBER_IN.exec(c.expression ?? '')
  if (inList !== null) return { attribute: attributeName(inList[1]), values: inList[2].split(',').map((v) => v.trim()).filter((v) => v.length > 0) }
  throw invalidParameter(`placementConstraints[${i}].expression`, `The expression ${JSON.stringify(c.expression)} is not supported yet: use attribute:<name> == <value> or attribute:<name> in [<values>].`)
}

/** The node's custom attribute names the ask uses (at most 8 per snapshot, as the core allows). */
function namedAttributes(strategies: Strategy[], memberOf: TaskInput['memberOf']): Set<string> {
  const names = new Set<string>()
  for (const strategy of strategies) if (strategy.type === 'spread' && strategy.field !== 'node' && strategy.field !== 'zone' && strategy.field !== 'instanceType') names.add(strategy.field)
  if (memberOf !== undefined && memberOf.attribute !== 'zone' && memberOf.attribute !== 'instanceType') names.add(memberOf.attribute)
  return names
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

/** One plan for `count` tasks (numbered from `first`), applied in a savepoint of tx: the placements it reserved, or refused (nothing kept). */
function planAndApply(ctx: EcsContext, tx: Transaction, cluster: ClusterRecord, ask: PlacementAsk, count: number, first: number): Attempt {
  const snapshot = ctx.pools.snapshot(cluster.poolId, tx)
  const clusterArn = String(cluster.cluster.clusterArn)
  const strategies = strategiesOf(ask.strategies)
  const memberOf = memberOfOf(ask.constraints)
  const distinct = ask.constraints.some((c) => c.type === 'distinctInstance')
  const named = namedAttributes(strategies, memberOf)
  const groups = groupsByInstance(tx, String(cluster.cluster.clusterName))
  const nodes: NodeInput[] = snapshot.nodes.map((n) => ({
    cpu: n.totalCpu, memory: n.totalMemory, gpus: n.totalGpu,
    free: { cpu: n.totalCpu - n.usedCpu, memory: n.totalMemory - n.usedMemory, gpus: n.totalGpu - n.usedGpu },
    status: n.status, zone: n.zone, instanceType: n.instanceType,
    attributes: Object.fromEntries(Object.entries(n.attributes).filter(([k]) => named.has(k))),
    groups: groups.get(n.containerInstanceArn) ?? {},
    runningTasks: n.running,
    ...(n.usedPorts !== undefined && n.usedPorts.length > 0 ? { usedPorts: n.usedPorts } : {})
  }))
  const ports = ask.demand.ports !== undefined && ask.demand.ports.length > 0 ? ask.demand.ports : undefined
  const tasks: TaskInput[] = Array.from({ length: count }, () => ({
    cpu: ask.demand.cpu, memory: ask.demand.memory, group: ask.group, strategies, ...(ports !== undefined ? { ports } : {}),
    ...(distinct ? { distinctInstance: true } : {}), ...(memberOf !== undefined ? { memberOf } : {})
  }))
  const placed = ctx.scheduler.place({ nodes, tasks, seed: ((ctx.clock.now() + first) & 0x7fffffff) || 1 })
  const plan: PlacementPlan = {
    poolId: snapshot.poolId, poolVersion: snapshot.version, nodes: snapshot.nodes,
    node: Int32Array.from(placed.placements.map((p) => p.node ?? -1)),
    reason: placed.placements.map((p) => p.reason),
    reserved: new Int32Array(count).fill(-1),
    metrics: placed.metrics
  }
  const demand = { cpu: ask.demand.cpu, memory: ask.demand.memory, gpu: 0, ...(ports !== undefined ? { ports } : {}) }
  const reserved: Array<{ i: number; node: NodeRecord }> = []
  const applied = ctx.applier.apply(plan, () => demand, (_t, i, node) => { reserved.push({ i: first + i, node }) })
  const failed = (reason: string, detail?: string): Failure => ({ arn: snapshot.nodes[0]?.containerInstanceArn ?? clusterArn, reason, ...(detail !== undefined ? { detail } : {}) })
  if (!applied.applied) return { applied: false, failures: Array.from({ length: count }, () => failed('RESOURCE:PORTS', applied.detail)) }
  return { applied: true, placed: reserved, failures: placed.placements.filter((p) => p.node === null).map((p) => failed(failureReason(p.reason))) }
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
