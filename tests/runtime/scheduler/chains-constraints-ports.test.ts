// Strategy chains, several constraints and static host ports through the
// Scheduler, on both cores (the WebAssembly core decides, the twin agrees).
import t from 'tap'
import { bothSchedulers } from '../../core-as/cores.js'
import type { NodeInput } from '../../../runtime/scheduler/scheduler.js'

const schedulers = await bothSchedulers()

const node = (zone: string, freeMemory: number, extra: Partial<NodeInput> = {}): NodeInput =>
  ({ cpu: 4000, memory: 16384, free: { memory: freeMemory }, zone, ...extra })

t.test('spread(zone) then binpack(memory): zones alternate, and within a zone the fullest node is packed', async (t) => {
  // a: nodes 0 (8 GiB free), 1 (2 GiB free); b: nodes 2 (4 GiB), 3 (12 GiB)
  const nodes = [node('a', 8192), node('a', 2048), node('b', 4096), node('b', 12288)]
  const chain = [{ type: 'spread', field: 'zone' }, { type: 'binpack', field: 'memory' }] as const
  for (const [name, s] of schedulers) {
    const plan = s.place({ nodes, tasks: Array.from({ length: 4 }, () => ({ cpu: 100, memory: 1024, group: 'web', strategies: chain })) })
    t.same(plan.placements.map((p) => p.node), [1, 2, 1, 2], `${name}: a's node 1, b's node 2, then again (each zone's least free memory)`)
    // The single-strategy case stays the index search: spread alone picks the emptiest node of the zone.
    const single = s.place({ nodes, tasks: [{ cpu: 100, memory: 1024, group: 'web', strategy: chain[0] }] })
    t.equal(single.placements[0].node, 0, `${name}: spread alone takes the zone's first node with fewest tasks`)
    // spread(node) then binpack(cpu): ties on task counts go to the node with least cpu left.
    const packed = s.place({
      nodes: [{ cpu: 4000, memory: 8192, free: { cpu: 3000 } }, { cpu: 4000, memory: 8192, free: { cpu: 1000 } }],
      tasks: [{ cpu: 500, memory: 64, strategies: [{ type: 'spread', field: 'node' }, { type: 'binpack', field: 'cpu' }] }]
    })
    t.equal(packed.placements[0].node, 1, `${name}: the tie on tasks broken by binpack(cpu)`)
  }
})

t.test('several constraints: a node must match every memberOf set, and distinctInstance holds', async (t) => {
  const nodes: NodeInput[] = [
    { cpu: 4000, memory: 8192, zone: 'a', instanceType: 't2.micro' },
    { cpu: 4000, memory: 8192, zone: 'b', instanceType: 't2.micro' },
    { cpu: 4000, memory: 8192, zone: 'b', instanceType: 'm5.large' }
  ]
  for (const [name, s] of schedulers) {
    const plan = s.place({
      nodes,
      tasks: Array.from({ length: 2 }, () => ({
        cpu: 100, memory: 128, group: 'g',
        constraints: [{ memberOf: { attribute: 'zone', values: ['b'] } }, { memberOf: { attribute: 'instanceType', values: ['t2.micro'] } }, { distinctInstance: true as const }]
      }))
    })
    t.equal(plan.placements[0].node, 1, `${name}: only node 1 is in b and a t2.micro`)
    t.equal(plan.placements[1].reason, 'CONSTRAINT_UNSATISFIED', `${name}: the second task of the group finds no other such node`)
  }
})

