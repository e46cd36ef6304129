// One finished API call, as the server's log shows it (time, service,
// operation, status, ms, principal). The router reports every call, answered
// or refused, to the engine's observer (the CLI's call log); the audit trail
// (security.ts AuditSink) is the durable record, this is the live one.

export interface CallRecord {
  /** Epoch ms when the request arrived (wall clock). */
  readonly time: number
  /** The signing name of the service: batch, ecr, logs, … ('-' when no service was recognised). */
  readonly service: string
  /** The operation ('-' when none was recognised). */
  readonly operation: string
  /** HTTP status answered. */
  readonly status: number
  readonly durationMs: number
  /** The caller's ARN ('-' before authentication succeeded). */
  readonly principal: string
  readonly requestId: string
  readonly sourceIp: string
  /** The exception name, for an error answer. */
  readonly errorCode?: string
}

export type CallObserver = (call: CallRecord) => void
