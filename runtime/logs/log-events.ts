// GetLogEvents (one stream, forward and backward tokens) and FilterLogEvents
// (many streams interleaved by time, a filter pattern, page tokens).

import { createHash } from 'node:crypto'
import type { FilteredLogEvent, FilterLogEventsRequest, FilterLogEventsResponse, GetLogEventsRequest, GetLogEventsResponse, OutputLogEvent } from './model.js'
import { checkLimit, checkTime, eventToken, invalid, readEventToken, streamNotFound, type LogsContext } from './context.js'
import { compileFilterPattern } from './filter-pattern.js'
import { resolveGroup } from './groups.js'
import { readStreamContent, streamNames, type StreamEventRead as StreamEvent } from './streams.js'

export const EVENT_LIMITS = { events: 10_000, bytes: 1_048_576, eventOverhead: 26, streamNames: 100 } as const

function inRange(e: StreamEvent, start: number | undefined, end: number | undefined): boolean {
  return (start === undefined || e.timestamp >= start) && (end === undefined || e.timestamp < end)
}

function output(e: StreamEvent): OutputLogEvent {
  return { timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime }
}

/** How many of `events` (from `from`, in `step` direction) fit in `limit` and in 1 MB, as CloudWatch Logs answers. */
function fitting(events: readonly StreamEvent[], from: number, count: number, step: 1 | -1): number {
  let bytes = 0
  let n = 0
  for (let i = from; n < count && i >= 0 && i < events.length; i += step) {
    bytes += Buffer.byteLength(events[i].message) + EVENT_LIMITS.eventOverhead
    if (bytes > EVENT_LIMITS.bytes && n > 0) break
    n++
  }
  return n
}

export async function getLogEvents(ctx: LogsContext, input: GetLogEventsRequest): Promise<GetLogEventsResponse> {
  const group = resolveGroup(ctx, input ?? {})
  const stream = input.logStreamName
  if (typeof stream !== 'string' || stream.length < 1 || stream.length > 512) throw invalid('logStreamName', 'must be 1 to 512 characters', 512)
  const limit = checkLimit(input.limit, 'limit', 1, EVENT_LIMITS.events) ?? EVENT_LIMITS.events
  const start = checkTime(input.startTime, 'startTime')
  const end = checkTime(input.endTime, 'endTime')
  if (input.startFromHead !== undefined && typeof input.startFromHead !== 'boolean') throw invalid('startFromHead', 'must be a boolean')
  const scope = `GetLogEvents|${group.name}|${stream}|${start ?? ''}|${end ?? ''}`
  const token = input.nextToken === undefined ? undefined : readEventToken(ctx, scope, input.nextToken)
  const content = await readStreamContent(ctx, group, stream)
  if (content === undefined) throw streamNotFound()
  const events = content.events.filter((e) => inRange(e, start, end))
  let from: number
  let to: number
  if (token === undefined ? input.startFromHead === true : token.direction === 'f') {
    // Forward: from the token's position (or the head) on.
    from = Math.min(token?.position ?? 0, events.length)
    to = from + fitting(events, from, limit, 1)
  } else {
    // Backward: the events just before the token's position (or the end).
    to = Math.min(token?.position ?? events.length, events.length)
    from = to - fitting(events, to - 1, limit, -1)
  }
  return {
    events: events.slice(from, to).map(output),
    // Nothing new: the same forward token again.
    nextForwardToken: eventToken(ctx, scope, 'f', to),
    nextBackwardToken: eventToken(ctx, scope, 'b', from)
  }
}

/** The stream's part of its events' ids (hashed once per stream, not per event). */
function streamDigits(stream: string): string {
  const h = createHash('sha256').update(stream).digest()
  return `${String(h.readUInt32BE(0)).padStart(10, '0')}${String(h.readUInt32BE(4)).padStart(10, '0')}`
}

/** A stable id for an event: its time, stream and position, as digits (AWS's are 56-digit strings). */
function eventId(streamPart: string, index: number, timestamp: number): string {
  return `${String(timestamp).padStart(15, '0')}${streamPart}${String(index).padStart(21, '0')}`
}

export async function filterLogEvents(ctx: LogsContext, input: FilterLogEventsRequest): Promise<FilterLogEventsResponse> {
  const group = resolveGroup(ctx, input ?? {})
  const limit = checkLimit(input.limit, 'limit', 1, EVENT_LIMITS.events) ?? EVENT_LIMITS.events
  const start = checkTime(input.startTime, 'startTime')
  const end = checkTime(input.endTime, 'endTime')
  const match = compileFilterPattern(input.filterPattern)
  if (input.logStreamNames !== undefined && input.logStreamNamePrefix !== undefined) {
    throw invalid('logStreamNamePrefix', 'give logStreamNames or logStreamNamePrefix, not both')
  }
  let names: string[]
  const all = await streamNames(ctx, group)
  if (input.logStreamNames !== undefined) {
    const wanted = input.logStreamNames
    if (!Array.isArray(wanted) || wanted.length < 1 || wanted.some((n) => typeof n !== 'string')) throw invalid('logStreamNames', 'must list 1 to 100 stream names', 1)
    if (wanted.length > EVENT_LIMITS.streamNames) throw invalid('logStreamNames', `at most ${EVENT_LIMITS.streamNames}, got ${wanted.length}`, EVENT_LIMITS.streamNames)
    const present = new Set(all)
    names = [...new Set(wanted)].filter((n) => present.has(n))
  } else if (input.logStreamNamePrefix !== undefined) {
    if (typeof input.logStreamNamePrefix !== 'string' || input.logStreamNamePrefix.length < 1 || input.logStreamNamePrefix.length > 512) {
      throw invalid('logStreamNamePrefix', 'must be 1 to 512 characters', 512)
    }
    names = all.filter((n) => n.startsWith(input.logStreamNamePrefix!))
  } else {
    names = all
  }
  // streamNames gives them sorted; logStreamNames keeps the caller's order otherwise.
  names.sort()
  const scope = `FilterLogEvents|${group.name}|${JSON.stringify([input.logStreamNames ?? null, input.logStreamNamePrefix ?? null, start ?? null, end ?? null, input.filterPattern ?? null])}`
  const after = input.nextToken === undefined ? undefined : ctx.tokens.read(input.nextToken, scope, { code: 'InvalidParameterException' })
  const found: Array<FilteredLogEvent & { key: string }> = []
  for (const stream of names) {
    const events = (await readStreamContent(ctx, group, stream))?.events ?? []
    const streamPart = streamDigits(stream)
    events.forEach((e, i) => {
      if (!inRange(e, start, end) || !match(e.message)) return
      // Time first, then stream and position: the order events interleave in, and the position a token resumes after.
      const key = `${String(e.timestamp).padStart(15, '0')}|${stream}|${String(i).padStart(12, '0')}`
      if (after !== undefined && key <= after) return
      found.push({ logStreamName: stream, ...output(e), eventId: eventId(streamPart, i, e.timestamp), key })
    })
  }
  found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const shown = found.slice(0, limit)
  return {
    events: shown.map(({ key: _key, ...event }) => event),
    searchedLogStreams: names.map((logStreamName) => ({ logStreamName, searchedCompletely: true })),
    ...(found.length > limit ? { nextToken: ctx.tokens.issue(scope, shown[shown.length - 1].key) } : {})
  }
}
