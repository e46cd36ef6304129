// The in-process event bus: EventBridge-shaped events delivered in publish
// order, after the publisher's synchronous work, to the subscribers whose
// pattern matches; a failing handler affects nobody else.
import t from 'tap'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { EventBus, type CloudEvent } from '../../../runtime/events/bus.js'

const bus = (now = () => Date.UTC(2031, 5, 7, 8, 9, 10, 123)) => new EventBus({ account: '111122223333', region: 'ap-south-1', now })

t.test('events have EventBridge\'s envelope', async (t) => {
  const b = bus()
  const seen: CloudEvent[] = []
  b.subscribe({ source: ['test'] }, (e) => {
    seen.push(e)
  })
  b.publish('test', 'Thing Happened', ['arn:x'], { n: 1 })
  await Promise.resolve()
  t.equal(seen.length, 1)
  t.match(seen[0], {
    version: '0', 'detail-type': 'Thing Happened', source: 'test', account: '111122223333', region: 'ap-south-1',
    time: '2031-06-07T08:09:10Z', resources: ['arn:x'], detail: { n: 1 }
  })
  t.match(seen[0].id, /^[0-9a-f-]{36}$/)
})

t.test('delivery: after the publisher\'s synchronous work, in publish order, only matching events', async (t) => {
  const b = bus()
  const seen: number[] = []
  b.subscribe({ detail: { n: [{ numeric: ['>', 1] }] } }, (e) => {
    seen.push((e.detail as { n: number }).n)
  })
  for (let n = 0; n < 5; n++) b.publish('test', 'T', [], { n })
  t.same(seen, [], 'not during publish()')
  await Promise.resolve()
  t.same(seen, [2, 3, 4])
})

t.test('events published by a handler are delivered after the current one, in order', async (t) => {
  const b = bus()
  const order: string[] = []
  b.subscribe({ source: ['a'] }, (e) => {
    order.push(`a${(e.detail as { n: number }).n}`)
    b.publish('b', 'T', [], { n: (e.detail as { n: number }).n })
  })
  b.subscribe({ source: ['b'] }, (e) => {
    order.push(`b${(e.detail as { n: number }).n}`)
  })
  b.publish('a', 'T', [], { n: 1 })
  b.publish('a', 'T', [], { n: 2 })
  await new Promise((resolve) => setImmediate(resolve))
  t.same(order, ['a1', 'a2', 'b1', 'b2'])
})

t.test('a handler that throws or rejects is reported on a diagnostics channel; the others still get the event', async (t) => {
  const b = bus()
  const errors: unknown[] = []
  const onError = (message: unknown) => {
    errors.push((message as { error: Error }).error.message)
  }
  subscribe('stratus:events:handler-error', onError)
  t.teardown(() => unsubscribe('stratus:events:handler-error', onError))
  const seen: number[] = []
  b.subscribe({ source: ['x'] }, () => {
    throw new Error('sync failure')
  })
  b.subscribe({ source: ['x'] }, async () => {
    throw new Error('async failure')
  })
  b.subscribe({ source: ['x'] }, (e) => {
    seen.push((e.detail as { n: number }).n)
  })
  b.publish('x', 'T', [], { n: 1 })
  b.publish('x', 'T', [], { n: 2 })
  await new Promise((resolve) => setImmediate(resolve))
  t.same(seen, [1, 2])
  t.same(errors.sort(), ['async failure', 'async failure', 'sync failure', 'sync failure'])
})

t.test('unsubscribe; wants() tells a producer whether anyone could want an event', async (t) => {
  const b = bus()
  t.equal(b.wants('aws.batch', 'Batch Job State Change'), false, 'nobody subscribed')
  const off = b.subscribe({ source: ['aws.batch'], 'detail-type': ['Batch Job State Change'] }, () => {})
  t.equal(b.wants('aws.batch', 'Batch Job State Change'), true)
  t.equal(b.wants('aws.ecs', 'Batch Job State Change'), false, 'other source')
  t.equal(b.wants('aws.batch', 'Other'), false, 'other detail type')
  const offPrefix = b.subscribe({ source: [{ prefix: 'aws.' }] }, () => {})
  t.equal(b.wants('aws.ecs', 'Anything'), true, 'a matcher on source may match')
  offPrefix()
  const offOr = b.subscribe({ $or: [{ source: ['aws.ecs'] }, { source: ['aws.lightsail'] }] }, () => {})
  t.equal(b.wants('aws.ecs', 'Anything'), true, '$or may match')
  offOr()
  off()
  t.equal(b.wants('aws.batch', 'Batch Job State Change'), false, 'after unsubscribe')
  const seen: unknown[] = []
  const off2 = b.subscribe({}, (e) => {
    seen.push(e)
  })
  off2()
  b.publish('aws.batch', 'T', [], {})
  await Promise.resolve()
  t.same(seen, [])
})
