// CloudWatch Logs: log groups of any name (the store's records, and Batch's
// /aws/batch/job, there once any attempt started), their streams (an ECS
// container's awslogs file, a user's PutLogEvents, or Batch's job output: the
// names Batch reports in container.logStreamName), and their events. One
// method per operation, delegating to the files of each concern: groups.ts,
// stream-operations.ts, log-events.ts.

import type { Partition } from '../aws/partition.js'
import type { PageTokens } from '../aws/pagination.js'
import type { TagMap } from '../aws/tags.js'
import type { Store } from '../store/store.js'
import type { LogStore } from './log-store.js'
import type {
  DescribeLogGroupsRequest, DescribeLogGroupsResponse, DescribeLogStreamsRequest, DescribeLogStreamsResponse,
  FilterLogEventsRequest, FilterLogEventsResponse, GetLogEventsRequest, GetLogEventsResponse
} from './model.js'
import { newSecret, type LogsContext, type StreamAttempt } from './context.js'
import { createLogGroup, deleteLogGroup, deleteRetentionPolicy, describeLogGroups, putRetentionPolicy, tagging } from './groups.js'
import { createLogStream, deleteLogStream, describeLogStreams, putLogEvents, type PutLogEventsOutput } from './stream-operations.js'
import { removeStreamFiles } from './streams.js'
import { filterLogEvents, getLogEvents } from './log-events.js'

export interface CloudWatchLogsOptions {
  /** The engine's store: log groups and streams of any name (logs:groups, logs:streams, logs:events). */
  store: Store
  /** Batch's job output (the group /aws/batch/job). */
  logs: LogStore
  /** The engine's clock (epoch ms). */
  now: () => number
  partition: Partition
  tokens: PageTokens
  /** What Batch knows of a stream's attempt (Batch#logStreamAttempt). */
  attempt: (logStreamName: string) => StreamAttempt | undefined
}

export { DESCRIBE_LIMIT } from './groups.js'

/** The CloudWatch Logs operations Stratus serves, in AWS's shapes. */
export interface CloudWatchLogsApi {
  createLogGroup(input: { logGroupName: string; tags?: TagMap; kmsKeyId?: string; logGroupClass?: string }): Promise<Record<string, never>>
  deleteLogGroup(input: { logGroupName: string }): Promise<Record<string, never>>
  putRetentionPolicy(input: { logGroupName: string; retentionInDays: number }): Promise<Record<string, never>>
  deleteRetentionPolicy(input: { logGroupName: string }): Promise<Record<string, never>>
  describeLogGroups(input?: DescribeLogGroupsRequest): Promise<DescribeLogGroupsResponse>
  tagResource(input: { resourceArn: string; tags: TagMap }): Promise<Record<string, never>>
  untagResource(input: { resourceArn: string; tagKeys: string[] }): Promise<Record<string, never>>
  listTagsForResource(input: { resourceArn: string }): Promise<{ tags: TagMap }>
  /** The older tag operations on a group's name (deprecated by AWS, still in the model). */
  tagLogGroup(input: { logGroupName: string; tags: TagMap }): Promise<Record<string, never>>
  untagLogGroup(input: { logGroupName: string; tags: string[] }): Promise<Record<string, never>>
  listTagsLogGroup(input: { logGroupName: string }): Promise<{ tags: TagMap }>
  createLogStream(input: { logGroupName: string; logStreamName: string }): Promise<Record<string, never>>
  deleteLogStream(input: { logGroupName: string; logStreamName: string }): Promise<Record<string, never>>
  putLogEvents(input: { logGroupName: string; logStreamName: string; logEvents: Array<{ timestamp: number; message: string }>; sequenceToken?: string }): Promise<PutLogEventsOutput>
  describeLogStreams(input: DescribeLogStreamsRequest): Promise<DescribeLogStreamsResponse>
  getLogEvents(input: GetLogEventsRequest): Promise<GetLogEventsResponse>
  filterLogEvents(input: FilterLogEventsRequest): Promise<FilterLogEventsResponse>
}

