// A task definition and a RunTask's overrides → the runner's sandbox
// containers (ContainerSpec): image, command and entry point, environment,
// user and working directory, limits, ports, mounts. Where the task's files
// live on the host:
//
//   <workRoot>/tasks/<task id>/             the task's own storage (a Fargate task's
//     containers/<name>/                    ephemeral storage): deleted when it stops
//     volumes/<name>/                       bind volumes without a host path, task-scoped Docker volumes
//   <workRoot>/logs/<task id>/<name>.log    each container's output (kept after the stop:
//                                           awslogs streams read it)
//   <workRoot>/volumes/<name>/              shared-scope Docker volumes
//   <workRoot>/efs/<fileSystemId>/<root>/   EFS: one directory per file system, shared by every
//                                           task that names it (EC2 and Fargate)

import { mkdirSync } from 'node:fs'
import { join, posix } from 'node:path'
import type { Transaction } from '../store/store.js'
import type { ContainerSpec, Mount, PortMapping, RunnerCapabilities, VolumeMount } from '../runners/runner.js'
import type { EcsContext } from './context.js'
import type { PlacementConstraint, TaskOverride } from './model-tasks.js'

/** What this file reads of a task definition's container definition (AWS's ContainerDefinition). */
export interface ContainerDefinitionShape {
  name: string
  image?: string
  cpu?: number
  memory?: number
  memoryReservation?: number
  essential?: boolean
  entryPoint?: string[]
  command?: string[]
  environment?: Array<{ name?: string; value?: string }>
  workingDirectory?: string
  user?: string
  ulimits?: Array<{ name: string; softLimit: number; hardLimit: number }>
  readonlyRootFilesystem?: boolean
  privileged?: boolean
  linuxParameters?: { initProcessEnabled?: boolean }
  portMappings?: Array<{ containerPort?: number; hostPort?: number; protocol?: 'tcp' | 'udp'; name?: string }>
  mountPoints?: Array<{ sourceVolume?: string; containerPath?: string; readOnly?: boolean }>
  volumesFrom?: Array<{ sourceContainer?: string; readOnly?: boolean }>
  dependsOn?: Array<{ containerName: string; condition: 'START' | 'COMPLETE' | 'SUCCESS' | 'HEALTHY' }>
  healthCheck?: { command: string[]; interval?: number; timeout?: number; retries?: number; startPeriod?: number }
  stopTimeout?: number
  dockerLabels?: Record<string, string>
  logConfiguration?: { logDriver: string; options?: Record<string, string> }
}

export interface VolumeShape {
  name?: string
  host?: { sourcePath?: string }
  dockerVolumeConfiguration?: { scope?: 'task' | 'shared'; autoprovision?: boolean }
  efsVolumeConfiguration?: { fileSystemId: string; rootDirectory?: string }
}

/** What this file reads of a task definition (AWS's TaskDefinition). */
export interface TaskDefinitionShape {
  taskDefinitionArn: string
  family: string
  revision: number
  containerDefinitions: ContainerDefinitionShape[]
  networkMode?: 'bridge' | 'host' | 'awsvpc' | 'none'
  cpu?: string
  memory?: string
  volumes?: VolumeShape[]
  requiresCompatibilities?: string[]
  compatibilities?: string[]
  taskRoleArn?: string
  executionRoleArn?: string
  ephemeralStorage?: { sizeInGiB: number }
  /** memberOf constraints every scheduled task of it is placed under (run-task-validation.ts taskConstraints). */
  placementConstraints?: PlacementConstraint[]
  status?: string
}

export interface TaskPaths {
  /** The task's own storage (deleted when it stops). */
  taskDir: string
  logDir: string
}

export function taskPaths(ctx: EcsContext, taskId: string): TaskPaths {
  return { taskDir: join(ctx.settings.workRoot, 'tasks', taskId), logDir: join(ctx.settings.workRoot, 'logs', taskId) }
}

