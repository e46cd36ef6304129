// Shared set-up of the tests of ECS services behind load balancers: an engine
// on the manual clock with the simulated runner (the runner is not the point:
// the tasks' targets are real Node HTTP servers the test starts on each
// task's own 127.x address and container port), the real ELBv2 control plane
// and data plane attached to ECS (the engine's own when it has one), an ALB
// with an HTTP listener and ip target groups, and helpers to move the clock
// until real health checks have answered. Not a test file.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Engine } from '../../../runtime/engine.js'
import { LoadBalancerPlane } from '../../../runtime/lb/plane.js'
import { TargetGroup } from '../../../runtime/lb/target-group.js'
import { HttpListener } from '../../../runtime/lb/http/index.js'
import { Elbv2 } from '../../../runtime/elb/service.js'
import type { TaskRecord } from '../../../runtime/ecs/records.js'
import { advance, liveTasks } from './services-fixtures.js'

/**
 * The container port of this test file's tasks: tap runs files side by side and
 * every engine hands out the same 127.x task addresses, so each file takes its own port.
 */
export const PORT = 20_000 + Math.floor(Math.random() * 20_000)

export interface Balanced {
  elb: Elbv2
  close(): Promise<void>
}

/** The engine's ELBv2 when it wires one into ECS; else a real one made here and attached. */
export async function loadBalancers(engine: Engine): Promise<Balanced> {
  const own = (engine as unknown as { elb?: Elbv2 }).elb
  if (own !== undefined && engine.ecs.context.targets !== undefined) return { elb: own, close: async () => {} }
  const plane = new LoadBalancerPlane({
    clock: engine.clock, createTargetGroup: (c, o) => new TargetGroup(c, o), openHttpListener: (c, o) => HttpListener.open(c, o)
  })
  const elb = new Elbv2({ store: engine.store, clock: engine.clock, partition: engine.partition, plane, resolveInstance: (id) => engine.ecs.instanceAddress(id) })
  await elb.start()
  engine.ecs.attachLoadBalancers(elb.targets, elb)
  return { elb, close: async () => { await elb.close(); await plane.close() } }
}

/** An ip target group of port PORT, checked every 5 s on `healthCheckPath` (2 to be healthy, 2 to be unhealthy), drained in 10 s. */
export async function targetGroup(elb: Elbv2, name: string, healthCheckPath = '/health'): Promise<string> {
  const { TargetGroups } = await elb.createTargetGroup({
    Name: name, Protocol: 'HTTP', Port: PORT, TargetType: 'ip', HealthCheckPath: healthCheckPath,
    HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2
  })
  const arn = String(TargetGroups![0].TargetGroupArn)
  await elb.modifyTargetGroupAttributes({ TargetGroupArn: arn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '10' }] })
  return arn
}

/** An ALB with an HTTP listener on a free port forwarding to `defaultGroup`; its address, port and listener ARN. */
export async function alb(elb: Elbv2, name: string, defaultGroup: string): Promise<{ arn: string; address: string; port: number; listenerArn: string }> {
  const { LoadBalancers } = await elb.createLoadBalancer({ Name: name, Type: 'application' })
  const lb = LoadBalancers![0]
  const address = String(lb.DNSName).match(/^127\.\d+\.\d+\.\d+$/) ? String(lb.DNSName) : await addressOf(elb, String(lb.LoadBalancerArn))
  const port = await freePort(address)
  const { Listeners } = await elb.createListener({ LoadBalancerArn: String(lb.LoadBalancerArn), Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: defaultGroup }] })
  return { arn: String(lb.LoadBalancerArn), address, port, listenerArn: String(Listeners![0].ListenerArn) }
}

/** Another HTTP listener of the load balancer, on a free port of its address, forwarding to `group`; its port and ARN. */
export async function listener(elb: Elbv2, lb: { arn: string; address: string }, group: string): Promise<{ port: number; listenerArn: string }> {
  const port = await freePort(lb.address)
  const { Listeners } = await elb.createListener({ LoadBalancerArn: lb.arn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: group }] })
  return { port, listenerArn: String(Listeners![0].ListenerArn) }
}

