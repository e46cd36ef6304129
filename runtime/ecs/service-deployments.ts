// Service deployments as ECS's ListServiceDeployments,
// DescribeServiceDeployments and StopServiceDeployment see them: one per
// deployment a service started (ecs-svc/<digits>), its ARN
// `service-deployment/<cluster>/<service>/<digits>`, its status derived from
// the deployment (IN_PROGRESS, SUCCESSFUL, STOPPED, ROLLBACK_REQUESTED,
// ROLLBACK_SUCCESSFUL …) and kept in ServiceState.history after the
// deployment leaves the service's deployments[] (newest first, 50 kept).
// StopServiceDeployment ROLLBACK asks the controller to roll the PRIMARY
// deployment back (blue/green: traffic back to blue; rolling: the last
// completed revision redeployed).

import type { EcsContext } from './context.js'
import { EcsError, invalidParameter } from './errors.js'
import { SERVICES } from './records.js'
import type { Deployment } from './model-services.js'
import { serviceKey, type ServiceState } from './service-records.js'
import { taskCounts, serviceTasks } from './service-records.js'

export type ServiceDeploymentStatus = 'PENDING' | 'IN_PROGRESS' | 'SUCCESSFUL' | 'STOPPED' | 'STOP_REQUESTED' | 'ROLLBACK_REQUESTED' | 'ROLLBACK_IN_PROGRESS' | 'ROLLBACK_SUCCESSFUL' | 'ROLLBACK_FAILED'

/** What a service remembers of each of its deployments. */
export interface DeploymentHistory {
  id: string
  taskDefinition: string
  /** The revisions it replaced (the other deployments live when it began). */
  sources: string[]
  createdAt: number
  status: ServiceDeploymentStatus
  statusReason?: string
  finishedAt?: number
  stoppedAt?: number
  updatedAt: number
  /** Blue/green: the production traffic on it, percent. */
  productionPercent?: number
}

const HISTORY_KEPT = 50
const STOP_TYPES = ['ROLLBACK', 'ABORT'] as const

function digitsOf(deploymentId: string): string {
  return deploymentId.slice(deploymentId.indexOf('/') + 1)
}

export function serviceDeploymentArn(ctx: EcsContext, clusterName: string, serviceName: string, deploymentId: string): string {
  return `arn:${ctx.partition.partition}:ecs:${ctx.partition.region}:${ctx.partition.accountId}:service-deployment/${clusterName}/${serviceName}/${digitsOf(deploymentId)}`
}

function parseArn(ctx: EcsContext, value: unknown, field: string): { clusterName: string; serviceName: string; deploymentId: string } {
  const prefix = `arn:${ctx.partition.partition}:ecs:${ctx.partition.region}:${ctx.partition.accountId}:service-deployment/`
  if (typeof value !== 'string' || !value.startsWith(prefix)) throw invalidParameter(field, `${field}: ${JSON.stringify(value)} is not a service deployment ARN of this account and Region (${prefix}<cluster>/<service>/<id>).`)
  const parts = value.slice(prefix.length).split('/')
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) throw invalidParameter(field, `${field}: ${value} is not a service deployment ARN (${prefix}<cluster>/<service>/<id>).`)
  return { clusterName: parts[0], serviceName: parts[1], deploymentId: `ecs-svc/${parts[2]}` }
}

/** The status a deployment of the service's deployments[] has now. */
function statusOf(d: Deployment, state: ServiceState, previous: DeploymentHistory | undefined): { status: ServiceDeploymentStatus; reason?: string } {
  const stop = state.stopRequested?.deploymentId === d.id ? state.stopRequested : undefined
  if (d.rolloutState === 'COMPLETED') return previous?.status === 'ROLLBACK_SUCCESSFUL' ? { status: previous.status } : { status: 'SUCCESSFUL' }
  if (d.rolloutState === 'FAILED') {
    if (stop?.stopType === 'ABORT') return { status: 'STOPPED', reason: 'Service deployment stopped by request.' }
    const rolledBack = stop?.stopType === 'ROLLBACK' || state.service.deploymentConfiguration?.deploymentCircuitBreaker?.rollback === true ||
      (state.service.deploymentConfiguration?.strategy ?? 'ROLLING') !== 'ROLLING'
    return { status: rolledBack ? 'ROLLBACK_SUCCESSFUL' : 'STOPPED', reason: String(d.rolloutStateReason ?? 'The deployment failed.') }
  }
  if (d.status !== 'PRIMARY') return { status: 'STOPPED', reason: 'A newer service deployment replaced it.' }
  if (stop !== undefined) return { status: stop.stopType === 'ROLLBACK' ? 'ROLLBACK_REQUESTED' : 'STOP_REQUESTED' }
  return { status: 'IN_PROGRESS' }
}

