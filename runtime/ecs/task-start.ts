// A task's record and its start on a node. newTaskRecord builds what does not
// depend on where it runs (ARNs, sizes, overrides, tags); startOnNode gives it
// a node: its sandbox (sandbox-spec.ts), its awslogs streams, the launcher's
// intent, its address (the ENI of an awsvpc task), instance and zone. A task
// waiting for capacity (task-waiting.ts) is a record without a node until an
// instance can take it.

import { randomBytes, randomUUID } from 'node:crypto'
import { arn } from '../aws/arn.js'
import type { Transaction } from '../store/store.js'
import type { NodeRecord } from '../cluster/node-pool.js'
import type { ContainerSpec } from '../runners/runner.js'
import { AwsLogs, AwsLogsGroupMissingError, awslogsStreamName } from '../logs/aws-logs.js'
import type { EcsContext } from './context.js'
import { TASK_OWNER, type ClusterRecord } from './records.js'
import type { Container, Task, TaskOverride } from './model-tasks.js'
import { sandboxContainers, type TaskDefinitionShape } from './sandbox-spec.js'
import { eniAttachment, type Capacity } from './fargate.js'
import { failedToStart, saveTask, type EcsTaskRecord } from './task-lifecycle.js'
import type { LaunchRequest } from './run-task.js'

/** Everything a task's start needs besides its node (kept on a waiting task's record). */
export interface LaunchPlan {
  request: LaunchRequest
  capacity: Capacity
  networkMode: 'bridge' | 'host' | 'awsvpc' | 'none'
  group: string
  taskCpu: number | undefined
  taskMemory: number | undefined
  demand: { units: number; cpu: number; memory: number; ports: string[] }
  platformVersion: string | undefined
}

/** A task record as RunTask answers before it has a node: PROVISIONING, no instance, no address. */
export function newTaskRecord(ctx: EcsContext, cluster: ClusterRecord, definition: TaskDefinitionShape, w: LaunchPlan): EcsTaskRecord {
  const { request, capacity } = w
  const fargate = capacity.launchType === 'FARGATE'
  const clusterName = String(cluster.cluster.clusterName)
  const taskId = randomBytes(16).toString('hex')
  const taskArn = arn(ctx.partition, 'ecs', `task/${clusterName}/${taskId}`)
  const overrideOf = (name: string) => request.overrides?.containerOverrides?.find((o) => o.name === name)
  const containers = definition.containerDefinitions.map((c): Container => {
    const o = overrideOf(c.name)
    const memory = o?.memory ?? c.memory
    const reservation = o?.memoryReservation ?? c.memoryReservation
    return {
      containerArn: arn(ctx.partition, 'ecs', `container/${clusterName}/${taskId}/${randomUUID()}`),
      taskArn, name: c.name, ...(c.image !== undefined ? { image: c.image } : {}),
      lastStatus: 'PENDING',
      networkInterfaces: [],
      healthStatus: 'UNKNOWN',
      cpu: String(o?.cpu ?? c.cpu ?? 0),
      ...(memory !== undefined ? { memory: String(memory) } : {}),
      ...(reservation !== undefined ? { memoryReservation: String(reservation) } : {})
    }
  })
  // RunTask's override wins over the definition's (both checked 21 to 200 GiB); 20 GiB is Fargate's default.
  const storage = request.overrides?.ephemeralStorage?.sizeInGiB ?? definition.ephemeralStorage?.sizeInGiB ?? 20
  const task: Task = {
    attachments: [],
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
    ...(capacity.capacityProviderName !== undefined ? { capacityProviderName: capacity.capacityProviderName } : {}),
    clusterArn: String(cluster.cluster.clusterArn),
    containers,
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
    ...(fargate ? { ephemeralStorage: { sizeInGiB: storage }, fargateEphemeralStorage: { sizeInGiB: storage } } : {})
  }
  return {
    task, taskId, clusterName,
    ...(request.serviceName !== undefined ? { serviceName: request.serviceName } : {}),
    ...(request.deploymentId !== undefined ? { deploymentId: request.deploymentId } : {}),
    fargate,
    healthChecked: definition.containerDefinitions.filter((c) => c.essential !== false && c.healthCheck !== undefined).map((c) => c.name),
    demand: { cpu: w.demand.cpu, memory: w.demand.memory }
  }
}

/**
 * Starts a task on node (its demand already reserved there), in tx: the
 * sandbox and the launcher's intent, its streams, its address, instance and
 * zone. Returns the record to save. A missing awslogs group gives the demand
 * back and has the task fail to start with ECS's reason, once tx commits.
 */
