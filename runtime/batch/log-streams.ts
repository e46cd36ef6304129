// What Batch knows of a log stream (`<definition>/default/<jobId>[-<child>|#<node>]-<attempt>`):
// its attempt's start and end, and whether it still runs. CloudWatch Logs
// (runtime/logs/) bounds the times of a stream's lines by it.

import type { StreamAttempt } from '../logs/index.js'
import type { BatchContext } from './context.js'
import { detailOf, resolveJob } from './describe.js'

const TASK = /\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:-(\d+)|#(\d+))?-(\d+)$/

/** The attempt a stream belongs to; undefined when it is not (or no longer) one of Batch's jobs. */
export function streamAttempt(ctx: BatchContext, logStreamName: string): StreamAttempt | undefined {
  const m = TASK.exec(logStreamName)
  if (m === null) return undefined
  const [, jobId, child, node] = m
  const found = resolveJob(ctx.store, child !== undefined ? `${jobId}:${child}` : node !== undefined ? `${jobId}#${node}` : jobId)
  if (found === undefined) return undefined
  const detail = detailOf(ctx.store, found)
  const ended = detail.attempts.find((a) => a.container.logStreamName === logStreamName)
  if (ended !== undefined) return { startedAt: ended.startedAt, stoppedAt: ended.stoppedAt, live: false }
  if (detail.container.logStreamName === logStreamName && (detail.status === 'STARTING' || detail.status === 'RUNNING')) {
    return { ...(detail.startedAt !== undefined ? { startedAt: detail.startedAt } : {}), live: true }
  }
  // Its attempt is being recorded as ended (or was never started): nothing more will be written.
  return { live: false }
}
