export {
  NodePools, fits, nodeKey, toContainerInstance, NODES, POOLS,
  type Demand, type EcsResource, type NodeRecord, type NodeSpec, type NodeStatus, type PoolRecord, type PoolSnapshot
} from './node-pool.js'
export { PlanApplier, type ApplyResult } from './plan-applier.js'
export { CapacityProvider, planScaleOut, sortByPrice, type AllocationStrategy, type ManagedCapacity } from './capacity-provider.js'
export { INSTANCE_TYPES, expandInstanceType, type InstanceType } from './instance-types.js'
