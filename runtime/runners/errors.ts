// The runners' coded errors. Every one is a StratusError (a kind the edges
// translate, a stable code programs branch on, the field at fault).
import { StratusError, type ErrorDetails, type ErrorKind } from '../errors.js'

export type RunnerErrorCode =
  | 'RunnerInvalidSpec'      // a SandboxSpec breaks a rule; `field` is its path (`containers[1].memoryMiB`)
  | 'RunnerInvalidArgument'  // another argument is wrong (stop options, a list() filter, a logs() container)
  | 'RunnerUnsupported'      // the spec needs a capability this runner lacks (a second container, port mappings)
  | 'RunnerExecUnsupported'  // exec() on a runner without exec
  | 'RunnerStartFailed'      // the sandbox could not be started; `cause` says why (the program's ENOENT…)
  | 'RunnerClosed'           // the runner was closed
  | 'RunnerDuplicateId'      // a live sandbox already has this id
  | 'CannotPullContainerError'   // an image could not be found or fetched (AWS's reason; the message names the image)
  | 'CannotCreateContainerError' // the runtime refused to create a container from a valid spec
  | 'CannotStartContainerError'  // a container was created but could not start (its program is missing…)

const KINDS: Record<RunnerErrorCode, ErrorKind> = {
  RunnerInvalidSpec: 'InvalidArgument',
  RunnerInvalidArgument: 'InvalidArgument',
  RunnerUnsupported: 'InvalidArgument',
  RunnerExecUnsupported: 'InvalidArgument',
  RunnerStartFailed: 'Internal',
  RunnerClosed: 'Unavailable',
  RunnerDuplicateId: 'Conflict',
  CannotPullContainerError: 'InvalidArgument',
  CannotCreateContainerError: 'Internal',
  CannotStartContainerError: 'Internal'
}

export class RunnerError extends StratusError {
  override readonly code: RunnerErrorCode

  /** The kind follows from the code, except for RunnerStartFailed, which takes its cause's kind when it has one. */
  constructor(code: RunnerErrorCode, message: string, details: ErrorDetails & { kind?: ErrorKind } = {}) {
    super(details.kind ?? KINDS[code], code, message, details)
    this.name = 'RunnerError'
    this.code = code
  }
}

export function invalidSpec(field: string, message: string, limit?: number | string): RunnerError {
  return new RunnerError('RunnerInvalidSpec', `${field}: ${message}`, { field, limit })
}

export function invalidArgument(field: string, message: string, limit?: number | string): RunnerError {
  return new RunnerError('RunnerInvalidArgument', `${field}: ${message}`, { field, limit })
}

export function unsupported(field: string, message: string, limit?: number | string): RunnerError {
  return new RunnerError('RunnerUnsupported', `${field}: ${message}`, { field, limit })
}

export function execUnsupported(kind: string): RunnerError {
  return new RunnerError('RunnerExecUnsupported', `the ${kind} runner cannot exec into a container`)
}

/** The sandbox could not be started. A StratusError cause lends its kind (ENOENT of the program: NotFound). */
export function startFailed(message: string, cause?: unknown, field?: string): RunnerError {
  const kind = cause instanceof StratusError ? cause.kind : undefined
  return new RunnerError('RunnerStartFailed', message, { cause, field, kind })
}

export function runnerClosed(kind: string): RunnerError {
  return new RunnerError('RunnerClosed', `the ${kind} runner is closed`)
}

export function duplicateId(id: string): RunnerError {
  return new RunnerError('RunnerDuplicateId', `id: a sandbox with id ${JSON.stringify(id)} is already live`, { field: 'id' })
}

/** An image could not be fetched: the reason AWS gives (`CannotPullContainerError: …`) names it. */
export function cannotPull(image: string, why: string, cause?: unknown): RunnerError {
  return new RunnerError('CannotPullContainerError', `pull image manifest has been retried 1 time(s): failed to resolve ref "${image}": ${why}`, { cause, field: 'image' })
}
