// Deliveries survive the engine: an engine started over the store of one
// that stopped (a MemoryStore handed over, or the SQLite store of a data
// directory) delivers what was pending (re-arming the persisted
// next-attempt deadlines) and what was committed to the outbox but never
// turned into deliveries; nothing acknowledged before the stop is sent again.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { SqliteStore } from '../../../runtime/store/sqlite.js'
import { EVENTS_TOPIC } from '../../../runtime/events/index.js'
import type { ManualClock } from '../../../runtime/clock/clock.js'
import { engine, hook, ns, order } from './fixtures.js'
import { channel } from 'node:diagnostics_channel'
import type { Engine } from '../../../runtime/engine.js'
import { targetServer, type TargetServer } from './target-server.js'

/** The two ways an engine's state outlives it: a MemoryStore handed to the next engine, or a data directory (SQLite). */
const STATES = {
  memory: async () => {
    const store = new MemoryStore()
    return { options: { store }, store: () => store, done: () => store.close() }
  },
  sqlite: async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stratus-events-restart-'))
    let open: SqliteStore | undefined
    return {
      options: { dataDir },
      // Between two engines: the store on disk, opened on its own.
      store: () => (open ??= SqliteStore.open(join(dataDir, 'state.db'))),
      done: () => rm(dataDir, { recursive: true, force: true })
    }
  }
}

for (const [kind, state] of Object.entries(STATES)) {
  t.test(`restart over the same ${kind} store: pending deliveries and unplanned outbox events are delivered, acknowledged ones are not resent`, async (t) => {
    const s = await state()
    const server = await targetServer('ok')
    t.teardown(async () => { await server.close(); await s.done() })
    const first = await engine(s.options)
    hook(first, server)
    order(first, 0, 3)
    await server.receivedAtLeast(3)
    await (first.clock as ManualClock).advance(100)
    server.mode = 'fail'
    order(first, 3, 4)
    await server.receivedAtLeast(4)
    await (first.clock as ManualClock).advance(100)
    t.equal(first.eventBridge.pendingDeliveries(), 4, 'four deliveries wait for the failing target')
    const event = first.events.make('shop', 'Order Placed', [], { n: 7 })
    await first.close()
    // Committed while no engine ran (as if it died between the commit and the relay): only in the outbox.
    const between = s.store()
    between.transaction((tx) => tx.emit(EVENTS_TOPIC, event))
    if (kind === 'sqlite') await between.close()
    server.mode = 'ok'
    const second = await engine({ ...s.options, startTime: Date.UTC(2030, 0, 1, 1) })
    t.teardown(() => second.close())
    for (let i = 0; i < 10 && server.acknowledged.length < 8; i++) await (second.clock as ManualClock).advance(60_000)
    t.same(ns(server.acknowledged), [0, 1, 2, 3, 4, 5, 6, 7], 'everything, in order, each acknowledged once')
    t.equal(second.eventBridge.pendingDeliveries(), 0)
    t.equal(second.eventBridge.describeRule({ Name: 'orders' }).State, 'ENABLED', 'rules, targets and destinations are in the store')
  })
}

t.test('an ENABLED rule alone makes Batch emit its job events (no subscriber needed); a DISABLED one does not get them', async (t) => {
  const e = await engine()
  const server = await targetServer('ok')
  t.teardown(async () => { await e.close(); await server.close() })
  hook(e, server, { pattern: { source: ['aws.batch'], 'detail-type': ['Batch Job State Change'], detail: { status: ['SUCCEEDED'] } } })
  const clock = e.clock as ManualClock
  const batch = e.batch
  await batch.createComputeEnvironment({ computeEnvironmentName: 'ce', type: 'UNMANAGED' } as never)
  await batch.registerNode('ce', { vcpus: 4, memory: 8192 } as never)
  await batch.createJobQueue({ jobQueueName: 'q', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }] } as never)
  await batch.registerJobDefinition({ jobDefinitionName: 'd', type: 'container', containerProperties: { image: 'busybox', command: ['true'], resourceRequirements: [{ type: 'VCPU', value: '1' }, { type: 'MEMORY', value: '512' }] } } as never)
  const { jobId } = await batch.submitJob({ jobName: 'j', jobQueue: 'q', jobDefinition: 'd', containerOverrides: { environment: [{ name: 'STRATUS_SIM_SECONDS', value: '5' }] } } as never)
  await clock.advance(10_000)
  await server.receivedAtLeast(1)
  const body = JSON.parse(server.received[0].body)
  t.match(body, { source: 'aws.batch', detail: { jobId, status: 'SUCCEEDED' } })
  t.type(body.detail.stratus.sequence, 'number', 'the job\'s sequence travels with it')
  e.eventBridge.disableRule({ Name: 'orders' })
  t.notOk(e.events.wants('aws.batch', 'Batch Job State Change'), 'no enabled rule and no subscriber: nothing is emitted')
})

/** How the stop meets the 4th call: its answer received in full (its acknowledgement not yet written), or the target answering it. */
const STOPS = {
  'its answer received': (first: Engine, stop: (p: Promise<void>) => void, server: TargetServer) => {
    void server
    let answered = 0
    const onComplete = () => { if (++answered === 4) setImmediate(() => stop(first.close())) }
    channel('undici:request:trailers').subscribe(onComplete)
    return () => channel('undici:request:trailers').unsubscribe(onComplete)
  },
  // The stop comes while the target works on the 4th call; it answers 2xx 50 ms later.
  'the target answering': (first: Engine, stop: (p: Promise<void>) => void, server: TargetServer) => {
    server.onRequest = (n) => {
      if (n !== 4) return
      stop(first.close())
      return 50
    }
    return () => { server.onRequest = undefined }
  }
}

for (const [when, arrange] of Object.entries(STOPS)) {
  t.test(`a graceful restart sends nothing twice (stopped at ${when})`, async (t) => {
    const store = new MemoryStore()
    const server = await targetServer('ok')
    t.teardown(async () => { await server.close(); await store.close() })
    const first = await engine({ store })
    hook(first, server)
    let closing: Promise<void> | undefined
    const undo = arrange(first, (p) => { closing = p }, server)
    t.teardown(undo)
    order(first, 0, 8)
    await server.receivedAtLeast(4)
    while (closing === undefined) await new Promise((resolve) => setImmediate(resolve))
    await closing
    undo()
    t.ok(server.acknowledged.length >= 4, 'the target answered 2xx to the calls made before the stop')
    const second = await engine({ store, startTime: Date.UTC(2030, 0, 1, 1) })
    t.teardown(() => second.close())
    for (let i = 0; i < 10 && second.eventBridge.pendingDeliveries() > 0; i++) await (second.clock as ManualClock).advance(60_000)
    t.equal(second.eventBridge.pendingDeliveries(), 0)
    t.same(ns(server.acknowledged), [0, 1, 2, 3, 4, 5, 6, 7], 'every event acknowledged once: none sent again after a graceful stop')
  })
}
