// Stickiness: a cookie naming a routable target sends the request there; a
// pinned target that turned unhealthy, is draining or gone is replaced by
// another (re-pinned); source_ip stickiness keeps a client on one target and
// moves only the clients of a target that leaves. The cookie values are
// opaque, tamper-evident, bound to the group, and expire on the clock.
import t from 'tap'
import { config, group, httpBackend, spec } from './target-group-fixtures.js'
import { StickyCodec, decodeSticky, encodeSticky } from '../../../runtime/lb/sticky.js'
import { TargetGroup } from '../../../runtime/lb/target-group.js'
import { ManualClock } from '../../../runtime/clock/clock.js'

const lbCookie = { enabled: true, type: 'lb_cookie' as const, durationMs: 60_000 }

t.test('lb_cookie: pinned while routable, re-pinned when the target turns unhealthy', async (t) => {
  const a = await httpBackend(t)
  const b = await httpBackend(t)
  const { tg, clock } = group(t, config({ stickiness: lbCookie, healthCheck: { intervalMs: 5_000, unhealthyThreshold: 2 } }))
  tg.setInUse(true)
  tg.register([a.spec, b.spec])
  await clock.advance(0)
  const first = tg.pick({ sourceIp: '127.0.0.9' })!
  first.release()
  const pinned = first.key
  for (let i = 0; i < 6; i++) {
    const p = tg.pick({ sourceIp: '127.0.0.9', sticky: pinned })!
    t.equal(p.key, pinned)
    p.release()
  }
  const pinnedBackend = first.target.port === a.port ? a : b
  pinnedBackend.behave({ status: 503 })
  await clock.advance(5_000)
  await clock.advance(5_000)
  t.equal(tg.health([first.target])[0].state, 'unhealthy')
  const moved = tg.pick({ sourceIp: '127.0.0.9', sticky: pinned })!
  t.not(moved.key, pinned, 're-pinned to the healthy target')
  moved.release()
  // And the new pin holds.
  for (let i = 0; i < 3; i++) {
    const p = tg.pick({ sourceIp: '127.0.0.9', sticky: moved.key })!
    t.equal(p.key, moved.key)
    p.release()
  }
})

t.test('lb_cookie: a draining or unknown pinned target is replaced', async (t) => {
  const { tg } = group(t, config({ stickiness: lbCookie, healthCheck: { enabled: false } }))
  tg.setInUse(true)
  tg.register([spec(1), spec(2)])
  const held = tg.pick({ sourceIp: '127.0.0.9', sticky: '127.0.0.1:8080' })!
  t.equal(held.key, '127.0.0.1:8080')
  tg.deregister([{ id: '127.0.0.1', port: 8080 }])
  t.equal(tg.pick({ sourceIp: '127.0.0.9', sticky: '127.0.0.1:8080' })!.key, '127.0.0.2:8080')
  t.equal(tg.pick({ sourceIp: '127.0.0.9', sticky: '127.0.0.5:8080' })!.key, '127.0.0.2:8080')
  held.release()
})

t.test('stickiness off: the sticky key is ignored', async (t) => {
  const { tg } = group(t, config({ healthCheck: { enabled: false } }))
  tg.setInUse(true)
  tg.register([spec(1), spec(2)])
  const keys = [0, 1, 2, 3].map(() => { const p = tg.pick({ sourceIp: '127.0.0.9', sticky: '127.0.0.1:8080' })!; p.release(); return p.key })
  t.same(new Set(keys).size, 2)
})

