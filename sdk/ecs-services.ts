// ECS services in the SDK: `cluster.service('web').taskDefinition(def)
// .desiredCount(3).create()` — an immutable builder — and the handle it
// answers: describe, scale, deploy a new revision, wait for a steady state,
// list its tasks, delete.

import { NotFoundError } from '../runtime/index.js'
import type { EcsService } from './services.js'
import { freeze, type Spec } from './spec.js'
import { Task } from './ecs-tasks.js'
import type { TaskDefinitionHandle } from './ecs-task-definitions.js'
import { waitFor, type WaitOptions } from './ecs-wait.js'
import { TaskSetBuilder, TaskSetHandle } from './ecs-task-sets.js'

type Shape = Record<string, any>

interface ServiceSpec {
  cluster: string
  name: string
  fields: Shape
}

function definitionName(def: TaskDefinitionHandle | string): string {
  return typeof def === 'string' ? def : def.arn
}

export class ServiceHandle implements AsyncDisposable {
  readonly name: string
  readonly cluster: string
  readonly arn: string
  readonly #ecs: EcsService

  constructor(ecs: EcsService, cluster: string, service: Shape) {
    this.#ecs = ecs
    this.cluster = cluster
    this.name = String(service.serviceName)
    this.arn = String(service.serviceArn)
  }

  /** DescribeServices' Service shape (deployments, events, counts), now. */
  async describe(): Promise<Shape> {
    const { services } = await this.#ecs.describeServices({ cluster: this.cluster, services: [this.name] }) as Shape
    const service = Array.isArray(services) ? services[0] : undefined
    if (service === undefined) throw new NotFoundError('ServiceNotFoundException', `service ${this.name} is not in cluster ${this.cluster}`, { field: 'service' })
    return service as Shape
  }

