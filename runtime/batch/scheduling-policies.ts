// Scheduling policies (fair share): CreateSchedulingPolicy & co. A policy is
// stored as AWS describes it and named by fair-share job queues; deleting one
// a queue still names is refused. Stratus keeps and returns the policy (and a
// job's share identifier); its dispatcher still orders a queue's jobs by
// submission, not by share usage.

import { arns } from '../aws/arn.js'
import type { Partition } from '../aws/partition.js'
import { ConflictError, LimitExceededError, NotFoundError } from '../errors.js'
import type { StoreReader } from '../store/store.js'
import type { BatchContext } from './context.js'
import type {
  CreateSchedulingPolicyRequest, CreateSchedulingPolicyResponse, DeleteSchedulingPolicyRequest, DescribeSchedulingPoliciesRequest,
  DescribeSchedulingPoliciesResponse, FairsharePolicy, ListSchedulingPoliciesRequest, ListSchedulingPoliciesResponse, QuotaSharePolicy,
  SchedulingPolicyDetail, ShareAttributes, UpdateSchedulingPolicyRequest
} from './model.js'
import { POLICIES, QUEUES } from './records.js'
import { checkInteger, checkName, checkTags, clientError, localName } from './validation.js'

export const POLICY_LIMITS = {
  shareDecaySecondsMax: 604_800,
  computeReservationMax: 99,
  shareDistribution: 500,
  shareIdentifierLength: 255,
  weightFactorMin: 0.0001,
  weightFactorMax: 999.9999,
  describe: 100
} as const

const SHARE_IDENTIFIER = /^[A-Za-z0-9]+\*?$/

/** A share identifier as AWS allows it: up to 255 letters and digits, optionally followed by `*`. */
export function checkShareIdentifier(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > POLICY_LIMITS.shareIdentifierLength + 1 || !SHARE_IDENTIFIER.test(value)
    || value.replace(/\*$/, '').length > POLICY_LIMITS.shareIdentifierLength) {
    throw clientError(field, `must be 1 to ${POLICY_LIMITS.shareIdentifierLength} letters and digits, optionally followed by *, got ${JSON.stringify(value)}`, POLICY_LIMITS.shareIdentifierLength)
  }
  return value
}

/** Two entries overlap when one's prefix (`A*`) covers the other (`A1`, `AB*`), or they are equal. */
function overlaps(a: string, b: string): boolean {
  const pa = a.endsWith('*') ? a.slice(0, -1) : undefined
  const pb = b.endsWith('*') ? b.slice(0, -1) : undefined
  if (pa === undefined && pb === undefined) return a === b
  if (pa !== undefined && (pb ?? b).startsWith(pa)) return true
  return pb !== undefined && (pa ?? a).startsWith(pb)
}

function checkFairshare(value: unknown, field: string): FairsharePolicy | undefined {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw clientError(field, 'must be an object')
  const p = value as FairsharePolicy
  const out: FairsharePolicy = {}
  if (p.shareDecaySeconds !== undefined) out.shareDecaySeconds = checkInteger(p.shareDecaySeconds, `${field}.shareDecaySeconds`, 0, POLICY_LIMITS.shareDecaySecondsMax)
  if (p.computeReservation !== undefined) out.computeReservation = checkInteger(p.computeReservation, `${field}.computeReservation`, 0, POLICY_LIMITS.computeReservationMax)
  if (p.shareDistribution !== undefined) {
    const at = `${field}.shareDistribution`
    if (!Array.isArray(p.shareDistribution)) throw clientError(at, 'must be a list of { shareIdentifier, weightFactor }')
    if (p.shareDistribution.length > POLICY_LIMITS.shareDistribution) {
      throw new LimitExceededError('ClientException', `${at}: at most ${POLICY_LIMITS.shareDistribution} share identifiers, got ${p.shareDistribution.length}`, { field: at, limit: POLICY_LIMITS.shareDistribution })
    }
    const shares: ShareAttributes[] = []
    p.shareDistribution.forEach((s: Partial<ShareAttributes>, i) => {
      const id = checkShareIdentifier(s?.shareIdentifier, `${at}[${i}].shareIdentifier`)
      const clash = shares.find((other) => overlaps(other.shareIdentifier, id))
      if (clash !== undefined) throw clientError(`${at}[${i}].shareIdentifier`, `${id} overlaps ${clash.shareIdentifier} (share identifiers may not overlap)`)
      const share: ShareAttributes = { shareIdentifier: id }
      if (s.weightFactor !== undefined) {
        const w = s.weightFactor
        if (typeof w !== 'number' || !Number.isFinite(w) || w < POLICY_LIMITS.weightFactorMin || w > POLICY_LIMITS.weightFactorMax) {
          throw clientError(`${at}[${i}].weightFactor`, `must be from ${POLICY_LIMITS.weightFactorMin} to ${POLICY_LIMITS.weightFactorMax}, got ${String(w)}`,
            typeof w === 'number' && w < POLICY_LIMITS.weightFactorMin ? POLICY_LIMITS.weightFactorMin : POLICY_LIMITS.weightFactorMax)
        }
        share.weightFactor = w
      }
      shares.push(share)
    })
    out.shareDistribution = shares
  }
  return out
}