/** Every operation of CloudWatchLogsApi, by method name (the SDK's remote client is built from this list). */
export const CLOUDWATCH_LOGS_OPERATIONS = [
  'createLogGroup', 'deleteLogGroup', 'putRetentionPolicy', 'deleteRetentionPolicy', 'describeLogGroups',
  'tagResource', 'untagResource', 'listTagsForResource', 'tagLogGroup', 'untagLogGroup', 'listTagsLogGroup',
  'createLogStream', 'deleteLogStream', 'putLogEvents', 'describeLogStreams', 'getLogEvents', 'filterLogEvents'
] as const satisfies ReadonlyArray<keyof CloudWatchLogsApi>

export class CloudWatchLogs implements CloudWatchLogsApi {
  readonly #ctx: LogsContext

  constructor(o: CloudWatchLogsOptions) {
    this.#ctx = { store: o.store, logs: o.logs, now: o.now, partition: o.partition, tokens: o.tokens, attempt: o.attempt, secret: newSecret() }
  }

  async createLogGroup(input: Parameters<CloudWatchLogsApi['createLogGroup']>[0]): Promise<Record<string, never>> {
    createLogGroup(this.#ctx, input ?? {})
    return {}
  }

  async deleteLogGroup(input: { logGroupName: string }): Promise<Record<string, never>> {
    deleteLogGroup(this.#ctx, input ?? {}, removeStreamFiles)
    return {}
  }

  async putRetentionPolicy(input: { logGroupName: string; retentionInDays: number }): Promise<Record<string, never>> {
    putRetentionPolicy(this.#ctx, input ?? {})
    return {}
  }

  async deleteRetentionPolicy(input: { logGroupName: string }): Promise<Record<string, never>> {
    deleteRetentionPolicy(this.#ctx, input ?? {})
    return {}
  }

  async describeLogGroups(input: DescribeLogGroupsRequest = {}): Promise<DescribeLogGroupsResponse> {
    return describeLogGroups(this.#ctx, input)
  }

  async tagResource(input: { resourceArn: string; tags: TagMap }): Promise<Record<string, never>> {
    tagging.tagResource(this.#ctx, input ?? {})
    return {}
  }

  async untagResource(input: { resourceArn: string; tagKeys: string[] }): Promise<Record<string, never>> {
    tagging.untagResource(this.#ctx, input ?? {})
    return {}
  }

  async listTagsForResource(input: { resourceArn: string }): Promise<{ tags: TagMap }> {
    return tagging.listTagsForResource(this.#ctx, input ?? {})
  }

  async tagLogGroup(input: { logGroupName: string; tags: TagMap }): Promise<Record<string, never>> {
    tagging.tagLogGroup(this.#ctx, input ?? {})
    return {}
  }

  async untagLogGroup(input: { logGroupName: string; tags: string[] }): Promise<Record<string, never>> {
    tagging.untagLogGroup(this.#ctx, input ?? {})
    return {}
  }

  async listTagsLogGroup(input: { logGroupName: string }): Promise<{ tags: TagMap }> {
    return tagging.listTagsLogGroup(this.#ctx, input ?? {})
  }

  async createLogStream(input: { logGroupName: string; logStreamName: string }): Promise<Record<string, never>> {
    await createLogStream(this.#ctx, input ?? {})
    return {}
  }

  async deleteLogStream(input: { logGroupName: string; logStreamName: string }): Promise<Record<string, never>> {
    await deleteLogStream(this.#ctx, input ?? {})
    return {}
  }

  async putLogEvents(input: Parameters<CloudWatchLogsApi['putLogEvents']>[0]): Promise<PutLogEventsOutput> {
    return putLogEvents(this.#ctx, input ?? {})
  }

  describeLogStreams(input: DescribeLogStreamsRequest): Promise<DescribeLogStreamsResponse> {
    return describeLogStreams(this.#ctx, input ?? {})
  }

  getLogEvents(input: GetLogEventsRequest): Promise<GetLogEventsResponse> {
    return getLogEvents(this.#ctx, input)
  }

  filterLogEvents(input: FilterLogEventsRequest): Promise<FilterLogEventsResponse> {
    return filterLogEvents(this.#ctx, input)
  }
}
