// RunTask and StartTask: tasks of one definition in one cluster, placed and
// written in one store transaction — each task's record (PROVISIONING), its
// launcher intent (owner `ecs`, owner key the task id) and the demand it holds
// on its node (the PlanApplier for EC2 tasks, the Fargate pool for Fargate
// ones). `launchTasks` is the seam the service scheduler calls inside its own
// transaction; `stopTask` the one it stops tasks with.

import type { Transaction } from '../store/store.js'
import type { NodeRecord } from '../cluster/node-pool.js'
import type { EcsContext } from './context.js'
import { clientException, invalidParameter } from './errors.js'
import { getCluster } from './clusters.js'
import { resolveTaskDefinition } from './task-definitions.js'
import { TASKS } from './records.js'
import type {
  CapacityProviderStrategyItem, Failure, LaunchType, NetworkConfiguration, PlacementConstraint, PlacementStrategy, Tag, Task,
  TaskOperations, TaskExtensions, TaskOverride, TaskStopCode
} from './model-tasks.js'
import { portMappingsOf, type TaskDefinitionShape } from './sandbox-spec.js'
import { assignCapacity, fargateNode, platformVersionOf, type Capacity } from './fargate.js'
import { placeOnInstances, startOnInstances } from './task-placement.js'
import { checkHostAccess } from './host-access.js'
import { checkLaunch, checkOverridesAgainst, taskConstraints } from './run-task-validation.js'
import { decideStop, markPending, taskIdOf, USER_STOP_REASON, type EcsTaskRecord } from './task-lifecycle.js'
import { writeTask, type LaunchPlan } from './task-start.js'
import { providerConstraint, scalesForWaiting, startWaiting, writeWaiting } from './task-waiting.js'
import { registerTaskOwner } from './task-owner.js'
import { describeTasks, listTasks } from './describe-tasks.js'
import { startRetention } from './task-retention.js'
import { interruptSpotTask, startSpotInterruptions } from './spot.js'
import { taskCostOf } from './task-cost.js'

/** What RunTask, StartTask and the service scheduler ask for: tasks of one definition in one cluster. */
export interface LaunchRequest {
  cluster?: string
  /** family, family:revision or ARN. */
  taskDefinition: string
  count: number
  launchType?: LaunchType
  capacityProviderStrategy?: CapacityProviderStrategyItem[]
  placementConstraints?: PlacementConstraint[]
  placementStrategy?: PlacementStrategy[]
  /** StartTask: exactly these container instances (ARNs or ids), one task each. */
  containerInstances?: string[]
  overrides?: TaskOverride
  startedBy?: string
  /** Default `family:<family>`. */
  group?: string
  tags?: Tag[]
  enableExecuteCommand?: boolean
  networkConfiguration?: NetworkConfiguration
  platformVersion?: string
  /** Set by the service scheduler: its live tasks per capacity provider, so the strategy's split holds for the whole service. */
  existingCapacity?: Readonly<Record<string, number>>
  /** Set by the service scheduler. */
  serviceName?: string
  deploymentId?: string
}

export interface LaunchResult {
  tasks: Task[]
  failures: Failure[]
}

/** The stop codes a stop may be decided with. */
export type StopCode = TaskStopCode

