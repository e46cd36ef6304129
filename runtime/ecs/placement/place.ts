// ECS task placement: container instances (pool nodes), tasks, ECS's
// placementStrategy and placementConstraints in; per task a node or ECS's
// failure reason out, with the plan the PlanApplier commits.
//
//   strategies   {type: 'binpack', field: 'cpu' | 'memory'}, {type: 'spread',
//                field: 'instanceId' | 'host' | 'attribute:<name>'}, {type: 'random'};
//                at most 5, applied in order (the first ranks, later ones break its
//                ties); none given: random (RunTask's default; services pass
//                SERVICE_DEFAULT_STRATEGY)
//   constraints  {type: 'distinctInstance'}, {type: 'memberOf', expression}; at most 10
//
// memberOf expressions are compiled here: each is evaluated per instance
// (query.ts) against the snapshot, and their conjunction becomes a synthetic
// attribute the core tests with a memberOf set (batch.ts fills the core's batch
// straight from the records). The placement itself — ports,
// capacity, distinctInstance, the strategy chain — is the core's (WebAssembly by
// default; the TypeScript twin gives the same plan). Expressions on state a plan
// changes (runningTasksCount, task:group) see the instances as the snapshot has
// them, before this call's placements.

import { StratusError } from '../../errors.js'
import type { Demand, NodeRecord } from '../../cluster/node-pool.js'
import type { PlacementPlan } from '../../scheduler/placer.js'
import type { PlanMetrics } from '../../scheduler/core.js'
import { MAX_CONSTRAINTS, MAX_STRATEGIES, type PlacementReason, type Scheduler, type Strategy } from '../../scheduler/scheduler.js'
import { runBatch } from './batch.js'
import { evaluate, parseExpression, type Expression, type InstanceView } from './query.js'

/** ECS's placementStrategy entry (the SDK's PlacementStrategy). */
export interface EcsPlacementStrategy {
  type?: string
  field?: string
}

/** ECS's placementConstraints entry (the SDK's PlacementConstraint). */
export interface EcsPlacementConstraint {
  type?: string
  expression?: string
}

/** A container instance as placement sees it. */
export interface PlacementNode {
  record: NodeRecord
  /** Tasks running on it by group (`service:web`: 2): task:group expressions, distinctInstance, spread. */
  groups?: Readonly<Record<string, number>>
  /** Default true; a disconnected agent takes no task (AGENT when none is left). */
  agentConnected?: boolean
  /** Default AGENT_VERSION. */
  agentVersion?: string
  /** Attributes beyond the record's (ecs.ami-id, ones set with PutAttributes); these win. */
  attributes?: Readonly<Record<string, string>>
}

export interface PlacementTaskInput {
  /** Millicores, MiB, GPUs and static host ports ('tcp:80'), as the pools account them. */
  demand: Demand
  /** The task's group (ECS: `family:<name>` for RunTask, `service:<name>` for a service). */
  group?: string
}

export interface PlaceTasksInput {
  poolId: string
  /** The pool version the nodes were read at (PoolSnapshot.version). */
  poolVersion: number
  nodes: readonly PlacementNode[]
  tasks: readonly PlacementTaskInput[]
  placementStrategy?: readonly EcsPlacementStrategy[]
  placementConstraints?: readonly EcsPlacementConstraint[]
  /** Seed of the random strategy (pass a fresh one per call, e.g. a counter). */
  seed?: number
}

/** ECS's reasons in RunTask's failures[]. */
export type EcsPlacementFailureReason =
  | 'RESOURCE:CPU'
  | 'RESOURCE:MEMORY'
  | 'RESOURCE:GPU'
  | 'RESOURCE:PORTS'
  | 'MemberOf placement constraint unsatisfied'
  | 'DistinctInstance placement constraint unsatisfied'
  | 'AGENT'

export interface TaskPlacement {
  /** The instance the task goes to, or null. */
  node: NodeRecord | null
  /** Why no instance takes it (null when placed). */
  reason: EcsPlacementFailureReason | null
}

