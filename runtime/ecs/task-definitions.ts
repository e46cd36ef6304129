// Task definitions: RegisterTaskDefinition (a new revision of the family each
// time; revisions are never reused, not even after a delete),
// DescribeTaskDefinition, ListTaskDefinitions, ListTaskDefinitionFamilies,
// DeregisterTaskDefinition (ACTIVE → INACTIVE: no new tasks or services; what
// runs keeps running) and DeleteTaskDefinitions (INACTIVE → DELETE_IN_PROGRESS,
// then gone once no live task and no service deployment uses it).
//
//   ecs:taskDefinitions        <family>:<8-digit revision>  TaskDefinitionRecord
//   ecs:taskDefinitionFamilies <family>                     { family, lastRevision }
//                              (this area's own: the revision counter outlives deletes)
//
// resolveTaskDefinition is the seam the tasks and services areas use.

import { arns, localId } from '../aws/arn.js'
import { tagsToList } from '../aws/tags.js'
import type { StoreReader, Transaction } from '../store/store.js'
import type { EcsContext } from './context.js'
import { clientException, EcsError, invalidParameter } from './errors.js'
import type {
  DeleteTaskDefinitionsRequest, DeleteTaskDefinitionsResponse, DeregisterTaskDefinitionRequest, DeregisterTaskDefinitionResponse,
  DescribeTaskDefinitionRequest, DescribeTaskDefinitionResponse, Failure, ListTaskDefinitionFamiliesRequest, ListTaskDefinitionFamiliesResponse,
  ListTaskDefinitionsRequest, ListTaskDefinitionsResponse, RegisterTaskDefinitionRequest, RegisterTaskDefinitionResponse, TaskDefinition,
  TaskDefinitionExtensions, TaskDefinitionOperations
} from './model-task-definitions.js'
import { SERVICES, TASK_DEFINITIONS, TASKS, type ServiceRecord, type TaskDefinitionRecord, type TaskRecord } from './records.js'
import { checkRegisterTaskDefinition } from './task-definition-validation.js'

export const TASK_DEFINITION_FAMILIES = 'ecs:taskDefinitionFamilies'
const MAX_DELETE = 10

interface FamilyRecord { family: string; lastRevision: number }

export function taskDefinitionKey(family: string, revision: number): string {
  return `${family}:${String(revision).padStart(8, '0')}`
}

/** family:revision of a reference (family, family:revision or an ARN of this account and region); revision undefined for a bare family. */
function parseReference(ctx: EcsContext, reference: unknown, field: string): { family: string; revision?: number } {
  if (typeof reference !== 'string' || reference.length === 0) throw clientException(field, `${field}: must name a task definition (family, family:revision or ARN)`)
  const named = localId(ctx.partition, 'ecs', 'task-definition/', reference)
  if ('refused' in named) throw clientException(field, `${field}: ${named.refused}`)
  const [family, rev, ...rest] = named.id.split(':')
  if (rest.length > 0 || (rev !== undefined && !/^[1-9]\d{0,7}$/.test(rev))) throw clientException(field, `${field}: ${reference} is not family, family:revision or a task definition ARN`)
  if (reference.startsWith('arn:') && rev === undefined) throw clientException(field, `${field}: a task definition ARN names a revision (…:task-definition/${family}:<revision>)`)
  return { family, ...(rev !== undefined ? { revision: Number(rev) } : {}) }
}

function notFound(field: string, reference: string): EcsError {
  return new EcsError('ClientException', `${field}: Unable to describe task definition ${reference}.`, { field })
}

