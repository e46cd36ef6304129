// What the fluent SDK runs over: one interface per part of the cloud, each
// implemented twice — by the engine in this process (embedded.ts) and over the
// wire API (remote/). The builders and handles see only these, so the same
// code runs against `Stratus.embedded()` and `Stratus.connect(url)`.

import type { ExecCredentials } from '../runtime/ecs/exec-stream.js'
import type {
  AuthorizationData, BatchService, CloudEvent, DescribeImagesInput, EventPattern, GarbageCollectReport, ImageBuilder, ImageDetail,
  ImageTagMutability, LifecyclePolicyPreview, QuarantinedBlob, Registry, Repository, ScrubReport
} from '../runtime/index.js'
import type { IamService } from '../runtime/index.js'
import type { AuditService } from '../runtime/index.js'
import type { EventBridgeService } from '../runtime/index.js'
import type { CloudWatchLogsApi } from '../runtime/index.js'
import type { EcsApi, EcsExtensions } from '../runtime/ecs/index.js'
import type { GetLogEventsRequest, GetLogEventsResponse } from '../runtime/logs/model.js'
import type { AcmService } from './acm.js'
import type { Elbv2Operations } from '../runtime/elb/model.js'

export type { BatchService } from '../runtime/index.js'
export type { IamService } from '../runtime/index.js'
export type { AuditService } from '../runtime/index.js'
export type { EventBridgeService } from '../runtime/index.js'

/** The manual or real clock the engine runs on. */
export interface ClockService {
  readonly kind: 'real' | 'manual'
  /**
   * Milliseconds since the epoch on the engine's clock, without a round trip:
   * exact in this process; remotely the last value the server reported (at
   * connect and after each advance) for a manual clock, the local clock corrected
   * by the offset measured at connect for a real one. `read()` asks the engine.
   */
  now(): number
  /** The engine's clock, asked now. */
  read(): Promise<number>
  /** Moves a manual clock forward, firing every timer due on the way; InvalidArgument ClockNotManual on a real clock. */
  advance(ms: number): Promise<void>
}

/** What `subscribe` returns: call it to unsubscribe; `ready` resolves once events are being delivered. */
export type Subscription = (() => void) & { readonly ready: Promise<void> }

export interface EventsService {
  /** Calls handler with every event (EventBridge shape) matching an EventBridge pattern, in publish order. */
  subscribe(pattern: EventPattern, handler: (event: CloudEvent) => void | Promise<void>): Subscription
  /** EventBridge: rules, targets, connections, API destinations, PutEvents, dead letters (the AWSEvents API remotely). */
  readonly bridge: EventBridgeService
}

type Input<K extends keyof Registry> = Registry[K] extends (input: infer I, ...rest: never[]) => unknown ? I : never
type Output<K extends keyof Registry> = Registry[K] extends (...args: never[]) => infer O ? Awaited<O> : never

/**
 * The registry operations the SDK uses, in ECR's shapes (the ECR API remotely),
 * the Stratus-only ones (scrub, garbage collection, quarantine, anonymous pulls,
 * applying a lifecycle policy now; the /stratus/ API remotely), and the image
 * builder (pushing into the registry's storage here, through /v2/ remotely).
 */
export interface RegistryService {
  /** host:port of the registry (`docker push <endpoint>/<name>:<tag>`). */
  readonly endpoint: string | undefined
  createRepository(input: Input<'createRepository'>): Promise<{ repository: Repository }>
  describeRepositories(input?: Input<'describeRepositories'>): Promise<{ repositories: Repository[]; nextToken?: string }>
  deleteRepository(input: Input<'deleteRepository'>): Promise<{ repository: Repository }>
  describeImages(input: DescribeImagesInput): Promise<{ imageDetails: ImageDetail[]; nextToken?: string }>
  putImageTagMutability(input: { repositoryName: string; imageTagMutability: ImageTagMutability }): Promise<Output<'putImageTagMutability'>>
  putLifecyclePolicy(input: Input<'putLifecyclePolicy'>): Promise<Output<'putLifecyclePolicy'>>
  getLifecyclePolicy(input: Input<'getLifecyclePolicy'>): Promise<Output<'getLifecyclePolicy'>>
  getLifecyclePolicyPreview(input: Input<'getLifecyclePolicyPreview'>): Promise<LifecyclePolicyPreview>
  applyLifecyclePolicy(input: Input<'applyLifecyclePolicy'>): Promise<LifecyclePolicyPreview>
  getAuthorizationToken(): Promise<{ authorizationData: AuthorizationData[] }>
  setAnonymousPull(input: Input<'setAnonymousPull'>): Promise<Output<'setAnonymousPull'>>
  scrub(): Promise<ScrubReport>
  quarantinedBlobs(): Promise<QuarantinedBlob[]>
  garbageCollect(options?: { gracePeriodMs?: number; dryRun?: boolean }): Promise<GarbageCollectReport>
  /** A Docker-free image builder for `name:tag`. */
  image(reference: string): ImageBuilder
}

/**
 * ECS: its operations in AWS's shapes (the ECS API remotely, awsJson1_1; times
 * as epoch-ms numbers both ways), its Stratus-only calls (the /stratus/ API
 * remotely), and the log events of a task's awslogs streams (CloudWatch Logs'
 * GetLogEvents remotely).
 */
export interface EcsService extends EcsApi, EcsExtensions {
  getLogEvents(input: GetLogEventsRequest): Promise<GetLogEventsResponse>
  /** The key calls are signed with (remote SDK): task.shell() signs the stream's handshake with it too. */
  readonly execCredentials?: ExecCredentials
}

/** Everything a Stratus SDK object runs over. */
export interface CloudBackend {
  /** host:port of the engine's endpoint. */
  readonly endpoint: string
  readonly batch: BatchService
  readonly ecs: EcsService
  /** AWS Certificate Manager over the engine's CA (ACM's API remotely, its extensions on /stratus/). */
  readonly acm: AcmService
  readonly registry: RegistryService
  readonly clock: ClockService
  readonly events: EventsService
  /** IAM: users, roles, keys, policies (the IAM API remotely, in IAM's shapes both ways). */
  readonly iam: IamService
  /** The audit trail of the engine's API calls (CloudTrail's LookupEvents remotely). */
  readonly audit: AuditService
  /** CloudWatch Logs: log groups, streams and events in its shapes (its own API remotely). */
  readonly logs: CloudWatchLogsApi
  /** Elastic Load Balancing v2 in its shapes (the ELBv2 API remotely, awsQuery; times epoch ms both ways). */
  readonly elbv2: Elbv2Operations
  close(): Promise<void>
}