/** The history brought up to date with the service's deployments (called on every write of the state). */
export function withHistory(state: ServiceState, now: number): ServiceState {
  const before = state.history ?? []
  const byId = new Map(before.map((h) => [h.id, h]))
  const deployments = state.service.deployments ?? []
  let changed = false
  const next = [...before]
  for (const d of deployments) {
    const id = String(d.id)
    const previous = byId.get(id)
    const { status, reason } = statusOf(d, state, previous)
    const percent = state.blueGreen?.deploymentId === id ? state.blueGreen.greenPercent : undefined
    if (previous !== undefined && previous.status === status && previous.productionPercent === percent) continue
    const final = status === 'SUCCESSFUL' || status === 'STOPPED' || status === 'ROLLBACK_SUCCESSFUL'
    const entry: DeploymentHistory = {
      id, taskDefinition: String(d.taskDefinition), createdAt: Number(d.createdAt ?? now), status, updatedAt: now,
      sources: previous?.sources ?? deployments.filter((o) => o.id !== d.id).map((o) => String(o.taskDefinition)),
      ...(reason !== undefined ? { statusReason: reason } : {}),
      ...(final ? { finishedAt: previous?.finishedAt ?? now } : {}),
      ...(status === 'STOPPED' || status === 'ROLLBACK_SUCCESSFUL' ? { stoppedAt: previous?.stoppedAt ?? now } : {}),
      ...(percent !== undefined ? { productionPercent: percent } : {})
    }
    changed = true
    const at = next.findIndex((h) => h.id === id)
    if (at >= 0) next[at] = entry
    else next.unshift(entry)
  }
  return changed ? { ...state, history: next.sort((a, b) => b.createdAt - a.createdAt).slice(0, HISTORY_KEPT) } : state
}

function briefOf(ctx: EcsContext, state: ServiceState, h: DeploymentHistory): Record<string, unknown> {
  return {
    serviceDeploymentArn: serviceDeploymentArn(ctx, state.clusterName, String(state.service.serviceName), h.id),
    serviceArn: state.service.serviceArn, clusterArn: state.service.clusterArn,
    createdAt: h.createdAt, startedAt: h.createdAt, ...(h.finishedAt !== undefined ? { finishedAt: h.finishedAt } : {}),
    targetServiceRevisionArn: `arn:${ctx.partition.partition}:ecs:${ctx.partition.region}:${ctx.partition.accountId}:service-revision/${state.clusterName}/${String(state.service.serviceName)}/${digitsOf(h.id)}`,
    status: h.status, ...(h.statusReason !== undefined ? { statusReason: h.statusReason } : {})
  }
}

