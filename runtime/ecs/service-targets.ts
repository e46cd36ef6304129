// Services behind load balancers: their tasks as targets of the ELBv2 target
// groups the service's loadBalancers name (ctx.targets, the TargetRegistry).
//
//   RUNNING ─► registered (the service controller, level-triggered: one record
//              per task in ecs:taskTargets, then TargetRegistry.register after
//              the commit; event "registered N targets in (target-group …)")
//   stop    ─► draining (the lifecycle hook `stopping`: the task waits in
//              DEACTIVATING until TargetRegistry.deregister resolves — the
//              group's deregistration delay or its in-flight requests — then
//              STOPPING; events "has begun draining connections on N tasks.",
//              "deregistered N targets in (target-group …)")
//   exited  ─► deregistered at once (a task that ended on its own)
//
// An awsvpc task is an `ip` target (its 127.x address, the container port);
// a bridge task an `instance` target (its container instance's EC2 instance
// id, the host port Docker published; the ELB resolves the instance with
// instanceAddressOf). A task's ELB health is what TargetRegistry.health says
// of all its targets (lbHealthOf), read by the controller's phases.

import type { StoreReader, Transaction } from '../store/store.js'
import { NODES, type NodeRecord } from '../cluster/node-pool.js'
import type { TargetHealth, TargetSpec } from '../lb/model.js'
import type { EcsContext } from './context.js'
import { SERVICES, type TaskRecord } from './records.js'
import type { LoadBalancer, Service } from './model-services.js'
import { serviceKey, type ServiceState } from './service-records.js'
import { withEvent } from './service-events.js'

export const TASK_TARGETS = 'ecs:taskTargets'

export interface RegisteredTarget { targetGroupArn: string; id: string; port: number; host: string }

/** A task's targets while they are registered (key: the task id). */
export interface TaskTargetsRecord {
  taskId: string
  clusterName: string
  serviceName: string
  targets: RegisteredTarget[]
  registeredAt: number
  /** Deregistration started (the task is stopping). */
  draining?: boolean
}

/** Which of a loadBalancers entry's groups a deployment's tasks join (blue/green alternates them). */
export type TargetSide = 'primary' | 'alternate'

export const lbMessages = {
  registered: (service: string, count: number, targetGroupArn: string) => `(service ${service}) registered ${count} targets in (target-group ${targetGroupArn})`,
  draining: (service: string, count: number) => `(service ${service}) has begun draining connections on ${count} tasks.`,
  deregistered: (service: string, count: number, targetGroupArn: string) => `(service ${service}) deregistered ${count} targets in (target-group ${targetGroupArn})`,
  failedElb: (service: string, taskId: string, targetGroupArn: string) => `(service ${service}) (task ${taskId}) failed ELB health checks in (target-group ${targetGroupArn})`
} as const

export const elbStopReason = (targetGroupArn: string): string => `Task failed ELB health checks in (target-group ${targetGroupArn})`
export const ELB_STOP_PREFIX = 'Task failed ELB health checks'

/** The container instance with this EC2 instance id: where its published ports listen (every instance is a slice of this machine: 127.0.0.1). */
export function instanceAddressOf(reader: StoreReader, ec2InstanceId: string): string | undefined {
  const node = reader.scan<NodeRecord>(NODES).find((r) => r.value.id === ec2InstanceId)
  return node === undefined ? undefined : '127.0.0.1'
}

/** The target group an entry's tasks of this side join. */
export function groupOf(lb: LoadBalancer, side: TargetSide): string {
  const alternate = (lb as { advancedConfiguration?: { alternateTargetGroupArn?: string } }).advancedConfiguration?.alternateTargetGroupArn
  return side === 'alternate' && alternate !== undefined ? alternate : String(lb.targetGroupArn)
}

/** The targets of a RUNNING task for the service's loadBalancers; undefined while one is not known yet (no binding reported). */
export function targetsOf(reader: StoreReader, task: TaskRecord, loadBalancers: readonly LoadBalancer[], side: TargetSide): RegisteredTarget[] | undefined {
  const containers = (task.task.containers ?? []) as Array<Record<string, any>>
  const address = containers.find((c) => Array.isArray(c.networkInterfaces) && c.networkInterfaces.length > 0)?.networkInterfaces[0].privateIpv4Address as string | undefined
  const out: RegisteredTarget[] = []
  for (const lb of loadBalancers) {
    const targetGroupArn = groupOf(lb, side)
    if (address !== undefined) {
      out.push({ targetGroupArn, id: address, port: Number(lb.containerPort), host: address })
      continue
    }
    const container = containers.find((c) => c.name === lb.containerName)
    const binding = (container?.networkBindings ?? []).find((b: Record<string, any>) => b.containerPort === lb.containerPort && (b.protocol ?? 'tcp') === 'tcp')
    const arn = task.task.containerInstanceArn
    if (binding === undefined || typeof binding.hostPort !== 'number' || binding.hostPort === 0 || typeof arn !== 'string') return undefined
    const node = reader.scan<NodeRecord>(NODES).find((r) => r.value.containerInstanceArn === arn)?.value
    if (node === undefined) return undefined
    out.push({ targetGroupArn, id: node.id, port: binding.hostPort, host: typeof binding.bindIP === 'string' && binding.bindIP !== '0.0.0.0' ? binding.bindIP : '127.0.0.1' })
  }
  return out
}

