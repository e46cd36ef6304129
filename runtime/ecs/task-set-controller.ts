// The service controller's step for a service with the EXTERNAL deployment
// controller (service-controller.ts runs this one instead of its rolling
// Step for such a service; same queue, same wake-ups: its tasks changing,
// its cluster's instances, its targets' health, the clock). One transaction:
//
//   each task set ACTIVE / PRIMARY  keep ⌈desiredCount × scale%⌉ tasks (deployments.ts planRollout over
//                                   its own tasks: unhealthy ones replaced, a scale-in stops the least
//                                   advanced, tasks on DRAINING instances replaced within min/max percent)
//                                   RUNNING tasks registered in its load balancer's target group
//                                   stabilityStatus STEADY_STATE when its count is running, healthy and settled
//   each task set DRAINING          its tasks stopped (drained from its target group first, service-targets.ts);
//                                   once none is left, removed from the service
//   the service DRAINING            every task set DRAINING, every task stopped, then INACTIVE
//
// The store is the state: a restarted engine runs this again from the records
// (task sets in the service's record, tasks in ecs:tasks) and goes on.

import { againAfter, done, type ReconcileResult } from '../controller/reconciler.js'
import type { Transaction } from '../store/store.js'
import type { EcsContext } from './context.js'
import { CLUSTERS, type ClusterRecord, type TaskRecord } from './records.js'
import { stopTask } from './run-task.js'
import { planRollout, type RolloutTask, type TaskPhase } from './deployments.js'
import { backoffDelayMs, consecutiveFailures, timeOf } from './circuit-breaker.js'
import { serviceTasks, type ServiceState } from './service-records.js'
import type { Service } from './model-services.js'
import type { StabilityStatus, TaskSet } from './model-task-sets.js'
import { emitServiceAction, messages, withEvent } from './service-events.js'
import { elbStopReason, forgetEnded, lbHealthOf, lbMessages, registerTasks } from './service-targets.js'
import { graceEndOf, phaseOf } from './service-phases.js'
import { computedDesiredCount } from './task-set-records.js'
import { launchTaskSetTasks } from './task-set-launch.js'

/** Placement failures and refused launches are retried this often (clock ms); their events repeat at most once a minute. */
const RETRY_MS = 10_000
const EVENT_EVERY_MS = 60_000
/** At most this many tasks are started by one step, over all task sets (as the rolling Step's START_BATCH). */
const START_BATCH = 50

const scaledBy = (id: string): string => `Scaling activity initiated by (deployment ${id})`

export class TaskSetStep {
  state: ServiceState
  deleted = false
  readonly #ctx: EcsContext
  readonly #tx: Transaction
  readonly #now: number
  readonly #health = new Map<string, boolean>()
  /** Tasks whose targets failed their ELB health checks after the grace period, with the group. */
  readonly #elbFailed = new Map<string, string>()
  #wake: number | undefined
  #budget = START_BATCH
  #more = false

  constructor(ctx: EcsContext, tx: Transaction, state: ServiceState) {
    this.#ctx = ctx
    this.#tx = tx
    this.state = state
    this.#now = ctx.clock.now()
  }

  get #service(): Service { return this.state.service }
  get #name(): string { return String(this.state.service.serviceName) }

  #event(message: string): void {
    this.state = { ...this.state, service: { ...this.#service, events: withEvent(this.#ctx, this.#service, message) } }
  }

  #wakeAt(at: number): void {
    this.#wake = Math.min(this.#wake ?? at, at)
  }

