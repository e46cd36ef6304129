// RunTask and StartTask: tasks of one definition in one cluster, placed and
// written in one store transaction — each task's record (PROVISIONING), its
// launcher intent (owner `ecs`, owner key the task id) and the demand it holds
// on its node (the PlanApplier for EC2 tasks, the Fargate pool for Fargate
// ones). `launchTasks` is the seam the service scheduler calls inside its own
// transaction; `stopTask` the one it stops tasks with.

import { randomBytes, randomUUID } from 'node:crypto'
import { arn } from '../aws/arn.js'
import type { Transaction } from '../store/store.js'
import type { NodeRecord } from '../cluster/node-pool.js'
import type { EcsContext } from './context.js'
import { clientException, invalidParameter } from './errors.js'
import { getCluster } from './clusters.js'
import { resolveTaskDefinition } from './task-definitions.js'
import { TASK_OWNER, TASKS, type ClusterRecord } from './records.js'
import type {
  Attachment, CapacityProviderStrategyItem, Container, Failure, LaunchType, NetworkConfiguration, PlacementConstraint, PlacementStrategy, Tag, Task,
  TaskOperations, TaskExtensions, TaskOverride, TaskStopCode
} from './model-tasks.js'
import { portMappingsOf, sandboxContainers, type TaskDefinitionShape } from './sandbox-spec.js'
import { assignCapacity, eniAttachment, fargateNode, platformVersionOf, type Capacity } from './fargate.js'
import { placeOnInstances, startOnInstances } from './task-placement.js'
import { checkLaunch } from './run-task-validation.js'
import { decideStop, failedToStart, markPending, saveTask, taskIdOf, USER_STOP_REASON, type EcsTaskRecord } from './task-lifecycle.js'
import { AwsLogs, AwsLogsGroupMissingError, awslogsStreamName } from '../logs/aws-logs.js'
import type { ContainerSpec } from '../runners/runner.js'
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

function supports(def: TaskDefinitionShape, launchType: LaunchType): boolean {
  const list = def.compatibilities ?? def.requiresCompatibilities ?? ['EC2']
  return list.includes(launchType) || (launchType === 'EC2' && def.requiresCompatibilities === undefined && def.compatibilities === undefined)
}

/** Places and launches tasks inside the caller's transaction: the tasks written (PROVISIONING), or a failure per task that found no place. */
export function launchTasks(ctx: EcsContext, tx: Transaction, request: LaunchRequest): LaunchResult {
  checkLaunch(request)
  const cluster = getCluster(ctx, request.cluster, 'cluster', tx)
  // A service keeps scaling with its revision once it is INACTIVE (as ECS lets it); RunTask and StartTask need an ACTIVE one.
  const definition = resolveTaskDefinition(ctx, request.taskDefinition, 'taskDefinition', { reader: tx, allowInactive: request.serviceName !== undefined }).taskDefinition as TaskDefinitionShape
  const capacities = request.containerInstances !== undefined
    ? request.containerInstances.map((): Capacity => ({ launchType: 'EC2', spot: false }))
    : assignCapacity(cluster, request.launchType, request.capacityProviderStrategy, request.count)
  for (const launchType of new Set(capacities.map((c) => c.launchType))) {
    if (!supports(definition, launchType)) throw clientException('taskDefinition', `Task definition does not support launch_type ${launchType}.`)
  }
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
  const demand = { ...demandOf(definition, request.overrides, taskCpu, taskMemory), ports: hostPortsOf(definition, networkMode) }
  const group = request.group ?? `family:${definition.family}`
  const launched: EcsTaskRecord[] = []
  const commit = (capacity: Capacity) => (t: Transaction, _i: number, node: NodeRecord) => {
    launched.push(writeTask(ctx, t, { cluster, definition, request, capacity, node, networkMode, group, taskCpu, taskMemory, demand, platformVersion }))
  }
  const failures: Failure[] = []
  const ec2 = capacities.filter((c) => c.launchType === 'EC2')
  if (request.containerInstances !== undefined) {
    failures.push(...startOnInstances(ctx, tx, cluster, request.containerInstances, demand, commit(ec2[0])))
  } else if (ec2.length > 0) {
    // One plan for the EC2 tasks; a strategy's EC2 providers all place on the cluster's instances.
    let k = 0
    failures.push(...placeOnInstances(ctx, tx, cluster, {
      count: ec2.length, demand, group, strategies: request.placementStrategy ?? [], constraints: request.placementConstraints ?? []
    }, (t, i, node) => commit(ec2[k++ % ec2.length])(t, i, node)))
  }
  for (const capacity of capacities.filter((c) => c.launchType === 'FARGATE')) {
    const node = fargateNode(ctx, tx, cluster)
    commit(capacity)(tx, 0, ctx.pools.reserve(tx, node.key, { cpu: demand.cpu, memory: demand.memory, gpu: 0 }))
  }
  if (launched.length > 0) {
    const ids = launched.map((r) => r.taskId)
    tx.afterCommit(() => markPending(ctx, ids))
  }
  return { tasks: launched.map((r) => r.task), failures }
}

