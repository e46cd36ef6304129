// Stickiness through the listener: AWSALB (lb_cookie) with its CORS twin,
// re-pinning when the pinned target turns unhealthy, the cookie's duration on
// the clock, AWSALBAPP-0 (app_cookie) once the application sets its cookie,
// and AWSALBTG keeping a client on one of several weighted target groups.
import t from 'tap'
import { ManualClock } from '../../../runtime/clock/clock.js'
import type { TargetGroupRuntime } from '../../../runtime/lb/model.js'
import { backend, group, groupArn, listenerConfig, openListener, request, type Reply } from './http-fixtures.js'

const TG = groupArn('sticky')
const DAY = 86_400_000

function cookies(reply: Reply): Map<string, string> {
  const out = new Map<string, string>()
  for (const c of reply.headers['set-cookie'] ?? []) out.set(c.slice(0, c.indexOf('=')), c)
  return out
}
const valueOf = (setCookie: string | undefined): string => (setCookie ?? '').split(';')[0]!.split('=').slice(1).join('=')

async function twoTargets(t: Parameters<typeof backend>[0], healthy: { a: boolean } = { a: true }): Promise<{ ports: number[] }> {
  const a = await backend(t, (req, res) => {
    if (req.url === '/health') res.writeHead(healthy.a ? 200 : 500)
    res.end('a')
  })
  const b = await backend(t, (_req, res) => res.end('b'))
  return { ports: [a.port, b.port] }
}

t.test('lb_cookie: AWSALB and AWSALBCORS pin a client to one target', async (t) => {
  const clock = new ManualClock()
  const { ports } = await twoTargets(t)
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, TG, ports, { stickiness: { enabled: true, type: 'lb_cookie', durationMs: DAY } }, clock)
  const listener = await openListener(t, listenerConfig({ defaultActions: [{ type: 'forward', targetGroups: [{ key: TG, weight: 1 }] }] }), { groups, clock })

  const first = await request(listener.port, '/')
  const set = cookies(first)
  const expires = new Date(clock.now() + DAY).toUTCString()
  t.match(set.get('AWSALB'), new RegExp(`^AWSALB=[A-Za-z0-9_-]+; Expires=${expires}; Path=/$`))
  t.match(set.get('AWSALBCORS'), new RegExp(`^AWSALBCORS=[A-Za-z0-9_-]+; Expires=${expires}; Path=/; SameSite=None; Secure$`))
  const pin = valueOf(set.get('AWSALB'))
  const bodies = new Set<string>()
  for (let i = 0; i < 6; i++) bodies.add((await request(listener.port, '/', { headers: { cookie: `other=1; AWSALB=${pin}` } })).body)
  t.same([...bodies], [first.body], 'every request with the cookie goes to the same target')
  const viaCors = await request(listener.port, '/', { headers: { cookie: `AWSALBCORS=${valueOf(set.get('AWSALBCORS'))}` } })
  t.equal(viaCors.body, first.body, 'the CORS cookie pins too')

  const spread = new Set<string>()
  for (let i = 0; i < 4; i++) spread.add((await request(listener.port, '/')).body)
  t.equal(spread.size, 2, 'without the cookie, requests spread')
  const forged = new Set<string>()
  for (let i = 0; i < 4; i++) forged.add((await request(listener.port, '/', { headers: { cookie: `AWSALB=${pin.slice(0, -2)}xx` } })).body)
  t.equal(forged.size, 2, 'a tampered cookie pins nothing')

  await clock.advance(DAY)
  const expired = new Set<string>()
  for (let i = 0; i < 4; i++) expired.add((await request(listener.port, '/', { headers: { cookie: `AWSALB=${pin}` } })).body)
  t.equal(expired.size, 2, 'past the stickiness duration the cookie pins nothing')
})

