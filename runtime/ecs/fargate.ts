// Fargate: tasks without instances to manage. Each task is a sandbox of its
// own (awsvpc only: its own 127.x address, which the launcher hands out, shown
// as the task's ENI), its containers on one localhost, its task-level cpu and
// memory enforced as the containers' limits (sandbox-spec.ts), its own
// ephemeral storage deleted when it stops (task-lifecycle.ts).
//
// Its capacity is accounted, not managed: the cluster's Fargate pool
// (ClusterRecord.fargatePoolId) has one node, made here on first use, large
// enough never to refuse a task; the tasks hold their demand on it as any task
// does on its instance, so the cluster's counts and the pool agree.
//
// Which capacity a task gets: the launch type, or a capacity provider strategy
// (FARGATE, FARGATE_SPOT, the cluster's EC2 providers) — `base` tasks first
// in the strategy's order, the rest by weight — or, with neither, the
// cluster's default strategy, else the EC2 launch type.

import { createHash, randomUUID } from 'node:crypto'
import type { Transaction } from '../store/store.js'
import type { NodeRecord } from '../cluster/node-pool.js'
import type { EcsContext } from './context.js'
import { EcsError, invalidParameter } from './errors.js'
import type { ClusterRecord } from './records.js'
import type { Attachment, CapacityProviderStrategyItem, LaunchType } from './model-tasks.js'

export const FARGATE = 'FARGATE'
export const FARGATE_SPOT = 'FARGATE_SPOT'
export const FARGATE_PLATFORM_VERSION = '1.4.0'
/** The Fargate pool's one node: as large as any sum of Fargate tasks a machine like this would run. */
const FARGATE_NODE = { id: 'fargate', instanceType: 'fargate', vcpus: 100_000, memory: 400 * 1024 * 1024, gpus: 0 }

/** Where one task of a launch goes. */
export interface Capacity {
  launchType: LaunchType
  /** Set when a capacity provider strategy chose it. */
  capacityProviderName?: string
  spot: boolean
}

/**
 * The capacity of each of `count` tasks: one launch type for all, or a
 * strategy's split (base first, in order; then by weight). `existing` is the
 * tasks already running per provider (a service's): the new ones are assigned
 * so that all of them together honour base and weights.
 */
export function assignCapacity(cluster: ClusterRecord, launchType: LaunchType | undefined, strategy: CapacityProviderStrategyItem[] | undefined, count: number, existing?: Readonly<Record<string, number>>): Capacity[] {
  if (launchType !== undefined && strategy !== undefined && strategy.length > 0) {
    throw invalidParameter('launchType', 'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.')
  }
  if (launchType !== undefined) {
    if (launchType !== 'EC2' && launchType !== 'FARGATE') throw invalidParameter('launchType', `launchType must be EC2 or FARGATE in Stratus, got ${String(launchType)}`)
    return Array.from({ length: count }, () => ({ launchType, spot: false }))
  }
  const field = strategy !== undefined && strategy.length > 0 ? 'capacityProviderStrategy' : 'cluster.defaultCapacityProviderStrategy'
  const items = strategy !== undefined && strategy.length > 0 ? strategy : (cluster.cluster.defaultCapacityProviderStrategy as CapacityProviderStrategyItem[] | undefined) ?? []
  if (items.length === 0) return Array.from({ length: count }, () => ({ launchType: 'EC2' as const, spot: false }))
  checkStrategy(cluster, items, field)
  const assigned = items.map((it) => existing?.[it.capacityProvider] ?? 0)
  const out: Capacity[] = []
  const take = (i: number) => {
    assigned[i]++
    const name = items[i].capacityProvider
    out.push({ launchType: name === FARGATE || name === FARGATE_SPOT ? 'FARGATE' : 'EC2', capacityProviderName: name, spot: name === FARGATE_SPOT })
  }
  for (let i = 0; i < items.length && out.length < count; i++) {
    const base = items[i].base ?? 0
    while (assigned[i] < base && out.length < count) take(i)
  }
  // Tasks beyond a provider's base count toward its weighted share (the base is filled first).
  const weighted = items.map((it, i) => ({ i, weight: it.weight ?? 0, byWeight: Math.max(0, (existing?.[it.capacityProvider] ?? 0) - (it.base ?? 0)) }))
  if (out.length < count && !weighted.some((w) => w.weight > 0)) {
    throw invalidParameter(`${field}.weight`, 'The capacity provider strategy must have at least one capacity provider with a weight greater than 0.')
  }
  while (out.length < count) {
    // The provider furthest below its share takes the next task (ties: the earlier one).
    let best: (typeof weighted)[number] | undefined
    for (const w of weighted) {
      if (w.weight <= 0) continue
      if (best === undefined || (w.byWeight + 1) / w.weight < (best.byWeight + 1) / best.weight) best = w
    }
    best!.byWeight++
    take(best!.i)
  }
  return out
}

