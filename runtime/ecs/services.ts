// ECS services: CreateService, UpdateService, DeleteService, DescribeServices,
// ListServices, ListServicesByNamespace. Each call checks its request, then
// writes the desired state in one transaction (the deployment it starts, the
// event on the outbox) and enqueues the service; the service controller
// (service-controller.ts) does the rest.

import { StratusError } from '../errors.js'
import type { EcsContext } from './context.js'
import { EcsError, invalidParameter } from './errors.js'
import { SERVICES, type TaskDefinitionRecord } from './records.js'
import { getCluster } from './clusters.js'
import { resolveTaskDefinition } from './task-definitions.js'
import { assignCapacity } from './fargate.js'
import { supports } from './run-task.js'
import type { TaskDefinitionShape } from './sandbox-spec.js'
import type { ClusterRecord } from './records.js'
import type {
  CreateServiceRequest, DeleteServiceRequest, DescribeServicesRequest, ListServicesByNamespaceRequest, ListServicesRequest,
  Service, ServiceCost, ServiceExtensions, ServiceOperations, UpdateServiceRequest, LaunchType, CapacityProviderStrategyItem
} from './model-services.js'
import {
  activeService, describeService, readService, serviceArn, serviceKey, serviceNameOf, serviceTasks, type ServiceState
} from './service-records.js'
import {
  checkBoolean, checkCapacityProviderStrategy, checkClientToken, checkDesiredCount, checkDeploymentConfiguration, checkDeploymentController,
  checkGracePeriod, checkLaunchType, checkNetworkConfiguration, checkPlacementConstraints, checkPlacementStrategy, checkPropagateTags,
  checkSchedulingStrategy, checkServiceName, refuseServiceRegistries, refuseUnsupported
} from './service-validation.js'
import { startDeployment } from './deployments.js'
import { serviceCostOf } from './service-cost.js'
import { daemonEligibility } from './daemon-constraints.js'
import { startServiceController } from './service-controller.js'
import { checkListenerRules, checkLoadBalancerShapes, checkLoadBalancersFit, type ServiceLoadBalancer } from './service-lb-validation.js'
import { drainingHook } from './service-targets.js'
import { serviceDeploymentOperations } from './service-deployments.js'
import { tagsFromList, tagsToList } from '../aws/tags.js'
import { createExternalService, updateExternalService } from './task-set-service.js'

const DESCRIBE_LIMIT = 10
const LIST_LIMITS = { default: 10, max: 100 } as const

function taskDefinitionOf(ctx: EcsContext, value: unknown, field = 'taskDefinition'): TaskDefinitionRecord {
  if (typeof value !== 'string' || value.length === 0) throw invalidParameter(field, `${field} is required for a service using the ECS deployment controller.`)
  return resolveTaskDefinition(ctx, value, field)
}

/** Launch type or capacity provider strategy: never both; neither means the cluster's default strategy, or EC2. */
export function placementTarget(cluster: Record<string, any>, launchType: LaunchType | undefined, strategy: CapacityProviderStrategyItem[] | undefined): { launchType?: LaunchType; capacityProviderStrategy?: CapacityProviderStrategyItem[] } {
  if (launchType !== undefined && strategy !== undefined && strategy.length > 0) {
    throw invalidParameter('capacityProviderStrategy', 'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.')
  }
  if (launchType !== undefined) return { launchType }
  if (strategy !== undefined && strategy.length > 0) return { capacityProviderStrategy: strategy }
  const defaults = cluster.defaultCapacityProviderStrategy as CapacityProviderStrategyItem[] | undefined
  if (Array.isArray(defaults) && defaults.length > 0) return { capacityProviderStrategy: defaults }
  return { launchType: 'EC2' }
}

export function usesFargate(target: { launchType?: LaunchType; capacityProviderStrategy?: CapacityProviderStrategyItem[] }): boolean {
  return target.launchType === 'FARGATE' || (target.capacityProviderStrategy ?? []).some((i) => i.capacityProvider === 'FARGATE' || i.capacityProvider === 'FARGATE_SPOT')
}

