// Static host ports as a dimension of the pools: taken when a placement is
// committed, given back when the task ends, re-checked by the PlanApplier at
// commit (a port taken since the plan, or by an earlier placement of the same
// plan, refuses the plan whole).
import t from 'tap'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { NodePools, PlanApplier } from '../../../runtime/cluster/index.js'
import { usedPortNumbers } from '../../../runtime/cluster/node-pool.js'
import type { PlacementPlan } from '../../../runtime/scheduler/placer.js'

function setUp() {
  const store = new MemoryStore()
  const pools = new NodePools({ store, partition: makePartition(), now: () => 0 })
  store.transaction((tx) => {
    pools.createPool(tx, { poolId: 'p', clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/c', runner: 'simulated' })
    pools.addNode(tx, 'p', { id: 'a', instanceType: 'x', vcpus: 2, memory: 4096, gpus: 0, managed: false })
  })
  return { store, pools, applier: new PlanApplier(store, pools) }
}

/** A plan putting `count` tasks on node a (as a placement core would propose it). */
function planOnA(pools: NodePools, count: number): PlacementPlan {
  const snap = pools.snapshot('p')
  return {
    poolId: 'p', poolVersion: snap.version, nodes: snap.nodes, node: new Int32Array(count).fill(0),
    reason: Array(count).fill('PLACED'), reserved: new Int32Array(count).fill(-1),
    metrics: { placed: count, failed: 0, nodesEvaluated: 0, filtered: { cpu: 0, memory: 0, gpu: 0, constraint: 0, inactive: 0 }, filteredPorts: 0, reservations: 0, failureScans: 0, contextBuilds: 0, indexVisits: 0 }
  }
}

t.test('ports are taken at commit and given back when the task ends', async (t) => {
  const { store, pools, applier } = setUp()
  const web = { cpu: 100, memory: 128, gpu: 0, ports: ['tcp:80', 'udp:53'] }
  t.same(applier.apply(planOnA(pools, 1), () => web, () => {}), { applied: true, placed: 1 })
  const node = pools.node('p', 'a')!
  t.same(node.usedPorts, ['tcp:80', 'udp:53'])
  t.same(usedPortNumbers(node, 'tcp'), ['80'], 'PORTS (tcp) as DescribeContainerInstances lists them')
  t.same(usedPortNumbers(node, 'udp'), ['53'], 'PORTS_UDP')
  // Another task on other ports shares the node; giving the first back frees only its ports.
  t.same(applier.apply(planOnA(pools, 1), () => ({ cpu: 100, memory: 128, gpu: 0, ports: ['tcp:8080'] }), () => {}), { applied: true, placed: 1 })
  store.transaction((tx) => pools.release(tx, 'p/a', web))
  t.same(pools.node('p', 'a')!.usedPorts, ['tcp:8080'], 'the ended task gave its ports back, the other keeps its own')
  t.same(applier.apply(planOnA(pools, 1), () => web, () => {}), { applied: true, placed: 1 }, 'tcp:80 can be taken again')
  await store.close()
})

t.test('the PlanApplier refuses a placement whose port got taken since the plan, or earlier in the same plan', async (t) => {
  const { store, pools, applier } = setUp()
  const web = { cpu: 100, memory: 128, gpu: 0, ports: ['tcp:80'] }
  const stale = planOnA(pools, 1)
  t.same(applier.apply(planOnA(pools, 1), () => web, () => {}), { applied: true, placed: 1 })
  const revision = store.revision
  const refused = applier.apply(stale, () => web, (tx) => tx.put('owner', 'x', {}, 0))
  t.match(refused, { applied: false, reason: 'no-fit', detail: /port tcp:80 is taken on node a/ })
  t.equal(store.revision, revision, 'nothing written')
  t.match(applier.apply(planOnA(pools, 2), () => ({ ...web, ports: ['udp:9000'] }), () => {}), { applied: false, detail: /task 1: port udp:9000/ },
    'two placements of one plan on one node with the same port: the second is refused, and with it the plan')
  t.same(pools.node('p', 'a')!.usedPorts, ['tcp:80'], 'the refused plan took nothing')
  t.throws(() => store.transaction((tx) => pools.reserve(tx, 'p/a', web)), { code: 'PortTaken', field: 'ports' }, 'reserve itself refuses a taken port')
  await store.close()
})