/** The records' targets per group: what one register / deregister call takes. */
function byGroup(targets: readonly RegisteredTarget[]): Map<string, TargetSpec[]> {
  const groups = new Map<string, TargetSpec[]>()
  for (const t of targets) {
    const list = groups.get(t.targetGroupArn) ?? []
    list.push({ id: t.id, port: t.port, host: t.host })
    groups.set(t.targetGroupArn, list)
  }
  return groups
}

/** A service event written in its own transaction (draining ends after the stop's transaction). */
function serviceEvent(ctx: EcsContext, tx: Transaction, clusterName: string, serviceName: string, message: string): void {
  const got = tx.get<ServiceState>(SERVICES, serviceKey(clusterName, serviceName))
  if (got === undefined) return
  tx.put(SERVICES, got.key, { ...got.value, service: { ...got.value.service, events: withEvent(ctx, got.value.service, message) } }, got.version)
}

/**
 * Registers the RUNNING tasks of a service that have no targets yet (in the
 * controller's transaction; the registry is told after the commit). Returns
 * the events to add (one per group).
 */
export function registerTasks(ctx: EcsContext, tx: Transaction, service: Service, clusterName: string, live: readonly TaskRecord[], sideOf: (deploymentId: string | undefined) => TargetSide): string[] {
  const registry = ctx.targets
  const lbs = service.loadBalancers ?? []
  if (registry === undefined || lbs.length === 0) return []
  const all: RegisteredTarget[] = []
  for (const t of live) {
    if (t.task.lastStatus !== 'RUNNING' || t.task.desiredStatus === 'STOPPED') continue
    if (tx.get(TASK_TARGETS, t.taskId) !== undefined) continue
    const targets = targetsOf(tx, t, lbs, sideOf(t.deploymentId))
    if (targets === undefined) continue
    const record: TaskTargetsRecord = { taskId: t.taskId, clusterName, serviceName: String(service.serviceName), targets, registeredAt: ctx.clock.now() }
    tx.put(TASK_TARGETS, t.taskId, record, 0)
    all.push(...targets)
  }
  if (all.length === 0) return []
  const groups = byGroup(all)
  tx.afterCommit(() => {
    for (const [arn, specs] of groups) {
      try {
        registry.register(arn, specs)
      } catch {
        // A group deleted since: its targets are gone with it.
      }
    }
  })
  return [...groups].map(([arn, specs]) => lbMessages.registered(String(service.serviceName), specs.length, arn))
}

/** Targets of tasks that ended on their own (or were stopped before draining could start): deregistered at once. */
export function forgetEnded(ctx: EcsContext, tx: Transaction, serviceName: string, stopped: readonly TaskRecord[]): string[] {
  const registry = ctx.targets
  const gone: RegisteredTarget[] = []
  let told = 0
  for (const t of stopped) {
    const got = tx.get<TaskTargetsRecord>(TASK_TARGETS, t.taskId)
    if (got === undefined) continue
    // A draining record of a STOPPED task: its drain never finished (the engine restarted meanwhile); let the targets go now.
    if (got.value.draining === true && t.task.lastStatus !== 'STOPPED') continue
    tx.delete(TASK_TARGETS, t.taskId, got.version)
    gone.push(...got.value.targets)
    if (got.value.draining !== true) told += got.value.targets.length
  }
  if (gone.length === 0 || registry === undefined) return []
  const groups = byGroup(gone)
  tx.afterCommit(() => {
    for (const [arn, specs] of groups) {
      try {
        void registry.deregister(arn, specs).catch(() => {})
      } catch {
        // The group is gone, and its targets with it.
      }
    }
  })
  return told === 0 ? [] : [...groups].map(([arn, specs]) => lbMessages.deregistered(serviceName, specs.length, arn))
}

