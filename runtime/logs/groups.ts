// Log groups: the store's records (CreateLogGroup), and Batch's
// /aws/batch/job, there once any attempt started (the LogStore's `.group`),
// with whatever a user set on it (retention, tags) as a record of its name.
// Create, delete, retention, tags and DescribeLogGroups.

import { checkTags, type TagMap } from '../aws/tags.js'
import type { Transaction } from '../store/store.js'
import { InvalidArgumentError } from '../errors.js'
import { checkLimit, groupArn, groupName, type LogsContext } from './context.js'
import { groupExists, groupNotFound, invalid } from './errors.js'
import { BATCH_LOG_GROUP, type DescribeLogGroupsRequest, type DescribeLogGroupsResponse, type LogGroup } from './model.js'
import { checkGroupName, checkRetention } from './names.js'
import { EVENTS, GROUPS, STREAMS, type GroupRecord, type StreamRecord } from './records.js'

export const DESCRIBE_LIMIT = 50
const DAY_MS = 86_400_000

/** A group as the operations see it, whichever holds it. */
export interface GroupView {
  name: string
  createdAt: number
  retentionInDays?: number
  tags: TagMap
  /** Its streams include the LogStore's files (Batch's job output). */
  batch: boolean
  /** The store record's version (0: none). */
  version: number
}

export function groupView(ctx: LogsContext, name: string, reader: Pick<Transaction, 'get'> = ctx.store): GroupView | undefined {
  const record = reader.get<GroupRecord>(GROUPS, name)
  const batchCreated = name === BATCH_LOG_GROUP ? ctx.logs.groupCreatedAt() : undefined
  if (record === undefined && batchCreated === undefined) return undefined
  const r = record?.value
  return {
    name,
    createdAt: batchCreated !== undefined && (r === undefined || batchCreated < r.createdAt) ? batchCreated : r!.createdAt,
    ...(r?.retentionInDays !== undefined ? { retentionInDays: r.retentionInDays } : {}),
    tags: r?.tags ?? {},
    batch: name === BATCH_LOG_GROUP,
    version: record?.version ?? 0
  }
}

/** Events before this time are past the group's retention (undefined: kept forever). */
export function retentionCutoff(ctx: LogsContext, group: GroupView): number | undefined {
  return group.retentionInDays === undefined ? undefined : ctx.now() - group.retentionInDays * DAY_MS
}

/**
 * The log group a request names (logGroupName or logGroupIdentifier, a name
 * or an ARN, not both); ResourceNotFoundException when there is none.
 */
export function resolveGroup(ctx: LogsContext, input: { logGroupName?: unknown; logGroupIdentifier?: unknown }, reader?: Pick<Transaction, 'get'>): GroupView {
  if (input.logGroupName !== undefined && input.logGroupIdentifier !== undefined) {
    throw invalid('logGroupIdentifier', 'give logGroupName or logGroupIdentifier, not both')
  }
  const field = input.logGroupName !== undefined ? 'logGroupName' : 'logGroupIdentifier'
  const value = input.logGroupName ?? input.logGroupIdentifier
  if (value === undefined) throw invalid('logGroupName', 'is required (or logGroupIdentifier)')
  if (typeof value !== 'string' || value.length < 1 || value.length > 2048) throw invalid(field, 'must be a log group name or ARN (1 to 2048 characters)', 2048)
  const found = groupView(ctx, groupName(ctx, value), reader)
  if (found === undefined) throw groupNotFound(field)
  return found
}

/** Writes a group's record (retention, tags) over what it was; Batch's group gets one the first time. */
function putGroup(tx: Transaction, group: GroupView, change: Partial<Pick<GroupRecord, 'retentionInDays' | 'tags'>> & { clearRetention?: boolean }): void {
  const next: GroupRecord = {
    name: group.name,
    createdAt: group.createdAt,
    tags: change.tags ?? group.tags,
    ...(change.clearRetention ? {} : change.retentionInDays !== undefined ? { retentionInDays: change.retentionInDays } : group.retentionInDays !== undefined ? { retentionInDays: group.retentionInDays } : {})
  }
  tx.put(GROUPS, group.name, next, group.version)
}

export function createLogGroup(ctx: LogsContext, input: { logGroupName?: unknown; tags?: unknown; kmsKeyId?: unknown; logGroupClass?: unknown }): void {
  const name = checkGroupName(input?.logGroupName)
  const tags = checkTags(input.tags, 'tags', 'InvalidParameterException') ?? {}
  if (input.kmsKeyId !== undefined) throw invalid('kmsKeyId', 'Stratus keeps log data unencrypted on the local disk: no KMS key can be associated')
  if (input.logGroupClass !== undefined && input.logGroupClass !== 'STANDARD') throw invalid('logGroupClass', `only STANDARD is served, got ${String(input.logGroupClass)}`)
  ctx.store.transaction((tx) => {
    if (groupView(ctx, name, tx) !== undefined) throw groupExists()
    createGroupIn(tx, name, ctx.now(), tags)
  })
}