async function addressOf(elb: Elbv2, arn: string): Promise<string> {
  const found = elb.names().find((n) => n.arn === arn)
  if (found === undefined) throw new Error(`no address for ${arn}`)
  return found.address
}

async function freePort(address: string): Promise<number> {
  const server = http.createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, address, () => resolve()) })
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** The task's awsvpc address. */
export function addressOfTask(r: TaskRecord): string {
  const eni = (r.task.containers ?? []).flatMap((c: Record<string, any>) => c.networkInterfaces ?? [])[0]
  return String(eni?.privateIpv4Address)
}

/**
 * Real servers standing in for the tasks' containers: each answers its task id on the task's address, port PORT
 * (404 on a path withheld, until it is served).
 */
export class TaskServers {
  readonly #servers = new Map<string, http.Server>()
  readonly #withheld = new Set<string>()

  /** Paths every server answers 404 (now and later) until servePath. */
  withhold(path: string): void { this.#withheld.add(path) }
  servePath(path: string): void { this.#withheld.delete(path) }

  async serve(r: TaskRecord, status = 200): Promise<void> {
    if (this.#servers.has(r.taskId)) return
    const server = http.createServer((req, res) => {
      res.writeHead(this.#withheld.has(String(req.url)) ? 404 : req.url === '/health' ? status : 200, { 'content-type': 'text/plain' })
      res.end(r.taskId)
    })
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(PORT, addressOfTask(r), () => resolve()) })
    this.#servers.set(r.taskId, server)
  }

  /** Serves every RUNNING task of the service that has no server yet; the servers of tasks that stopped go (their address may be handed out again). */
  async serveRunning(engine: Engine, cluster: string, service: string, filter: (r: TaskRecord) => boolean = () => true): Promise<void> {
    const live = liveTasks(engine, cluster, service)
    const ids = new Set(live.map((r) => r.taskId))
    for (const id of [...this.#servers.keys()]) if (!ids.has(id)) await this.stop(id)
    for (const r of live) if (r.task.lastStatus === 'RUNNING' && filter(r)) await this.serve(r)
  }

  async stop(taskId: string): Promise<void> {
    const server = this.#servers.get(taskId)
    if (server === undefined) return
    this.#servers.delete(taskId)
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  async close(): Promise<void> {
    for (const id of [...this.#servers.keys()]) await this.stop(id)
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Moves the clock `stepMs` at a time, giving real I/O (health checks, requests)
 * a moment after each step, until check() holds; a generous bound fails (nothing asserts on time).
 */
export async function until(engine: Engine, what: string, check: () => boolean | Promise<boolean>, stepMs = 1000, steps = 400, each?: () => Promise<void>): Promise<void> {
  for (let i = 0; i < steps; i++) {
    if (each !== undefined) await each()
    if (await check()) return
    await advance(engine, stepMs)
    await sleep(5)
  }
  throw new Error(`${what}: not reached`)
}

/** One GET through the load balancer: the body (the task id that answered) or the status. */
export async function get(address: string, port: number, path = '/', headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: address, port, path, agent: false, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
  })
}

/** The awsvpc task definition of the tests: container app maps PORT. */
export async function awsvpcDefinition(engine: Engine, family: string, env: Array<{ name: string; value: string }>): Promise<string> {
  const { taskDefinition } = await engine.ecs.registerTaskDefinition({
    family, networkMode: 'awsvpc', requiresCompatibilities: ['EC2'],
    containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 256, memory: 256, essential: true, environment: env, portMappings: [{ containerPort: PORT, protocol: 'tcp' }] }]
  } as never)
  return String(taskDefinition!.taskDefinitionArn)
}

export const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-1'] } }
