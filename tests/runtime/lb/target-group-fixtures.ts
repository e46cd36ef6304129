// Fixtures for the target group tests: real Node HTTP / TCP servers on
// 127.0.0.1 port 0 as targets (each can be told to answer a status, hang, or
// go away), a group configuration with ALB's defaults, and a ManualClock.
import http from 'node:http'
import net from 'node:net'
import type { Test } from 'tap'
import { ManualClock } from '../../../runtime/clock/clock.js'
import type { TargetGroupConfig, TargetSpec } from '../../../runtime/lb/model.js'
import { TargetGroup } from '../../../runtime/lb/target-group.js'

export type Behaviour = { status: number } | 'hang'

export interface Backend {
  readonly port: number
  readonly spec: TargetSpec
  /** What health checks (and requests) get from now on. */
  behave(b: Behaviour): void
  /** Requests received, by path. */
  readonly hits: string[]
  /** Closes the server (its port refuses connections from then on). */
  stop(): Promise<void>
}

export async function httpBackend(t: Test, status = 200): Promise<Backend> {
  let behaviour: Behaviour = { status }
  const hits: string[] = []
  const hanging = new Set<http.ServerResponse>()
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '')
    if (behaviour === 'hang') {
      hanging.add(res)
      return
    }
    res.writeHead(behaviour.status, { 'content-type': 'text/plain' })
    res.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    for (const res of hanging) res.destroy()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  t.teardown(stop)
  return {
    port,
    spec: { id: '127.0.0.1', port, host: '127.0.0.1' },
    behave: (b) => { behaviour = b },
    hits,
    stop
  }
}

/** A TCP server; each connection is given to `serve` (default: accepted and closed). */
export async function tcpBackend(t: Test, serve: (s: net.Socket) => void = (s) => s.end()): Promise<{ port: number; spec: TargetSpec; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    s.resume()
    serve(s)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  t.teardown(stop)
  return { port, spec: { id: '127.0.0.1', port, host: '127.0.0.1' }, stop }
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export type ConfigOverrides = Partial<Omit<TargetGroupConfig, 'healthCheck'>> & { healthCheck?: Partial<TargetGroupConfig['healthCheck']> }

export function config(over: ConfigOverrides = {}): TargetGroupConfig {
  const { healthCheck, ...rest } = over
  return {
    key: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef',
    name: 'web',
    protocol: 'HTTP',
    port: 80,
    targetType: 'ip',
    deregistrationDelayMs: 300_000,
    slowStartMs: 0,
    algorithm: 'round_robin',
    stickiness: { enabled: false, type: 'lb_cookie', durationMs: 86_400_000 },
    ...rest,
    healthCheck: {
      enabled: true,
      protocol: 'HTTP',
      port: 'traffic-port',
      path: '/health',
      intervalMs: 30_000,
      timeoutMs: 5_000,
      healthyThreshold: 5,
      unhealthyThreshold: 2,
      matcher: '200',
      ...healthCheck
    }
  }
}

export function group(t: Test, cfg: TargetGroupConfig = config(), clock = new ManualClock(1_000_000)): { tg: TargetGroup; clock: ManualClock } {
  const tg = new TargetGroup(cfg, { clock })
  t.teardown(() => tg.close())
  return { tg, clock }
}

/** A fake target address for balancing tests (never probed: health checks are off or the group unused). */
export function spec(n: number, port = 8080): TargetSpec {
  return { id: `127.0.0.${n}`, port, host: `127.0.0.${n}` }
}

/** Counts picks per target key over n requests (each released at once). */
export function spread(tg: TargetGroup, n: number, sourceIp = '127.0.0.1'): Map<string, number> {
  const counts = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const p = tg.pick({ sourceIp })
    if (p === undefined) continue
    counts.set(p.key, (counts.get(p.key) ?? 0) + 1)
    p.release()
  }
  return counts
}
