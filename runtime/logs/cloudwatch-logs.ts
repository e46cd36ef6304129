// CloudWatch Logs over the job logs: the log group /aws/batch/job (there
// once any attempt started, as on AWS), its streams (the names Batch reports
// in container.logStreamName: one file per attempt in the LogStore), and
// their events (one per line, timed as stream-marks.ts explains).
// DescribeLogGroups and DescribeLogStreams live here; the event reads in
// log-events.ts.

import type { Partition } from '../aws/partition.js'
import type { PageTokens } from '../aws/pagination.js'
import { arns } from '../aws/arn.js'
import type { LogStore } from './log-store.js'
import {
  BATCH_LOG_GROUP, type DescribeLogGroupsRequest, type DescribeLogGroupsResponse, type DescribeLogStreamsRequest, type DescribeLogStreamsResponse,
  type FilterLogEventsRequest, type FilterLogEventsResponse, type GetLogEventsRequest, type GetLogEventsResponse, type LogGroup, type LogStream
} from './model.js'
import { checkLimit, groupArn, groupName, invalid, newSecret, readBounded, resolveGroup, type LogsContext, type StreamAttempt } from './context.js'
import { filterLogEvents, getLogEvents } from './log-events.js'

export interface CloudWatchLogsOptions {
  logs: LogStore
  /** The engine's clock (epoch ms). */
  now: () => number
  partition: Partition
  tokens: PageTokens
  /** What Batch knows of a stream's attempt (Batch#logStreamAttempt). */
  attempt: (logStreamName: string) => StreamAttempt | undefined
}

export const DESCRIBE_LIMIT = 50

/** The CloudWatch Logs operations Stratus serves, in AWS's shapes. */
export interface CloudWatchLogsApi {
  describeLogGroups(input?: DescribeLogGroupsRequest): Promise<DescribeLogGroupsResponse>
  describeLogStreams(input: DescribeLogStreamsRequest): Promise<DescribeLogStreamsResponse>
  getLogEvents(input: GetLogEventsRequest): Promise<GetLogEventsResponse>
  filterLogEvents(input: FilterLogEventsRequest): Promise<FilterLogEventsResponse>
}

export class CloudWatchLogs implements CloudWatchLogsApi {
  readonly #ctx: LogsContext

  constructor(o: CloudWatchLogsOptions) {
    this.#ctx = { logs: o.logs, now: o.now, partition: o.partition, tokens: o.tokens, attempt: o.attempt, secret: newSecret() }
  }

  async describeLogGroups(input: DescribeLogGroupsRequest = {}): Promise<DescribeLogGroupsResponse> {
    const ctx = this.#ctx
    const limit = checkLimit(input.limit, 'limit', 1, DESCRIBE_LIMIT) ?? DESCRIBE_LIMIT
    const { logGroupNamePrefix: prefix, logGroupNamePattern: pattern, logGroupIdentifiers: ids } = input
    if ([prefix, pattern, ids].filter((v) => v !== undefined).length > 1) {
      throw invalid('logGroupNamePrefix', 'give at most one of logGroupNamePrefix, logGroupNamePattern and logGroupIdentifiers')
    }
    if (prefix !== undefined && (typeof prefix !== 'string' || prefix.length < 1 || prefix.length > 512)) throw invalid('logGroupNamePrefix', 'must be 1 to 512 characters', 512)
    if (pattern !== undefined && (typeof pattern !== 'string' || pattern.length > 512)) throw invalid('logGroupNamePattern', 'must be 0 to 512 characters', 512)
    if (ids !== undefined && (!Array.isArray(ids) || ids.length > 50 || ids.some((v) => typeof v !== 'string'))) throw invalid('logGroupIdentifiers', 'must list at most 50 names or ARNs', 50)
    const created = ctx.logs.groupCreatedAt()
    const groups: LogGroup[] = []
    if (created !== undefined) {
      const name = BATCH_LOG_GROUP
      const shown = (prefix === undefined || name.startsWith(prefix))
        && (pattern === undefined || name.toLowerCase().includes(pattern.toLowerCase()))
        && (ids === undefined || ids.some((v) => groupName(ctx, v) === name))
      if (shown) {
        const arn = groupArn(ctx, name)
        groups.push({ logGroupName: name, creationTime: created, metricFilterCount: 0, arn, logGroupArn: arn.slice(0, -2), storedBytes: 0, logGroupClass: 'STANDARD' })
      }
    }
    const scope = `DescribeLogGroups|${prefix ?? ''}|${pattern ?? ''}|${JSON.stringify(ids ?? null)}`
    const after = input.nextToken === undefined ? undefined : ctx.tokens.read(input.nextToken, scope, { code: 'InvalidParameterException' })
    const rest = groups.filter((g) => after === undefined || g.logGroupName > after)
    const page = rest.slice(0, limit)
    return { logGroups: page, ...(rest.length > limit ? { nextToken: ctx.tokens.issue(scope, page[page.length - 1].logGroupName) } : {}) }
  }

