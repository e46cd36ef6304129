// The scheduler proposes, the PlanApplier commits: a plan applies in one
// transaction, all or nothing; a plan made against a pool that has moved on
// (a node gone or drained), or whose placement no longer fits, is refused and
// changes nothing. And in the engine, a refused plan is simply made again.
import t from 'tap'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { NodePools, PlanApplier } from '../../../runtime/cluster/index.js'
import { Placer, type PlacementPlan } from '../../../runtime/scheduler/placer.js'
import { Scheduler } from '../../../runtime/scheduler/scheduler.js'
import { oneNode, settle, sim, simulatedCloud } from '../batch/fixtures.js'

async function setUp() {
  const store = new MemoryStore()
  const pools = new NodePools({ store, partition: makePartition(), now: () => 0 })
  const placer = new Placer((await Scheduler.create()).core)
  store.transaction((tx) => {
    pools.createPool(tx, { poolId: 'p', clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/c', runner: 'simulated' })
    pools.addNode(tx, 'p', { id: 'a', instanceType: 'x', vcpus: 2, memory: 4096, gpus: 0, managed: false })
    pools.addNode(tx, 'p', { id: 'b', instanceType: 'x', vcpus: 2, memory: 4096, gpus: 0, managed: false })
  })
  const applier = new PlanApplier(store, pools)
  const plan = (count: number): PlacementPlan => placer.place(pools.snapshot('p'), {
    count, cpu: new Int32Array(count).fill(1000), memory: new Int32Array(count).fill(1024), gpu: new Int32Array(count), waitRounds: new Int32Array(count)
  })
  const demand = () => ({ cpu: 1000, memory: 1024, gpu: 0 })
  return { store, pools, placer, applier, plan, demand }
}

t.test('a plan is applied in one transaction: every placement takes its demand, and the owner writes beside it', async (t) => {
  const { store, pools, applier, plan, demand, placer } = await setUp()
  const p = plan(4)
  t.same(Array.from(p.node).filter((n) => n >= 0).length, 4, 'four tasks fit two 2-vCPU nodes')
  const revision = store.revision
  const result = applier.apply(p, demand, (tx, i, node) => tx.put('owner', `task-${i}`, { node: node.id }, 0))
  t.same(result, { applied: true, placed: 4 })
  t.equal(store.revision, revision + 1, 'one transaction')
  t.same(pools.nodes('p').map((r) => [r.value.id, r.value.usedCpu, r.value.running]), [['a', 2000, 2], ['b', 2000, 2]])
  t.equal(store.count('owner'), 4)
  placer.close()
  await store.close()
})

t.test('a stale plan is refused, not applied: the pool moved on after the snapshot', async (t) => {
  const { store, pools, applier, plan, demand, placer } = await setUp()
  const p = plan(2)
  store.transaction((tx) => pools.setStatus(tx, 'p', p.nodes[p.node[0]].id, 'DRAINING'))
  const revision = store.revision
  const result = applier.apply(p, demand, (tx, i) => tx.put('owner', `task-${i}`, {}, 0))
  t.match(result, { applied: false, reason: 'stale' })
  t.equal(store.revision, revision, 'nothing written')
  t.equal(store.count('owner'), 0)
  t.ok(pools.nodes('p').every((r) => r.value.running === 0), 'no node took anything')
  t.equal(applier.refused, 1)
  placer.close()
  await store.close()
})

t.test('a plan whose placement no longer fits is refused whole', async (t) => {
  const { store, pools, applier, plan, demand, placer } = await setUp()
  const p = plan(4)
  // Someone else takes room on node a after the snapshot (capacity use does not move the pool version).
  store.transaction((tx) => pools.reserve(tx, 'p/a', { cpu: 1000, memory: 512, gpu: 0 }))
  const result = applier.apply(p, demand, (tx, i) => tx.put('owner', `task-${i}`, {}, 0))
  t.match(result, { applied: false, reason: 'no-fit' })
  t.equal(store.count('owner'), 0, 'no placement of the plan was kept')
  t.same(pools.nodes('p').map((r) => r.value.running), [1, 0], 'only the other writer\'s task holds room')
  placer.close()
  await store.close()
})

t.test('in the engine, a plan made stale between planning and applying is made again, and the job runs', async (t) => {
  await using cloud = await simulatedCloud()
  const { ce, queue, def } = await oneNode(cloud, { vcpus: 1 })
  // Between the dispatcher's plan and its commit, a second node is registered: the pool moves on.
  let raced = false
  const plans: PlacementPlan[] = []
  const onPlan = (plan: unknown) => {
    plans.push(plan as PlacementPlan)
    if (raced) return
    raced = true
    void ce.registerNode({ vcpus: 1, memory: 1024, id: 'second' })
  }
  const refusals: unknown[] = []
  const onRefused = (message: unknown) => refusals.push(message)
  subscribe('stratus:scheduler:plan', onPlan)
  subscribe('stratus:cluster:plan-refused', onRefused)
  try {
    const job = await cloud.batch.job('j').queue(queue).definition(def).env(sim(10)).submit()
    await settle(cloud)
    t.match(refusals, [{ reason: 'stale' }], 'the first plan was refused as stale')
    t.ok(plans.length >= 2, 'and a new one made against the pool as it is now')
    t.ok(plans[1].poolVersion > plans[0].poolVersion)
    t.equal((await job.describe()).status, 'RUNNING', 'the job runs')
    await cloud.clock.advance(10_000)
    t.equal((await job.wait()).attempts.length, 1, 'once')
  } finally {
    unsubscribe('stratus:scheduler:plan', onPlan)
    unsubscribe('stratus:cluster:plan-refused', onRefused)
  }
})

t.test('regression: work placed by a plan whose transaction is undone goes back and runs (children were lost from the cache)', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 4 })
  // Between plan and commit, one child of the array is cancelled: committing its placement is refused
  // (it is no longer RUNNABLE), the whole plan is undone, and the dispatcher makes a new one.
  let job: Awaited<ReturnType<ReturnType<typeof cloud.batch.job>['submit']>> | undefined
  let cancelled = false
  const onPlan = () => {
    if (cancelled || job === undefined) return
    cancelled = true
    void cloud.batch.service.cancelJob({ jobId: `${job.id}:1`, reason: 'not this one' })
  }
  subscribe('stratus:scheduler:plan', onPlan)
  try {
    job = await cloud.batch.job('arr').queue(queue).definition(def).array(3).env(sim(10)).submit()
    await settle(cloud)
    t.ok(cancelled, 'the child was cancelled between plan and commit')
    const summary = (await job.describe()).arrayProperties?.statusSummary
    t.match(summary, { RUNNING: 2, FAILED: 1, RUNNABLE: 0 }, 'the other two were placed again and run')
    t.same((await job.child(1).describe()).attempts, [], 'the cancelled child never started')
    t.same((await cloud.batch.service.listNodes('own')).map((n) => n.running), [2], 'the node holds exactly the two that run')
    await cloud.clock.advance(10_000)
    t.equal((await job.wait()).status, 'FAILED')
  } finally {
    unsubscribe('stratus:scheduler:plan', onPlan)
  }
})
