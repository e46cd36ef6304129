// Stratus SDK: the placement core (`import { … } from 'stratus/placement'`): the
// scheduler over the WebAssembly core, the plain-TypeScript twin of the same
// algorithm, and the flat ABI (strategy, attribute and reason codes) they share.
export {
  Scheduler, loadWasmCore, TsPlacementCore, placementAbi,
  type NodeInput, type TaskInput, type Plan, type Placement, type PlacementReason, type Strategy, type PlanMetrics,
  type PlacementCore, type PlacementBatch
} from '../runtime/index.js'
