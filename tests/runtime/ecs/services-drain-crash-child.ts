// The engine of services-drain-crash-docker.test.ts, in a process of its own
// over a data directory (SQLite store, docker runner, real clock, its own
// ELBv2), so the test can SIGKILL it while a task drains its load balancer
// target and start another over the same directory:
//   node [loader] services-drain-crash-child.ts <dataDir> start|resume
// start: an ALB forwarding to an ip target group (deregistration delay
//   DELAY_S), a service of 2 busybox httpd tasks behind it; once both targets
//   are healthy, a slow request (a CGI that sleeps) is in flight to each, and
//   the service scales to 1: the victim's target drains (its request holds it
//   for the delay); prints {"phase":"draining",…} once a task is DEACTIVATING
//   with its target draining, then serves until killed.
// resume: notes the victim's target at the restart, watches, every few
//   milliseconds, that the victim does not leave DEACTIVATING while its target
//   is still in the group; prints
//   {"phase":"stopped",…} once the victim is STOPPED (what it looked like at
//   the restart, what the load balancer, the containers and the service's
//   events say then, and where requests through the listener went); serves
//   until SIGTERM, when it closes the engine and exits 0. Not a test file.
//
// The crash took the load balancer's connections with it (the load balancer
// lives in the engine's process); the end of the target's deregistration delay
// is in the store (ELBv2's record of the group), so the restarted engine drains
// it for what is left of the delay, and only then stops the task.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Engine } from '../../../runtime/engine.js'
import { TASK_TARGETS, type TaskTargetsRecord } from '../../../runtime/ecs/service-targets.js'
import type { TaskRecord } from '../../../runtime/ecs/records.js'
import { liveTasks } from './services-fixtures.js'
import { alb, get, NETWORK, PORT, targetGroup } from './lb-fixtures.js'
import { TARGET_GROUPS, type TargetGroupRecord } from '../../../runtime/elb/records.js'

/** The target group's deregistration delay: long enough to see the drain and, most times, to restart within it; short enough for a test. */
const DELAY_S = 12

