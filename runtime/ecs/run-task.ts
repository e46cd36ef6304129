// SKELETON — this area's engineer replaces this file.

import type { EcsContext } from './context.js'
import type { TaskOperations, TaskExtensions } from './model-tasks.js'
import { TASK_OPERATION_NAMES } from './model-tasks.js'
import { notBuiltOperations } from './not-built.js'

/** Creates the area's controllers (work queues, owners, watchers) and picks up what the store holds. */
export function taskOperations(ctx: EcsContext): TaskOperations & TaskExtensions {
  void ctx
  return notBuiltOperations<TaskOperations & TaskExtensions>(TASK_OPERATION_NAMES)
}

/** What RunTask, StartTask and the service scheduler ask for: tasks of one definition in one cluster. */
export interface LaunchRequest {
  cluster: string
  /** family, family:revision or ARN. */
  taskDefinition: string
  count: number
  launchType?: 'EC2' | 'FARGATE' | 'EXTERNAL'
  capacityProviderStrategy?: Array<{ capacityProvider: string; weight?: number; base?: number }>
  placementConstraints?: Array<{ type: string; expression?: string }>
  placementStrategy?: Array<{ type: string; field?: string }>
  /** StartTask: exactly these container instances (ARNs or ids). */
  containerInstances?: string[]
  overrides?: Record<string, any>
  startedBy?: string
  group?: string
  tags?: Array<{ key: string; value: string }>
  enableExecuteCommand?: boolean
  networkConfiguration?: Record<string, any>
  platformVersion?: string
  /** Set by the service scheduler. */
  serviceName?: string
  deploymentId?: string
}

/** Places and launches tasks inside the caller's transaction: the tasks written (PROVISIONING), or a failure per task that found no place. */
export function launchTasks(ctx: EcsContext, tx: import('../store/store.js').Transaction, request: LaunchRequest): { tasks: Array<Record<string, any>>; failures: Array<{ arn?: string; reason: string; detail?: string }> } {
  void ctx; void tx; void request
  throw new Error('launchTasks: skeleton')
}

/** Decides a task's stop (desiredStatus STOPPED, stopCode, stoppedReason) in the caller's transaction; the containers are stopped after it commits. */
export function stopTask(ctx: EcsContext, tx: import('../store/store.js').Transaction, taskArn: string, stop: { reason: string; stopCode: 'TaskFailedToStart' | 'EssentialContainerExited' | 'UserInitiated' | 'ServiceSchedulerInitiated' | 'SpotInterruption' | 'TerminationNotice' }): void {
  void ctx; void tx; void taskArn; void stop
  throw new Error('stopTask: skeleton')
}