t.test('ports: taken on a node or by a task earlier in the plan; tcp and udp are apart', async (t) => {
  const nodes: NodeInput[] = [
    { cpu: 4000, memory: 8192, usedPorts: ['tcp:80'] },
    { cpu: 4000, memory: 8192 },
    { cpu: 4000, memory: 8192 }
  ]
  for (const [name, s] of schedulers) {
    const plan = s.place({
      nodes,
      tasks: [
        { cpu: 100, memory: 128, ports: ['tcp:80'], strategy: { type: 'binpack', field: 'memory' } },
        { cpu: 100, memory: 128, ports: ['tcp:80', 'udp:53'], strategy: { type: 'binpack', field: 'memory' } },
        { cpu: 100, memory: 128, ports: ['tcp:80'], strategy: { type: 'random' } },
        { cpu: 100, memory: 128, ports: ['udp:80'], strategies: [{ type: 'binpack', field: 'memory' }, { type: 'spread', field: 'node' }] }
      ]
    })
    t.same(plan.placements.map((p) => p.node), [1, 2, null, 1], `${name}: nodes 1 and 2 for tcp:80, none left; udp:80 is free next to tcp:80`)
    t.equal(plan.placements[2].reason, 'PORTS_IN_USE', `${name}: the reason of the third`)
    t.ok(plan.metrics.filteredPorts >= 3, `${name}: nodes filtered by ports are counted (${plan.metrics.filteredPorts})`)
    // Capacity short on most nodes wins over ports (the reason is the cause that ruled out the most nodes).
    const web = { cpu: 100, memory: 128, ports: ['tcp:80'] }
    const short = s.place({ nodes, tasks: [web, web, web, { cpu: 3950, memory: 128, ports: ['tcp:80'] }] })
    t.same(short.placements.map((p) => p.reason), ['PLACED', 'PLACED', 'PORTS_IN_USE', 'INSUFFICIENT_CPU'], `${name}: reasons by the most nodes (3 by ports; then 2 by cpu, 1 by ports)`)
  }
})

t.test('bad chains, constraints and ports are refused with the field and the limit', async (t) => {
  const [, s] = schedulers[0]
  const nodes: NodeInput[] = [{ cpu: 1000, memory: 1024 }]
  const task = { cpu: 1, memory: 1 }
  const tasks = (extra: object) => [task, task, task, { ...task, ...extra }]
  t.throws(() => s.place({ nodes, tasks: tasks({ strategies: Array.from({ length: 6 }, () => ({ type: 'random' })) }) }),
    { code: 'SchedulerTooManyStrategies', field: 'tasks[3].strategies[5]', limit: 5 })
  t.throws(() => s.place({ nodes, tasks: tasks({ strategies: [{ type: 'random' }, { type: 'binpack', field: 'gpu' }] }) }),
    { code: 'SchedulerInvalidInput', field: 'tasks[3].strategies[1].field' })
  t.throws(() => s.place({ nodes, tasks: tasks({ strategy: { type: 'random' }, strategies: [{ type: 'random' }] }) }), { code: 'SchedulerInvalidInput', field: 'tasks[3].strategies' })
  t.throws(() => s.place({ nodes, tasks: tasks({ group: 'g', constraints: Array.from({ length: 11 }, () => ({ distinctInstance: true })) }) }),
    { code: 'SchedulerTooManyConstraints', field: 'tasks[3].constraints[10]', limit: 10 })
  t.throws(() => s.place({ nodes, tasks: tasks({ constraints: [{ memberOf: { attribute: 'zone', values: 'a' } }] }) }), { code: 'SchedulerInvalidInput', field: 'tasks[3].constraints[0].memberOf.values' })
  t.throws(() => s.place({ nodes, tasks: tasks({ ports: ['tcp:70000'] }) }), { code: 'SchedulerInvalidInput', field: 'tasks[3].ports[0]', limit: 65535 })
  t.throws(() => s.place({ nodes, tasks: tasks({ ports: ['tcp:80', 'tcp:80'] }) }), { code: 'SchedulerInvalidInput', field: 'tasks[3].ports[1]' })
  t.throws(() => s.place({ nodes: [{ cpu: 1, memory: 1, usedPorts: ['sctp:1'] }], tasks: [task] }), { code: 'SchedulerInvalidInput', field: 'nodes[0].usedPorts[0]' })
})
