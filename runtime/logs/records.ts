// The store's records of CloudWatch Logs: log groups of any name, their
// streams (a file the runner writes, or events PutLogEvents gave), and the
// events of user-written streams. The store is the state: nothing of logs is
// kept in memory but what one call computes.
//
//   logs:groups   <groupName>                      GroupRecord
//   logs:streams  <groupName>:<streamName>         StreamRecord
//   logs:events   <groupName>:<streamName>:<seq>   PutBatchRecord (one PutLogEvents call)
//
// A group name has no `:` (its characters are [.\-_/#A-Za-z0-9]), so
// `<groupName>:` is the prefix of exactly that group's streams, and keys sort
// by stream name within a group. Batch's group /aws/batch/job is not a record
// (its streams are the LogStore's files, its creation time the LogStore's
// `.group`); a record of that name only adds what a user set on it
// (retention, tags).

import type { TagMap } from '../aws/tags.js'

export const GROUPS = 'logs:groups'
export const STREAMS = 'logs:streams'
export const EVENTS = 'logs:events'

export interface GroupRecord {
  name: string
  /** Epoch ms (the engine's clock). */
  createdAt: number
  /** One of RETENTION_DAYS; absent: kept forever. */
  retentionInDays?: number
  tags: TagMap
}

export interface StreamRecord {
  group: string
  name: string
  /** Epoch ms. */
  createdAt: number
  /**
   * file: the lines of a file a runner writes (an ECS container's awslogs
   * output), timed by the marks sidecar `<filePath>.marks` as Batch's streams
   * are (stream-marks.ts). put: the events of PutLogEvents (logs:events).
   */
  source: { kind: 'file'; filePath: string; endedAt?: number } | { kind: 'put'; batches: number; lastIngestionTime?: number }
}

export interface PutBatchRecord {
  /** Ingestion time, epoch ms. */
  ingestedAt: number
  events: Array<{ timestamp: number; message: string }>
}

export function streamKey(group: string, stream: string): string {
  return `${group}:${stream}`
}

export function batchKey(group: string, stream: string, seq: number): string {
  return `${group}:${stream}:${String(seq).padStart(12, '0')}`
}
