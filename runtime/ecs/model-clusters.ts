// The ClusterOperations of ECS: AWS's request and response shapes (field for field, from the
// service model @aws-sdk/client-ecs ships) and the operations' signatures.
// SKELETON: the area's engineer replaces the loose types with the AWS shapes.

type Loose = Record<string, any>

export interface ClusterOperations {
  createCluster(input: Loose): Promise<Loose>
  describeClusters(input: Loose): Promise<Loose>
  listClusters(input: Loose): Promise<Loose>
  updateCluster(input: Loose): Promise<Loose>
  updateClusterSettings(input: Loose): Promise<Loose>
  putClusterCapacityProviders(input: Loose): Promise<Loose>
  deleteCluster(input: Loose): Promise<Loose>
  registerContainerInstance(input: Loose): Promise<Loose>
  deregisterContainerInstance(input: Loose): Promise<Loose>
  describeContainerInstances(input: Loose): Promise<Loose>
  listContainerInstances(input: Loose): Promise<Loose>
  updateContainerInstancesState(input: Loose): Promise<Loose>
  putAttributes(input: Loose): Promise<Loose>
  deleteAttributes(input: Loose): Promise<Loose>
  listAttributes(input: Loose): Promise<Loose>
  createCapacityProvider(input: Loose): Promise<Loose>
  describeCapacityProviders(input: Loose): Promise<Loose>
  updateCapacityProvider(input: Loose): Promise<Loose>
  deleteCapacityProvider(input: Loose): Promise<Loose>
  tagResource(input: Loose): Promise<Loose>
  untagResource(input: Loose): Promise<Loose>
  listTagsForResource(input: Loose): Promise<Loose>
}

/** Stratus-only calls of this area (not AWS operations). */
export interface ClusterExtensions {}

export const CLUSTER_OPERATION_NAMES = ['createCluster', 'describeClusters', 'listClusters', 'updateCluster', 'updateClusterSettings', 'putClusterCapacityProviders', 'deleteCluster', 'registerContainerInstance', 'deregisterContainerInstance', 'describeContainerInstances', 'listContainerInstances', 'updateContainerInstancesState', 'putAttributes', 'deleteAttributes', 'listAttributes', 'createCapacityProvider', 'describeCapacityProviders', 'updateCapacityProvider', 'deleteCapacityProvider', 'tagResource', 'untagResource', 'listTagsForResource'] as const
