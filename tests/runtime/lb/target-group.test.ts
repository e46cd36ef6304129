// Choosing a target: round robin spreads evenly and in turn, least
// outstanding requests goes to the least busy (ties in turn), weighted
// random spreads by chance (seeded), fail-open routes to every registered
// target when none is healthy (or fewer than the group's minimum healthy
// targets), and no target means no pick.
import t from 'tap'
import { config, group, httpBackend, spec, spread } from './target-group-fixtures.js'

const off = { enabled: false }

t.test('round robin: in turn, evenly', async (t) => {
  const { tg } = group(t, config({ healthCheck: off }))
  tg.setInUse(true)
  tg.register([spec(1), spec(2), spec(3)])
  const order = [0, 1, 2, 3, 4, 5].map(() => { const p = tg.pick({ sourceIp: '127.0.0.9' })!; p.release(); return p.target.host })
  t.same(order.slice(3), order.slice(0, 3), 'the same order again')
  t.same(new Set(order.slice(0, 3)).size, 3, 'each once a round')
  const counts = spread(tg, 300)
  t.same([...counts.values()], [100, 100, 100])
  t.same([...counts.keys()].sort(), ['127.0.0.1:8080', '127.0.0.2:8080', '127.0.0.3:8080'])
})

t.test('least outstanding requests: the fewest in flight; ties in turn', async (t) => {
  const { tg } = group(t, config({ healthCheck: off, algorithm: 'least_outstanding_requests' }))
  tg.setInUse(true)
  tg.register([spec(1), spec(2), spec(3)])
  const a = tg.pick({ sourceIp: '127.0.0.9' })!
  const b = tg.pick({ sourceIp: '127.0.0.9' })!
  const c = tg.pick({ sourceIp: '127.0.0.9' })!
  t.same(new Set([a.key, b.key, c.key]).size, 3, 'one each while all are busy')
  const d = tg.pick({ sourceIp: '127.0.0.9' })!
  b.release()
  // b's target now has 0 in flight, the others 1 (and one of them 2).
  for (let i = 0; i < 3; i++) {
    const p = tg.pick({ sourceIp: '127.0.0.9' })!
    t.equal(p.key, b.key, 'the idle target')
    p.release()
  }
  // Release twice is once.
  b.release()
  const e = tg.pick({ sourceIp: '127.0.0.9' })!
  t.equal(e.key, b.key)
  const f = tg.pick({ sourceIp: '127.0.0.9' })!
  t.not(f.key, d.key, 'not the one with two in flight')
  for (const p of [a, c, d, e, f]) p.release()
  // All idle: spread evenly.
  t.same([...spread(tg, 30).values()], [10, 10, 10])
})

t.test('weighted random: every target gets its share by chance, the same sequence for the same group', async (t) => {
  const cfg = config({ healthCheck: off, algorithm: 'weighted_random' })
  const one = group(t, cfg).tg
  const two = group(t, cfg).tg
  for (const tg of [one, two]) {
    tg.setInUse(true)
    tg.register([spec(1), spec(2), spec(3)])
  }
  const seq = (tg: typeof one) => Array.from({ length: 30 }, () => { const p = tg.pick({ sourceIp: '127.0.0.9' })!; p.release(); return p.key })
  const s1 = seq(one)
  t.same(seq(two), s1, 'seeded by the group')
  t.ok(s1.some((k, i) => i > 0 && k === s1[i - 1]), 'not strictly in turn')
  const counts = spread(one, 3000)
  for (const [key, n] of counts) t.ok(n > 850 && n < 1150, `${key}: ${n} of 3000`)
})

