// ECS clusters: the default cluster, create (idempotent) / describe (counts
// from the store, include) / list (paging) / update / delete (refused while
// services, instances or tasks are there; INACTIVE after), getCluster, and
// bad input refused naming the field with nothing changed. Simulated runner,
// manual clock. Services and tasks are written as records directly (their
// areas build them on other branches): the counts read the store's indexes.
import t from 'tap'
import type * as Tap from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Stratus } from '../../../sdk/index.js'
import { CLUSTERS, SERVICES, TASKS } from '../../../runtime/ecs/records.js'
import { getCluster } from '../../../runtime/ecs/clusters.js'
import { CONTAINER_INSTANCES, type InstanceRecord } from '../../../runtime/ecs/container-instances.js'

const ACCOUNT_ARN = (ecs: { context: { partition: { region: string; accountId: string } } }) => `arn:aws:ecs:${ecs.context.partition.region}:${ecs.context.partition.accountId}`

async function refused(t: Tap.Test, p: Promise<unknown>, code: string, field: string) {
  await t.rejects(p, { code, field }, `${code} naming ${field}`)
}

t.test('clusters', async (t) => {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  t.teardown(() => cloud.close())
  const ecs = cloud.engine.ecs
  const prefix = ACCOUNT_ARN(ecs)

  await t.test('the cluster default exists from the start, with one m5.xlarge instance', async (t) => {
    const { clusters, failures } = await ecs.describeClusters({})
    t.same(failures, [])
    t.match(clusters, [{ clusterName: 'default', clusterArn: `${prefix}:cluster/default`, status: 'ACTIVE', registeredContainerInstancesCount: 1, runningTasksCount: 0, activeServicesCount: 0 }])
    const arns = (await ecs.listContainerInstances({})).containerInstanceArns!
    t.equal(arns.length, 1)
    const { containerInstances } = await ecs.describeContainerInstances({ containerInstances: arns })
    t.match(containerInstances![0].attributes, [{ name: 'ecs.availability-zone' }, { name: 'ecs.instance-type', value: 'm5.xlarge' }])
    t.match(containerInstances![0].registeredResources, [{ name: 'CPU', integerValue: 4096 }, { name: 'MEMORY', integerValue: 16384 }, { name: 'PORTS' }, { name: 'PORTS_UDP' }])
  })

  await t.test('create, idempotent for an ACTIVE cluster; describe with include; getCluster by name and ARN', async (t) => {
    const created = await ecs.createCluster({
      clusterName: 'web', tags: [{ key: 'team', value: 'a' }], settings: [{ name: 'containerInsights', value: 'enabled' }],
      configuration: { executeCommandConfiguration: { logging: 'DEFAULT' } }, capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 2 }]
    })
    t.match(created.cluster, {
      clusterName: 'web', status: 'ACTIVE', registeredContainerInstancesCount: 1, tags: [{ key: 'team', value: 'a' }],
      settings: [{ name: 'containerInsights', value: 'enabled' }], configuration: { executeCommandConfiguration: { logging: 'DEFAULT' } },
      capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 2 }]
    })
    const again = await ecs.createCluster({ clusterName: 'web', tags: [{ key: 'other', value: 'b' }] })
    t.same(again.cluster!.tags, [{ key: 'team', value: 'a' }], 'an existing ACTIVE cluster is answered unchanged')
    t.equal((await ecs.listContainerInstances({ cluster: 'web' })).containerInstanceArns!.length, 1, 'and gets no second set of instances')

    const plain = (await ecs.describeClusters({ clusters: ['web'] })).clusters![0]
    t.equal(plain.tags, undefined, 'no tags unless asked')
    t.equal(plain.settings, undefined, 'no settings unless asked')
    t.same(plain.statistics, [])
    const full = (await ecs.describeClusters({ clusters: [`${prefix}:cluster/web`, 'nope'], include: ['TAGS', 'SETTINGS', 'STATISTICS', 'CONFIGURATIONS'] }))
    t.match(full.clusters![0], { tags: [{ key: 'team' }], settings: [{ name: 'containerInsights' }], configuration: { executeCommandConfiguration: {} } })
    t.match(full.clusters![0].statistics, [{ name: 'runningEC2TasksCount', value: '0' }])
    t.same(full.failures, [{ arn: `${prefix}:cluster/nope`, reason: 'MISSING' }])

    t.equal(getCluster(ecs.context, 'web').cluster.clusterName, 'web')
    t.equal(getCluster(ecs.context, `${prefix}:cluster/web`).poolId, getCluster(ecs.context, 'web').poolId)
    t.equal(getCluster(ecs.context, undefined).cluster.clusterName, 'default')
    t.throws(() => getCluster(ecs.context, 'nope', 'cluster'), { code: 'ClusterNotFoundException', message: 'Cluster not found.', field: 'cluster' })
    t.throws(() => getCluster(ecs.context, 'arn:aws:ecs:us-east-1:999999999999:cluster/web'), { code: 'InvalidParameterException', field: 'cluster' })
  })

  await t.test('counts come from the store: running and pending tasks, active services', async (t) => {
    const web = getCluster(ecs.context, 'web')
    ecs.context.store.transaction((tx) => {
      tx.put(TASKS, 'a'.repeat(32), { taskId: 'a'.repeat(32), clusterName: 'web', task: { taskArn: `${prefix}:task/web/${'a'.repeat(32)}`, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', launchType: 'FARGATE' } }, 0)
      tx.put(TASKS, 'b'.repeat(32), { taskId: 'b'.repeat(32), clusterName: 'web', task: { taskArn: `${prefix}:task/web/${'b'.repeat(32)}`, lastStatus: 'PENDING', desiredStatus: 'RUNNING', launchType: 'EC2' } }, 0)
      tx.put(TASKS, 'c'.repeat(32), { taskId: 'c'.repeat(32), clusterName: 'web', task: { taskArn: `${prefix}:task/web/${'c'.repeat(32)}`, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' } }, 0)
      tx.put(SERVICES, 'web/api', { clusterName: 'web', service: { serviceName: 'api', status: 'ACTIVE', launchType: 'EC2' } }, 0)
    })
    void web
    const c = (await ecs.describeClusters({ clusters: ['web'], include: ['STATISTICS'] })).clusters![0]
    t.match(c, { runningTasksCount: 1, pendingTasksCount: 1, activeServicesCount: 1 })
    const stats = Object.fromEntries(c.statistics!.map((s) => [s.name, s.value]))
    t.match(stats, { runningFargateTasksCount: '1', runningEC2TasksCount: '0', pendingEC2TasksCount: '1', activeEC2ServiceCount: '1' })
  })

  await t.test('delete is refused while services, instances or tasks are there; the deleted cluster is INACTIVE and describable', async (t) => {
    const store = ecs.context.store
    await refused(t, ecs.deleteCluster({ cluster: 'web' }), 'ClusterContainsServicesException', 'cluster')
    await t.rejects(ecs.deleteCluster({ cluster: 'web' }), { message: 'The Cluster cannot be deleted while Services are active.' })
    store.transaction((tx) => tx.put(SERVICES, 'web/api', { clusterName: 'web', service: { serviceName: 'api', status: 'DRAINING' } }, tx.get(SERVICES, 'web/api')!.version))
    await refused(t, ecs.deleteCluster({ cluster: 'web' }), 'ClusterContainsServicesException', 'cluster')
    store.transaction((tx) => tx.put(SERVICES, 'web/api', { clusterName: 'web', service: { serviceName: 'api', status: 'INACTIVE' } }, tx.get(SERVICES, 'web/api')!.version))
    const user = await ecs.registerContainerInstance({ cluster: 'web', instanceIdentityDocument: JSON.stringify({ instanceId: 'i-0000000000000user', instanceType: 't3.medium', availabilityZone: 'us-east-1a' }) })
    await t.rejects(ecs.deleteCluster({ cluster: 'web' }), { code: 'ClusterContainsContainerInstancesException', message: 'The Cluster cannot be deleted while Container Instances are active or draining.' }, 'a user-registered instance refuses it')
    await ecs.deregisterContainerInstance({ cluster: 'web', containerInstance: user.containerInstance!.containerInstanceArn! })
    await t.rejects(ecs.deleteCluster({ cluster: 'web' }), { code: 'ClusterContainsTasksException', message: 'The Cluster cannot be deleted while Tasks are active.' })
    t.equal((await ecs.describeClusters({ clusters: ['web'] })).clusters![0].status, 'ACTIVE', 'nothing changed by the refusals')
    store.transaction((tx) => {
      tx.delete(TASKS, 'a'.repeat(32))
      tx.delete(TASKS, 'b'.repeat(32))
    })
    const poolId = getCluster(ecs.context, 'web').poolId
    const deleted = await ecs.deleteCluster({ cluster: `${prefix}:cluster/web` })
    t.match(deleted.cluster, { clusterName: 'web', status: 'INACTIVE', registeredContainerInstancesCount: 0 })
    t.equal(ecs.context.pools.pool(poolId), undefined, 'its node pool is gone')
    t.match((await ecs.describeClusters({ clusters: ['web'] })).clusters, [{ status: 'INACTIVE' }])
    t.notOk((await ecs.listClusters({})).clusterArns!.includes(`${prefix}:cluster/web`), 'not listed')
    t.throws(() => getCluster(ecs.context, 'web'), { code: 'ClusterNotFoundException' })
    await refused(t, ecs.updateClusterSettings({ cluster: 'web', settings: [{ name: 'containerInsights', value: 'enabled' }] }), 'ClusterNotFoundException', 'cluster')
    t.same(store.scan<InstanceRecord>(CONTAINER_INSTANCES, { index: { name: 'cluster', value: 'web' } }).map((r) => r.value.status), ['INACTIVE', 'INACTIVE'], 'its engine-made instance was deregistered with it')
    const back = await ecs.createCluster({ clusterName: 'web' })
    t.match(back.cluster, { status: 'ACTIVE', registeredContainerInstancesCount: 1, tags: [] }, 'a deleted name can be created again')
  })

  // Every new cluster gets an engine-made instance (settings.defaultInstances),
  // so DeleteCluster on a fresh, unused cluster used to be refused with
  // ClusterContainsContainerInstancesException; on ECS an empty cluster deletes.
  await t.test('a fresh unused cluster deletes: its engine-made instance goes with it', async (t) => {
    await ecs.createCluster({ clusterName: 'fresh' })
    const [arn] = (await ecs.listContainerInstances({ cluster: 'fresh' })).containerInstanceArns!
    const poolId = getCluster(ecs.context, 'fresh').poolId
    const deleted = await ecs.deleteCluster({ cluster: 'fresh' })
    t.match(deleted.cluster, { clusterName: 'fresh', status: 'INACTIVE', registeredContainerInstancesCount: 0 })
    t.equal(ecs.context.pools.pool(poolId), undefined, 'its node pool is gone')
    const record = ecs.context.store.get<InstanceRecord>(CONTAINER_INSTANCES, arn.slice(arn.lastIndexOf('/') + 1))
    t.match(record?.value, { status: 'INACTIVE', engineProvided: true }, 'the engine instance is deregistered, not left ACTIVE')
  })

  await t.test('list pages with tokens; update and update settings', async (t) => {
    for (const n of ['p1', 'p2', 'p3']) await ecs.createCluster({ clusterName: n })
    const seen: string[] = []
    let token: string | undefined
    do {
      const page = await ecs.listClusters({ maxResults: 2, ...(token ? { nextToken: token } : {}) })
      t.ok(page.clusterArns!.length <= 2)
      seen.push(...page.clusterArns!)
      token = page.nextToken
    } while (token !== undefined)
    t.same(seen.map((a) => a.split('/')[1]).sort(), ['default', 'p1', 'p2', 'p3', 'web'])
    await refused(t, ecs.listClusters({ nextToken: 'forged' }), 'InvalidParameterException', 'nextToken')
    await refused(t, ecs.listClusters({ maxResults: 101 }), 'InvalidParameterException', 'maxResults')

    const u = await ecs.updateCluster({ cluster: 'p1', configuration: { executeCommandConfiguration: { logging: 'OVERRIDE', logConfiguration: { cloudWatchLogGroupName: 'g' } } } })
    t.match(u.cluster!.configuration, { executeCommandConfiguration: { logging: 'OVERRIDE', logConfiguration: { cloudWatchLogGroupName: 'g' } } })
    const s = await ecs.updateClusterSettings({ cluster: 'p1', settings: [{ name: 'containerInsights', value: 'enhanced' }] })
    t.same(s.cluster!.settings, [{ name: 'containerInsights', value: 'enhanced' }])
  })

  await t.test('bad input is refused naming the field, and changes nothing', async (t) => {
    const before = ecs.context.store.scan(CLUSTERS).length
    await refused(t, ecs.createCluster({ clusterName: 'bad name' }), 'InvalidParameterException', 'clusterName')
    await refused(t, ecs.createCluster({ clusterName: 'x'.repeat(256) }), 'InvalidParameterException', 'clusterName')
    await refused(t, ecs.createCluster({ clusterName: 'ok', settings: [{ name: 'containerInsights', value: 'on' }] }), 'InvalidParameterException', 'settings[0].value')
    await refused(t, ecs.createCluster({ clusterName: 'ok', tags: [{ key: 'aws:x', value: 'v' }] }), 'InvalidParameterException', 'tags.aws:x')
    await refused(t, ecs.createCluster({ clusterName: 'ok', tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })) }), 'InvalidParameterException', 'tags')
    await refused(t, ecs.createCluster({ clusterName: 'ok', capacityProviders: ['nope'] }), 'InvalidParameterException', 'capacityProviders[0]')
    await refused(t, ecs.createCluster({ clusterName: 'ok', capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT' }] }), 'InvalidParameterException', 'defaultCapacityProviderStrategy[0].capacityProvider')
    await refused(t, ecs.createCluster({ clusterName: 'ok', capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1001 }] }), 'InvalidParameterException', 'defaultCapacityProviderStrategy[0].weight')
    await refused(t, ecs.createCluster({ clusterName: 'ok', capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', base: 100001 }] }), 'InvalidParameterException', 'defaultCapacityProviderStrategy[0].base')
    await refused(t, ecs.createCluster({ clusterName: 'ok', capacityProviders: ['FARGATE', 'FARGATE_SPOT'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', base: 1 }, { capacityProvider: 'FARGATE_SPOT', base: 1 }] }), 'InvalidParameterException', 'defaultCapacityProviderStrategy')
    await refused(t, ecs.createCluster({ clusterName: 'ok', configuration: { executeCommandConfiguration: { logging: 'OVERRIDE' } } }), 'InvalidParameterException', 'configuration.executeCommandConfiguration.logConfiguration')
    await refused(t, ecs.describeClusters({ include: ['EVERYTHING' as never] }), 'InvalidParameterException', 'include')
    await refused(t, ecs.updateClusterSettings({ cluster: 'p1', settings: [{ name: 'other' as never, value: 'x' }] }), 'InvalidParameterException', 'settings[0].name')
    await refused(t, ecs.deleteCluster({ cluster: 'nope' }), 'ClusterNotFoundException', 'cluster')
    t.equal(ecs.context.store.scan(CLUSTERS).length, before, 'no cluster was written')
    t.same((await ecs.describeClusters({ clusters: ['p1'], include: ['SETTINGS'] })).clusters![0].settings, [{ name: 'containerInsights', value: 'enhanced' }])
  })
})

t.test('defaultInstances count 0: clusters have no instances; a restarted engine keeps the store\'s default cluster', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-ecs-clusters-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const first = await Stratus.embedded({ clock: 'manual', runner: 'simulated', dataDir: dir, ecs: { defaultInstances: { count: 0, instanceType: 'm5.xlarge' } } })
  t.match((await first.engine.ecs.describeClusters({})).clusters, [{ clusterName: 'default', registeredContainerInstancesCount: 0 }])
  await first.engine.ecs.updateClusterSettings({ cluster: 'default', settings: [{ name: 'containerInsights', value: 'enabled' }] })
  await first.close()
  const second = await Stratus.embedded({ clock: 'manual', runner: 'simulated', dataDir: dir })
  t.teardown(() => second.close())
  const c = (await second.engine.ecs.describeClusters({ include: ['SETTINGS'] })).clusters![0]
  t.match(c, { clusterName: 'default', registeredContainerInstancesCount: 0, settings: [{ name: 'containerInsights', value: 'enabled' }] }, 'the store\'s own, not a new one')
})
