// placeTasks: ECS's strategies and constraints on container instances, the
// WebAssembly core deciding and the twin agreeing, with ECS's failure reasons.
import t from 'tap'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { NodePools, PlanApplier } from '../../../runtime/cluster/index.js'
import type { NodeRecord } from '../../../runtime/cluster/node-pool.js'
import { placeTasks, SERVICE_DEFAULT_STRATEGY, type PlaceTasksInput, type PlacementNode } from '../../../runtime/ecs/placement/index.js'
import { bothSchedulers } from '../../core-as/cores.js'

const schedulers = await bothSchedulers()

/** Six instances over us-east-1a/b/c (round robin), with the memory already used given. */
function cluster(used: number[], types: string[] = []) {
  const store = new MemoryStore()
  const pools = new NodePools({ store, partition: makePartition(), now: () => Date.parse('2024-01-01T00:00:00Z') })
  store.transaction((tx) => {
    pools.createPool(tx, { poolId: 'p', clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/c', runner: 'simulated' })
    used.forEach((_, i) => pools.addNode(tx, 'p', { id: `i-${i}`, instanceType: types[i] ?? 'm5.xlarge', vcpus: 4, memory: 16384, gpus: 0, managed: false }))
    used.forEach((mib, i) => { if (mib > 0) pools.reserve(tx, `p/i-${i}`, { cpu: 0, memory: mib, gpu: 0 }) })
  })
  const snap = pools.snapshot('p')
  const nodes: PlacementNode[] = snap.nodes.map((record) => ({ record }))
  const input = (extra: Partial<PlaceTasksInput>, count = 1, memory = 1024): PlaceTasksInput =>
    ({ poolId: 'p', poolVersion: snap.version, nodes, tasks: Array.from({ length: count }, () => ({ demand: { cpu: 256, memory, gpu: 0 }, group: 'family:web' })), ...extra })
  return { store, pools, nodes, input }
}
const ids = (placements: Array<{ node: NodeRecord | null }>) => placements.map((p) => p.node?.id ?? null)

t.test('spread(AZ) then binpack(memory): tasks go round the zones, each to its zone\'s fullest instance', async (t) => {
  // zones: i-0 a, i-1 b, i-2 c, i-3 a, i-4 b, i-5 c; i-3 is fuller than i-0, i-1 than i-4, i-5 than i-2
  const { store, input } = cluster([0, 8192, 1024, 4096, 2048, 6144])
  for (const [name, s] of schedulers) {
    const r = placeTasks(s, input({ placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'binpack', field: 'memory' }] }, 6))
    t.same(ids(r.placements), ['i-1', 'i-5', 'i-3', 'i-1', 'i-5', 'i-3'], `${name}: b, c, a (ties between zones go by instance order), each time the zone's fullest`)
    // The service default: spread over zones, then over instances.
    const d = placeTasks(s, input({ placementStrategy: SERVICE_DEFAULT_STRATEGY }, 6))
    t.same(new Set(ids(d.placements)).size, 6, `${name}: the service default puts six tasks on six instances`)
    // binpack(memory) alone fills the fullest instance first.
    t.same(ids(placeTasks(s, input({ placementStrategy: [{ type: 'binpack', field: 'memory' }] }, 2)).placements), ['i-1', 'i-1'], `${name}: binpack`)
    // No strategy: random (RunTask's default) — seeded, so the same seed replays.
    const a = placeTasks(s, input({ seed: 7 }, 5)), b = placeTasks(s, input({ seed: 7 }, 5))
    t.same(ids(a.placements), ids(b.placements), `${name}: random replays with its seed`)
  }
  await store.close()
})

