// The ServiceOperations of ECS: AWS's request and response shapes (field for field, from the
// service model @aws-sdk/client-ecs ships) and the operations' signatures.
// SKELETON: the area's engineer replaces the loose types with the AWS shapes.

type Loose = Record<string, any>

export interface ServiceOperations {
  createService(input: Loose): Promise<Loose>
  updateService(input: Loose): Promise<Loose>
  deleteService(input: Loose): Promise<Loose>
  describeServices(input: Loose): Promise<Loose>
  listServices(input: Loose): Promise<Loose>
  listServicesByNamespace(input: Loose): Promise<Loose>
}

/** Stratus-only calls of this area (not AWS operations). */
export interface ServiceExtensions {}

export const SERVICE_OPERATION_NAMES = ['createService', 'updateService', 'deleteService', 'describeServices', 'listServices', 'listServicesByNamespace'] as const