/** The log file of a container of a task (what an awslogs stream reads). */
export function containerLogPath(ctx: EcsContext, taskId: string, container: string): string {
  return join(taskPaths(ctx, taskId).logDir, `${container}.log`)
}

/** 1,024 ECS CPU units are a vCPU. */
export function unitsToVcpus(units: number): number {
  return units / 1024
}

export interface SandboxInput {
  ctx: EcsContext
  tx: Transaction
  taskId: string
  definition: TaskDefinitionShape
  overrides: TaskOverride | undefined
  fargate: boolean
  /** The network mode the sandbox gets (the definition's; awsvpc for Fargate). */
  networkMode: 'bridge' | 'host' | 'awsvpc' | 'none'
  /** The task's cpu units and MiB (task level, after overrides), when set. */
  taskCpu: number | undefined
  taskMemory: number | undefined
  /** What the runner can do: ECS's container features go to it only when it can (else they are left out or done here). */
  capabilities: RunnerCapabilities | undefined
  /** For ECS's container labels. */
  clusterArn: string
  taskArn: string
}

/**
 * The runner's containers of a task, in definition order. Directories the
 * mounts need are created once the transaction commits (before the runner
 * starts: the launcher's start comes after, as it is registered later).
 */
export function sandboxContainers(input: SandboxInput): ContainerSpec[] {
  const { ctx, tx, taskId, definition, overrides, fargate, networkMode } = input
  const paths = taskPaths(ctx, taskId)
  const dirs = new Set<string>([paths.logDir])
  const volumes = new Map((definition.volumes ?? []).map((v) => [v.name ?? '', v]))
  const byName = new Map(definition.containerDefinitions.map((c) => [c.name, c]))
  const overrideOf = (name: string) => overrides?.containerOverrides?.find((o) => o.name === name)
  const limits = sharedLimits(definition.containerDefinitions.map((c) => ({ ...c, ...pick(overrideOf(c.name)) })), input.taskCpu, input.taskMemory, fargate)

  const caps = input.capabilities
  const runnerVolumes = caps?.volumes === true
  const namedOf = (c: ContainerDefinitionShape): VolumeMount[] => {
    if (!runnerVolumes) return []
    const out: VolumeMount[] = []
    for (const mp of c.mountPoints ?? []) {
      const v = volumes.get(mp.sourceVolume ?? '')
      const docker = v?.dockerVolumeConfiguration
      if (v === undefined || docker === undefined || mp.containerPath === undefined || v.efsVolumeConfiguration !== undefined) continue
      out.push({
        volume: v.name ?? mp.sourceVolume!, containerPath: mp.containerPath, ...(mp.readOnly ? { readOnly: true } : {}),
        scope: docker.scope ?? 'task', ...(docker.autoprovision ? { autoprovision: true } : {})
      })
    }
    return out
  }
  const mountsOf = (c: ContainerDefinitionShape, seen: Set<string>): Mount[] => {
    const out: Mount[] = []
    for (const mp of c.mountPoints ?? []) {
      const volume = volumes.get(mp.sourceVolume ?? '')
      if (runnerVolumes && volume?.dockerVolumeConfiguration !== undefined && volume.efsVolumeConfiguration === undefined) continue
      const source = volumeSource(ctx, paths, volume)
      if (source === undefined || mp.containerPath === undefined) continue
      if (source.create) dirs.add(source.path)
      out.push({ sourcePath: source.path, containerPath: mp.containerPath, ...(mp.readOnly ? { readOnly: true } : {}) })
    }
    // The runner's volumesFrom when it has it; else the other container's host mounts, here.
    for (const from of caps?.volumesFrom === true ? [] : c.volumesFrom ?? []) {
      const other = byName.get(from.sourceContainer ?? '')
      if (other === undefined || seen.has(other.name)) continue
      seen.add(other.name)
      for (const m of mountsOf(other, seen)) out.push(from.readOnly ? { ...m, readOnly: true } : m)
    }
    return out
  }

  const specs = definition.containerDefinitions.map((c, i): ContainerSpec => {
    const o = overrideOf(c.name)
    const workDir = join(paths.taskDir, 'containers', c.name)
    dirs.add(workDir)
    const env: Record<string, string> = {
      AWS_EXECUTION_ENV: fargate ? 'AWS_ECS_FARGATE' : 'AWS_ECS_EC2',
      AWS_REGION: ctx.partition.region,
      AWS_DEFAULT_REGION: ctx.partition.region
    }
    for (const kv of c.environment ?? []) if (kv.name !== undefined) env[kv.name] = kv.value ?? ''
    for (const kv of o?.environment ?? []) if (kv.name !== undefined) env[kv.name] = kv.value ?? ''
    const mounts = mountsOf(c, new Set([c.name]))
    const named = namedOf(c)
    const ports = portMappingsOf(c, networkMode)
    const labels = caps?.dockerLabels === true ? {
      ...c.dockerLabels,
      'com.amazonaws.ecs.cluster': input.clusterArn,
      'com.amazonaws.ecs.task-arn': input.taskArn,
      'com.amazonaws.ecs.container-name': c.name,
      'com.amazonaws.ecs.task-definition-family': definition.family,
      'com.amazonaws.ecs.task-definition-version': String(definition.revision)
    } : undefined
    return {
      name: c.name,
      essential: c.essential !== false,
      ...(c.image !== undefined ? { image: c.image } : {}),
      command: o?.command ?? c.command ?? [],
      ...(c.entryPoint !== undefined ? { entryPoint: c.entryPoint } : {}),
      env,
      ...(c.workingDirectory !== undefined ? { workingDirectory: c.workingDirectory } : {}),
      ...(c.user !== undefined ? { user: c.user } : {}),
      vcpus: limits[i].vcpus,
      memoryMiB: limits[i].memoryMiB,
      ...(limits[i].reservationMiB !== undefined ? { memoryReservationMiB: limits[i].reservationMiB } : {}),
      gpus: 0,
      ...(ports.length > 0 ? { portMappings: ports } : {}),
      logPath: containerLogPath(ctx, taskId, c.name),
      workDir,
      ...(mounts.length > 0 ? { mounts } : {}),
      ...(c.readonlyRootFilesystem ? { readonlyRootFilesystem: true } : {}),
      // Allowed by the engine (RunTask refused it otherwise: host-access.ts): handed to the runner, never dropped.
      ...(c.privileged === true ? { privileged: true } : {}),
      ...(c.linuxParameters?.initProcessEnabled !== undefined ? { initProcessEnabled: c.linuxParameters.initProcessEnabled } : {}),
      ...(c.ulimits !== undefined && c.ulimits.length > 0 ? { ulimits: c.ulimits.map((u) => ({ name: u.name, softLimit: u.softLimit, hardLimit: u.hardLimit })) } : {}),
      ...(named.length > 0 ? { volumes: named } : {}),
      ...(caps?.volumesFrom === true && c.volumesFrom !== undefined && c.volumesFrom.length > 0
        ? { volumesFrom: c.volumesFrom.filter((f) => f.sourceContainer !== undefined).map((f) => ({ sourceContainer: f.sourceContainer!, ...(f.readOnly ? { readOnly: true } : {}) })) } : {}),
      ...(c.healthCheck !== undefined ? {
        healthCheck: {
          command: c.healthCheck.command,
          ...(c.healthCheck.interval !== undefined ? { intervalSeconds: c.healthCheck.interval } : {}),
          ...(c.healthCheck.timeout !== undefined ? { timeoutSeconds: c.healthCheck.timeout } : {}),
          ...(c.healthCheck.retries !== undefined ? { retries: c.healthCheck.retries } : {}),
          ...(c.healthCheck.startPeriod !== undefined ? { startPeriodSeconds: c.healthCheck.startPeriod } : {})
        }
      } : {}),
      ...(c.dependsOn !== undefined && c.dependsOn.length > 0 ? { dependsOn: c.dependsOn.map((d) => ({ containerName: d.containerName, condition: d.condition })) } : {}),
      ...(c.stopTimeout !== undefined && caps?.stopTimeout === true ? { stopTimeoutSeconds: c.stopTimeout } : {}),
      ...(labels !== undefined ? { dockerLabels: labels } : {})
    }
  })
  tx.afterCommit(() => {
    // A directory that cannot be made leaves a mount's source missing: the runner then fails the task with its reason.
    for (const dir of dirs) try { mkdirSync(dir, { recursive: true }) } catch { /* reported by the runner */ }
  })
  return specs
}

