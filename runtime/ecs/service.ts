// Amazon ECS (with Fargate), for real, on the engine's shared layers: its
// records live in the store, its controllers are reconcilers driven by work
// queues, its container instances are node pools, its tasks are tasks of the
// TaskLauncher (real sandboxes of the engine's runner). This class wires
// those parts; each area answers its own operations (clusters.ts,
// task-definitions.ts, run-task.ts, services.ts, exec.ts), and the class is
// the union of what they return (api.ts: EcsApi, EcsExtensions).

import type { Clock } from '../clock/clock.js'
import type { Partition } from '../aws/partition.js'
import type { PageTokens } from '../aws/pagination.js'
import type { Store } from '../store/store.js'
import type { EventBus } from '../events/bus.js'
import type { Scheduler } from '../scheduler/scheduler.js'
import type { CapacityProvider } from '../cluster/capacity-provider.js'
import type { NodePools } from '../cluster/node-pool.js'
import type { PlanApplier } from '../cluster/plan-applier.js'
import type { TaskLauncher } from '../tasks/task-launcher.js'
import type { Runner } from '../runners/runner.js'
import type { TargetRegistry } from '../lb/model.js'
import type { EcsApi, EcsExtensions } from './api.js'
import { DEFAULT_ECS_SETTINGS, type EcsContext, type EcsSettings, type ListenerTraffic } from './context.js'
import { instanceAddressOf, watchTargetHealth } from './service-targets.js'
import { SERVICES_QUEUE } from './service-controller.js'
import { defineEcsIndexes } from './records.js'
import { clusterOperations } from './clusters.js'
import { taskDefinitionOperations } from './task-definitions.js'
import { taskOperations } from './run-task.js'
import { serviceOperations } from './services.js'
import { execOperations } from './exec.js'
import { taskSetOperations } from './task-sets.js'

export interface EcsOptions {
  store: Store
  clock: Clock
  partition: Partition
  events: EventBus
  scheduler: Scheduler
  pools: NodePools
  capacity: CapacityProvider
  applier: PlanApplier
  launcher: TaskLauncher
  runners: ReadonlyMap<string, Runner>
  tokens: PageTokens
  settings: Partial<EcsSettings> & Pick<EcsSettings, 'runner' | 'workRoot'>
  /** The ELBv2 control plane's targets (services' loadBalancers); without it a service naming a target group is refused. */
  targets?: TargetRegistry
  /** The ELBv2 listener operations (ModifyRule, ModifyListener) blue/green deployments shift production traffic with. */
  traffic?: ListenerTraffic
}

// The class is the union of the areas' operation objects (declaration merging).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Ecs extends EcsApi, EcsExtensions {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Ecs {
  readonly #ctx: EcsContext
  #closed: Promise<void> | undefined

  constructor(o: EcsOptions) {
    const ctx: EcsContext = {
      store: o.store, clock: o.clock, partition: o.partition, events: o.events, scheduler: o.scheduler, pools: o.pools, capacity: o.capacity,
      applier: o.applier, launcher: o.launcher, runners: o.runners, tokens: o.tokens,
      settings: { ...DEFAULT_ECS_SETTINGS, ...o.settings },
      hooks: { taskChanged: new Set(), instanceChanged: new Set(), lifecycle: new Set() },
      queues: new Map(), closers: [],
      ...(o.targets !== undefined ? { targets: o.targets } : {}),
      ...(o.traffic !== undefined ? { traffic: o.traffic } : {})
    }
    this.#ctx = ctx
    defineEcsIndexes(o.store)
    // Order matters: clusters first (the default cluster and its instances), then
    // definitions, tasks (registers the TaskLauncher owner), services (hooks on tasks; the
    // queue task sets enqueue their service on).
    Object.assign(this, clusterOperations(ctx), taskDefinitionOperations(ctx), taskOperations(ctx), serviceOperations(ctx), taskSetOperations(ctx), execOperations(ctx))
  }

  /** The context (tests and the engine's wiring; not part of the API). */
  get context(): EcsContext {
    return this.#ctx
  }

  /**
   * Where the published ports of the container instance with this EC2
   * instance id listen (the ELB resolves `instance` targets with it);
   * undefined: no such container instance.
   */
  instanceAddress(ec2InstanceId: string): string | undefined {
    return instanceAddressOf(this.#ctx.store, ec2InstanceId)
  }

  /**
   * The ELBv2 control plane, when it is made after ECS (it resolves instance
   * targets through instanceAddress): its TargetRegistry, and the listener
   * operations blue/green deployments shift traffic with. Once.
   */
  attachLoadBalancers(targets: TargetRegistry, traffic?: ListenerTraffic): void {
    const ctx = this.#ctx
    if (ctx.targets !== undefined) throw new Error('Ecs.attachLoadBalancers: load balancers are already attached')
    ctx.targets = targets
    if (traffic !== undefined) ctx.traffic = traffic
    watchTargetHealth(ctx, (key) => ctx.queues.get(SERVICES_QUEUE)?.add(key))
    // Services that name target groups (themselves or in a task set) are looked at again: their RUNNING tasks get registered.
    const balanced = (s: { loadBalancers?: unknown[]; taskSets?: Array<{ loadBalancers?: unknown[] }> }) => (s.loadBalancers ?? []).length > 0 || (s.taskSets ?? []).some((ts) => (ts.loadBalancers ?? []).length > 0)
    for (const key of ctx.queues.keys()) if (key === SERVICES_QUEUE) for (const r of ctx.store.scan<{ service: Parameters<typeof balanced>[0] }>('ecs:services')) if (balanced(r.value.service)) ctx.queues.get(SERVICES_QUEUE)!.add(r.key)
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const close of this.#ctx.closers.reverse()) await close()
      for (const queue of this.#ctx.queues.values()) queue.close()
    })()
    return this.#closed
  }
}
