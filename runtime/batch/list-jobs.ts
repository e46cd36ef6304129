// DescribeJobs and ListJobs. ListJobs pages with tokens that resume after the
// last job (or child) of the previous page, so paging through a queue while
// jobs come and go never repeats one; it matches first and builds summaries
// for the page alone (paging a 10,000-child array does not describe every
// child on every page).

import { NotFoundError } from '../errors.js'
import type { BatchContext } from './context.js'
import { detailOf, jobDetail, resolveJob, summaryOf, children as childrenOf } from './describe.js'
import { nodeDetail } from './describe-nodes.js'
import { readNodes } from './multinode.js'
import { JOB_STATUSES, type DescribeJobsRequest, type DescribeJobsResponse, type JobDetail, type JobStatus, type JobSummary, type ListJobsRequest, type ListJobsResponse } from './model.js'
import { JOBS, type JobRow } from './records.js'
import { readQueue } from './job-queues.js'
import { checkInteger, clientError } from './validation.js'

export function describeJobs(ctx: BatchContext, input: DescribeJobsRequest): DescribeJobsResponse {
  const ids = input?.jobs
  if (!Array.isArray(ids)) throw clientError('jobs', 'must be a list of job ids')
  if (ids.length > 100) throw clientError('jobs', `at most 100 job ids, got ${ids.length}`, 100)
  const out: JobDetail[] = []
  // Unknown ids are left out, as on AWS.
  for (const id of ids) {
    const found = resolveJob(ctx.store, id)
    if (found !== undefined) out.push(detailOf(ctx.store, found))
  }
  return { jobs: out }
}

interface Filters {
  name?: (name: string) => boolean
  before?: number
  after?: number
  definition?: (arn: string, name: string) => boolean
  share?: string
}

/** As AWS matches JOB_NAME and JOB_DEFINITION: the value, or with a trailing `*` a prefix of it. */
function pattern(value: string, caseless: boolean): (s: string) => boolean {
  const fold = caseless ? (s: string) => s.toLowerCase() : (s: string) => s
  const v = fold(value)
  return v.endsWith('*') ? (s) => fold(s).startsWith(v.slice(0, -1)) : (s) => fold(s) === v
}

function readFilters(input: ListJobsRequest): Filters | undefined {
  if (input.filters === undefined) return undefined
  if (!Array.isArray(input.filters)) throw clientError('filters', 'must be a list of { name, values }')
  // "Only one filter can be used at a time", as the Batch API reference says.
  if (input.filters.length !== 1) throw clientError('filters', `give exactly one filter, got ${input.filters.length}`, 1)
  const out: Filters = {}
  input.filters.forEach((f, i) => {
    const at = `filters[${i}]`
    if (!Array.isArray(f?.values) || f.values.length !== 1 || typeof f.values[0] !== 'string') throw clientError(`${at}.values`, 'must hold exactly one string', 1)
    const value = f.values[0]
    switch (f.name) {
      // Case-insensitive, as AWS matches job names.
      case 'JOB_NAME': out.name = pattern(value, true); break
      case 'JOB_DEFINITION': {
        if (value.startsWith('arn:')) {
          // An ARN names one revision, and takes no `*`.
          if (value.includes('*')) throw clientError(`${at}.values`, `* is not supported with a job definition ARN, got ${value}`)
          out.definition = (arn) => arn === value
        } else {
          // A name matches every revision of it.
          const match = pattern(value, false)
          out.definition = (_arn, name) => match(name)
        }
        break
      }
      case 'BEFORE_CREATED_AT':
      case 'AFTER_CREATED_AT': {
        const ms = Number(value)
        if (value.trim() === '' || !Number.isFinite(ms)) throw clientError(`${at}.values`, `must be epoch milliseconds, got ${value}`)
        if (f.name === 'BEFORE_CREATED_AT') out.before = ms
        else out.after = ms
        break
      }
      case 'SHARE_IDENTIFIER': out.share = value; break
      default: throw clientError(`${at}.name`, `must be JOB_NAME, JOB_DEFINITION, BEFORE_CREATED_AT, AFTER_CREATED_AT or SHARE_IDENTIFIER, got ${String(f?.name)}`)
    }
  })
  return out
}

function passes(filters: Filters, row: JobRow): boolean {
  if (filters.name && !filters.name(row.jobName)) return false
  if (filters.definition && !filters.definition(row.jobDefinition, row.definitionName)) return false
  if (filters.before !== undefined && !(row.createdAt < filters.before)) return false
  if (filters.after !== undefined && !(row.createdAt > filters.after)) return false
  if (filters.share !== undefined && row.shareIdentifier !== filters.share) return false
  return true
}

