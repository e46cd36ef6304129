// The aws CLI (Debian's awscli) against Stratus's ELBv2, unchanged but for
// --endpoint-url: a load balancer, a target group with a Node HTTP server on
// 127.0.0.1 as its target, a listener, a rule; the target turns healthy on
// the manual clock, a request through the load balancer's listener reaches
// the Node server, and the CLI's JSON reads back what was made.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { AWS_CLI, requireTool } from '../tools.js'
import { backend, get, listenerPort, simulatedCloud } from './elbv2-helpers.js'

const exec = promisify(execFile)

t.test('aws elbv2: create, route a request to a Node target, describe, delete', async (t) => {
  await requireTool('aws')
  const home = await mkdtemp(join(tmpdir(), 'stratus-elbv2-cli-'))
  t.teardown(() => rm(home, { recursive: true, force: true }))
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const target = await backend(t, 'node')
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '', AWS_CONFIG_FILE: join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials')
  }
  const aws = async (...args: string[]): Promise<any> => {
    const { stdout } = await exec(AWS_CLI, ['--endpoint-url', `http://${cloud.endpoint}`, '--output', 'json', 'elbv2', ...args], { env })
    return stdout.trim() === '' ? {} : JSON.parse(stdout)
  }

  const { LoadBalancers: [lb] } = await aws('create-load-balancer', '--name', 'cli-web', '--type', 'application', '--tags', 'Key=via,Value=cli')
  t.match(lb.DNSName, /^127\.250\./)
  const { TargetGroups: [tg] } = await aws('create-target-group', '--name', 'cli-api', '--protocol', 'HTTP', '--port', String(target.port), '--target-type', 'ip',
    '--health-check-path', '/ping', '--health-check-interval-seconds', '5', '--health-check-timeout-seconds', '2', '--healthy-threshold-count', '2')
  t.match(tg, { TargetGroupName: 'cli-api', Port: target.port, HealthCheckPath: '/ping', HealthCheckIntervalSeconds: 5, HealthyThresholdCount: 2 })
  await aws('register-targets', '--target-group-arn', tg.TargetGroupArn, '--targets', 'Id=127.0.0.1')
  const port = listenerPort()
  const { Listeners: [listener] } = await aws('create-listener', '--load-balancer-arn', lb.LoadBalancerArn, '--protocol', 'HTTP', '--port', String(port),
    '--default-actions', JSON.stringify([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'nothing here' } }]))
  t.equal(listener.Port, port)
  const { Rules: [rule] } = await aws('create-rule', '--listener-arn', listener.ListenerArn, '--priority', '10',
    '--conditions', 'Field=path-pattern,Values=/api/*', '--actions', `Type=forward,TargetGroupArn=${tg.TargetGroupArn}`)
  t.equal(rule.Priority, '10')

  // Health checks run on the manual clock: a few intervals, with time for the real checks in between.
  for (let i = 0; i < 200 && !target.seen.filter((r) => r.url === '/ping').length; i++) {
    await cloud.clock.advance(5_000)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  let state = ''
  for (let i = 0; i < 20 && state !== 'healthy'; i++) {
    await cloud.clock.advance(5_000)
    await new Promise((resolve) => setTimeout(resolve, 10))
    state = (await aws('describe-target-health', '--target-group-arn', tg.TargetGroupArn)).TargetHealthDescriptions[0].TargetHealth.State
  }
  t.equal(state, 'healthy', 'the target passed its health checks')

  const through = await get(`http://${lb.DNSName}:${port}/api/hello`)
  t.equal(through.status, 200)
  t.equal(through.body, 'node /api/hello', 'the request through the listener reached the Node target')
  t.match(await get(`http://${lb.DNSName}:${port}/other`), { status: 404, body: 'nothing here' }, 'the default action')

  const { LoadBalancers } = await aws('describe-load-balancers', '--names', 'cli-web')
  t.equal(LoadBalancers[0].LoadBalancerArn, lb.LoadBalancerArn)
  const { TagDescriptions } = await aws('describe-tags', '--resource-arns', lb.LoadBalancerArn)
  t.same(TagDescriptions[0].Tags, [{ Key: 'via', Value: 'cli' }])
  const missing = await aws('describe-target-groups', '--names', 'no-such-group').then(() => undefined, (e: { stderr?: string }) => e.stderr ?? '')
  t.match(missing, /TargetGroupNotFound/, 'the CLI shows the error code')

  await aws('delete-listener', '--listener-arn', listener.ListenerArn)
  await aws('delete-target-group', '--target-group-arn', tg.TargetGroupArn)
  await aws('delete-load-balancer', '--load-balancer-arn', lb.LoadBalancerArn)
  t.same((await aws('describe-load-balancers')).LoadBalancers, [])
})