t.test('a pinned target that turns unhealthy: the client is re-pinned to a healthy one', async (t) => {
  const clock = new ManualClock()
  const health = { a: true }
  const { ports } = await twoTargets(t, health)
  const groups = new Map<string, TargetGroupRuntime>()
  const counted = group(t, groups, TG, ports, {
    stickiness: { enabled: true, type: 'lb_cookie', durationMs: DAY },
    healthCheck: { enabled: true, protocol: 'HTTP', port: 'traffic-port', path: '/health', intervalMs: 5_000, timeoutMs: 2_000, healthyThreshold: 2, unhealthyThreshold: 2, matcher: '200' }
  }, clock)
  counted.group.setInUse(true)
  await clock.advance(5_000)
  t.same(counted.group.health().map((h) => h.state), ['healthy', 'healthy'])
  const listener = await openListener(t, listenerConfig({ defaultActions: [{ type: 'forward', targetGroups: [{ key: TG, weight: 1 }] }] }), { groups, clock })

  // A client pinned to a.
  let pin = ''
  for (let i = 0; i < 4 && pin === ''; i++) {
    const reply = await request(listener.port, '/')
    if (reply.body === 'a') pin = valueOf(cookies(reply).get('AWSALB'))
  }
  t.not(pin, '')
  t.equal((await request(listener.port, '/', { headers: { cookie: `AWSALB=${pin}` } })).body, 'a')

  health.a = false
  await clock.advance(10_000)
  t.equal(counted.group.health().find((h) => h.port === ports[0])?.state, 'unhealthy')
  const moved = await request(listener.port, '/', { headers: { cookie: `AWSALB=${pin}` } })
  t.equal(moved.body, 'b', 'the request goes to the healthy target')
  const repin = valueOf(cookies(moved).get('AWSALB'))
  t.not(repin, pin, 'with a new cookie')
  t.equal((await request(listener.port, '/', { headers: { cookie: `AWSALB=${repin}` } })).body, 'b', 'which pins b')
})

t.test('app_cookie: AWSALBAPP-0 once the application sets its cookie', async (t) => {
  const clock = new ManualClock()
  const a = await backend(t, (req, res) => {
    if (req.url === '/login') res.setHeader('Set-Cookie', 'SESSION=abc; Path=/')
    res.end('a')
  })
  const b = await backend(t, (req, res) => {
    if (req.url === '/login') res.setHeader('Set-Cookie', 'SESSION=def; Path=/')
    res.end('b')
  })
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, TG, [a.port, b.port], { stickiness: { enabled: true, type: 'app_cookie', durationMs: DAY, appCookieName: 'SESSION' } }, clock)
  const listener = await openListener(t, listenerConfig({ defaultActions: [{ type: 'forward', targetGroups: [{ key: TG, weight: 1 }] }] }), { groups, clock })

  const plain = await request(listener.port, '/')
  t.equal(cookies(plain).size, 0, 'no application cookie, no AWSALBAPP')
  const login = await request(listener.port, '/login')
  const set = cookies(login)
  t.match(set.get('SESSION'), /^SESSION=/, "the application's cookie passes through")
  t.match(set.get('AWSALBAPP-0'), /^AWSALBAPP-0=[A-Za-z0-9_-]+; Expires=.+; Path=\/$/)
  const app = valueOf(set.get('AWSALBAPP-0'))
  for (let i = 0; i < 4; i++) t.equal((await request(listener.port, '/', { headers: { cookie: `SESSION=x; AWSALBAPP-0=${app}` } })).body, login.body)
})

t.test('group stickiness: AWSALBTG keeps a client on one of the weighted groups', async (t) => {
  const blue = await backend(t, (_req, res) => res.end('blue'))
  const green = await backend(t, (_req, res) => res.end('green'))
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, groupArn('blue'), [blue.port])
  group(t, groups, groupArn('green'), [green.port])
  const listener = await openListener(t, listenerConfig({
    defaultActions: [{
      type: 'forward',
      targetGroups: [{ key: groupArn('blue'), weight: 50 }, { key: groupArn('green'), weight: 50 }],
      groupStickiness: { enabled: true, durationMs: 3_600_000 }
    }]
  }), { groups })
  const first = await request(listener.port, '/')
  const set = cookies(first)
  t.match(set.get('AWSALBTG'), /^AWSALBTG=[A-Za-z0-9_-]+; Expires=.+; Path=\/$/)
  t.match(set.get('AWSALBTGCORS'), /SameSite=None; Secure$/)
  const pin = valueOf(set.get('AWSALBTG'))
  const seen = new Set<string>()
  for (let i = 0; i < 6; i++) seen.add((await request(listener.port, '/', { headers: { cookie: `AWSALBTG=${pin}` } })).body)
  t.same([...seen], [first.body])
  const spread = new Set<string>()
  for (let i = 0; i < 4; i++) spread.add((await request(listener.port, '/')).body)
  t.equal(spread.size, 2, 'without it, the weights apply')

  // A group taken out of the action (weight 0) no longer holds its clients.
  listener.update(listenerConfig({
    defaultActions: [{
      type: 'forward',
      targetGroups: [{ key: groupArn('blue'), weight: first.body === 'blue' ? 0 : 1 }, { key: groupArn('green'), weight: first.body === 'blue' ? 1 : 0 }],
      groupStickiness: { enabled: true, durationMs: 3_600_000 }
    }]
  }))
  t.not((await request(listener.port, '/', { headers: { cookie: `AWSALBTG=${pin}` } })).body, first.body)
})
