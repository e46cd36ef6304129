// The ECS part of the SDK: `cloud.ecs.cluster('web')` → a handle that
// creates the cluster, runs tasks and creates services in it;
// `cloud.ecs.taskDefinition('app').container(...).register()`. Over the ECS
// service interface (services.ts EcsService): the engine in this process, or
// the ECS API of a remote one — the same code runs on both.

import { InvalidArgumentError, NotFoundError } from '../runtime/index.js'
import type { EcsService } from './services.js'
import { TaskDefinitionBuilder, type TaskDefinitionHandle } from './ecs-task-definitions.js'
import { ServiceBuilder, ServiceHandle } from './ecs-services.js'
import { Task } from './ecs-tasks.js'

export { TaskDefinitionBuilder, TaskDefinitionHandle, type ContainerDefinitionFields } from './ecs-task-definitions.js'
export { ServiceBuilder, ServiceHandle } from './ecs-services.js'
export { TaskSetBuilder, TaskSetHandle } from './ecs-task-sets.js'
export { Task, type TaskLogLine } from './ecs-tasks.js'
export type { WaitOptions } from './ecs-wait.js'

type Shape = Record<string, any>

export interface RunTaskOptions {
  /** 1–10 (default 1). */
  count?: number
  launchType?: 'EC2' | 'FARGATE' | 'EXTERNAL'
  enableExecuteCommand?: boolean
  /** Per container: command, environment, cpu, memory (RunTask's overrides.containerOverrides). */
  overrides?: Shape
  startedBy?: string
  group?: string
  placementConstraints?: Array<{ type: string; expression?: string }>
  placementStrategy?: Array<{ type: string; field?: string }>
  capacityProviderStrategy?: Array<{ capacityProvider: string; weight?: number; base?: number }>
  networkConfiguration?: Shape
  tags?: Array<{ key: string; value: string }>
}

export class ClusterHandle implements AsyncDisposable {
  readonly name: string
  readonly #ecs: EcsService

  constructor(ecs: EcsService, name: string) {
    this.#ecs = ecs
    this.name = name
  }

  /** CreateCluster (it gets its own container instances, as the engine is configured); resolves with this handle. */
  async create(options: { tags?: Array<{ key: string; value: string }>; settings?: Shape[]; capacityProviders?: string[]; defaultCapacityProviderStrategy?: Shape[] } = {}): Promise<ClusterHandle> {
    await this.#ecs.createCluster({ clusterName: this.name, ...options } as never)
    return this
  }

  /** DescribeClusters' Cluster shape with its counts (and statistics, tags, settings). */
  async describe(): Promise<Shape> {
    const { clusters } = await this.#ecs.describeClusters({ clusters: [this.name], include: ['STATISTICS', 'TAGS', 'SETTINGS'] } as never) as Shape
    const cluster = Array.isArray(clusters) ? clusters.find((c: Shape) => c.status !== 'INACTIVE') : undefined
    if (cluster === undefined) throw new NotFoundError('ClusterNotFoundException', `cluster ${this.name} does not exist`, { field: 'cluster' })
    return cluster as Shape
  }

  /** A builder for a task definition family (task definitions are not per cluster; here for convenience). */
  taskDefinition(family: string): TaskDefinitionBuilder {
    return new TaskDefinitionBuilder(this.#ecs, { family, containers: [], fields: {} })
  }

  /** RunTask; every task asked for, or an error naming each failure's reason (RESOURCE:CPU, …) — tasks that did start are in its message. */
  async runTask(def: TaskDefinitionHandle | string, options: RunTaskOptions = {}): Promise<Task[]> {
    const { tasks, failures } = await this.#ecs.runTask({ cluster: this.name, taskDefinition: typeof def === 'string' ? def : def.arn, ...options } as never) as Shape
    const started = ((tasks ?? []) as Shape[]).map((t) => new Task(this.#ecs, this.name, String(t.taskArn)))
    if (Array.isArray(failures) && failures.length > 0) {
      const reasons = failures.map((f: Shape) => `${String(f.reason)}${f.detail ? ` (${String(f.detail)})` : ''}`).join(', ')
      throw new InvalidArgumentError('RunTaskFailures', `RunTask placed ${started.length} of ${options.count ?? 1} tasks: ${reasons}${started.length > 0 ? `; started ${started.map((t) => t.id).join(', ')}` : ''}`, { field: 'taskDefinition' })
    }
    return started
  }

  /** A handle on a task of this cluster (ARN or id). */
  task(taskArnOrId: string): Task {
    return new Task(this.#ecs, this.name, taskArnOrId)
  }

  /** Its tasks (RUNNING by default), every page. */
  async tasks(filter: { desiredStatus?: 'RUNNING' | 'PENDING' | 'STOPPED'; family?: string; startedBy?: string } = {}): Promise<Task[]> {
    const arns: string[] = []
    let nextToken: string | undefined
    do {
      const page = await this.#ecs.listTasks({ cluster: this.name, ...filter, ...(nextToken !== undefined ? { nextToken } : {}) } as never) as Shape
      arns.push(...((page.taskArns ?? []) as string[]))
      nextToken = page.nextToken as string | undefined
    } while (nextToken !== undefined)
    return arns.map((arn) => new Task(this.#ecs, this.name, arn))
  }

  /** A builder for a service of this cluster. */
  service(name: string): ServiceBuilder {
    return new ServiceBuilder(this.#ecs, { cluster: this.name, name, fields: {} })
  }

  /** A handle on an existing service. */
  async serviceByName(name: string): Promise<ServiceHandle> {
    const { services } = await this.#ecs.describeServices({ cluster: this.name, services: [name] }) as Shape
    const service = Array.isArray(services) ? services[0] : undefined
    if (service === undefined) throw new NotFoundError('ServiceNotFoundException', `service ${name} is not in cluster ${this.name}`, { field: 'service' })
    return new ServiceHandle(this.#ecs, this.name, service as Shape)
  }

  /**
   * DeleteCluster: refused while it has active services or registered
   * container instances, with ECS's reason. With `force`, its container
   * instances (the ones it got at creation among them) are deregistered
   * first, as `aws ecs deregister-container-instance --force` would.
   */
  async delete(options: { force?: boolean } = {}): Promise<void> {
    if (options.force === true) {
      let nextToken: string | undefined
      const arns: string[] = []
      do {
        const page = await this.#ecs.listContainerInstances({ cluster: this.name, ...(nextToken !== undefined ? { nextToken } : {}) } as never) as Shape
        arns.push(...((page.containerInstanceArns ?? []) as string[]))
        nextToken = page.nextToken as string | undefined
      } while (nextToken !== undefined)
      for (const containerInstance of arns) await this.#ecs.deregisterContainerInstance({ cluster: this.name, containerInstance, force: true } as never)
    }
    await this.#ecs.deleteCluster({ cluster: this.name })
  }

  /** Disposing deletes it, deregistering its container instances (force). */
  async close(): Promise<void> {
    await this.delete({ force: true }).catch(() => {})
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

export class EcsClient {
  /** The ECS operations in AWS's shapes, and Stratus's extensions. */
  readonly service: EcsService

  constructor(service: EcsService) {
    this.service = service
  }

  /** A handle on a cluster (default: `default`); `.create()` creates it. */
  cluster(name = 'default'): ClusterHandle {
    return new ClusterHandle(this.service, name)
  }

  taskDefinition(family: string): TaskDefinitionBuilder {
    return new TaskDefinitionBuilder(this.service, { family, containers: [], fields: {} })
  }
}