  /** UpdateService with any of its members (desiredCount, taskDefinition, forceNewDeployment, deploymentConfiguration…). */
  async update(change: Shape): Promise<Shape> {
    return (await this.#ecs.updateService({ cluster: this.cluster, service: this.name, ...change } as never) as Shape).service as Shape
  }

  async scale(desiredCount: number): Promise<Shape> {
    return this.update({ desiredCount })
  }

  /** A rolling deployment to another task definition (revision). */
  async deploy(def: TaskDefinitionHandle | string): Promise<Shape> {
    return this.update({ taskDefinition: definitionName(def) })
  }

  /**
   * Resolves once the service is steady: one deployment (PRIMARY, rollout
   * COMPLETED) with runningCount equal to desiredCount. Fails when the
   * deployment FAILED (the circuit breaker) or the service is no longer ACTIVE.
   */
  async waitSteady(options?: WaitOptions): Promise<Shape> {
    return waitFor(`service ${this.name} steady`, () => this.describe(), (s) => {
      if (s.status !== undefined && s.status !== 'ACTIVE') return `it is ${String(s.status)}`
      // EXTERNAL controller: steady when every task set is (none draining).
      if (s.deploymentController?.type === 'EXTERNAL') return ((s.taskSets ?? []) as Shape[]).every((ts) => ts.stabilityStatus === 'STEADY_STATE' && ts.status !== 'DRAINING')
      const deployments = (s.deployments ?? []) as Shape[]
      const primary = deployments.find((d) => d.status === 'PRIMARY')
      if (primary?.rolloutState === 'FAILED') return `its deployment failed: ${String(primary.rolloutStateReason ?? '')}`
      return deployments.length === 1 && (primary?.rolloutState === undefined || primary.rolloutState === 'COMPLETED') &&
        s.runningCount === s.desiredCount && (s.pendingCount ?? 0) === 0
    }, options)
  }

  /** Its tasks (RUNNING by default, as ListTasks does), every page. */
  async tasks(desiredStatus: 'RUNNING' | 'PENDING' | 'STOPPED' = 'RUNNING'): Promise<Task[]> {
    const arns: string[] = []
    let nextToken: string | undefined
    do {
      const page = await this.#ecs.listTasks({ cluster: this.cluster, serviceName: this.name, desiredStatus, ...(nextToken !== undefined ? { nextToken } : {}) } as never) as Shape
      arns.push(...((page.taskArns ?? []) as string[]))
      nextToken = page.nextToken as string | undefined
    } while (nextToken !== undefined)
    return arns.map((arn) => new Task(this.#ecs, this.cluster, arn))
  }

  /** A builder for a task set of this service (the EXTERNAL deployment controller). */
  taskSet(def: TaskDefinitionHandle | string): TaskSetBuilder {
    return new TaskSetBuilder(this.#ecs, { cluster: this.cluster, service: this.name, fields: { taskDefinition: definitionName(def) } })
  }

  /** Its task sets (DescribeTaskSets), PRIMARY, ACTIVE and DRAINING ones. */
  async taskSets(): Promise<TaskSetHandle[]> {
    const { taskSets } = await this.#ecs.describeTaskSets({ cluster: this.cluster, service: this.name }) as Shape
    return ((taskSets ?? []) as Shape[]).map((ts) => new TaskSetHandle(this.#ecs, this.cluster, this.name, ts))
  }

  /** ListServiceDeployments: its deployments, newest first (status IN_PROGRESS, SUCCESSFUL, ROLLBACK_SUCCESSFUL …), every page. */
  async deployments(status?: string[]): Promise<Shape[]> {
    const out: Shape[] = []
    let nextToken: string | undefined
    do {
      const page = await this.#ecs.listServiceDeployments({ cluster: this.cluster, service: this.name, ...(status !== undefined ? { status } : {}), ...(nextToken !== undefined ? { nextToken } : {}) } as never) as Shape
      out.push(...((page.serviceDeployments ?? []) as Shape[]))
      nextToken = page.nextToken as string | undefined
    } while (nextToken !== undefined)
    return out
  }

  /**
   * StopServiceDeployment of the deployment in progress: ROLLBACK (default)
   * goes back to the last completed revision (blue/green: traffic back to
   * blue), ABORT fails it where it is. Its ARN.
   */
  async stopDeployment(stopType: 'ROLLBACK' | 'ABORT' = 'ROLLBACK'): Promise<string> {
    const [current] = await this.deployments(['IN_PROGRESS'])
    if (current === undefined) throw new NotFoundError('ServiceDeploymentNotFoundException', `service ${this.name} has no deployment in progress`, { field: 'serviceDeploymentArn' })
    const { serviceDeploymentArn } = await this.#ecs.stopServiceDeployment({ serviceDeploymentArn: String(current.serviceDeploymentArn), stopType } as never) as Shape
    return String(serviceDeploymentArn)
  }

  /** What its tasks have cost (USD): the sum over those it runs and those it stopped that are still kept (an hour). */
  async cost(): Promise<{ usd: number; tasks: number }> {
    const { usd, tasks } = await this.#ecs.serviceCost({ cluster: this.cluster, service: this.name })
    return { usd, tasks }
  }

  /** DeleteService with force: scaled to 0 and deleted; resolves once it is INACTIVE (its tasks stopped: DRAINING no longer holds the cluster). */
  async delete(options?: WaitOptions): Promise<void> {
    await this.#ecs.deleteService({ cluster: this.cluster, service: this.name, force: true } as never)
    await waitFor(`service ${this.name} INACTIVE`, () => this.describe().catch((error: unknown) => {
      if (error instanceof NotFoundError || (error as { code?: string }).code === 'ServiceNotFoundException') return { status: 'INACTIVE' }
      throw error
    }), (s) => s.status === 'INACTIVE', options)
  }

  async close(): Promise<void> {
    await this.delete().catch(() => {})
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

export class ServiceBuilder {
  readonly #ecs: EcsService
  readonly #spec: Spec<ServiceSpec>

  constructor(ecs: EcsService, spec: ServiceSpec) {
    this.#ecs = ecs
    this.#spec = freeze(spec)
  }

  #field(name: string, value: unknown): ServiceBuilder {
    return new ServiceBuilder(this.#ecs, { ...structuredClone(this.#spec) as ServiceSpec, fields: { ...structuredClone(this.#spec.fields), [name]: value } })
  }

  taskDefinition(def: TaskDefinitionHandle | string): ServiceBuilder {
    return this.#field('taskDefinition', definitionName(def))
  }

  desiredCount(n: number): ServiceBuilder {
    return this.#field('desiredCount', n)
  }

  launchType(launchType: 'EC2' | 'FARGATE' | 'EXTERNAL'): ServiceBuilder {
    return this.#field('launchType', launchType)
  }

  /** ECS (default: rolling and blue/green deployments) or EXTERNAL (task sets: no task definition here, `handle.taskSet(def)`). */
  deploymentController(type: 'ECS' | 'EXTERNAL'): ServiceBuilder {
    return this.#field('deploymentController', { type })
  }

  /** REPLICA (default) or DAEMON (one task per active container instance). */
  schedulingStrategy(strategy: 'REPLICA' | 'DAEMON'): ServiceBuilder {
    return this.#field('schedulingStrategy', strategy)
  }

  /**
   * minimumHealthyPercent / maximumPercent (defaults 100 / 200), the circuit
   * breaker, and the strategy: ROLLING, or BLUE_GREEN (bakeTimeInMinutes),
   * LINEAR (linearConfiguration), CANARY (canaryConfiguration) with the
   * load balancers' advancedConfiguration.
   */
  deployment(configuration: {
    minimumHealthyPercent?: number; maximumPercent?: number; deploymentCircuitBreaker?: { enable: boolean; rollback: boolean }
    strategy?: 'ROLLING' | 'BLUE_GREEN' | 'LINEAR' | 'CANARY'; bakeTimeInMinutes?: number
    linearConfiguration?: { stepPercent?: number; stepBakeTimeInMinutes?: number }; canaryConfiguration?: { canaryPercent?: number; canaryBakeTimeInMinutes?: number }
  }): ServiceBuilder {
    return this.#field('deploymentConfiguration', configuration)
  }

  /**
   * A target group its tasks join (≤ 5): the container and port; blue/green
   * adds the alternate group, the production and test listener rules and the role.
   */
  loadBalancer(targetGroupArn: string, containerName: string, containerPort: number, advancedConfiguration?: { alternateTargetGroupArn: string; productionListenerRule: string; testListenerRule?: string; roleArn: string }): ServiceBuilder {
    const list = [...((this.#spec.fields.loadBalancers ?? []) as Shape[]), { targetGroupArn, containerName, containerPort, ...(advancedConfiguration !== undefined ? { advancedConfiguration } : {}) }]
    return this.#field('loadBalancers', list)
  }

  /** Seconds ELB health checks are ignored after a task starts (with loadBalancers only). */
  healthCheckGracePeriod(seconds: number): ServiceBuilder {
    return this.#field('healthCheckGracePeriodSeconds', seconds)
  }

  placement(options: { constraints?: Array<{ type: string; expression?: string }>; strategy?: Array<{ type: string; field?: string }> }): ServiceBuilder {
    const withConstraints = options.constraints !== undefined ? this.#field('placementConstraints', options.constraints) : this
    return options.strategy !== undefined ? withConstraints.#field('placementStrategy', options.strategy) : withConstraints
  }

  enableExecuteCommand(enable = true): ServiceBuilder {
    return this.#field('enableExecuteCommand', enable)
  }

  /** Any other CreateService member (networkConfiguration, capacityProviderStrategy, tags…). */
  set(member: string, value: unknown): ServiceBuilder {
    return this.#field(member, value)
  }

  toInput(): Shape {
    return { cluster: this.#spec.cluster, serviceName: this.#spec.name, ...structuredClone(this.#spec.fields) }
  }

  /** CreateService; resolves with the handle at once (`waitSteady()` waits for its tasks). */
  async create(): Promise<ServiceHandle> {
    const { service } = await this.#ecs.createService(this.toInput() as never) as Shape
    return new ServiceHandle(this.#ecs, this.#spec.cluster, service as Shape)
  }
}
