// Automatic target weights on the wire: a weighted_random target group with
// anomaly mitigation on, three Node targets that pass their health checks,
// one of which answers its requests with 500 (a gray failure). Requests
// through the listener mark it anomalous in DescribeTargetHealth (Include
// AnomalyDetection), and it then gets little of the traffic.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import {
  CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, DescribeTargetHealthCommand, ModifyTargetGroupAttributesCommand, RegisterTargetsCommand
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { elbCloud, get, listenerPort, untilHealth } from './elbv2-helpers.js'

async function target(t: Test, status: number): Promise<{ port: number; served: () => number }> {
  let served = 0
  const server: Server = createServer((req, res) => {
    if (req.url !== '/health') served++
    res.writeHead(req.url === '/health' ? 200 : status)
    res.end(String(status))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { port: (server.address() as AddressInfo).port, served: () => served }
}

t.test('a gray failure is reported anomalous and mitigated', async (t) => {
  const { cloud, elb } = await elbCloud(t)
  const targets = [await target(t, 200), await target(t, 200), await target(t, 500)]
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'atw' }))).LoadBalancers![0]
  const tg = (await elb.send(new CreateTargetGroupCommand({
    Name: 'atw', Protocol: 'HTTP', Port: targets[0]!.port, TargetType: 'ip', VpcId: lb.VpcId,
    HealthCheckPath: '/health', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2
  }))).TargetGroups![0]
  await elb.send(new ModifyTargetGroupAttributesCommand({
    TargetGroupArn: tg.TargetGroupArn,
    Attributes: [{ Key: 'load_balancing.algorithm.type', Value: 'weighted_random' }, { Key: 'load_balancing.algorithm.anomaly_mitigation', Value: 'on' }]
  }))
  await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: targets.map((x) => ({ Id: '127.0.0.1', Port: x.port })) }))
  const port = listenerPort()
  await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }] }))
  await untilHealth(cloud, elb, tg.TargetGroupArn!, 'healthy', 3)

  const plain = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }))).TargetHealthDescriptions!
  t.equal(plain[0]!.AnomalyDetection, undefined, 'only reported when asked for')
  const before = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn, Include: ['AnomalyDetection'] }))).TargetHealthDescriptions!
  t.same(before.map((d) => d.AnomalyDetection), Array(3).fill({ Result: 'normal', MitigationInEffect: 'no' }))

  for (let i = 0; i < 150; i++) await get(`http://${lb.DNSName}:${port}/`)
  await cloud.clock.advance(10_000)
  const after = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn, Include: ['All'] }))).TargetHealthDescriptions!
  const verdict = new Map(after.map((d) => [d.Target!.Port, d.AnomalyDetection]))
  t.same(verdict.get(targets[2]!.port), { Result: 'anomalous', MitigationInEffect: 'yes' }, 'the failing target is anomalous, mitigated')
  t.same(verdict.get(targets[0]!.port), { Result: 'normal', MitigationInEffect: 'no' })
  t.equal(after.find((d) => d.Target!.Port === targets[2]!.port)!.TargetHealth!.State, 'healthy', 'while it passes its health checks')

  const servedBefore = targets[2]!.served()
  let errors = 0
  for (let i = 0; i < 200; i++) if ((await get(`http://${lb.DNSName}:${port}/`)).status === 500) errors++
  t.equal(targets[2]!.served() - servedBefore, errors)
  t.ok(errors < 30, `few requests reach it now (${errors} of 200)`)

  await t.rejects(elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn, Include: ['Everything' as 'All'] })), { name: 'ValidationError' })
})
