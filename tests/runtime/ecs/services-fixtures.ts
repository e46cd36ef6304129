// Shared set-up of the ECS service tests: an engine on the manual clock with
// the simulated runner (a container lasts STRATUS_SIM_SECONDS of clock time
// and exits with STRATUS_SIM_EXIT), clusters and task definitions written as
// their areas' records (records.ts), so these tests exercise the services
// area on the real task area. Not a test file (tap runs *.test.ts only).
import { Engine, type EngineOptions } from '../../../runtime/engine.js'
import { arns } from '../../../runtime/aws/arn.js'
import { CLUSTERS, TASKS, TASK_DEFINITIONS, type ClusterRecord, type TaskRecord } from '../../../runtime/ecs/records.js'
import type { CloudEvent } from '../../../runtime/events/bus.js'

export async function simulatedEngine(options: EngineOptions = {}): Promise<Engine> {
  return Engine.start({ clock: 'manual', runner: 'simulated', ...options })
}

export interface InstanceSeed { vcpus: number; memory: number; zone?: string; attributes?: Record<string, string> }

/** A cluster record with its instance pool (and instances) and its Fargate pool. */
export function seedCluster(engine: Engine, name: string, instances: InstanceSeed[] = [{ vcpus: 4, memory: 16384 }]): ClusterRecord {
  const clusterArn = arns.ecs.cluster(engine.partition, name)
  const record: ClusterRecord = {
    cluster: { clusterArn, clusterName: name, status: 'ACTIVE', capacityProviders: ['FARGATE', 'FARGATE_SPOT'], defaultCapacityProviderStrategy: [], tags: [] },
    poolId: `ecs-${name}`, fargatePoolId: `ecs-${name}-fargate`, createdAt: engine.clock.now()
  }
  const runner = engine.ecs.context.settings.runner
  engine.store.transaction((tx) => {
    engine.pools.createPool(tx, { poolId: record.poolId, clusterArn, runner })
    engine.pools.createPool(tx, { poolId: record.fargatePoolId, clusterArn, runner })
    tx.put(CLUSTERS, name, record, 0)
  })
  for (const i of instances) addInstance(engine, record, i)
  return record
}

/** A container instance joining (as RegisterContainerInstance does): a node, then hooks.instanceChanged. */
export function addInstance(engine: Engine, cluster: ClusterRecord, i: InstanceSeed): string {
  const node = engine.store.transaction((tx) => engine.pools.addNode(tx, cluster.poolId, {
    instanceType: 'm5.xlarge', vcpus: i.vcpus, memory: i.memory, gpus: 0, managed: false, ...(i.attributes ? { attributes: i.attributes } : {})
  }))
  for (const hook of engine.ecs.context.hooks.instanceChanged) hook(String(cluster.cluster.clusterName))
  return node.containerInstanceArn
}

export function setInstanceStatus(engine: Engine, cluster: ClusterRecord, arn: string, status: 'ACTIVE' | 'DRAINING'): void {
  const node = engine.pools.nodes(cluster.poolId).find((n) => n.value.containerInstanceArn === arn)!.value
  engine.store.transaction((tx) => engine.pools.setStatus(tx, cluster.poolId, node.id, status))
  for (const hook of engine.ecs.context.hooks.instanceChanged) hook(String(cluster.cluster.clusterName))
}

const revisions = new Map<string, number>()

/** A task definition record (the next revision of its family): one essential container. */
export function seedDefinition(engine: Engine, family: string, container: Record<string, unknown>): string {
  const revision = (revisions.get(family) ?? 0) + 1
  revisions.set(family, revision)
  const taskDefinitionArn = arns.ecs.taskDefinition(engine.partition, family, revision)
  const definition = {
    taskDefinitionArn, family, revision, status: 'ACTIVE',
    containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 256, memory: 256, essential: true, ...container }],
    networkMode: 'bridge', requiresCompatibilities: ['EC2'], compatibilities: ['EC2']
  }
  engine.store.transaction((tx) => tx.put(TASK_DEFINITIONS, `${family}:${String(revision).padStart(8, '0')}`, { taskDefinition: definition }, 0))
  return taskDefinitionArn
}

/** Simulated work: lasts `seconds` of clock time, exits with `exit`. */
export function sim(seconds: number, exit = 0): Array<{ name: string; value: string }> {
  return [{ name: 'STRATUS_SIM_SECONDS', value: String(seconds) }, { name: 'STRATUS_SIM_EXIT', value: String(exit) }]
}

export async function advance(engine: Engine, ms: number): Promise<void> {
  await (engine.clock as unknown as { advance(ms: number): Promise<void> }).advance(ms)
}

export async function settle(engine: Engine): Promise<void> {
  for (let i = 0; i < 5; i++) await advance(engine, 0)
}

/** The service's task records that are not STOPPED. */
export function liveTasks(engine: Engine, cluster: string, service: string): TaskRecord[] {
  return engine.store.scan<TaskRecord>(TASKS, { index: { name: 'service', value: `${cluster}/${service}` } }).map((r) => r.value).filter((r) => r.task.lastStatus !== 'STOPPED')
}

/** Events of the given detail types, in delivery order. */
export function recordEvents(engine: Engine, detailTypes: string[]): CloudEvent[] {
  const events: CloudEvent[] = []
  engine.events.subscribe({ source: ['aws.ecs'], 'detail-type': detailTypes } as never, (e: CloudEvent) => { events.push(e) })
  return events
}

export async function describe(engine: Engine, cluster: string, service: string) {
  const { services } = await engine.ecs.describeServices({ cluster, services: [service] })
  return services![0]
}
