// What a service tells: its events[] (newest first, at most 100, worded as
// ECS's "service event messages"), and the EventBridge events on the bus
// (source aws.ecs): `ECS Service Action` and `ECS Deployment State Change`,
// written on the outbox in the transaction that makes the change.

import { randomUUID } from 'node:crypto'
import type { Transaction } from '../store/store.js'
import { emitEvent } from '../events/outbox-relay.js'
import type { EcsContext } from './context.js'
import type { Service, ServiceEvent } from './model-services.js'

export const ECS_SOURCE = 'aws.ecs'
export const SERVICE_ACTION = 'ECS Service Action'
export const DEPLOYMENT_STATE_CHANGE = 'ECS Deployment State Change'
/** ECS keeps the latest 100 events of a service. */
export const EVENTS_KEPT = 100

/** The task id in an ARN (task/<cluster>/<id>). */
function taskIdOfArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1)
}

export const messages = {
  started: (service: string, taskArns: readonly string[]) =>
    `(service ${service}) has started ${taskArns.length} tasks: ${taskArns.map((a) => `(task ${taskIdOfArn(a)})`).join(' ')}.`,
  stopped: (service: string, taskArns: readonly string[]) =>
    `(service ${service}) has stopped ${taskArns.length} running tasks: ${taskArns.map((a) => `(task ${taskIdOfArn(a)})`).join(' ')}.`,
  steady: (service: string) => `(service ${service}) has reached a steady state.`,
  deploymentCompleted: (service: string, deploymentId: string) => `(service ${service}) (deployment ${deploymentId}) deployment completed.`,
  deploymentFailed: (service: string, deploymentId: string) => `(service ${service}) (deployment ${deploymentId}) deployment failed: tasks failed to start.`,
  rollingBack: (service: string, deploymentId: string) => `(service ${service}) rolling back to deployment ${deploymentId}.`,
  startImpaired: (service: string) =>
    `(service ${service}) is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.`,
  /** `closest` is the container instance ARN the placement core found nearest, `reason` its shortfall (RESOURCE:MEMORY…). */
  unableToPlace: (service: string, closest: string | undefined, reason: string | undefined) => {
    const base = `(service ${service}) was unable to place a task because no container instance met all of its requirements.`
    if (closest === undefined) return base
    const id = closest.slice(closest.lastIndexOf('/') + 1)
    return `${base} The closest matching (container-instance ${id}) ${shortfall(reason)}.`
  },
  /** A launch refused outright (ECS: "failed to launch a task with (error …)"). */
  launchFailed: (service: string, error: string) => `(service ${service}) failed to launch a task with (error ${error}).`,
  taskFailedHealthChecks: (service: string, taskArn: string) => `(service ${service}) (task ${taskIdOfArn(taskArn)}) failed container health checks.`
} as const

/** ECS's wording of a placement shortfall. */
function shortfall(reason: string | undefined): string {
  switch (reason) {
    case 'RESOURCE:MEMORY': return 'has insufficient memory available'
    case 'RESOURCE:CPU': return 'has insufficient CPU units available'
    case 'RESOURCE:PORTS': return 'is already using a port required by your task'
    case 'RESOURCE:GPU': return 'has insufficient GPU available'
    case 'ATTRIBUTE': return 'is missing an attribute required by your task'
    case 'AGENT': return 'has its agent disconnected'
    default: return `cannot take the task (${reason ?? 'unknown reason'})`
  }
}

/** The service's events with `message` added on top (newest first, 100 kept). */
export function withEvent(ctx: EcsContext, service: Service, message: string): ServiceEvent[] {
  const event: ServiceEvent = { id: randomUUID(), createdAt: ctx.clock.now(), message }
  return [event, ...(service.events ?? [])].slice(0, EVENTS_KEPT)
}

export type ServiceActionName =
  | 'SERVICE_STEADY_STATE' | 'TASKS_STOPPED' | 'SERVICE_DESIRED_COUNT_UPDATED'
  | 'SERVICE_TASK_START_IMPAIRED' | 'SERVICE_TASK_PLACEMENT_FAILURE' | 'SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED'

const ACTION_TYPE: Record<ServiceActionName, 'INFO' | 'WARN' | 'ERROR'> = {
  SERVICE_STEADY_STATE: 'INFO',
  TASKS_STOPPED: 'INFO',
  SERVICE_DESIRED_COUNT_UPDATED: 'INFO',
  SERVICE_TASK_START_IMPAIRED: 'WARN',
  SERVICE_TASK_PLACEMENT_FAILURE: 'ERROR',
  SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED: 'ERROR'
}

/** `ECS Service Action` on the outbox (EventBridge's shape: detail eventType, eventName, clusterArn, createdAt…). */
export function emitServiceAction(ctx: EcsContext, tx: Transaction, service: Service, eventName: ServiceActionName, extra: Record<string, unknown> = {}): void {
  emitEvent(tx, ctx.events, ECS_SOURCE, SERVICE_ACTION, () => [String(service.serviceArn)], () => ({
    eventType: ACTION_TYPE[eventName],
    eventName,
    clusterArn: service.clusterArn,
    createdAt: new Date(ctx.clock.now()).toISOString(),
    ...extra
  }), () => ctx.clock.now())
}

export type DeploymentEventName = 'SERVICE_DEPLOYMENT_IN_PROGRESS' | 'SERVICE_DEPLOYMENT_COMPLETED' | 'SERVICE_DEPLOYMENT_FAILED'

/** `ECS Deployment State Change` on the outbox (detail eventType, eventName, deploymentId, updatedAt, reason). */
export function emitDeploymentState(ctx: EcsContext, tx: Transaction, service: Service, eventName: DeploymentEventName, deploymentId: string, reason: string): void {
  emitEvent(tx, ctx.events, ECS_SOURCE, DEPLOYMENT_STATE_CHANGE, () => [String(service.serviceArn)], () => ({
    eventType: eventName === 'SERVICE_DEPLOYMENT_FAILED' ? 'ERROR' : 'INFO',
    eventName,
    deploymentId,
    updatedAt: new Date(ctx.clock.now()).toISOString(),
    reason
  }), () => ctx.clock.now())
}

/** ECS's rolloutStateReason wordings. */
export const rolloutReasons = {
  inProgress: (deploymentId: string) => `ECS deployment ${deploymentId} in progress.`,
  completed: (deploymentId: string) => `ECS deployment ${deploymentId} completed.`,
  failed: () => 'ECS deployment circuit breaker: tasks failed to start.',
  rollingBack: (deploymentId: string) => `ECS deployment circuit breaker: rolling back to deploymentId ${deploymentId}.`,
  stopped: (stopType: 'ROLLBACK' | 'ABORT') => stopType === 'ROLLBACK' ? 'Service deployment stopped by request: rolling back.' : 'Service deployment stopped by request.'
} as const