/** Creates the area's controllers (owner, retention, Spot interruptions) and answers its operations. */
export function taskOperations(ctx: EcsContext): TaskOperations & TaskExtensions {
  registerTaskOwner(ctx)
  startRetention(ctx)
  startSpotInterruptions(ctx)
  startWaiting(ctx)
  return {
    async runTask(input) {
      const count = input?.count ?? 1
      const { clientToken, ...request } = input ?? ({} as typeof input)
      if (clientToken === undefined) return ctx.store.transaction((tx) => launchTasks(ctx, tx, { ...request, count }))
      if (typeof clientToken !== 'string' || clientToken.length === 0 || clientToken.length > 64) throw invalidParameter('clientToken', 'clientToken must be 1 to 64 characters.', 64)
      return ctx.store.transaction((tx) => idempotent(ctx, tx, clientToken, request, () => launchTasks(ctx, tx, { ...request, count })))
    },
    async startTask(input) {
      if (!Array.isArray(input?.containerInstances) || input.containerInstances.length === 0) throw invalidParameter('containerInstances', 'containerInstances must name 1 to 10 container instances.', 10)
      if (input.containerInstances.length > 10) throw invalidParameter('containerInstances', 'containerInstances can have at most 10 items.', 10)
      return ctx.store.transaction((tx) => launchTasks(ctx, tx, { ...input, count: input.containerInstances.length, launchType: 'EC2' }))
    },
    async stopTask(input) {
      if (typeof input?.task !== 'string' || input.task.length === 0) throw invalidParameter('task', 'task is required.')
      if (input.reason !== undefined && (typeof input.reason !== 'string' || input.reason.length > 255)) throw invalidParameter('reason', 'reason can be at most 255 characters.', 255)
      const cluster = getCluster(ctx, input.cluster, 'cluster')
      const task = ctx.store.transaction((tx) => stopTask(ctx, tx, input.task, { reason: input.reason ?? USER_STOP_REASON, stopCode: 'UserInitiated' }, String(cluster.cluster.clusterName)))
      return { task }
    },
    async describeTasks(input) {
      return describeTasks(ctx, input)
    },
    async listTasks(input) {
      return listTasks(ctx, input)
    },
    async interruptSpotTask(input) {
      return { task: interruptSpotTask(ctx, input) }
    },
    async taskCost(input) {
      return taskCostOf(ctx, input)
    }
  }
}

/** RunTask client tokens: the answer a token got, for an hour (ECS's idempotency window is not documented; an hour is the tasks' own retention). */
const RUN_TASK_TOKENS = 'ecs:runTaskTokens'
const TOKEN_TTL_MS = 3_600_000

interface TokenRecord { request: string; taskArns: string[]; failures: Failure[]; expiresAt: number }

/**
 * RunTask with a client token: the same token and request again answer what
 * the first call launched (the tasks as they are now), launching nothing; the
 * token with another request is refused.
 */
function idempotent(ctx: EcsContext, tx: Transaction, token: string, request: object, launch: () => LaunchResult): LaunchResult {
  const now = ctx.clock.now()
  const key = JSON.stringify(request)
  const found = tx.get<TokenRecord>(RUN_TASK_TOKENS, token)
  if (found !== undefined && found.value.expiresAt > now) {
    if (found.value.request !== key) throw invalidParameter('clientToken', 'The clientToken was already used with a different request.')
    const tasks = found.value.taskArns.map((arn) => tx.get<EcsTaskRecord>(TASKS, taskIdOf(arn))?.value.task).filter((x): x is Task => x !== undefined)
    return { tasks, failures: found.value.failures }
  }
  const result = launch()
  tx.put<TokenRecord>(RUN_TASK_TOKENS, token, { request: key, taskArns: result.tasks.map((x) => x.taskArn!), failures: result.failures, expiresAt: now + TOKEN_TTL_MS }, found?.version ?? 0)
  return result
}

/**
 * Decides a task's stop (desiredStatus STOPPED, stopCode, stoppedReason) in
 * the caller's transaction; the containers are stopped after it commits. A
 * task already stopping keeps its first decision. Unknown task (or one of
 * another cluster, when `cluster` is given): InvalidParameterException.
 */
export function stopTask(ctx: EcsContext, tx: Transaction, taskArn: string, stop: { reason: string; stopCode: StopCode; graceMs?: number }, cluster?: string): Task {
  const record = decideStop(ctx, tx, taskArn, stop)
  if (cluster !== undefined && record.clusterName !== cluster) throw invalidParameter('task', 'The referenced task was not found.')
  return record.task
}

/** ECS CPU units of a task-level cpu ("1024", "1 vCPU", "0.25 vcpu"). */
function cpuUnits(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const m = /^\s*([\d.]+)\s*(vcpu)?\s*$/i.exec(value)
  return m === null ? undefined : Math.round(Number(m[1]) * (m[2] !== undefined ? 1024 : 1))
}

