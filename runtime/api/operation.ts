// The contract between the wire protocols (router, codecs) and the services:
// a service is a table of operations, each decode → service call → encode,
// with no logic of its own. The router does everything every operation needs
// once: protocol decoding, required members, SigV4, IAM, audit, errors.

import type { Principal } from '../iam/principal.js'

export type Protocol = 'awsJson1_1' | 'restJson1' | 'awsQuery' | 'stratusJson'

/** What every call carries besides its input. */
export interface CallContext {
  readonly principal: Principal
  readonly requestId: string
  readonly sourceIp: string
  readonly userAgent: string
  /** Aborted when the client goes away (long calls and streams stop). */
  readonly signal: AbortSignal
}

/** What IAM must allow before an operation runs: one action on its resources, with the request's tag keys. */
export interface Authorization {
  /** `batch:SubmitJob` */
  action: string
  /** ARNs the action touches (['*'] when it has no resource, as AWS's service authorization reference says). */
  resources: readonly string[]
  /** aws:RequestTag/<key> (tags the request sets). */
  requestTags?: Readonly<Record<string, string>>
  /** aws:TagKeys (tag keys the request sets or removes). */
  tagKeys?: readonly string[]
  /** Further condition keys of the service (`batch:ShareIdentifier`, …). */
  context?: Readonly<Record<string, string | readonly string[] | number | boolean>>
}

export interface Operation<I = any, O = any> {
  /** The AWS operation name: `SubmitJob`. */
  readonly name: string
  /**
   * restJson1 only: method and path template (`/v1/tags/{resourceArn}`; `{x}` binds input member x, percent-decoded;
   * `{x+}` a greedy label spanning `/`). `query` maps a query parameter to the input member it binds; a member
   * written `tagKeys[]` is a list (every occurrence, always an array), any other one takes the first occurrence.
   */
  readonly http?: { readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE'; readonly path: string; readonly query?: Readonly<Record<string, string>> }
  /** CloudTrail's readOnly (Describe/List/Get). */
  readonly readOnly: boolean
  /** Top-level required members, as the service model marks them: missing → the service's validation exception naming the member. */
  readonly required?: readonly string[]
  /** Top-level members that are timestamps on the wire (epoch seconds in JSON): decoded to Date before call(). */
  readonly timestamps?: readonly string[]
  /** Top-level members that are blobs on the wire (base64 in JSON): decoded to Buffer before call(). */
  readonly blobs?: readonly string[]
  /**
   * Output members the audit trail must not keep (secrets a call returns once: `AccessKey.SecretAccessKey`,
   * `Credentials.SessionToken`), as dotted paths; CloudTrail leaves them out of responseElements.
   */
  readonly secretOutputs?: readonly string[]
  /**
   * Input members the audit trail must not keep (credentials a call is given: a connection's
   * AuthParameters), as dotted paths; requestParameters shows them as CloudTrail does,
   * `HIDDEN_DUE_TO_SECURITY_REASONS`.
   */
  readonly secretInputs?: readonly string[]
  authorize(input: I, ctx: CallContext): Authorization
  /**
   * The service call. Its result is encoded by the protocol (Dates become epoch
   * seconds, undefined members are left out). A stratusJson operation may return
   * an AsyncIterable: the router streams it as NDJSON.
   */
  call(input: I, ctx: CallContext): Promise<O> | O
}

/** An error as the service sends it: exception name (`__type` / x-amzn-ErrorType / <Code>), HTTP status, message. */
export interface WireError {
  readonly type: string
  readonly status: number
  readonly message: string
  /** awsQuery: Sender (4xx) or Receiver (5xx); default from status. */
  readonly fault?: 'Sender' | 'Receiver'
  /** JSON protocols: the exception's other members in its model (ECR InvalidLayerPartException's lastValidByteReceived…), beside __type and message. */
  readonly members?: Readonly<Record<string, unknown>>
}

export interface ServiceTable {
  /** The SigV4 signing name (credential scope service): batch, ecr, logs, cloudtrail, iam, sts, ecs, lightsail, events, stratus. */
  readonly signingName: string
  /** CloudTrail eventSource: `batch.amazonaws.com`. */
  readonly eventSource: string
  readonly protocol: Protocol
  /** awsJson1_1: the X-Amz-Target prefixes it answers (`AmazonEC2ContainerRegistry_V20150921`; every spelling the SDKs send). */
  readonly targets?: readonly string[]
  /** awsQuery: the API version and the XML namespace of responses. */
  readonly query?: { readonly version: string; readonly xmlns: string }
  readonly operations: readonly Operation[]
  /**
   * JSON protocols: the outputs hold no Date and no Buffer (Batch's timestamps are epoch-ms numbers), so
   * they are encoded by a plain JSON.stringify, without the replacer that converts those (twice as fast).
   */
  readonly plainJson?: boolean
  /**
   * Largest request body this service accepts, when it is not the router's (default 10 MiB): ECR's
   * UploadLayerPart carries a part of up to 20 MiB as base64. Only where the table is known before
   * the body is read (awsJson1_1, restJson1, stratusJson; an awsQuery call finds its table in the body).
   */
  readonly maxBodyBytes?: number
  /** An engine error (StratusError, RegistryError, …) → this service's exception. */
  error(err: unknown): WireError
  /** A missing or malformed required member → this service's validation exception. */
  invalid(member: string, message: string): WireError
  /** Tags of a resource, for aws:ResourceTag/<key>; undefined when it has none or does not exist. */
  resourceTags?(arn: string): Readonly<Record<string, string>> | undefined | Promise<Readonly<Record<string, string>> | undefined>
  /** The resource-based policy document of a resource (an ECR repository policy), as JSON text. */
  resourcePolicy?(arn: string): string | undefined | Promise<string | undefined>
}

/** CloudTrail's readOnly of an operation by its name, as AWS's naming goes (Describe/List/Get/BatchGet/BatchCheck…). */
export function readOnlyByName(name: string): boolean {
  return /^(Describe|List|Get|BatchGet|BatchCheck)/.test(name)
}