function checkStrategy(cluster: ClusterRecord, items: CapacityProviderStrategyItem[], field: string): void {
  if (items.length > 20) throw invalidParameter(field, `${field} can have at most 20 items.`, 20)
  const associated = new Set<string>((cluster.cluster.capacityProviders as string[] | undefined) ?? [])
  const seen = new Set<string>()
  let bases = 0
  items.forEach((item, i) => {
    const at = `${field}[${i}]`
    const name = item?.capacityProvider
    if (typeof name !== 'string' || name.length === 0) throw invalidParameter(`${at}.capacityProvider`, 'capacityProvider is required.')
    if (seen.has(name)) throw invalidParameter(`${at}.capacityProvider`, `The capacity provider ${name} appears more than once in the strategy.`)
    seen.add(name)
    if (name !== FARGATE && name !== FARGATE_SPOT && !associated.has(name)) {
      throw invalidParameter(`${at}.capacityProvider`, `The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again. (${name})`)
    }
    if (item.weight !== undefined && (!Number.isInteger(item.weight) || item.weight < 0 || item.weight > 1000)) throw invalidParameter(`${at}.weight`, 'weight must be an integer from 0 to 1000.', 1000)
    if (item.base !== undefined && (!Number.isInteger(item.base) || item.base < 0 || item.base > 100000)) throw invalidParameter(`${at}.base`, 'base must be an integer from 0 to 100000.', 100000)
    if ((item.base ?? 0) > 0) bases++
  })
  if (bases > 1) throw invalidParameter(field, 'Only one capacity provider in a strategy can have a base defined.', 1)
  const fargate = items.some((i) => i.capacityProvider === FARGATE || i.capacityProvider === FARGATE_SPOT)
  if (fargate && items.some((i) => i.capacityProvider !== FARGATE && i.capacityProvider !== FARGATE_SPOT)) {
    throw invalidParameter(field, 'A capacity provider strategy cannot contain both Fargate and EC2 capacity providers.')
  }
}

/** The node of the cluster's Fargate pool its tasks are accounted on (made on first use). */
export function fargateNode(ctx: EcsContext, tx: Transaction, cluster: ClusterRecord): NodeRecord {
  const pool = ctx.pools.pool(cluster.fargatePoolId, tx)
  if (pool === undefined) throw new EcsError('ServerException', `cluster ${String(cluster.cluster.clusterName)} has no Fargate pool ${cluster.fargatePoolId}`)
  const nodes = ctx.pools.nodes(cluster.fargatePoolId, tx)
  if (nodes.length > 0) return nodes[0].value
  return ctx.pools.addNode(tx, cluster.fargatePoolId, { ...FARGATE_NODE, managed: true })
}

/** A task's platform version: LATEST is 1.4.0, the one Stratus serves (Fargate only). */
export function platformVersionOf(requested: string | undefined, fargate: boolean): string | undefined {
  if (requested === undefined) return fargate ? FARGATE_PLATFORM_VERSION : undefined
  if (!fargate) throw invalidParameter('platformVersion', 'The platform version must be null when specifying an EC2 launch type.')
  if (requested !== 'LATEST' && requested !== FARGATE_PLATFORM_VERSION) {
    throw new EcsError('PlatformUnknownException', `The specified platform version (${requested}) does not exist; Stratus serves LATEST (${FARGATE_PLATFORM_VERSION}).`, { field: 'platformVersion' })
  }
  return FARGATE_PLATFORM_VERSION
}

/** The ENI of an awsvpc task: its own loopback address, shown as ECS shows an ENI. */
export function eniAttachment(taskId: string, address: string, subnetId: string | undefined): { attachment: Attachment; attachmentId: string } {
  const hash = createHash('sha256').update(taskId).digest('hex')
  const mac = ['0a', ...hash.slice(0, 10).match(/../g)!].join(':')
  const attachmentId = randomUUID()
  return {
    attachmentId,
    attachment: {
      id: attachmentId,
      type: 'ElasticNetworkInterface',
      status: 'ATTACHED',
      details: [
        ...(subnetId !== undefined ? [{ name: 'subnetId', value: subnetId }] : []),
        { name: 'networkInterfaceId', value: `eni-${hash.slice(10, 27)}` },
        { name: 'macAddress', value: mac },
        { name: 'privateDnsName', value: `ip-${address.replace(/\./g, '-')}.ec2.internal` },
        { name: 'privateIPv4Address', value: address }
      ]
    }
  }
}