  run(): ReconcileResult {
    const s = this.#service
    const retention = this.#ctx.settings.stoppedTaskRetentionMs
    if (s.status === 'INACTIVE') {
      const until = (this.state.inactiveAt ?? this.#now) + retention
      if (this.#now >= until) { this.deleted = true; return done }
      return againAfter(until - this.#now)
    }
    const cluster = this.state.clusterName
    const all = serviceTasks(this.#tx, cluster, this.#name)
    const live = all.filter((t) => t.task.lastStatus !== 'STOPPED')
    for (const m of forgetEnded(this.#ctx, this.#tx, this.#name, all.filter((t) => t.task.lastStatus === 'STOPPED' || t.task.lastStatus === 'DEPROVISIONING'))) this.#event(m)
    const sets = s.taskSets ?? []
    for (const ts of sets) {
      const own = live.filter((t) => t.deploymentId === ts.id)
      for (const m of registerTasks(this.#ctx, this.#tx, { ...this.#service, loadBalancers: ts.loadBalancers ?? [] }, cluster, own, () => 'primary')) this.#event(m)
    }

    if (s.status === 'DRAINING') {
      this.#stop(live.map((t) => ({ task: t, reason: 'Service is being deleted.' })))
      const draining = sets.map((ts): TaskSet => ts.status === 'DRAINING' ? ts : { ...ts, status: 'DRAINING', updatedAt: this.#now })
      if (live.length > 0) {
        this.#setTaskSets(draining)
        return done
      }
      this.state = { ...this.state, inactiveAt: this.#now, taskSetTokens: {}, service: { ...this.#service, status: 'INACTIVE', taskSets: [] } }
      return againAfter(retention)
    }

    const record = this.#tx.get<ClusterRecord>(CLUSTERS, cluster)?.value
    const nodes = record === undefined ? [] : this.#ctx.pools.nodes(record.poolId, this.#tx).map((n) => n.value)
    const drainingInstances = new Set(nodes.filter((n) => n.status === 'DRAINING').map((n) => n.containerInstanceArn))
    const known = new Set(nodes.map((n) => n.containerInstanceArn))
    const onDraining = (t: TaskRecord): boolean => {
      const arn = typeof t.task.containerInstanceArn === 'string' ? t.task.containerInstanceArn : undefined
      return arn !== undefined && (drainingInstances.has(arn) || !known.has(arn))
    }

    // Tasks of no task set (one removed while a stop was still in flight): they go.
    const ids = new Set(sets.map((ts) => String(ts.id)))
    this.#stop(live.filter((t) => !ids.has(String(t.deploymentId))).map((t) => ({ task: t, reason: scaledBy(String(t.deploymentId)) })))

    let settled = true
    const next: TaskSet[] = []
    for (const ts of sets) {
      const own = live.filter((t) => t.deploymentId === ts.id)
      if (ts.status === 'DRAINING') {
        this.#stop(own.map((t) => ({ task: t, reason: scaledBy(String(ts.id)) })))
        settled = false
        // Gone once its last task is: DescribeTaskSets no longer finds it.
        if (own.length > 0) next.push(ts)
        continue
      }
      const steady = this.#reconcileSet(ts, own, all.filter((t) => t.deploymentId === ts.id && t.task.lastStatus === 'STOPPED'), onDraining)
      if (!steady) settled = false
      const stability: StabilityStatus = steady ? 'STEADY_STATE' : 'STABILIZING'
      next.push(stability === ts.stabilityStatus ? ts : { ...ts, stabilityStatus: stability, stabilityStatusAt: this.#now })
    }
    this.#setTaskSets(next)
    this.#settle(settled)
    if (this.#more) return againAfter(0)
    if (this.#wake !== undefined) return againAfter(Math.max(0, this.#wake - this.#now))
    return done
  }

  /** One task set's step: stops and starts toward its computed count; whether it is steady. */
  #reconcileSet(ts: TaskSet, own: readonly TaskRecord[], stopped: readonly TaskRecord[], onDraining: (t: TaskRecord) => boolean): boolean {
    const s = this.#service
    const rollout: RolloutTask[] = own.map((t) => ({
      id: t.taskId, primary: true, phase: this.#phase(ts, t), stopping: t.task.desiredStatus === 'STOPPED', draining: onDraining(t), createdAt: timeOf(t.task.createdAt) ?? 0
    }))
    // ECS's restart backoff, per task set: its tasks failing to start one after another hold its starts back.
    const run = consecutiveFailures(stopped)
    const until = run.lastAt + backoffDelayMs(run.count)
    const startAllowed = this.#now >= until
    if (!startAllowed) {
      this.#wakeAt(until)
      if (this.state.impaired !== true) {
        this.#event(messages.startImpaired(this.#name))
        emitServiceAction(this.#ctx, this.#tx, this.#service, 'SERVICE_TASK_START_IMPAIRED')
        this.state = { ...this.state, impaired: true }
      }
    }
    const plan = planRollout({
      desiredCount: computedDesiredCount(s.desiredCount ?? 0, ts), minimumHealthyPercent: s.deploymentConfiguration?.minimumHealthyPercent ?? 100,
      maximumPercent: s.deploymentConfiguration?.maximumPercent ?? 200, tasks: rollout, startAllowed, frozen: false
    })
    const byId = new Map(own.map((t) => [t.taskId, t]))
    this.#stop(plan.stop.map((id) => {
      const elb = this.#elbFailed.get(id)
      const unhealthy = rollout.find((r) => r.id === id)?.phase === 'unhealthy'
      return { task: byId.get(id)!, reason: elb !== undefined ? elbStopReason(elb) : unhealthy ? 'Task failed container health checks.' : scaledBy(String(ts.id)) }
    }))
    const start = Math.min(plan.start, this.#budget)
    if (plan.start > start) this.#more = true
    if (start > 0) this.#launch(ts, start, own)
    return plan.steady
  }

  /** A task's phase with its task set's load balancer's word (a target unhealthy after the grace period: unhealthy). */
  #phase(ts: TaskSet, t: TaskRecord): TaskPhase {
    const base = phaseOf(this.#ctx, t, this.#health)
    if (base === 'unhealthy') return this.#graced(t) ? 'running' : base
    if (base === 'pending' || this.#ctx.targets === undefined || (ts.loadBalancers ?? []).length === 0) return base
    if (t.task.desiredStatus === 'STOPPED') return base
    const lb = lbHealthOf(this.#ctx, this.#tx, t.taskId)
    if (lb.state === 'healthy') return base
    if (lb.state === 'unhealthy' && !this.#graced(t)) {
      this.#elbFailed.set(t.taskId, lb.targetGroupArn!)
      return 'unhealthy'
    }
    return 'running'
  }

  /** Within its health check grace period (looked at again when it ends)? */
  #graced(t: TaskRecord): boolean {
    const graceEnd = graceEndOf(t, this.#service.healthCheckGracePeriodSeconds, this.#now)
    if (graceEnd !== undefined) this.#wakeAt(graceEnd)
    return graceEnd !== undefined
  }

  #launch(ts: TaskSet, count: number, own: readonly TaskRecord[]): void {
    this.#budget -= count
    const result = launchTaskSetTasks(this.#ctx, this.#tx, this.state.clusterName, this.#service, ts, count, own)
    if (result.started.length > 0) this.#event(messages.started(this.#name, result.started))
    if (result.refused !== undefined) {
      this.#wakeAt(this.#now + RETRY_MS)
      const last = this.state.launchErrorAt
      if (last === undefined || this.#now - last >= EVENT_EVERY_MS) {
        this.#event(messages.launchFailed(this.#name, result.refused))
        this.state = { ...this.state, launchErrorAt: this.#now }
      }
    }
    if (result.failures.length > 0) {
      this.#wakeAt(this.#now + RETRY_MS)
      const last = this.state.placementFailureAt
      if (last === undefined || this.#now - last >= EVENT_EVERY_MS) {
        this.#event(messages.unableToPlace(this.#name, result.failures[0].arn, result.failures[0].reason))
        emitServiceAction(this.#ctx, this.#tx, this.#service, 'SERVICE_TASK_PLACEMENT_FAILURE', { reasons: [...new Set(result.failures.map((f) => String(f.reason)))] })
        this.state = { ...this.state, placementFailureAt: this.#now }
      }
    }
  }

  #stop(list: ReadonlyArray<{ task: TaskRecord; reason: string }>): void {
    const running: string[] = []
    for (const { task, reason } of list) {
      if (task.task.desiredStatus === 'STOPPED') continue
      stopTask(this.#ctx, this.#tx, String(task.task.taskArn), { reason, stopCode: 'ServiceSchedulerInitiated' })
      if (task.task.lastStatus === 'RUNNING') running.push(String(task.task.taskArn))
      if (reason === 'Task failed container health checks.') this.#event(messages.taskFailedHealthChecks(this.#name, String(task.task.taskArn)))
      const elb = this.#elbFailed.get(task.taskId)
      if (elb !== undefined) this.#event(lbMessages.failedElb(this.#name, task.taskId, elb))
    }
    if (running.length > 0) {
      this.#event(messages.stopped(this.#name, running))
      emitServiceAction(this.#ctx, this.#tx, this.#service, 'TASKS_STOPPED', { tasks: running })
    }
  }

  /** The service's task sets as they are now; the clientTokens of task sets that are gone let go. */
  #setTaskSets(sets: TaskSet[]): void {
    if (JSON.stringify(sets) === JSON.stringify(this.#service.taskSets ?? [])) return
    const ids = new Set(sets.map((ts) => ts.id))
    const tokens = Object.fromEntries(Object.entries(this.state.taskSetTokens ?? {}).filter(([, v]) => ids.has(v.taskSetId)))
    this.state = { ...this.state, service: { ...this.#service, taskSets: sets }, ...(this.state.taskSetTokens !== undefined ? { taskSetTokens: tokens } : {}) }
  }

  /** The service is steady when every task set is (and none is draining): told once, as ECS tells it. */
  #settle(settled: boolean): void {
    if (!settled) {
      if (this.state.steady === true) this.state = { ...this.state, steady: false }
      return
    }
    if (this.state.steady === true) return
    this.#event(messages.steady(this.#name))
    emitServiceAction(this.#ctx, this.#tx, this.#service, 'SERVICE_STEADY_STATE')
    this.state = { ...this.state, steady: true, impaired: false }
  }
}
