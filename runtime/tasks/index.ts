export {
  TaskLauncher, outcomeOf, TASKS,
  type OutcomeKind, type StopRequest, type TaskEvent, type TaskIntent, type TaskLauncherOptions, type TaskOutcome, type TaskOwner, type TaskRow
} from './task-launcher.js'
export { AddressPool } from './addresses.js'
export { EXITED_REASON, FAILED_TO_START_REASON, OOM_REASON, hostTerminatedReason } from './reasons.js'