/** MiB of a task-level memory ("2048", "2 GB", "0.5GB"). */
function memoryMiB(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const m = /^\s*([\d.]+)\s*(gb)?\s*$/i.exec(value)
  return m === null ? undefined : Math.round(Number(m[1]) * (m[2] !== undefined ? 1024 : 1))
}

/** What the task needs: its task-level cpu and memory when set, else the sum of its containers'. */
function demandOf(def: TaskDefinitionShape, overrides: TaskOverride | undefined, taskCpu: number | undefined, taskMemory: number | undefined) {
  const o = (name: string) => overrides?.containerOverrides?.find((c) => c.name === name)
  const units = taskCpu ?? def.containerDefinitions.reduce((s, c) => s + (o(c.name)?.cpu ?? c.cpu ?? 0), 0)
  const memory = taskMemory ?? def.containerDefinitions.reduce((s, c) => s + (o(c.name)?.memory ?? c.memory ?? o(c.name)?.memoryReservation ?? c.memoryReservation ?? 0), 0)
  return { units, cpu: Math.round((units / 1024) * 1000), memory }
}

/**
 * The static host ports a task takes on its instance ('tcp:80'): bridge
 * mappings with a hostPort, every containerPort in host mode; awsvpc tasks
 * have their own address (none of the instance's ports).
 */
function hostPortsOf(def: TaskDefinitionShape, networkMode: string): string[] {
  if (networkMode === 'awsvpc' || networkMode === 'none') return []
  const out: string[] = []
  for (const c of def.containerDefinitions) {
    for (const p of portMappingsOf(c, networkMode)) if (p.hostPort !== undefined && p.hostPort > 0) out.push(`${p.protocol ?? 'tcp'}:${p.hostPort}`)
  }
  return out
}

/** Whether the definition can run with the launch type (its compatibilities); the service handlers ask it too. */
export function supports(def: TaskDefinitionShape, launchType: LaunchType): boolean {
  const list = def.compatibilities ?? def.requiresCompatibilities ?? ['EC2']
  return list.includes(launchType) || (launchType === 'EC2' && def.requiresCompatibilities === undefined && def.compatibilities === undefined)
}

