// ECS container instances = the nodes of the cluster's pool: register (identity
// document, totalResources, attributes, stratus.host, tags), describe
// (registered / remaining resources with ECS's reserved ports, attributes,
// counts, include TAGS, MISSING failures), list (status), drain and back
// (the node stops taking work; instanceChanged told), deregister (refused
// while tasks run without force; INACTIVE after), one cluster per instance,
// attributes (Put / Delete / List, 10 custom per resource), the ECS Container
// Instance State Change events, and bad input refused naming the field.
// Simulated runner, manual clock; tasks are written as records directly (the
// tasks area is built on another branch).
import t from 'tap'
import type * as Tap from 'tap'
import { Stratus } from '../../../sdk/index.js'
import { TASKS } from '../../../runtime/ecs/records.js'
import { getCluster } from '../../../runtime/ecs/clusters.js'

const doc = (instanceId: string, extra: Record<string, string> = {}) => JSON.stringify({ instanceId, instanceType: 'c5.large', availabilityZone: 'us-east-1b', ...extra })

async function refused(t: Tap.Test, p: Promise<unknown>, code: string, field: string) {
  await t.rejects(p, { code, field }, `${code} naming ${field}`)
}

t.test('container instances', async (t) => {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated', ecs: { defaultInstances: { count: 2, instanceType: 'm5.large' } } })
  t.teardown(() => cloud.close())
  const ecs = cloud.engine.ecs
  const events: Array<{ 'detail-type': string; detail: Record<string, any> }> = []
  cloud.events.subscribe({ source: ['aws.ecs'] } as never, (e) => void events.push(e as never))
  const changed: string[] = []
  ecs.context.hooks.instanceChanged.add((c) => void changed.push(c))
  await ecs.createCluster({ clusterName: 'c' })
  t.equal((await ecs.listContainerInstances({ cluster: 'c' })).containerInstanceArns!.length, 2, 'the engine\'s default count and type')

  await t.test('register with an identity document, resources, attributes and tags; describe shows it as ECS does', async (t) => {
    const { containerInstance: ci } = await ecs.registerContainerInstance({
      cluster: 'c', instanceIdentityDocument: doc('i-0123456789abcdef0'),
      totalResources: [{ name: 'CPU', type: 'INTEGER', integerValue: 1024 }, { name: 'MEMORY', type: 'INTEGER', integerValue: 2000 }, { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '8080'] }],
      attributes: [{ name: 'stack', value: 'blue' }, { name: 'stratus.host', value: 'engine-2' }], tags: [{ key: 'k', value: 'v' }]
    })
    t.match(ci, { ec2InstanceId: 'i-0123456789abcdef0', status: 'ACTIVE', agentConnected: true, runningTasksCount: 0, pendingTasksCount: 0, tags: [{ key: 'k', value: 'v' }] })
    t.match(ci!.containerInstanceArn, /:container-instance\/c\/i-0123456789abcdef0$/)
    const attrs = Object.fromEntries(ci!.attributes!.map((a) => [a.name, a.value]))
    t.match(attrs, { 'ecs.availability-zone': 'us-east-1b', 'ecs.instance-type': 'c5.large', 'ecs.os-type': 'linux', 'ecs.cpu-architecture': 'x86_64', stack: 'blue', 'stratus.host': 'engine-2' })
    t.ok('ecs.capability.execute-command' in attrs)
    t.equal(ecs.context.pools.node(getCluster(ecs.context, 'c').poolId, 'i-0123456789abcdef0')!.host, 'engine-2', 'stratus.host picks the node\'s host')
    const ports = (list: Array<{ name?: string; integerValue?: number; stringSetValue?: string[] }> | undefined, name: string) => list!.find((r) => r.name === name)
    t.match(ports(ci!.registeredResources, 'CPU'), { integerValue: 1024 })
    t.match(ports(ci!.registeredResources, 'MEMORY'), { integerValue: 2000 })
    t.same(ports(ci!.registeredResources, 'PORTS')!.stringSetValue, ['22', '8080'])

    const dflt = (await ecs.listContainerInstances({ cluster: 'c' })).containerInstanceArns!.find((a) => !a.endsWith('i-0123456789abcdef0'))!
    const described = await ecs.describeContainerInstances({ cluster: 'c', containerInstances: [dflt, 'i-nope'], include: ['TAGS'] })
    t.same(described.failures, [{ arn: 'i-nope', reason: 'MISSING' }])
    const d = described.containerInstances![0]
    t.same(ports(d.registeredResources, 'PORTS')!.stringSetValue, ['22', '2375', '2376', '51678', '51679'], 'ECS\'s reserved ports')
    t.match(ports(d.remainingResources, 'CPU'), { integerValue: 2048 })
    t.same(d.tags, [])
    // A task holding host ports (the PlanApplier takes them on the node): remaining PORTS / PORTS_UDP list them beside the reserved ones.
    const key = `${getCluster(ecs.context, 'c').poolId}/${d.ec2InstanceId}`
    const demand = { cpu: 512, memory: 256, gpu: 0, ports: ['tcp:8080', 'udp:53'] }
    ecs.context.store.transaction((tx) => ecs.context.pools.reserve(tx, key, demand))
    const busy = (await ecs.describeContainerInstances({ cluster: 'c', containerInstances: [dflt] })).containerInstances![0]
    t.same(ports(busy.remainingResources, 'PORTS')!.stringSetValue, ['22', '2375', '2376', '8080', '51678', '51679'])
    t.same(ports(busy.remainingResources, 'PORTS_UDP')!.stringSetValue, ['53'])
    t.match(ports(busy.remainingResources, 'CPU'), { integerValue: 2048 - 524 })
    t.match(ports(busy.remainingResources, 'MEMORY'), { integerValue: 8192 - 256 })
    ecs.context.store.transaction((tx) => ecs.context.pools.release(tx, key, demand))

    // A task on the instance: counts from the store; a STOPPED one is not counted.
    const arn = ci!.containerInstanceArn!
    ecs.context.store.transaction((tx) => {
      tx.put(TASKS, '1'.repeat(32), { taskId: '1'.repeat(32), clusterName: 'c', task: { taskArn: `t1`, containerInstanceArn: arn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' } }, 0)
      tx.put(TASKS, '2'.repeat(32), { taskId: '2'.repeat(32), clusterName: 'c', task: { taskArn: `t2`, containerInstanceArn: arn, lastStatus: 'PENDING', desiredStatus: 'RUNNING' } }, 0)
      tx.put(TASKS, '3'.repeat(32), { taskId: '3'.repeat(32), clusterName: 'c', task: { taskArn: `t3`, containerInstanceArn: arn, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' } }, 0)
    })
    t.match((await ecs.describeContainerInstances({ cluster: 'c', containerInstances: [arn] })).containerInstances![0], { runningTasksCount: 1, pendingTasksCount: 1 })
    await t.rejects(ecs.deregisterContainerInstance({ cluster: 'c', containerInstance: arn }), { code: 'InvalidParameterException', field: 'containerInstance', message: /running tasks.*force/ })
    ecs.context.store.transaction((tx) => {
      tx.delete(TASKS, '1'.repeat(32))
      tx.delete(TASKS, '2'.repeat(32))
    })
    t.equal((await ecs.describeClusters({ clusters: ['c'] })).clusters![0].registeredContainerInstancesCount, 3)
  })

  await t.test('an instance is in one cluster only; registering again in its cluster answers the same instance', async (t) => {
    await ecs.createCluster({ clusterName: 'other' })
    await refused(t, ecs.registerContainerInstance({ cluster: 'other', instanceIdentityDocument: doc('i-0123456789abcdef0') }), 'ClientException', 'instanceIdentityDocument.instanceId')
    const again = await ecs.registerContainerInstance({ cluster: 'c', instanceIdentityDocument: doc('i-0123456789abcdef0') })
    t.equal(again.containerInstance!.ec2InstanceId, 'i-0123456789abcdef0')
    t.equal((await ecs.listContainerInstances({ cluster: 'c' })).containerInstanceArns!.length, 3)
  })

  await t.test('list with a filter in the cluster query language', async (t) => {
    const list = async (filter: string) => (await ecs.listContainerInstances({ cluster: 'c', filter })).containerInstanceArns!.map((a) => a.slice(a.lastIndexOf('/') + 1))
    t.same(await list('attribute:ecs.instance-type == c5.large'), ['i-0123456789abcdef0'])
    t.same(await list('attribute:stack == blue and attribute:ecs.availability-zone in [us-east-1b, us-east-1c]'), ['i-0123456789abcdef0'])
    t.equal((await list('not(attribute:stack exists)')).length, 2, 'the default instances')
    t.equal((await list('attribute:ecs.instance-type =~ m5.*')).length, 2)
    t.same(await list('ec2InstanceId == i-0123456789abcdef0 or attribute:stack == green'), ['i-0123456789abcdef0'])
    t.same(await list('runningTasksCount > 0'), [])
    const page = await ecs.listContainerInstances({ cluster: 'c', filter: 'attribute:ecs.os-type == linux', maxResults: 2 })
    t.equal(page.containerInstanceArns!.length, 2)
    const rest = await ecs.listContainerInstances({ cluster: 'c', filter: 'attribute:ecs.os-type == linux', maxResults: 2, nextToken: page.nextToken! })
    t.equal(rest.containerInstanceArns!.length, 1)
    await refused(t, ecs.listContainerInstances({ cluster: 'c', filter: 'attribute:ecs.os-type == linux', nextToken: (await ecs.listContainerInstances({ cluster: 'c', maxResults: 1 })).nextToken! }), 'InvalidParameterException', 'nextToken')
    await refused(t, ecs.listContainerInstances({ cluster: 'c', filter: 'attribute:stack ==' }), 'InvalidParameterException', 'filter')
  })

  await t.test('drain and back: the node stops taking work, instanceChanged is told, status filters the list', async (t) => {
    const arn = (await ecs.describeContainerInstances({ cluster: 'c', containerInstances: ['i-0123456789abcdef0'] })).containerInstances![0].containerInstanceArn!
    changed.length = 0
    const r = await ecs.updateContainerInstancesState({ cluster: 'c', containerInstances: [arn, 'i-missing'], status: 'DRAINING' })
    t.match(r, { containerInstances: [{ status: 'DRAINING' }], failures: [{ arn: 'i-missing', reason: 'MISSING' }] })
    t.equal(ecs.context.pools.node(getCluster(ecs.context, 'c').poolId, 'i-0123456789abcdef0')!.status, 'DRAINING')
    t.same(changed, ['c'])
    t.same((await ecs.listContainerInstances({ cluster: 'c', status: 'DRAINING' })).containerInstanceArns, [arn])
    t.equal((await ecs.listContainerInstances({ cluster: 'c', status: 'ACTIVE' })).containerInstanceArns!.length, 2)
    await ecs.updateContainerInstancesState({ cluster: 'c', containerInstances: ['i-0123456789abcdef0'], status: 'ACTIVE' })
    t.equal(ecs.context.pools.node(getCluster(ecs.context, 'c').poolId, 'i-0123456789abcdef0')!.status, 'ACTIVE')
    await refused(t, ecs.updateContainerInstancesState({ cluster: 'c', containerInstances: [arn], status: 'DEREGISTERING' }), 'InvalidParameterException', 'status')
  })

  await t.test('attributes: put, list, delete; 10 custom per resource; names and values checked', async (t) => {
    const id = 'i-0123456789abcdef0'
    const put = await ecs.putAttributes({ cluster: 'c', attributes: [{ name: 'color', value: 'red', targetId: id }, { name: 'gpu-ready', targetId: id }] })
    t.equal(put.attributes!.length, 2)
    t.match(put.attributes![0], { name: 'color', value: 'red', targetType: 'container-instance', targetId: /container-instance\/c\/i-0123456789abcdef0$/ })
    const listed = await ecs.listAttributes({ cluster: 'c', targetType: 'container-instance', attributeName: 'color' })
    t.match(listed.attributes, [{ name: 'color', value: 'red', targetId: /i-0123456789abcdef0$/ }])
    const byValue = await ecs.listAttributes({ cluster: 'c', targetType: 'container-instance', attributeName: 'ecs.instance-type', attributeValue: 'm5.large' })
    t.equal(byValue.attributes!.length, 2, 'the default instances')
    // stack (from registration), color, gpu-ready: 3 custom; 7 more fit, the 8th does not.
    const more = Array.from({ length: 7 }, (_, i) => ({ name: `a${i}`, value: 'x', targetId: id }))
    await ecs.putAttributes({ cluster: 'c', attributes: more })
    await t.rejects(ecs.putAttributes({ cluster: 'c', attributes: [{ name: 'one-too-many', targetId: id }] }), { code: 'AttributeLimitExceededException', field: 'attributes', limit: 10 })
    t.notOk(ecs.context.pools.node(getCluster(ecs.context, 'c').poolId, id)!.attributes['one-too-many'], 'nothing written')
    await refused(t, ecs.putAttributes({ cluster: 'c', attributes: Array.from({ length: 11 }, (_, i) => ({ name: `b${i}`, targetId: id })) }), 'AttributeLimitExceededException', 'attributes')
    const del = await ecs.deleteAttributes({ cluster: 'c', attributes: [{ name: 'color', targetId: id }] })
    t.match(del.attributes, [{ name: 'color' }])
    t.same((await ecs.listAttributes({ cluster: 'c', targetType: 'container-instance', attributeName: 'color' })).attributes, [])
    await refused(t, ecs.putAttributes({ cluster: 'c', attributes: [{ name: 'bad name!', targetId: id }] }), 'InvalidParameterException', 'attributes[0].name')
    await refused(t, ecs.putAttributes({ cluster: 'c', attributes: [{ name: 'ok', value: ' padded', targetId: id }] }), 'InvalidParameterException', 'attributes[0].value')
    await refused(t, ecs.putAttributes({ cluster: 'c', attributes: [{ name: 'ecs.instance-type', value: 'x', targetId: id }] }), 'InvalidParameterException', 'attributes[0].name')
    await refused(t, ecs.putAttributes({ cluster: 'c', attributes: [{ name: 'ok' }] }), 'InvalidParameterException', 'attributes[0].targetId')
    await refused(t, ecs.putAttributes({ cluster: 'c', attributes: [{ name: 'ok', targetId: 'i-nope' }] }), 'TargetNotFoundException', 'attributes.targetId')
    await refused(t, ecs.listAttributes({ cluster: 'c', targetType: 'task' as never }), 'InvalidParameterException', 'targetType')
    // Paging: one attribute per page.
    let token: string | undefined
    let pages = 0
    do {
      const p = await ecs.listAttributes({ cluster: 'c', targetType: 'container-instance', attributeName: 'ecs.os-type', maxResults: 1, ...(token ? { nextToken: token } : {}) })
      pages++
      token = p.nextToken
    } while (token)
    t.equal(pages, 3, 'three instances, three pages')
  })

  await t.test('deregister: INACTIVE, gone from the pool and the counts, still describable', async (t) => {
    const id = 'i-0123456789abcdef0'
    events.length = 0
    const r = await ecs.deregisterContainerInstance({ cluster: 'c', containerInstance: id })
    t.match(r.containerInstance, { status: 'INACTIVE', agentConnected: false })
    t.equal(ecs.context.pools.node(getCluster(ecs.context, 'c').poolId, id), undefined)
    t.equal((await ecs.describeClusters({ clusters: ['c'] })).clusters![0].registeredContainerInstancesCount, 2)
    t.match((await ecs.describeContainerInstances({ cluster: 'c', containerInstances: [id] })).containerInstances, [{ status: 'INACTIVE' }])
    t.notOk((await ecs.listContainerInstances({ cluster: 'c' })).containerInstanceArns!.some((a) => a.endsWith(id)))
    await refused(t, ecs.deregisterContainerInstance({ cluster: 'c', containerInstance: id }), 'InvalidParameterException', 'containerInstance')
    await cloud.clock.advance(0)
    t.match(events.filter((e) => e['detail-type'] === 'ECS Container Instance State Change').map((e) => e.detail), [{ status: 'INACTIVE', ec2InstanceId: id, clusterArn: /cluster\/c$/ }])
    const moved = await ecs.registerContainerInstance({ cluster: 'other', instanceIdentityDocument: doc(id) })
    t.match(moved.containerInstance!.containerInstanceArn, /container-instance\/other\//, 'a deregistered instance may join another cluster')
  })

  await t.test('bad input is refused naming the field', async (t) => {
    await refused(t, ecs.registerContainerInstance({ cluster: 'c', instanceIdentityDocument: '{not json' }), 'InvalidParameterException', 'instanceIdentityDocument')
    await refused(t, ecs.registerContainerInstance({ cluster: 'c' }), 'InvalidParameterException', 'totalResources')
    await refused(t, ecs.registerContainerInstance({ cluster: 'c', totalResources: [{ name: 'CPU', integerValue: 0 }] }), 'InvalidParameterException', 'totalResources[0].integerValue')
    await refused(t, ecs.registerContainerInstance({ cluster: 'c', totalResources: [{ name: 'DISK', integerValue: 1 }] }), 'InvalidParameterException', 'totalResources[0].name')
    await refused(t, ecs.registerContainerInstance({ cluster: 'c', totalResources: [{ name: 'PORTS', stringSetValue: ['70000'] }] }), 'InvalidParameterException', 'totalResources[0].stringSetValue')
    await refused(t, ecs.registerContainerInstance({ cluster: 'c', instanceIdentityDocument: doc('i-zz', { availabilityZone: 'eu-west-1a' }) }), 'InvalidParameterException', 'instanceIdentityDocument.availabilityZone')
    await refused(t, ecs.registerContainerInstance({ cluster: 'nope', instanceIdentityDocument: doc('i-zz') }), 'ClusterNotFoundException', 'cluster')
    await refused(t, ecs.registerContainerInstance({ cluster: 'c', instanceIdentityDocument: doc('i-zz'), tags: [{ key: 'aws:no', value: '' }] }), 'InvalidParameterException', 'tags.aws:no')
    await refused(t, ecs.describeContainerInstances({ cluster: 'c', containerInstances: [] }), 'InvalidParameterException', 'containerInstances')
    await refused(t, ecs.listContainerInstances({ cluster: 'c', status: 'GONE' as never }), 'InvalidParameterException', 'status')
    await refused(t, ecs.listContainerInstances({ cluster: 'c', maxResults: 0 }), 'InvalidParameterException', 'maxResults')
    t.equal((await ecs.listContainerInstances({ cluster: 'c' })).containerInstanceArns!.length, 2, 'nothing registered')
  })
})