  async describeLogStreams(input: DescribeLogStreamsRequest): Promise<DescribeLogStreamsResponse> {
    const ctx = this.#ctx
    const group = resolveGroup(ctx, input ?? {})
    const limit = checkLimit(input.limit, 'limit', 1, DESCRIBE_LIMIT) ?? DESCRIBE_LIMIT
    const orderBy = input.orderBy ?? 'LogStreamName'
    if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') throw invalid('orderBy', `must be LogStreamName or LastEventTime, got ${String(orderBy)}`)
    const prefix = input.logStreamNamePrefix
    if (prefix !== undefined) {
      if (typeof prefix !== 'string' || prefix.length < 1 || prefix.length > 512) throw invalid('logStreamNamePrefix', 'must be 1 to 512 characters', 512)
      // As CloudWatch Logs says: "You cannot specify this parameter if you set orderBy to LastEventTime."
      if (orderBy === 'LastEventTime') throw invalid('logStreamNamePrefix', 'cannot be given with orderBy LastEventTime')
    }
    if (input.descending !== undefined && typeof input.descending !== 'boolean') throw invalid('descending', 'must be a boolean')
    const descending = input.descending === true
    const scope = `DescribeLogStreams|${group}|${prefix ?? ''}|${orderBy}|${descending}`
    const after = input.nextToken === undefined ? undefined : ctx.tokens.read(input.nextToken, scope, { code: 'InvalidParameterException' })
    const names = (await ctx.logs.streams()).filter((n) => prefix === undefined || n.startsWith(prefix))
    // Sort keys: the name, or the last event's time then the name (a stream with no event yet sorts first).
    let keyed: Array<{ key: string; name: string; stream?: LogStream }>
    if (orderBy === 'LogStreamName') {
      keyed = names.map((name) => ({ key: name, name }))
    } else {
      keyed = await Promise.all(names.map(async (name) => {
        const stream = await this.#stream(name)
        return { key: `${String(stream.lastEventTimestamp ?? 0).padStart(15, '0')}|${name}`, name, stream }
      }))
    }
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    if (descending) keyed.reverse()
    const rest = after === undefined ? keyed : keyed.filter((k) => (descending ? k.key < after : k.key > after))
    const page = rest.slice(0, limit)
    return {
      logStreams: await Promise.all(page.map((k) => k.stream ?? this.#stream(k.name))),
      ...(rest.length > limit ? { nextToken: ctx.tokens.issue(scope, page[page.length - 1].key) } : {})
    }
  }

  async #stream(name: string): Promise<LogStream> {
    const read = await readBounded(this.#ctx, name)
    const first = read.events[0]
    const last = read.events.at(-1)
    return {
      logStreamName: name,
      creationTime: read.attempt?.startedAt ?? read.firstSeen ?? this.#ctx.now(),
      ...(first ? { firstEventTimestamp: first.timestamp, lastEventTimestamp: last!.timestamp } : {}),
      ...(read.lastSeen !== undefined && first ? { lastIngestionTime: read.lastSeen } : {}),
      arn: arns.logs.logStream(this.#ctx.partition, BATCH_LOG_GROUP, name),
      storedBytes: 0
    }
  }

  getLogEvents(input: GetLogEventsRequest): Promise<GetLogEventsResponse> {
    return getLogEvents(this.#ctx, input)
  }

  filterLogEvents(input: FilterLogEventsRequest): Promise<FilterLogEventsResponse> {
    return filterLogEvents(this.#ctx, input)
  }
}