export interface PlaceTasksResult {
  placements: TaskPlacement[]
  /** For ctx.applier.apply(plan, (i) => tasks[i].demand, commit): re-checks capacity and ports at commit. */
  plan: PlacementPlan
  metrics: PlanMetrics
}

/** The container agent version instances report unless told otherwise. */
export const AGENT_VERSION = '1.89.0'

/** What ECS services place by when they give no strategy. */
export const SERVICE_DEFAULT_STRATEGY: readonly EcsPlacementStrategy[] = [
  { type: 'spread', field: 'attribute:ecs.availability-zone' },
  { type: 'spread', field: 'instanceId' }
]

const CALL_GROUP = 'stratus:placeTasks'

function invalid(field: string, message: string, limit?: number): never {
  throw new StratusError('InvalidArgument', 'InvalidParameterException', `${field}: ${message}`, { field, ...(limit === undefined ? {} : { limit }) })
}

/** An instance's view for the cluster query language (also ListContainerInstances' filter). */
export function instanceView(node: PlacementNode): InstanceView {
  const r = node.record
  return {
    ec2InstanceId: r.id,
    agentConnected: node.agentConnected ?? true,
    agentVersion: node.agentVersion ?? AGENT_VERSION,
    registeredAt: r.launchedAt,
    runningTasksCount: r.running,
    attributes: {
      'ecs.availability-zone': r.zone, 'ecs.instance-type': r.instanceType, 'ecs.os-type': 'linux',
      ...r.attributes, ...node.attributes
    },
    taskGroups: Object.entries(node.groups ?? {}).filter(([, count]) => count > 0).map(([group]) => group)
  }
}

/** ECS's strategies to the Scheduler's, validated as ECS does. */
export function strategiesOf(list: readonly EcsPlacementStrategy[] | undefined): Strategy[] {
  if (list === undefined || list.length === 0) return [{ type: 'random' }]
  if (!Array.isArray(list)) invalid('placementStrategy', 'must be a list of placement strategies')
  if (list.length > MAX_STRATEGIES) invalid('placementStrategy', `has ${list.length} strategies; the limit is ${MAX_STRATEGIES}`, MAX_STRATEGIES)
  return list.map((s, i): Strategy => {
    const at = `placementStrategy[${i}]`
    switch (s?.type) {
      case 'random':
        return { type: 'random' }
      case 'binpack':
        if (s.field !== 'cpu' && s.field !== 'memory') invalid(`${at}.field`, `binpack takes the field cpu or memory, got ${JSON.stringify(s.field)}`)
        return { type: 'binpack', field: s.field }
      case 'spread': {
        const f = s.field
        if (f === 'instanceId' || f === 'host') return { type: 'spread', field: 'node' }
        if (typeof f !== 'string' || !f.startsWith('attribute:') || f.length === 'attribute:'.length) {
          invalid(`${at}.field`, `spread takes the field instanceId, host or attribute:<name>, got ${JSON.stringify(f)}`)
        }
        const name = f.slice('attribute:'.length)
        return { type: 'spread', field: name === 'ecs.availability-zone' ? 'zone' : name === 'ecs.instance-type' ? 'instanceType' : name }
      }
      default:
        return invalid(`${at}.type`, `must be random, spread or binpack, got ${JSON.stringify(s?.type)}`)
    }
  })
}

interface Constraints {
  distinct: boolean
  memberOf: Expression[]
}

/** ECS's constraints, validated as ECS does; memberOf expressions parsed. */
export function constraintsOf(list: readonly EcsPlacementConstraint[] | undefined): Constraints {
  const out: Constraints = { distinct: false, memberOf: [] }
  if (list === undefined) return out
  if (!Array.isArray(list)) invalid('placementConstraints', 'must be a list of placement constraints')
  if (list.length > MAX_CONSTRAINTS) invalid('placementConstraints', `has ${list.length} constraints; the limit is ${MAX_CONSTRAINTS}`, MAX_CONSTRAINTS)
  list.forEach((c, i) => {
    const at = `placementConstraints[${i}]`
    if (c?.type === 'distinctInstance') {
      if (c.expression !== undefined) invalid(`${at}.expression`, 'cannot be given for a distinctInstance constraint')
      out.distinct = true
    } else if (c?.type === 'memberOf') {
      out.memberOf.push(parseExpression(c.expression, `${at}.expression`))
    } else {
      invalid(`${at}.type`, `must be distinctInstance or memberOf, got ${JSON.stringify(c?.type)}`)
    }
  })
  return out
}