const exec = promisify(execFile)
const [dataDir, mode] = process.argv.slice(2)
const engine = await Engine.start({ dataDir, runner: 'docker' })
process.once('SIGTERM', () => { engine.close().then(() => process.exit(0), () => process.exit(1)) })
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ engineId: engine.id, ...line })}\n`)
const elb = engine.elb
const describe = async () => (await engine.ecs.describeServices({ cluster: 'web', services: ['web'] })).services![0]
async function until(what: string, check: () => boolean | Promise<boolean>, bound = 90_000, every = 100): Promise<void> {
  const end = Date.now() + bound
  while (!(await check())) {
    if (Date.now() > end) {
      const tasks = engine.store.scan<TaskRecord>('ecs:tasks').map((r) => ({ id: r.value.taskId, lastStatus: r.value.task.lastStatus, desired: r.value.task.desiredStatus, targets: engine.store.get(TASK_TARGETS, r.value.taskId)?.value }))
      say({ phase: 'failed', what, tasks, events: (await describe()).events?.slice(0, 8).map((e) => e.message) })
      process.exit(2)
    }
    await new Promise((r) => setTimeout(r, every))
  }
}
const health = async (tg: string) => (await elb.describeTargetHealth({ TargetGroupArn: tg })).TargetHealthDescriptions ?? []
const task = (taskId: string) => engine.store.get<TaskRecord>('ecs:tasks', taskId)?.value
/** A task's awsvpc address (its target's id). */
const addressOf = (r: TaskRecord): string => (r.task.containers ?? []).flatMap((c: Record<string, any>) => c.networkInterfaces ?? [])[0]?.privateIpv4Address
/** The docker state of a task's containers (by the engine's sandbox label). */
async function containerStates(runId: string): Promise<string[]> {
  const { stdout } = await exec('docker', ['ps', '-a', '--filter', `label=stratus.sandbox=${runId}`, '--format', '{{.State}}'])
  return stdout.split('\n').filter(Boolean)
}

if (mode === 'start') {
  await engine.ecs.createCluster({ clusterName: 'web' })
  const tg = await targetGroup(elb, 'web')
  await elb.modifyTargetGroupAttributes({ TargetGroupArn: tg, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(DELAY_S) }] })
  const lb = await alb(elb, 'web', tg)
  await engine.ecs.registerTaskDefinition({
    family: 'httpd', networkMode: 'awsvpc', requiresCompatibilities: ['EC2'],
    containerDefinitions: [{
      name: 'app', image: 'busybox:1.36', cpu: 128, memory: 64, essential: true, portMappings: [{ containerPort: PORT }],
      command: ['sh', '-c', `mkdir -p /www/cgi-bin && hostname > /www/index.html && echo ok > /www/health && printf '#!/bin/sh\\nsleep 120\\nprintf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\nslow"\\n' > /www/cgi-bin/slow && chmod +x /www/cgi-bin/slow && exec httpd -f -p ${PORT} -h /www`]
    }]
  } as never)
  await engine.ecs.createService({
    cluster: 'web', serviceName: 'web', taskDefinition: 'httpd', desiredCount: 2, networkConfiguration: NETWORK, healthCheckGracePeriodSeconds: 120,
    loadBalancers: [{ targetGroupArn: tg, containerName: 'app', containerPort: PORT }]
  })
  await until('both targets healthy', async () => (await health(tg)).filter((h) => h.TargetHealth!.State === 'healthy').length === 2)
  await until('the deployment completed', async () => (await describe()).deployments![0].rolloutState === 'COMPLETED')
  // A slow request to each task (round robin): the one scaled in has one in flight, which holds its drain for the delay.
  for (let i = 0; i < 2; i++) get(lb.address, lb.port, '/cgi-bin/slow').catch(() => {})
  await new Promise((r) => setTimeout(r, 500))
  await engine.ecs.updateService({ cluster: 'web', service: 'web', desiredCount: 1 })
  let victim: TaskRecord | undefined
  await until('a task draining', () => {
    victim = liveTasks(engine, 'web', 'web').find((r) => r.task.lastStatus === 'DEACTIVATING' &&
      engine.store.get<TaskTargetsRecord>(TASK_TARGETS, r.taskId)?.value.draining === true)
    return victim !== undefined
  })
  const survivor = liveTasks(engine, 'web', 'web').find((r) => r.taskId !== victim!.taskId)!
  // Each task's page is its hostname: asked of each task directly, it tells where a request through the listener went.
  const victimName = (await get(addressOf(victim!), PORT)).body.trim()
  const survivorName = (await get(addressOf(survivor), PORT)).body.trim()
  // Where the store says the victim's drain ends (ELBv2 keeps it with the group).
  const drainUntil = engine.store.get<TargetGroupRecord>(TARGET_GROUPS, tg)?.value.draining?.find((d) => d.Id === addressOf(victim!))?.until
  say({ phase: 'draining', drainingAt: Date.now(), drainUntil, tg, address: lb.address, port: lb.port, victim: victim!.taskId, victimRun: victim!.runId, survivor: survivor.taskId, survivorRun: survivor.runId, victimName, survivorName })
} else {
  const victimId = process.argv[4]
  const tg = process.argv[5]
  const address = process.argv[6]
  const port = Number(process.argv[7])
  const victim = task(victimId)!
  const statusAtStart = victim.task.lastStatus
  const victimAddress = addressOf(victim)
  const inGroup = async () => (await health(tg)).some((d) => d.Target!.Id === victimAddress)
  // The target as the restart finds it, and when.
  const targetReadAt = Date.now()
  const targetAtStart = (await health(tg)).find((d) => d.Target!.Id === victimAddress)?.TargetHealth
  // Requests through the listener at once, while the victim still runs (DEACTIVATING): none may reach it.
  const bodiesAtStart = await Promise.all(Array.from({ length: 6 }, async () => (await get(address, port)).body.trim()))
  const statusAfterRequests = task(victimId)!.task.lastStatus
  // Past DEACTIVATING (its containers told to stop) while its target is still in the group: what the restart must not do.
  const early: Array<{ lastStatus: unknown; target: unknown }> = []
  let observations = 0
  let leftDeactivatingAt: number | undefined
  await until('the victim STOPPED', async () => {
    const lastStatus = task(victimId)!.task.lastStatus
    const h = (await health(tg)).find((d) => d.Target!.Id === victimAddress)
    observations++
    if (lastStatus !== 'DEACTIVATING') leftDeactivatingAt ??= Date.now()
    if (lastStatus !== 'DEACTIVATING' && h !== undefined) early.push({ lastStatus, target: h.TargetHealth })
    return lastStatus === 'STOPPED'
  }, 120_000, 5)
  const stopped = task(victimId)!.task
  const s = await describe()
  const bodies: string[] = []
  for (let i = 0; i < 4; i++) bodies.push((await get(address, port)).body.trim())
  say({
    phase: 'stopped', statusAtStart, targetReadAt, targetAtStart, leftDeactivatingAt, bodiesAtStart, statusAfterRequests, early, observations, stillInGroup: await inGroup(),
    stopped: { lastStatus: stopped.lastStatus, stopCode: stopped.stopCode, stoppedReason: stopped.stoppedReason },
    containersAfter: await containerStates(String(victim.runId)),
    targets: (await health(tg)).map((h) => ({ id: h.Target!.Id, state: h.TargetHealth!.State })),
    runningCount: s.runningCount, events: s.events!.map((e) => String(e.message)),
    targetsRecord: engine.store.get(TASK_TARGETS, victimId) !== undefined, bodies
  })
}