/** Places and launches tasks inside the caller's transaction: the tasks written (PROVISIONING), or a failure per task that found no place. */
export function launchTasks(ctx: EcsContext, tx: Transaction, request: LaunchRequest): LaunchResult {
  checkLaunch(request)
  const cluster = getCluster(ctx, request.cluster, 'cluster', tx)
  // A service keeps scaling with its revision once it is INACTIVE (as ECS lets it); RunTask and StartTask need an ACTIVE one.
  const definition = resolveTaskDefinition(ctx, request.taskDefinition, 'taskDefinition', { reader: tx, allowInactive: request.serviceName !== undefined }).taskDefinition as TaskDefinitionShape
  // What of the host it asks for (host paths, privileged), as the engine allows it: refused before anything is written.
  checkHostAccess(definition, ctx.settings)
  const capacities = request.containerInstances !== undefined
    ? request.containerInstances.map((): Capacity => ({ launchType: 'EC2', spot: false }))
    : assignCapacity(cluster, request.launchType, request.capacityProviderStrategy, request.count, request.existingCapacity)
  for (const launchType of new Set(capacities.map((c) => c.launchType))) {
    if (!supports(definition, launchType)) throw clientException('taskDefinition', `Task definition does not support launch_type ${launchType}.`)
  }
  // The definition's memberOf constraints hold for every task placed by the scheduler (RunTask, services); StartTask names its instances itself.
  const constraints = request.containerInstances === undefined ? taskConstraints(definition, request.placementConstraints) : []
  const fargateAny = capacities.some((c) => c.launchType === 'FARGATE')
  const networkMode = fargateAny ? 'awsvpc' : definition.networkMode ?? 'bridge'
  if (fargateAny && definition.networkMode !== 'awsvpc') throw clientException('taskDefinition', 'Fargate only supports network mode \'awsvpc\'.')
  const vpc = request.networkConfiguration?.awsvpcConfiguration
  if (networkMode === 'awsvpc' && vpc === undefined) throw invalidParameter('networkConfiguration', 'Network Configuration must be provided when networkMode \'awsvpc\' is specified.')
  if (networkMode !== 'awsvpc' && request.networkConfiguration !== undefined) throw invalidParameter('networkConfiguration', 'Network Configuration is not valid for the given networkMode of this task definition.')
  if (vpc?.assignPublicIp === 'ENABLED' && !fargateAny) throw invalidParameter('networkConfiguration.awsvpcConfiguration.assignPublicIp', 'Assign public IP is not supported for this launch type.')
  const platformVersion = platformVersionOf(request.platformVersion, fargateAny)
  if (fargateAny && capacities.some((c) => c.launchType !== 'FARGATE')) throw invalidParameter('capacityProviderStrategy', 'A capacity provider strategy cannot contain both Fargate and EC2 capacity providers.')
  const taskCpu = cpuUnits(request.overrides?.cpu ?? definition.cpu)
  const taskMemory = memoryMiB(request.overrides?.memory ?? definition.memory)
  checkOverridesAgainst(definition, request.overrides, fargateAny ? { cpu: taskCpu, memory: taskMemory } : undefined)
  const demand = { ...demandOf(definition, request.overrides, taskCpu, taskMemory), ports: hostPortsOf(definition, networkMode) }
  const group = request.group ?? `family:${definition.family}`
  const launched: EcsTaskRecord[] = []
  const plan = (capacity: Capacity): LaunchPlan => ({ request, capacity, networkMode, group, taskCpu, taskMemory, demand, platformVersion })
  const commit = (capacity: Capacity) => (t: Transaction, _i: number, node: NodeRecord) => {
    launched.push(writeTask(ctx, t, cluster, definition, plan(capacity), node))
  }
  const failures: Failure[] = []
  const ec2 = capacities.filter((c) => c.launchType === 'EC2')
  if (request.containerInstances !== undefined) {
    failures.push(...startOnInstances(ctx, tx, cluster, request.containerInstances, demand, group, commit(ec2[0])))
  } else {
    // One plan per EC2 provider (or the EC2 launch type): a provider's tasks go to its own instances.
    const byProvider = new Map<string | undefined, Capacity[]>()
    for (const c of ec2) byProvider.set(c.capacityProviderName, [...(byProvider.get(c.capacityProviderName) ?? []), c])
    for (const [provider, group_] of byProvider) {
      const waits = scalesForWaiting(tx, provider)
      const ask = { count: group_.length, demand, group, strategies: request.placementStrategy ?? [], constraints: [...constraints, ...(provider !== undefined ? [providerConstraint(provider)] : [])] }
      const unplaced = waits && ctx.pools.nodes(cluster.poolId, tx).length === 0
        ? group_.map(() => ({ reason: 'RESOURCE:CPU' }) as Failure)
        : placeOnInstances(ctx, tx, cluster, ask, commit(group_[0]))
      // A managed provider's tasks wait for the instances its scaling launches (PROVISIONING), as on ECS.
      if (waits) for (let i = 0; i < unplaced.length; i++) launched.push(writeWaiting(ctx, tx, cluster, definition, plan(group_[0])))
      else failures.push(...unplaced)
    }
  }
  for (const capacity of capacities.filter((c) => c.launchType === 'FARGATE')) {
    const node = fargateNode(ctx, tx, cluster)
    commit(capacity)(tx, 0, ctx.pools.reserve(tx, node.key, { cpu: demand.cpu, memory: demand.memory, gpu: 0 }))
  }
  if (launched.some((r) => r.awaitingCapacity !== true)) {
    const ids = launched.filter((r) => r.awaitingCapacity !== true).map((r) => r.taskId)
    tx.afterCommit(() => markPending(ctx, ids))
  }
  return { tasks: launched.map((r) => r.task), failures }
}
