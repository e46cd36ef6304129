// DescribeLogStreams over any group, and the user-written streams:
// CreateLogStream, PutLogEvents (events kept in the store, one record per
// call) and DeleteLogStream.

import { arns } from '../aws/arn.js'
import { checkLimit, type LogsContext } from './context.js'
import { invalid, streamExists, streamNotFound } from './errors.js'
import { resolveGroup, type GroupView } from './groups.js'
import type { DescribeLogStreamsRequest, DescribeLogStreamsResponse, LogStream } from './model.js'
import { checkStreamName } from './names.js'
import { EVENTS, STREAMS, batchKey, streamKey, type PutBatchRecord, type StreamRecord } from './records.js'
import { readStreamContent, removeStreamFiles, streamNames } from './streams.js'

export const DESCRIBE_STREAMS_LIMIT = 50
/** PutLogEvents' limits, as CloudWatch Logs documents them. */
export const PUT_LIMITS = { events: 10_000, bytes: 1_048_576, eventOverhead: 26, eventBytes: 1_048_550, spanMs: 24 * 3_600_000, futureMs: 2 * 3_600_000, pastMs: 14 * 86_400_000 } as const

async function describeOne(ctx: LogsContext, group: GroupView, name: string): Promise<LogStream> {
  const read = await readStreamContent(ctx, group, name)
  const events = read?.events ?? []
  const first = events[0]
  const last = events.at(-1)
  return {
    logStreamName: name,
    creationTime: read?.creationTime ?? ctx.now(),
    ...(first ? { firstEventTimestamp: first.timestamp, lastEventTimestamp: last!.timestamp } : {}),
    ...(read?.lastIngestionTime !== undefined && first ? { lastIngestionTime: read.lastIngestionTime } : {}),
    arn: arns.logs.logStream(ctx.partition, group.name, name),
    storedBytes: 0
  }
}

export async function describeLogStreams(ctx: LogsContext, input: DescribeLogStreamsRequest): Promise<DescribeLogStreamsResponse> {
  const group = resolveGroup(ctx, input ?? {})
  const limit = checkLimit(input.limit, 'limit', 1, DESCRIBE_STREAMS_LIMIT) ?? DESCRIBE_STREAMS_LIMIT
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
  const scope = `DescribeLogStreams|${group.name}|${prefix ?? ''}|${orderBy}|${descending}`
  const after = input.nextToken === undefined ? undefined : ctx.tokens.read(input.nextToken, scope, { code: 'InvalidParameterException' })
  const names = (await streamNames(ctx, group)).filter((n) => prefix === undefined || n.startsWith(prefix))
  // Sort keys: the name, or the last event's time then the name (a stream with no event yet sorts first).
  let keyed: Array<{ key: string; name: string; stream?: LogStream }>
  if (orderBy === 'LogStreamName') {
    keyed = names.map((name) => ({ key: name, name }))
  } else {
    keyed = await Promise.all(names.map(async (name) => {
      const stream = await describeOne(ctx, group, name)
      return { key: `${String(stream.lastEventTimestamp ?? 0).padStart(15, '0')}|${name}`, name, stream }
    }))
  }
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  if (descending) keyed.reverse()
  const rest = after === undefined ? keyed : keyed.filter((k) => (descending ? k.key < after : k.key > after))
  const page = rest.slice(0, limit)
  return {
    logStreams: await Promise.all(page.map((k) => k.stream ?? describeOne(ctx, group, k.name))),
    ...(rest.length > limit ? { nextToken: ctx.tokens.issue(scope, page[page.length - 1].key) } : {})
  }
}

export async function createLogStream(ctx: LogsContext, input: { logGroupName?: unknown; logStreamName?: unknown }): Promise<void> {
  const name = checkStreamName(input?.logStreamName)
  const group = resolveGroup(ctx, { logGroupName: input.logGroupName ?? '' })
  if (group.batch && (await ctx.logs.exists(name))) throw streamExists()
  ctx.store.transaction((tx) => {
    const now = resolveGroup(ctx, { logGroupName: group.name }, tx)
    if (tx.get(STREAMS, streamKey(now.name, name)) !== undefined) throw streamExists()
    tx.put<StreamRecord>(STREAMS, streamKey(now.name, name), { group: now.name, name, createdAt: ctx.now(), source: { kind: 'put', batches: 0 } }, 0)
  })
}

export async function deleteLogStream(ctx: LogsContext, input: { logGroupName?: unknown; logStreamName?: unknown }): Promise<void> {
  const name = checkStreamName(input?.logStreamName)
  const group = resolveGroup(ctx, { logGroupName: input.logGroupName ?? '' })
  const files: string[] = []
  ctx.store.transaction((tx) => {
    const key = streamKey(group.name, name)
    const record = tx.get<StreamRecord>(STREAMS, key)
    if (record === undefined) {
      if (group.batch) throw invalid('logStreamName', 'streams of AWS Batch\'s job output are not deleted (they go with their job)')
      throw streamNotFound()
    }
    if (record.value.source.kind === 'file') files.push(record.value.source.filePath)
    for (const b of tx.scan(EVENTS, { prefix: `${key}:` })) tx.delete(EVENTS, b.key)
    tx.delete(STREAMS, key, record.version)
    if (files.length > 0) tx.afterCommit(() => removeStreamFiles(files))
  })
}

