// Shared set-up of the ECS task tests: an engine on the manual clock with the
// simulated runner (a container lasts STRATUS_SIM_SECONDS of clock time and
// exits with STRATUS_SIM_EXIT), a cluster with container instances, and task
// definitions. Not a test file (tap runs *.test.ts only).
//
// Clusters and task definitions are written as their records (records.ts:
// ClusterRecord with its two pools, TaskDefinitionRecord), the shapes their
// areas keep, so these tests exercise the task area alone.
import { Engine, type EngineOptions } from '../../../runtime/engine.js'
import { arns } from '../../../runtime/aws/arn.js'
import { CLUSTERS, TASK_DEFINITIONS, type ClusterRecord } from '../../../runtime/ecs/records.js'
import type { ContainerDefinitionShape, TaskDefinitionShape } from '../../../runtime/ecs/sandbox-spec.js'
import type { CloudEvent } from '../../../runtime/events/bus.js'

export async function simulatedEngine(options: EngineOptions = {}): Promise<Engine> {
  return Engine.start({ clock: 'manual', runner: 'simulated', ...options })
}

export interface ClusterSeed {
  /** Container instances: vCPUs and MiB each. */
  instances?: Array<{ vcpus: number; memory: number; instanceType?: string; attributes?: Record<string, string> }>
  defaultCapacityProviderStrategy?: Array<{ capacityProvider: string; weight?: number; base?: number }>
  capacityProviders?: string[]
}

/** A cluster record with its instance pool (and instances) and its Fargate pool. */
export function seedCluster(engine: Engine, name: string, seed: ClusterSeed = {}): ClusterRecord {
  const p = engine.partition
  const clusterArn = arns.ecs.cluster(p, name)
  const runner = engine.ecs.context.settings.runner
  const record: ClusterRecord = {
    cluster: {
      clusterArn, clusterName: name, status: 'ACTIVE',
      capacityProviders: seed.capacityProviders ?? ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: seed.defaultCapacityProviderStrategy ?? [], tags: []
    },
    poolId: `ecs-${name}`, fargatePoolId: `ecs-${name}-fargate`, createdAt: engine.clock.now()
  }
  engine.store.transaction((tx) => {
    engine.pools.createPool(tx, { poolId: record.poolId, clusterArn, runner })
    engine.pools.createPool(tx, { poolId: record.fargatePoolId, clusterArn, runner })
    for (const i of seed.instances ?? [{ vcpus: 4, memory: 16384 }]) {
      engine.pools.addNode(tx, record.poolId, { instanceType: i.instanceType ?? 'm5.xlarge', vcpus: i.vcpus, memory: i.memory, gpus: 0, managed: false, ...(i.attributes ? { attributes: i.attributes } : {}) })
    }
    tx.put(CLUSTERS, name, record, 0)
  })
  return record
}

let revisions = new Map<string, number>()

/** A task definition record (the next revision of its family). */
export function seedDefinition(engine: Engine, family: string, containers: ContainerDefinitionShape[], extra: Partial<TaskDefinitionShape> = {}): TaskDefinitionShape {
  const revision = (revisions.get(family) ?? 0) + 1
  revisions.set(family, revision)
  const definition: TaskDefinitionShape = {
    taskDefinitionArn: arns.ecs.taskDefinition(engine.partition, family, revision), family, revision, status: 'ACTIVE',
    containerDefinitions: containers.map((c) => ({ essential: true, ...c })),
    networkMode: 'bridge', requiresCompatibilities: ['EC2'], compatibilities: ['EC2'], ...extra
  }
  engine.store.transaction((tx) => tx.put(TASK_DEFINITIONS, `${family}:${String(revision).padStart(8, '0')}`, { taskDefinition: definition }, 0))
  return definition
}

export function resetRevisions(): void {
  revisions = new Map()
}

/** A Fargate definition: awsvpc, task-level cpu and memory. */
export function fargateDefinition(engine: Engine, family: string, containers: ContainerDefinitionShape[], cpu = '256', memory = '512'): TaskDefinitionShape {
  return seedDefinition(engine, family, containers, { networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], compatibilities: ['EC2', 'FARGATE'], cpu, memory })
}

/** Simulated work: lasts `seconds` of clock time, exits with `exit`. */
export function sim(seconds: number, exit = 0): Array<{ name: string; value: string }> {
  return [{ name: 'STRATUS_SIM_SECONDS', value: String(seconds) }, { name: 'STRATUS_SIM_EXIT', value: String(exit) }]
}

/** Lets the engine finish what is in flight without moving time. */
export async function settle(engine: Engine): Promise<void> {
  await (engine.clock as unknown as { advance(ms: number): Promise<void> }).advance(0)
}

export async function advance(engine: Engine, ms: number): Promise<void> {
  await (engine.clock as unknown as { advance(ms: number): Promise<void> }).advance(ms)
}

/** Every ECS Task State Change event, in delivery order. */
export function recordTaskEvents(engine: Engine): CloudEvent[] {
  const events: CloudEvent[] = []
  engine.events.subscribe({ source: ['aws.ecs'], 'detail-type': ['ECS Task State Change'] } as never, (e: CloudEvent) => { events.push(e) })
  return events
}

export const FARGATE_NETWORK = { awsvpcConfiguration: { subnets: ['subnet-0123456789abcdef0'], securityGroups: ['sg-0123456789abcdef0'] } }
