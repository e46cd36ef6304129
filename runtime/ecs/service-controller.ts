// The service controller: one WorkQueue (`ecs:services`) keyed
// `<cluster>/<service>`, level-triggered. A reconcile reads the service and
// its task records, works out the step to take (deployments.ts for REPLICA,
// daemon.ts for DAEMON, circuit-breaker.ts for failures and backoff), and
// takes it in one transaction: tasks stopped (stopTask) and launched
// (launchTasks), deployments' states, events[] and the bus events. The key is
// enqueued on create/update/delete, when one of its tasks changes
// (hooks.taskChanged), when its cluster's instances change
// (hooks.instanceChanged), and on the clock for backoff and retries. At start
// every stored service is enqueued: the store is the state, so a restarted
// engine picks up mid-deployment from what the records say (no task is
// launched twice: the tasks already written are counted).

import { WorkQueue } from '../controller/work-queue.js'
import { StratusError } from '../errors.js'
import { againAfter, done, type ReconcileResult } from '../controller/reconciler.js'
import type { Transaction } from '../store/store.js'
import type { NodeRecord } from '../cluster/node-pool.js'
import type { EcsContext } from './context.js'
import { CLUSTERS, SERVICES, type ClusterRecord, type TaskRecord } from './records.js'
import { launchTasks, stopTask, type LaunchRequest } from './run-task.js'
import { resolveTaskDefinition } from './task-definitions.js'
import { taskConstraints } from './run-task-validation.js'
import { planRollout, startDeployment, type RolloutTask, type TaskPhase } from './deployments.js'
import { planDaemon } from './daemon.js'
import { daemonEligibility } from './daemon-constraints.js'
import { SERVICE_DEFAULT_STRATEGY } from './placement/index.js'
import { backoffDelayMs, circuitTrips, consecutiveFailures, isFailedTask, timeOf } from './circuit-breaker.js'
import { serviceKey, serviceTasks, type ServiceState } from './service-records.js'
import type { Deployment, PlacementStrategy, Service } from './model-services.js'
import { emitDeploymentState, emitServiceAction, messages, rolloutReasons, withEvent } from './service-events.js'
import { elbStopReason, forgetEnded, lbHealthOf, lbMessages, registerTasks, watchTargetHealth, type TargetSide } from './service-targets.js'
import { planBlueGreen, type BlueGreenState } from './blue-green.js'
import { blueGreenOf, rolledBack, sidesOf } from './blue-green-step.js'
import { shiftTraffic, type TrafficChange } from './blue-green-traffic.js'
import { withHistory } from './service-deployments.js'
import { graceEndOf, phaseOf } from './service-phases.js'
import { TaskSetStep } from './task-set-controller.js'
import { isExternal } from './task-set-records.js'

export const SERVICES_QUEUE = 'ecs:services'
/** Placement failures are retried this often (clock ms), and their event repeated at most this often. */
const PLACEMENT_RETRY_MS = 10_000
const PLACEMENT_EVENT_EVERY_MS = 60_000
/** launchTasks takes at most this many tasks per call (RunTask's count limit). */
const LAUNCH_CHUNK = 10
/**
 * At most this many tasks are started by one reconcile step; the next step
 * follows at once (againAfter 0). A step is one store transaction on the
 * event loop: 2,700 tasks in one took 4 s, 50 keep a step short (tens of ms)
 * while a large scale-out still goes at thousands a minute. ECS too starts a
 * service's tasks progressively (on Fargate at most 500 a minute per service).
 */
export const START_BATCH = 50
/** ECS's default for REPLICA services on EC2: spread over zones, then over instances (placement/). */
const DEFAULT_STRATEGY = SERVICE_DEFAULT_STRATEGY as readonly PlacementStrategy[]

export interface ServiceController {
  enqueue(clusterName: string, serviceName: string): void
}

