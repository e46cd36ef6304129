// The task set operations: CreateTaskSet, DescribeTaskSets, UpdateTaskSet,
// UpdateServicePrimaryTaskSet, DeleteTaskSet, for services with the EXTERNAL
// deployment controller. Each checks its request, then writes the service's
// record (its taskSets) in one transaction and enqueues the service; the
// service controller (task-set-controller.ts) starts, registers, scales,
// drains and stops the tasks.
//
//   CreateTaskSet ──► ACTIVE (scale 0 % unless given) ──UpdateServicePrimaryTaskSet──► PRIMARY
//        │                 │ UpdateTaskSet: scale                                        │
//        │                 ▼                                                             ▼
//        │            DeleteTaskSet (force for a PRIMARY one, or one not scaled to 0) ──► DRAINING
//        │                                                     tasks drained and stopped ─► removed
//        └─ computedDesiredCount = ⌈service desiredCount × scale% / 100⌉

import type { StoreReader } from '../store/store.js'
import type { EcsContext } from './context.js'
import { EcsError, invalidParameter } from './errors.js'
import { SERVICES, type TaskRecord } from './records.js'
import { getCluster } from './clusters.js'
import { resolveTaskDefinition } from './task-definitions.js'
import type { NetworkConfiguration, Service } from './model-services.js'
import type { TaskSet, TaskSetOperations } from './model-task-sets.js'
import { newDeploymentId, readService, serviceKey, serviceNameOf, serviceTasks, taskCounts, type ServiceState } from './service-records.js'
import {
  checkBoolean, checkCapacityProviderStrategy, checkClientToken, checkLaunchType, checkNetworkConfiguration, refuseServiceRegistries
} from './service-validation.js'
import { checkLoadBalancersFit } from './service-lb-validation.js'
import { checkNetworkForDefinition, checkRunnable, placementTarget, usesFargate } from './services.js'
import { SERVICES_QUEUE } from './service-controller.js'
import { checkExternalId, checkScale, checkTaskSetLoadBalancers } from './task-set-validation.js'
import {
  describedTaskSet, findTaskSet, isExternal, TASK_SET_LIMITS, taskSetArnOf, taskSetIdOf, taskSetNotFound, withPrimaryFields
} from './task-set-records.js'
import { tagsFromList, tagsToList } from '../aws/tags.js'

const NOT_EXTERNAL = 'Amazon ECS only supports task set management on services configured to use external deployment controllers.'

interface Named { clusterName: string; serviceName: string }

/** The cluster and service a request names (ClusterNotFoundException, InvalidParameterException naming the member). */
function namesOf(ctx: EcsContext, input: { cluster?: unknown; service?: unknown } | undefined): Named {
  const cluster = getCluster(ctx, input?.cluster as string | undefined)
  const clusterName = String(cluster.cluster.clusterName)
  return { clusterName, serviceName: serviceNameOf(ctx, clusterName, input?.service) }
}

/**
 * The EXTERNAL service a request names: ServiceNotFoundException;
 * ServiceNotActiveException when it is not ACTIVE (DRAINING allowed to
 * describe); InvalidParameterException for another deployment controller.
 */
function externalService(reader: StoreReader, named: Named, allowDraining = false): { value: ServiceState; version: number } {
  const got = readService(reader, named.clusterName, named.serviceName)
  if (got === undefined) throw new EcsError('ServiceNotFoundException', 'Service not found.', { field: 'service' })
  const status = got.value.service.status
  if (status !== 'ACTIVE' && !(allowDraining && status === 'DRAINING')) throw new EcsError('ServiceNotActiveException', 'Service was not ACTIVE.', { field: 'service' })
  if (!isExternal(got.value.service)) throw invalidParameter('service', NOT_EXTERNAL)
  return got
}

/** The task sets' counts, from the service's live task records (a task set's tasks carry its id as deploymentId). */
function countsBySet(reader: StoreReader, named: Named): (id: string) => { runningCount: number; pendingCount: number } {
  const byId = new Map<string, TaskRecord[]>()
  for (const t of serviceTasks(reader, named.clusterName, named.serviceName)) {
    if (t.deploymentId === undefined) continue
    const list = byId.get(t.deploymentId) ?? []
    list.push(t)
    byId.set(t.deploymentId, list)
  }
  return (id) => taskCounts(byId.get(id) ?? [])
}

/** ECS answers a task set's awsvpc configuration with assignPublicIp DISABLED when none was given. */
function withPublicIpDefault(network: NetworkConfiguration | undefined): NetworkConfiguration | undefined {
  const vpc = network?.awsvpcConfiguration
  if (vpc === undefined) return network
  return { awsvpcConfiguration: { ...vpc, assignPublicIp: vpc.assignPublicIp ?? 'DISABLED' } }
}

