// Tasks through the wire API with the official @aws-sdk/client-ecs: RunTask,
// DescribeTasks (timestamps arrive as Dates), ListTasks, StopTask, and ECS's
// exceptions for a bad member and an unknown task.
import t from 'tap'
import { DescribeTasksCommand, ECSClient, InvalidParameterException, ListTasksCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs'
import { advance, seedCluster, seedDefinition, settle, sim, simulatedEngine } from './tasks-fixtures.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

t.test('RunTask, DescribeTasks, ListTasks and StopTask with the official client', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work')
  seedDefinition(engine, 'web', [{ name: 'app', image: 'busybox', memory: 32, environment: sim(3600) }])
  const ecs = new ECSClient({ endpoint: `http://${engine.endpoint}`, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 })
  t.teardown(() => ecs.destroy())

  const run = await ecs.send(new RunTaskCommand({ cluster: 'work', taskDefinition: 'web', count: 2, startedBy: 'sdk' }))
  t.equal(run.tasks!.length, 2)
  t.same(run.failures, [])
  t.ok(run.tasks![0].createdAt instanceof Date, 'createdAt decoded as a Date')
  t.equal(run.tasks![0].createdAt!.getTime(), engine.clock.now(), 'at the engine clock\'s time')
  await settle(engine)
  const arns = run.tasks!.map((x) => x.taskArn!)
  const described = await ecs.send(new DescribeTasksCommand({ cluster: 'work', tasks: arns }))
  t.same(described.tasks!.map((x) => x.lastStatus), ['RUNNING', 'RUNNING'])
  t.ok(described.tasks![0].startedAt instanceof Date)
  t.same((await ecs.send(new ListTasksCommand({ cluster: 'work', startedBy: 'sdk' }))).taskArns!.sort(), [...arns].sort())

  const stopped = await ecs.send(new StopTaskCommand({ cluster: 'work', task: arns[0], reason: 'done with it' }))
  t.equal(stopped.task!.stoppedReason, 'done with it')
  t.equal(stopped.task!.stopCode, 'UserInitiated')
  await advance(engine, 0)
  t.same((await ecs.send(new ListTasksCommand({ cluster: 'work', desiredStatus: 'STOPPED' }))).taskArns, [arns[0]])

  const bad = await ecs.send(new RunTaskCommand({ cluster: 'work', taskDefinition: 'web', count: 11 })).catch((e) => e)
  t.ok(bad instanceof InvalidParameterException, 'count 11: InvalidParameterException')
  const unknown = await ecs.send(new StopTaskCommand({ cluster: 'work', task: '0'.repeat(32) })).catch((e) => e)
  t.ok(unknown instanceof InvalidParameterException)
  t.equal(unknown.message, 'The referenced task was not found.')
})
