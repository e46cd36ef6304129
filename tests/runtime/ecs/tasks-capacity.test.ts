// Tasks of an EC2 capacity provider with managed scaling: what no instance
// can take waits PROVISIONING (not a failure) while the provider's scaling
// launches instances, then starts on them — only on the provider's own
// instances; a waiting task can be stopped.
import t from 'tap'
import { advance, seedDefinition, settle, sim, simulatedEngine } from './tasks-fixtures.js'

const GROUP = 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1e9b0c3a-0000-4000-8000-000000000001:autoScalingGroupName/tasks-asg'
const MINUTE = 60_000

t.test('waiting tasks start on the instances their provider launches', async (t) => {
  const engine = await simulatedEngine({ ecs: { defaultInstances: { count: 1, instanceType: 'm5.xlarge' } } })
  t.teardown(() => engine.close())
  const ecs = engine.ecs
  await ecs.createCluster({ clusterName: 'scale' })
  await ecs.createCapacityProvider({
    name: 'cp', tags: [{ key: 'stratus:instanceType', value: 'c5.large' }, { key: 'stratus:minSize', value: '0' }],
    autoScalingGroupProvider: { autoScalingGroupArn: GROUP, managedScaling: { status: 'ENABLED', targetCapacity: 100, maximumScalingStepSize: 10, instanceWarmupPeriod: 60 } }
  })
  await ecs.putClusterCapacityProviders({ cluster: 'scale', capacityProviders: ['cp'], defaultCapacityProviderStrategy: [] })
  seedDefinition(engine, 'work', [{ name: 'app', image: 'busybox', cpu: 1024, memory: 2048, environment: sim(3600) }])

  const run = await ecs.runTask({ cluster: 'scale', taskDefinition: 'work', count: 3, capacityProviderStrategy: [{ capacityProvider: 'cp', weight: 1 }] })
  t.same(run.failures, [], 'no failure: the tasks wait for capacity')
  t.equal(run.tasks!.length, 3)
  t.ok(run.tasks!.every((x) => x.lastStatus === 'PROVISIONING' && x.capacityProviderName === 'cp' && x.containerInstanceArn === undefined))
  const arns = run.tasks!.map((x) => x.taskArn!)
  await settle(engine)
  const cancelled = arns[2]
  // One of them is stopped while it waits.
  await ecs.stopTask({ cluster: 'scale', task: cancelled })
  await settle(engine)
  const stopped = (await ecs.describeTasks({ cluster: 'scale', tasks: [cancelled] })).tasks![0]
  t.equal(stopped.lastStatus, 'STOPPED')
  t.equal(stopped.stopCode, 'UserInitiated')

  for (let i = 0; i < 5; i++) await advance(engine, MINUTE)
  const tasks = (await ecs.describeTasks({ cluster: 'scale', tasks: arns.slice(0, 2) })).tasks!
  t.same(tasks.map((x) => x.lastStatus), ['RUNNING', 'RUNNING'], 'started once the provider launched instances')
  const described = await ecs.describeContainerInstances({ cluster: 'scale', containerInstances: tasks.map((x) => x.containerInstanceArn!) })
  t.ok(described.containerInstances!.every((c) => c.capacityProviderName === 'cp'), "on the provider's own instances, not the cluster's default one")
})
