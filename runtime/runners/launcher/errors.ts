// The launcher's coded errors. Every one is a StratusError (kind + stable code);
// spawn failures also say which step failed and with which errno, the way
// Node's own spawn errors do (`errno: 'ENOENT'`, `syscall`).
import { StratusError, type ErrorDetails, type ErrorKind } from '../../errors.js'

export type LauncherErrorCode =
  | 'LauncherInvalidRequest' // bad input; `field` names it
  | 'LauncherDuplicateId'    // a running process already has this id
  | 'LauncherSpawnFailed'    // the process could not be started; see `stage` and `errno`
  | 'LauncherClosed'         // close() was called
  | 'LauncherLost'           // the helper died: processes can no longer be watched
  | 'LauncherUnavailable'    // the requested implementation cannot start here

/** The step of starting a process that failed. */
export type SpawnStage = 'stdin' | 'stdout' | 'stderr' | 'cgroup' | 'fork' | 'setpgid' | 'dup' | 'chdir' | 'exec' | 'launcher'

export interface LauncherErrorDetails extends ErrorDetails {
  /** Symbolic errno of a failed system call (`ENOENT`, `EACCES`). */
  errno?: string
  stage?: SpawnStage
}

export class LauncherError extends StratusError {
  override readonly code: LauncherErrorCode
  readonly errno: string | undefined
  readonly stage: SpawnStage | undefined

  constructor(kind: ErrorKind, code: LauncherErrorCode, message: string, details: LauncherErrorDetails = {}) {
    super(kind, code, message, details)
    this.name = 'LauncherError'
    this.code = code
    this.errno = details.errno
    this.stage = details.stage
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), errno: this.errno, stage: this.stage }
  }
}

export function invalidRequest(field: string, message: string, limit?: number | string): LauncherError {
  return new LauncherError('InvalidArgument', 'LauncherInvalidRequest', `${field}: ${message}`, { field, limit })
}
