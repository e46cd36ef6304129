// ECS container features on the simulated runner and the manual clock: the
// task's health from its essential containers' health checks, dependsOn
// ordering container starts, ECS's labels on the containers, awslogs streams
// read with the official CloudWatch Logs client, and a missing log group
// failing the task with ECS's reason.
import t from 'tap'
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs'
import { advance, seedCluster, seedDefinition, settle, sim, simulatedEngine } from './tasks-fixtures.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

t.test('health: UNKNOWN until every essential container with a check is HEALTHY', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work')
  const check = { command: ['CMD-SHELL', 'true'], interval: 5 }
  seedDefinition(engine, 'checked', [
    { name: 'app', image: 'busybox', memory: 32, healthCheck: check, environment: [...sim(3600), { name: 'STRATUS_SIM_HEALTHY_SECONDS', value: '10' }] },
    { name: 'side', image: 'busybox', memory: 32, essential: false, environment: sim(3600) }
  ])
  const { tasks } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'checked' })
  const arn = tasks![0].taskArn!
  await settle(engine)
  let task = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [arn] })).tasks![0]
  t.equal(task.lastStatus, 'RUNNING')
  t.equal(task.healthStatus, 'UNKNOWN')
  await advance(engine, 15_000)
  task = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [arn] })).tasks![0]
  t.equal(task.containers!.find((c) => c.name === 'app')!.healthStatus, 'HEALTHY')
  t.equal(task.healthStatus, 'HEALTHY')
  t.equal(task.containers!.find((c) => c.name === 'side')!.healthStatus, 'UNKNOWN', 'no check: UNKNOWN')

  // ECS's labels (and the definition's) reach the runner.
  const row = engine.launcher.get(`ecs:${arn.split('/').pop()}#1`)!
  t.match(row.spec.containers[0].dockerLabels, {
    'com.amazonaws.ecs.cluster': task.clusterArn, 'com.amazonaws.ecs.task-arn': arn, 'com.amazonaws.ecs.container-name': 'app',
    'com.amazonaws.ecs.task-definition-family': 'checked', 'com.amazonaws.ecs.task-definition-version': '1'
  })
})

t.test('dependsOn: a container starts once the one it depends on succeeded', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work')
  seedDefinition(engine, 'ordered', [
    { name: 'init', image: 'busybox', memory: 32, essential: false, environment: sim(5, 0) },
    { name: 'app', image: 'busybox', memory: 32, dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }], environment: sim(3600) }
  ])
  const { tasks } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'ordered' })
  const arn = tasks![0].taskArn!
  await settle(engine)
  const state = async () => Object.fromEntries((await engine.ecs.describeTasks({ cluster: 'work', tasks: [arn] })).tasks![0].containers!.map((c) => [c.name, c.lastStatus]))
  t.same(await state(), { init: 'RUNNING', app: 'PENDING' }, 'app waits for init')
  await advance(engine, 5000)
  t.same(await state(), { init: 'STOPPED', app: 'RUNNING' }, 'init succeeded: app started')
  const task = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [arn] })).tasks![0]
  t.equal(task.containers!.find((c) => c.name === 'init')!.exitCode, 0)
  t.equal(task.lastStatus, 'RUNNING')
})

t.test('awslogs: each container a stream <prefix>/<container>/<task id>, read with GetLogEvents; a missing group fails the task', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work')
  const logging = (group: string, create: boolean) => ({ logDriver: 'awslogs', options: { 'awslogs-group': group, 'awslogs-stream-prefix': 'web', 'awslogs-region': 'us-east-1', ...(create ? { 'awslogs-create-group': 'true' } : {}) } })
  seedDefinition(engine, 'logged', [
    { name: 'app', image: 'busybox', memory: 32, logConfiguration: logging('/ecs/logged', true), environment: [...sim(2), { name: 'STRATUS_SIM_OUTPUT', value: 'hello from app' }] }
  ])
  seedDefinition(engine, 'nogroup', [
    { name: 'app', image: 'busybox', memory: 32, logConfiguration: logging('/ecs/missing', false), environment: sim(2) }
  ])
  const { tasks } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'logged' })
  const arn = tasks![0].taskArn!
  await advance(engine, 2000)
  t.equal((await engine.ecs.describeTasks({ cluster: 'work', tasks: [arn] })).tasks![0].lastStatus, 'STOPPED')
  const logs = new CloudWatchLogsClient({ endpoint: `http://${engine.endpoint}`, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 })
  t.teardown(() => logs.destroy())
  const events = await logs.send(new GetLogEventsCommand({ logGroupName: '/ecs/logged', logStreamName: `web/app/${arn.split('/').pop()}`, startFromHead: true }))
  t.same(events.events!.map((e) => e.message), ['hello from app'], 'the whole output, complete once the task says STOPPED')

  const failed = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'nogroup' })
  t.same(failed.failures, [])
  await settle(engine)
  const task = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [failed.tasks![0].taskArn!] })).tasks![0]
  t.equal(task.lastStatus, 'STOPPED')
  t.equal(task.stopCode, 'TaskFailedToStart')
  t.match(task.stoppedReason, /^ResourceInitializationError: .*The specified log group does not exist\.$/)
  t.equal(engine.pools.nodes('ecs-work')[0].value.running, 0, 'it holds nothing on its instance')
})

t.test('EFS: every task naming a file system mounts the same directory, on EC2 and Fargate; exec agents shown when enabled', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work')
  const efs = [{ name: 'shared', efsVolumeConfiguration: { fileSystemId: 'fs-0123abcd', rootDirectory: '/data' } }]
  const app = { name: 'app', image: 'busybox', memory: 32, environment: sim(3600), mountPoints: [{ sourceVolume: 'shared', containerPath: '/mnt/efs' }] }
  seedDefinition(engine, 'ec2-efs', [app], { volumes: efs })
  seedDefinition(engine, 'fg-efs', [app], { volumes: efs, networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], compatibilities: ['EC2', 'FARGATE'], cpu: '256', memory: '512' })
  const a = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'ec2-efs', enableExecuteCommand: true })
  const b = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'fg-efs', launchType: 'FARGATE', networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } })
  const mountOf = (arn: string) => engine.launcher.get(`ecs:${arn.split('/').pop()}#1`)!.spec.containers[0].mounts![0]
  const ma = mountOf(a.tasks![0].taskArn!)
  t.equal(ma.containerPath, '/mnt/efs')
  t.match(ma.sourcePath, /\/efs\/fs-0123abcd\/data$/)
  t.same(mountOf(b.tasks![0].taskArn!), ma, 'the same directory for the Fargate task')
  await settle(engine)
  const described = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [a.tasks![0].taskArn!] })).tasks![0]
  t.equal(described.enableExecuteCommand, true)
  t.match(described.containers![0].managedAgents, [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING' }])
})
