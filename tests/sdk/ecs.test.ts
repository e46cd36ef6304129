// The fluent ECS SDK, embedded and remote (one body of checks against each,
// over one engine: simulated runner, manual clock): cluster handles, frozen
// builders (a fork never changes its parent), errors as the same classes both
// ways, timestamps as Dates both ways.
import t, { type Test } from 'tap'
import { Stratus, type StratusClient } from '../../sdk/index.js'

async function checks(t: Test, cloud: StratusClient, prefix: string): Promise<void> {
  const cluster = await cloud.ecs.cluster(`${prefix}-web`).create({ tags: [{ key: 'side', value: prefix }] })
  const shown = await cluster.describe()
  t.equal(shown.clusterName, `${prefix}-web`, 'create() then describe()')
  t.equal(shown.registeredContainerInstancesCount, 1, 'with its container instance')
  t.same(await cluster.tasks(), [], 'no tasks yet')

  const base = cluster.taskDefinition('app').container('web', { image: 'busybox:1.36', memory: 64 })
  const fargate = base.fargate(256, 512)
  t.same(base.toInput(), { family: 'app', containerDefinitions: [{ name: 'web', image: 'busybox:1.36', memory: 64 }] }, 'a fork leaves its parent as it was')
  t.match(fargate.toInput(), { requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512' }, 'the fork has its own spec')
  const fields = { image: 'busybox:1.36', environment: [{ name: 'A', value: '1' }] }
  const withSide = base.container('side', fields)
  fields.environment[0].value = 'changed'
  t.equal(withSide.toInput().containerDefinitions[1].environment[0].value, '1', 'what the caller changes later does not reach the builder')
  const service = cluster.service('svc').desiredCount(3)
  t.match(service.taskDefinition('app:1').toInput(), { cluster: `${prefix}-web`, serviceName: 'svc', desiredCount: 3, taskDefinition: 'app:1' }, 'the service builder')
  t.notOk('taskDefinition' in service.toInput(), 'and its parent has no task definition')

  // Tasks and services on the simulated runner (a container lasts STRATUS_SIM_SECONDS of clock time).
  const def = await cloud.ecs.taskDefinition(`${prefix}-app`).container('main', { image: 'busybox:1.36', memory: 128, environment: [{ name: 'STRATUS_SIM_SECONDS', value: '3600' }] }).register()
  t.equal(def.revision, 1, 'register(): revision 1')
  const [task] = await cluster.runTask(def)
  const running = await task.waitRunning({ timeoutMs: 30_000 })
  t.equal(running.lastStatus, 'RUNNING', 'runTask() then waitRunning()')
  t.ok(running.startedAt instanceof Date, 'startedAt is a Date')
  await task.stop('sdk test')
  const stopped = await task.waitStopped({ timeoutMs: 30_000 })
  t.match(stopped, { lastStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'sdk test' }, 'stop() then waitStopped()')
  const svc = await cluster.service('svc').taskDefinition(def).desiredCount(2).create()
  const steady = await svc.waitSteady({ timeoutMs: 30_000 })
  t.equal(steady.runningCount, 2, 'a service: waitSteady() with 2 running')
  t.equal((await svc.tasks()).length, 2, 'its tasks')
  await svc.scale(1)
  t.equal((await svc.waitSteady({ timeoutMs: 30_000 })).runningCount, 1, 'scale(1)')
  await svc.delete()

  const missing = await cloud.ecs.cluster(`${prefix}-nope`).describe().catch((e: Error) => e)
  t.equal((missing as { code?: string }).code, 'ClusterNotFoundException', 'describing a missing cluster: ClusterNotFoundException')
  const instances = await cloud.ecs.service.listContainerInstances({ cluster: `${prefix}-web` })
  const { containerInstances } = await cloud.ecs.service.describeContainerInstances({ cluster: `${prefix}-web`, containerInstances: instances.containerInstanceArns ?? [] })
  t.ok((containerInstances?.[0]?.registeredAt as unknown) instanceof Date, 'timestamps are Dates')
  // The engine's own instance goes with the cluster; one the user registered refuses the delete.
  await cloud.ecs.service.registerContainerInstance({ cluster: `${prefix}-web`, instanceIdentityDocument: JSON.stringify({ instanceId: 'i-00000000000000sdk', instanceType: 't3.medium', availabilityZone: 'us-east-1a' }) } as never)
  const refused = await cluster.delete().catch((e: Error) => e) as { code?: string }
  t.equal(refused.code, 'ClusterContainsContainerInstancesException', 'delete() of a cluster with registered instances: refused as ECS does')
  await cluster.delete({ force: true })
  t.equal((await cluster.describe().catch((e: Error) => e) as { code?: string }).code, 'ClusterNotFoundException', 'delete({ force }) deregisters its instances and deletes it')
}

t.test('ECS SDK, embedded and remote', async (t) => {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  t.teardown(() => cloud.close())
  const remote = await Stratus.connect(`http://${cloud.endpoint}`)
  t.teardown(() => remote.close())
  t.test('embedded', (t) => checks(t, cloud, 'em'))
  t.test('remote', (t) => checks(t, remote, 're'))
})
