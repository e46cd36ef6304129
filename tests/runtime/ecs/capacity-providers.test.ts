// Capacity providers: FARGATE and FARGATE_SPOT built in (never created,
// updated or deleted); an Auto Scaling group provider over a virtual group
// (tags stratus:instanceType / stratus:minSize); PutClusterCapacityProviders;
// delete refused while associated; and managed scaling on the manual clock:
// scale-out to hold the tasks waiting for capacity (min / max step, warm-up),
// scale-in of instances idle for 15 minutes down to the group's minimum.
// Tasks waiting for capacity are written as records directly, as the tasks
// area is to write them (PROVISIONING, capacityProviderName, awaitingCapacity), and
// announced on hooks.taskChanged (the contract agreed with the tasks area,
// whose RunTask does not write them yet). Last, a restart over the same
// SQLite store.
import t from 'tap'
import type * as Tap from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Stratus } from '../../../sdk/index.js'
import { TASKS, type TaskRecord } from '../../../runtime/ecs/records.js'
import { getCluster } from '../../../runtime/ecs/clusters.js'

const GROUP = 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1e9b0c3a-0000-4000-8000-000000000001:autoScalingGroupName/web-asg'
const MINUTE = 60_000

async function refused(t: Tap.Test, p: Promise<unknown>, code: string, field: string) {
  await t.rejects(p, { code, field }, `${code} naming ${field}`)
}

