// The reasons AWS gives for how a task ended, in one place: the container's
// reason and the task's stopped reason (Batch shows them as an attempt's
// container.reason and statusReason; ECS as a container's reason and the
// task's stoppedReason).

export const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage'
export const EXITED_REASON = 'Essential container in task exited'
export const FAILED_TO_START_REASON = 'Task failed to start'

export function hostTerminatedReason(instanceId: string): string {
  return `Host EC2 (instance ${instanceId}) terminated.`
}
