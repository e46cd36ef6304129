// The awslogs log driver's side in the engine: what ECS's tasks call to give
// a container's output a CloudWatch Logs stream. A stream is a record in the
// store (logs:streams) naming the file the runner writes the container's
// stdout and stderr to (ContainerSpec.logPath); its events are the file's
// lines, timed exactly as Batch's are (stream-marks.ts): the marks sidecar
// `<logPath>.marks` is written by the readers (DescribeLogStreams,
// GetLogEvents, FilterLogEvents) while the stream is open, and reads are
// bounded by [createdAt, endedAt]. Nothing to flush: the runner's file is the
// stream, so what the container wrote before end() is readable at once.
//
// Contract for the caller (ECS tasks):
//   - open() in the transaction that commits the task's intent, before the
//     runner starts (the stream then exists when the container writes);
//     refused (AwsLogsGroupMissingError) when the group is not there and
//     createGroup is false: the task fails to start with err.message as its
//     stoppedReason (ECS's words).
//   - end() in the transaction that records the container stopped (the
//     task's STOPPED): the stream's times stop at endedAt.
//   - the file is the stream's from open() on: keep it (do not put it inside
//     storage deleted when the task stops); DeleteLogGroup / DeleteLogStream
//     remove it, and its marks, after they commit.

import { ConflictError, NotFoundError } from '../errors.js'
import type { Store, Transaction } from '../store/store.js'
import { checkGroupName, checkStreamName } from './names.js'
import { GROUPS, STREAMS, streamKey, type GroupRecord, type StreamRecord } from './records.js'

export interface AwsLogsStreamSpec {
  /** awslogs-group. */
  group: string
  /** `<awslogs-stream-prefix>/<container-name>/<task-id>` (see awslogsStreamName). */
  stream: string
  /** The file the runner writes the container's output to (ContainerSpec.logPath), absolute. */
  filePath: string
  /** Epoch ms, the engine's clock: the stream's creationTime; no line is timed before it. */
  createdAt: number
  /** awslogs-create-group "true": create the group when it is not there. */
  createGroup: boolean
}

/** The stoppedReason of a task whose awslogs group does not exist, as ECS words it. */
export const AWSLOGS_GROUP_MISSING_REASON =
  'ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.'

/** open() of a group that does not exist, without createGroup: the task cannot start (message: ECS's stoppedReason). */
export class AwsLogsGroupMissingError extends NotFoundError {
  readonly group: string
  constructor(group: string) {
    super('ResourceInitializationError', AWSLOGS_GROUP_MISSING_REASON, { field: 'logConfiguration.options.awslogs-group' })
    this.group = group
  }
}

/** ECS's awslogs stream name: `<prefix>/<container-name>/<task-id>` (the task id: the last part of the task ARN). */
export function awslogsStreamName(prefix: string, containerName: string, taskId: string): string {
  return `${prefix}/${containerName}/${taskId}`
}

function inTransaction<R>(on: Store | Transaction, fn: (tx: Transaction) => R): R {
  return 'transaction' in on ? on.transaction(fn) : fn(on)
}


export const AwsLogs = {
  /**
   * Registers the stream of a container's output file (creating the group
   * when asked). Opening the same stream again with the same file (a task
   * resumed after a restart) changes nothing; with another file it is a
   * ConflictError (ResourceAlreadyExistsException). Bad names are
   * InvalidArgumentError naming `logConfiguration.options.awslogs-group` or
   * the stream. Given a Store, runs as a transaction of its own.
   */
  open(on: Store | Transaction, spec: AwsLogsStreamSpec): void {
    const group = checkGroupName(spec.group, 'logConfiguration.options.awslogs-group')
    const stream = checkStreamName(spec.stream, 'logStreamName')
    if (typeof spec.filePath !== 'string' || !spec.filePath.startsWith('/')) throw new TypeError('AwsLogs.open: filePath must be an absolute path')
    inTransaction(on, (tx) => {
      // Batch's /aws/batch/job counts only once it has a record (createGroup, a retention policy, tags): its job files are not the store's.
      if (tx.get<GroupRecord>(GROUPS, group) === undefined) {
        if (!spec.createGroup) throw new AwsLogsGroupMissingError(group)
        tx.put<GroupRecord>(GROUPS, group, { name: group, createdAt: spec.createdAt, tags: {} }, 0)
      }
      const key = streamKey(group, stream)
      const existing = tx.get<StreamRecord>(STREAMS, key)
      if (existing !== undefined) {
        if (existing.value.source.kind === 'file' && existing.value.source.filePath === spec.filePath) return
        throw new ConflictError('ResourceAlreadyExistsException', `The specified log stream already exists: ${group} ${stream}`, { field: 'logStreamName' })
      }
      tx.put<StreamRecord>(STREAMS, key, { group, name: stream, createdAt: spec.createdAt, source: { kind: 'file', filePath: spec.filePath } }, 0)
    })
  },

  /**
   * The container stopped: its stream's lines are timed no later than
   * endedAt. A stream no longer there (its group was deleted) or already
   * ended is left as it is.
   */
  end(on: Store | Transaction, ref: { group: string; stream: string; endedAt: number }): void {
    inTransaction(on, (tx) => {
      const key = streamKey(ref.group, ref.stream)
      const existing = tx.get<StreamRecord>(STREAMS, key)
      if (existing === undefined || existing.value.source.kind !== 'file' || existing.value.source.endedAt !== undefined) return
      tx.put<StreamRecord>(STREAMS, key, { ...existing.value, source: { ...existing.value.source, endedAt: ref.endedAt } }, existing.version)
    })
  }
} as const
