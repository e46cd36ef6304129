// An ECS REPLICA service as real containers (docker runner, one engine): its 3
// tasks are 3 live containers; one killed with `docker kill` stops its task
// (its essential container exited) and the service replaces it with a new
// container; runningCount is the live containers' count throughout.
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Engine } from '../../../runtime/engine.js'
import { loadBusyboxIntoDocker } from '../../fixtures/busybox-image.js'
import { requireTool } from '../../tools.js'
import { liveTasks, seedDefinition } from './services-fixtures.js'

const exec = promisify(execFile)

/** The engine's running containers, by their sandbox (the task's run id). */
async function runningContainers(engineId: string): Promise<Map<string, string>> {
  const { stdout } = await exec('docker', ['ps', '--no-trunc', '--filter', `label=stratus.engine=${engineId}`, '--format', '{{.ID}}\t{{.Label "stratus.sandbox"}}'])
  return new Map(stdout.split('\n').filter(Boolean).map((line) => {
    const [id, sandbox] = line.split('\t')
    return [sandbox, id] as [string, string]
  }))
}

/** Polls until check() holds (a generous bound fails the test; nothing asserts on time). */
async function until(what: string, check: () => Promise<boolean>, bound = 30_000): Promise<void> {
  const end = Date.now() + bound
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not reached`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

t.test('a REPLICA service keeps 3 real containers: one killed with docker kill is replaced', async (t) => {
  await requireTool('docker', 'busybox')
  await loadBusyboxIntoDocker()
  const engine = await Engine.start({ runner: 'docker' })
  t.teardown(() => engine.close())
  // The cluster's own container instance (an m5.xlarge slice of the host, backed by the engine's Docker).
  await engine.ecs.createCluster({ clusterName: 'web' })
  await seedDefinition(engine, 'sleeper', { image: 'busybox:1.36', command: ['sleep', '3600'], cpu: 128, memory: 64 })
  await engine.ecs.createService({ cluster: 'web', serviceName: 'web', taskDefinition: 'sleeper', desiredCount: 3 })
  const describe = async () => (await engine.ecs.describeServices({ cluster: 'web', services: ['web'] })).services![0]
  await until('3 tasks RUNNING', async () => (await describe()).runningCount === 3)

  const before = await runningContainers(engine.id)
  const tasks = liveTasks(engine, 'web', 'web')
  t.equal(tasks.length, 3)
  t.ok(tasks.every((r) => r.runId !== undefined && before.has(r.runId)), 'each task is a live container')
  t.equal((await describe()).runningCount, before.size, 'runningCount is the live containers')

  const victim = tasks[0]
  await exec('docker', ['kill', before.get(victim.runId!)!])
  await until('the killed task STOPPED and a new one RUNNING', async () => {
    const stopped = engine.ecs.context.store.get<{ task: Record<string, unknown> }>('ecs:tasks', victim.taskId)?.value.task.lastStatus === 'STOPPED'
    return stopped && (await describe()).runningCount === 3
  })
  const killed = (await engine.ecs.describeTasks({ cluster: 'web', tasks: [victim.taskId] })).tasks![0]
  t.equal(killed.stopCode, 'EssentialContainerExited')
  const after = await runningContainers(engine.id)
  const live = liveTasks(engine, 'web', 'web')
  t.equal(live.length, 3)
  t.notOk(live.some((r) => r.taskId === victim.taskId), 'the killed task was replaced by a new one')
  t.ok(live.every((r) => after.has(r.runId!)), 'every live task is a running container')
  t.equal(after.size, 3, 'exactly 3 containers: none launched twice')
  const s = await describe()
  t.ok(s.events!.some((e) => /^\(service web\) has started 1 tasks: \(task [0-9a-f]{32}\)\.$/.test(e.message!)))

  await engine.ecs.deleteService({ cluster: 'web', service: 'web', force: true })
  await until('the service INACTIVE', async () => (await describe()).status === 'INACTIVE')
  t.equal((await runningContainers(engine.id)).size, 0, 'a deleted service leaves no container')
})