/** Creates a group's record in tx (the caller checked it is not there). */
export function createGroupIn(tx: Transaction, name: string, createdAt: number, tags: TagMap = {}): void {
  tx.put<GroupRecord>(GROUPS, name, { name, createdAt, tags }, 0)
}

/**
 * Deletes a group and its streams' records in one transaction; the files of
 * its file streams (and their marks) are removed after it commits (see
 * removeStreamFiles). Batch's /aws/batch/job, while it holds job output, is
 * refused: Batch writes there for as long as jobs run.
 */
export function deleteLogGroup(ctx: LogsContext, input: { logGroupName?: unknown }, removeFiles: (paths: string[]) => void): void {
  const name = checkGroupName(input?.logGroupName)
  ctx.store.transaction((tx) => {
    const group = groupView(ctx, name, tx)
    if (group === undefined) throw groupNotFound('logGroupName')
    if (group.batch && ctx.logs.groupCreatedAt() !== undefined) {
      throw new InvalidArgumentError('InvalidParameterException', `logGroupName: ${BATCH_LOG_GROUP} holds AWS Batch's job output in Stratus and is not deleted (set a retention policy instead)`, { field: 'logGroupName' })
    }
    const files: string[] = []
    for (const s of tx.scan<StreamRecord>(STREAMS, { prefix: `${name}:` })) {
      if (s.value.source.kind === 'file') files.push(s.value.source.filePath)
      tx.delete(STREAMS, s.key)
    }
    for (const b of tx.scan(EVENTS, { prefix: `${name}:` })) tx.delete(EVENTS, b.key)
    tx.delete(GROUPS, name, group.version)
    if (files.length > 0) tx.afterCommit(() => removeFiles(files))
  })
}

export function putRetentionPolicy(ctx: LogsContext, input: { logGroupName?: unknown; retentionInDays?: unknown }): void {
  const name = checkGroupName(input?.logGroupName)
  const days = checkRetention(input.retentionInDays)
  ctx.store.transaction((tx) => {
    const group = groupView(ctx, name, tx)
    if (group === undefined) throw groupNotFound('logGroupName')
    putGroup(tx, group, { retentionInDays: days })
  })
}

export function deleteRetentionPolicy(ctx: LogsContext, input: { logGroupName?: unknown }): void {
  const name = checkGroupName(input?.logGroupName)
  ctx.store.transaction((tx) => {
    const group = groupView(ctx, name, tx)
    if (group === undefined) throw groupNotFound('logGroupName')
    putGroup(tx, group, { clearRetention: true })
  })
}

/** The group an ARN (TagResource's resourceArn: `arn:…:log-group:<name>[:*]`) names. */
function groupOfArn(ctx: LogsContext, value: unknown): GroupView {
  if (typeof value !== 'string' || !value.startsWith('arn:')) throw invalid('resourceArn', `must be a log group ARN (${groupArn(ctx, '<name>').slice(0, -2)}), got ${JSON.stringify(String(value).slice(0, 200))}`)
  const name = groupName(ctx, value)
  const found = name === '' ? undefined : groupView(ctx, name)
  if (found === undefined) throw groupNotFound('resourceArn')
  return found
}

function tagKeys(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > 50 || value.some((k) => typeof k !== 'string' || k.length < 1 || k.length > 128)) {
    throw invalid(field, 'must list 1 to 50 tag keys of 1 to 128 characters', 50)
  }
  return value as string[]
}

/** Adds or replaces tags (at most 50 on the group in all). */
export function tagGroup(ctx: LogsContext, group: GroupView, tags: unknown, field: string): void {
  const given = checkTags(tags, field, 'InvalidParameterException')
  if (given === undefined || Object.keys(given).length === 0) throw invalid(field, 'must hold at least one tag', 1)
  ctx.store.transaction((tx) => {
    const now = groupView(ctx, group.name, tx)
    if (now === undefined) throw groupNotFound(field)
    // The limit of 50 counts the tags the group keeps too.
    putGroup(tx, now, { tags: checkTags({ ...now.tags, ...given }, field, 'InvalidParameterException')! })
  })
}