t.test('source_ip: a client stays on one target; a leaving target moves only its own clients', async (t) => {
  const { tg } = group(t, config({ protocol: 'TCP', stickiness: { enabled: true, type: 'source_ip', durationMs: 0 }, healthCheck: { enabled: false, protocol: 'TCP' } }))
  tg.setInUse(true)
  tg.register([spec(1), spec(2), spec(3)])
  const clients = Array.from({ length: 60 }, (_, i) => `127.0.${1 + (i >> 4)}.${10 + i}`)
  const where = () => new Map(clients.map((ip) => { const p = tg.pick({ sourceIp: ip })!; p.release(); return [ip, p.key] }))
  const before = where()
  t.same(where(), before, 'the same target each time')
  const perTarget = new Map<string, number>()
  for (const k of before.values()) perTarget.set(k, (perTarget.get(k) ?? 0) + 1)
  t.equal(perTarget.size, 3, 'clients spread over every target')
  for (const [k, n] of perTarget) t.ok(n >= 8, `${k}: ${n} of 60 clients`)
  tg.deregister([{ id: '127.0.0.2', port: 8080 }])
  const after = where()
  for (const ip of clients) {
    if (before.get(ip) !== '127.0.0.2:8080') t.equal(after.get(ip), before.get(ip), `${ip} stays`)
    else t.not(after.get(ip), '127.0.0.2:8080', `${ip} moves`)
  }
})

t.test('the cookie codec: round trip, expiry on the clock, tampering, another group or secret', async (t) => {
  const clock = new ManualClock(5_000_000)
  const tg = new TargetGroup(config({ stickiness: lbCookie, healthCheck: { enabled: false } }), { clock, secret: Buffer.from('plane secret') })
  t.teardown(() => tg.close())
  tg.setInUse(true)
  tg.register([spec(1)])
  const p = tg.pick({ sourceIp: '127.0.0.9' })!
  p.release()
  const cookie = tg.stickyCookie(p)
  t.match(cookie, /^[A-Za-z0-9_-]+$/, 'cookie-safe')
  t.notMatch(cookie, /127|8080/, 'opaque')
  t.equal(tg.stickyCookie(p), cookie, 'one value a second (expiries are whole seconds)')
  const later = new ManualClock(5_001_000)
  const tg2 = new TargetGroup(tg.config, { clock: later, secret: Buffer.from('plane secret') })
  t.teardown(() => tg2.close())
  t.not(tg2.stickyCookie(p), cookie, 'a new value the next second')
  t.equal(tg.stickyTarget(tg2.stickyCookie(p)), '127.0.0.1:8080', 'the same secret reads it')
  t.equal(tg.stickyTarget(cookie), '127.0.0.1:8080')
  t.equal(tg.stickyTarget(undefined), undefined)
  t.equal(tg.stickyTarget('garbage'), undefined)
  // Tampered: one character flipped anywhere.
  for (const i of [0, 14, cookie.length - 1]) {
    const flipped = cookie.slice(0, i) + (cookie[i] === 'A' ? 'B' : 'A') + cookie.slice(i + 1)
    t.equal(tg.stickyTarget(flipped), undefined, `flipped at ${i}`)
  }
  // Another group or another secret does not accept it.
  const codec = new StickyCodec(Buffer.from('plane secret'))
  t.equal(codec.decode(tg.config.key, cookie, clock.now()), '127.0.0.1:8080', 'the same secret decodes')
  t.equal(codec.decode('arn:other', cookie, clock.now()), undefined)
  t.equal(new StickyCodec(Buffer.from('other')).decode(tg.config.key, cookie, clock.now()), undefined)
  // Expires after the stickiness duration, on the clock.
  await clock.advance(59_999)
  t.equal(tg.stickyTarget(cookie), '127.0.0.1:8080')
  await clock.advance(1)
  t.equal(tg.stickyTarget(cookie), undefined)
  // The process codec.
  // Expiries are whole seconds: 10.5 s → 10 s.
  const v = encodeSticky('g', '127.0.0.3:80', 10_500)
  t.equal(decodeSticky('g', v, 9_999), '127.0.0.3:80')
  t.equal(decodeSticky('g', v, 10_000), undefined)
  t.equal(decodeSticky('h', v, 9_999), undefined, 'a remembered value is still bound to its group')
})
