// Shared set-up of the ECS service tests: an engine on the manual clock with
// the simulated runner (a container lasts STRATUS_SIM_SECONDS of clock time
// and exits with STRATUS_SIM_EXIT), clusters and container instances made
// through their API (CreateCluster, RegisterContainerInstance,
// UpdateContainerInstancesState), task definitions by RegisterTaskDefinition.
// Not a test file.
import { Engine, type EngineOptions } from '../../../runtime/engine.js'
import { TASKS, type TaskRecord } from '../../../runtime/ecs/records.js'
import type { CloudEvent } from '../../../runtime/events/bus.js'

/** An engine whose clusters get no container instances of their own: the tests register theirs. */
export async function simulatedEngine(options: EngineOptions = {}): Promise<Engine> {
  return Engine.start({ clock: 'manual', runner: 'simulated', ecs: { defaultInstances: { count: 0, instanceType: 'm5.xlarge' } }, ...options })
}

export interface InstanceSeed { vcpus: number; memory: number; attributes?: Record<string, string> }

/** CreateCluster, then RegisterContainerInstance for each instance; their ARNs. */
export async function createCluster(engine: Engine, name: string, instances: InstanceSeed[] = [{ vcpus: 4, memory: 16384 }]): Promise<string[]> {
  await engine.ecs.createCluster({ clusterName: name })
  const arns: string[] = []
  for (const i of instances) arns.push(await addInstance(engine, name, i))
  return arns
}

/** A container instance joining: RegisterContainerInstance with its resources and attributes. */
export async function addInstance(engine: Engine, cluster: string, i: InstanceSeed): Promise<string> {
  const { containerInstance } = await engine.ecs.registerContainerInstance({
    cluster,
    totalResources: [{ name: 'CPU', type: 'INTEGER', integerValue: i.vcpus * 1024 }, { name: 'MEMORY', type: 'INTEGER', integerValue: i.memory }],
    attributes: Object.entries(i.attributes ?? {}).map(([name, value]) => ({ name, value }))
  } as never)
  return String(containerInstance!.containerInstanceArn)
}

export async function setInstanceStatus(engine: Engine, cluster: string, arn: string, status: 'ACTIVE' | 'DRAINING'): Promise<void> {
  const { failures } = await engine.ecs.updateContainerInstancesState({ cluster, containerInstances: [arn], status } as never)
  if ((failures ?? []).length > 0) throw new Error(`UpdateContainerInstancesState: ${JSON.stringify(failures)}`)
}

/** RegisterTaskDefinition (the next revision of its family): one essential container `app`; its ARN. */
export async function seedDefinition(engine: Engine, family: string, container: Record<string, unknown>): Promise<string> {
  const { taskDefinition } = await engine.ecs.registerTaskDefinition({
    family, networkMode: 'bridge', requiresCompatibilities: ['EC2'],
    containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 256, memory: 256, essential: true, ...container }]
  } as never)
  return String(taskDefinition!.taskDefinitionArn)
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
