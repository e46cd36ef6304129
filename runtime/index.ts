// The engine's one public surface: the SDK (and anything else outside
// runtime/) imports from here only.

export { Engine, type EngineOptions } from './engine.js'
export { ManualClock, RealClock, type Clock, type TimerHandle } from './clock/clock.js'
export {
  StratusError, NotFoundError, ConflictError, InvalidArgumentError, LimitExceededError, UnavailableError, AccessDeniedError, InternalError,
  type ErrorKind, type ErrorDetails
} from './errors.js'
export type { CloudEvent, EventHandler } from './events/bus.js'
export { validatePattern, type EventPattern } from './events/pattern.js'
export {
  EVENT_BRIDGE_OPERATIONS, eventBridgeService, type EventBridgeService, type EventBridgeOperation, type EventBridge, type BackoffOptions,
  type Rule as EventRule, type Target as EventTarget, type RetryPolicy as EventRetryPolicy, type InputTransformer, type DeadLetter, type ConnectionAuthParameters,
  type AuthorizationType, type HttpMethod, type RuleState, type PutEventsEntry, type PutEventsResultEntry
} from './events/index.js'
export type { Partition } from './aws/partition.js'
export {
  CLOUDWATCH_LOGS_OPERATIONS, RETENTION_DAYS, type CloudWatchLogsApi, type LogGroup, type LogStream, type OutputLogEvent, type FilteredLogEvent,
  type DescribeLogGroupsRequest, type DescribeLogGroupsResponse, type DescribeLogStreamsRequest, type DescribeLogStreamsResponse,
  type GetLogEventsRequest, type GetLogEventsResponse, type FilterLogEventsRequest, type FilterLogEventsResponse, type PutLogEventsOutput
} from './logs/index.js'
export type {
  BatchApi, BatchExtensions, BatchNode, BatchService, Empty, LogOptions, RegisterNodeInput, PlacementExplanation,
  ArrayPropertiesDetail, AttemptDetail, ComputeEnvironmentDetail, ComputeResources, ContainerOverrides, ContainerProperties, DependencyType,
  EvaluateOnExit, JobDefinition, JobDependency, JobDetail, JobQueueDetail, JobStatus, JobSummary, KeyValuePair, ResourceRequirement, RetryStrategy,
  CreateComputeEnvironmentRequest, CreateComputeEnvironmentResponse, UpdateComputeEnvironmentRequest, DescribeComputeEnvironmentsRequest,
  CreateJobQueueRequest, UpdateJobQueueRequest, DescribeJobQueuesRequest, RegisterJobDefinitionRequest, DescribeJobDefinitionsRequest,
  SubmitJobRequest, SubmitJobResponse, ListJobsRequest, ListJobsResponse, ContainerDetail, Volume, Host, MountPoint, Ulimit, LinuxParameters,
  LogConfiguration, NetworkInterface, NodeProperties, NodeRangeProperty, NodeOverrides, NodePropertyOverride, NodeDetails, NodePropertiesSummary,
  TagResourceRequest, UntagResourceRequest, ListTagsForResourceRequest, ListTagsForResourceResponse, SchedulingPolicyDetail, CreateSchedulingPolicyRequest,
  CreateSchedulingPolicyResponse, UpdateSchedulingPolicyRequest, DeleteSchedulingPolicyRequest
} from './batch/index.js'
export type { RunnerName, Runner, RunnerCapabilities, SandboxSpec, SandboxExit, SandboxInfo } from './runners/index.js'
export { RUNNER_CHOICES, type RunnerChoice } from './runners/choice.js'
export type { Store, Transaction, Versioned, ScanOptions, Change } from './store/store.js'
export { MemoryStore } from './store/memory.js'
export type { PlacementReason } from './scheduler/scheduler.js'
export type {
  Registry, RegistryOptions, Repository, ImageDetail, LifecyclePolicyPreview, AuthorizationData, ImageTagMutability, PushedImage,
  ScrubReport, QuarantinedBlob, GarbageCollectReport, ImageTarget, ImagePush, BuiltLayer, DescribeImagesInput, ErrorKind as RegistryErrorKind
} from '../registry/index.js'
export { RegistryError, ImageBuilder } from '../registry/index.js'
export {
  Scheduler, loadWasmCore, TsPlacementCore, abi as placementAbi,
  type NodeInput, type TaskInput, type Plan, type Placement, type Strategy, type PlanMetrics, type PlacementCore, type PlacementBatch
} from './scheduler/index.js'
export { childJobArn } from './aws/arn.js'
export { Iam, type IamConfig } from './iam/index.js'
export type { User, Role, AccessKey, AccessKeyMetadata, RoleAccessKey, Tag, IamService } from './iam/index.js'
export type { AuditService, TrailEvent, CloudTrailRecord, LookupEventsRequest, LookupEventsResponse } from './audit/index.js'
export { encodeJson } from './api/json.js'
export {
  Acm, ACM_TIMESTAMP_MEMBERS, checkLightsailCertificateRequest, LIGHTSAIL_CERTIFICATES_PER_YEAR,
  type AcmOptions, type DnsRecordSource, type CertificateStatus, type KeyAlgorithm as CertificateKeyAlgorithm
} from './acm/index.js'
export { Elbv2, Elbv2Error, LB_ADDRESS_RANGE, type Elbv2Options, type Elbv2Operations, type Elbv2ErrorCode } from './elb/index.js'
export {
  LoadBalancerPlane, TargetGroup as LbTargetGroup, HttpListener, TcpListener, DEFAULT_LB_LIMITS,
  type LbPlane, type LbLimits, type LoadBalancerConfig, type ListenerConfig, type TargetGroupConfig, type TargetGroupRuntime, type TargetRegistry, type CertificateSource
} from './lb/index.js'
