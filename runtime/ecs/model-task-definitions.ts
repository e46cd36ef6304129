// The TaskDefinitionOperations of ECS: AWS's request and response shapes (field for field, from the
// service model @aws-sdk/client-ecs ships) and the operations' signatures.
// SKELETON: the area's engineer replaces the loose types with the AWS shapes.

type Loose = Record<string, any>

export interface TaskDefinitionOperations {
  registerTaskDefinition(input: Loose): Promise<Loose>
  describeTaskDefinition(input: Loose): Promise<Loose>
  listTaskDefinitions(input: Loose): Promise<Loose>
  listTaskDefinitionFamilies(input: Loose): Promise<Loose>
  deregisterTaskDefinition(input: Loose): Promise<Loose>
  deleteTaskDefinitions(input: Loose): Promise<Loose>
}

/** Stratus-only calls of this area (not AWS operations). */
export interface TaskDefinitionExtensions {}

export const TASK_DEFINITION_OPERATION_NAMES = ['registerTaskDefinition', 'describeTaskDefinition', 'listTaskDefinitions', 'listTaskDefinitionFamilies', 'deregisterTaskDefinition', 'deleteTaskDefinitions'] as const
