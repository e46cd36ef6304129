// Waiting on ECS state from the SDK: the handle asks the service (Describe*)
// until the state it waits for holds, as the AWS SDK's waiters do (the
// engine's own controllers never poll; this is the client side). The pause
// between asks grows from 20 ms to 500 ms; past `timeoutMs` (real time) the
// wait fails naming what it waited for and the last state seen.

import { UnavailableError } from '../runtime/index.js'

export interface WaitOptions {
  /** Give up after this long (real ms; default 120,000). */
  timeoutMs?: number
}

export async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean | string, options: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000)
  for (let pause = 20; ; pause = Math.min(pause * 2, 500)) {
    const value = await read()
    const verdict = done(value)
    if (verdict === true) return value
    // A string verdict: the state can no longer become what was waited for.
    if (typeof verdict === 'string') throw new UnavailableError('WaitFailed', `${what}: ${verdict}`, { field: 'state' })
    if (Date.now() > deadline) throw new UnavailableError('WaitTimedOut', `${what}: not reached within ${options.timeoutMs ?? 120_000} ms`, { field: 'timeoutMs', limit: options.timeoutMs ?? 120_000 })
    await new Promise((resolve) => setTimeout(resolve, pause))
  }
}
