// The ExecOperations of ECS: AWS's request and response shapes (field for field, from the
// service model @aws-sdk/client-ecs ships) and the operations' signatures.
// SKELETON: the area's engineer replaces the loose types with the AWS shapes.

type Loose = Record<string, any>

export interface ExecOperations {
  executeCommand(input: Loose): Promise<Loose>
}

/** Stratus-only calls of this area (not AWS operations). */
export interface ExecExtensions {}

export const EXEC_OPERATION_NAMES = ['executeCommand'] as const
