// Elastic Load Balancing v2 as a table (awsQuery, API version 2015-12-01,
// signing name elasticloadbalancing): each operation is the ELBv2 control
// plane's method of the same name (runtime/elb), its input decoded by the
// operation's shape (elbv2-shapes.ts: `Targets.member.1.Port` → a number in
// a list), its output written as ELBv2's XML. IAM action
// `elasticloadbalancing:<Operation>` on the ARNs the call touches (Describe*
// have no resource-level permissions on AWS: `*`), with aws:RequestTag and
// aws:TagKeys of the tags a call sets or removes; creations name the ARN to
// be, its id unknown yet (`loadbalancer/app/web/*`). Errors: the control
// plane's codes are ELBv2's error codes (LoadBalancerNotFound, PriorityInUse,
// …, with or without the `Exception` of the SDK's class names), sent with the
// model's HTTP status; others by kind, ValidationError for bad input. The
// control plane's timestamps (epoch ms) go out as ISO 8601.

import type { Partition } from '../../aws/partition.js'
import type { Elbv2Operations } from '../../elb/model.js'
import { EMPTY_RESULT } from '../aws-query.js'
import { codedOf } from '../errors.js'
import { decodeStruct, mapTimes, toDate, type StructShape } from '../query-shapes.js'
import { readOnlyByName, type Authorization, type Operation, type ServiceTable, type WireError } from '../operation.js'
import { ELBV2_INPUTS, ELBV2_OUTPUTS } from './elbv2-shapes.js'
import { queryList } from './query-lists.js'

export const ELBV2_VERSION = '2015-12-01'
export const ELBV2_XMLNS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/'

/** ELBv2's error codes (the `<Code>` the SDK maps to its exception classes) and their HTTP statuses, from the service model. */
export const ELBV2_ERRORS: Readonly<Record<string, number>> = {
  ALPNPolicyNotFound: 400, AllocationIdNotFound: 400, AssociationNotFound: 400, AvailabilityZoneNotSupported: 400, CaCertificatesBundleNotFound: 400,
  CapacityDecreaseRequestLimitExceeded: 400, CapacityReservationPending: 400, CapacityUnitsLimitExceeded: 400, CertificateNotFound: 400,
  DeleteAssociationSameAccount: 400, DuplicateListener: 400, DuplicateLoadBalancerName: 400, DuplicateTagKeys: 400, DuplicateTargetGroupName: 400,
  DuplicateTrustStoreName: 400, HealthUnavailable: 500, IncompatibleProtocols: 400, InsufficientCapacity: 500, InvalidCaCertificatesBundle: 400,
  InvalidConfigurationRequest: 400, InvalidLoadBalancerAction: 400, InvalidRevocationContent: 400, InvalidScheme: 400, InvalidSecurityGroup: 400,
  InvalidSubnet: 400, InvalidTarget: 400, ListenerNotFound: 400, LoadBalancerNotFound: 400, OperationNotPermitted: 400, PriorRequestNotComplete: 429,
  PriorityInUse: 400, ResourceInUse: 400, ResourceNotFound: 400, RevocationContentNotFound: 400, RevocationIdNotFound: 400, RuleNotFound: 400,
  SSLPolicyNotFound: 400, SubnetNotFound: 400, TargetGroupAssociationLimit: 400, TargetGroupNotFound: 400, TooManyActions: 400,
  TooManyCertificates: 400, TooManyListeners: 400, TooManyLoadBalancers: 400, TooManyRegistrationsForTargetId: 400, TooManyRules: 400,
  TooManyTags: 400, TooManyTargetGroups: 400, TooManyTargets: 400, TooManyTrustStoreRevocationEntries: 400, TooManyTrustStores: 400,
  TooManyUniqueTargetGroupsPerLoadBalancer: 400, TrustStoreInUse: 400, TrustStoreNotFound: 400, TrustStoreNotReady: 400, UnsupportedProtocol: 400,
  ValidationError: 400
}

/** The SDK's class names whose code is not the name without `Exception`. */
const RENAMED: Readonly<Record<string, string>> = {
  ALPNPolicyNotSupportedException: 'ALPNPolicyNotFound',
  CapacityDecreaseRequestsLimitExceededException: 'CapacityDecreaseRequestLimitExceeded',
  TrustStoreAssociationNotFoundException: 'AssociationNotFound'
}

/** The code for each error kind that has no ELBv2 code of its own. */
const OF_KIND: Readonly<Record<string, [string, number]>> = {
  InvalidArgument: ['ValidationError', 400], NotFound: ['ResourceNotFound', 400], Conflict: ['OperationNotPermitted', 400],
  LimitExceeded: ['ValidationError', 400], AccessDenied: ['AccessDenied', 403], Unavailable: ['ServiceUnavailable', 503], Internal: ['InternalFailure', 500]
}

/** The ELBv2 code an engine error code stands for, if it is one. */
export function elbv2Code(code: string): string | undefined {
  if (code in ELBV2_ERRORS) return code
  const renamed = RENAMED[code]
  if (renamed !== undefined) return renamed
  const bare = code.endsWith('Exception') ? code.slice(0, -'Exception'.length) : undefined
  return bare !== undefined && bare in ELBV2_ERRORS ? bare : undefined
}

export function elbv2Error(err: unknown): WireError {
  const coded = codedOf(err)
  const message = err instanceof Error ? err.message : String(err)
  if (coded === undefined) return { type: 'InternalFailure', status: 500, message }
  const code = elbv2Code(coded.code)
  if (code !== undefined) return { type: code, status: ELBV2_ERRORS[code], message }
  const [type, status] = OF_KIND[coded.kind] ?? ['InternalFailure', 500]
  return { type, status, message }
}

