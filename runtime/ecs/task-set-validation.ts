// The request rules of task sets and of services with the EXTERNAL
// deployment controller, each refusal naming its member (and its limit).
// Nothing here reads the store. ECS splits a service's parameters between the
// service (name, desired count, deployment configuration, placement, grace
// period, tags) and its task sets (task definition, launch type or capacity
// provider strategy, platform version, network configuration, load
// balancers): a member of the one is refused on the other.

import { invalidParameter } from './errors.js'
import type { DeploymentConfiguration } from './model-services.js'
import type { Scale } from './model-task-sets.js'
import { checkLoadBalancerShapes, type ServiceLoadBalancer } from './service-lb-validation.js'
import { TASK_SET_LIMITS } from './task-set-records.js'

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function given(value: unknown): boolean {
  return value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0)
}

/** A Scale: value a number from 0 to 100 (a percentage of the service's desiredCount, fractions allowed), unit PERCENT. */
export function checkScale(value: unknown, field = 'scale'): Required<Scale> {
  if (value === undefined) return { value: 0, unit: 'PERCENT' }
  if (!isObject(value)) throw invalidParameter(field, `${field} must be an object with a value and a unit.`)
  for (const key of Object.keys(value)) if (key !== 'value' && key !== 'unit') throw invalidParameter(`${field}.${key}`, `${field}.${key} is not a member of Scale.`)
  const v = value.value ?? 0
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100) {
    throw invalidParameter(`${field}.value`, `${field}.value must be a number from 0 to 100 (a percentage of the service's desiredCount), got ${JSON.stringify(value.value)}.`, 100)
  }
  const unit = value.unit ?? 'PERCENT'
  if (unit !== 'PERCENT') throw invalidParameter(`${field}.unit`, `${field}.unit must be PERCENT, got ${JSON.stringify(unit)}.`)
  return { value: v, unit }
}

export function checkExternalId(value: unknown, field = 'externalId'): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length > TASK_SET_LIMITS.externalIdLength) {
    throw invalidParameter(field, `${field} must be a string of at most ${TASK_SET_LIMITS.externalIdLength} characters.`, TASK_SET_LIMITS.externalIdLength)
  }
  return value
}

/** A task set's loadBalancers: the service rules for an entry (no advancedConfiguration), and at most one entry. */
export function checkTaskSetLoadBalancers(value: unknown, field = 'loadBalancers'): ServiceLoadBalancer[] {
  const list = checkLoadBalancerShapes(value, false, field) ?? []
  if (list.length > TASK_SET_LIMITS.loadBalancers) {
    throw invalidParameter(field, `CreateTaskSet cannot have more than ${TASK_SET_LIMITS.loadBalancers} load balancer: ${field} has ${list.length} entries.`, TASK_SET_LIMITS.loadBalancers)
  }
  return list
}

/**
 * CreateService with the EXTERNAL controller: the task sets' members are
 * refused as ECS refuses them ("TaskDefinition must be blank.",
 * "LoadBalancers must be empty or null.", "NetworkConfiguration must be
 * null."), and so are the DAEMON strategy and ECS-controller-only deployment
 * settings (the circuit breaker, strategies other than ROLLING).
 */
export function refuseTaskSetMembersOnCreate(input: Record<string, unknown>): void {
  if (input.taskDefinition !== undefined && input.taskDefinition !== null) throw invalidParameter('taskDefinition', 'TaskDefinition must be blank.')
  if (given(input.loadBalancers)) throw invalidParameter('loadBalancers', 'LoadBalancers must be empty or null.')
  if (input.networkConfiguration !== undefined && input.networkConfiguration !== null) throw invalidParameter('networkConfiguration', 'NetworkConfiguration must be null.')
  if (input.launchType !== undefined && input.launchType !== null) throw invalidParameter('launchType', 'LaunchType must be null: a service with the EXTERNAL deployment controller takes its launch type from each task set.')
  if (given(input.capacityProviderStrategy)) throw invalidParameter('capacityProviderStrategy', 'CapacityProviderStrategy must be empty or null: a service with the EXTERNAL deployment controller takes it from each task set.')
  if (input.platformVersion !== undefined && input.platformVersion !== null) throw invalidParameter('platformVersion', 'PlatformVersion must be null: a service with the EXTERNAL deployment controller takes it from each task set.')
  if (given(input.serviceRegistries)) throw invalidParameter('serviceRegistries', 'ServiceRegistries must be empty or null.')
  if (input.schedulingStrategy === 'DAEMON') throw invalidParameter('schedulingStrategy', 'The DAEMON scheduling strategy is not supported with the EXTERNAL deployment controller: use REPLICA.')
}

/** The deployment configuration of an EXTERNAL service: minimumHealthyPercent / maximumPercent only (they bound replacements off DRAINING instances). */
export function checkExternalDeploymentConfiguration(config: DeploymentConfiguration, field = 'deploymentConfiguration'): void {
  if (config.deploymentCircuitBreaker?.enable === true) {
    throw invalidParameter(`${field}.deploymentCircuitBreaker`, 'The deployment circuit breaker can only be used for services using the rolling update (ECS) deployment controller.')
  }
  if (config.strategy !== undefined && config.strategy !== 'ROLLING') {
    throw invalidParameter(`${field}.strategy`, `${field}.strategy ${config.strategy} is only supported by the ECS deployment controller: an EXTERNAL controller shifts traffic itself, between task sets.`)
  }
}

/** What UpdateService may change on an EXTERNAL service (ECS's list); the rest belongs to task sets or is refused. */
const UPDATABLE = new Set(['cluster', 'service', 'desiredCount', 'placementConstraints', 'placementStrategy', 'healthCheckGracePeriodSeconds', 'enableECSManagedTags', 'propagateTags', 'deploymentController'])
const OF_TASK_SETS: Record<string, string> = {
  taskDefinition: 'TaskDefinition', networkConfiguration: 'NetworkConfiguration', loadBalancers: 'LoadBalancers', capacityProviderStrategy: 'CapacityProviderStrategy',
  platformVersion: 'PlatformVersion', serviceRegistries: 'ServiceRegistries', launchType: 'LaunchType'
}

/**
 * UpdateService on an EXTERNAL service updates only the desired count, the
 * placement constraints and strategies, the health check grace period,
 * enableECSManagedTags and propagateTags; a new task definition, launch type,
 * network configuration, platform version or load balancer is a new task set.
 */
export function refuseOnExternalUpdate(input: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(input)) {
    if (UPDATABLE.has(key) || value === undefined || value === null) continue
    if (key === 'forceNewDeployment' && value === false) continue
    const member = OF_TASK_SETS[key]
    if (member !== undefined) {
      if (Array.isArray(value) && value.length === 0) continue
      throw invalidParameter(key, `Unable to update ${member} on a service with the EXTERNAL deployment controller: create a new task set (CreateTaskSet) with it.`)
    }
    throw invalidParameter(key, `${key}: UpdateService updates only the desired count, placement constraints and strategies, health check grace period, enableECSManagedTags and propagateTags of a service with the EXTERNAL deployment controller.`)
  }
}
