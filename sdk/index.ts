// Stratus SDK: the package root (`import { … } from 'stratus'`).
export {
  Scheduler, loadWasmCore, TsPlacementCore, abi as placementAbi,
  type NodeInput, type TaskInput, type Plan, type Placement, type PlacementReason, type Strategy, type PlanMetrics,
  type PlacementCore, type PlacementBatch
} from '../runtime/scheduler/index.js'
export { StratusError, NotFoundError, ConflictError, InvalidArgumentError, LimitExceededError, UnavailableError, type ErrorKind } from '../runtime/errors.js'
