// A plan the PlanApplier refuses (the instances changed after the plan was
// made): each task's failure names the instance the plan put it on and what
// that instance lacks now. Regression: every task was RESOURCE:PORTS, on the
// snapshot's first instance, whatever the refusal.
import t from 'tap'
import { seedCluster, simulatedEngine } from './tasks-fixtures.js'
import { placeTasks } from '../../../runtime/ecs/placement/index.js'
import { refusedPlanFailures } from '../../../runtime/ecs/task-placement.js'

t.test('a refused plan reported RESOURCE:PORTS on the first instance: each task on its own instance, with what it lacks', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  const cluster = seedCluster(engine, 'work', { instances: [{ vcpus: 2, memory: 4096 }, { vcpus: 2, memory: 4096 }, { vcpus: 2, memory: 4096 }] })
  const ctx = engine.ecs.context
  const demand = { cpu: 1500, memory: 1024, gpu: 0, group: 'family:x', ports: ['tcp:8080'] }
  engine.store.transaction((tx) => {
    const snapshot = ctx.pools.snapshot(cluster.poolId, tx)
    const result = placeTasks(ctx.scheduler, {
      poolId: snapshot.poolId, poolVersion: snapshot.version,
      nodes: snapshot.nodes.map((record) => ({ record, groups: record.groups ?? {} })),
      tasks: [{ demand, group: 'family:x' }, { demand, group: 'family:x' }, { demand, group: 'family:x' }, { demand, group: 'family:x' }],
      placementStrategy: [{ type: 'spread', field: 'instanceId' }], placementConstraints: [], seed: 7
    })
    const planned = result.placements.map((p) => p.node)
    t.same(planned.filter((n) => n !== null).length, 3, 'one task on each instance, the fourth has none')
    // After the plan: the second instance's CPU is taken, the third's port.
    const [, second, third] = planned as NonNullable<typeof planned[number]>[]
    ctx.pools.reserve(tx, second.key, { cpu: 1000, memory: 0, gpu: 0 })
    ctx.pools.reserve(tx, third.key, { cpu: 0, memory: 0, gpu: 0, ports: ['tcp:8080'] })
    const applied = ctx.applier.apply(result.plan, () => demand, () => {})
    t.equal(applied.applied, false, 'the applier refuses the plan')
    if (applied.applied) return
    const failures = refusedPlanFailures(ctx, tx, result.placements, demand, applied.detail, String(cluster.cluster.clusterArn))
    t.same(failures.map((f) => [f.arn, f.reason]), [
      [planned[0]!.containerInstanceArn, 'AGENT'],
      [second.containerInstanceArn, 'RESOURCE:CPU'],
      [third.containerInstanceArn, 'RESOURCE:PORTS'],
      [String(cluster.cluster.clusterArn), result.placements[3].reason]
    ])
    t.equal(failures[0].detail, applied.detail, 'a task whose instance still fits carries the applier\'s reason')
    t.equal(failures[2].detail, 'host port tcp:8080 is in use')
  })
})
