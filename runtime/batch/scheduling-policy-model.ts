// Batch's scheduling policy shapes (fair share), field for field.

export interface ShareAttributes {
  /** A share identifier, or a prefix ending in `*`; up to 255 characters. */
  shareIdentifier: string
  /** 0.0001 to 999.9999 (default 1.0): lower gets more. */
  weightFactor?: number
}

export interface FairsharePolicy {
  /** 0 to 604800 (0: the default window, 600 seconds). */
  shareDecaySeconds?: number
  /** 0 to 99. */
  computeReservation?: number
  /** Up to 500 entries, none overlapping another. */
  shareDistribution?: ShareAttributes[]
}

export interface QuotaSharePolicy {
  idleResourceAssignmentStrategy: 'FIFO'
}

export interface SchedulingPolicyDetail {
  name: string
  arn: string
  fairsharePolicy?: FairsharePolicy
  quotaSharePolicy?: QuotaSharePolicy
  tags?: Record<string, string>
}

export interface CreateSchedulingPolicyRequest {
  name: string
  fairsharePolicy?: FairsharePolicy
  quotaSharePolicy?: QuotaSharePolicy
  tags?: Record<string, string>
}

export interface CreateSchedulingPolicyResponse {
  name: string
  arn: string
}

export interface UpdateSchedulingPolicyRequest {
  arn: string
  fairsharePolicy?: FairsharePolicy
  quotaSharePolicy?: QuotaSharePolicy
}

export interface DeleteSchedulingPolicyRequest {
  arn: string
}

export interface DescribeSchedulingPoliciesRequest {
  /** Up to 100 ARNs (unknown ones left out). */
  arns: string[]
}

export interface DescribeSchedulingPoliciesResponse {
  schedulingPolicies: SchedulingPolicyDetail[]
}

export interface ListSchedulingPoliciesRequest {
  maxResults?: number
  nextToken?: string
}

export interface ListSchedulingPoliciesResponse {
  schedulingPolicies: Array<{ arn: string }>
  nextToken?: string
}
