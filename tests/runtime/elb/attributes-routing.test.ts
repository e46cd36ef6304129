// Target group attributes set through ModifyTargetGroupAttributes change how
// the listener routes, end to end: lb_cookie stickiness (AWSALB with the
// lb_cookie duration on the clock), app_cookie stickiness (AWSALBAPP-0 once
// the target sets the named cookie, with the app_cookie duration), the
// least_outstanding_requests algorithm, and the minimum healthy targets of
// unhealthy state routing; slow start with an algorithm other than
// round_robin is refused.
import http from 'node:http'
import t, { type Test } from 'tap'
import { backend, clockOf, elbEngine, get, holding, refusal, spread, webStack, type Backend } from './elb-fixtures.js'

/** The cookie pair (name=value) of a Set-Cookie header named `name`, and its Expires. */
function cookieOf(headers: http.IncomingHttpHeaders, name: string): { pair: string; expires: number } | undefined {
  const line = (headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`))
  if (line === undefined) return undefined
  const expires = /Expires=([^;]+)/.exec(line)?.[1]
  return { pair: line.split(';')[0], expires: expires === undefined ? NaN : Date.parse(expires) }
}

/** Who answered each of n requests sent with these headers. */
async function spreadWith(host: string, port: number, n: number, headers: Record<string, string>): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push((await get(host, port, '/', headers)).body.split(' ')[0])
  return out
}

/** A backend that sets the application cookie SESSION on /login. */
async function appBackend(t: Test, name: string): Promise<Backend> {
  const b = await backend(t, name)
  b.server.removeAllListeners('request')
  b.server.on('request', (req, res) => {
    b.hits.push(req.url ?? '')
    const headers: Record<string, string> = { 'content-type': 'text/plain' }
    if (req.url === '/login') headers['set-cookie'] = `SESSION=${name}; Path=/`
    res.writeHead(200, headers)
    res.end(`${name} ${req.url ?? ''}`)
  })
  return b
}

t.test('lb_cookie stickiness set through the API: AWSALB pins a client for the lb_cookie duration on the clock', async (t) => {
  const engine = await elbEngine(t)
  const clock = clockOf(engine)
  const [a, b] = [await backend(t, 'a'), await backend(t, 'b')]
  const { tg, address, port } = await webStack(engine, [a, b])
  await engine.elb.modifyTargetGroupAttributes({
    TargetGroupArn: tg.TargetGroupArn!,
    Attributes: [{ Key: 'stickiness.enabled', Value: 'true' }, { Key: 'stickiness.lb_cookie.duration_seconds', Value: '3600' }, { Key: 'stickiness.app_cookie.duration_seconds', Value: '60' }]
  })
  await clock.advance(0)
  const first = await get(address, port)
  const cookie = cookieOf(first.headers, 'AWSALB')
  t.ok(cookie, 'the answer sets AWSALB')
  t.equal(cookie!.expires, Math.floor((clock.now() + 3_600_000) / 1000) * 1000, 'expiring after the lb_cookie duration (not the app_cookie one)')
  t.ok(cookieOf(first.headers, 'AWSALBCORS'), 'and AWSALBCORS')
  const pinned = first.body.split(' ')[0]
  t.same(await spreadWith(address, port, 6, { cookie: cookie!.pair }), Array(6).fill(pinned), 'every request with the cookie goes to the same target')
  t.same(new Set(await spread(address, port, 6)).size, 2, 'requests without it still spread')
  await clock.advance(3_600_001)
  t.same(new Set(await spreadWith(address, port, 6, { cookie: cookie!.pair })).size, 2, 'an expired cookie pins nothing')
})

t.test('app_cookie stickiness set through the API: AWSALBAPP-0 after the target sets the named cookie, with the app_cookie duration', async (t) => {
  const engine = await elbEngine(t)
  const clock = clockOf(engine)
  const [a, b] = [await appBackend(t, 'a'), await appBackend(t, 'b')]
  const { tg, address, port } = await webStack(engine, [a, b])
  await refusal(t, () => engine.elb.modifyTargetGroupAttributes({
    TargetGroupArn: tg.TargetGroupArn!, Attributes: [{ Key: 'stickiness.enabled', Value: 'true' }, { Key: 'stickiness.type', Value: 'app_cookie' }]
  }), 'ValidationError', 'Attributes')
  await engine.elb.modifyTargetGroupAttributes({
    TargetGroupArn: tg.TargetGroupArn!,
    Attributes: [
      { Key: 'stickiness.enabled', Value: 'true' }, { Key: 'stickiness.type', Value: 'app_cookie' },
      { Key: 'stickiness.app_cookie.cookie_name', Value: 'SESSION' }, { Key: 'stickiness.app_cookie.duration_seconds', Value: '120' }
    ]
  })
  await clock.advance(0)
  const plain = await get(address, port)
  t.equal(cookieOf(plain.headers, 'AWSALBAPP-0'), undefined, 'no AWSALBAPP-0 while the target sets no SESSION cookie')
  t.equal(cookieOf(plain.headers, 'AWSALB'), undefined, 'and no AWSALB (app_cookie stickiness)')
  const login = await get(address, port, '/login')
  const app = cookieOf(login.headers, 'AWSALBAPP-0')
  t.ok(app, 'the target set SESSION: the load balancer adds AWSALBAPP-0')
  t.ok(cookieOf(login.headers, 'SESSION'), "the target's own cookie passes through")
  t.equal(app!.expires, Math.floor((clock.now() + 120_000) / 1000) * 1000, 'expiring after the app_cookie duration')
  const pinned = login.body.split(' ')[0]
  t.same(await spreadWith(address, port, 6, { cookie: `SESSION=${pinned}; ${app!.pair}` }), Array(6).fill(pinned), 'pinned to the target that set the cookie')
  await clock.advance(120_001)
  t.same(new Set(await spreadWith(address, port, 6, { cookie: `SESSION=${pinned}; ${app!.pair}` })).size, 2, 'past the duration: not pinned')
})

t.test('least_outstanding_requests set through the API: a target busy with a request gets no new one while another is idle', async (t) => {
  const engine = await elbEngine(t)
  const clock = clockOf(engine)
  const [a, b] = [await backend(t, 'a'), await backend(t, 'b')]
  const { tg, address, port } = await webStack(engine, [a, b])
  await clock.advance(0)
  await engine.elb.modifyTargetGroupAttributes({ TargetGroupArn: tg.TargetGroupArn!, Attributes: [{ Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' }] })
  const slow = get(address, port, '/slow')
  await new Promise((r) => setTimeout(r, 50))
  const busy = a.held.length === 1 ? 'a' : 'b'
  await holding(busy === 'a' ? a : b, 1)
  const idle = busy === 'a' ? 'b' : 'a'
  t.same(await spread(address, port, 6), Array(6).fill(idle), 'every request goes to the idle target while the other holds one (round robin would alternate)')
  for (const release of [...a.held, ...b.held]) release()
  t.equal((await slow).status, 200)
  t.same(new Set(await spread(address, port, 6)).size, 2, 'both idle again: both get requests')
})

t.test('minimum healthy targets set through the API: below the count, unhealthy targets get traffic too', async (t) => {
  const engine = await elbEngine(t)
  const clock = clockOf(engine)
  const [a, b] = [await backend(t, 'a'), await backend(t, 'b')]
  const { tg, address, port } = await webStack(engine, [a, b])
  await clock.advance(0)
  b.status = 500
  for (let i = 0; i < 2; i++) await clock.advance(5_000)
  const states = (await engine.elb.describeTargetHealth({ TargetGroupArn: tg.TargetGroupArn! })).TargetHealthDescriptions!.map((d) => d.TargetHealth!.State).sort()
  t.same(states, ['healthy', 'unhealthy'])
  t.same(await spread(address, port, 4), ['a', 'a', 'a', 'a'], 'the default count (1) is met: the healthy target only')
  const key = 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count'
  await engine.elb.modifyTargetGroupAttributes({ TargetGroupArn: tg.TargetGroupArn!, Attributes: [{ Key: key, Value: '2' }] })
  const routed = await spread(address, port, 6)
  t.same(routed.filter((w) => w === 'b').length, 3, 'one healthy, fewer than 2: the unhealthy target gets its share')
  await engine.elb.modifyTargetGroupAttributes({
    TargetGroupArn: tg.TargetGroupArn!,
    Attributes: [{ Key: key, Value: '1' }, { Key: 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage', Value: '51' }]
  })
  t.same(new Set(await spread(address, port, 6)).size, 2, '1 of 2 healthy, under 51%: both get traffic')
  await engine.elb.modifyTargetGroupAttributes({
    TargetGroupArn: tg.TargetGroupArn!, Attributes: [{ Key: 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage', Value: 'off' }]
  })
  t.same(await spread(address, port, 4), ['a', 'a', 'a', 'a'], 'percentage off again: the healthy target only')
  await refusal(t, () => engine.elb.modifyTargetGroupAttributes({ TargetGroupArn: tg.TargetGroupArn!, Attributes: [{ Key: key, Value: '0' }] }), 'ValidationError', 'Attributes[0].Value')
})

t.test('slow start is refused with weighted_random and least_outstanding_requests, and changes nothing', async (t) => {
  const engine = await elbEngine(t)
  const a = await backend(t, 'a')
  const { tg } = await webStack(engine, [a])
  const arn = tg.TargetGroupArn!
  const attributes = async () => Object.fromEntries((await engine.elb.describeTargetGroupAttributes({ TargetGroupArn: arn })).Attributes!.map((x) => [x.Key, x.Value]))
  const before = await attributes()
  for (const algorithm of ['weighted_random', 'least_outstanding_requests']) {
    const e = await refusal(t, () => engine.elb.modifyTargetGroupAttributes({
      TargetGroupArn: arn, Attributes: [{ Key: 'load_balancing.algorithm.type', Value: algorithm }, { Key: 'slow_start.duration_seconds', Value: '60' }]
    }), 'InvalidConfigurationRequest', 'Attributes')
    t.match(e.message, algorithm)
  }
  await engine.elb.modifyTargetGroupAttributes({ TargetGroupArn: arn, Attributes: [{ Key: 'slow_start.duration_seconds', Value: '60' }] })
  await refusal(t, () => engine.elb.modifyTargetGroupAttributes({
    TargetGroupArn: arn, Attributes: [{ Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' }]
  }), 'InvalidConfigurationRequest', 'Attributes')
  t.same(await attributes(), { ...before, 'slow_start.duration_seconds': '60' }, 'only the accepted change was applied')
})