t.test('fail-open: none healthy → every registered target; one healthy → that one only', async (t) => {
  const a = await httpBackend(t, 500)
  const b = await httpBackend(t, 500)
  const { tg, clock } = group(t, config({ healthCheck: { intervalMs: 5_000, healthyThreshold: 2 } }))
  tg.setInUse(true)
  tg.register([a.spec, b.spec])
  t.same([...spread(tg, 4).values()], [2, 2], 'initial targets, none healthy: fail-open')
  await clock.advance(0)
  await clock.advance(5_000)
  t.same(tg.health().map((h) => h.state), ['unhealthy', 'unhealthy'])
  t.same([...spread(tg, 10).values()], [5, 5], 'all unhealthy: all get traffic')
  a.behave({ status: 200 })
  await clock.advance(5_000)
  await clock.advance(5_000)
  t.same(tg.health().map((h) => h.state), ['healthy', 'unhealthy'])
  const counts = spread(tg, 10)
  t.same([...counts.entries()], [[`127.0.0.1:${a.port}`, 10]])
})

t.test('minimum healthy targets (unhealthy state routing): below the count or the percentage, every target gets traffic', async (t) => {
  const [a, b, c] = [await httpBackend(t, 500), await httpBackend(t, 500), await httpBackend(t, 500)]
  const healthCheck = { intervalMs: 5_000, healthyThreshold: 2 }
  const { tg, clock } = group(t, config({ healthCheck, minimumHealthy: { count: 2 } }))
  tg.setInUse(true)
  tg.register([a.spec, b.spec, c.spec])
  await clock.advance(0)
  await clock.advance(5_000)
  t.same(tg.health().map((h) => h.state), ['unhealthy', 'unhealthy', 'unhealthy'])
  a.behave({ status: 200 })
  await clock.advance(5_000)
  await clock.advance(5_000)
  t.same(tg.health().map((h) => h.state), ['healthy', 'unhealthy', 'unhealthy'])
  t.same([...spread(tg, 9).values()], [3, 3, 3], 'one healthy, fewer than the count of 2: all three get traffic')
  b.behave({ status: 200 })
  await clock.advance(5_000)
  await clock.advance(5_000)
  t.same(tg.health().map((h) => h.state), ['healthy', 'healthy', 'unhealthy'])
  const two = spread(tg, 8)
  t.same([...two.keys()].sort(), [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`].sort(), 'two healthy, the count met: the healthy ones only')
  tg.update(config({ healthCheck, minimumHealthy: { count: 1, percentage: 100 } }))
  t.same([...spread(tg, 9).values()], [3, 3, 3], '2 of 3 healthy, under 100%: all three')
  tg.update(config({ healthCheck, minimumHealthy: { count: 1, percentage: 66 } }))
  t.equal(spread(tg, 8).size, 2, '2 of 3 healthy, at least 66%: the healthy ones only')
  tg.update(config({ healthCheck, minimumHealthy: { count: 1, percentage: 67 } }))
  t.equal(spread(tg, 9).size, 3, '2 of 3 healthy, under 67%: all three')
})

t.test('no targets, or all draining: no pick', async (t) => {
  const { tg } = group(t, config({ healthCheck: off }))
  tg.setInUse(true)
  t.equal(tg.pick({ sourceIp: '127.0.0.9' }), undefined)
  tg.register([spec(1)])
  const held = tg.pick({ sourceIp: '127.0.0.9' })!
  tg.deregister([{ id: '127.0.0.1', port: 8080 }])
  t.equal(tg.health()[0].state, 'draining')
  t.equal(tg.pick({ sourceIp: '127.0.0.9' }), undefined, 'draining targets get nothing new, even fail-open')
  held.release()
})

t.test('register is idempotent; targets differ by port; update keeps targets and changes the algorithm', async (t) => {
  const { tg } = group(t, config({ healthCheck: off }))
  const seen: string[] = []
  tg.onChange((h, prev) => seen.push(`${h.port}:${prev ?? '-'}>${h.state}`))
  tg.register([spec(1), spec(1)])
  tg.register([spec(1), spec(1, 8081)])
  t.same(tg.health().map((h) => `${h.id}:${h.port}`), ['127.0.0.1:8080', '127.0.0.1:8081'])
  t.same(seen, ['8080:->unused', '8081:->unused'])
  tg.setInUse(true)
  tg.update(config({ healthCheck: off, algorithm: 'least_outstanding_requests' }))
  t.equal(tg.config.algorithm, 'least_outstanding_requests')
  const a = tg.pick({ sourceIp: '127.0.0.9' })!
  const b = tg.pick({ sourceIp: '127.0.0.9' })!
  t.not(a.key, b.key)
  a.release()
  t.equal(tg.pick({ sourceIp: '127.0.0.9' })!.key, a.key)
  t.same(tg.health().map((h) => h.state), ['unavailable', 'unavailable'])
})

t.test('a bad matcher is refused with a coded error naming the field and the range', async (t) => {
  t.throws(() => group(t, config({ healthCheck: { matcher: '600' } })), { code: 'InvalidMatcher', field: 'Matcher.HttpCode', limit: '200-499' })
  t.throws(() => group(t, config({ healthCheck: { matcher: '200-abc' } })), { code: 'InvalidMatcher' })
  t.throws(() => group(t, config({ healthCheck: { matcher: '299-200' } })), { code: 'InvalidMatcher' })
  const { tg } = group(t, config({ protocol: 'TCP', healthCheck: { matcher: '200-599' } }))
  t.throws(() => tg.update(config({ healthCheck: { matcher: '' } })), { code: 'InvalidMatcher' })
  t.equal(tg.config.healthCheck.matcher, '200-599', 'nothing changed')
})

t.test('settings the runtime cannot work with are refused, naming the field; an update leaves the old ones', async (t) => {
  t.throws(() => group(t, config({ healthCheck: { intervalMs: 0 } })), { code: 'InvalidTargetGroupConfig', field: 'healthCheck.intervalMs' })
  t.throws(() => group(t, config({ healthCheck: { timeoutMs: Number.NaN } })), { code: 'InvalidTargetGroupConfig', field: 'healthCheck.timeoutMs' })
  t.throws(() => group(t, config({ healthCheck: { healthyThreshold: 0 } })), { code: 'InvalidTargetGroupConfig', field: 'healthCheck.healthyThreshold' })
  t.throws(() => group(t, config({ healthCheck: { port: 70_000 } })), { code: 'InvalidTargetGroupConfig', field: 'healthCheck.port' })
  t.throws(() => group(t, config({ deregistrationDelayMs: -1 })), { code: 'InvalidTargetGroupConfig', field: 'deregistrationDelayMs' })
  const { tg } = group(t, config({ healthCheck: { enabled: false } }))
  t.throws(() => tg.update(config({ slowStartMs: -5 })), { code: 'InvalidTargetGroupConfig', field: 'slowStartMs' })
  t.equal(tg.config.slowStartMs, 0)
})

t.test('instance targets: checked and reached at their host, reported by their id', async (t) => {
  const b = await httpBackend(t)
  const { tg, clock } = group(t, config({ targetType: 'instance' }))
  tg.setInUse(true)
  tg.register([{ id: 'i-0123456789abcdef0', port: b.port, host: '127.0.0.1' }])
  await clock.advance(0)
  t.same(b.hits, ['/health'])
  t.same(tg.health([{ id: 'i-0123456789abcdef0', port: b.port }, { id: 'i-0ffffffffffffffff', port: b.port }]).map((h) => [h.id, h.host, h.state, h.reason]), [
    ['i-0123456789abcdef0', '127.0.0.1', 'healthy', undefined],
    ['i-0ffffffffffffffff', 'i-0ffffffffffffffff', 'unused', 'Target.NotRegistered']
  ])
  const p = tg.pick({ sourceIp: '127.0.0.9' })!
  t.same(p.target, { id: 'i-0123456789abcdef0', port: b.port, host: '127.0.0.1' })
  t.equal(p.key, `i-0123456789abcdef0:${b.port}`)
  p.release()
})
