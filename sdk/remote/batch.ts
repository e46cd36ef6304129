// BatchService over the wire: the AWS Batch operations as restJson1
// (`POST /v1/<operation in lower case>`, JSON bodies, as Batch's service model
// says; Batch's times are epoch-ms numbers and stay numbers), and the
// extensions (nodes, waits, logs, explanations) over the /stratus/ API.

import type {
  BatchApi, BatchNode, BatchService, ComputeEnvironmentDetail, JobDetail, JobQueueDetail, LogOptions, PlacementExplanation, RegisterNodeInput
} from '../../runtime/index.js'
import { encode } from './codec.js'
import type { StratusApi } from './stratus-api.js'
import type { WireClient } from './wire.js'

type Op = keyof BatchApi

/** The AWS operation name of each BatchApi method (its restJson1 path is `/v1/` + the name in lower case). */
const OPERATIONS: Readonly<Record<Op, string>> = {
  createComputeEnvironment: 'CreateComputeEnvironment',
  updateComputeEnvironment: 'UpdateComputeEnvironment',
  deleteComputeEnvironment: 'DeleteComputeEnvironment',
  describeComputeEnvironments: 'DescribeComputeEnvironments',
  createJobQueue: 'CreateJobQueue',
  updateJobQueue: 'UpdateJobQueue',
  deleteJobQueue: 'DeleteJobQueue',
  describeJobQueues: 'DescribeJobQueues',
  registerJobDefinition: 'RegisterJobDefinition',
  deregisterJobDefinition: 'DeregisterJobDefinition',
  describeJobDefinitions: 'DescribeJobDefinitions',
  submitJob: 'SubmitJob',
  describeJobs: 'DescribeJobs',
  listJobs: 'ListJobs',
  cancelJob: 'CancelJob',
  terminateJob: 'TerminateJob'
}

type Api = { [K in Op]: BatchApi[K] }

function batchApi(wire: WireClient): Api {
  const api = {} as Record<Op, (input?: unknown) => Promise<unknown>>
  for (const [method, operation] of Object.entries(OPERATIONS) as Array<[Op, string]>) {
    const path = `/v1/${operation.toLowerCase()}`
    api[method] = (input) => wire.json({ service: 'batch', path, body: encode(input), family: 'stratus' })
  }
  return api as unknown as Api
}

export function remoteBatch(wire: WireClient, stratus: StratusApi): BatchService {
  return {
    ...batchApi(wire),
    async listNodes(computeEnvironment: string): Promise<BatchNode[]> {
      return (await stratus.call<{ nodes: BatchNode[] }>('ListNodes', { computeEnvironment })).nodes
    },
    async registerNode(computeEnvironment: string, node: RegisterNodeInput): Promise<BatchNode> {
      return (await stratus.call<{ node: BatchNode }>('RegisterNode', { computeEnvironment, node })).node
    },
    async deregisterNode(computeEnvironment: string, nodeId: string): Promise<void> {
      await stratus.call('DeregisterNode', { computeEnvironment, nodeId })
    },
    async waitForComputeEnvironment(computeEnvironment: string): Promise<ComputeEnvironmentDetail | undefined> {
      return (await stratus.call<{ computeEnvironment?: ComputeEnvironmentDetail }>('WaitForComputeEnvironment', { computeEnvironment }, { long: true })).computeEnvironment
    },
    async waitForJobQueue(jobQueue: string): Promise<JobQueueDetail | undefined> {
      return (await stratus.call<{ jobQueue?: JobQueueDetail }>('WaitForJobQueue', { jobQueue }, { long: true })).jobQueue
    },
    async waitForJob(jobId: string): Promise<JobDetail> {
      return (await stratus.call<{ job: JobDetail }>('WaitForJob', { jobId }, { long: true })).job
    },
    async *jobLogs(jobId: string, options: LogOptions = {}): AsyncIterable<string> {
      for await (const line of stratus.stream('JobLogs', { jobId, ...options })) yield line as string
    },
    async explainJob(jobId: string): Promise<PlacementExplanation | undefined> {
      return (await stratus.call<{ explanation?: PlacementExplanation }>('ExplainJob', { jobId })).explanation
    },
    async countJobs(): Promise<number> {
      return (await stratus.call<{ count: number }>('CountJobs', {})).count
    }
  }
}