function pick(o: { cpu?: number; memory?: number; memoryReservation?: number } | undefined) {
  if (o === undefined) return {}
  return {
    ...(o.cpu !== undefined ? { cpu: o.cpu } : {}),
    ...(o.memory !== undefined ? { memory: o.memory } : {}),
    ...(o.memoryReservation !== undefined ? { memoryReservation: o.memoryReservation } : {})
  }
}

/**
 * Each container's limits. Its own cpu and memory when it has them; the
 * task-level cpu and memory are limits of the whole task: what the
 * containers with their own do not take is shared equally by those without,
 * so the sum never exceeds the task's (on Fargate the task's limits always
 * hold; on EC2 only when the definition sets them).
 */
function sharedLimits(containers: Array<{ cpu?: number; memory?: number; memoryReservation?: number }>, taskCpu: number | undefined, taskMemory: number | undefined, fargate: boolean) {
  void fargate
  const withoutCpu = containers.filter((c) => !(c.cpu !== undefined && c.cpu > 0)).length
  const withoutMemory = containers.filter((c) => c.memory === undefined).length
  const ownCpu = containers.reduce((s, c) => s + (c.cpu ?? 0), 0)
  const ownMemory = containers.reduce((s, c) => s + (c.memory ?? 0), 0)
  const cpuShare = taskCpu !== undefined && withoutCpu > 0 ? Math.max(0, taskCpu - ownCpu) / withoutCpu : 0
  const memoryShare = taskMemory !== undefined && withoutMemory > 0 ? Math.floor(Math.max(0, taskMemory - ownMemory) / withoutMemory) : 0
  return containers.map((c) => ({
    vcpus: unitsToVcpus(c.cpu !== undefined && c.cpu > 0 ? c.cpu : cpuShare),
    memoryMiB: c.memory ?? memoryShare,
    reservationMiB: c.memoryReservation
  }))
}

