// DescribeTasks (up to 100, failures MISSING, tags with include TAGS) and
// ListTasks (filters as ECS has them, desiredStatus RUNNING by default, pages
// of up to 100 resuming after the last task id with a signed token).

import type { EcsContext } from './context.js'
import { invalidParameter } from './errors.js'
import { getCluster } from './clusters.js'
import { TASKS } from './records.js'
import type { DescribeTasksRequest, DescribeTasksResponse, Failure, ListTasksRequest, ListTasksResponse, Task } from './model-tasks.js'
import { taskIdOf, type EcsTaskRecord } from './task-lifecycle.js'

export function describeTasks(ctx: EcsContext, input: DescribeTasksRequest): DescribeTasksResponse {
  if (!Array.isArray(input?.tasks) || input.tasks.length === 0) throw invalidParameter('tasks', 'Tasks cannot be empty.', 100)
  if (input.tasks.length > 100) throw invalidParameter('tasks', 'Tasks can have at most 100 items.', 100)
  if (input.tasks.some((t) => typeof t !== 'string' || t.length === 0)) throw invalidParameter('tasks', 'Each task must be a task id or ARN.')
  if (input.include !== undefined && (!Array.isArray(input.include) || input.include.some((i) => i !== 'TAGS'))) throw invalidParameter('include', 'include can only contain TAGS.')
  const cluster = String(getCluster(ctx, input.cluster, 'cluster').cluster.clusterName)
  const withTags = input.include?.includes('TAGS') === true
  const tasks: Task[] = []
  const failures: Failure[] = []
  for (const ref of input.tasks) {
    const record = ctx.store.get<EcsTaskRecord>(TASKS, taskIdOf(ref))?.value
    if (record === undefined || record.clusterName !== cluster) {
      failures.push({ arn: ref, reason: 'MISSING' })
      continue
    }
    tasks.push(shown(record.task, withTags))
  }
  return { tasks, failures }
}

/** A task as Describe shows it: tags only when asked for. */
function shown(task: Task, withTags: boolean): Task {
  if (withTags) return task
  const { tags: _tags, ...rest } = task
  void _tags
  return rest
}

const LAUNCH_TYPES = new Set(['EC2', 'FARGATE', 'EXTERNAL'])

export function listTasks(ctx: EcsContext, input: ListTasksRequest = {}): ListTasksResponse {
  const max = input.maxResults ?? 100
  if (!Number.isInteger(max) || max < 1 || max > 100) throw invalidParameter('maxResults', 'maxResults must be an integer from 1 to 100.', 100)
  const desired = input.desiredStatus ?? 'RUNNING'
  if (desired !== 'RUNNING' && desired !== 'STOPPED' && desired !== 'PENDING') throw invalidParameter('desiredStatus', 'desiredStatus must be RUNNING, PENDING or STOPPED.')
  if (input.launchType !== undefined && !LAUNCH_TYPES.has(input.launchType)) throw invalidParameter('launchType', 'launchType must be EC2, FARGATE or EXTERNAL.')
  for (const key of ['family', 'serviceName', 'containerInstance', 'startedBy'] as const) {
    const v = input[key]
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) throw invalidParameter(key, `${key} must be a non-empty string.`)
  }
  if (input.startedBy !== undefined && input.startedBy.length > 128) throw invalidParameter('startedBy', 'startedBy can be at most 128 characters.', 128)
  const cluster = String(getCluster(ctx, input.cluster, 'cluster').cluster.clusterName)
  const scope = JSON.stringify(['ListTasks', cluster, input.family, input.serviceName, input.containerInstance, input.startedBy, desired, input.launchType, max])
  const after = input.nextToken === undefined ? undefined : ctx.tokens.read(input.nextToken, scope, { code: 'InvalidParameterException' })
  const instance = input.containerInstance
  const records = input.serviceName !== undefined
    ? ctx.store.scan<EcsTaskRecord>(TASKS, { index: { name: 'service', value: `${cluster}/${input.serviceName}` } })
    : ctx.store.scan<EcsTaskRecord>(TASKS, { index: { name: 'cluster', value: cluster } })
  const matching = records.map((r) => r.value).filter((r) => {
    const t = r.task
    // PENDING lists the tasks not running yet (desired RUNNING); RUNNING every task still desired to run.
    if (desired === 'STOPPED' ? t.desiredStatus !== 'STOPPED' : t.desiredStatus === 'STOPPED') return false
    if (desired === 'PENDING' && t.lastStatus === 'RUNNING') return false
    if (input.family !== undefined && familyOf(t.taskDefinitionArn) !== input.family) return false
    if (input.startedBy !== undefined && t.startedBy !== input.startedBy) return false
    if (input.launchType !== undefined && t.launchType !== input.launchType) return false
    if (instance !== undefined && t.containerInstanceArn !== instance && !t.containerInstanceArn?.endsWith(`/${instance}`)) return false
    return after === undefined || r.taskId > after
  }).sort((a, b) => (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0))
  const page = matching.slice(0, max)
  return {
    taskArns: page.map((r) => r.task.taskArn!),
    ...(matching.length > max ? { nextToken: ctx.tokens.issue(scope, page[page.length - 1].taskId) } : {})
  }
}

function familyOf(definitionArn: string | undefined): string | undefined {
  const m = /task-definition\/([^:]+):\d+$/.exec(definitionArn ?? '')
  return m?.[1]
}
