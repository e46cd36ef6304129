// Task sets in the SDK (services with the EXTERNAL deployment controller):
// `service.taskSet(def).scale(100).loadBalancer(tg, 'app', 80).create()` — an
// immutable builder — and the handle it answers: describe, scale, make it
// the primary task set, wait for its steady state, list its tasks, delete.

import { NotFoundError } from '../runtime/index.js'
import type { EcsService } from './services.js'
import { freeze, type Spec } from './spec.js'
import { Task } from './ecs-tasks.js'
import type { TaskDefinitionHandle } from './ecs-task-definitions.js'
import { waitFor, type WaitOptions } from './ecs-wait.js'

type Shape = Record<string, any>

interface TaskSetSpec {
  cluster: string
  service: string
  fields: Shape
}

export class TaskSetHandle {
  /** ecs-svc/<19 digits>: its tasks are startedBy it. */
  readonly id: string
  readonly arn: string
  readonly cluster: string
  readonly service: string
  readonly #ecs: EcsService

  constructor(ecs: EcsService, cluster: string, service: string, taskSet: Shape) {
    this.#ecs = ecs
    this.cluster = cluster
    this.service = service
    this.id = String(taskSet.id)
    this.arn = String(taskSet.taskSetArn)
  }

  #names(): { cluster: string; service: string } {
    return { cluster: this.cluster, service: this.service }
  }

  /** DescribeTaskSets' TaskSet shape (status, computedDesiredCount, counts, stabilityStatus), with its tags. */
  async describe(): Promise<Shape> {
    const { taskSets } = await this.#ecs.describeTaskSets({ ...this.#names(), taskSets: [this.arn], include: ['TAGS'] }) as Shape
    const found = Array.isArray(taskSets) ? taskSets[0] : undefined
    if (found === undefined) throw new NotFoundError('TaskSetNotFoundException', `task set ${this.id} is not in service ${this.service}`, { field: 'taskSet' })
    return found as Shape
  }

  /** UpdateTaskSet: keep `percent` (0–100) of the service's desiredCount running. */
  async scale(percent: number): Promise<Shape> {
    return (await this.#ecs.updateTaskSet({ ...this.#names(), taskSet: this.arn, scale: { value: percent, unit: 'PERCENT' } }) as Shape).taskSet as Shape
  }

  /** UpdateServicePrimaryTaskSet: this one becomes PRIMARY (the one before ACTIVE), and the service shows its members. */
  async makePrimary(): Promise<Shape> {
    return (await this.#ecs.updateServicePrimaryTaskSet({ ...this.#names(), primaryTaskSet: this.arn }) as Shape).taskSet as Shape
  }

  /** Resolves once its computedDesiredCount of tasks run, healthy and settled (stabilityStatus STEADY_STATE). */
  async waitSteady(options?: WaitOptions): Promise<Shape> {
    return waitFor(`task set ${this.id} steady`, () => this.describe(), (ts) => {
      if (ts.status === 'DRAINING') return 'it is DRAINING'
      return ts.stabilityStatus === 'STEADY_STATE' && ts.runningCount === ts.computedDesiredCount && (ts.pendingCount ?? 0) === 0
    }, options)
  }

  /** Its tasks (RUNNING by default): ListTasks startedBy its id, every page. */
  async tasks(desiredStatus: 'RUNNING' | 'PENDING' | 'STOPPED' = 'RUNNING'): Promise<Task[]> {
    const arns: string[] = []
    let nextToken: string | undefined
    do {
      const page = await this.#ecs.listTasks({ cluster: this.cluster, startedBy: this.id, desiredStatus, ...(nextToken !== undefined ? { nextToken } : {}) } as never) as Shape
      arns.push(...((page.taskArns ?? []) as string[]))
      nextToken = page.nextToken as string | undefined
    } while (nextToken !== undefined)
    return arns.map((arn) => new Task(this.#ecs, this.cluster, arn))
  }

  /**
   * DeleteTaskSet: DRAINING until its tasks are drained and stopped, then gone.
   * `force` deletes a PRIMARY one or one not scaled to 0; `wait` resolves once it is gone.
   */
  async delete(options: { force?: boolean; wait?: boolean } & WaitOptions = {}): Promise<Shape> {
    const { taskSet } = await this.#ecs.deleteTaskSet({ ...this.#names(), taskSet: this.arn, ...(options.force !== undefined ? { force: options.force } : {}) }) as Shape
    if (options.wait === true) {
      await waitFor(`task set ${this.id} deleted`, async () => (await this.#ecs.describeTaskSets({ ...this.#names(), taskSets: [this.arn] }) as Shape).taskSets as Shape[], (sets) => sets.length === 0, options)
    }
    return taskSet as Shape
  }
}

export class TaskSetBuilder {
  readonly #ecs: EcsService
  readonly #spec: Spec<TaskSetSpec>

  constructor(ecs: EcsService, spec: TaskSetSpec) {
    this.#ecs = ecs
    this.#spec = freeze(spec)
  }

  #field(name: string, value: unknown): TaskSetBuilder {
    return new TaskSetBuilder(this.#ecs, { ...structuredClone(this.#spec) as TaskSetSpec, fields: { ...structuredClone(this.#spec.fields), [name]: value } })
  }

  /** The task definition its tasks run (a handle, family, family:revision or ARN). */
  taskDefinition(def: TaskDefinitionHandle | string): TaskSetBuilder {
    return this.#field('taskDefinition', typeof def === 'string' ? def : def.arn)
  }

  /** The percentage (0–100) of the service's desiredCount it keeps running (default 0). */
  scale(percent: number): TaskSetBuilder {
    return this.#field('scale', { value: percent, unit: 'PERCENT' })
  }

  /** The target group its tasks join (one per task set). */
  loadBalancer(targetGroupArn: string, containerName: string, containerPort: number): TaskSetBuilder {
    return this.#field('loadBalancers', [{ targetGroupArn, containerName, containerPort }])
  }

  /** An id of the deployment system that made it (the task set's externalId). */
  externalId(id: string): TaskSetBuilder {
    return this.#field('externalId', id)
  }

  launchType(launchType: 'EC2' | 'FARGATE'): TaskSetBuilder {
    return this.#field('launchType', launchType)
  }

  /** Any other CreateTaskSet member (networkConfiguration, capacityProviderStrategy, platformVersion, clientToken, tags…). */
  set(member: string, value: unknown): TaskSetBuilder {
    return this.#field(member, value)
  }

  toInput(): Shape {
    return { cluster: this.#spec.cluster, service: this.#spec.service, ...structuredClone(this.#spec.fields) }
  }

  /** CreateTaskSet; resolves with the handle at once (`waitSteady()` waits for its tasks). */
  async create(): Promise<TaskSetHandle> {
    const { taskSet } = await this.#ecs.createTaskSet(this.toInput() as never) as Shape
    return new TaskSetHandle(this.#ecs, this.#spec.cluster, this.#spec.service, taskSet as Shape)
  }
}