export function taskSetOperations(ctx: EcsContext): TaskSetOperations {
  const enqueue = (named: Named) => ctx.queues.get(SERVICES_QUEUE)?.add(serviceKey(named.clusterName, named.serviceName))

  /** Writes the service's record with its task sets changed by `change`, in one transaction; the changed set, described. */
  const changeTaskSet = (named: Named, value: unknown, field: string, change: (ts: TaskSet, service: Service, now: number) => Service | undefined): { taskSet: TaskSet } => {
    const id = taskSetIdOf(ctx.partition, named.clusterName, named.serviceName, value, field)
    const state = ctx.store.transaction((tx) => {
      const got = externalService(tx, named)
      const ts = findTaskSet(got.value.service, id)
      if (ts === undefined) throw taskSetNotFound(field)
      const service = change(ts, got.value.service, ctx.clock.now())
      if (service === undefined) return got.value
      const next: ServiceState = { ...got.value, service, steady: false }
      tx.put(SERVICES, serviceKey(named.clusterName, named.serviceName), next, got.version)
      tx.afterCommit(() => enqueue(named))
      return next
    })
    const ts = findTaskSet(state.service, id)!
    return { taskSet: describedTaskSet(ts, countsBySet(ctx.store, named)(id), state.service.desiredCount ?? 0, false) }
  }

  const replace = (service: Service, id: string, f: (ts: TaskSet) => TaskSet): Service => ({
    ...service, taskSets: (service.taskSets ?? []).map((ts) => ts.id === id ? f(ts) : ts)
  })

  return {
    async createTaskSet(input) {
      const named = namesOf(ctx, input)
      const externalId = checkExternalId(input.externalId)
      const scale = checkScale(input.scale)
      const launchType = checkLaunchType(input.launchType)
      const capacityProviderStrategy = checkCapacityProviderStrategy(input.capacityProviderStrategy)
      const networkConfiguration = withPublicIpDefault(checkNetworkConfiguration(input.networkConfiguration))
      const loadBalancers = checkTaskSetLoadBalancers(input.loadBalancers)
      refuseServiceRegistries(input.serviceRegistries)
      const clientToken = checkClientToken(input.clientToken)
      const tags = tagsToList(tagsFromList(input.tags, 'tags', 'InvalidParameterException'))
      if (input.platformVersion !== undefined && (typeof input.platformVersion !== 'string' || input.platformVersion.length === 0)) throw invalidParameter('platformVersion', 'platformVersion must be a platform version (LATEST).')
      if (typeof input.taskDefinition !== 'string' || input.taskDefinition.length === 0) throw invalidParameter('taskDefinition', 'taskDefinition is required.')
      const service = externalService(ctx.store, named).value.service
      const cluster = getCluster(ctx, named.clusterName)
      const td = resolveTaskDefinition(ctx, input.taskDefinition, 'taskDefinition').taskDefinition
      const target = placementTarget(cluster.cluster, launchType, capacityProviderStrategy)
      checkNetworkForDefinition(td, networkConfiguration)
      checkRunnable(cluster, td, target, service.placementConstraints)
      checkLoadBalancersFit(ctx, loadBalancers, td)
      const fargate = usesFargate(target)
      if (!fargate && input.platformVersion !== undefined) throw invalidParameter('platformVersion', 'The platform version must be null when specifying an EC2 launch type.')
      const platformVersion = fargate ? (input.platformVersion ?? 'LATEST') : undefined
      const shape = {
        taskDefinition: String(td.taskDefinitionArn), ...(externalId !== undefined ? { externalId } : {}), ...target,
        ...(platformVersion !== undefined ? { platformVersion, platformFamily: 'Linux' } : {}),
        ...(networkConfiguration !== undefined ? { networkConfiguration } : {}), loadBalancers, serviceRegistries: [], scale
      }
      const request = JSON.stringify(shape)

      const created = ctx.store.transaction((tx) => {
        const got = externalService(tx, named)
        const s = got.value.service
        const sets = s.taskSets ?? []
        const token = clientToken === undefined ? undefined : got.value.taskSetTokens?.[clientToken]
        if (token !== undefined) {
          const again = findTaskSet(s, token.taskSetId)
          if (again !== undefined && token.request === request) return { state: got.value, taskSet: again }
          throw invalidParameter('clientToken', 'Creation of task set was not idempotent.')
        }
        if (sets.length >= TASK_SET_LIMITS.perService) {
          throw invalidParameter('service', `${sets.length} deployments exist on the service. Unable to create new TaskSet since this exceeds the maximum limit.`, TASK_SET_LIMITS.perService)
        }
        const now = ctx.clock.now()
        const id = newDeploymentId()
        const taskSet: TaskSet = {
          id, taskSetArn: taskSetArnOf(ctx.partition, named.clusterName, named.serviceName, id), serviceArn: String(s.serviceArn), clusterArn: String(s.clusterArn),
          status: 'ACTIVE', ...shape, createdAt: now, updatedAt: now, stabilityStatus: 'STABILIZING', stabilityStatusAt: now, tags
        }
        const next: ServiceState = {
          ...got.value, steady: false, service: { ...s, taskSets: [taskSet, ...sets] },
          ...(clientToken !== undefined ? { taskSetTokens: { ...got.value.taskSetTokens, [clientToken]: { taskSetId: id, request } } } : {})
        }
        tx.put(SERVICES, serviceKey(named.clusterName, named.serviceName), next, got.version)
        tx.afterCommit(() => enqueue(named))
        return { state: next, taskSet }
      })
      const counts = countsBySet(ctx.store, named)(String(created.taskSet.id))
      return { taskSet: describedTaskSet(created.taskSet, counts, created.state.service.desiredCount ?? 0, true) }
    },

    async describeTaskSets(input) {
      const named = namesOf(ctx, input)
      const include = input.include ?? []
      if (!Array.isArray(include) || include.some((i) => i !== 'TAGS')) throw invalidParameter('include', 'include may only hold TAGS.')
      if (input.taskSets !== undefined && !Array.isArray(input.taskSets)) throw invalidParameter('taskSets', 'taskSets must be a list of task set ids or ARNs.')
      const ids = (input.taskSets ?? []).map((v, i) => taskSetIdOf(ctx.partition, named.clusterName, named.serviceName, v, `taskSets[${i}]`))
      const state = externalService(ctx.store, named, true).value
      const counts = countsBySet(ctx.store, named)
      const desired = state.service.desiredCount ?? 0
      const all = state.service.taskSets ?? []
      const wanted = input.taskSets === undefined ? all : [...new Set(ids)].flatMap((id) => all.filter((ts) => ts.id === id))
      const failures = [...new Set(ids)].filter((id) => findTaskSet(state.service, id) === undefined)
        .map((id) => ({ arn: taskSetArnOf(ctx.partition, named.clusterName, named.serviceName, id), reason: 'MISSING' }))
      return { taskSets: wanted.map((ts) => describedTaskSet(ts, counts(String(ts.id)), desired, include.includes('TAGS'))), failures }
    },

    async updateTaskSet(input) {
      const named = namesOf(ctx, input)
      if (input.scale === undefined) throw invalidParameter('scale', 'scale is required.')
      const scale = checkScale(input.scale)
      return changeTaskSet(named, input.taskSet, 'taskSet', (ts, service, now) => {
        if (ts.status === 'DRAINING') throw invalidParameter('taskSet', `The task set ${String(ts.id)} is DRAINING: it is being deleted and cannot be scaled.`)
        return replace(service, String(ts.id), (t) => ({ ...t, scale, updatedAt: now, stabilityStatus: 'STABILIZING', stabilityStatusAt: now }))
      })
    },

    async updateServicePrimaryTaskSet(input) {
      const named = namesOf(ctx, input)
      return changeTaskSet(named, input.primaryTaskSet, 'primaryTaskSet', (ts, service, now) => {
        if (ts.status === 'DRAINING') throw invalidParameter('primaryTaskSet', `The task set ${String(ts.id)} is DRAINING: it cannot become the primary task set.`)
        if (ts.status === 'PRIMARY') return undefined
        const sets = (service.taskSets ?? []).map((t): TaskSet => {
          if (t.id === ts.id) return { ...t, status: 'PRIMARY', updatedAt: now }
          return t.status === 'PRIMARY' ? { ...t, status: 'ACTIVE', updatedAt: now } : t
        })
        return withPrimaryFields({ ...service, taskSets: sets })
      })
    },

    async deleteTaskSet(input) {
      const named = namesOf(ctx, input)
      const force = checkBoolean(input.force, 'force') ?? false
      return changeTaskSet(named, input.taskSet, 'taskSet', (ts, service, now) => {
        if (ts.status === 'DRAINING') return undefined
        if (!force && ts.status === 'PRIMARY') {
          throw invalidParameter('force', `The task set ${String(ts.id)} is the primary task set: make another one primary (UpdateServicePrimaryTaskSet) first, or delete it with force.`)
        }
        if (!force && (ts.scale?.value ?? 0) > 0) {
          throw invalidParameter('force', `The task set ${String(ts.id)} has not been scaled down to zero (scale ${ts.scale?.value}%): scale it to 0 first (UpdateTaskSet), or delete it with force.`)
        }
        const draining = replace(service, String(ts.id), (t) => ({ ...t, status: 'DRAINING', updatedAt: now, stabilityStatus: 'STABILIZING', stabilityStatusAt: now }))
        return withPrimaryFields(draining)
      })
    }
  }
}