export interface PutLogEventsInput {
  logGroupName?: unknown
  logStreamName?: unknown
  logEvents?: unknown
  sequenceToken?: unknown
}

export interface PutLogEventsOutput {
  rejectedLogEventsInfo?: { tooNewLogEventStartIndex?: number; tooOldLogEventEndIndex?: number; expiredLogEventEndIndex?: number }
}

/**
 * Appends events to a user-written stream. As CloudWatch Logs: 1 to 10,000
 * events, at most 1 MB (each message's UTF-8 bytes + 26), in chronological
 * order, spanning at most 24 hours; events more than 2 hours in the future or
 * 14 days in the past (or past the group's retention) are rejected, and the
 * response says which by index. sequenceToken is ignored (as AWS now does).
 */
export function putLogEvents(ctx: LogsContext, input: PutLogEventsInput): PutLogEventsOutput {
  const name = checkStreamName(input?.logStreamName)
  const list = input.logEvents
  if (!Array.isArray(list) || list.length < 1) throw invalid('logEvents', 'must list 1 to 10000 events', 1)
  if (list.length > PUT_LIMITS.events) throw invalid('logEvents', `at most ${PUT_LIMITS.events} events per call, got ${list.length}`, PUT_LIMITS.events)
  let bytes = 0
  const events: Array<{ timestamp: number; message: string }> = []
  list.forEach((e: any, i: number) => {
    if (typeof e?.timestamp !== 'number' || !Number.isInteger(e.timestamp) || e.timestamp < 0) throw invalid(`logEvents[${i}].timestamp`, 'must be epoch milliseconds')
    if (typeof e.message !== 'string' || e.message.length < 1) throw invalid(`logEvents[${i}].message`, 'must be a non-empty string', 1)
    if (i > 0 && e.timestamp < events[i - 1].timestamp) throw invalid('logEvents', `events must be in chronological order (logEvents[${i}] is older than logEvents[${i - 1}])`)
    bytes += Buffer.byteLength(e.message) + PUT_LIMITS.eventOverhead
    events.push({ timestamp: e.timestamp, message: e.message })
  })
  if (bytes > PUT_LIMITS.bytes) throw invalid('logEvents', `at most ${PUT_LIMITS.bytes} bytes per call (messages in UTF-8 + 26 per event), got ${bytes}`, PUT_LIMITS.bytes)
  if (events[events.length - 1].timestamp - events[0].timestamp > PUT_LIMITS.spanMs) throw invalid('logEvents', 'the events of one call may span at most 24 hours', PUT_LIMITS.spanMs)
  return ctx.store.transaction((tx) => {
    const group = resolveGroup(ctx, { logGroupName: input.logGroupName ?? '' }, tx)
    const key = streamKey(group.name, name)
    const record = tx.get<StreamRecord>(STREAMS, key)
    if (record === undefined) throw streamNotFound()
    if (record.value.source.kind !== 'put') throw invalid('logStreamName', 'this stream is a container\'s awslogs output: its events come from the container, not from PutLogEvents')
    const now = ctx.now()
    const retained = group.retentionInDays === undefined ? undefined : now - group.retentionInDays * 86_400_000
    let expiredEnd = -1
    let tooOldEnd = -1
    let tooNewStart = events.length
    events.forEach((e, i) => {
      if (retained !== undefined && e.timestamp < retained) expiredEnd = i
      if (e.timestamp < now - PUT_LIMITS.pastMs) tooOldEnd = i
      if (e.timestamp > now + PUT_LIMITS.futureMs && i < tooNewStart) tooNewStart = i
    })
    const kept = events.slice(Math.max(tooOldEnd, expiredEnd) + 1, tooNewStart)
    const batches = record.value.source.batches
    if (kept.length > 0) {
      tx.put<PutBatchRecord>(EVENTS, batchKey(group.name, name, batches), { ingestedAt: now, events: kept }, 0)
      tx.put<StreamRecord>(STREAMS, key, { ...record.value, source: { kind: 'put', batches: batches + 1, lastIngestionTime: now } }, record.version)
    }
    const info: NonNullable<PutLogEventsOutput['rejectedLogEventsInfo']> = {
      ...(tooOldEnd >= 0 ? { tooOldLogEventEndIndex: tooOldEnd } : {}),
      ...(expiredEnd >= 0 ? { expiredLogEventEndIndex: expiredEnd } : {}),
      ...(tooNewStart < events.length ? { tooNewLogEventStartIndex: tooNewStart } : {})
    }
    return Object.keys(info).length > 0 ? { rejectedLogEventsInfo: info } : {}
  })
}