const REASONS: Record<Exclude<PlacementReason, 'PLACED' | 'CONSTRAINT_UNSATISFIED'>, EcsPlacementFailureReason> = {
  INSUFFICIENT_CPU: 'RESOURCE:CPU',
  INSUFFICIENT_MEMORY: 'RESOURCE:MEMORY',
  INSUFFICIENT_GPU: 'RESOURCE:GPU',
  PORTS_IN_USE: 'RESOURCE:PORTS',
  NO_ACTIVE_NODE: 'AGENT'
}

/** Places the tasks; the core decides. Bad strategies, constraints or expressions throw InvalidParameterException. */
export function placeTasks(scheduler: Scheduler, input: PlaceTasksInput): PlaceTasksResult {
  const strategies = strategiesOf(input.placementStrategy)
  const constraints = constraintsOf(input.placementConstraints)
  // Custom attributes only for the ones a spread names (the core holds 8 per snapshot).
  const spreadNames = new Set(strategies.flatMap((s) => (s.type === 'spread' && s.field !== 'node' && s.field !== 'zone' && s.field !== 'instanceType' ? [s.field] : [])))
  // Views only when an expression or a custom spread reads them (the common case needs none).
  const views = constraints.memberOf.length > 0 || spreadNames.size > 0 ? input.nodes.map(instanceView) : undefined
  // Without expressions every instance passes (the common case: no per-instance evaluation).
  const passes = constraints.memberOf.length === 0 ? undefined : input.nodes.map((_, i) => constraints.memberOf.every((e) => evaluate(e, views![i])))
  const spreadAttributes = [...spreadNames]
  const outcome = runBatch(scheduler.core, {
    nodes: input.nodes,
    ...(spreadAttributes.length > 0 ? { custom: views!.map((view) => spreadAttributes.map((name) => view.attributes[name] ?? '')) } : {}),
    ...(passes !== undefined ? { passes } : {}),
    tasks: input.tasks.map((t, i) => {
      if (t === null || typeof t !== 'object' || t.demand === null || typeof t.demand !== 'object') invalid(`tasks[${i}].demand`, 'must be an object')
      const ports = t.demand.ports ?? []
      if (!Array.isArray(ports)) invalid(`tasks[${i}].demand.ports`, 'must be a list of ports')
      if (new Set(ports).size !== ports.length) invalid(`tasks[${i}].demand.ports`, 'repeats a port')
      return { cpu: t.demand.cpu, memory: t.demand.memory, gpu: t.demand.gpu ?? 0, group: t.group ?? (constraints.distinct ? CALL_GROUP : undefined), ports }
    }),
    strategies, spreadAttributes, distinct: constraints.distinct, memberOf: constraints.memberOf.length > 0, seed: input.seed ?? 1
  })
  // A constraint failure is memberOf's when no usable instance passes the expressions, else distinctInstance's.
  const memberOfRulesAll = passes !== undefined && !input.nodes.some((n, i) => passes[i] && n.agentConnected !== false && n.record.status === 'ACTIVE')
  const placements = outcome.reason.map((reason, i): TaskPlacement => {
    if (reason === 'PLACED') return { node: input.nodes[outcome.node[i]].record, reason: null }
    if (reason === 'CONSTRAINT_UNSATISFIED') {
      return { node: null, reason: memberOfRulesAll || !constraints.distinct ? 'MemberOf placement constraint unsatisfied' : 'DistinctInstance placement constraint unsatisfied' }
    }
    return { node: null, reason: REASONS[reason] }
  })
  const records = input.nodes.map((n) => n.record)
  const plan: PlacementPlan = {
    poolId: input.poolId, poolVersion: input.poolVersion, nodes: records,
    node: outcome.node, reason: outcome.reason, reserved: new Int32Array(outcome.node.length).fill(-1), metrics: outcome.metrics
  }
  return { placements, plan, metrics: outcome.metrics }
}