/**
 * Ports as the network mode publishes them: bridge maps a hostPort (0 or
 * absent: a dynamic one the runner picks and reports); host and awsvpc bind
 * the containerPort itself (the hostPort, when given, is the same number).
 */
export function portMappingsOf(c: ContainerDefinitionShape, networkMode: string): PortMapping[] {
  const out: PortMapping[] = []
  for (const p of c.portMappings ?? []) {
    if (p.containerPort === undefined) continue
    const hostPort = networkMode === 'bridge' ? (p.hostPort ?? 0) : p.containerPort
    out.push({ containerPort: p.containerPort, hostPort, protocol: p.protocol ?? 'tcp' })
  }
  return networkMode === 'none' ? [] : out
}

/** Where a volume's files are on the host, and whether Stratus makes the directory. */
function volumeSource(ctx: EcsContext, paths: TaskPaths, volume: VolumeShape | undefined): { path: string; create: boolean } | undefined {
  if (volume === undefined) return undefined
  const name = volume.name ?? 'volume'
  if (volume.efsVolumeConfiguration !== undefined) {
    const root = posix.normalize(`/${volume.efsVolumeConfiguration.rootDirectory ?? '/'}`).replace(/^\/+/, '')
    return { path: join(ctx.settings.workRoot, 'efs', volume.efsVolumeConfiguration.fileSystemId, root), create: true }
  }
  if (volume.host?.sourcePath !== undefined) return { path: volume.host.sourcePath, create: false }
  if (volume.dockerVolumeConfiguration?.scope === 'shared') return { path: join(ctx.settings.workRoot, 'volumes', name), create: true }
  return { path: join(paths.taskDir, 'volumes', name), create: true }
}