/** The record a reference names: a bare family is its latest ACTIVE revision. Any status. */
function readTaskDefinition(ctx: EcsContext, reader: StoreReader, reference: unknown, field: string): TaskDefinitionRecord {
  const { family, revision } = parseReference(ctx, reference, field)
  if (revision !== undefined) {
    const r = reader.get<TaskDefinitionRecord>(TASK_DEFINITIONS, taskDefinitionKey(family, revision))
    if (r === undefined) throw notFound(field, String(reference))
    return r.value
  }
  const latest = reader.scan<TaskDefinitionRecord>(TASK_DEFINITIONS, { index: { name: 'family', value: family } })
    .filter((r) => r.value.taskDefinition.status === 'ACTIVE').at(-1)
  if (latest === undefined) throw notFound(field, String(reference))
  return latest.value
}

export interface ResolveOptions {
  /** Read inside this transaction (default: the committed store). */
  reader?: StoreReader
  /**
   * A service already using the revision may keep scaling with it once it is
   * INACTIVE or DELETE_IN_PROGRESS (ECS: "Existing services that reference an
   * INACTIVE task definition can still scale up or down"). RunTask,
   * CreateService and UpdateService may not.
   */
  allowInactive?: boolean
}

/**
 * family (its latest ACTIVE revision), family:revision or ARN → the record.
 * ClientException naming `field` when there is none, or when it is INACTIVE
 * or DELETE_IN_PROGRESS and the caller does not continue an existing use.
 */
export function resolveTaskDefinition(ctx: EcsContext, familyOrArn: string, field = 'taskDefinition', options: ResolveOptions = {}): TaskDefinitionRecord {
  const record = readTaskDefinition(ctx, options.reader ?? ctx.store, familyOrArn, field)
  const status = record.taskDefinition.status
  if (status !== 'ACTIVE' && !options.allowInactive) {
    throw clientException(field, `${field}: TaskDefinition is ${status === 'INACTIVE' ? 'inactive' : 'being deleted (DELETE_IN_PROGRESS)'}: ${record.taskDefinition.taskDefinitionArn}`)
  }
  return record
}

export function registerTaskDefinition(ctx: EcsContext, input: RegisterTaskDefinitionRequest): RegisterTaskDefinitionResponse {
  const { definition, tags } = checkRegisterTaskDefinition(input, ctx.partition)
  const family = definition.family!
  return ctx.store.transaction((tx) => {
    const counter = tx.get<FamilyRecord>(TASK_DEFINITION_FAMILIES, family)
    // The counter outlives deleted revisions; records written without it (a restored or seeded store) are counted too.
    const latest = tx.scan<TaskDefinitionRecord>(TASK_DEFINITIONS, { index: { name: 'family', value: family } }).at(-1)?.value.taskDefinition.revision ?? 0
    const revision = Math.max(counter?.value.lastRevision ?? 0, latest) + 1
    tx.put<FamilyRecord>(TASK_DEFINITION_FAMILIES, family, { family, lastRevision: revision }, counter?.version ?? 0)
    const taskDefinition: TaskDefinition = {
      taskDefinitionArn: arns.ecs.taskDefinition(ctx.partition, family, revision),
      ...definition,
      revision,
      status: 'ACTIVE',
      registeredAt: new Date(ctx.clock.now()),
      registeredBy: `arn:${ctx.partition.partition}:iam::${ctx.partition.accountId}:root`
    }
    const record: TaskDefinitionRecord = { taskDefinition, ...(tags && Object.keys(tags).length > 0 ? { tags: tagsToList(tags) } : {}) }
    tx.put(TASK_DEFINITIONS, taskDefinitionKey(family, revision), record, 0)
    return { taskDefinition: structuredClone(taskDefinition), tags: record.tags ? structuredClone(record.tags) : [] }
  })
}

export function describeTaskDefinition(ctx: EcsContext, input: DescribeTaskDefinitionRequest): DescribeTaskDefinitionResponse {
  const include = input?.include ?? []
  if (!Array.isArray(include) || include.some((i) => i !== 'TAGS')) throw invalidParameter('include', 'include: the only value is TAGS')
  const record = readTaskDefinition(ctx, ctx.store, input?.taskDefinition, 'taskDefinition')
  return { taskDefinition: structuredClone(record.taskDefinition), ...(include.includes('TAGS') ? { tags: structuredClone(record.tags ?? []) } : {}) }
}

