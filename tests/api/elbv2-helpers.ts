// Shared set-up of the ELBv2 wire tests (not a test file): the official
// client on an embedded cloud's endpoint, Node HTTP targets on 127.0.0.1,
// listener ports, and waiting for target health on the manual clock.
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { ElasticLoadBalancingV2Client, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import type { Stratus } from '../../sdk/index.js'
import { clientConfig, simulatedCloud } from '../runtime/api/clients.js'

export { clientConfig, simulatedCloud, signedRequest, credentials } from '../runtime/api/clients.js'

/** An engine (manual clock) and the official ELBv2 client on its endpoint, both closed at the end of the test. */
export async function elbCloud(t: Test): Promise<{ cloud: Stratus; elb: ElasticLoadBalancingV2Client }> {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const elb = new ElasticLoadBalancingV2Client(clientConfig(cloud))
  t.teardown(() => elb.destroy())
  return { cloud, elb }
}

export interface Backend {
  readonly port: number
  /** The headers of each request it answered, in order. */
  readonly seen: Array<{ url: string; headers: IncomingHttpHeaders }>
  /** Requests to `/hold…` waiting for release(). */
  readonly held: number
  /** Answers every held request. */
  release(): void
}

/**
 * A Node HTTP server on 127.0.0.1 answering `<name> <path>` (and 200 to
 * health checks); a request to `/hold…` is answered only on release().
 * Closed at the end of the test.
 */
export async function backend(t: Test, name: string): Promise<Backend> {
  const seen: Backend['seen'] = []
  let waiting: Array<() => void> = []
  const server: Server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers })
    const answer = () => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end(`${name} ${req.url ?? ''}`)
    }
    if (req.url?.startsWith('/hold')) waiting.push(answer)
    else answer()
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return {
    port: (server.address() as AddressInfo).port, seen,
    get held() { return waiting.length },
    release() {
      const now = waiting
      waiting = []
      for (const answer of now) answer()
    }
  }
}

/**
 * A listener port for this test file: each load balancer has an address of
 * its own, but engines of test files running at once hand out the same
 * first addresses, so ports are spread to keep them apart.
 */
export function listenerPort(): number {
  return 20_000 + Math.floor(Math.random() * 40_000)
}

/** Advances the manual clock one health check interval at a time until every given target is in `state` (real health checks run in between). */
export async function untilHealth(cloud: Stratus, elb: ElasticLoadBalancingV2Client, targetGroupArn: string, state: string, count: number, stepMs = 5_000): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const { TargetHealthDescriptions = [] } = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))
    if (TargetHealthDescriptions.filter((d) => d.TargetHealth?.State === state).length >= count) return
    await cloud.clock.advance(stepMs)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  const { TargetHealthDescriptions } = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))
  throw new Error(`targets of ${targetGroupArn} not ${state}: ${JSON.stringify(TargetHealthDescriptions)}`)
}

/** Waits (real time, briefly) until check() holds. */
export async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  if (!check()) throw new Error(`never: ${what}`)
}

/** A request through a load balancer, on a connection of its own (so each request is balanced anew). */
export function get(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)))
    req.on('error', reject)
    req.end()
  })
}
