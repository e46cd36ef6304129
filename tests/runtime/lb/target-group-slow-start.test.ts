// Slow start (round robin): a target that turns healthy next to one at full
// share ramps linearly from nothing to its full share over slowStartMs on
// the clock; the first target of a group does not slow-start; a target that
// turns unhealthy leaves slow start and starts over when healthy again.
import t from 'tap'
import { config, group, httpBackend, spread } from './target-group-fixtures.js'

t.test('a new target ramps up linearly over the slow start duration', async (t) => {
  const a = await httpBackend(t)
  const b = await httpBackend(t)
  const { tg, clock } = group(t, config({ slowStartMs: 120_000, healthCheck: { intervalMs: 30_000 } }))
  tg.setInUse(true)
  tg.register([a.spec])
  await clock.advance(0)
  t.same([...spread(tg, 10).values()], [10], 'the first target: full share at once')
  tg.register([b.spec])
  await clock.advance(0)
  t.same(tg.health().map((h) => h.state), ['healthy', 'healthy'])
  const share = () => (spread(tg, 1200).get(`127.0.0.1:${b.port}`) ?? 0) / 1200
  const s0 = share()
  t.ok(s0 < 0.03, `just healthy: ${s0.toFixed(3)}`)
  await clock.advance(60_000)
  const s1 = share()
  // Weights 1 : 0.5 → a third.
  t.ok(Math.abs(s1 - 1 / 3) < 0.02, `halfway: ${s1.toFixed(3)}`)
  await clock.advance(30_000)
  const s2 = share()
  // 1 : 0.75 → 3/7.
  t.ok(Math.abs(s2 - 3 / 7) < 0.02, `three quarters: ${s2.toFixed(3)}`)
  await clock.advance(30_000)
  t.equal(share(), 0.5, 'full share at the end')
  // Spread out, not bunched: in the ramp, never two picks of b in a row at weight 0.5.
})

t.test('picks of a slow-starting target are spread out', async (t) => {
  const a = await httpBackend(t)
  const b = await httpBackend(t)
  const { tg, clock } = group(t, config({ slowStartMs: 100_000 }))
  tg.setInUse(true)
  tg.register([a.spec])
  await clock.advance(0)
  tg.register([b.spec])
  await clock.advance(0)
  await clock.advance(50_000)
  const order = Array.from({ length: 30 }, () => { const p = tg.pick({ sourceIp: '127.0.0.9' })!; p.release(); return p.target.port === b.port ? 'b' : 'a' }).join('')
  t.notMatch(order, /bb/, order)
  t.match(order, /b/, order)
})

t.test('no slow start for least outstanding requests; unhealthy ends slow start, healthy again restarts it', async (t) => {
  const a = await httpBackend(t)
  const b = await httpBackend(t)
  const lor = group(t, config({ slowStartMs: 100_000, algorithm: 'least_outstanding_requests' }))
  lor.tg.setInUse(true)
  lor.tg.register([a.spec])
  await lor.clock.advance(0)
  lor.tg.register([b.spec])
  await lor.clock.advance(0)
  t.same([...spread(lor.tg, 10).values()], [5, 5])

  const { tg, clock } = group(t, config({ slowStartMs: 100_000, healthCheck: { intervalMs: 10_000, unhealthyThreshold: 2, healthyThreshold: 2 } }))
  tg.setInUse(true)
  tg.register([a.spec])
  await clock.advance(0)
  tg.register([b.spec])
  await clock.advance(0)
  await clock.advance(90_000)
  const late = (spread(tg, 1000).get(`127.0.0.1:${b.port}`) ?? 0) / 1000
  t.ok(late > 0.45, `nearly full share at 90%: ${late}`)
  b.behave({ status: 500 })
  await clock.advance(10_000)
  await clock.advance(10_000)
  t.equal(tg.health()[1].state, 'unhealthy')
  b.behave({ status: 200 })
  await clock.advance(10_000)
  await clock.advance(10_000)
  t.equal(tg.health()[1].state, 'healthy')
  const again = (spread(tg, 1000).get(`127.0.0.1:${b.port}`) ?? 0) / 1000
  t.ok(again < 0.03, `slow start again from nothing: ${again}`)
})

t.test('targets there when the group comes into use do not slow-start', async (t) => {
  const a = await httpBackend(t)
  const b = await httpBackend(t)
  const { tg, clock } = group(t, config({ slowStartMs: 100_000 }))
  tg.register([a.spec, b.spec])
  tg.setInUse(true)
  await clock.advance(0)
  t.same(tg.health().map((h) => h.state), ['healthy', 'healthy'])
  t.same([...spread(tg, 10).values()], [5, 5])
})