function checkMaxResults(value: unknown): number {
  if (value === undefined) return 100
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 100) {
    throw invalidParameter('maxResults', `maxResults: must be an integer from 1 to 100, got ${String(value)}`, value !== undefined && Number(value) < 1 ? 1 : 100)
  }
  return value
}

function checkStatus<T extends string>(value: unknown, allowed: readonly T[], fallback: T | undefined): T | undefined {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw invalidParameter('status', `status: must be one of ${allowed.join(', ')}, got ${String(value)}`)
  return value as T
}

/** A page of `items` (sorted) after the position a token carries. */
function page<T>(ctx: EcsContext, items: T[], keyOf: (item: T) => string, after: (item: T, position: string) => boolean, max: number, scope: string, nextToken: unknown): { items: T[]; nextToken?: string } {
  let start = 0
  if (nextToken !== undefined) {
    const position = ctx.tokens.read(nextToken, scope, { code: 'InvalidParameterException' })
    start = items.findIndex((item) => after(item, position))
    if (start < 0) start = items.length
  }
  const out = items.slice(start, start + max)
  return start + max < items.length ? { items: out, nextToken: ctx.tokens.issue(scope, keyOf(out.at(-1)!)) } : { items: out }
}

export function listTaskDefinitions(ctx: EcsContext, input: ListTaskDefinitionsRequest = {}): ListTaskDefinitionsResponse {
  const max = checkMaxResults(input.maxResults)
  const status = checkStatus(input.status, ['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS'] as const, 'ACTIVE')!
  const sort = input.sort === undefined ? 'ASC' : input.sort
  if (sort !== 'ASC' && sort !== 'DESC') throw invalidParameter('sort', `sort: must be ASC or DESC, got ${String(input.sort)}`)
  const family = input.familyPrefix
  if (family !== undefined && (typeof family !== 'string' || family.length === 0)) throw invalidParameter('familyPrefix', 'familyPrefix: must be a family name')
  // ECS: familyPrefix is the full family name here (ListTaskDefinitionFamilies takes a prefix).
  const records = ctx.store.scan<TaskDefinitionRecord>(TASK_DEFINITIONS, family !== undefined ? { index: { name: 'family', value: family } } : {})
    .map((r) => r.value.taskDefinition).filter((d) => d.status === status)
  const sign = sort === 'ASC' ? 1 : -1
  const order = (a: { family: string; revision: number }, b: { family: string; revision: number }): number =>
    sign * (a.family < b.family ? -1 : a.family > b.family ? 1 : a.revision - b.revision)
  const items = records.map((d) => ({ family: d.family!, revision: d.revision!, arn: d.taskDefinitionArn! })).sort(order)
  const fromKey = (key: string): { family: string; revision: number } => {
    const at = key.lastIndexOf(':')
    return { family: key.slice(0, at), revision: Number(key.slice(at + 1)) }
  }
  const result = page(ctx, items, (i) => `${i.family}:${i.revision}`, (i, position) => order(i, fromKey(position)) > 0, max,
    `ListTaskDefinitions|${family ?? ''}|${status}|${sort}`, input.nextToken)
  return { taskDefinitionArns: result.items.map((i) => i.arn), ...(result.nextToken ? { nextToken: result.nextToken } : {}) }
}

