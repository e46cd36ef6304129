// Stratus SDK: the package root (`import { … } from 'stratus'`).
export { Stratus, StratusClient, CloudClock, CloudEvents, type EmbeddedOptions, type ConnectOptions, type Credentials } from './stratus.js'
export type { Subscription } from './services.js'
export {
  BatchClient, ComputeEnvironment, ComputeEnvironmentBuilder, JobQueue, JobQueueBuilder, JobDefinitionHandle, JobDefinitionBuilder,
  Job, JobBuilder, MultiNodeDefinitionBuilder, NodeRangeBuilder, ContainerSettingsBuilder, type ContainerFields, type NodeOverrideOptions,
  type FinishedJobDetail, type RetryOptions
} from './batch.js'
export {
  EcsClient, ClusterHandle, TaskDefinitionBuilder, TaskDefinitionHandle, ServiceBuilder, ServiceHandle, TaskSetBuilder, TaskSetHandle, Task, type RunTaskOptions, type ContainerDefinitionFields,
  type TaskLogLine, type WaitOptions
} from './ecs.js'
export type { EcsApi, EcsExtensions, ExecStream, ExecStreamOptions } from '../runtime/ecs/index.js'
export type { EcsService } from './services.js'
export { AcmClient, CertificateHandle, type AcmService, type RequestCertificateOptions } from './acm.js'
export { RegistryClient, RepositoryHandle } from './registry.js'
export { IamClient, UserHandle, RoleHandle, type PolicyDocument } from './iam.js'
export { AuditClient, type AuditFilter, type AuditEvent } from './audit.js'
export {
  Elbv2Client, LoadBalancerHandle, TargetGroupHandle, ListenerBuilder, ListenerHandle, ListenerRuleBuilder, ListenerRuleHandle, ActionChoice, type LoadBalancerOptions,
  type TargetGroupOptions, type HealthCheckOptions, type ListenerOptions, type TargetRef, type TargetHealthView, type ForwardTo, type Elbv2Service
} from './elbv2.js'
export {
  RuleBuilder, RuleHandle, ConnectionBuilder, ConnectionHandle, ApiDestinationBuilder, ApiDestinationHandle, type TargetOptions, type CustomEvent
} from './events.js'
export type {
  EventBridgeService, EventRule, EventTarget, EventRetryPolicy, InputTransformer, DeadLetter, ConnectionAuthParameters, AuthorizationType, HttpMethod, RuleState,
  PutEventsEntry, PutEventsResultEntry
} from '../runtime/index.js'
export type { User, Role, AccessKey, AccessKeyMetadata, RoleAccessKey, Tag, IamService } from '../runtime/index.js'
export type { AuditService, TrailEvent, CloudTrailRecord, LookupEventsRequest, LookupEventsResponse } from '../runtime/index.js'
export type {
  JobDetail, JobSummary, JobStatus, JobDefinition, JobQueueDetail, ComputeEnvironmentDetail, AttemptDetail, EvaluateOnExit,
  RetryStrategy, JobDependency, ArrayPropertiesDetail, BatchNode, BatchService, BatchApi, BatchExtensions, PlacementExplanation,
  CloudEvent, EventPattern, ContainerProperties, ContainerDetail, Volume, MountPoint, Ulimit, LinuxParameters, LogConfiguration, NetworkInterface,
  NodeProperties, NodeRangeProperty, NodeOverrides, NodePropertyOverride, NodeDetails, NodePropertiesSummary
} from '../runtime/index.js'
export type { Repository, ImageDetail, LifecyclePolicyPreview, AuthorizationData, ImageBuilder, PushedImage, ScrubReport, QuarantinedBlob, GarbageCollectReport } from '../runtime/index.js'
export { RegistryError } from '../runtime/index.js'
export {
  StratusError, NotFoundError, ConflictError, InvalidArgumentError, LimitExceededError, UnavailableError, AccessDeniedError, InternalError, type ErrorKind
} from '../runtime/index.js'
