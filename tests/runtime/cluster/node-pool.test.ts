// Node pools: nodes shaped like ECS container instances, records in the store;
// the pool's version moves with its capacity (nodes added, removed, drained)
// and not with tasks coming and going.
import t from 'tap'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { NodePools, POOLS, toContainerInstance } from '../../../runtime/cluster/index.js'

function setUp() {
  const store = new MemoryStore()
  const pools = new NodePools({ store, partition: makePartition('123456789012', 'eu-west-1'), now: () => 1_000 })
  store.transaction((tx) => pools.createPool(tx, { poolId: 'p', clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/c1', runner: 'simulated' }))
  return { store, pools }
}

t.test('a node is an ECS container instance: ARN, zone, instance type, registered and remaining resources', async (t) => {
  const { store, pools } = setUp()
  const node = store.transaction((tx) => pools.addNode(tx, 'p', { instanceType: 'm5.xlarge', vcpus: 4, memory: 16384, gpus: 0, managed: true }))
  t.match(node.id, /^i-[0-9a-f]{17}$/)
  t.equal(node.containerInstanceArn, `arn:aws:ecs:eu-west-1:123456789012:container-instance/c1/${node.id}`)
  store.transaction((tx) => pools.reserve(tx, node.key, { cpu: 1500, memory: 4096, gpu: 0 }))
  const ecs = toContainerInstance(pools.node('p', node.id)!)
  t.match(ecs, {
    ec2InstanceId: node.id,
    status: 'ACTIVE',
    runningTasksCount: 1,
    registeredResources: [{ name: 'CPU', type: 'INTEGER', integerValue: 4096 }, { name: 'MEMORY', type: 'INTEGER', integerValue: 16384 }],
    remainingResources: [{ name: 'CPU', integerValue: 4096 - 1536 }, { name: 'MEMORY', integerValue: 16384 - 4096 }]
  })
  t.same(ecs.attributes.slice(0, 3), [
    { name: 'ecs.availability-zone', value: 'eu-west-1a' }, { name: 'ecs.instance-type', value: 'm5.xlarge' }, { name: 'ecs.os-type', value: 'linux' }
  ])
  await store.close()
})

t.test('nodes go round the region\'s zones', async (t) => {
  const { store, pools } = setUp()
  const zones = store.transaction((tx) => [1, 2, 3, 4].map(() => pools.addNode(tx, 'p', { instanceType: 'x', vcpus: 1, memory: 1024, gpus: 0, managed: false }).zone))
  t.same(zones, ['eu-west-1a', 'eu-west-1b', 'eu-west-1c', 'eu-west-1a'])
  await store.close()
})

t.test('the pool version changes with capacity, not with tasks', async (t) => {
  const { store, pools } = setUp()
  const version = () => store.get(POOLS, 'p')!.version
  const v0 = version()
  const node = store.transaction((tx) => pools.addNode(tx, 'p', { instanceType: 'x', vcpus: 2, memory: 2048, gpus: 0, managed: false }))
  const v1 = version()
  t.ok(v1 > v0, 'a node added: new version')
  store.transaction((tx) => pools.reserve(tx, node.key, { cpu: 1000, memory: 512, gpu: 0 }))
  store.transaction((tx) => pools.release(tx, node.key, { cpu: 1000, memory: 512, gpu: 0 }))
  t.equal(version(), v1, 'tasks placed and ended: same version')
  store.transaction((tx) => pools.setStatus(tx, 'p', node.id, 'DRAINING'))
  const v2 = version()
  t.ok(v2 > v1, 'drained: new version')
  t.equal(pools.vcpus('p'), 2)
  store.transaction((tx) => pools.removeNode(tx, 'p', node.id))
  t.ok(version() > v2, 'removed: new version')
  t.equal(pools.vcpus('p'), 0, 'the vCPU total follows')
  await store.close()
})

t.test('a node that runs a task cannot be removed, and a pool with one cannot be deleted; nothing changes', async (t) => {
  const { store, pools } = setUp()
  const node = store.transaction((tx) => pools.addNode(tx, 'p', { id: 'n1', instanceType: 'x', vcpus: 2, memory: 2048, gpus: 0, managed: false }))
  store.transaction((tx) => pools.reserve(tx, node.key, { cpu: 1000, memory: 512, gpu: 0 }))
  const revision = store.revision
  t.throws(() => store.transaction((tx) => pools.removeNode(tx, 'p', 'n1')), { code: 'NodeInUse', field: 'nodeId' })
  t.throws(() => store.transaction((tx) => pools.deletePool(tx, 'p')), { code: 'PoolInUse' })
  t.throws(() => store.transaction((tx) => pools.addNode(tx, 'p', { id: 'n1', instanceType: 'x', vcpus: 1, memory: 1, gpus: 0, managed: false })), { code: 'NodeExists', field: 'id' })
  t.equal(store.revision, revision, 'nothing was written')
  t.equal(pools.nodes('p').length, 1)
  await store.close()
})
