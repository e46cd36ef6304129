// The engine of services-crash-docker.test.ts, in a process of its own over a
// data directory (SQLite store, docker runner), so the test can SIGKILL it
// mid-deployment and start another over the same directory:
//   node [loader] services-crash-child.ts <dataDir> start|resume
// start: a cluster, a REPLICA service of 3 on revision 1, then an update to
//   revision 2; prints {"phase":"deploying","engineId":…} once a task of the new
//   deployment is RUNNING (old ones still run), then serves until killed.
// resume: waits for the service's deployment to complete, prints
//   {"phase":"settled",…} with what the service and its tasks say, then serves
//   until SIGTERM, when it closes the engine and exits 0. Not a test file.
import { Engine } from '../../../runtime/engine.js'
import { liveTasks, seedDefinition } from './services-fixtures.js'

const [dataDir, mode] = process.argv.slice(2)
const engine = await Engine.start({ dataDir, runner: 'docker' })
process.once('SIGTERM', () => { engine.close().then(() => process.exit(0), () => process.exit(1)) })
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ engineId: engine.id, ...line })}\n`)
const describe = async () => (await engine.ecs.describeServices({ cluster: 'web', services: ['web'] })).services![0]
async function until(check: () => Promise<boolean>, bound = 40_000): Promise<boolean> {
  const end = Date.now() + bound
  while (!(await check())) {
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 100))
  }
  return true
}

if (mode === 'start') {
  // The cluster's own container instance (an m5.xlarge slice of the host, backed by the engine's Docker).
  await engine.ecs.createCluster({ clusterName: 'web' })
  const container = { image: 'busybox:1.36', command: ['sleep', '3600'], cpu: 128, memory: 64 }
  await seedDefinition(engine, 'sleeper', container)
  await engine.ecs.createService({ cluster: 'web', serviceName: 'web', taskDefinition: 'sleeper', desiredCount: 3 })
  await until(async () => (await describe()).runningCount === 3)
  const v2 = await seedDefinition(engine, 'sleeper', container)
  await engine.ecs.updateService({ cluster: 'web', service: 'web', taskDefinition: 'sleeper' })
  await until(async () => liveTasks(engine, 'web', 'web').some((r) => r.task.taskDefinitionArn === v2 && r.task.lastStatus === 'RUNNING'))
  say({ phase: 'deploying', v2, live: liveTasks(engine, 'web', 'web').length })
} else {
  const settled = await until(async () => {
    const s = await describe()
    return s.deployments!.length === 1 && s.deployments![0].rolloutState === 'COMPLETED' && s.runningCount === 3 && liveTasks(engine, 'web', 'web').length === 3
  }, 150_000) // the old tasks' containers must be stopped and removed first: slow on a loaded machine
  const s = await describe()
  const all = engine.store.scan<{ runId?: string; deploymentId?: string; task: Record<string, unknown> }>('ecs:tasks', { index: { name: 'service', value: 'web/web' } }).map((r) => r.value)
  say({
    phase: 'settled', settled, runningCount: s.runningCount, pendingCount: s.pendingCount, deployments: s.deployments,
    live: liveTasks(engine, 'web', 'web').map((r) => ({ runId: r.runId, taskDefinitionArn: r.task.taskDefinitionArn, lastStatus: r.task.lastStatus })),
    primaryTasks: all.filter((r) => r.deploymentId === s.deployments![0].id).map((r) => ({ runId: r.runId, lastStatus: r.task.lastStatus, stoppedReason: r.task.stoppedReason }))
  })
}
