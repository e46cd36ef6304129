// Container instances with real tasks (RunTask on the simulated runner, manual
// clock): ECS's reserved ports refuse a task asking for one; an instance's running count and remaining resources follow its
// tasks; draining leaves standalone tasks running, as ECS does, and places
// nothing new there; deregistration is refused while tasks run unless forced;
// forced, its tasks are stopped, the instance is DEREGISTERING until they have
// stopped and INACTIVE after, and the cluster can then be deleted.
import t from 'tap'
import { Stratus } from '../../../sdk/index.js'
import { sim } from './tasks-fixtures.js'
import { getCluster } from '../../../runtime/ecs/clusters.js'

t.test('container instances and their tasks', async (t) => {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  t.teardown(() => cloud.close())
  const ecs = cloud.engine.ecs
  await ecs.createCluster({ clusterName: 'd' })
  await ecs.registerTaskDefinition({ family: 'sleepy', containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 1024, memory: 2048, environment: sim(3600) }] })
  const [instance] = (await ecs.listContainerInstances({ cluster: 'd' })).containerInstanceArns!
  const poolId = getCluster(ecs.context, 'd').poolId
  const describe = async () => (await ecs.describeContainerInstances({ cluster: 'd', containerInstances: [instance] })).containerInstances![0]

  // ECS's reserved ports are taken on the instance: a task asking for host port 22 finds no place.
  await ecs.registerTaskDefinition({ family: 'ssh', containerDefinitions: [{ name: 'app', image: 'busybox', memory: 128, portMappings: [{ containerPort: 22, hostPort: 22 }], environment: sim(10) }] })
  const ssh = await ecs.runTask({ cluster: 'd', taskDefinition: 'ssh', launchType: 'EC2' })
  t.equal(ssh.tasks!.length, 0)
  t.match(ssh.failures, [{ reason: 'RESOURCE:PORTS' }])

  const run = await ecs.runTask({ cluster: 'd', taskDefinition: 'sleepy', launchType: 'EC2', count: 2 })
  t.same(run.failures, [])
  await cloud.clock.advance(1000)
  const busy = await describe()
  t.match(busy, { runningTasksCount: 2, pendingTasksCount: 0 })
  t.match(busy.remainingResources!.find((r) => r.name === 'CPU'), { integerValue: 4096 - 2048 })
  t.match(busy.remainingResources!.find((r) => r.name === 'MEMORY'), { integerValue: 16384 - 4096 })
  t.match((await ecs.describeClusters({ clusters: ['d'] })).clusters![0], { runningTasksCount: 2, registeredContainerInstancesCount: 1 })

  await ecs.updateContainerInstancesState({ cluster: 'd', containerInstances: [instance], status: 'DRAINING' })
  await cloud.clock.advance(1000)
  t.equal((await describe()).runningTasksCount, 2, 'standalone tasks stay on a draining instance')
  const refusedRun = await ecs.runTask({ cluster: 'd', taskDefinition: 'sleepy', launchType: 'EC2' })
  t.equal(refusedRun.tasks!.length, 0, 'nothing new is placed on it')
  t.equal(refusedRun.failures!.length, 1)

  await t.rejects(ecs.deregisterContainerInstance({ cluster: 'd', containerInstance: instance }), { code: 'InvalidParameterException', field: 'containerInstance' })
  t.equal((await describe()).status, 'DRAINING', 'the refusal changed nothing')
  const forced = await ecs.deregisterContainerInstance({ cluster: 'd', containerInstance: instance, force: true })
  t.equal(forced.containerInstance!.status, 'DEREGISTERING', 'until its tasks have stopped')
  await t.rejects(ecs.deleteCluster({ cluster: 'd' }), { code: 'ClusterContainsContainerInstancesException' })
  await cloud.clock.advance(60_000)
  const tasks = (await ecs.describeTasks({ cluster: 'd', tasks: run.tasks!.map((x) => x.taskArn!) })).tasks!
  t.same(tasks.map((x) => x.lastStatus), ['STOPPED', 'STOPPED'], 'its tasks were stopped')
  t.match(await describe(), { status: 'INACTIVE', agentConnected: false })
  t.equal(cloud.engine.pools.node(poolId, instance.slice(instance.lastIndexOf('/') + 1)), undefined, 'its node is gone')
  t.match((await ecs.deleteCluster({ cluster: 'd' })).cluster, { status: 'INACTIVE' })
})