export function startServiceController(ctx: EcsContext): ServiceController {
  const queue: WorkQueue = new WorkQueue({ name: SERVICES_QUEUE, clock: ctx.clock, reconciler: { reconcile: (key) => reconcileService(ctx, key, queue) } })
  ctx.queues.set(SERVICES_QUEUE, queue)
  ctx.hooks.taskChanged.add((task) => {
    if (task.serviceName !== undefined) queue.add(serviceKey(task.clusterName, task.serviceName))
  })
  ctx.hooks.instanceChanged.add((clusterName) => {
    for (const r of ctx.store.scan<ServiceState>(SERVICES, { index: { name: 'cluster', value: clusterName } })) queue.add(r.key)
  })
  watchTargetHealth(ctx, (key) => queue.add(key))
  for (const r of ctx.store.scan<ServiceState>(SERVICES)) queue.add(r.key)
  return { enqueue: (clusterName, serviceName) => queue.add(serviceKey(clusterName, serviceName)) }
}

function reconcileService(ctx: EcsContext, key: string, queue: WorkQueue): ReconcileResult {
  return ctx.store.transaction((tx) => {
    const got = tx.get<ServiceState>(SERVICES, key)
    if (got === undefined) {
      queue.forget(key)
      return done
    }
    const before = JSON.stringify(got.value)
    // EXTERNAL deployment controller: the service runs task sets, not deployments (task-set-controller.ts).
    const step = isExternal(got.value.service) ? new TaskSetStep(ctx, tx, got.value) : new Step(ctx, tx, got.value)
    const result = step.run()
    const state = withHistory(step.state, ctx.clock.now())
    if (step.deleted) tx.delete(SERVICES, key, got.version)
    else if (JSON.stringify(state) !== before) tx.put(SERVICES, key, state, got.version)
    return result
  })
}

/** One reconcile of one service, inside its transaction. */
class Step {
  state: ServiceState
  deleted = false
  readonly #ctx: EcsContext
  readonly #tx: Transaction
  readonly #health = new Map<string, boolean>()
  readonly #now: number
  /** A launch was refused in this step (an error, not a placement shortfall). */
  #refused = false
  /** Tasks whose targets failed their ELB health checks after the grace period, with the group. */
  readonly #elbFailed = new Map<string, string>()
  /** The earliest end of a grace period that holds an unhealthy target's task (the step runs again then). */
  #graceWake: number | undefined

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