interface WriteInput {
  cluster: ClusterRecord
  definition: TaskDefinitionShape
  request: LaunchRequest
  capacity: Capacity
  node: NodeRecord
  networkMode: 'bridge' | 'host' | 'awsvpc' | 'none'
  group: string
  taskCpu: number | undefined
  taskMemory: number | undefined
  demand: { units: number; cpu: number; memory: number; ports: string[] }
  platformVersion: string | undefined
}

/** One task: its sandbox, its launcher intent and its record (PROVISIONING), in tx. */
function writeTask(ctx: EcsContext, tx: Transaction, w: WriteInput): EcsTaskRecord {
  const { cluster, definition, request, capacity, node } = w
  const fargate = capacity.launchType === 'FARGATE'
  const clusterName = String(cluster.cluster.clusterName)
  const taskId = randomBytes(16).toString('hex')
  const taskArn = arn(ctx.partition, 'ecs', `task/${clusterName}/${taskId}`)
  // What the node's runner can do decides which container features it is handed (the images say which runner it is).
  const capabilities = ctx.launcher.capabilitiesFor(node, definition.containerDefinitions.map((c) => ({ image: c.image }) as ContainerSpec), tx)
  const containers = sandboxContainers({
    ctx, tx, taskId, definition, overrides: request.overrides, fargate, networkMode: w.networkMode, taskCpu: w.taskCpu, taskMemory: w.taskMemory,
    capabilities, clusterArn: String(cluster.cluster.clusterArn), taskArn
  })
  const streams = openAwsLogs(ctx, tx, taskId, definition, containers)
  // A runner without the mode (the simulated one: awsvpc only) runs the task in its own: the mode is the definition's fact, shown as such.
  const runnerMode = w.networkMode !== 'awsvpc' && capabilities?.networkModes?.includes(w.networkMode) ? w.networkMode : undefined
  const demand = { cpu: w.demand.cpu, memory: w.demand.memory, gpu: 0, ...(w.demand.ports.length > 0 && !fargate ? { ports: w.demand.ports } : {}) }
  // A task whose awslogs group is missing is written, and fails to start with ECS's reason: no sandbox is asked for.
  const row = streams.failure !== undefined
    ? (ctx.pools.release(tx, node.key, demand), undefined)
    : ctx.launcher.intend(tx, {
      owner: TASK_OWNER, ownerKey: taskId, attempt: 1, node, demand, containers,
      ...(runnerMode !== undefined ? { networkMode: runnerMode } : {}),
      ...(fargate && capabilities?.ephemeralStorage === true ? { ephemeralStorage: true } : {})
    })
  const address = row?.address
  const awsvpc = w.networkMode === 'awsvpc'
  const eni = awsvpc && address !== undefined ? eniAttachment(taskId, address, request.networkConfiguration?.awsvpcConfiguration?.subnets?.[0]) : undefined
  const zone = fargate ? (ctx.pools.pool(cluster.poolId, tx)?.zones[0] ?? node.zone) : node.zone
  const overrideOf = (name: string) => request.overrides?.containerOverrides?.find((o) => o.name === name)
  const taskContainers = definition.containerDefinitions.map((c): Container => {
    const o = overrideOf(c.name)
    const memory = o?.memory ?? c.memory
    const reservation = o?.memoryReservation ?? c.memoryReservation
    return {
      containerArn: arn(ctx.partition, 'ecs', `container/${clusterName}/${taskId}/${randomUUID()}`),
      taskArn, name: c.name, ...(c.image !== undefined ? { image: c.image } : {}),
      lastStatus: 'PENDING',
      networkInterfaces: eni !== undefined ? [{ attachmentId: eni.attachmentId, privateIpv4Address: address }] : [],
      healthStatus: 'UNKNOWN',
      cpu: String(o?.cpu ?? c.cpu ?? 0),
      ...(memory !== undefined ? { memory: String(memory) } : {}),
      ...(reservation !== undefined ? { memoryReservation: String(reservation) } : {})
    }
  })
  const attachments: Attachment[] = eni !== undefined ? [eni.attachment] : []
  const task: Task = {
    attachments,
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
    availabilityZone: zone,
    ...(capacity.capacityProviderName !== undefined ? { capacityProviderName: capacity.capacityProviderName } : {}),
    clusterArn: String(cluster.cluster.clusterArn),
    ...(fargate ? {} : { containerInstanceArn: node.containerInstanceArn }),
    containers: taskContainers,
    cpu: String(w.demand.units),
    createdAt: new Date(ctx.clock.now()),
    desiredStatus: 'RUNNING',
    enableExecuteCommand: request.enableExecuteCommand === true,
    group: w.group,
    healthStatus: 'UNKNOWN',
    lastStatus: 'PROVISIONING',
    launchType: capacity.launchType,
    memory: String(w.demand.memory),
    overrides: { containerOverrides: request.overrides?.containerOverrides ?? [], ...withoutContainers(request.overrides) },
    ...(w.platformVersion !== undefined ? { platformVersion: w.platformVersion, platformFamily: 'Linux' } : {}),
    ...(request.startedBy !== undefined ? { startedBy: request.startedBy } : {}),
    tags: request.tags ?? [],
    taskArn,
    taskDefinitionArn: definition.taskDefinitionArn,
    version: 1,
    ...(fargate ? { ephemeralStorage: { sizeInGiB: definition.ephemeralStorage?.sizeInGiB ?? 20 }, fargateEphemeralStorage: { sizeInGiB: definition.ephemeralStorage?.sizeInGiB ?? 20 } } : {})
  }
  // A runner with per-container stop timeouts applies the definition's own; else the longest is the task's grace.
  const stopTimeouts = capabilities?.stopTimeout === true ? [] : definition.containerDefinitions.map((c) => c.stopTimeout).filter((s): s is number => typeof s === 'number')
  const record: EcsTaskRecord = {
    task, taskId, clusterName, ...(row !== undefined ? { runId: row.runId } : {}),
    ...(streams.opened.length > 0 ? { awslogs: streams.opened } : {}),
    ...(request.serviceName !== undefined ? { serviceName: request.serviceName } : {}),
    ...(request.deploymentId !== undefined ? { deploymentId: request.deploymentId } : {}),
    fargate,
    healthChecked: definition.containerDefinitions.filter((c) => c.essential !== false && c.healthCheck !== undefined).map((c) => c.name),
    ...(stopTimeouts.length > 0 ? { stopGraceMs: Math.max(...stopTimeouts) * 1000 } : {}),
    demand: { cpu: w.demand.cpu, memory: w.demand.memory }
  }
  const saved = saveTask(ctx, tx, record, 0)
  if (streams.failure !== undefined) {
    const reason = streams.failure
    tx.afterCommit(() => failedToStart(ctx, taskId, reason))
  }
  return saved
}

