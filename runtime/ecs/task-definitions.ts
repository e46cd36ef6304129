// SKELETON — this area's engineer replaces this file.

import type { EcsContext } from './context.js'
import type { TaskDefinitionOperations, TaskDefinitionExtensions } from './model-task-definitions.js'
import { TASK_DEFINITION_OPERATION_NAMES } from './model-task-definitions.js'
import { notBuiltOperations } from './not-built.js'
import { clientException } from './errors.js'
import type { TaskDefinitionRecord } from './records.js'

/** family, family:revision or ARN → the record (a bare family: its latest ACTIVE revision). */
export function resolveTaskDefinition(ctx: EcsContext, familyOrArn: string, field = 'taskDefinition'): TaskDefinitionRecord {
  void ctx
  throw clientException(field, `Unable to describe task definition.`)
}

/** Creates the area's controllers (work queues, owners, watchers) and picks up what the store holds. */
export function taskDefinitionOperations(ctx: EcsContext): TaskDefinitionOperations & TaskDefinitionExtensions {
  void ctx
  return notBuiltOperations<TaskDefinitionOperations & TaskDefinitionExtensions>(TASK_DEFINITION_OPERATION_NAMES)
}