export function checkNetworkForDefinition(td: Record<string, any>, network: Service['networkConfiguration'], field = 'networkConfiguration'): void {
  if (td.networkMode === 'awsvpc' && network?.awsvpcConfiguration === undefined) {
    throw invalidParameter(field, "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
  }
  if (td.networkMode !== 'awsvpc' && network?.awsvpcConfiguration !== undefined) {
    throw invalidParameter(field, `Network Configuration is not valid for the given networkMode of this task definition (${String(td.networkMode ?? 'bridge')}).`)
  }
}

/**
 * What launchTasks would refuse on every reconcile, refused up front (the
 * tasks area's own checks): the launch type (EC2 or FARGATE here), the
 * strategy's providers (associated with the cluster, not Fargate mixed with
 * EC2), the definition's compatibility with the launch type, Fargate's
 * awsvpc, and every memberOf expression parsing (placement/query.ts).
 */
export function checkRunnable(cluster: ClusterRecord, td: Record<string, any>, target: { launchType?: LaunchType; capacityProviderStrategy?: CapacityProviderStrategyItem[] }, constraints: Service['placementConstraints'] | undefined): void {
  // One task is enough: a valid strategy is all Fargate or all EC2 (assignCapacity refuses a mix).
  const [capacity] = assignCapacity(cluster, target.launchType as never, target.capacityProviderStrategy, 1)
  const field = target.capacityProviderStrategy !== undefined ? 'capacityProviderStrategy' : 'launchType'
  if (!supports(td as TaskDefinitionShape, capacity.launchType)) throw invalidParameter('taskDefinition', `Task definition does not support launch_type ${capacity.launchType}.`)
  if (capacity.launchType === 'FARGATE' && td.networkMode !== 'awsvpc') throw invalidParameter(field, "Fargate only supports network mode 'awsvpc'.")
  daemonEligibility(constraints)
}

function sameCreate(a: Service, b: Service): boolean {
  return a.taskDefinition === b.taskDefinition && a.desiredCount === b.desiredCount && a.schedulingStrategy === b.schedulingStrategy && a.launchType === b.launchType
}

/** BLUE_GREEN, LINEAR and CANARY shift traffic between each entry's target group and its alternate: they need load balancers. */
function isShifting(strategy: string | undefined): boolean {
  return strategy === 'BLUE_GREEN' || strategy === 'LINEAR' || strategy === 'CANARY'
}

function checkShiftingNeedsLoadBalancers(strategy: string | undefined, loadBalancers: readonly ServiceLoadBalancer[]): void {
  if (isShifting(strategy) && loadBalancers.length === 0) {
    throw invalidParameter('loadBalancers', `The ${String(strategy)} deployment strategy shifts traffic between target groups: the service needs loadBalancers, each with an advancedConfiguration.`)
  }
}

export function serviceOperations(ctx: EcsContext): ServiceOperations & ServiceExtensions {
  const controller = startServiceController(ctx)
  ctx.hooks.lifecycle.add(drainingHook(ctx))

  const createService = async (input: CreateServiceRequest) => {
    const serviceName = checkServiceName(input?.serviceName)
    refuseUnsupported(input as unknown as Record<string, unknown>)
    const schedulingStrategy = checkSchedulingStrategy(input.schedulingStrategy)
    const deploymentController = checkDeploymentController(input.deploymentController)
    // EXTERNAL: the service is a frame for task sets (task-set-service.ts), with no deployment of its own.
    if (deploymentController.type === 'EXTERNAL') return createExternalService(ctx, input, serviceName, controller.enqueue)
    const desired = checkDesiredCount(input.desiredCount)
    if (schedulingStrategy === 'REPLICA' && desired === undefined) throw invalidParameter('desiredCount', 'desiredCount is required when schedulingStrategy is REPLICA.')
    if (schedulingStrategy === 'DAEMON' && desired !== undefined) throw invalidParameter('desiredCount', 'The DAEMON scheduling strategy does not take a desiredCount: it runs one task on each container instance that meets the placement constraints.')
    const launchType = checkLaunchType(input.launchType)
    const capacityProviderStrategy = checkCapacityProviderStrategy(input.capacityProviderStrategy)
    const deploymentConfiguration = checkDeploymentConfiguration(input.deploymentConfiguration, schedulingStrategy)
    const placementConstraints = checkPlacementConstraints(input.placementConstraints)
    const placementStrategy = checkPlacementStrategy(input.placementStrategy)
    if (schedulingStrategy === 'DAEMON' && placementStrategy !== undefined && placementStrategy.length > 0) {
      throw invalidParameter('placementStrategy', 'Placement strategies are not supported with the DAEMON scheduling strategy.')
    }
    const networkConfiguration = checkNetworkConfiguration(input.networkConfiguration)
    const healthCheckGracePeriodSeconds = checkGracePeriod(input.healthCheckGracePeriodSeconds)
    const propagateTags = checkPropagateTags(input.propagateTags)
    const enableExecuteCommand = checkBoolean(input.enableExecuteCommand, 'enableExecuteCommand') ?? false
    const enableECSManagedTags = checkBoolean(input.enableECSManagedTags, 'enableECSManagedTags') ?? false
    const clientToken = checkClientToken(input.clientToken)
    const tags = tagsToList(tagsFromList(input.tags, 'tags', 'InvalidParameterException'))
    if (input.platformVersion !== undefined && (typeof input.platformVersion !== 'string' || input.platformVersion.length === 0)) throw invalidParameter('platformVersion', 'platformVersion must be a platform version (LATEST).')
    if (input.role !== undefined && typeof input.role !== 'string') throw invalidParameter('role', 'role must be an IAM role name or ARN.')
    const loadBalancers = checkLoadBalancerShapes(input.loadBalancers, isShifting(deploymentConfiguration.strategy)) ?? []
    checkShiftingNeedsLoadBalancers(deploymentConfiguration.strategy, loadBalancers)
    refuseServiceRegistries(input.serviceRegistries)

    const cluster = getCluster(ctx, input.cluster)
    const clusterName = String(cluster.cluster.clusterName)
    const td = taskDefinitionOf(ctx, input.taskDefinition).taskDefinition
    const target = placementTarget(cluster.cluster, launchType, capacityProviderStrategy)
    if (schedulingStrategy === 'DAEMON' && usesFargate(target)) throw invalidParameter('schedulingStrategy', 'The DAEMON scheduling strategy is not supported on Fargate: use the EC2 launch type.')
    checkNetworkForDefinition(td, networkConfiguration)
    checkRunnable(cluster, td, target, placementConstraints)
    checkLoadBalancersFit(ctx, loadBalancers, td)
    await checkListenerRules(ctx, loadBalancers)
    const platformVersion = usesFargate(target) ? (input.platformVersion ?? 'LATEST') : undefined
    if (!usesFargate(target) && input.platformVersion !== undefined) throw invalidParameter('platformVersion', 'The platform version must be null when specifying an EC2 launch type.')

    const now = ctx.clock.now()
    const arn = serviceArn(ctx, clusterName, serviceName)
    const base: Service = {
      serviceArn: arn, serviceName, clusterArn: String(cluster.cluster.clusterArn), loadBalancers, serviceRegistries: [], status: 'ACTIVE',
      desiredCount: desired ?? 0, runningCount: 0, pendingCount: 0, ...target, ...(platformVersion !== undefined ? { platformVersion, platformFamily: 'Linux' } : {}),
      taskDefinition: String(td.taskDefinitionArn), deploymentConfiguration, deployments: [], events: [], createdAt: now,
      placementConstraints: placementConstraints ?? [], placementStrategy: placementStrategy ?? [],
      ...(networkConfiguration !== undefined ? { networkConfiguration } : {}),
      ...(healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds } : {}),
      schedulingStrategy, deploymentController, tags, createdBy: `arn:${ctx.partition.partition}:iam::${ctx.partition.accountId}:root`,
      enableECSManagedTags, propagateTags: propagateTags ?? 'NONE', enableExecuteCommand, availabilityZoneRebalancing: 'DISABLED'
    }
    const service = ctx.store.transaction((tx) => {
      const existing = readService(tx, clusterName, serviceName)
      if (existing !== undefined && existing.value.service.status !== 'INACTIVE') {
        if (clientToken !== undefined && existing.value.clientToken === clientToken && sameCreate(existing.value.service, base)) return existing.value
        throw invalidParameter('serviceName', 'Creation of service was not idempotent.')
      }
      const state: ServiceState = { service: startDeployment(ctx, tx, base, String(td.taskDefinitionArn)), clusterName, ...(clientToken !== undefined ? { clientToken } : {}) }
      tx.put(SERVICES, serviceKey(clusterName, serviceName), state, existing?.version ?? 0)
      tx.afterCommit(() => controller.enqueue(clusterName, serviceName))
      return state
    })
    return { service: describeService(ctx.store, service, true) }
  }

  const updateService = async (input: UpdateServiceRequest) => {
    refuseUnsupported(input as unknown as Record<string, unknown>)
    const cluster = getCluster(ctx, input?.cluster)
    const clusterName = String(cluster.cluster.clusterName)
    const serviceName = serviceNameOf(ctx, clusterName, input.service)
    const current = activeService(ctx.store, clusterName, serviceName).value.service
    if (current.deploymentController?.type === 'EXTERNAL') return updateExternalService(ctx, input, clusterName, serviceName, controller.enqueue)
    const strategy = current.schedulingStrategy ?? 'REPLICA'
    const desired = checkDesiredCount(input.desiredCount)
    if (strategy === 'DAEMON' && desired !== undefined) throw invalidParameter('desiredCount', 'The DAEMON scheduling strategy does not take a desiredCount.')
    if (input.deploymentController !== undefined) {
      const c = checkDeploymentController(input.deploymentController)
      if (c.type !== current.deploymentController?.type) throw invalidParameter('deploymentController', 'The deployment controller of a service cannot be changed.')
    }
    const deploymentConfiguration = input.deploymentConfiguration === undefined ? undefined : checkDeploymentConfiguration(input.deploymentConfiguration, strategy, current.deploymentConfiguration)
    const placementConstraints = checkPlacementConstraints(input.placementConstraints)
    const placementStrategy = checkPlacementStrategy(input.placementStrategy)
    if (strategy === 'DAEMON' && placementStrategy !== undefined && placementStrategy.length > 0) throw invalidParameter('placementStrategy', 'Placement strategies are not supported with the DAEMON scheduling strategy.')
    daemonEligibility(placementConstraints)
    const capacityProviderStrategy = checkCapacityProviderStrategy(input.capacityProviderStrategy)
    const networkConfiguration = checkNetworkConfiguration(input.networkConfiguration)
    const healthCheckGracePeriodSeconds = checkGracePeriod(input.healthCheckGracePeriodSeconds)
    const propagateTags = checkPropagateTags(input.propagateTags)
    const enableExecuteCommand = checkBoolean(input.enableExecuteCommand, 'enableExecuteCommand')
    const enableECSManagedTags = checkBoolean(input.enableECSManagedTags, 'enableECSManagedTags')
    const force = checkBoolean(input.forceNewDeployment, 'forceNewDeployment') ?? false
    if (input.platformVersion !== undefined && (typeof input.platformVersion !== 'string' || input.platformVersion.length === 0)) throw invalidParameter('platformVersion', 'platformVersion must be a platform version (LATEST).')
    const strategyNext = (deploymentConfiguration ?? current.deploymentConfiguration)?.strategy
    const newLoadBalancers = checkLoadBalancerShapes(input.loadBalancers, isShifting(strategyNext))
    const loadBalancersNext = newLoadBalancers ?? (current.loadBalancers ?? []) as ServiceLoadBalancer[]
    if (newLoadBalancers === undefined && deploymentConfiguration !== undefined) {
      // A strategy changed without new loadBalancers: the current entries must suit it.
      checkLoadBalancerShapes(loadBalancersNext, isShifting(strategyNext))
    }
    checkShiftingNeedsLoadBalancers(strategyNext, loadBalancersNext)
    refuseServiceRegistries(input.serviceRegistries)
    const td = input.taskDefinition === undefined ? undefined : taskDefinitionOf(ctx, input.taskDefinition).taskDefinition
    if (newLoadBalancers !== undefined || td !== undefined) {
      checkLoadBalancersFit(ctx, loadBalancersNext, td ?? resolveTaskDefinition(ctx, String(current.taskDefinition), 'taskDefinition', { allowInactive: true }).taskDefinition)
    }
    if (newLoadBalancers !== undefined) await checkListenerRules(ctx, loadBalancersNext)
    if (td !== undefined || networkConfiguration !== undefined) {
      checkNetworkForDefinition(td ?? resolveTaskDefinition(ctx, String(current.taskDefinition), 'taskDefinition', { allowInactive: true }).taskDefinition, networkConfiguration ?? current.networkConfiguration)
    }
    if (td !== undefined || (capacityProviderStrategy !== undefined && capacityProviderStrategy.length > 0)) {
      // The revision and capacity the new deployment would launch with (a strategy replaces the launch type).
      const strategyNext = capacityProviderStrategy !== undefined && capacityProviderStrategy.length > 0 ? capacityProviderStrategy : current.capacityProviderStrategy
      const targetNext = strategyNext !== undefined && strategyNext.length > 0 ? { capacityProviderStrategy: strategyNext } : { launchType: current.launchType ?? 'EC2' }
      const tdNext = td ?? resolveTaskDefinition(ctx, String(current.taskDefinition), 'taskDefinition', { allowInactive: true }).taskDefinition
      checkRunnable(cluster, tdNext, targetNext, placementConstraints ?? current.placementConstraints)
    }

    const state = ctx.store.transaction((tx) => {
      const got = activeService(tx, clusterName, serviceName)
      let service: Service = { ...got.value.service }
      if (desired !== undefined) service.desiredCount = desired
      if (deploymentConfiguration !== undefined) service.deploymentConfiguration = deploymentConfiguration
      if (placementConstraints !== undefined) service.placementConstraints = placementConstraints
      if (placementStrategy !== undefined) service.placementStrategy = placementStrategy
      if (healthCheckGracePeriodSeconds !== undefined) service.healthCheckGracePeriodSeconds = healthCheckGracePeriodSeconds
      if (propagateTags !== undefined) service.propagateTags = propagateTags
      if (enableExecuteCommand !== undefined) service.enableExecuteCommand = enableExecuteCommand
      if (enableECSManagedTags !== undefined) service.enableECSManagedTags = enableECSManagedTags
      let redeploy = force
      if (capacityProviderStrategy !== undefined && capacityProviderStrategy.length > 0) {
        const { launchType: _drop, ...rest } = service
        void _drop
        service = { ...rest, capacityProviderStrategy }
        redeploy = true
      }
      if (networkConfiguration !== undefined) { service.networkConfiguration = networkConfiguration; redeploy = true }
      // New load balancers: a new deployment registers its tasks with them (ECS: UpdateService loadBalancers redeploys).
      if (newLoadBalancers !== undefined && JSON.stringify(newLoadBalancers) !== JSON.stringify(service.loadBalancers ?? [])) { service.loadBalancers = newLoadBalancers; redeploy = true }
      if (input.platformVersion !== undefined && input.platformVersion !== service.platformVersion) { service.platformVersion = input.platformVersion; redeploy = true }
      if (enableExecuteCommand !== undefined && enableExecuteCommand !== got.value.service.enableExecuteCommand) redeploy = true
      const primary = (service.deployments ?? []).find((d) => d.status === 'PRIMARY')
      const nextTd = td !== undefined ? String(td.taskDefinitionArn) : String(primary?.taskDefinition ?? service.taskDefinition)
      if (nextTd !== primary?.taskDefinition) redeploy = true
      if (redeploy) service = startDeployment(ctx, tx, service, nextTd)
      else service.deployments = (service.deployments ?? []).map((d) => d.status === 'PRIMARY' ? { ...d, desiredCount: service.desiredCount, updatedAt: ctx.clock.now() } : d)
      const next: ServiceState = { ...got.value, service, steady: false }
      tx.put(SERVICES, serviceKey(clusterName, serviceName), next, got.version)
      tx.afterCommit(() => controller.enqueue(clusterName, serviceName))
      return next
    })
    return { service: describeService(ctx.store, state, false) }
  }

  const deleteService = async (input: DeleteServiceRequest) => {
    const cluster = getCluster(ctx, input?.cluster)
    const clusterName = String(cluster.cluster.clusterName)
    const serviceName = serviceNameOf(ctx, clusterName, input.service)
    const force = checkBoolean(input.force, 'force') ?? false
    const state = ctx.store.transaction((tx) => {
      const got = activeService(tx, clusterName, serviceName)
      const service = got.value.service
      if (!force && service.schedulingStrategy !== 'DAEMON' && (service.desiredCount ?? 0) > 0) {
        throw invalidParameter('force', 'The service cannot be stopped while it is scaled above 0.')
      }
      const next: ServiceState = {
        ...got.value, steady: false,
        service: { ...service, status: 'DRAINING', desiredCount: 0, deployments: (service.deployments ?? []).map((d) => ({ ...d, desiredCount: 0 })) }
      }
      tx.put(SERVICES, serviceKey(clusterName, serviceName), next, got.version)
      tx.afterCommit(() => controller.enqueue(clusterName, serviceName))
      return next
    })
    return { service: describeService(ctx.store, state, false) }
  }

  const describeServices = async (input: DescribeServicesRequest) => {
    const names = input?.services
    if (!Array.isArray(names) || names.length === 0) throw invalidParameter('services', 'services is required: at least one service name or ARN.')
    if (names.length > DESCRIBE_LIMIT) throw invalidParameter('services', `services: at most ${DESCRIBE_LIMIT} services per call, got ${names.length}.`, DESCRIBE_LIMIT)
    const include = input.include ?? []
    if (!Array.isArray(include) || include.some((i) => i !== 'TAGS')) throw invalidParameter('include', 'include may only hold TAGS.')
    const cluster = getCluster(ctx, input.cluster)
    const clusterName = String(cluster.cluster.clusterName)
    const services: Service[] = []
    const failures: Array<{ arn: string; reason: string }> = []
    names.forEach((value, i) => {
      const name = serviceNameOf(ctx, clusterName, value, `services[${i}]`)
      const got = readService(ctx.store, clusterName, name)
      if (got === undefined) failures.push({ arn: typeof value === 'string' && value.startsWith('arn:') ? value : serviceArn(ctx, clusterName, name), reason: 'MISSING' })
      else services.push(describeService(ctx.store, got.value, include.includes('TAGS')))
    })
    return { services, failures }
  }

  const listServices = async (input: ListServicesRequest) => {
    const maxResults = input?.maxResults ?? LIST_LIMITS.default
    if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > LIST_LIMITS.max) {
      throw invalidParameter('maxResults', `maxResults must be from 1 to ${LIST_LIMITS.max}.`, LIST_LIMITS.max)
    }
    const launchType = checkLaunchType(input.launchType)
    const strategy = input.schedulingStrategy === undefined ? undefined : checkSchedulingStrategy(input.schedulingStrategy)
    const cluster = getCluster(ctx, input.cluster)
    const clusterName = String(cluster.cluster.clusterName)
    const scope = `ListServices:${clusterName}:${launchType ?? ''}:${strategy ?? ''}`
    const after = input.nextToken === undefined ? undefined : ctx.tokens.read(input.nextToken, scope, { code: 'InvalidParameterException' })
    const matching = ctx.store.scan<ServiceState>(SERVICES, { index: { name: 'cluster', value: clusterName } })
      .filter((r) => r.value.service.status !== 'INACTIVE')
      .filter((r) => launchType === undefined || r.value.service.launchType === launchType)
      .filter((r) => strategy === undefined || r.value.service.schedulingStrategy === strategy)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .filter((r) => after === undefined || r.key > after)
    const page = matching.slice(0, maxResults)
    return {
      serviceArns: page.map((r) => String(r.value.service.serviceArn)),
      ...(matching.length > maxResults ? { nextToken: ctx.tokens.issue(scope, page[page.length - 1].key) } : {})
    }
  }

  const listServicesByNamespace = async (input: ListServicesByNamespaceRequest) => {
    if (typeof input?.namespace !== 'string' || input.namespace.length === 0) throw invalidParameter('namespace', 'namespace is required.')
    if (input.maxResults !== undefined && (!Number.isInteger(input.maxResults) || input.maxResults < 1 || input.maxResults > 100)) throw invalidParameter('maxResults', 'maxResults must be from 1 to 100.', 100)
    // No Cloud Map namespace exists in this engine (Service Connect is not built), so none can be found.
    throw new StratusError('NotFound', 'NamespaceNotFoundException', `The specified namespace wasn't found: ${input.namespace.slice(0, 300)}.`, { field: 'namespace' })
  }

  const serviceCost = async (input: { cluster?: string; service: string }): Promise<ServiceCost> => {
    const cluster = getCluster(ctx, input?.cluster)
    const clusterName = String(cluster.cluster.clusterName)
    const serviceName = serviceNameOf(ctx, clusterName, input.service)
    const got = readService(ctx.store, clusterName, serviceName)
    if (got === undefined) throw new EcsError('ServiceNotFoundException', 'Service not found.', { field: 'service' })
    return serviceCostOf(ctx, clusterName, String(got.value.service.serviceArn), serviceTasks(ctx.store, clusterName, serviceName))
  }

  return {
    createService, updateService, deleteService, describeServices, listServices, listServicesByNamespace, serviceCost,
    ...serviceDeploymentOperations(ctx, (clusterName, serviceName) => controller.enqueue(clusterName, serviceName))
  }
}

