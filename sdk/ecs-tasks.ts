// ECS tasks in the SDK: a handle on one task — describe, wait for RUNNING or
// STOPPED, stop, run a command in it (ECS Exec, `exec()` to its end or
// `shell()` as a stream), read its awslogs output.

import { NotFoundError, InvalidArgumentError } from '../runtime/index.js'
import { openExecStream, type ExecStream, type ExecStreamOptions } from '../runtime/ecs/exec-stream.js'
import type { EcsService } from './services.js'
import { waitFor, type WaitOptions } from './ecs-wait.js'

type Shape = Record<string, any>

export interface TaskLogLine {
  container: string
  /** Epoch ms. */
  timestamp: number
  message: string
}

export class Task implements AsyncDisposable {
  readonly arn: string
  /** The 32-hex-digit id at the end of the ARN. */
  readonly id: string
  readonly cluster: string
  readonly #ecs: EcsService

  constructor(ecs: EcsService, cluster: string, taskArn: string) {
    this.#ecs = ecs
    this.cluster = cluster
    this.arn = taskArn
    this.id = taskArn.slice(taskArn.lastIndexOf('/') + 1)
  }

  /** DescribeTasks' Task shape, now. */
  async describe(): Promise<Shape> {
    const { tasks } = await this.#ecs.describeTasks({ cluster: this.cluster, tasks: [this.arn] }) as Shape
    const task = Array.isArray(tasks) ? tasks[0] : undefined
    if (task === undefined) throw new NotFoundError('ClientException', `task ${this.id} is not in cluster ${this.cluster} (stopped tasks are kept an hour)`, { field: 'task' })
    return task as Shape
  }

  /** Resolves once the task is RUNNING; fails if it stops first. */
  async waitRunning(options?: WaitOptions): Promise<Shape> {
    return waitFor(`task ${this.id} RUNNING`, () => this.describe(), (t) => t.lastStatus === 'RUNNING' ||
      (t.lastStatus === 'STOPPED' || t.desiredStatus === 'STOPPED' ? `it stopped (${String(t.stopCode ?? '')}: ${String(t.stoppedReason ?? '')})` : false), options)
  }

  /** Resolves with the task once it is STOPPED (its containers' exit codes and the stop code are final). */
  async waitStopped(options?: WaitOptions): Promise<Shape> {
    return waitFor(`task ${this.id} STOPPED`, () => this.describe(), (t) => t.lastStatus === 'STOPPED', options)
  }

  /** StopTask (stopCode UserInitiated); resolves with the task as StopTask answers it. */
  async stop(reason = 'Stopped by the Stratus SDK'): Promise<Shape> {
    return (await this.#ecs.stopTask({ cluster: this.cluster, task: this.arn, reason }) as Shape).task as Shape
  }

  /**
   * Runs a command (by /bin/sh -c) in a container of the running task to its
   * end: its output (stdout and stderr) and exit code. The task must have been
   * run with enableExecuteCommand; `container` is needed when it has several.
   */
  async exec(command: string, options: { container?: string } = {}): Promise<{ output: string; exitCode: number }> {
    const { output, exitCode } = await this.#ecs.execCommand({ cluster: this.cluster, task: this.arn, command, ...(options.container !== undefined ? { container: options.container } : {}) })
    return { output, exitCode }
  }

  /** An interactive session (ExecuteCommand and its WebSocket stream): write stdin, read output, await the exit code. */
  async shell(command = 'sh', options: ExecStreamOptions & { container?: string } = {}): Promise<ExecStream> {
    const { container, ...stream } = options
    const answer = await this.#ecs.executeCommand({ cluster: this.cluster, task: this.arn, command, interactive: true, ...(container !== undefined ? { container } : {}) })
    const session = answer.session
    if (session?.streamUrl === undefined || session.tokenValue === undefined) throw new InvalidArgumentError('NoSession', 'ExecuteCommand answered no session', { field: 'session' })
    const credentials = stream.credentials ?? this.#ecs.execCredentials
    return openExecStream(session.streamUrl, session.tokenValue, { ...stream, ...(credentials !== undefined ? { credentials } : {}) })
  }

  /**
   * Its containers' awslogs output, in order per container (the streams
   * `<prefix>/<container>/<task id>` of their task definition's log configuration).
   * Containers without awslogs have none here.
   */
  async logs(options: { container?: string } = {}): Promise<TaskLogLine[]> {
    const task = await this.describe()
    const { taskDefinition } = await this.#ecs.describeTaskDefinition({ taskDefinition: String(task.taskDefinitionArn) }) as Shape
    const lines: TaskLogLine[] = []
    for (const definition of (taskDefinition?.containerDefinitions ?? []) as Shape[]) {
      if (options.container !== undefined && definition.name !== options.container) continue
      const log = definition.logConfiguration as Shape | undefined
      const group = log?.options?.['awslogs-group']
      const prefix = log?.options?.['awslogs-stream-prefix']
      if (log?.logDriver !== 'awslogs' || typeof group !== 'string') continue
      const stream = typeof prefix === 'string' && prefix !== '' ? `${prefix}/${String(definition.name)}/${this.id}` : `${String(definition.name)}/${this.id}`
      let nextToken: string | undefined
      for (;;) {
        const page = await this.#ecs.getLogEvents({ logGroupName: group, logStreamName: stream, startFromHead: true, ...(nextToken !== undefined ? { nextToken } : {}) } as never).catch((error: unknown) => {
          if (error instanceof NotFoundError || (error as { code?: string }).code === 'ResourceNotFoundException') return undefined
          throw error
        })
        if (page === undefined || page.events.length === 0) break
        for (const e of page.events) lines.push({ container: String(definition.name), timestamp: e.timestamp, message: e.message })
        if (page.nextForwardToken === nextToken) break
        nextToken = page.nextForwardToken
      }
    }
    return lines
  }

  /** What it has cost so far (USD, the seed's prices per vCPU-second and GB-second, from image pull until it stopped or now). */
  async cost(): Promise<{ usd: number; seconds: number; vcpu: number; memoryGiB: number }> {
    const { usd, seconds, vcpu, memoryGiB } = await this.#ecs.taskCost({ cluster: this.cluster, task: this.arn })
    return { usd, seconds, vcpu, memoryGiB }
  }

  /** Disposing stops the task (when it still runs). */
  async close(): Promise<void> {
    const task = await this.describe().catch(() => undefined)
    if (task !== undefined && task.lastStatus !== 'STOPPED' && task.desiredStatus !== 'STOPPED') await this.stop('Disposed').catch(() => {})
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
