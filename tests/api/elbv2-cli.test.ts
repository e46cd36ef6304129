// The aws CLI (Debian's awscli) against Stratus's ELBv2, unchanged but for
// --endpoint-url: a load balancer, a target group with a Node HTTP server on
// 127.0.0.1 as its target, a listener, a rule; the target turns healthy on
// the manual clock, a request through the load balancer's listener reaches
// the Node server, and the CLI's JSON reads back what was made. Each CLI run
// is a Python start-up (seconds on a busy machine): independent calls run
// together.
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

  const [{ LoadBalancers: [lb] }, { TargetGroups: [tg] }] = await Promise.all([
    aws('create-load-balancer', '--name', 'cli-web', '--type', 'application', '--tags', 'Key=via,Value=cli'),
    aws('create-target-group', '--name', 'cli-api', '--protocol', 'HTTP', '--port', String(target.port), '--target-type', 'ip',
      '--health-check-path', '/ping', '--health-check-interval-seconds', '5', '--health-check-timeout-seconds', '2', '--healthy-threshold-count', '2')
  ])
  t.match(lb.DNSName, /^127\.250\./)
  t.match(tg, { TargetGroupName: 'cli-api', Port: target.port, HealthCheckPath: '/ping', HealthCheckIntervalSeconds: 5, HealthyThresholdCount: 2 })
  const port = listenerPort()
  const [registered, { Listeners: [listener] }] = await Promise.all([
    aws('register-targets', '--target-group-arn', tg.TargetGroupArn, '--targets', 'Id=127.0.0.1'),
    aws('create-listener', '--load-balancer-arn', lb.LoadBalancerArn, '--protocol', 'HTTP', '--port', String(port),
      '--default-actions', JSON.stringify([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'nothing here' } }]))
  ])
  t.same(registered, {}, 'register-targets answers an empty result')
  t.equal(listener.Port, port)
  // Health checks run on the manual clock (an interval at a time, with time for the real checks in between) while the rule is made.
  const state = async () => (await cloud.elbv2.service.describeTargetHealth({ TargetGroupArn: tg.TargetGroupArn })).TargetHealthDescriptions?.[0]?.TargetHealth?.State
  // The group is checked only once the rule uses it: the 400 intervals count from then (a slow CLI must not use them up).
  let ruleMade = false
  const [{ Rules: [rule] }] = await Promise.all([
    aws('create-rule', '--listener-arn', listener.ListenerArn, '--priority', '10',
      '--conditions', 'Field=path-pattern,Values=/api/*', '--actions', `Type=forward,TargetGroupArn=${tg.TargetGroupArn}`).finally(() => { ruleMade = true }),
    (async () => {
      for (let i = 0; (!ruleMade || i < 400) && (await state()) !== 'healthy'; i += ruleMade ? 1 : 0) {
        await cloud.clock.advance(5_000)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })()
  ])
  t.equal(rule.Priority, '10')
  t.ok(target.seen.some((r) => r.url === '/ping'), 'the health check asked its path')

  const through = await get(`http://${lb.DNSName}:${port}/api/hello`)
  t.equal(through.status, 200)
  t.equal(through.body, 'node /api/hello', 'the request through the listener reached the Node target')
  t.match(await get(`http://${lb.DNSName}:${port}/other`), { status: 404, body: 'nothing here' }, 'the default action')

  const [health, missing] = await Promise.all([
    aws('describe-target-health', '--target-group-arn', tg.TargetGroupArn),
    aws('describe-target-groups', '--names', 'no-such-group').then(() => undefined, (e: { stderr?: string }) => e.stderr ?? '')
  ])
  t.match(health.TargetHealthDescriptions, [{ Target: { Id: '127.0.0.1', Port: target.port }, TargetHealth: { State: 'healthy' } }], 'the target passed its health checks')
  t.match(missing, /TargetGroupNotFound/, 'the CLI shows the error code')
  t.same((await cloud.elbv2.service.describeTags({ ResourceArns: [lb.LoadBalancerArn] })).TagDescriptions?.[0]?.Tags, [{ Key: 'via', Value: 'cli' }], "the CLI's shorthand tags")

  // Deleting the load balancer takes its listener and rule; then the group is free to go.
  t.same(await aws('delete-load-balancer', '--load-balancer-arn', lb.LoadBalancerArn), {})
  await cloud.elbv2.service.deleteTargetGroup({ TargetGroupArn: tg.TargetGroupArn })
  t.same((await cloud.elbv2.service.describeLoadBalancers({})).LoadBalancers, [])
  t.same((await cloud.elbv2.service.describeTargetGroups({})).TargetGroups, [])
  await t.rejects(get(`http://${lb.DNSName}:${port}/api/gone`), 'its listener is closed')
})