export function listTaskDefinitionFamilies(ctx: EcsContext, input: ListTaskDefinitionFamiliesRequest = {}): ListTaskDefinitionFamiliesResponse {
  const max = checkMaxResults(input.maxResults)
  const status = checkStatus(input.status, ['ACTIVE', 'INACTIVE', 'ALL'] as const, 'ALL')!
  const prefix = input.familyPrefix
  if (prefix !== undefined && typeof prefix !== 'string') throw invalidParameter('familyPrefix', 'familyPrefix: must be a string')
  const families = new Map<string, { active: boolean }>()
  for (const r of ctx.store.scan<TaskDefinitionRecord>(TASK_DEFINITIONS)) {
    const d = r.value.taskDefinition
    if (prefix !== undefined && !d.family!.startsWith(prefix)) continue
    const f = families.get(d.family!) ?? { active: false }
    f.active ||= d.status === 'ACTIVE'
    families.set(d.family!, f)
  }
  // ACTIVE: a family with an ACTIVE revision; INACTIVE: one with none; ALL (the default): both.
  const names = [...families].filter(([, f]) => status === 'ALL' || f.active === (status === 'ACTIVE')).map(([name]) => name).sort()
  const result = page(ctx, names, (n) => n, (n, position) => n > position, max, `ListTaskDefinitionFamilies|${prefix ?? ''}|${status}`, input.nextToken)
  return { families: result.items, ...(result.nextToken ? { nextToken: result.nextToken } : {}) }
}

export function deregisterTaskDefinition(ctx: EcsContext, input: DeregisterTaskDefinitionRequest): DeregisterTaskDefinitionResponse {
  return ctx.store.transaction((tx) => {
    const ref = parseReference(ctx, input?.taskDefinition, 'taskDefinition')
    if (ref.revision === undefined) throw clientException('taskDefinition', 'taskDefinition: name a revision (family:revision or ARN) to deregister')
    const key = taskDefinitionKey(ref.family, ref.revision)
    const current = tx.get<TaskDefinitionRecord>(TASK_DEFINITIONS, key)
    if (current === undefined) throw notFound('taskDefinition', String(input.taskDefinition))
    const d = current.value.taskDefinition
    if (d.status !== 'ACTIVE') return { taskDefinition: structuredClone(d) }
    const taskDefinition: TaskDefinition = { ...d, status: 'INACTIVE', deregisteredAt: new Date(ctx.clock.now()) }
    tx.put<TaskDefinitionRecord>(TASK_DEFINITIONS, key, { ...current.value, taskDefinition }, current.version)
    return { taskDefinition: structuredClone(taskDefinition) }
  })
}

export function deleteTaskDefinitions(ctx: EcsContext, input: DeleteTaskDefinitionsRequest): DeleteTaskDefinitionsResponse {
  const list = input?.taskDefinitions
  if (!Array.isArray(list) || list.length === 0) throw invalidParameter('taskDefinitions', 'taskDefinitions: name 1 to 10 task definition revisions (family:revision or ARN)')
  if (list.length > MAX_DELETE) throw invalidParameter('taskDefinitions', `taskDefinitions: at most ${MAX_DELETE} per call, got ${list.length}`, MAX_DELETE)
  const result = ctx.store.transaction((tx) => {
    const deleted: TaskDefinition[] = []
    const failures: Failure[] = []
    list.forEach((reference, i) => {
      const field = `taskDefinitions[${i}]`
      let ref: { family: string; revision?: number }
      try {
        ref = parseReference(ctx, reference, field)
      } catch {
        failures.push({ arn: String(reference), reason: 'The specified task definition identifier is invalid. Specify a valid name or ARN and try again.' })
        return
      }
      if (ref.revision === undefined) {
        failures.push({ arn: String(reference), reason: 'The specified task definition identifier is invalid: name a revision (family:revision or ARN).' })
        return
      }
      const key = taskDefinitionKey(ref.family, ref.revision)
      const current = tx.get<TaskDefinitionRecord>(TASK_DEFINITIONS, key)
      const arn = arns.ecs.taskDefinition(ctx.partition, ref.family, ref.revision)
      if (current === undefined) {
        failures.push({ arn, reason: 'The specified task definition does not exist. Specify a valid account, family, revision and try again.' })
        return
      }
      const d = current.value.taskDefinition
      if (d.status === 'ACTIVE') {
        failures.push({ arn, reason: 'The specified task definition is still in ACTIVE status. Please deregister the target and try again.' })
        return
      }
      const taskDefinition: TaskDefinition = d.status === 'DELETE_IN_PROGRESS' ? d : { ...d, status: 'DELETE_IN_PROGRESS', deleteRequestedAt: new Date(ctx.clock.now()) }
      if (taskDefinition !== d) tx.put<TaskDefinitionRecord>(TASK_DEFINITIONS, key, { ...current.value, taskDefinition }, current.version)
      deleted.push(structuredClone(taskDefinition))
    })
    return { taskDefinitions: deleted, failures }
  })
  purgeDeletedTaskDefinitions(ctx)
  return result
}

