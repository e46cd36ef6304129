// `stratus serve`'s log of API calls: one line per call, readable by default
// (`2026-12-01T16:40:01.123Z batch SubmitJob 200 0.4ms arn:aws:iam::…:root`),
// JSON lines with --log-format json (pino), nothing with --quiet. Lines go
// out through pino's asynchronous destination, so a busy server never waits
// on its terminal.

import pino from 'pino'
import type { CallObserver, CallRecord } from '../api/observer.js'

export type LogFormat = 'text' | 'json'
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json']

export interface CallLog {
  readonly observe: CallObserver | undefined
  /** Writes what is buffered (before exit). */
  flush(): void
}

function textLine(c: CallRecord): string {
  const error = c.errorCode === undefined ? '' : ` ${c.errorCode}`
  return `${new Date(c.time).toISOString()} ${c.service} ${c.operation} ${c.status} ${c.durationMs.toFixed(1)}ms ${c.principal}${error}\n`
}

export function callLog(options: { format: LogFormat; quiet: boolean; fd?: number }): CallLog {
  if (options.quiet) return { observe: undefined, flush() {} }
  const destination = pino.destination({ dest: options.fd ?? 1, sync: false, minLength: 4096 })
  if (options.format === 'text') {
    return { observe: (call) => { destination.write(textLine(call)) }, flush: () => destination.flushSync() }
  }
  const logger = pino({ base: undefined, timestamp: false, messageKey: 'msg' }, destination)
  return {
    observe: (call) => {
      logger.info({
        time: new Date(call.time).toISOString(), service: call.service, operation: call.operation, status: call.status,
        ms: Math.round(call.durationMs * 1000) / 1000, principal: call.principal, requestId: call.requestId, sourceIp: call.sourceIp,
        ...(call.errorCode === undefined ? {} : { errorCode: call.errorCode })
      }, 'api call')
    },
    flush: () => destination.flushSync()
  }
}