export function untagGroup(ctx: LogsContext, group: GroupView, keys: unknown, field: string): void {
  const list = tagKeys(keys, field)
  ctx.store.transaction((tx) => {
    const now = groupView(ctx, group.name, tx)
    if (now === undefined) throw groupNotFound(field)
    const tags = { ...now.tags }
    for (const k of list) delete tags[k]
    putGroup(tx, now, { tags })
  })
}

export const tagging = {
  tagResource: (ctx: LogsContext, input: { resourceArn?: unknown; tags?: unknown }) => tagGroup(ctx, groupOfArn(ctx, input?.resourceArn), input.tags, 'tags'),
  untagResource: (ctx: LogsContext, input: { resourceArn?: unknown; tagKeys?: unknown }) => untagGroup(ctx, groupOfArn(ctx, input?.resourceArn), input.tagKeys, 'tagKeys'),
  listTagsForResource: (ctx: LogsContext, input: { resourceArn?: unknown }) => ({ tags: { ...groupOfArn(ctx, input?.resourceArn).tags } }),
  tagLogGroup: (ctx: LogsContext, input: { logGroupName?: unknown; tags?: unknown }) => tagGroup(ctx, resolveGroup(ctx, { logGroupName: checkGroupName(input?.logGroupName) }), input.tags, 'tags'),
  untagLogGroup: (ctx: LogsContext, input: { logGroupName?: unknown; tags?: unknown }) => untagGroup(ctx, resolveGroup(ctx, { logGroupName: checkGroupName(input?.logGroupName) }), input.tags, 'tags'),
  listTagsLogGroup: (ctx: LogsContext, input: { logGroupName?: unknown }) => ({ tags: { ...resolveGroup(ctx, { logGroupName: checkGroupName(input?.logGroupName) }).tags } })
}

/** Every group, by name. */
export function allGroups(ctx: LogsContext): GroupView[] {
  const names = ctx.store.scan<GroupRecord>(GROUPS).map((r) => r.key)
  if (ctx.logs.groupCreatedAt() !== undefined && !names.includes(BATCH_LOG_GROUP)) names.push(BATCH_LOG_GROUP)
  names.sort()
  return names.map((n) => groupView(ctx, n)!)
}

function shape(ctx: LogsContext, g: GroupView): LogGroup {
  const arn = groupArn(ctx, g.name)
  return {
    logGroupName: g.name, creationTime: g.createdAt, ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
    metricFilterCount: 0, arn, logGroupArn: arn.slice(0, -2), storedBytes: 0, logGroupClass: 'STANDARD'
  }
}

export function describeLogGroups(ctx: LogsContext, input: DescribeLogGroupsRequest = {}): DescribeLogGroupsResponse {
  const limit = checkLimit(input.limit, 'limit', 1, DESCRIBE_LIMIT) ?? DESCRIBE_LIMIT
  const { logGroupNamePrefix: prefix, logGroupNamePattern: pattern, logGroupIdentifiers: ids } = input
  if ([prefix, pattern, ids].filter((v) => v !== undefined).length > 1) {
    throw invalid('logGroupNamePrefix', 'give at most one of logGroupNamePrefix, logGroupNamePattern and logGroupIdentifiers')
  }
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix.length < 1 || prefix.length > 512)) throw invalid('logGroupNamePrefix', 'must be 1 to 512 characters', 512)
  if (pattern !== undefined && (typeof pattern !== 'string' || pattern.length > 512)) throw invalid('logGroupNamePattern', 'must be 0 to 512 characters', 512)
  if (ids !== undefined && (!Array.isArray(ids) || ids.length > 50 || ids.some((v) => typeof v !== 'string'))) throw invalid('logGroupIdentifiers', 'must list at most 50 names or ARNs', 50)
  const wanted = ids === undefined ? undefined : new Set(ids.map((v) => groupName(ctx, v)))
  const groups = allGroups(ctx).filter((g) => (prefix === undefined || g.name.startsWith(prefix))
    && (pattern === undefined || g.name.toLowerCase().includes(pattern.toLowerCase()))
    && (wanted === undefined || wanted.has(g.name)))
  const scope = `DescribeLogGroups|${prefix ?? ''}|${pattern ?? ''}|${JSON.stringify(ids ?? null)}`
  const after = input.nextToken === undefined ? undefined : ctx.tokens.read(input.nextToken, scope, { code: 'InvalidParameterException' })
  const rest = groups.filter((g) => after === undefined || g.name > after)
  const page = rest.slice(0, limit)
  return { logGroups: page.map((g) => shape(ctx, g)), ...(rest.length > limit ? { nextToken: ctx.tokens.issue(scope, page[page.length - 1].name) } : {}) }
}