/** A missing required member, in the Coral wording ELBv2's front end uses. */
export function elbv2Invalid(member: string): WireError {
  return { type: 'ValidationError', status: 400, message: `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null` }
}

type Input = Record<string, any>
type Method = (input: Input) => unknown


const methodName = (operation: string): string => operation[0].toLowerCase() + operation.slice(1)

/** The decoded input of a call (authorize and call both read it; decoded once). */
function decoder(shape: StructShape): (raw: Input) => Input {
  const decoded = new WeakMap<Input, Input>()
  return (raw) => {
    let input = decoded.get(raw)
    if (input === undefined) {
      input = decodeStruct(raw ?? {}, shape)
      decoded.set(raw, input)
    }
    return input
  }
}

function tagsOf(input: Input): Pick<Authorization, 'requestTags' | 'tagKeys'> {
  const tags = queryList<{ Key?: unknown; Value?: unknown }>(input.Tags)
  const removed = queryList<unknown>(input.TagKeys)
  const out: { requestTags?: Record<string, string>; tagKeys?: string[] } = {}
  if (tags !== undefined) out.requestTags = Object.fromEntries(tags.filter((t) => typeof t?.Key === 'string').map((t) => [t.Key as string, String(t.Value ?? '')]))
  if (tags !== undefined || removed !== undefined) {
    out.tagKeys = [...Object.keys(out.requestTags ?? {}), ...(removed ?? []).filter((k): k is string => typeof k === 'string')]
  }
  return out
}

/** The ARNs an operation touches, from its decoded input. */
function resourcesOf(name: string, input: Input, p: Partition): string[] {
  const arn = (resource: string): string => `arn:${p.partition}:elasticloadbalancing:${p.region}:${p.accountId}:${resource}`
  const one = (value: unknown): string[] => (typeof value === 'string' && value !== '' ? [value] : ['*'])
  const many = (values: unknown): string[] => {
    const arns = (Array.isArray(values) ? values : []).filter((v): v is string => typeof v === 'string' && v !== '')
    return arns.length > 0 ? arns : ['*']
  }
  switch (name) {
    case 'CreateLoadBalancer': {
      const kind = input.Type === 'network' ? 'net' : input.Type === 'gateway' ? 'gwy' : 'app'
      return [arn(`loadbalancer/${kind}/${String(input.Name)}/*`)]
    }
    case 'CreateTargetGroup':
      return [arn(`targetgroup/${String(input.Name)}/*`)]
    case 'SetRulePriorities':
      return many((Array.isArray(input.RulePriorities) ? input.RulePriorities : []).map((r: Input) => r?.RuleArn))
    case 'AddTags':
    case 'RemoveTags':
      return many(input.ResourceArns)
    default:
      if (name.startsWith('Describe')) return ['*']
      return one(input.RuleArn ?? input.ListenerArn ?? input.TargetGroupArn ?? input.LoadBalancerArn)
  }
}

/**
 * The ELBv2 operations the control plane implements: each operation of
 * elbv2-shapes.ts it has a method for (named as the operation with a
 * lower-case first letter).
 */
export function elbv2Operations(elb: Elbv2Operations, p: Partition): Operation[] {
  const operations: Operation[] = []
  for (const [name, shape] of Object.entries(ELBV2_INPUTS)) {
    const method = (elb as unknown as Record<string, unknown>)[methodName(name)]
    if (typeof method !== 'function') continue
    const decode = decoder(shape)
    const output = ELBV2_OUTPUTS[name]
    operations.push({
      name,
      readOnly: readOnlyByName(name),
      required: shape.required,
      authorize: (raw: Input) => {
        const input = decode(raw)
        return { action: `elasticloadbalancing:${name}`, resources: resourcesOf(name, input, p), ...tagsOf(input) }
      },
      call: async (raw: Input) => {
        const result = await (method as Method).call(elb, decode(raw))
        // Every ELBv2 operation has an output shape: an empty one is still `<OpResult/>`.
        if (result === undefined || result === null || (typeof result === 'object' && Object.keys(result).length === 0)) return EMPTY_RESULT
        return mapTimes(result, output, toDate)
      }
    })
  }
  return operations
}

export function elbv2Table(elb: Elbv2Operations, p: Partition): ServiceTable {
  const describeTags = (elb as unknown as Record<string, unknown>).describeTags as Method | undefined
  return {
    signingName: 'elasticloadbalancing',
    eventSource: 'elasticloadbalancing.amazonaws.com',
    protocol: 'awsQuery',
    query: { version: ELBV2_VERSION, xmlns: ELBV2_XMLNS },
    operations: elbv2Operations(elb, p),
    error: elbv2Error,
    invalid: (member) => elbv2Invalid(member),
    ...(typeof describeTags === 'function' ? {
      resourceTags: async (arn: string) => {
        if (!arn.startsWith('arn:') || arn.endsWith('/*')) return undefined
        try {
          const out = await describeTags.call(elb, { ResourceArns: [arn] }) as { TagDescriptions?: Array<{ Tags?: Array<{ Key?: string; Value?: string }> }> }
          const tags = out?.TagDescriptions?.[0]?.Tags
          if (!Array.isArray(tags) || tags.length === 0) return undefined
          return Object.fromEntries(tags.filter((t) => typeof t.Key === 'string').map((t) => [t.Key!, String(t.Value ?? '')]))
        } catch {
          return undefined
        }
      }
    } : {})
  }
}
