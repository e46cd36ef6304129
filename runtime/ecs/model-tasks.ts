// The TaskOperations of ECS: AWS's request and response shapes (field for field, from the
// service model @aws-sdk/client-ecs ships) and the operations' signatures.
// SKELETON: the area's engineer replaces the loose types with the AWS shapes.

type Loose = Record<string, any>

export interface TaskOperations {
  runTask(input: Loose): Promise<Loose>
  startTask(input: Loose): Promise<Loose>
  stopTask(input: Loose): Promise<Loose>
  describeTasks(input: Loose): Promise<Loose>
  listTasks(input: Loose): Promise<Loose>
}

/** Stratus-only calls of this area (not AWS operations). */
export interface TaskExtensions {}

export const TASK_OPERATION_NAMES = ['runTask', 'startTask', 'stopTask', 'describeTasks', 'listTasks'] as const
