// The placement core's host side: the batch layout, both cores, the scheduler.
export * as abi from './abi.js'
export { PlacementBatch, layoutArena, type BatchShape, type NodeColumns, type TaskColumns, type PlanColumns } from './placement-batch.js'
export { readMetrics, type PlacementCore, type PlanMetrics } from './core.js'
export { loadWasmCore, coreWasmPath, WasmPlacementCore, type CoreBuild, type CoreImports, type LinearMemory, type WasmCoreOptions } from './wasm-core.js'
export { TsPlacementCore, orderJobsTs } from './twin.js'
export { validateBatch, validateShape, LIMITS } from './validate.js'
export {
  Scheduler, type AttributeName, type JobOrderInput, type NodeInput, type NodeStatus, type PlaceInput, type Placement,
  type PlacementReason, type Plan, type Strategy, type TaskInput
} from './scheduler.js'
