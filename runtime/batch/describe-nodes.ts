// One node of a multi-node parallel job as DescribeJobs shows it
// (`<jobId>#<index>`): the job's identity and settings, the node's own status,
// attempts and container (its node range's, with the submission's
// overrides), and which node it is (nodeDetails).

import type { StoreReader } from '../store/store.js'
import { TASKS, type TaskRow } from '../tasks/task-launcher.js'
import type { JobDetail } from './model.js'
import { resolveNode } from './node-properties.js'
import { nodeId, nodeLogStreamName, type JobRow, type NodeRow } from './records.js'
import { containerDetail, containerFrom } from './describe.js'

export function nodeDetail(reader: StoreReader, job: JobRow, node: NodeRow): JobDetail {
  const np = job.nodeProperties!
  const detail: JobDetail = {
    jobArn: `${job.jobArn}#${node.index}`,
    jobName: job.jobName,
    jobId: nodeId(job.jobId, node.index),
    jobQueue: job.jobQueue,
    status: node.status,
    attempts: node.attempts.map((a) => structuredClone(a)),
    createdAt: job.createdAt,
    dependsOn: [],
    jobDefinition: job.jobDefinition,
    parameters: { ...job.parameters },
    container: containerDetail(resolveNode(np, job.nodeOverrides ?? [], job.parameters, node.index)),
    platformCapabilities: [...job.platformCapabilities],
    nodeDetails: { nodeIndex: node.index, isMainNode: node.index === np.mainNode },
    ...(node.statusReason !== undefined ? { statusReason: node.statusReason } : {}),
    ...(node.startedAt !== undefined ? { startedAt: node.startedAt } : {}),
    ...(node.stoppedAt !== undefined ? { stoppedAt: node.stoppedAt } : {}),
    ...(job.retryStrategy ? { retryStrategy: structuredClone(job.retryStrategy) } : {}),
    ...(job.timeoutSeconds !== undefined ? { timeout: { attemptDurationSeconds: job.timeoutSeconds } } : {}),
    ...(job.tags ? { tags: { ...job.tags } } : {}),
    ...(job.propagateTags !== undefined ? { propagateTags: job.propagateTags } : {}),
    ...(job.isCancelled ? { isCancelled: true } : {}),
    ...(job.isTerminated ? { isTerminated: true } : {})
  }
  const live = node.runId === undefined ? undefined : reader.get<TaskRow>(TASKS, node.runId)?.value
  containerFrom(detail, live, live === undefined ? '' : nodeLogStreamName(job.definitionName, job.jobId, node.index, live.attempt), node.attempts.at(-1))
  return detail
}