t.test('constraints: memberOf expressions and distinctInstance, with ECS\'s reasons', async (t) => {
  const { store, input, nodes } = cluster([0, 0, 0, 0], ['t2.micro', 'm5.large', 't2.micro', 'm5.large'])
  for (const [name, s] of schedulers) {
    const micro = placeTasks(s, input({ placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t2.*' }, { type: 'distinctInstance' }] }, 3))
    t.same(ids(micro.placements).slice(0, 2).sort(), ['i-0', 'i-2'], `${name}: the two t2.micro instances, one task each`)
    t.same(micro.placements[2], { node: null, reason: 'DistinctInstance placement constraint unsatisfied' }, `${name}: a third finds no other t2.micro`)
    const none = placeTasks(s, input({ placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type == g4dn.xlarge' }] }))
    t.same(none.placements[0], { node: null, reason: 'MemberOf placement constraint unsatisfied' }, `${name}: memberOf no instance satisfies`)
    const both = placeTasks(s, input({ placementConstraints: [
      { type: 'memberOf', expression: 'attribute:ecs.availability-zone in [us-east-1a, us-east-1b]' },
      { type: 'memberOf', expression: 'not(attribute:ecs.instance-type == t2.micro)' }
    ] }))
    t.same(ids(both.placements), ['i-1'], `${name}: every memberOf must hold (zone a or b, and not a t2.micro)`)
    const grouped = placeTasks(s, { ...input({ placementConstraints: [{ type: 'memberOf', expression: 'task:group == service:db' }] }), nodes: nodes.map((n, i) => (i === 3 ? { ...n, groups: { 'service:db': 1 } } : n)) })
    t.same(ids(grouped.placements), ['i-3'], `${name}: task:group finds the instance running the group`)
    t.same(placeTasks(s, input({}, 1, 20000)).placements[0].reason, 'RESOURCE:MEMORY', `${name}: too large`)
    t.same(placeTasks(s, { ...input({}), tasks: [{ demand: { cpu: 8000, memory: 1, gpu: 0 } }] }).placements[0].reason, 'RESOURCE:CPU', `${name}: too many cpus`)
    const disconnected = placeTasks(s, { ...input({}), nodes: nodes.map((n) => ({ ...n, agentConnected: false })) })
    t.same(disconnected.placements[0], { node: null, reason: 'AGENT' }, `${name}: no connected instance`)
    t.same(placeTasks(s, { ...input({}), nodes: [] }).placements[0].reason, 'AGENT', `${name}: no instance at all`)
  }
  await store.close()
})

t.test('ports: a static host port is taken on an instance and by earlier tasks of the plan; the plan commits them', async (t) => {
  const { store, pools, input, nodes } = cluster([0, 0, 0])
  store.transaction((tx) => pools.reserve(tx, 'p/i-0', { cpu: 0, memory: 0, gpu: 0, ports: ['tcp:80'] }))
  const withUsed = nodes.map((n) => ({ record: pools.node('p', n.record.id)! }))
  for (const [name, s] of schedulers) {
    const web = { demand: { cpu: 256, memory: 512, gpu: 0, ports: ['tcp:80'] }, group: 'family:web' }
    const r = placeTasks(s, { ...input({ placementStrategy: [{ type: 'binpack', field: 'memory' }] }), nodes: withUsed, tasks: [web, web, web] })
    t.same(ids(r.placements).slice(0, 2).sort(), ['i-1', 'i-2'], `${name}: not on i-0, whose tcp:80 is taken, and not twice on one instance`)
    t.same(r.placements[2], { node: null, reason: 'RESOURCE:PORTS' }, `${name}: the third has no instance with tcp:80 free`)
    t.ok(r.metrics.filteredPorts > 0, `${name}: instances filtered by ports are counted`)
  }
  // The plan commits through the PlanApplier: the ports become the instances' own.
  const [, wasm] = schedulers[0]
  const web = { demand: { cpu: 256, memory: 512, gpu: 0, ports: ['tcp:80'] } }
  const r = placeTasks(wasm, { ...input({}), poolVersion: pools.snapshot('p').version, nodes: withUsed, tasks: [web, web] })
  const applied = new PlanApplier(store, pools).apply(r.plan, () => web.demand, () => {})
  t.same(applied, { applied: true, placed: 2 })
  t.same(pools.nodes('p').map((n) => n.value.usedPorts ?? []), [['tcp:80'], ['tcp:80'], ['tcp:80']])
  await store.close()
})

t.test('strategies and constraints are validated as ECS does, naming the field', async (t) => {
  const { store, input } = cluster([0])
  const [, s] = schedulers[0]
  const refused = (extra: Partial<PlaceTasksInput>, field: string, limit?: number) =>
    t.throws(() => placeTasks(s, input(extra)), { code: 'InvalidParameterException', field, ...(limit === undefined ? {} : { limit }) }, field)
  refused({ placementStrategy: Array.from({ length: 6 }, () => ({ type: 'random' })) }, 'placementStrategy', 5)
  refused({ placementStrategy: [{ type: 'binpack', field: 'disk' }] }, 'placementStrategy[0].field')
  refused({ placementStrategy: [{ type: 'random' }, { type: 'spread', field: 'zone' }] }, 'placementStrategy[1].field')
  refused({ placementStrategy: [{ type: 'pack' }] }, 'placementStrategy[0].type')
  refused({ placementConstraints: Array.from({ length: 11 }, () => ({ type: 'distinctInstance' })) }, 'placementConstraints', 10)
  refused({ placementConstraints: [{ type: 'distinctInstance', expression: 'x' }] }, 'placementConstraints[0].expression')
  refused({ placementConstraints: [{ type: 'distinctInstance' }, { type: 'memberOf', expression: 'attribute:x ==' }] }, 'placementConstraints[1].expression')
  refused({ placementConstraints: [{ type: 'memberOf' }] }, 'placementConstraints[0].expression')
  refused({ placementConstraints: [{ type: 'unique' }] }, 'placementConstraints[0].type')
  await store.close()
})
