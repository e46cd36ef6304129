// Health checks against real servers on 127.0.0.1, timed on a ManualClock:
// a new target is healthy after one passing check, a healthy one unhealthy
// after unhealthyThreshold failures (ResponseCodeMismatch / Timeout /
// FailedHealthChecks with ALB's descriptions) and back after
// healthyThreshold passes; the time a dead target is taken out is within
// interval × unhealthyThreshold + timeout of clock time; no checks while the
// group is unused.
import net from 'node:net'
import t from 'tap'
import { closedPort, config, group, httpBackend, spread, tcpBackend } from './target-group-fixtures.js'
import { failure } from '../../../runtime/lb/health-check.js'
import type { TargetHealth, TargetState } from '../../../runtime/lb/model.js'

t.test('a new target: RegistrationInProgress, then InitialHealthChecking, then healthy after one passing check', async (t) => {
  const b = await httpBackend(t)
  const { tg, clock } = group(t)
  const seen: Array<[TargetState | undefined, TargetState, string | undefined]> = []
  tg.onChange((h, prev) => seen.push([prev, h.state, h.reason]))
  tg.setInUse(true)
  tg.register([b.spec])
  t.match(tg.health(), [{ id: '127.0.0.1', port: b.port, state: 'initial', reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress', healthCheckPort: String(b.port) }])
  await clock.advance(0)
  t.same(b.hits, ['/health'])
  t.same(tg.health()[0].state, 'healthy')
  t.equal(tg.health()[0].reason, undefined)
  t.equal(tg.health()[0].description, undefined)
  t.same(seen, [[undefined, 'initial', 'Elb.RegistrationInProgress'], ['initial', 'initial', 'Elb.InitialHealthChecking'], ['initial', 'healthy', undefined]])
  // One check per interval.
  await clock.advance(29_999)
  t.equal(b.hits.length, 1)
  await clock.advance(1)
  t.equal(b.hits.length, 2)
})

t.test('a 500-answering target turns unhealthy (ResponseCodeMismatch) after unhealthyThreshold checks, healthy again after healthyThreshold', async (t) => {
  const b = await httpBackend(t)
  const { tg, clock } = group(t, config({ healthCheck: { intervalMs: 10_000, unhealthyThreshold: 3, healthyThreshold: 2 } }))
  tg.setInUse(true)
  tg.register([b.spec])
  await clock.advance(0)
  t.equal(tg.health()[0].state, 'healthy')
  b.behave({ status: 500 })
  await clock.advance(10_000)
  await clock.advance(10_000)
  t.equal(tg.health()[0].state, 'healthy', 'two failures of three: still healthy')
  await clock.advance(10_000)
  t.match(tg.health()[0], { state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [500]' })
  b.behave({ status: 200 })
  await clock.advance(10_000)
  t.equal(tg.health()[0].state, 'unhealthy', 'one pass of two')
  await clock.advance(10_000)
  t.equal(tg.health()[0].state, 'healthy')
})

t.test('matcher ranges and lists', async (t) => {
  const b = await httpBackend(t, 204)
  const { tg, clock } = group(t, config({ healthCheck: { matcher: '200-299' } }))
  tg.setInUse(true)
  tg.register([b.spec])
  await clock.advance(0)
  t.equal(tg.health()[0].state, 'healthy')
  const b2 = await httpBackend(t, 202)
  const g2 = group(t, config({ healthCheck: { matcher: '200,204', unhealthyThreshold: 2 } }), clock)
  g2.tg.setInUse(true)
  g2.tg.register([b2.spec])
  await clock.advance(30_000)
  await clock.advance(30_000)
  t.match(g2.tg.health()[0], { state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [202]' })
})

t.test('a hanging target: Target.Timeout at the timeout, on the clock', async (t) => {
  const b = await httpBackend(t)
  b.behave('hang')
  const { tg, clock } = group(t, config({ healthCheck: { intervalMs: 10_000, timeoutMs: 4_000, unhealthyThreshold: 2 } }))
  tg.setInUse(true)
  tg.register([b.spec])
  const start = clock.now()
  let unhealthyAt = 0
  tg.onChange((h) => { if (h.state === 'unhealthy') unhealthyAt = clock.now() })
  await clock.advance(0)
  await clock.advance(3_999)
  t.equal(tg.health()[0].reason, 'Elb.InitialHealthChecking')
  await clock.advance(10_001)
  t.match(tg.health()[0], { state: 'unhealthy', reason: 'Target.Timeout', description: 'Request timed out' })
  t.equal(unhealthyAt - start, 14_000, 'the second check timed out 4 s after it started at 10 s')
})

t.test('a closed port: Target.FailedHealthChecks', async (t) => {
  const port = await closedPort()
  const { tg, clock } = group(t, config({ healthCheck: { intervalMs: 5_000 } }))
  tg.setInUse(true)
  tg.register([{ id: '127.0.0.1', port, host: '127.0.0.1' }])
  await clock.advance(0)
  t.equal(tg.health()[0].state, 'initial', 'one failure of two')
  await clock.advance(5_000)
  t.match(tg.health()[0], { state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed' })
})

t.test('a check that fails on this side (its socket cannot bind its source): Elb.InternalError in an ALB group, FailedHealthChecks in an NLB one', async (t) => {
  const b = await httpBackend(t)
  const cases = [
    ['HTTP', 'HTTP', 'Elb.InternalError', 'Health checks failed due to an internal error'],
    ['HTTP', 'TCP', 'Elb.InternalError', 'Health checks failed due to an internal error'],
    ['TCP', 'TCP', 'Target.FailedHealthChecks', 'Health checks failed'],
    ['TCP', 'HTTP', 'Target.FailedHealthChecks', 'Health checks failed']
  ] as const
  for (const [protocol, check, reason, description] of cases) {
    const { tg, clock } = group(t, config({ protocol, healthCheck: { protocol: check, intervalMs: 5_000 } }))
    // An IPv6 source for an IPv4 target: bind() fails here, before any packet leaves.
    tg.setInUse(true, '::1')
    tg.register([b.spec])
    await clock.advance(0)
    await clock.advance(5_000)
    t.match(tg.health()[0], { state: 'unhealthy', reason, description }, `${protocol} group, ${check} check`)
    t.equal(b.hits.length, 0, `${protocol}/${check}: nothing reached the target`)
    tg.close()
  }
  t.match(failure(Object.assign(new Error('connect EADDRNOTAVAIL'), { code: 'EADDRNOTAVAIL' })), { reason: 'Elb.InternalError' }, 'no local port left')
  t.match(failure(Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' })), { reason: 'Elb.InternalError' }, 'no descriptor left')
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'HPE_INVALID_CONSTANT', undefined]) {
    t.match(failure(Object.assign(new Error('x'), { code })), { reason: 'Target.FailedHealthChecks', description: 'Health checks failed' }, `${code}: the target's`)
  }
})

t.test('an instance target whose instance is gone: unused (Target.InvalidState), no checks, no traffic even failing open; back: checked from initial', async (t) => {
  const a = await httpBackend(t)
  const b = await httpBackend(t)
  let aLives = true
  const { tg, clock } = group(t, config({ targetType: 'instance', healthCheck: { intervalMs: 10_000, healthyThreshold: 2, unhealthyThreshold: 2 } }))
  const seen: Array<[string, TargetState | undefined, TargetState, string | undefined]> = []
  tg.onChange((h, prev) => seen.push([h.id, prev, h.state, h.reason]))
  tg.setInUse(true)
  tg.register([
    { id: 'i-0aaaaaaaaaaaaaaaa', port: a.port, host: '127.0.0.1', usable: () => aLives },
    { id: 'i-0bbbbbbbbbbbbbbbb', port: b.port, host: '127.0.0.1', usable: () => true }
  ])
  await clock.advance(0)
  t.same(tg.health().map((h) => h.state), ['healthy', 'healthy'])
  aLives = false
  await clock.advance(10_000)
  t.match(tg.health(), [
    { id: 'i-0aaaaaaaaaaaaaaaa', state: 'unused', reason: 'Target.InvalidState', description: 'Target is in the stopped or terminated state' },
    { id: 'i-0bbbbbbbbbbbbbbbb', state: 'healthy' }
  ])
  const aHits = a.hits.length
  t.same([...spread(tg, 6).keys()], [`i-0bbbbbbbbbbbbbbbb:${b.port}`], 'only the live instance gets traffic')
  b.behave({ status: 500 })
  await clock.advance(10_000)
  await clock.advance(10_000)
  t.equal(tg.health()[1].state, 'unhealthy')
  t.same([...spread(tg, 6).keys()], [`i-0bbbbbbbbbbbbbbbb:${b.port}`], 'failing open: every registered target that can take traffic, not the gone instance')
  await clock.advance(60_000)
  t.equal(a.hits.length, aHits, 'a gone instance is not checked')
  t.equal(seen.filter(([id, , , reason]) => id === 'i-0aaaaaaaaaaaaaaaa' && reason === 'Target.InvalidState').length, 1, 'the change is told once')
  aLives = true
  const from = seen.length
  await clock.advance(10_000)
  t.same(seen.slice(from).filter(([id]) => id === 'i-0aaaaaaaaaaaaaaaa').map(([, prev, state, reason]) => [prev, state, reason]), [
    ['unused', 'initial', 'Elb.RegistrationInProgress'], ['initial', 'initial', 'Elb.InitialHealthChecking'], ['initial', 'healthy', undefined]
  ], 'back: a new start, checked at once')
  t.ok(a.hits.length > aHits, 'checked again')
  // Gone at registration: unused from the start, never checked.
  const c = await httpBackend(t)
  tg.register([{ id: 'i-0cccccccccccccccc', port: c.port, host: '127.0.0.1', usable: () => false }])
  t.match(tg.health([{ id: 'i-0cccccccccccccccc', port: c.port }]), [{ state: 'unused', reason: 'Target.InvalidState' }])
  await clock.advance(30_000)
  t.equal(c.hits.length, 0)
  // Deregistered while gone: drained as any other.
  tg.deregister([{ id: 'i-0cccccccccccccccc', port: c.port }])
  t.match(tg.health([{ id: 'i-0cccccccccccccccc', port: c.port }]), [{ state: 'draining', reason: 'Target.DeregistrationInProgress' }])
})

t.test('a target that dies is out within interval × unhealthyThreshold + timeout of clock time', async (t) => {
  const intervalMs = 5_000
  const timeoutMs = 2_000
  const unhealthyThreshold = 3
  for (const death of ['closed', 'hang'] as const) {
    const a = await httpBackend(t)
    const b = await httpBackend(t)
    const { tg, clock } = group(t, config({ healthCheck: { intervalMs, timeoutMs, unhealthyThreshold } }))
    tg.setInUse(true)
    tg.register([a.spec, b.spec])
    await clock.advance(0)
    t.same(tg.health().map((h) => h.state), ['healthy', 'healthy'])
    // Die between two checks.
    await clock.advance(1_234)
    const diedAt = clock.now()
    if (death === 'closed') await a.stop()
    else a.behave('hang')
    let removedAt: number | undefined
    tg.onChange((h) => { if (h.port === a.port && h.state === 'unhealthy') removedAt = clock.now() })
    for (let i = 0; i < 30 && removedAt === undefined; i++) await clock.advance(1_000)
    t.ok(removedAt !== undefined, `${death}: taken out`)
    t.ok(removedAt! - diedAt <= intervalMs * unhealthyThreshold + timeoutMs, `${death}: out ${removedAt! - diedAt} ms after it died`)
    // And no longer picked.
    const keys = new Set([0, 1, 2, 3].map(() => { const p = tg.pick({ sourceIp: '127.0.0.9' })!; p.release(); return p.target.port }))
    t.same([...keys], [b.port])
  }
})

t.test('TCP health checks: connect succeeds → healthy; refused → FailedHealthChecks', async (t) => {
  const b = await tcpBackend(t)
  const { tg, clock } = group(t, config({ protocol: 'TCP', healthCheck: { protocol: 'TCP', intervalMs: 10_000, unhealthyThreshold: 2, healthyThreshold: 3 } }))
  tg.setInUse(true)
  tg.register([b.spec])
  await clock.advance(0)
  t.equal(tg.health()[0].state, 'healthy')
  await b.stop()
  await clock.advance(10_000)
  await clock.advance(10_000)
  t.match(tg.health()[0], { state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed' })
})

t.test('health check port other than the traffic port', async (t) => {
  const traffic = await closedPort()
  const hc = await httpBackend(t)
  const { tg, clock } = group(t, config({ healthCheck: { port: hc.port } }))
  tg.setInUse(true)
  tg.register([{ id: '127.0.0.1', port: traffic, host: '127.0.0.1' }])
  await clock.advance(0)
  t.match(tg.health(), [{ port: traffic, healthCheckPort: String(hc.port), state: 'healthy' }])
})

t.test('unused group: Target.NotInUse and no probes; in use again: initial, checks resume', async (t) => {
  const b = await httpBackend(t)
  const { tg, clock } = group(t)
  tg.register([b.spec])
  t.match(tg.health(), [{ state: 'unused', reason: 'Target.NotInUse', description: 'Target group is not configured to receive traffic from the load balancer' }])
  await clock.advance(120_000)
  t.equal(b.hits.length, 0)
  tg.setInUse(true)
  t.match(tg.health(), [{ state: 'initial', reason: 'Elb.RegistrationInProgress' }])
  await clock.advance(0)
  t.equal(tg.health()[0].state, 'healthy')
  tg.setInUse(false)
  const hits = b.hits.length
  t.equal(tg.health()[0].state, 'unused')
  await clock.advance(120_000)
  t.equal(b.hits.length, hits)
  t.equal(clock.pending, 0, 'no timers left')
})

t.test('health checks disabled: unavailable (Target.HealthCheckDisabled), routable, no probes', async (t) => {
  const b = await httpBackend(t)
  const { tg, clock } = group(t, config({ healthCheck: { enabled: false } }))
  tg.setInUse(true)
  tg.register([b.spec])
  t.match(tg.health(), [{ state: 'unavailable', reason: 'Target.HealthCheckDisabled' }])
  await clock.advance(60_000)
  t.equal(b.hits.length, 0)
  t.equal(tg.pick({ sourceIp: '127.0.0.9' })?.target.port, b.port)
  // Enabled by an update: initial, then checked.
  tg.update(config({ healthCheck: { enabled: true } }))
  t.equal(tg.health()[0].state, 'initial')
  await clock.advance(0)
  t.equal(tg.health()[0].state, 'healthy')
})

t.test('unregistered targets: unused, Target.NotRegistered', async (t) => {
  const { tg } = group(t)
  const h: TargetHealth[] = tg.health([{ id: '127.0.0.5', port: 81 }])
  t.same(h, [{ id: '127.0.0.5', port: 81, host: '127.0.0.5', healthCheckPort: '81', state: 'unused', reason: 'Target.NotRegistered', description: 'Target is not registered to the target group' }])
})

t.test('HTTPS health checks do not verify the target certificate; a plain HTTP target fails them', async (t) => {
  const b = await httpBackend(t)
  const { tg, clock } = group(t, config({ protocol: 'HTTPS', healthCheck: { protocol: 'HTTPS', intervalMs: 5_000, timeoutMs: 2_000 } }))
  tg.setInUse(true)
  tg.register([b.spec])
  await clock.advance(0)
  await clock.advance(5_000)
  t.equal(tg.health()[0].state, 'unhealthy')
  t.not(tg.health()[0].reason, 'Target.ResponseCodeMismatch')
})

t.test('close() clears every timer and aborts the probe in flight', async (t) => {
  const b = await httpBackend(t)
  b.behave('hang')
  const { tg, clock } = group(t)
  tg.setInUse(true)
  tg.register([b.spec])
  await clock.advance(0)
  t.ok(clock.pending > 0)
  tg.close()
  t.equal(clock.pending, 0)
  t.same(tg.health(), [])
  t.equal(tg.pick({ sourceIp: '127.0.0.1' }), undefined)
})

t.test('a malformed answer: Target.FailedHealthChecks', async (t) => {
  const server = net.createServer((s) => { s.on('error', () => {}); s.resume(); s.end('this is not HTTP\r\n\r\n') })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const port = (server.address() as net.AddressInfo).port
  const { tg, clock } = group(t, config({ healthCheck: { intervalMs: 5_000 } }))
  tg.setInUse(true)
  tg.register([{ id: '127.0.0.1', port, host: '127.0.0.1' }])
  await clock.advance(0)
  await clock.advance(5_000)
  t.match(tg.health()[0], { state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed' })
})

t.test('update(): a new interval and path apply from the next check; states are kept', async (t) => {
  const b = await httpBackend(t)
  const { tg, clock } = group(t, config({ healthCheck: { intervalMs: 30_000 } }))
  tg.setInUse(true)
  tg.register([b.spec])
  await clock.advance(0)
  t.equal(tg.health()[0].state, 'healthy')
  tg.update(config({ healthCheck: { intervalMs: 5_000, path: '/ready' } }))
  t.equal(tg.health()[0].state, 'healthy')
  await clock.advance(0)
  await clock.advance(5_000)
  await clock.advance(5_000)
  t.same(b.hits, ['/health', '/ready', '/ready', '/ready'])
  // Health checks off: unavailable, no more checks.
  tg.update(config({ healthCheck: { enabled: false } }))
  t.equal(tg.health()[0].state, 'unavailable')
  await clock.advance(60_000)
  t.equal(b.hits.length, 4)
})

t.test('the probe request: GET of the path with ELB\'s user agent, one connection per check', async (t) => {
  const seen: Array<{ method?: string; url?: string; ua?: string; connection?: string }> = []
  const server = (await import('node:http')).createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, ua: req.headers['user-agent'], connection: req.headers.connection })
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); return new Promise<void>((resolve) => server.close(() => resolve())) })
  const port = (server.address() as net.AddressInfo).port
  const { tg, clock } = group(t, config({ healthCheck: { path: '/status?deep=1' } }))
  tg.setInUse(true)
  tg.register([{ id: '127.0.0.1', port, host: '127.0.0.1' }])
  await clock.advance(0)
  t.same(seen, [{ method: 'GET', url: '/status?deep=1', ua: 'ELB-HealthChecker/2.0', connection: 'close' }])
})

t.test('on the real clock: checks run on their own (timers unref\'d, nothing left after close)', async (t) => {
  const { RealClock } = await import('../../../runtime/clock/clock.js')
  const { TargetGroup } = await import('../../../runtime/lb/target-group.js')
  const b = await httpBackend(t)
  const tg = new TargetGroup(config({ healthCheck: { intervalMs: 20, timeoutMs: 1_000, unhealthyThreshold: 2 } }), { clock: new RealClock() })
  t.teardown(() => tg.close())
  const reach = (state: TargetState) => new Promise<void>((resolve) => {
    if (tg.health()[0]?.state === state) return resolve()
    const off = tg.onChange((h) => { if (h.state === state) { off(); resolve() } })
  })
  tg.setInUse(true)
  tg.register([b.spec])
  await reach('healthy')
  b.behave({ status: 502 })
  await reach('unhealthy')
  t.match(tg.health()[0], { reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [502]' })
  tg.close()
  const hits = b.hits.length
  await new Promise((resolve) => setTimeout(resolve, 60))
  t.equal(b.hits.length, hits, 'no checks after close')
})

t.test('HTTPS health checks against a self-signed target: healthy (not verified), codes still judged', async (t) => {
  const { selfSigned } = await import('./tcp-fixtures.js')
  const https = await import('node:https')
  const pem = await selfSigned(['target.internal'])
  let status = 200
  const paths: string[] = []
  const server = https.createServer({ cert: pem.certPem, key: pem.keyPem }, (req, res) => { paths.push(req.url ?? ''); res.writeHead(status).end() })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); return new Promise<void>((resolve) => server.close(() => resolve())) })
  const port = (server.address() as net.AddressInfo).port
  const { tg, clock } = group(t, config({ protocol: 'HTTPS', healthCheck: { protocol: 'HTTPS', intervalMs: 5_000, unhealthyThreshold: 2 } }))
  tg.setInUse(true)
  tg.register([{ id: '127.0.0.1', port, host: '127.0.0.1' }])
  await clock.advance(0)
  t.equal(tg.health()[0].state, 'healthy')
  t.same(paths, ['/health'])
  status = 404
  await clock.advance(5_000)
  await clock.advance(5_000)
  t.match(tg.health()[0], { state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [404]' })
})
