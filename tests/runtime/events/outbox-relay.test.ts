// The outbox relay acknowledges a batch only once its consumers wrote what
// they made of it: when the store refuses the delivery planner's
// transaction (a disk that refuses a write), the events stay in the outbox
// and are planned again after a backoff on the engine's Clock — nothing a
// PutEvents acknowledged is lost.
import t from 'tap'
import { channel } from 'node:diagnostics_channel'
import type { ManualClock } from '../../../runtime/clock/clock.js'
import { DELIVERIES, EVENTS_META } from '../../../runtime/events/model.js'
import { engine, hook, ns, order } from './fixtures.js'
import { failingStore } from './failing-store.js'
import { targetServer } from './target-server.js'

t.test('outbox batch acknowledged after its deliveries failed to persist', async (t) => {
  const failing = failingStore()
  const e = await engine({ store: failing.store })
  const clock = e.clock as ManualClock
  const server = await targetServer()
  t.teardown(async () => { await e.close(); await server.close() })
  const reported: Array<{ failures: number; retryInMs: number }> = []
  const onFlushError = (m: unknown) => reported.push(m as { failures: number; retryInMs: number })
  channel('stratus:outbox:flush-error').subscribe(onFlushError)
  t.teardown(() => channel('stratus:outbox:flush-error').unsubscribe(onFlushError))
  hook(e, server)

  // The planner's transaction (deliveries + events:meta.plan) fails twice in a row.
  failing.failNext(2, { collection: EVENTS_META, key: 'plan' })
  order(e, 1, 3)
  t.equal(failing.failures, 1, 'the planner\'s write was refused')
  t.equal(e.store.outbox.pending().length, 3, 'the events stay in the outbox (not acknowledged)')
  t.equal(e.store.count(DELIVERIES), 0, 'no delivery was written')
  order(e, 4)
  t.equal(failing.failures, 1, 'a commit meanwhile does not retry at once (it waits for the backoff)')
  t.equal(e.store.outbox.pending().length, 4, 'later events queue behind the batch')

  await clock.advance(reported[0].retryInMs)
  t.equal(failing.failures, 2, 'retried on the clock, refused again')
  t.ok(reported[1].retryInMs > reported[0].retryInMs, 'with a growing backoff')
  await clock.advance(reported[1].retryInMs)
  await server.receivedAtLeast(4)
  await clock.advance(1_000)
  t.same(ns(server.received.map((r) => r.body)), [1, 2, 3, 4], 'every event is delivered once, in order')
  t.equal(e.store.outbox.pending().length, 0, 'acknowledged once planned')
  t.equal(e.eventBridge.pendingDeliveries(), 0)
})
