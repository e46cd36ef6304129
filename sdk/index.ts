// Stratus SDK: the package root (`import { … } from 'stratus'`).
export { Stratus, CloudClock, CloudEvents, type EmbeddedOptions } from './stratus.js'
export {
  BatchClient, ComputeEnvironment, ComputeEnvironmentBuilder, JobQueue, JobQueueBuilder, JobDefinitionHandle, JobDefinitionBuilder,
  Job, JobBuilder, MultiNodeDefinitionBuilder, NodeRangeBuilder, ContainerSettingsBuilder, type ContainerFields, type NodeOverrideOptions,
  type FinishedJobDetail, type RetryOptions
} from './batch.js'
export { RegistryClient, RepositoryHandle } from './registry.js'
export type {
  JobDetail, JobSummary, JobStatus, JobDefinition, JobQueueDetail, ComputeEnvironmentDetail, AttemptDetail, EvaluateOnExit,
  RetryStrategy, JobDependency, ArrayPropertiesDetail, BatchNode, BatchService, BatchApi, BatchExtensions, PlacementExplanation,
  CloudEvent, EventPattern, ContainerProperties, ContainerDetail, Volume, MountPoint, Ulimit, LinuxParameters, LogConfiguration, NetworkInterface,
  NodeProperties, NodeRangeProperty, NodeOverrides, NodePropertyOverride, NodeDetails, NodePropertiesSummary
} from '../runtime/index.js'
export type { Repository, ImageDetail, LifecyclePolicyPreview, AuthorizationData, ImageBuilder, PushedImage, ScrubReport, QuarantinedBlob } from '../runtime/index.js'
export {
  StratusError, NotFoundError, ConflictError, InvalidArgumentError, LimitExceededError, UnavailableError, AccessDeniedError, type ErrorKind
} from '../runtime/index.js'
