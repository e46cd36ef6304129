// Shared set-up of the ELBv2 control plane tests: an engine on the manual
// clock (simulated runner), real Node HTTP servers on 127.0.0.1 as ip
// targets, and plain HTTP requests through a load balancer's address.
// Not a test file.
import http from 'node:http'
import type { Test } from 'tap'
import { Engine, type EngineOptions } from '../../../runtime/engine.js'
import type { ManualClock } from '../../../runtime/clock/clock.js'

export async function elbEngine(t: Test, options: EngineOptions = {}): Promise<Engine> {
  const engine = await Engine.start({ clock: 'manual', runner: 'simulated', ecs: { defaultInstances: { count: 0, instanceType: 'm5.xlarge' } }, ...options })
  t.teardown(() => engine.close())
  return engine
}

export function clockOf(engine: Engine): ManualClock {
  return engine.clock as ManualClock
}

export interface Backend {
  name: string
  host: string
  port: number
  /** Paths of the requests it answered (health checks included). */
  hits: string[]
  /** The status it answers with from now on (health checks too). */
  status: number
  server: http.Server
  /** Requests to /slow… wait here until released. */
  held: Array<() => void>
}

/** An HTTP server on 127.0.0.1 answering `<name> <path>` with its status. */
export async function backend(t: Test, name: string): Promise<Backend> {
  const b: Backend = { name, host: '127.0.0.1', port: 0, hits: [], status: 200, server: http.createServer(), held: [] }
  b.server.on('request', (req, res) => {
    b.hits.push(req.url ?? '')
    const answer = () => {
      res.writeHead(b.status, { 'content-type': 'text/plain' })
      res.end(`${name} ${req.url ?? ''}`)
    }
    if (req.url?.startsWith('/slow') === true) b.held.push(answer)
    else answer()
  })
  await new Promise<void>((resolve) => b.server.listen(0, '127.0.0.1', resolve))
  b.port = (b.server.address() as { port: number }).port
  t.teardown(() => new Promise<void>((resolve) => { b.server.closeAllConnections(); b.server.close(() => resolve()) }))
  return b
}

export interface Answer { status: number; body: string; headers: http.IncomingHttpHeaders }

/** One request on a fresh connection. */
export function get(host: string, port: number, path = '/', headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Whether a connection to host:port is refused (nothing bound there). */
export function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = http.request({ host, port, agent: false }, () => { s.destroy(); resolve(false) })
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'))
    s.end()
  })
}

/** Until the backend holds n requests (sent through the load balancer). */
export async function holding(b: Backend, n: number): Promise<void> {
  for (let i = 0; i < 500 && b.held.length < n; i++) await new Promise((r) => setTimeout(r, 5))
  if (b.held.length < n) throw new Error(`${b.name} holds ${b.held.length} requests, not ${n}`)
}

/** Who answered each of n requests (the body's first word). */
export async function spread(host: string, port: number, n: number, path = '/'): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push((await get(host, port, path)).body.split(' ')[0])
  return out
}

/** A free port on 127.0.0.1 … for a listener of a test. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = http.createServer()
  await new Promise<void>((resolve) => s.listen(0, host, resolve))
  const port = (s.address() as { port: number }).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

/** A load balancer, an HTTP target group with fast health checks and the backends registered, an HTTP listener forwarding to it. */
export async function webStack(engine: Engine, backends: Backend[], o: { name?: string; port?: number } = {}) {
  const elb = engine.elb
  const name = o.name ?? 'web'
  const { LoadBalancers } = await elb.createLoadBalancer({ Name: name })
  const lb = LoadBalancers![0]
  const { TargetGroups } = await elb.createTargetGroup({
    Name: `${name}-tg`, Protocol: 'HTTP', Port: 80, TargetType: 'ip', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2
  })
  const tg = TargetGroups![0]
  await elb.registerTargets({ TargetGroupArn: tg.TargetGroupArn!, Targets: backends.map((b) => ({ Id: b.host, Port: b.port })) })
  const port = o.port ?? await freePort()
  const { Listeners } = await elb.createListener({
    LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }]
  })
  return { lb, tg, listener: Listeners![0], address: lb.DNSName!, port }
}

/** Runs fn expecting a coded ELBv2 error; returns it. */
export async function refusal(t: Test, fn: () => Promise<unknown>, code: string, field?: string): Promise<Error & { code: string; field?: string }> {
  try {
    await fn()
  } catch (e) {
    const err = e as Error & { code: string; field?: string }
    t.equal(err.code, code, `code ${code}: ${err.message}`)
    if (field !== undefined) t.equal(err.field, field, `field ${field}`)
    return err
  }
  t.fail(`expected ${code}, the call succeeded`)
  throw new Error('no refusal')
}
