// ECS task definitions in the SDK: `cloud.ecs.taskDefinition('app')
// .container('web', { image, portMappings }).cpu('256').memory('512').register()`
// — an immutable builder (each call a new one) whose register() answers a
// handle on the revision it registered.

import type { EcsService } from './services.js'
import { freeze, type Spec } from './spec.js'

type Shape = Record<string, any>

/** A container definition as RegisterTaskDefinition takes it, without its name (given beside it). */
export type ContainerDefinitionFields = Shape & { image: string }

interface DefinitionSpec {
  family: string
  containers: Shape[]
  fields: Shape
}

export class TaskDefinitionHandle implements AsyncDisposable {
  /** task-definition/<family>:<revision> */
  readonly arn: string
  readonly family: string
  readonly revision: number
  readonly #ecs: EcsService

  constructor(ecs: EcsService, definition: Shape) {
    this.#ecs = ecs
    this.arn = String(definition.taskDefinitionArn)
    this.family = String(definition.family)
    this.revision = Number(definition.revision)
  }

  /** family:revision (what RunTask and services accept). */
  get name(): string {
    return `${this.family}:${this.revision}`
  }

  async describe(): Promise<Shape> {
    return (await this.#ecs.describeTaskDefinition({ taskDefinition: this.arn })).taskDefinition as Shape
  }

  /** INACTIVE: no new tasks or services from it; running tasks keep running. */
  async deregister(): Promise<void> {
    await this.#ecs.deregisterTaskDefinition({ taskDefinition: this.arn })
  }

  async close(): Promise<void> {
    await this.deregister().catch(() => {})
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

export class TaskDefinitionBuilder {
  readonly #ecs: EcsService
  readonly #spec: Spec<DefinitionSpec>

  constructor(ecs: EcsService, spec: DefinitionSpec) {
    this.#ecs = ecs
    this.#spec = freeze(spec)
  }

  #with(change: Partial<DefinitionSpec>): TaskDefinitionBuilder {
    return new TaskDefinitionBuilder(this.#ecs, { ...structuredClone(this.#spec) as DefinitionSpec, ...change })
  }

  #field(name: string, value: unknown): TaskDefinitionBuilder {
    return this.#with({ fields: { ...this.#spec.fields, [name]: value } })
  }

  /** Adds a container (RegisterTaskDefinition's containerDefinitions entry; `essential` defaults to true, as in ECS). */
  container(name: string, fields: ContainerDefinitionFields): TaskDefinitionBuilder {
    return this.#with({ containers: [...this.#spec.containers, { name, ...fields }] })
  }

  /** Task-level CPU units (`'256'`, `'1 vCPU'`): required for Fargate. */
  cpu(units: string | number): TaskDefinitionBuilder {
    return this.#field('cpu', String(units))
  }

  /** Task-level memory (MiB, or `'1 GB'`): required for Fargate. */
  memory(mib: string | number): TaskDefinitionBuilder {
    return this.#field('memory', String(mib))
  }

  networkMode(mode: 'bridge' | 'host' | 'awsvpc' | 'none'): TaskDefinitionBuilder {
    return this.#field('networkMode', mode)
  }

  /** EC2, FARGATE (checked at registration: Fargate needs awsvpc and one of its cpu/memory combinations). */
  compatibilities(...launchTypes: Array<'EC2' | 'FARGATE' | 'EXTERNAL'>): TaskDefinitionBuilder {
    return this.#field('requiresCompatibilities', launchTypes)
  }

  /** Fargate on awsvpc with this task size: the usual Fargate definition in one call. */
  fargate(cpu: string | number, memory: string | number): TaskDefinitionBuilder {
    return this.compatibilities('FARGATE').networkMode('awsvpc').cpu(cpu).memory(memory)
  }

  /** Any other RegisterTaskDefinition member (volumes, taskRoleArn, ephemeralStorage, tags…). */
  set(member: string, value: unknown): TaskDefinitionBuilder {
    return this.#field(member, value)
  }

  /** What register() sends. */
  toInput(): Shape {
    return { family: this.#spec.family, containerDefinitions: structuredClone(this.#spec.containers), ...structuredClone(this.#spec.fields) }
  }

  /** Registers a new revision of the family. */
  async register(): Promise<TaskDefinitionHandle> {
    const { taskDefinition } = await this.#ecs.registerTaskDefinition(this.toInput() as never) as Shape
    return new TaskDefinitionHandle(this.#ecs, taskDefinition as Shape)
  }
}