  #setService(service: Service): void {
    this.state = { ...this.state, service }
  }

  run(): ReconcileResult {
    const s = this.#service
    const retention = this.#ctx.settings.stoppedTaskRetentionMs
    if (s.status === 'INACTIVE') {
      const until = (this.state.inactiveAt ?? this.#now) + retention
      if (this.#now >= until) { this.deleted = true; return done }
      return againAfter(until - this.#now)
    }
    const all = serviceTasks(this.#tx, this.state.clusterName, this.#name)
    const live = all.filter((t) => t.task.lastStatus !== 'STOPPED')
    // Load balancers: RUNNING tasks registered, the targets of tasks that ended on their own let go.
    for (const m of forgetEnded(this.#ctx, this.#tx, this.#name, all.filter((t) => t.task.lastStatus === 'STOPPED' || t.task.lastStatus === 'DEPROVISIONING'))) this.#event(m)
    for (const m of registerTasks(this.#ctx, this.#tx, this.#service, this.state.clusterName, live, (id) => this.#sideOf(id))) this.#event(m)
    if (s.status === 'DRAINING') {
      this.#stop(live.filter((t) => t.task.desiredStatus !== 'STOPPED').map((t) => ({ task: t, reason: 'Service is being deleted.' })))
      if (live.length > 0) return done
      this.state = { ...this.state, inactiveAt: this.#now, service: { ...this.#service, status: 'INACTIVE', deployments: (s.deployments ?? []).map((d) => ({ ...d, status: 'INACTIVE' as const })) } }
      return againAfter(retention)
    }
    const cluster = this.#tx.get<ClusterRecord>(CLUSTERS, this.state.clusterName)?.value
    const nodes = cluster === undefined ? [] : this.#ctx.pools.nodes(cluster.poolId, this.#tx).map((n) => n.value)
    let primary = this.#primary()
    if (primary === undefined) return done

    // Circuit breaker: the PRIMARY deployment's failed tasks against the threshold.
    const failedTasks = all.filter((t) => t.deploymentId === primary!.id && isFailedTask(t)).length
    const failed = failedTasks + this.#launchFailures(String(primary.id))
    if (failed > (primary.failedTasks ?? 0)) this.#updateDeployment(String(primary.id), { failedTasks: failed })
    const breaker = s.deploymentConfiguration?.deploymentCircuitBreaker
    const shifting = this.#blueGreenOf(primary, live)
    // StopServiceDeployment: the PRIMARY deployment in progress rolled back (ROLLBACK) or stopped where it is (ABORT).
    const stopAsked = this.state.stopRequested?.deploymentId === primary.id && primary.rolloutState === 'IN_PROGRESS' ? this.state.stopRequested : undefined
    if (shifting !== undefined && (stopAsked !== undefined || (breaker?.enable === true && circuitTrips(failed, s.desiredCount ?? 0)))) {
      this.#rollBackBlueGreen(shifting, stopAsked !== undefined ? rolloutReasons.stopped(stopAsked.stopType) : rolloutReasons.failed())
      primary = this.#primary()!
    } else if (stopAsked !== undefined) {
      this.#failDeployment(primary, stopAsked.stopType === 'ROLLBACK', rolloutReasons.stopped(stopAsked.stopType))
      primary = this.#primary()!
    } else if (breaker?.enable === true && primary.rolloutState === 'IN_PROGRESS' && circuitTrips(failed, s.desiredCount ?? 0)) {
      this.#failDeployment(primary, breaker.rollback)
      primary = this.#primary()!
    }
    const frozen = primary.rolloutState === 'FAILED'

    // Restart backoff: consecutive failures of the PRIMARY deployment's tasks hold starts back
    // (a new deployment, a rollback too, starts without the old one's failures).
    const stopped = all.filter((t) => t.task.lastStatus === 'STOPPED' && t.deploymentId === primary!.id)
    const run = consecutiveFailures(stopped)
    const until = run.lastAt + backoffDelayMs(run.count)
    const startAllowed = this.#now >= until
    if (!startAllowed && this.state.impaired !== true) {
      this.#event(messages.startImpaired(this.#name))
      emitServiceAction(this.#ctx, this.#tx, this.#service, 'SERVICE_TASK_START_IMPAIRED')
      this.state = { ...this.state, impaired: true }
    }

    let steady: boolean
    let placementFailed = false
    /** Starts left over for the next step (START_BATCH). */
    let more = false
    if (s.schedulingStrategy === 'DAEMON') {
      const plan = planDaemon({
        nodes, live, primaryId: String(primary.id), phaseOf: (t) => this.#phase(t), eligible: this.#daemonEligible(this.#daemonConstraints(String(primary.taskDefinition), s.placementConstraints)),
        minimumHealthyPercent: s.deploymentConfiguration?.minimumHealthyPercent ?? 0, startAllowed, frozen
      })
      this.#stop(plan.stop)
      if (plan.launchOn.length > START_BATCH) more = true
      for (const arn of plan.launchOn.slice(0, START_BATCH)) if (this.#launch(primary, 1, [arn]).failed) placementFailed = true
      if (plan.desiredCount !== this.#service.desiredCount) {
        this.#setService({ ...this.#service, desiredCount: plan.desiredCount })
        this.#updateDeployment(String(primary.id), { desiredCount: plan.desiredCount })
      }
      steady = plan.steady
    } else {
      const draining = new Set(nodes.filter((n) => n.status === 'DRAINING').map((n) => n.containerInstanceArn))
      const known = new Set(nodes.map((n) => n.containerInstanceArn))
      const rollout: RolloutTask[] = live.map((t) => {
        const arn = typeof t.task.containerInstanceArn === 'string' ? t.task.containerInstanceArn : undefined
        return {
          id: t.taskId, primary: t.deploymentId === primary!.id, phase: this.#phase(t), stopping: t.task.desiredStatus === 'STOPPED',
          draining: arn !== undefined && (draining.has(arn) || !known.has(arn)), createdAt: timeOf(t.task.createdAt) ?? 0
        }
      })
      const bg = this.state.blueGreen !== undefined && this.state.blueGreen.deploymentId === primary.id ? this.state.blueGreen : undefined
      const deploymentOf = new Map(live.map((t) => [t.taskId, t.deploymentId]))
      const shiftPlan = bg === undefined || frozen ? undefined : planBlueGreen({
        now: this.#now, desiredCount: s.desiredCount ?? 0, config: s.deploymentConfiguration ?? {}, state: bg, startAllowed,
        green: rollout.filter((r) => r.primary), blue: rollout.filter((r) => deploymentOf.get(r.id) === bg.blueDeploymentId),
        others: rollout.filter((r) => !r.primary && deploymentOf.get(r.id) !== bg.blueDeploymentId)
      })
      if (shiftPlan !== undefined) {
        this.state = { ...this.state, blueGreen: shiftPlan.cleanUp ? undefined : shiftPlan.state }
        this.#traffic(bg!, { ...(shiftPlan.production !== undefined ? { production: shiftPlan.production } : {}), ...(shiftPlan.testToGreen === true ? { test: 'green' as const } : {}) })
        if (shiftPlan.state.stage !== bg!.stage) this.#event(`(service ${this.#name}) (deployment ${String(primary.id)}) ${shiftPlan.state.stage === 'CLEAN_UP' ? 'bake time ended: stopping the blue tasks.' : `entered ${shiftPlan.state.stage}${shiftPlan.state.stage === 'PRODUCTION_TRAFFIC_SHIFT' ? ` (${shiftPlan.state.greenPercent}% of production traffic on green)` : ''}.`}`)
        else if (shiftPlan.production !== undefined) this.#event(`(service ${this.#name}) (deployment ${String(primary.id)}) shifted ${shiftPlan.production}% of production traffic to green.`)
        if (shiftPlan.wakeAt !== undefined) this.#graceWake = Math.min(this.#graceWake ?? shiftPlan.wakeAt, shiftPlan.wakeAt)
        if (shiftPlan.cleanUp) this.#graceWake = this.#now
      }
      const plan = shiftPlan !== undefined && !shiftPlan.cleanUp
        ? { start: shiftPlan.start, stop: shiftPlan.stop, steady: false }
        : planRollout({
          desiredCount: s.desiredCount ?? 0, minimumHealthyPercent: s.deploymentConfiguration?.minimumHealthyPercent ?? 100,
          maximumPercent: s.deploymentConfiguration?.maximumPercent ?? 200, tasks: rollout, startAllowed, frozen
        })
      const byId = new Map(live.map((t) => [t.taskId, t]))
      this.#stop(plan.stop.map((id) => {
        const task = byId.get(id)!
        const unhealthy = rollout.find((r) => r.id === id)?.phase === 'unhealthy'
        const elb = this.#elbFailed.get(id)
        if (elb !== undefined) return { task, reason: elbStopReason(elb) }
        return { task, reason: unhealthy ? 'Task failed container health checks.' : `Scaling activity initiated by (deployment ${String(task.deploymentId ?? primary!.id)})` }
      }))
      if (plan.start > START_BATCH) more = true
      if (plan.start > 0) placementFailed = this.#launch(primary, Math.min(plan.start, START_BATCH), undefined, live).failed
      steady = plan.steady
    }
    // Launches refused in this step count at once: a circuit breaker fails the deployment now.
    if (this.#refused && breaker?.enable === true && primary.rolloutState === 'IN_PROGRESS' && circuitTrips(failedTasks + this.#launchFailures(String(primary.id)), s.desiredCount ?? 0)) {
      this.#failDeployment(primary, breaker.rollback)
      primary = this.#primary()!
    }
    this.#settle(primary, steady && !frozen, live)
    if (!startAllowed) return againAfter(until - this.#now)
    if (placementFailed) return againAfter(PLACEMENT_RETRY_MS)
    if (more) return againAfter(0)
    if (this.#graceWake !== undefined) return againAfter(Math.max(0, this.#graceWake - this.#now))
    return done
  }

  /**
   * The DAEMON test of an instance, with the groups of the tasks on it (NodeRecord.groups) for
   * task:group expressions — without this service's own task, as placement sees an instance
   * before the task lands (else `task:group != service:<self>` would stop what it started).
   */
  /** The definition's placement constraints with the service's, as every launch applies them (taskConstraints). */
  #daemonConstraints(taskDefinitionArn: string, constraints: Service['placementConstraints']): Service['placementConstraints'] {
    let definition: { placementConstraints?: NonNullable<Service['placementConstraints']> } = {}
    try {
      definition = resolveTaskDefinition(this.#ctx, taskDefinitionArn, 'taskDefinition', { allowInactive: true }).taskDefinition
    } catch {
      // A definition that is gone: launches refuse it, and say so in the service's events.
    }
    return taskConstraints(definition, constraints)
  }

  #daemonEligible(constraints: Service['placementConstraints']): (node: NodeRecord) => boolean {
    const test = daemonEligibility(constraints)
    const own = `service:${this.#name}`
    return (node) => {
      const { [own]: _self, ...groups } = node.groups ?? {}
      void _self
      return test(node, groups)
    }
  }

  /**
   * A task's phase with its load balancers' word (services with loadBalancers):
   * healthy only when every target is; a target unhealthy after the
   * healthCheckGracePeriodSeconds makes the task unhealthy (stopped, replaced).
   */
  #phase(t: TaskRecord): TaskPhase {
    const base = phaseOf(this.#ctx, t, this.#health)
    if (base === 'unhealthy') return this.#graced(t) ? 'running' : base
    if (base === 'pending' || this.#ctx.targets === undefined || (this.#service.loadBalancers ?? []).length === 0) return base
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
    if (graceEnd !== undefined) this.#graceWake = Math.min(this.#graceWake ?? graceEnd, graceEnd)
    return graceEnd !== undefined
  }

  /** Which target groups a deployment's tasks join (blue/green alternates; else the loadBalancers' own). */
  #sideOf(deploymentId: string | undefined): TargetSide {
    return deploymentId === undefined ? 'primary' : this.state.targetSides?.[deploymentId] ?? 'primary'
  }

  /** The PRIMARY deployment's blue/green rollout (begun here when it replaces a deployment that still serves). */
  #blueGreenOf(primary: Deployment, live: readonly TaskRecord[]): BlueGreenState | undefined {
    const found = blueGreenOf(this.state, primary, live, this.#now)
    if (found === undefined || 'stage' in found) return found
    this.state = found.state
    if (found.resetTraffic) this.#traffic(found.rollout, { production: 0, test: 'blue' })
    this.#event(found.message)
    return found.rollout
  }

  /** Traffic for a rollout's two sides, after the commit. */
  #traffic(bg: BlueGreenState, change: TrafficChange): void {
    if (change.production === undefined && change.test === undefined) return
    const { ctx, sides, lbs, cluster, name } = { ctx: this.#ctx, sides: sidesOf(this.state, bg), lbs: this.#service.loadBalancers ?? [], cluster: this.state.clusterName, name: this.#name }
    this.#tx.afterCommit(() => { void shiftTraffic(ctx, cluster, name, lbs, sides, change) })
  }

  /** Back to blue: production and test traffic, the blue deployment PRIMARY again; the green tasks go (rolling plan). */
  #rollBackBlueGreen(bg: BlueGreenState, reason: string): void {
    this.#traffic(bg, { production: 0, test: 'blue' })
    const green = String(bg.deploymentId)
    this.#event(messages.deploymentFailed(this.#name, green))
    emitDeploymentState(this.#ctx, this.#tx, this.#service, 'SERVICE_DEPLOYMENT_FAILED', green, reason)
    this.state = { ...this.state, blueGreen: undefined }
    const service = rolledBack(this.#service, bg, reason, this.#now)
    if (service === undefined) return this.#updateDeployment(green, { rolloutState: 'FAILED', rolloutStateReason: reason })
    this.#setService(service)
    this.#event(messages.rollingBack(this.#name, bg.blueDeploymentId))
  }

  #primary(): Deployment | undefined {
    return (this.#service.deployments ?? []).find((d) => d.status === 'PRIMARY')
  }

  #updateDeployment(id: string, change: Partial<Deployment>): void {
    this.#setService({ ...this.#service, deployments: (this.#service.deployments ?? []).map((d) => d.id === id ? { ...d, ...change, updatedAt: this.#now } : d) })
  }

  #failDeployment(primary: Deployment, rollback: boolean, reason: string = rolloutReasons.failed()): void {
    const id = String(primary.id)
    this.#updateDeployment(id, { rolloutState: 'FAILED', rolloutStateReason: reason })
    this.#event(messages.deploymentFailed(this.#name, id))
    emitDeploymentState(this.#ctx, this.#tx, this.#service, 'SERVICE_DEPLOYMENT_FAILED', id, reason)
    const target = this.state.lastCompleted
    if (!rollback || target === undefined || target.taskDefinition === primary.taskDefinition) return
    this.#setService(startDeployment(this.#ctx, this.#tx, this.#service, target.taskDefinition, rolloutReasons.rollingBack(target.deploymentId)))
    this.#event(messages.rollingBack(this.#name, target.deploymentId))
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

  /** Launches `count` PRIMARY tasks (on the given instances: DAEMON); says whether some found no place. */
  #launch(primary: Deployment, count: number, containerInstances?: string[], live: readonly TaskRecord[] = []): { failed: boolean } {
    const s = this.#service
    // The deployment's tasks per capacity provider (not those told to stop): a strategy's base and
    // weights are kept over all of them, not over each launch (a Spot task replaced goes back to Spot).
    const byProvider: Record<string, number> = {}
    for (const t of live) {
      const name = t.task.capacityProviderName
      if (t.deploymentId === primary.id && t.task.desiredStatus !== 'STOPPED' && typeof name === 'string') byProvider[name] = (byProvider[name] ?? 0) + 1
    }
    const strategy = (s.placementStrategy ?? []).length > 0 ? s.placementStrategy : (s.schedulingStrategy === 'DAEMON' || primary.launchType === 'FARGATE' ? undefined : DEFAULT_STRATEGY)
    const started: string[] = []
    const failures: Array<{ arn?: string; reason?: string }> = []
    for (let left = count; left > 0; left -= LAUNCH_CHUNK) {
      const request: LaunchRequest = {
        cluster: this.state.clusterName, taskDefinition: String(primary.taskDefinition), count: Math.min(LAUNCH_CHUNK, left),
        ...(primary.launchType !== undefined ? { launchType: primary.launchType as LaunchRequest['launchType'] } : {}),
        ...(primary.capacityProviderStrategy !== undefined ? { capacityProviderStrategy: primary.capacityProviderStrategy } : {}),
        // DAEMON names the instance itself, its constraints already applied (daemon-constraints.ts).
        ...(containerInstances === undefined && (s.placementConstraints ?? []).length > 0 ? { placementConstraints: s.placementConstraints as LaunchRequest['placementConstraints'] } : {}),
        ...(strategy !== undefined ? { placementStrategy: strategy as LaunchRequest['placementStrategy'] } : {}),
        ...(containerInstances !== undefined ? { containerInstances } : {}),
        startedBy: String(primary.id), group: `service:${this.#name}`,
        ...(s.propagateTags === 'SERVICE' && (s.tags ?? []).length > 0 ? { tags: s.tags as LaunchRequest['tags'] } : {}),
        enableExecuteCommand: s.enableExecuteCommand === true,
        ...(primary.networkConfiguration !== undefined ? { networkConfiguration: primary.networkConfiguration } : {}),
        ...(primary.platformVersion !== undefined ? { platformVersion: primary.platformVersion } : {}),
        ...(primary.capacityProviderStrategy !== undefined ? { existingCapacity: { ...byProvider } } : {}),
        serviceName: this.#name, deploymentId: String(primary.id)
      }
      let result: ReturnType<typeof launchTasks>
      try {
        result = launchTasks(this.#ctx, this.#tx, request)
      } catch (err) {
        // A refusal (the definition, the capacity, the constraints no longer fit): it will not
        // heal by retrying, so it is told as ECS tells it and counted as failed tasks of the
        // deployment (its circuit breaker can fail it); the rest of the step goes on.
        if (!(err instanceof StratusError) || (err.kind !== 'InvalidArgument' && err.kind !== 'NotFound')) throw err
        this.#launchRefused(primary, left, err.message)
        failures.push({ reason: err.code })
        break
      }
      for (const t of result.tasks) {
        started.push(String(t.taskArn))
        if (typeof t.capacityProviderName === 'string') byProvider[t.capacityProviderName] = (byProvider[t.capacityProviderName] ?? 0) + 1
      }
      failures.push(...result.failures)
      if (result.tasks.length === 0) break
    }
    if (started.length > 0) this.#event(messages.started(this.#name, started))
    if (failures.length > 0) {
      const last = this.state.placementFailureAt
      if (last === undefined || this.#now - last >= PLACEMENT_EVENT_EVERY_MS) {
        this.#event(messages.unableToPlace(this.#name, failures[0].arn, failures[0].reason))
        emitServiceAction(this.#ctx, this.#tx, this.#service, 'SERVICE_TASK_PLACEMENT_FAILURE', { reasons: [...new Set(failures.map((f) => String(f.reason)))] })
        this.state = { ...this.state, placementFailureAt: this.#now }
      }
    }
    return { failed: failures.length > 0 }
  }

  #launchFailures(deploymentId: string): number {
    const f = this.state.launchFailures
    return f !== undefined && f.deploymentId === deploymentId ? f.count : 0
  }

  #launchRefused(primary: Deployment, count: number, error: string): void {
    const id = String(primary.id)
    this.#refused = true
    this.state = { ...this.state, launchFailures: { deploymentId: id, count: this.#launchFailures(id) + count } }
    this.#updateDeployment(id, { failedTasks: (this.#primary()?.failedTasks ?? 0) + count })
    const last = this.state.launchErrorAt
    if (last === undefined || this.#now - last >= PLACEMENT_EVENT_EVERY_MS) {
      this.#event(messages.launchFailed(this.#name, error))
      this.state = { ...this.state, launchErrorAt: this.#now }
    }
  }

  /** Deployment completion, steady state, and older deployments dropped once their tasks are gone. */
  #settle(primary: Deployment, steady: boolean, live: readonly TaskRecord[]): void {
    const liveByDeployment = new Set(live.map((t) => t.deploymentId))
    const kept = (this.#service.deployments ?? []).filter((d) => d.status === 'PRIMARY' || liveByDeployment.has(String(d.id)))
    if (kept.length !== (this.#service.deployments ?? []).length) this.#setService({ ...this.#service, deployments: kept })
    if (!steady) {
      if (this.state.steady === true) this.state = { ...this.state, steady: false }
      return
    }
    const id = String(primary.id)
    if (primary.rolloutState === 'IN_PROGRESS') {
      this.#updateDeployment(id, { rolloutState: 'COMPLETED', rolloutStateReason: rolloutReasons.completed(id) })
      this.#event(messages.deploymentCompleted(this.#name, id))
      emitDeploymentState(this.#ctx, this.#tx, this.#service, 'SERVICE_DEPLOYMENT_COMPLETED', id, rolloutReasons.completed(id))
      this.state = { ...this.state, lastCompleted: { deploymentId: id, taskDefinition: String(primary.taskDefinition) } }
    }
    if (this.state.steady !== true) {
      this.#event(messages.steady(this.#name))
      emitServiceAction(this.#ctx, this.#tx, this.#service, 'SERVICE_STEADY_STATE')
      this.state = { ...this.state, steady: true, impaired: false }
    }
  }
}