export function serviceDeploymentOperations(ctx: EcsContext, enqueue: (clusterName: string, serviceName: string) => void) {
  const read = (clusterName: string, serviceName: string): ServiceState => {
    const got = ctx.store.get<ServiceState>(SERVICES, serviceKey(clusterName, serviceName))
    if (got === undefined) throw new EcsError('ServiceNotFoundException', 'Service not found.', { field: 'service' })
    return got.value
  }

  const listServiceDeployments = async (input: { cluster?: string; service: string; status?: string[]; maxResults?: number; nextToken?: string }) => {
    const clusterName = typeof input?.cluster === 'string' && input.cluster.length > 0 ? input.cluster.slice(input.cluster.lastIndexOf('/') + 1) : 'default'
    if (typeof input?.service !== 'string' || input.service.length === 0) throw invalidParameter('service', 'service is required.')
    const maxResults = input.maxResults ?? 20
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) throw invalidParameter('maxResults', 'maxResults must be from 1 to 100.', 100)
    const state = withHistory(read(clusterName, input.service.slice(input.service.lastIndexOf('/') + 1)), ctx.clock.now())
    const wanted = input.status
    const all = (state.history ?? []).filter((h) => wanted === undefined || wanted.length === 0 || wanted.includes(h.status))
    const scope = `ListServiceDeployments:${state.clusterName}/${String(state.service.serviceName)}`
    const after = input.nextToken === undefined ? 0 : Number(ctx.tokens.read(input.nextToken, scope, { code: 'InvalidParameterException' }))
    const page = all.slice(after, after + maxResults)
    return {
      serviceDeployments: page.map((h) => briefOf(ctx, state, h)),
      ...(after + maxResults < all.length ? { nextToken: ctx.tokens.issue(scope, String(after + maxResults)) } : {})
    }
  }

  const describeServiceDeployments = async (input: { serviceDeploymentArns: string[] }) => {
    const list = input?.serviceDeploymentArns
    if (!Array.isArray(list) || list.length === 0) throw invalidParameter('serviceDeploymentArns', 'serviceDeploymentArns is required.')
    if (list.length > 20) throw invalidParameter('serviceDeploymentArns', `serviceDeploymentArns: at most 20 per call, got ${list.length}.`, 20)
    const serviceDeployments: Record<string, unknown>[] = []
    const failures: Array<{ arn: string; reason: string }> = []
    list.forEach((arn, i) => {
      const { clusterName, serviceName, deploymentId } = parseArn(ctx, arn, `serviceDeploymentArns[${i}]`)
      const got = ctx.store.get<ServiceState>(SERVICES, serviceKey(clusterName, serviceName))
      const state = got === undefined ? undefined : withHistory(got.value, ctx.clock.now())
      const h = state?.history?.find((x) => x.id === deploymentId)
      if (state === undefined || h === undefined) { failures.push({ arn, reason: 'MISSING' }); return }
      const tasks = serviceTasks(ctx.store, clusterName, serviceName)
      const revision = (id: string, requested: number, production?: number) => {
        const counts = taskCounts(tasks.filter((t) => t.deploymentId === id))
        return {
          arn: `arn:${ctx.partition.partition}:ecs:${ctx.partition.region}:${ctx.partition.accountId}:service-revision/${clusterName}/${serviceName}/${digitsOf(id)}`,
          requestedTaskCount: requested, runningTaskCount: counts.runningCount, pendingTaskCount: counts.pendingCount,
          ...(production !== undefined ? { requestedProductionTrafficWeight: production } : {})
        }
      }
      const d = (state.service.deployments ?? []).find((x) => x.id === deploymentId)
      const sources = (state.service.deployments ?? []).filter((x) => x.id !== deploymentId && h.status === 'IN_PROGRESS')
      serviceDeployments.push({
        ...briefOf(ctx, state, h),
        updatedAt: h.updatedAt, ...(h.stoppedAt !== undefined ? { stoppedAt: h.stoppedAt } : {}),
        targetServiceRevision: revision(h.id, Number(d?.desiredCount ?? 0), h.productionPercent),
        sourceServiceRevisions: sources.map((x) => revision(String(x.id), Number(x.desiredCount ?? 0), h.productionPercent !== undefined ? 100 - h.productionPercent : undefined)),
        deploymentConfiguration: state.service.deploymentConfiguration,
        deploymentCircuitBreaker: {
          status: state.service.deploymentConfiguration?.deploymentCircuitBreaker?.enable === true ? (h.status === 'ROLLBACK_SUCCESSFUL' && h.statusReason?.includes('circuit breaker') ? 'TRIGGERED' : h.status === 'IN_PROGRESS' ? 'MONITORING' : 'MONITORING_COMPLETE') : 'DISABLED',
          failureCount: Number(d?.failedTasks ?? 0)
        },
        ...(state.blueGreen?.deploymentId === h.id ? { lifecycleStage: state.blueGreen.stage } : {})
      })
    })
    return { serviceDeployments, failures }
  }

  const stopServiceDeployment = async (input: { serviceDeploymentArn: string; stopType?: string }) => {
    const { clusterName, serviceName, deploymentId } = parseArn(ctx, input?.serviceDeploymentArn, 'serviceDeploymentArn')
    const stopType = input.stopType ?? 'ROLLBACK'
    if (!(STOP_TYPES as readonly string[]).includes(stopType)) throw invalidParameter('stopType', `stopType must be one of ${STOP_TYPES.join(', ')}.`)
    ctx.store.transaction((tx) => {
      const got = tx.get<ServiceState>(SERVICES, serviceKey(clusterName, serviceName))
      if (got === undefined) throw new EcsError('ServiceDeploymentNotFoundException', 'The service deployment does not exist.', { field: 'serviceDeploymentArn' })
      const d = (got.value.service.deployments ?? []).find((x) => x.id === deploymentId)
      const known = (got.value.history ?? []).some((h) => h.id === deploymentId) || d !== undefined
      if (!known) throw new EcsError('ServiceDeploymentNotFoundException', 'The service deployment does not exist.', { field: 'serviceDeploymentArn' })
      if (d === undefined || d.status !== 'PRIMARY' || d.rolloutState !== 'IN_PROGRESS') {
        throw new EcsError('ConflictException', 'The service deployment is not in progress: only an IN_PROGRESS service deployment can be stopped.', { field: 'serviceDeploymentArn' })
      }
      const next: ServiceState = { ...got.value, stopRequested: { deploymentId, stopType: stopType as 'ROLLBACK' | 'ABORT' }, steady: false }
      tx.put(SERVICES, got.key, withHistory(next, ctx.clock.now()), got.version)
      tx.afterCommit(() => enqueue(clusterName, serviceName))
    })
    return { serviceDeploymentArn: serviceDeploymentArn(ctx, clusterName, serviceName, deploymentId) }
  }

  return { listServiceDeployments, describeServiceDeployments, stopServiceDeployment }
}
