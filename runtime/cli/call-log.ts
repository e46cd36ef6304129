// `stratus serve`'s log of API calls: one line per call, readable by default
// (`2026-12-01T16:40:01.123Z batch SubmitJob 200 0.4ms arn:aws:iam::…:root`),
// JSON lines with --log-format json (pino), nothing with --quiet. Lines go
// out through pino's asynchronous destination, so a busy server never waits
// on its terminal.

import pino from 'pino'
import type { CallSummary } from '../api/router.js'

export type LogFormat = 'text' | 'json'
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json']

export interface CallLog {
  readonly observe: ((call: CallSummary) => void) | undefined
  /** Writes what is buffered (before exit). */
  flush(): void
}

// Stamped when told (the call just ended): the router's summary carries its duration, not its start.
function textLine(c: CallSummary): string {
  const error = c.errorCode === undefined ? '' : ` ${c.errorCode}`
  return `${new Date().toISOString()} ${c.service} ${c.operation} ${c.status} ${c.ms.toFixed(1)}ms ${c.principal}${error}\n`
}

export function callLog(options: { format: LogFormat; quiet: boolean; fd?: number }): CallLog {
  if (options.quiet) return { observe: undefined, flush() {} }
  const destination = pino.destination({ dest: options.fd ?? 1, sync: false })
  if (options.format === 'text') {
    return { observe: (call) => { destination.write(textLine(call)) }, flush: () => destination.flushSync() }
  }
  const logger = pino({ base: undefined, timestamp: false, messageKey: 'msg' }, destination)
  return {
    observe: (call) => {
      logger.info({
        time: new Date().toISOString(), service: call.service, operation: call.operation, status: call.status,
        ms: Math.round(call.ms * 1000) / 1000, principal: call.principal, requestId: call.requestId,
        ...(call.errorCode === undefined ? {} : { errorCode: call.errorCode })
      }, 'api call')
    },
    flush: () => destination.flushSync()
  }
}