function checkQuotaShare(value: unknown, field: string): QuotaSharePolicy | undefined {
  if (value === undefined) return undefined
  const strategy = (value as QuotaSharePolicy | null)?.idleResourceAssignmentStrategy
  if (strategy !== 'FIFO') throw clientError(`${field}.idleResourceAssignmentStrategy`, `must be FIFO, got ${String(strategy)}`)
  return { idleResourceAssignmentStrategy: strategy }
}

/** A policy by ARN (or name); NotFound (ClientException) naming the field otherwise. */
export function readPolicy(p: Partition, reader: StoreReader, value: unknown, field: string): { detail: SchedulingPolicyDetail; version: number } {
  const name = typeof value === 'string' ? localName(p, value, 'scheduling-policy', field) : ''
  const found = name === '' ? undefined : reader.get<SchedulingPolicyDetail>(POLICIES, name)
  if (found === undefined) throw new NotFoundError('ClientException', `${field}: scheduling policy ${String(value)} does not exist`, { field })
  return { detail: found.value, version: found.version }
}

export function createSchedulingPolicy(ctx: BatchContext, input: CreateSchedulingPolicyRequest): CreateSchedulingPolicyResponse {
  const name = checkName(input?.name, 'name')
  const fairsharePolicy = checkFairshare(input.fairsharePolicy, 'fairsharePolicy')
  const quotaSharePolicy = checkQuotaShare(input.quotaSharePolicy, 'quotaSharePolicy')
  const tags = checkTags(input.tags, 'tags')
  return ctx.store.transaction((tx) => {
    if (tx.get(POLICIES, name) !== undefined) throw new ConflictError('ClientException', `name: scheduling policy ${name} already exists`, { field: 'name' })
    const detail: SchedulingPolicyDetail = {
      name,
      arn: arns.batch.schedulingPolicy(ctx.partition, name),
      ...(fairsharePolicy ? { fairsharePolicy } : {}),
      ...(quotaSharePolicy ? { quotaSharePolicy } : {}),
      ...(tags ? { tags } : {})
    }
    tx.put(POLICIES, name, detail, 0)
    return { name, arn: detail.arn }
  })
}

export function updateSchedulingPolicy(ctx: BatchContext, input: UpdateSchedulingPolicyRequest): void {
  const fairsharePolicy = checkFairshare(input?.fairsharePolicy, 'fairsharePolicy')
  const quotaSharePolicy = checkQuotaShare(input?.quotaSharePolicy, 'quotaSharePolicy')
  ctx.store.transaction((tx) => {
    const { detail, version } = readPolicy(ctx.partition, tx, input?.arn, 'arn')
    const next: SchedulingPolicyDetail = { ...detail }
    if (fairsharePolicy !== undefined) next.fairsharePolicy = fairsharePolicy
    if (quotaSharePolicy !== undefined) next.quotaSharePolicy = quotaSharePolicy
    tx.put(POLICIES, detail.name, next, version)
  })
}

export function deleteSchedulingPolicy(ctx: BatchContext, input: DeleteSchedulingPolicyRequest): void {
  ctx.store.transaction((tx) => {
    const { detail, version } = readPolicy(ctx.partition, tx, input?.arn, 'arn')
    const users = tx.scan<{ jobQueueName: string }>(QUEUES, { index: { name: 'policy', value: detail.name }, limit: 3 })
    if (users.length > 0) {
      throw new ConflictError('ClientException', `arn: scheduling policy ${detail.name} is used by job queue ${users.map((u) => u.value.jobQueueName).join(', ')}; update or delete the queue first`, { field: 'arn' })
    }
    tx.delete(POLICIES, detail.name, version)
  })
}

export function describeSchedulingPolicies(ctx: BatchContext, input: DescribeSchedulingPoliciesRequest): DescribeSchedulingPoliciesResponse {
  const list = input?.arns
  if (!Array.isArray(list)) throw clientError('arns', 'must be a list of scheduling policy ARNs')
  if (list.length > POLICY_LIMITS.describe) throw clientError('arns', `at most ${POLICY_LIMITS.describe}, got ${list.length}`, POLICY_LIMITS.describe)
  const out: SchedulingPolicyDetail[] = []
  // Unknown ARNs are left out, as for the other Describe calls.
  for (const value of list) {
    const name = typeof value === 'string' ? localName(ctx.partition, value, 'scheduling-policy', 'arns') : ''
    const found = name === '' ? undefined : ctx.store.get<SchedulingPolicyDetail>(POLICIES, name)
    if (found !== undefined) out.push(structuredClone(found.value))
  }
  return { schedulingPolicies: out }
}

export function listSchedulingPolicies(ctx: BatchContext, input: ListSchedulingPoliciesRequest = {}): ListSchedulingPoliciesResponse {
  const max = input.maxResults === undefined ? 100 : checkInteger(input.maxResults, 'maxResults', 1, 1000)
  const after = input.nextToken === undefined ? undefined : ctx.tokens.read(input.nextToken, 'ListSchedulingPolicies', { code: 'ClientException' })
  const page = ctx.store.scan<SchedulingPolicyDetail>(POLICIES, { after, limit: max + 1 })
  const shown = page.slice(0, max)
  return {
    schedulingPolicies: shown.map((p) => ({ arn: p.value.arn })),
    ...(page.length > max ? { nextToken: ctx.tokens.issue('ListSchedulingPolicies', shown[shown.length - 1].key) } : {})
  }
}
