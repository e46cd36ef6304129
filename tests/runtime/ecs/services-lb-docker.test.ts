// A service of two real containers (docker runner: busybox httpd on each
// task's own 127.x address) behind a real ALB, on the manual clock: the
// targets pass the load balancer's HTTP health checks, requests through the
// load balancer reach both containers, and a container killed with `docker
// kill` is deregistered and replaced by a new one that joins the group.
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Engine } from '../../../runtime/engine.js'
import { loadBusyboxIntoDocker } from '../../fixtures/busybox-image.js'
import { requireTool } from '../../tools.js'
import { advance, describe, liveTasks } from './services-fixtures.js'
import { alb, get, loadBalancers, NETWORK, PORT, targetGroup, until } from './lb-fixtures.js'

const exec = promisify(execFile)
const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Real time for real containers: polls with the clock still (advance 0) until check() holds. */
async function realUntil(engine: Engine, what: string, check: () => boolean | Promise<boolean>, bound = 60_000): Promise<void> {
  const end = Date.now() + bound
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not reached`)
    await advance(engine, 0)
    await pause(100)
  }
}

t.test('two busybox httpd containers behind an ALB', async (t) => {
  await requireTool('docker', 'busybox')
  await loadBusyboxIntoDocker()
  const engine = await Engine.start({ clock: 'manual', runner: 'docker' })
  const lbs = await loadBalancers(engine)
  t.teardown(async () => { await lbs.close(); await engine.close() })
  const { elb } = lbs
  await engine.ecs.createCluster({ clusterName: 'web' })
  const tg = await targetGroup(elb, 'web')
  const lb = await alb(elb, 'web', tg)
  await engine.ecs.registerTaskDefinition({
    family: 'httpd', networkMode: 'awsvpc', requiresCompatibilities: ['EC2'],
    containerDefinitions: [{
      name: 'app', image: 'busybox:1.36', cpu: 128, memory: 64, essential: true, portMappings: [{ containerPort: PORT }],
      command: ['sh', '-c', `mkdir -p /www && hostname > /www/index.html && echo ok > /www/health && exec httpd -f -p ${PORT} -h /www`]
    }]
  } as never)
  await engine.ecs.createService({
    cluster: 'web', serviceName: 'web', taskDefinition: 'httpd', desiredCount: 2, networkConfiguration: NETWORK, healthCheckGracePeriodSeconds: 60,
    loadBalancers: [{ targetGroupArn: tg, containerName: 'app', containerPort: PORT }]
  })
  await realUntil(engine, '2 containers RUNNING', async () => (await describe(engine, 'web', 'web')).runningCount === 2)
  await pause(300)
  await until(engine, 'both targets healthy', async () =>
    ((await elb.describeTargetHealth({ TargetGroupArn: tg })).TargetHealthDescriptions ?? []).filter((h) => h.TargetHealth!.State === 'healthy').length === 2,
  1000, 200, () => pause(20))
  await until(engine, 'the deployment completed', async () => (await describe(engine, 'web', 'web')).deployments![0].rolloutState === 'COMPLETED', 1000, 50, () => pause(20))
  const seen = new Set<string>()
  for (let i = 0; i < 10; i++) {
    const r = await get(lb.address, lb.port)
    t.equal(r.status, 200)
    seen.add(r.body.trim())
  }
  t.equal(seen.size, 2, 'requests through the load balancer reach both containers')

  // One container killed: its task stops, its target leaves, a new container joins the group and serves.
  const victim = liveTasks(engine, 'web', 'web')[0]
  const { stdout } = await exec('docker', ['ps', '-q', '--filter', `label=stratus.sandbox=${victim.runId}`])
  for (const id of stdout.split('\n').filter(Boolean)) await exec('docker', ['kill', id])
  await realUntil(engine, 'a replacement RUNNING', () => {
    const live = liveTasks(engine, 'web', 'web')
    return live.length === 2 && !live.some((r) => r.taskId === victim.taskId) && live.every((r) => r.task.lastStatus === 'RUNNING')
  })
  await pause(300)
  await until(engine, 'the replacement healthy, the victim gone', async () => {
    const health = (await elb.describeTargetHealth({ TargetGroupArn: tg })).TargetHealthDescriptions ?? []
    return health.length === 2 && health.every((h) => h.TargetHealth!.State === 'healthy')
  }, 1000, 200, () => pause(20))
  const messages = (await describe(engine, 'web', 'web')).events!.map((e) => String(e.message))
  t.ok(messages.some((m) => /^\(service web\) deregistered 1 targets in \(target-group /.test(m)), 'the dead task\'s target was deregistered')
  const after = new Set<string>()
  for (let i = 0; i < 10; i++) after.add((await get(lb.address, lb.port)).body.trim())
  t.equal(after.size, 2, 'both containers serve again')
})