export function listJobs(ctx: BatchContext, input: ListJobsRequest = {}): ListJobsResponse {
  if (input.jobStatus !== undefined && !JOB_STATUSES.includes(input.jobStatus)) throw clientError('jobStatus', `must be one of ${JOB_STATUSES.join(', ')}`)
  const filters = readFilters(input)
  // As AWS pages it: up to 1,000 per page, 100 when filters are used.
  const limit = filters === undefined ? 1000 : 100
  const max = input.maxResults === undefined ? limit : checkInteger(input.maxResults, 'maxResults', 1, limit)
  const scope = `ListJobs|${input.jobQueue ?? ''}|${input.arrayJobId ?? ''}|${input.multiNodeJobId ?? ''}|${input.jobStatus ?? ''}|${JSON.stringify(input.filters ?? null)}`
  const position = input.nextToken === undefined ? undefined : ctx.tokens.read(input.nextToken, scope, { code: 'ClientException' })
  const summaries: JobSummary[] = []
  const scopes = [input.jobQueue, input.arrayJobId, input.multiNodeJobId].filter((v) => v !== undefined).length
  if (scopes > 1) throw clientError('jobQueue', 'give one of jobQueue, arrayJobId and multiNodeJobId')
  // "The filter doesn't apply to child jobs in an array or multi-node parallel jobs" (the Batch API reference): listing those, it is not used.
  if (input.multiNodeJobId !== undefined) {
    const found = resolveJob(ctx.store, input.multiNodeJobId)
    if (found === undefined || found.child >= 0 || found.node >= 0 || found.row.nodeProperties === undefined) {
      throw new NotFoundError('ClientException', `multiNodeJobId: ${input.multiNodeJobId} is not a multi-node parallel job`, { field: 'multiNodeJobId' })
    }
    const row = found.row
    // Every node, in index order, without a status (as an array's children are listed); or the nodes in one.
    const nodes = readNodes(ctx.store, row.jobId)
    for (let i = position === undefined ? 0 : Number(position) + 1; i < nodes.length; i++) {
      if (input.jobStatus !== undefined && nodes[i].status !== input.jobStatus) continue
      if (summaries.length === max) return { jobSummaryList: summaries, nextToken: ctx.tokens.issue(scope, String(i - 1)) }
      summaries.push(summaryOf(nodeDetail(ctx.store, row, nodes[i]), nodes.length))
    }
    return { jobSummaryList: summaries }
  }
  if (input.arrayJobId !== undefined) {
    const found = resolveJob(ctx.store, input.arrayJobId)
    const c = found === undefined || found.child >= 0 || found.node >= 0 ? undefined : childrenOf(ctx.store, found.row.jobId)
    if (found === undefined || c === undefined) throw new NotFoundError('ClientException', `arrayJobId: ${input.arrayJobId} is not an array job`, { field: 'arrayJobId' })
    // Without a status, every child (an array's children are listed whatever their state).
    const wanted = input.jobStatus === undefined ? undefined : JOB_STATUSES.indexOf(input.jobStatus)
    const status = c.column('status')
    for (let i = position === undefined ? 0 : Number(position) + 1; i < status.length; i++) {
      if (wanted !== undefined && status[i] !== wanted) continue
      if (summaries.length === max) return { jobSummaryList: summaries, nextToken: ctx.tokens.issue(scope, String(i - 1)) }
      summaries.push(summaryOf(jobDetail(ctx.store, found.row, i)))
    }
    return { jobSummaryList: summaries }
  }
  if (input.jobQueue === undefined) throw clientError('jobQueue', 'is required (or arrayJobId, or multiNodeJobId)')
  const queue = readQueue(ctx.partition, ctx.store, input.jobQueue, 'jobQueue').detail
  // With filters, jobs of every status (AWS ignores jobStatus then, but for SHARE_IDENTIFIER); without, one status (RUNNING by default).
  const status: JobStatus | undefined = filters === undefined ? input.jobStatus ?? 'RUNNING' : filters.share !== undefined ? input.jobStatus : undefined
  const index = status === undefined ? { name: 'queue', value: queue.jobQueueName } : { name: 'queueStatus', value: `${queue.jobQueueName}|${status}` }
  let after = position
  for (;;) {
    const page = ctx.store.scan<JobRow>(JOBS, { index, after, limit: max + 1 })
    for (const { key, value } of page) {
      if (filters !== undefined && !passes(filters, value)) {
        after = key
        continue
      }
      if (summaries.length === max) return { jobSummaryList: summaries, nextToken: ctx.tokens.issue(scope, after!) }
      summaries.push(summaryOf(jobDetail(ctx.store, value, -1)))
      after = key
    }
    if (page.length <= max) return { jobSummaryList: summaries }
  }
}
