// Scheduled rules (rate()) on the engine's clock: each firing is a
// "Scheduled Event" for that rule's targets alone; disabling stops it; the
// next firing time is in the store, so an engine started over it fires on
// time.
import t from 'tap'
import { MemoryStore } from '../../../runtime/store/memory.js'
import type { ManualClock } from '../../../runtime/clock/clock.js'
import { engine, hook } from './fixtures.js'
import { targetServer } from './target-server.js'

const MIN = 60_000

t.test('rate(5 minutes): a Scheduled Event every 5 minutes to the rule\'s targets only; DisableRule stops it', async (t) => {
  const e = await engine()
  const clock = e.clock as ManualClock
  const server = await targetServer()
  t.teardown(async () => { await e.close(); await server.close() })
  const arn = hook(e, server, { rule: 'other', pattern: { source: ['aws.events'] } })
  e.eventBridge.putRule({ Name: 'tick', ScheduleExpression: 'rate(5 minutes)' })
  e.eventBridge.putTargets({ Rule: 'tick', Targets: [{ Id: 't', Arn: arn, InputTransformer: { InputPathsMap: { time: '$.time' }, InputTemplate: '{"tick": <time>, "rule": "<aws.events.rule-name>"}' } }] })
  const start = clock.now()
  await clock.advance(4 * MIN)
  t.equal(server.received.length, 0, 'not before its time')
  await clock.advance(MIN)
  await server.receivedAtLeast(1)
  await clock.advance(10 * MIN)
  await server.receivedAtLeast(3)
  const bodies = server.received.map((r) => JSON.parse(r.body))
  t.same(bodies.map((b) => b.rule), ['tick', 'tick', 'tick'], 'only the scheduled rule\'s target: the rule matching aws.events gets none')
  t.same(bodies.map((b) => b.tick), [5, 10, 15].map((m) => new Date(start + m * MIN).toISOString().replace('.000Z', 'Z')), 'on the minute')
  e.eventBridge.disableRule({ Name: 'tick' })
  await clock.advance(30 * MIN)
  t.equal(server.received.length, 3, 'disabled: no more')
})

t.test('the next firing is in the store: an engine started over it fires on time', async (t) => {
  const store = new MemoryStore()
  const server = await targetServer()
  t.teardown(async () => { await server.close(); await store.close() })
  const start = Date.UTC(2030, 0, 1)
  const first = await engine({ store, startTime: start })
  const arn = hook(first, server, { rule: 'unused' })
  first.eventBridge.putRule({ Name: 'hourly', ScheduleExpression: 'rate(1 hour)' })
  first.eventBridge.putTargets({ Rule: 'hourly', Targets: [{ Id: 't', Arn: arn }] })
  await (first.clock as ManualClock).advance(40 * MIN)
  await first.close()
  const second = await engine({ store, startTime: start + 50 * MIN })
  t.teardown(() => second.close())
  await (second.clock as ManualClock).advance(9 * MIN)
  t.equal(server.received.length, 0)
  await (second.clock as ManualClock).advance(MIN)
  await server.receivedAtLeast(1)
  t.match(JSON.parse(server.received[0].body), { source: 'aws.events', 'detail-type': 'Scheduled Event', resources: [second.eventBridge.rules.ruleArn('hourly')], time: '2030-01-01T01:00:00Z' })
})
