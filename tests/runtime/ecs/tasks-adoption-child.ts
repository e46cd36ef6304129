// An engine in a process of its own for tasks-adoption-docker.test.ts:
//   node [loader] tasks-adoption-child.ts <dataDir>
// starts an engine on the docker runner over dataDir, seeds a cluster and a
// Fargate definition, runs one task, and once it is RUNNING prints one JSON
// line {"taskArn","runtimeId","engineId"}; then serves until it is killed.
// Not a test file.
import { Engine } from '../../../runtime/engine.js'
import { FARGATE_NETWORK, fargateDefinition, seedCluster } from './tasks-fixtures.js'

const [dataDir] = process.argv.slice(2)
if (dataDir === undefined) throw new Error('usage: tasks-adoption-child.ts <dataDir>')
const engine = await Engine.start({ dataDir, runner: 'docker', port: 0 })
seedCluster(engine, 'work', { instances: [] })
fargateDefinition(engine, 'survivor', [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '600'] }])
const { tasks } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'survivor', launchType: 'FARGATE', networkConfiguration: FARGATE_NETWORK })
const arn = tasks![0].taskArn!
for (;;) {
  const task = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [arn] })).tasks![0]
  if (task.lastStatus === 'RUNNING') {
    process.stdout.write(`${JSON.stringify({ taskArn: arn, runtimeId: task.containers![0].runtimeId, engineId: engine.id })}\n`)
    break
  }
  if (task.lastStatus === 'STOPPED') throw new Error(`the task stopped: ${task.stoppedReason}`)
  await new Promise((r) => setTimeout(r, 50))
}
setInterval(() => {}, 60_000)
