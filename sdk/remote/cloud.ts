// The clock and the event stream over the /stratus/ API.

import { validatePattern, type CloudEvent, type EventPattern } from '../../runtime/index.js'
import type { ClockService, EventsService, Subscription } from '../services.js'
import type { StratusApi } from './stratus-api.js'

interface ClockReading {
  kind: 'real' | 'manual'
  now: number
}

/**
 * A remote clock. `now()` answers without a round trip: for a manual clock the
 * last reading (connect, every advance, every read), for a real one the local
 * clock plus the offset seen at the last reading. `read()` asks the engine.
 */
export async function remoteClock(stratus: StratusApi): Promise<ClockService> {
  let last = await stratus.call<ClockReading>('GetClock', {})
  let offset = last.now - Date.now()
  const note = (reading: ClockReading): number => {
    last = reading
    offset = reading.now - Date.now()
    return reading.now
  }
  return {
    kind: last.kind,
    now: () => (last.kind === 'manual' ? last.now : Date.now() + offset),
    read: async () => note(await stratus.call<ClockReading>('GetClock', {})),
    async advance(ms: number) {
      note(await stratus.call<ClockReading>('AdvanceClock', { ms }, { long: true }))
    }
  }
}

/** One value of the Subscribe stream: `ready` first, then each matching event. */
type SubscribeLine = { ready: true } | { event: CloudEvent }

export function remoteEvents(stratus: StratusApi, onError: (error: unknown) => void): Omit<EventsService, 'bridge'> {
  return {
    subscribe(pattern: EventPattern, handler: (event: CloudEvent) => void | Promise<void>): Subscription {
      // Refused here as the engine's bus refuses it (synchronously, the same error); the server checks again.
      validatePattern(pattern)
      const controller = new AbortController()
      let markReady!: () => void
      let fail!: (error: unknown) => void
      const ready = new Promise<void>((resolve, reject) => { markReady = resolve; fail = reject })
      let isReady = false
      void (async () => {
        try {
          for await (const line of stratus.stream('Subscribe', { pattern }, controller.signal)) {
            const value = line as SubscribeLine
            if ('ready' in value) {
              isReady = true
              markReady()
            } else {
              // A failing handler does not end the subscription (as in the engine's bus).
              try { await handler(value.event) } catch (error) { onError(error) }
            }
          }
        } catch (error) {
          if (controller.signal.aborted) return
          if (!isReady) fail(error)
          else onError(error)
        }
      })()
      // A refused pattern rejects `ready`; a caller that never awaits it still sees the error on onError.
      ready.catch(onError)
      return Object.assign(() => controller.abort(), { ready })
    }
  }
}
