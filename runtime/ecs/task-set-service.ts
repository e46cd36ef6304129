// CreateService and UpdateService of a service with the EXTERNAL deployment
// controller (services.ts hands them here). Such a service is the frame its
// task sets run in: a name, a desired count (each task set runs its scale's
// share of it), the deployment configuration, placement, the health check
// grace period and tags. It has no deployment and no task definition of its
// own: CreateTaskSet gives those (task-sets.ts), and the PRIMARY task set's
// show on the service.

import type { EcsContext } from './context.js'
import { invalidParameter } from './errors.js'
import { SERVICES } from './records.js'
import { getCluster } from './clusters.js'
import type { CreateServiceRequest, CreateServiceResponse, Service, UpdateServiceRequest, UpdateServiceResponse } from './model-services.js'
import { activeService, describeService, readService, serviceArn, serviceKey, type ServiceState } from './service-records.js'
import {
  checkBoolean, checkClientToken, checkDeploymentConfiguration, checkDeploymentController, checkDesiredCount, checkGracePeriod,
  checkPlacementConstraints, checkPlacementStrategy, checkPropagateTags
} from './service-validation.js'
import { daemonEligibility } from './daemon-constraints.js'
import { tagsFromList, tagsToList } from '../aws/tags.js'
import { checkExternalDeploymentConfiguration, refuseOnExternalUpdate, refuseTaskSetMembersOnCreate } from './task-set-validation.js'
import { computedDesiredCount } from './task-set-records.js'

type Enqueue = (clusterName: string, serviceName: string) => void

export async function createExternalService(ctx: EcsContext, input: CreateServiceRequest, serviceName: string, enqueue: Enqueue): Promise<CreateServiceResponse> {
  refuseTaskSetMembersOnCreate(input as unknown as Record<string, unknown>)
  // ECS: "the only required parameter is the service name"; without a desired count no task set runs a task.
  const desiredCount = checkDesiredCount(input.desiredCount) ?? 0
  const deploymentConfiguration = checkDeploymentConfiguration(input.deploymentConfiguration, 'REPLICA')
  checkExternalDeploymentConfiguration(deploymentConfiguration)
  const placementConstraints = checkPlacementConstraints(input.placementConstraints)
  const placementStrategy = checkPlacementStrategy(input.placementStrategy)
  daemonEligibility(placementConstraints)
  const healthCheckGracePeriodSeconds = checkGracePeriod(input.healthCheckGracePeriodSeconds)
  const propagateTags = checkPropagateTags(input.propagateTags)
  const enableExecuteCommand = checkBoolean(input.enableExecuteCommand, 'enableExecuteCommand') ?? false
  const enableECSManagedTags = checkBoolean(input.enableECSManagedTags, 'enableECSManagedTags') ?? false
  const clientToken = checkClientToken(input.clientToken)
  const tags = tagsToList(tagsFromList(input.tags, 'tags', 'InvalidParameterException'))
  if (input.role !== undefined && typeof input.role !== 'string') throw invalidParameter('role', 'role must be an IAM role name or ARN.')
  const cluster = getCluster(ctx, input.cluster)
  const clusterName = String(cluster.cluster.clusterName)

  const base: Service = {
    serviceArn: serviceArn(ctx, clusterName, serviceName), serviceName, clusterArn: String(cluster.cluster.clusterArn), loadBalancers: [], serviceRegistries: [],
    status: 'ACTIVE', desiredCount, runningCount: 0, pendingCount: 0, deploymentConfiguration, taskSets: [], deployments: [], events: [], createdAt: ctx.clock.now(),
    placementConstraints: placementConstraints ?? [], placementStrategy: placementStrategy ?? [],
    ...(healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds } : {}),
    schedulingStrategy: 'REPLICA', deploymentController: { type: 'EXTERNAL' }, tags, createdBy: `arn:${ctx.partition.partition}:iam::${ctx.partition.accountId}:root`,
    enableECSManagedTags, propagateTags: propagateTags ?? 'NONE', enableExecuteCommand, availabilityZoneRebalancing: 'DISABLED'
  }
  const state = ctx.store.transaction((tx) => {
    const existing = readService(tx, clusterName, serviceName)
    if (existing !== undefined && existing.value.service.status !== 'INACTIVE') {
      const same = existing.value.service.deploymentController?.type === 'EXTERNAL' && existing.value.service.desiredCount === desiredCount
      if (clientToken !== undefined && existing.value.clientToken === clientToken && same) return existing.value
      throw invalidParameter('serviceName', 'Creation of service was not idempotent.')
    }
    const next: ServiceState = { service: base, clusterName, ...(clientToken !== undefined ? { clientToken } : {}) }
    tx.put(SERVICES, serviceKey(clusterName, serviceName), next, existing?.version ?? 0)
    tx.afterCommit(() => enqueue(clusterName, serviceName))
    return next
  })
  return { service: describeService(ctx.store, state, true) }
}

export async function updateExternalService(ctx: EcsContext, input: UpdateServiceRequest, clusterName: string, serviceName: string, enqueue: Enqueue): Promise<UpdateServiceResponse> {
  refuseOnExternalUpdate(input as unknown as Record<string, unknown>)
  const desired = checkDesiredCount(input.desiredCount)
  if (input.deploymentController !== undefined && checkDeploymentController(input.deploymentController).type !== 'EXTERNAL') {
    throw invalidParameter('deploymentController', 'The deployment controller of a service cannot be changed.')
  }
  const placementConstraints = checkPlacementConstraints(input.placementConstraints)
  const placementStrategy = checkPlacementStrategy(input.placementStrategy)
  daemonEligibility(placementConstraints)
  const healthCheckGracePeriodSeconds = checkGracePeriod(input.healthCheckGracePeriodSeconds)
  const propagateTags = checkPropagateTags(input.propagateTags)
  const enableECSManagedTags = checkBoolean(input.enableECSManagedTags, 'enableECSManagedTags')

  const state = ctx.store.transaction((tx) => {
    const got = activeService(tx, clusterName, serviceName)
    const service: Service = { ...got.value.service }
    const now = ctx.clock.now()
    if (desired !== undefined && desired !== service.desiredCount) {
      // A task set whose share changes is STABILIZING until the controller has its tasks right.
      service.taskSets = (service.taskSets ?? []).map((ts) => computedDesiredCount(desired, ts) === computedDesiredCount(service.desiredCount ?? 0, ts)
        ? ts : { ...ts, stabilityStatus: 'STABILIZING' as const, stabilityStatusAt: now })
      service.desiredCount = desired
    }
    if (placementConstraints !== undefined) service.placementConstraints = placementConstraints
    if (placementStrategy !== undefined) service.placementStrategy = placementStrategy
    if (healthCheckGracePeriodSeconds !== undefined) service.healthCheckGracePeriodSeconds = healthCheckGracePeriodSeconds
    if (propagateTags !== undefined) service.propagateTags = propagateTags
    if (enableECSManagedTags !== undefined) service.enableECSManagedTags = enableECSManagedTags
    const next: ServiceState = { ...got.value, service, steady: false }
    tx.put(SERVICES, serviceKey(clusterName, serviceName), next, got.version)
    tx.afterCommit(() => enqueue(clusterName, serviceName))
    return next
  })
  return { service: describeService(ctx.store, state, false) }
}
