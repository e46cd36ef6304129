// Draining: a deregistered target gets no new requests and is shown draining
// (Target.DeregistrationInProgress) until the deregistration delay on the
// clock has passed, whether or not requests are still in flight (ELB's guides:
// with nothing in flight the deregistration completes at once, "the status of
// the target is displayed as draining until the deregistration delay timeout
// expires"); then it is gone. Delay 0: gone at once.
import t from 'tap'
import { config, group, httpBackend, spec, spread } from './target-group-fixtures.js'
import type { TargetState } from '../../../runtime/lb/model.js'

const off = { enabled: false }

t.test('in flight: no new requests while draining; still shown draining after the last release, gone at the delay', async (t) => {
  const { tg, clock } = group(t, config({ healthCheck: off, deregistrationDelayMs: 300_000 }))
  tg.setInUse(true)
  tg.register([spec(1), spec(2)])
  const events: Array<[string, TargetState | undefined, TargetState, string | undefined]> = []
  tg.onChange((h, prev) => events.push([h.host, prev, h.state, h.reason]))
  const held = [0, 1, 2, 3].map(() => tg.pick({ sourceIp: '127.0.0.9' })!).filter((p) => p.target.host === '127.0.0.1')
  t.equal(held.length, 2)
  tg.deregister([{ id: '127.0.0.1', port: 8080 }])
  t.match(tg.health([{ id: '127.0.0.1', port: 8080 }]), [{ state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress' }])
  t.same([...spread(tg, 10).keys()], ['127.0.0.2:8080'], 'no new requests to the draining target')
  await clock.advance(100_000)
  held[0].release()
  held[1].release()
  t.match(tg.health([{ id: '127.0.0.1', port: 8080 }]), [{ state: 'draining' }], 'nothing in flight any more: still shown draining')
  t.same([...spread(tg, 10).keys()], ['127.0.0.2:8080'], 'and still given no new requests')
  await clock.advance(199_999)
  t.equal(tg.health().length, 2, 'until the delay')
  await clock.advance(1)
  t.same(tg.health().map((h) => h.host), ['127.0.0.2'], 'gone at the delay')
  t.match(tg.health([{ id: '127.0.0.1', port: 8080 }]), [{ state: 'unused', reason: 'Target.NotRegistered' }])
  t.same(events, [['127.0.0.1', 'unavailable', 'draining', 'Target.DeregistrationInProgress'], ['127.0.0.1', 'draining', 'unused', 'Target.NotRegistered']])
  held[1].release()
  t.equal(clock.pending, 0, 'no timer left')
})

t.test('in flight past the deregistration delay: gone at the delay, on the clock', async (t) => {
  const { tg, clock } = group(t, config({ healthCheck: off, deregistrationDelayMs: 60_000 }))
  tg.setInUse(true)
  tg.register([spec(1)])
  const held = tg.pick({ sourceIp: '127.0.0.9' })!
  let goneAt: number | undefined
  tg.onChange((h, prev) => { if (prev === 'draining') goneAt = clock.now() })
  const start = clock.now()
  tg.deregister([{ id: '127.0.0.1', port: 8080 }])
  await clock.advance(59_999)
  t.equal(tg.health()[0]?.state, 'draining')
  await clock.advance(1)
  t.same(tg.health(), [])
  t.equal(goneAt! - start, 60_000)
  held.release()
  t.same(tg.health(), [], 'a late release changes nothing')
})

t.test('nothing in flight: shown draining for the whole delay', async (t) => {
  const { tg, clock } = group(t, config({ healthCheck: off, deregistrationDelayMs: 10_000 }))
  tg.setInUse(true)
  tg.register([spec(1), spec(2)])
  tg.deregister([{ id: '127.0.0.1', port: 8080 }])
  t.match(tg.health([{ id: '127.0.0.1', port: 8080 }]), [{ state: 'draining', reason: 'Target.DeregistrationInProgress' }])
  await clock.advance(9_999)
  t.equal(tg.health()[0]?.state, 'draining')
  await clock.advance(1)
  t.same(tg.health().map((h) => h.host), ['127.0.0.2'])
})

t.test('delay 0: gone at once with nothing in flight (at the next instant with some); unknown targets ignored', async (t) => {
  const { tg, clock } = group(t, config({ healthCheck: off, deregistrationDelayMs: 0 }))
  tg.setInUse(true)
  tg.register([spec(1), spec(2)])
  tg.deregister([{ id: '127.0.0.1', port: 8080 }, { id: '127.0.0.7', port: 8080 }])
  t.same(tg.health().map((h) => h.host), ['127.0.0.2'])
  const held = tg.pick({ sourceIp: '127.0.0.9' })!
  tg.deregister([{ id: '127.0.0.2', port: 8080 }])
  t.equal(tg.health()[0].state, 'draining')
  await clock.advance(0)
  t.same(tg.health(), [], 'delay 0: gone at the next instant')
  held.release()
})

t.test('registering a draining target again brings it back (initial, checked)', async (t) => {
  const b = await httpBackend(t)
  const { tg, clock } = group(t)
  tg.setInUse(true)
  tg.register([b.spec])
  await clock.advance(0)
  const held = tg.pick({ sourceIp: '127.0.0.9' })!
  tg.deregister([b.spec])
  t.equal(tg.health()[0].state, 'draining')
  const hits = b.hits.length
  await clock.advance(30_000)
  t.equal(b.hits.length, hits, 'no health checks while draining')
  tg.register([b.spec])
  t.match(tg.health(), [{ state: 'initial', reason: 'Elb.RegistrationInProgress' }])
  await clock.advance(0)
  t.equal(tg.health()[0].state, 'healthy')
  held.release()
  t.equal(tg.health()[0].state, 'healthy', "the old registration's release does not drain the new one")
  await clock.advance(300_000)
  t.equal(tg.health()[0].state, 'healthy', "nor does the old delay")
})

t.test('a draining target stays draining when the group stops being used', async (t) => {
  const { tg, clock } = group(t, config({ healthCheck: off, deregistrationDelayMs: 5_000 }))
  tg.setInUse(true)
  tg.register([spec(1)])
  const held = tg.pick({ sourceIp: '127.0.0.9' })!
  tg.deregister([{ id: '127.0.0.1', port: 8080 }])
  tg.setInUse(false)
  t.equal(tg.health()[0].state, 'draining')
  held.release()
  t.equal(tg.health()[0].state, 'draining')
  await clock.advance(5_000)
  t.same(tg.health(), [])
})

t.test('resumeDraining (an engine restarted while targets drained): draining from the start for what is left, never checked or picked, then gone', async (t) => {
  const b = await httpBackend(t)
  const { tg, clock } = group(t, config({ deregistrationDelayMs: 300_000 }))
  const events: Array<[TargetState | undefined, TargetState, string | undefined]> = []
  tg.onChange((h, prev) => events.push([prev, h.state, h.reason]))
  tg.setInUse(true)
  tg.register([spec(2)])
  tg.resumeDraining([b.spec], 40_000)
  t.match(tg.health([b.spec]), [{ state: 'draining', reason: 'Target.DeregistrationInProgress' }])
  t.same(events.slice(0, 2).map((e) => e[1]).sort(), ['draining', 'initial'])
  t.same(events.find((e) => e[1] === 'draining'), [undefined, 'draining', 'Target.DeregistrationInProgress'], 'told as a new target that drains')
  t.same([...spread(tg, 6).keys()], ['127.0.0.2:8080'], 'no traffic to it, even failing open')
  tg.resumeDraining([b.spec], 1_000)
  await clock.advance(39_999)
  t.equal(tg.health().length, 2, 'a second call changes nothing: still there until the first end')
  t.equal(b.hits.length, 0, 'never checked')
  await clock.advance(1)
  t.same(tg.health().map((h) => h.port), [8080], 'gone')
  // Nothing left: gone at once; a registered target is left as it is.
  tg.resumeDraining([b.spec], 0)
  t.same(tg.health().map((h) => h.port), [8080])
  tg.resumeDraining([spec(2)], 10_000)
  t.not(tg.health()[0].state, 'draining', 'a registered target is not put to draining')
})