export function startOnNode(ctx: EcsContext, tx: Transaction, record: EcsTaskRecord, cluster: ClusterRecord, definition: TaskDefinitionShape, w: LaunchPlan, node: NodeRecord): EcsTaskRecord {
  const { request } = w
  const fargate = record.fargate
  const taskId = record.taskId
  const taskArn = record.task.taskArn!
  // What the node's runner can do decides which container features it is handed (the images say which runner it is).
  const capabilities = ctx.launcher.capabilitiesFor(node, definition.containerDefinitions.map((c) => ({ image: c.image }) as ContainerSpec), tx)
  const containers = sandboxContainers({
    ctx, tx, taskId, definition, overrides: request.overrides, fargate, networkMode: w.networkMode, taskCpu: w.taskCpu, taskMemory: w.taskMemory,
    capabilities, clusterArn: String(cluster.cluster.clusterArn), taskArn
  })
  // ECS's host mode is the instance's own network. Here container instances are slices of one machine: host would be
  // this machine's network, shared by every instance and reachable beyond 127.0.0.0/8, so a host-mode task is refused
  // (Batch's jobs, which AWS runs in the host's network, keep it). A runner that declares no network modes (the
  // simulated one) runs the task in its own: the mode is the definition's fact, shown as such.
  const hostRefused = w.networkMode === 'host' && capabilities?.networkModes !== undefined
  const streams = hostRefused
    ? { opened: [], failure: 'CannotStartContainerError: networkMode host: container instances here are slices of one machine, whose network is shared by all of them and not loopback-only; use bridge or awsvpc' }
    : openAwsLogs(ctx, tx, taskId, definition, containers)
  const runnerMode = w.networkMode !== 'awsvpc' && capabilities?.networkModes?.includes(w.networkMode) ? w.networkMode : undefined
  // As placement reserved it (an EC2 task's group is counted on its instance), so the end gives back exactly that.
  const demand = { cpu: w.demand.cpu, memory: w.demand.memory, gpu: 0, ...(w.demand.ports.length > 0 && !fargate ? { ports: w.demand.ports } : {}), ...(fargate ? {} : { group: w.group }) }
  // A task whose awslogs group is missing fails to start with ECS's reason: no sandbox is asked for.
  const row = streams.failure !== undefined
    ? (ctx.pools.release(tx, node.key, demand), undefined)
    : ctx.launcher.intend(tx, {
      owner: TASK_OWNER, ownerKey: taskId, attempt: 1, node, demand, containers,
      ...(runnerMode !== undefined ? { networkMode: runnerMode } : {}),
      ...(fargate && capabilities?.ephemeralStorage === true ? { ephemeralStorage: true } : {})
    })
  if (streams.failure !== undefined) {
    const reason = streams.failure
    tx.afterCommit(() => failedToStart(ctx, taskId, reason))
  }
  const address = row?.address
  const eni = w.networkMode === 'awsvpc' && address !== undefined ? eniAttachment(taskId, address, request.networkConfiguration?.awsvpcConfiguration?.subnets?.[0]) : undefined
  const zone = fargate ? (ctx.pools.pool(cluster.poolId, tx)?.zones[0] ?? node.zone) : node.zone
  // A runner with per-container stop timeouts applies the definition's own; else the longest is the task's grace.
  const stopTimeouts = capabilities?.stopTimeout === true ? [] : definition.containerDefinitions.map((c) => c.stopTimeout).filter((s): s is number => typeof s === 'number')
  const { awaitingCapacity: _waiting, launch: _launch, ...rest } = record
  void _waiting; void _launch
  return {
    ...rest,
    ...(row !== undefined ? { runId: row.runId } : {}),
    ...(streams.opened.length > 0 ? { awslogs: streams.opened } : {}),
    ...(stopTimeouts.length > 0 ? { stopGraceMs: Math.max(...stopTimeouts) * 1000 } : {}),
    task: {
      ...record.task,
      availabilityZone: zone,
      ...(fargate ? {} : { containerInstanceArn: node.containerInstanceArn }),
      attachments: eni !== undefined ? [eni.attachment] : [],
      containers: (record.task.containers ?? []).map((c) => ({ ...c, networkInterfaces: eni !== undefined ? [{ attachmentId: eni.attachmentId, privateIpv4Address: address }] : [] }))
    }
  }
}

/** A new task started on node: its record written (version 0). */
export function writeTask(ctx: EcsContext, tx: Transaction, cluster: ClusterRecord, definition: TaskDefinitionShape, w: LaunchPlan, node: NodeRecord): EcsTaskRecord {
  return saveTask(ctx, tx, startOnNode(ctx, tx, newTaskRecord(ctx, cluster, definition, w), cluster, definition, w, node), 0)
}

function withoutContainers(o: TaskOverride | undefined): Omit<TaskOverride, 'containerOverrides'> {
  if (o === undefined) return {}
  const { containerOverrides: _c, ...rest } = o
  void _c
  return rest
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