/**
 * The awslogs streams of a task's containers (`<prefix>/<container>/<task id>`
 * in awslogs-group), opened in the intent's transaction so they exist before
 * the containers write. A missing group (without awslogs-create-group "true")
 * is the task's start failure, with ECS's reason.
 */
function openAwsLogs(ctx: EcsContext, tx: Transaction, taskId: string, definition: TaskDefinitionShape, containers: readonly ContainerSpec[]): { opened: Array<{ group: string; stream: string }>; failure?: string } {
  const opened: Array<{ group: string; stream: string }> = []
  for (const c of definition.containerDefinitions) {
    const config = c.logConfiguration
    if (config?.logDriver !== 'awslogs') continue
    const options = config.options ?? {}
    const group = options['awslogs-group']
    if (group === undefined) continue
    const stream = awslogsStreamName(options['awslogs-stream-prefix'] ?? 'ecs', c.name, taskId)
    const filePath = containers.find((s) => s.name === c.name)!.logPath
    try {
      // A refused open writes nothing (the group is looked for first).
      AwsLogs.open(tx, { group, stream, filePath, createdAt: ctx.clock.now(), createGroup: options['awslogs-create-group'] === 'true' })
      opened.push({ group, stream })
    } catch (error) {
      if (error instanceof AwsLogsGroupMissingError) return { opened, failure: error.message }
      throw error
    }
  }
  return { opened }
}

function withoutContainers(o: TaskOverride | undefined): Omit<TaskOverride, 'containerOverrides'> {
  if (o === undefined) return {}
  const { containerOverrides: _c, ...rest } = o
  void _c
  return rest
}
