// What every part of ECS works with: the engine's shared layers, ECS's
// settings, its controllers' work queues (each area creates its own at start)
// and the hooks the areas use to hear of each other's changes. Built once by
// the Ecs class (service.ts).

import type { Clock } from '../clock/clock.js'
import type { Partition } from '../aws/partition.js'
import type { PageTokens } from '../aws/pagination.js'
import type { Store } from '../store/store.js'
import type { EventBus } from '../events/bus.js'
import type { CapacityProvider } from '../cluster/capacity-provider.js'
import type { NodePools } from '../cluster/node-pool.js'
import type { PlanApplier } from '../cluster/plan-applier.js'
import type { Scheduler } from '../scheduler/scheduler.js'
import type { TaskLauncher } from '../tasks/task-launcher.js'
import type { Runner } from '../runners/runner.js'
import type { WorkQueue } from '../controller/work-queue.js'
import type { TaskRecord } from './records.js'
import type { TargetRegistry } from '../lb/model.js'
import type { Transaction } from '../store/store.js'

export interface EcsSettings {
  /**
   * The container instances every new cluster gets (virtual instances: slices
   * of the host backed by the engine's runner). count 0: none.
   */
  defaultInstances: { count: number; instanceType: string }
  /** The runner (registration name) new clusters' instances and Fargate tasks run on. */
  runner: string
  /** Root of the tasks' working directories, logs, ephemeral storage and EFS directories. */
  workRoot: string
  /** A STOPPED task stays describable this long (clock ms; ECS: at least an hour). */
  stoppedTaskRetentionMs: number
  /** FARGATE_SPOT interruptions: the chance per running Spot task per minute (0: only when asked), and the seed. */
  spotInterruption: { ratePerMinute: number; seed: number }
  /** The directories tasks may bind-mount host paths from (volumes[].host.sourcePath; host-access.ts says what undefined allows). */
  hostVolumeRoots?: readonly string[]
  /** The engine's allowPrivileged: privileged containers (and, without hostVolumeRoots, any host path) are refused unless true. */
  allowPrivileged?: boolean
}

/** Told when a task reaches RUNNING and before it is stopped: the load balancers' seam (service-targets.ts). */
export interface TaskLifecycleHook {
  /** In the transaction that records the task RUNNING (its network bindings and address are known). */
  running?(task: TaskRecord, tx: Transaction): void
  /**
   * After the decision to stop a RUNNING task committed, before its containers
   * are told to stop: a promise it returns holds the task in DEACTIVATING
   * until it settles (a load balancer drains its targets first).
   */
  stopping?(task: TaskRecord): unknown
}

/**
 * The ELBv2 operations blue/green deployments shift traffic with (the
 * engine's Elbv2 control plane; SDK input shapes, PascalCase members).
 */
export interface ListenerTraffic {
  modifyRule(input: { RuleArn: string; Actions: ForwardActionInput[] }): Promise<unknown>
  modifyListener(input: { ListenerArn: string; DefaultActions: ForwardActionInput[] }): Promise<unknown>
  /** CreateService / UpdateService check the rules an advancedConfiguration names (absent: not checked). */
  describeRules?(input: { RuleArns: string[] }): Promise<{ Rules?: Array<{ Actions?: DescribedAction[] }> }>
  describeListeners?(input: { ListenerArns: string[] }): Promise<{ Listeners?: Array<{ DefaultActions?: DescribedAction[] }> }>
}

export interface DescribedAction {
  Type?: string
  TargetGroupArn?: string
  ForwardConfig?: { TargetGroups?: Array<{ TargetGroupArn?: string }> }
}

export interface ForwardActionInput {
  Type: 'forward'
  ForwardConfig: { TargetGroups: Array<{ TargetGroupArn: string; Weight: number }> }
}

export interface EcsHooks {
  /** After a commit that changed a task record (created, moved, stopped, purged). */
  readonly taskChanged: Set<(task: TaskRecord) => void>
  /** After a commit that changed a cluster's container instances (registered, status, deregistered). */
  readonly instanceChanged: Set<(clusterName: string) => void>
  readonly lifecycle: Set<TaskLifecycleHook>
}

export interface EcsContext {
  readonly store: Store
  readonly clock: Clock
  readonly partition: Partition
  readonly events: EventBus
  readonly scheduler: Scheduler
  readonly pools: NodePools
  readonly capacity: CapacityProvider
  readonly applier: PlanApplier
  readonly launcher: TaskLauncher
  /** The runners by registration name (exec goes to the one that runs a task). */
  readonly runners: ReadonlyMap<string, Runner>
  readonly tokens: PageTokens
  readonly settings: EcsSettings
  readonly hooks: EcsHooks
  /** The controllers' queues by name (`ecs:services`, `ecs:retention`…), each created by its area's start(). */
  readonly queues: Map<string, WorkQueue>
  /** What an area wants done when the engine closes (timers, watchers). */
  readonly closers: Array<() => void | Promise<void>>
  /** The ELBv2 control plane's target registration (services' loadBalancers); undefined: no load balancers in this engine. Set once (EcsOptions or Ecs.attachLoadBalancers). */
  targets?: TargetRegistry
  /** The ELBv2 listener operations blue/green deployments shift traffic with. */
  traffic?: ListenerTraffic
}

export const DEFAULT_ECS_SETTINGS: Omit<EcsSettings, 'runner' | 'workRoot'> = {
  defaultInstances: { count: 1, instanceType: 'm5.xlarge' },
  stoppedTaskRetentionMs: 3_600_000,
  spotInterruption: { ratePerMinute: 0, seed: 1 }
}