t.test('capacity providers and managed scaling', async (t) => {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated', ecs: { defaultInstances: { count: 0, instanceType: 'm5.xlarge' } } })
  t.teardown(() => cloud.close())
  const ecs = cloud.engine.ecs
  const store = ecs.context.store
  await ecs.createCluster({ clusterName: 'scale' })

  let seq = 0
  const waiting = (n: number): string[] => {
    const ids: string[] = []
    store.transaction((tx) => {
      for (let i = 0; i < n; i++) {
        const id = (++seq).toString(16).padStart(32, '0')
        ids.push(id)
        const record = { taskId: id, clusterName: 'scale', awaitingCapacity: true, task: { taskArn: `task/${id}`, lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING', capacityProviderName: 'cp', cpu: '1024', memory: '2048' } }
        tx.put(TASKS, id, record, 0)
      }
    })
    for (const id of ids) for (const f of ecs.context.hooks.taskChanged) f(store.get<TaskRecord>(TASKS, id)!.value)
    return ids
  }
  const stop = (ids: string[]) => {
    store.transaction((tx) => {
      for (const id of ids) {
        const r = tx.get<TaskRecord>(TASKS, id)!
        tx.put(TASKS, id, { ...r.value, awaitingCapacity: false, task: { ...r.value.task, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' } }, r.version)
      }
    })
    for (const id of ids) for (const f of ecs.context.hooks.taskChanged) f(store.get<TaskRecord>(TASKS, id)!.value)
  }
  const instances = async () => (await ecs.listContainerInstances({ cluster: 'scale' })).containerInstanceArns!

  await t.test('FARGATE and FARGATE_SPOT are built in', async (t) => {
    const { capacityProviders } = await ecs.describeCapacityProviders({})
    t.match(capacityProviders, [{ name: 'FARGATE', status: 'ACTIVE', capacityProviderArn: /:capacity-provider\/FARGATE$/ }, { name: 'FARGATE_SPOT', status: 'ACTIVE' }])
    await refused(t, ecs.createCapacityProvider({ name: 'FARGATE', autoScalingGroupProvider: { autoScalingGroupArn: GROUP } }), 'InvalidParameterException', 'name')
    await refused(t, ecs.updateCapacityProvider({ name: 'FARGATE', autoScalingGroupProvider: { managedScaling: { status: 'ENABLED' } } }), 'InvalidParameterException', 'name')
    await refused(t, ecs.deleteCapacityProvider({ capacityProvider: 'FARGATE_SPOT' }), 'InvalidParameterException', 'capacityProvider')
  })

  await t.test('create, describe (include TAGS, paging), bad input refused', async (t) => {
    const created = await ecs.createCapacityProvider({
      name: 'cp', tags: [{ key: 'stratus:instanceType', value: 'c5.large' }, { key: 'stratus:minSize', value: '1' }],
      autoScalingGroupProvider: { autoScalingGroupArn: GROUP, managedScaling: { status: 'ENABLED', targetCapacity: 100, maximumScalingStepSize: 2, instanceWarmupPeriod: 60 } }
    })
    t.match(created.capacityProvider, {
      name: 'cp', status: 'ACTIVE', capacityProviderArn: /:capacity-provider\/cp$/,
      autoScalingGroupProvider: { autoScalingGroupArn: GROUP, managedScaling: { status: 'ENABLED', targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 2, instanceWarmupPeriod: 60 }, managedTerminationProtection: 'DISABLED' }
    })
    t.equal((await ecs.describeCapacityProviders({ capacityProviders: ['cp'] })).capacityProviders![0].tags, undefined, 'no tags unless asked')
    t.match((await ecs.describeCapacityProviders({ capacityProviders: ['cp', 'gone'], include: ['TAGS'] })), { capacityProviders: [{ tags: [{ key: 'stratus:instanceType' }, {}] }], failures: [{ reason: 'MISSING' }] })
    const names: string[] = []
    let token: string | undefined
    do {
      const page = await ecs.describeCapacityProviders({ maxResults: 1, ...(token ? { nextToken: token } : {}) })
      names.push(...page.capacityProviders!.map((p) => p.name!))
      token = page.nextToken
    } while (token)
    t.same(names, ['FARGATE', 'FARGATE_SPOT', 'cp'])

    const other = 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1e9b0c3a-0000-4000-8000-000000000002:autoScalingGroupName/other'
    await refused(t, ecs.createCapacityProvider({ name: 'cp', autoScalingGroupProvider: { autoScalingGroupArn: other } }), 'ClientException', 'name')
    await refused(t, ecs.createCapacityProvider({ name: 'cp2', autoScalingGroupProvider: { autoScalingGroupArn: GROUP } }), 'ClientException', 'autoScalingGroupProvider.autoScalingGroupArn')
    await refused(t, ecs.createCapacityProvider({ name: 'ecs-mine', autoScalingGroupProvider: { autoScalingGroupArn: other } }), 'InvalidParameterException', 'name')
    await refused(t, ecs.createCapacityProvider({ name: 'cp2', autoScalingGroupProvider: { autoScalingGroupArn: 'web-asg' } }), 'InvalidParameterException', 'autoScalingGroupProvider.autoScalingGroupArn')
    await refused(t, ecs.createCapacityProvider({ name: 'cp2', autoScalingGroupProvider: { autoScalingGroupArn: other, managedScaling: { targetCapacity: 0 } } }), 'InvalidParameterException', 'autoScalingGroupProvider.managedScaling.targetCapacity')
    await refused(t, ecs.createCapacityProvider({ name: 'cp2', autoScalingGroupProvider: { autoScalingGroupArn: other, managedScaling: { targetCapacity: 101 } } }), 'InvalidParameterException', 'autoScalingGroupProvider.managedScaling.targetCapacity')
    await refused(t, ecs.createCapacityProvider({ name: 'cp2', autoScalingGroupProvider: { autoScalingGroupArn: other, managedScaling: { minimumScalingStepSize: 5, maximumScalingStepSize: 2 } } }), 'InvalidParameterException', 'autoScalingGroupProvider.managedScaling.minimumScalingStepSize')
    await refused(t, ecs.createCapacityProvider({ name: 'cp2', autoScalingGroupProvider: { autoScalingGroupArn: other, managedScaling: { instanceWarmupPeriod: 10001 } } }), 'InvalidParameterException', 'autoScalingGroupProvider.managedScaling.instanceWarmupPeriod')
    await refused(t, ecs.createCapacityProvider({ name: 'cp2', autoScalingGroupProvider: { autoScalingGroupArn: other, managedTerminationProtection: 'ENABLED' } }), 'InvalidParameterException', 'autoScalingGroupProvider.managedTerminationProtection')
    await refused(t, ecs.createCapacityProvider({ name: 'cp2', autoScalingGroupProvider: { autoScalingGroupArn: other }, tags: [{ key: 'stratus:instanceType', value: 'z9.huge' }] }), 'InvalidParameterException', 'tags.stratus:instanceType')
    t.same((await ecs.describeCapacityProviders({})).capacityProviders!.map((p) => p.name), ['FARGATE', 'FARGATE_SPOT', 'cp'], 'nothing created')
  })

  await t.test('PutClusterCapacityProviders associates it; one cluster per group provider', async (t) => {
    const r = await ecs.putClusterCapacityProviders({ cluster: 'scale', capacityProviders: ['cp', 'FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'cp', weight: 1, base: 1 }] })
    t.match(r.cluster, { capacityProviders: ['cp', 'FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'cp', weight: 1, base: 1 }] })
    await ecs.createCluster({ clusterName: 'elsewhere' })
    await refused(t, ecs.putClusterCapacityProviders({ cluster: 'elsewhere', capacityProviders: ['cp'], defaultCapacityProviderStrategy: [] }), 'InvalidParameterException', 'capacityProviders[0]')
    await refused(t, ecs.putClusterCapacityProviders({ cluster: 'scale', capacityProviders: ['cp'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE' }] }), 'InvalidParameterException', 'defaultCapacityProviderStrategy[0].capacityProvider')
    await refused(t, ecs.deleteCapacityProvider({ capacityProvider: 'cp' }), 'ResourceInUseException', 'capacityProvider')
  })

  await t.test('scale-out: instances for the waiting tasks, at most maximumScalingStepSize at once, none more while one warms up', async (t) => {
    await cloud.clock.advance(0)
    t.equal((await instances()).length, 1, 'stratus:minSize 1: one instance at once')
    waiting(3)
    await cloud.clock.advance(0)
    t.equal((await instances()).length, 1, 'the first instance still warms up (60 s)')
    await cloud.clock.advance(MINUTE)
    // 3 waiting tasks of 1 vCPU / 2 GiB, c5.large (2 vCPUs, 4 GiB): 2 per instance; 2 fit on the one there, 1 needs another.
    t.equal((await instances()).length, 2)
    t.match(await ecs.capacityProviderReservation({ capacityProvider: 'cp' }), { running: 2, needed: 2, reservation: 100 }, 'at target once the second is there')
    const described = await ecs.describeContainerInstances({ cluster: 'scale', containerInstances: await instances() })
    t.match(described.containerInstances, [{ capacityProviderName: 'cp', attributes: [{}, { name: 'ecs.instance-type', value: 'c5.large' }] }, { capacityProviderName: 'cp' }])
    waiting(10)
    await cloud.clock.advance(MINUTE + 1)
    // 13 waiting: 4 fit on the 2 instances, 9 more need 5 instances; the step is at most 2.
    t.equal((await instances()).length, 4, 'maximumScalingStepSize 2')
    await cloud.clock.advance(MINUTE + 1)
    t.equal((await instances()).length, 6)
    await cloud.clock.advance(MINUTE + 1)
    t.equal((await instances()).length, 7, 'enough for every waiting task: 14 slots for 13')
    await cloud.clock.advance(5 * MINUTE)
    t.equal((await instances()).length, 7, 'and no more')
  })

  await t.test('removing a provider tasks use is refused; scale-in removes instances idle for 15 minutes, down to minSize', async (t) => {
    await refused(t, ecs.putClusterCapacityProviders({ cluster: 'scale', capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [] }), 'ResourceInUseException', 'capacityProviders')
    // The tasks area places a task on each instance (the PlanApplier reserves its demand) and it runs a while, then stops.
    const pools = ecs.context.pools
    const nodes = (await ecs.describeContainerInstances({ cluster: 'scale', containerInstances: await instances() })).containerInstances!.map((c) => c.containerInstanceArn!)
    const poolId = getCluster(ecs.context, 'scale').poolId
    const keys = nodes.map((arn) => `${poolId}/${arn.slice(arn.lastIndexOf('/') + 1)}`)
    const demand = { cpu: 1000, memory: 2048, gpu: 0 }
    store.transaction((tx) => keys.forEach((k) => pools.reserve(tx, k, demand)))
    stop(store.scan<TaskRecord>(TASKS).map((r) => r.key))
    await cloud.clock.advance(30 * MINUTE)
    t.equal((await instances()).length, 7, 'busy instances are kept')
    store.transaction((tx) => keys.forEach((k) => pools.release(tx, k, demand)))
    await cloud.clock.advance(10 * MINUTE)
    t.equal((await instances()).length, 7, 'idle for 10 minutes: kept')
    await cloud.clock.advance(6 * MINUTE)
    t.equal((await instances()).length, 1, 'idle for 15: removed, down to stratus:minSize')
    t.match(await ecs.capacityProviderReservation({ capacityProvider: 'cp' }), { running: 1, needed: 0 })
  })

  await t.test('update; detach; delete: INACTIVE', async (t) => {
    const u = await ecs.updateCapacityProvider({ name: 'cp', autoScalingGroupProvider: { managedScaling: { status: 'ENABLED', targetCapacity: 80 } } })
    t.match(u.capacityProvider, { updateStatus: 'UPDATE_COMPLETE', autoScalingGroupProvider: { autoScalingGroupArn: GROUP, managedScaling: { targetCapacity: 80, maximumScalingStepSize: 2 } } })
    await refused(t, ecs.updateCapacityProvider({ name: 'cp', autoScalingGroupProvider: { managedScaling: { targetCapacity: 0 } } }), 'InvalidParameterException', 'autoScalingGroupProvider.managedScaling.targetCapacity')
    await ecs.putClusterCapacityProviders({ cluster: 'scale', capacityProviders: [], defaultCapacityProviderStrategy: [] })
    const d = await ecs.deleteCapacityProvider({ capacityProvider: 'cp' })
    t.match(d.capacityProvider, { name: 'cp', status: 'INACTIVE' })
    t.same((await ecs.describeCapacityProviders({})).capacityProviders!.map((p) => p.name), ['FARGATE', 'FARGATE_SPOT'])
    t.match((await ecs.describeCapacityProviders({ capacityProviders: ['cp'] })).capacityProviders, [{ status: 'INACTIVE' }])
  })
})

t.test('an engine restarted over the same store keeps the providers, their instances and their scaling', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-ecs-scaling-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const options = { clock: 'manual' as const, runner: 'simulated' as const, dataDir: dir, ecs: { defaultInstances: { count: 0, instanceType: 'm5.xlarge' } } }
  const first = await Stratus.embedded(options)
  await first.engine.ecs.createCluster({ clusterName: 'r' })
  await first.engine.ecs.createCapacityProvider({
    name: 'rcp', tags: [{ key: 'stratus:minSize', value: '2' }],
    autoScalingGroupProvider: { autoScalingGroupArn: GROUP.replace('web-asg', 'restart'), managedScaling: { status: 'ENABLED', instanceWarmupPeriod: 0 } }
  })
  await first.engine.ecs.putClusterCapacityProviders({ cluster: 'r', capacityProviders: ['rcp'], defaultCapacityProviderStrategy: [] })
  await first.clock.advance(0)
  const before = (await first.engine.ecs.listContainerInstances({ cluster: 'r' })).containerInstanceArns!
  t.equal(before.length, 2)
  await first.close()

  const second = await Stratus.embedded(options)
  t.teardown(() => second.close())
  const ecs = second.engine.ecs
  t.same((await ecs.listContainerInstances({ cluster: 'r' })).containerInstanceArns, before, 'the same instances')
  t.match((await ecs.describeContainerInstances({ cluster: 'r', containerInstances: before })).containerInstances, [{ capacityProviderName: 'rcp', status: 'ACTIVE' }, { capacityProviderName: 'rcp' }])
  // A m5.xlarge holds 4 tasks of 1 vCPU: 8 fit on the two, 2 more need one more instance.
  const ids: string[] = []
  ecs.context.store.transaction((tx) => {
    for (let i = 0; i < 10; i++) {
      const id = (0xabc000 + i).toString(16).padStart(32, '0')
      ids.push(id)
      tx.put(TASKS, id, { taskId: id, clusterName: 'r', awaitingCapacity: true, task: { taskArn: `task/${id}`, lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING', capacityProviderName: 'rcp', cpu: '1024', memory: '1024' } }, 0)
    }
  })
  for (const id of ids) for (const f of ecs.context.hooks.taskChanged) f(ecs.context.store.get<TaskRecord>(TASKS, id)!.value)
  await second.clock.advance(0)
  t.equal((await ecs.listContainerInstances({ cluster: 'r' })).containerInstanceArns!.length, 3, 'the new engine scales the provider')
})
