// A group's streams, whatever holds them: the store's records (an ECS
// container's awslogs file, or events PutLogEvents gave) and, in Batch's
// group, the LogStore's job output files. Reading one gives its events in
// order, timed (stream-marks.ts for files), with those past the group's
// retention left out.

import { rmSync } from 'node:fs'
import type { StreamAttempt } from './context.js'
import type { LogsContext } from './context.js'
import { retentionCutoff, type GroupView } from './groups.js'
import { readStream, type StreamEvent } from './stream-marks.js'
import { EVENTS, STREAMS, streamKey, type PutBatchRecord, type StreamRecord } from './records.js'

export interface StreamEventRead extends StreamEvent {
  /** Epoch ms it was ingested (PutLogEvents' call; for files, the time it was first seen: its timestamp). */
  ingestionTime: number
}

export interface StreamContent {
  events: StreamEventRead[]
  creationTime: number
  /** The last time anything was ingested (undefined: nothing yet). */
  lastIngestionTime?: number
}

/** The marks sidecar of a file stream's file. */
export function marksPathOf(filePath: string): string {
  return `${filePath}.marks`
}

/** A group's stream names, sorted. */
export async function streamNames(ctx: LogsContext, group: GroupView): Promise<string[]> {
  const names = new Set(ctx.store.scan<StreamRecord>(STREAMS, { prefix: `${group.name}:` }).map((r) => r.value.name))
  if (group.batch) for (const n of await ctx.logs.streams()) names.add(n)
  return [...names].sort()
}

function stamped(events: StreamEvent[]): StreamEventRead[] {
  // The engine saw each line when it stamped it: that is its ingestion too.
  return events.map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.timestamp }))
}

/** Reads a file with its lines' times bounded by [from, to]: never before the stream began, never after it ended. */
async function readFileBounded(ctx: LogsContext, path: string, marks: string, bounds: StreamAttempt): Promise<{ events: StreamEvent[]; firstSeen?: number; lastSeen?: number }> {
  let now = ctx.now()
  if (!bounds.live && bounds.stoppedAt !== undefined) now = Math.min(now, bounds.stoppedAt)
  if (bounds.startedAt !== undefined) now = Math.max(now, bounds.startedAt)
  return readStream(path, marks, { now, live: bounds.live })
}

/** A stream's events and times; undefined when the group has no such stream. */
export async function readStreamContent(ctx: LogsContext, group: GroupView, name: string): Promise<StreamContent | undefined> {
  const record = ctx.store.get<StreamRecord>(STREAMS, streamKey(group.name, name))?.value
  let content: StreamContent
  if (record?.source.kind === 'put') {
    const events: StreamEventRead[] = []
    for (const b of ctx.store.scan<PutBatchRecord>(EVENTS, { prefix: `${streamKey(group.name, name)}:` })) {
      for (const e of b.value.events) events.push({ timestamp: e.timestamp, message: e.message, ingestionTime: b.value.ingestedAt })
    }
    // Chronological, calls in the order they came for equal times (sort is stable).
    events.sort((a, b) => a.timestamp - b.timestamp)
    content = { events, creationTime: record.createdAt, ...(record.source.lastIngestionTime !== undefined ? { lastIngestionTime: record.source.lastIngestionTime } : {}) }
  } else if (record?.source.kind === 'file') {
    const { filePath, endedAt } = record.source
    const read = await readFileBounded(ctx, filePath, marksPathOf(filePath), { startedAt: record.createdAt, ...(endedAt !== undefined ? { stoppedAt: endedAt } : {}), live: endedAt === undefined })
    content = { events: stamped(read.events), creationTime: record.createdAt, ...(read.lastSeen !== undefined && read.events.length > 0 ? { lastIngestionTime: read.lastSeen } : {}) }
  } else if (group.batch && (await ctx.logs.exists(name))) {
    const attempt = ctx.attempt(name)
    const read = await readFileBounded(ctx, ctx.logs.pathOf(name), ctx.logs.marksOf(name), attempt ?? { live: false })
    content = {
      events: stamped(read.events),
      creationTime: attempt?.startedAt ?? read.firstSeen ?? ctx.now(),
      ...(read.lastSeen !== undefined && read.events.length > 0 ? { lastIngestionTime: read.lastSeen } : {})
    }
  } else {
    return undefined
  }
  const cutoff = retentionCutoff(ctx, group)
  if (cutoff !== undefined) content.events = content.events.filter((e) => e.timestamp >= cutoff)
  return content
}

/** Removes files whose streams were deleted, and their marks (already gone: nothing to do). */
export function removeStreamFiles(paths: string[]): void {
  for (const p of paths) {
    for (const f of [p, marksPathOf(p)]) {
      try {
        rmSync(f, { force: true })
      } catch {
        // A file the engine may not remove (another owner's directory): its stream is gone all the same.
      }
    }
  }
}
