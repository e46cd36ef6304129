// Amazon ECS and Fargate.
export { Ecs, type EcsOptions } from './service.js'
export type { EcsApi, EcsExtensions } from './api.js'
export { DEFAULT_ECS_SETTINGS, type EcsContext, type EcsHooks, type EcsSettings, type TaskLifecycleHook } from './context.js'
export { ECS_EXCEPTIONS, EcsError, type EcsExceptionName } from './errors.js'
export { defineEcsIndexes, CLUSTERS, CAPACITY_PROVIDERS, SERVICES, TASKS, TASK_DEFINITIONS, TASK_OWNER, type ClusterRecord, type ServiceRecord, type TaskDefinitionRecord, type TaskRecord } from './records.js'
export { execSessionsOf, execUpgradeRoute, EXEC_NOT_ENABLED } from './exec.js'
export { openExecStream, CHANNEL as EXEC_CHANNEL, TOKEN_HEADER as EXEC_TOKEN_HEADER, type ExecStream, type ExecStreamOptions } from './exec-stream.js'
export type * from './model-exec.js'