/** The task definition ARNs a live task or a service (its deployments) still uses. */
function arnsInUse(reader: StoreReader): Set<string> {
  const used = new Set<string>()
  for (const r of reader.scan<TaskRecord>(TASKS)) {
    if (r.value.task.lastStatus !== 'STOPPED' && typeof r.value.task.taskDefinitionArn === 'string') used.add(r.value.task.taskDefinitionArn)
  }
  for (const r of reader.scan<ServiceRecord>(SERVICES)) {
    const s = r.value.service
    if (s.status === 'INACTIVE') continue
    if (typeof s.taskDefinition === 'string') used.add(s.taskDefinition)
    for (const d of Array.isArray(s.deployments) ? s.deployments : []) if (typeof d?.taskDefinition === 'string') used.add(d.taskDefinition)
  }
  return used
}

/**
 * Removes the DELETE_IN_PROGRESS revisions nothing uses any more (ECS checks
 * periodically; Stratus when a task stops, after a delete, and at start).
 * Returns the ARNs removed.
 */
export function purgeDeletedTaskDefinitions(ctx: EcsContext): string[] {
  if (ctx.store.count(TASK_DEFINITIONS, { index: { name: 'status', value: 'DELETE_IN_PROGRESS' } }) === 0) return []
  return ctx.store.transaction((tx: Transaction) => {
    const used = arnsInUse(tx)
    const removed: string[] = []
    for (const r of tx.scan<TaskDefinitionRecord>(TASK_DEFINITIONS, { index: { name: 'status', value: 'DELETE_IN_PROGRESS' } })) {
      const arn = r.value.taskDefinition.taskDefinitionArn!
      if (used.has(arn)) continue
      tx.delete(TASK_DEFINITIONS, r.key, r.version)
      removed.push(arn)
    }
    return removed
  })
}

/** Creates the area's watchers and picks up what the store holds (deletes left in progress). */
export function taskDefinitionOperations(ctx: EcsContext): TaskDefinitionOperations & TaskDefinitionExtensions {
  ctx.store.defineIndex<TaskDefinitionRecord>(TASK_DEFINITIONS, 'status', (r) => String(r.taskDefinition.status))
  const onTask = (task: TaskRecord): void => {
    if (task.task.lastStatus === 'STOPPED') purgeDeletedTaskDefinitions(ctx)
  }
  ctx.hooks.taskChanged.add(onTask)
  ctx.closers.push(() => { ctx.hooks.taskChanged.delete(onTask) })
  purgeDeletedTaskDefinitions(ctx)
  return {
    registerTaskDefinition: async (input) => registerTaskDefinition(ctx, input),
    describeTaskDefinition: async (input) => describeTaskDefinition(ctx, input),
    listTaskDefinitions: async (input) => listTaskDefinitions(ctx, input),
    listTaskDefinitionFamilies: async (input) => listTaskDefinitionFamilies(ctx, input),
    deregisterTaskDefinition: async (input) => deregisterTaskDefinition(ctx, input),
    deleteTaskDefinitions: async (input) => deleteTaskDefinitions(ctx, input)
  }
}