/**
 * The lifecycle hook that drains a stopping task's targets: the task stays
 * DEACTIVATING until every group let its targets go.
 */
export function drainingHook(ctx: EcsContext): { stopping(task: TaskRecord): Promise<void> | undefined } {
  return {
    stopping(task) {
      const registry = ctx.targets
      if (registry === undefined) return undefined
      const record = ctx.store.transaction((tx) => {
        const got = tx.get<TaskTargetsRecord>(TASK_TARGETS, task.taskId)
        if (got === undefined || got.value.draining === true) return undefined
        tx.put(TASK_TARGETS, task.taskId, { ...got.value, draining: true }, got.version)
        serviceEvent(ctx, tx, got.value.clusterName, got.value.serviceName, lbMessages.draining(got.value.serviceName, 1))
        return got.value
      })
      if (record === undefined) return undefined
      return letGo(ctx, registry, task.taskId, record)
    }
  }
}

/** Deregisters a stopping task's targets; once every group let them go, its record goes (and the events are written). */
function letGo(ctx: EcsContext, registry: NonNullable<EcsContext['targets']>, taskId: string, record: TaskTargetsRecord): Promise<void> {
  const groups = byGroup(record.targets)
  return Promise.allSettled([...groups].map(([arn, specs]) => registry.deregister(arn, specs))).then(() => {
    ctx.store.transaction((tx) => {
      const got = tx.get<TaskTargetsRecord>(TASK_TARGETS, taskId)
      if (got !== undefined) tx.delete(TASK_TARGETS, taskId, got.version)
      for (const [arn, specs] of groups) serviceEvent(ctx, tx, record.clusterName, record.serviceName, lbMessages.deregistered(record.serviceName, specs.length, arn))
    })
  })
}

/**
 * After a restart: a task the crash caught draining (DEACTIVATING, its
 * targets' record marked draining) drains again before it is stopped, so
 * in-flight requests still get their deregistration delay. Undefined: it was
 * not draining.
 */
export function resumeDraining(ctx: EcsContext, task: TaskRecord): Promise<void> | undefined {
  const registry = ctx.targets
  if (registry === undefined || task.task.lastStatus !== 'DEACTIVATING') return undefined
  const got = ctx.store.get<TaskTargetsRecord>(TASK_TARGETS, task.taskId)
  if (got === undefined || got.value.draining !== true) return undefined
  return letGo(ctx, registry, task.taskId, got.value)
}

/** What the load balancers say of a task: healthy (every target healthy), unhealthy (one is, naming its group) or not yet. */
export interface LbHealth {
  state: 'healthy' | 'unhealthy' | 'pending'
  targetGroupArn?: string
}

/**
 * Healthy for ECS: the target passed its checks — or nothing checks it
 * (health checks disabled, or no listener forwards to the group: ALB's
 * `unavailable` Target.HealthCheckDisabled / `unused` Target.NotInUse, which
 * would otherwise hold a deployment forever). Not yet registered: not healthy.
 */
function countsHealthy(h: TargetHealth): boolean {
  if (h.state === 'healthy') return true
  if (h.state === 'unused') return h.reason === 'Target.NotInUse'
  return h.state === 'unavailable' && h.reason === 'Target.HealthCheckDisabled'
}

export function lbHealthOf(ctx: EcsContext, reader: StoreReader, taskId: string): LbHealth {
  const registry = ctx.targets
  const got = reader.get<TaskTargetsRecord>(TASK_TARGETS, taskId)
  if (registry === undefined || got === undefined) return { state: 'pending' }
  let healthy = true
  for (const t of got.value.targets) {
    const h = registry.health(t.targetGroupArn, { id: t.id, port: t.port })
    if (h?.state === 'unhealthy') return { state: 'unhealthy', targetGroupArn: t.targetGroupArn }
    if (h === undefined || !countsHealthy(h)) healthy = false
  }
  return { state: healthy ? 'healthy' : 'pending' }
}

/** Services to reconcile when a target's health changes (the task whose target it is). */
export function watchTargetHealth(ctx: EcsContext, enqueue: (key: string) => void): void {
  const registry = ctx.targets
  if (registry === undefined) return
  const off = registry.onHealthChange((targetGroupArn, health) => {
    for (const r of ctx.store.scan<TaskTargetsRecord>(TASK_TARGETS)) {
      if (r.value.targets.some((t) => t.targetGroupArn === targetGroupArn && t.id === health.id && t.port === health.port)) enqueue(serviceKey(r.value.clusterName, r.value.serviceName))
    }
  })
  ctx.closers.push(off)
}
