// Hand-computed placements for every strategy and constraint, on both cores.
import t from 'tap'
import { bothSchedulers } from './cores.js'
import type { NodeInput, TaskInput } from '../../runtime/scheduler/scheduler.js'

const node = (cpu: number, memory: number, extra: Partial<NodeInput> = {}): NodeInput => ({ cpu, memory, ...extra })
const nodesOf = (plan: { placements: Array<{ node: number | null }> }) => plan.placements.map((p) => p.node)
const reasonsOf = (plan: { placements: Array<{ reason: string }> }) => plan.placements.map((p) => p.reason)

t.test('fixtures', async (t) => {
  for (const [name, s] of await bothSchedulers()) {
    t.test(`${name}: binpack(cpu) leaves the fewest millicores`, async (t) => {
      const nodes = [node(4000, 8192), node(4000, 8192, { free: { cpu: 1500 } }), node(4000, 8192, { free: { cpu: 2500 } })]
      const task: TaskInput = { cpu: 1000, memory: 256, strategy: { type: 'binpack', field: 'cpu' } }
      // 1500-1000=500 is least; then node 1 has 500 left: 2500-1000=1500 beats 4000-1000
      t.same(nodesOf(s.place({ nodes, tasks: [task, task, task] })), [1, 2, 2])
    })

    t.test(`${name}: binpack(memory) leaves the fewest MiB`, async (t) => {
      const nodes = [node(4000, 8192, { free: { memory: 3000 } }), node(4000, 8192, { free: { memory: 1200 } }), node(4000, 8192)]
      const task: TaskInput = { cpu: 100, memory: 1000, strategy: { type: 'binpack', field: 'memory' } }
      t.same(nodesOf(s.place({ nodes, tasks: [task, task, task] })), [1, 0, 0])
    })

    t.test(`${name}: bestfit minimises the sum of normalised leftovers`, async (t) => {
      const nodes = [
        node(4000, 8192, { free: { cpu: 2000, memory: 8192 } }), // (1000/4000 + 7168/8192) = 1.125
        node(4000, 8192, { free: { cpu: 3000, memory: 2048 } }), // (2000/4000 + 1024/8192) = 0.625
        node(8000, 16384, { free: { cpu: 3000, memory: 4096 } }) // (2000/8000 + 3072/16384) = 0.4375
      ]
      const task: TaskInput = { cpu: 1000, memory: 1024, strategy: { type: 'bestfit' } }
      // node 2 then leaves (1000/8000 + 2048/16384) = 0.25, then (0 + 1024/16384) = 0.0625;
      // with no cpu left there, node 1 (0.625) beats node 0 (1.125)
      t.same(nodesOf(s.place({ nodes, tasks: [task, task, task, task] })), [2, 2, 2, 1])
    })

    t.test(`${name}: ties go to the lowest node index`, async (t) => {
      const nodes = [node(4000, 8192), node(4000, 8192), node(4000, 8192)]
      for (const strategy of [{ type: 'bestfit' }, { type: 'binpack', field: 'cpu' }, { type: 'spread', field: 'node' }] as const) {
        t.equal(s.place({ nodes, tasks: [{ cpu: 100, memory: 100, strategy }] }).placements[0].node, 0, strategy.type)
      }
    })

    t.test(`${name}: spread(node) evens out tasks per node`, async (t) => {
      const nodes = [node(4000, 8192), node(4000, 8192), node(4000, 8192, { runningTasks: 1 })]
      const task: TaskInput = { cpu: 100, memory: 100, strategy: { type: 'spread', field: 'node' } }
      t.same(nodesOf(s.place({ nodes, tasks: Array(5).fill(task) })), [0, 1, 0, 1, 2])
    })

    t.test(`${name}: spread(zone) evens out a group over zones, then nodes`, async (t) => {
      const nodes = [
        node(4000, 8192, { zone: 'a' }), node(4000, 8192, { zone: 'b', groups: { web: 2 } }),
        node(4000, 8192, { zone: 'a' }), node(4000, 8192, { zone: 'c' })
      ]
      const task: TaskInput = { cpu: 100, memory: 100, group: 'web', strategy: { type: 'spread', field: 'zone' } }
      // zones a:0 b:2 c:0 -> a (lower id), c, a (node 2: fewest), then a:2 b:2 c:1 -> c, then all 2... a
      t.same(nodesOf(s.place({ nodes, tasks: Array(5).fill(task) })), [0, 3, 2, 3, 0])
    })

    t.test(`${name}: spread over a custom attribute`, async (t) => {
      const nodes = [node(4000, 8192, { attributes: { rack: 'r1' } }), node(4000, 8192, { attributes: { rack: 'r1' } }), node(4000, 8192, { attributes: { rack: 'r2' } })]
      const task: TaskInput = { cpu: 100, memory: 100, strategy: { type: 'spread', field: 'rack' } }
      t.same(nodesOf(s.place({ nodes, tasks: Array(4).fill(task) })), [0, 2, 1, 2])
    })

    t.test(`${name}: random is seeded and only picks nodes that fit`, async (t) => {
      const nodes = [node(1000, 1024), node(4000, 8192), node(500, 512), node(4000, 8192)]
      const task: TaskInput = { cpu: 2000, memory: 2048, strategy: { type: 'random' } }
      const a = s.place({ nodes, tasks: Array(4).fill(task), seed: 11 })
      t.same(a, s.place({ nodes, tasks: Array(4).fill(task), seed: 11 }))
      for (const p of a.placements) t.ok(p.node === 1 || p.node === 3)
    })

    t.test(`${name}: distinctInstance puts each task of a group on its own node`, async (t) => {
      const nodes = [node(4000, 8192, { groups: { g: 1 } }), node(4000, 8192), node(4000, 8192), node(4000, 8192)]
      const task: TaskInput = { cpu: 100, memory: 100, group: 'g', distinctInstance: true, strategy: { type: 'binpack', field: 'cpu' } }
      const plan = s.place({ nodes, tasks: [task, task, task, task, { ...task, group: 'h' }] })
      // group h is on no node: binpack sends it to the fullest, node 1 (ties: lowest index)
      t.same(nodesOf(plan), [1, 2, 3, null, 1])
      t.equal(plan.placements[3].reason, 'CONSTRAINT_UNSATISFIED')
    })

    t.test(`${name}: memberOf restricts to an attribute's values`, async (t) => {
      const nodes = [node(4000, 8192, { zone: 'a' }), node(4000, 8192, { zone: 'b' }), node(4000, 8192, { zone: 'c', instanceType: 'm5.large' })]
      const plan = s.place({
        nodes,
        tasks: [
          { cpu: 100, memory: 100, memberOf: { attribute: 'zone', values: ['b', 'c'] } },
          { cpu: 100, memory: 100, memberOf: { attribute: 'instanceType', values: ['m5.large'] } },
          { cpu: 100, memory: 100, memberOf: { attribute: 'zone', values: ['nowhere'] } },
          { cpu: 9000, memory: 100, memberOf: { attribute: 'zone', values: ['a'] } }
        ]
      })
      t.same(nodesOf(plan), [1, 2, null, null])
      t.same(reasonsOf(plan).slice(2), ['CONSTRAINT_UNSATISFIED', 'INSUFFICIENT_CPU'])
    })

    t.test(`${name}: reasons name the exhausted dimension`, async (t) => {
      const nodes = [node(4000, 8192, { gpus: 1 }), node(2000, 16384)]
      const plan = s.place({
        nodes,
        tasks: [
          { cpu: 5000, memory: 100 }, { cpu: 100, memory: 20000 }, { cpu: 100, memory: 100, gpus: 2 },
          { cpu: 3000, memory: 10000 } // cpu fits node 0, memory fits node 1: one node each -> tie -> cpu
        ]
      })
      t.same(reasonsOf(plan), ['INSUFFICIENT_CPU', 'INSUFFICIENT_MEMORY', 'INSUFFICIENT_GPU', 'INSUFFICIENT_CPU'])
    })

    t.test(`${name}: draining and inactive nodes never receive tasks`, async (t) => {
      const plan = s.place({ nodes: [node(4000, 8192, { status: 'DRAINING' }), node(4000, 8192, { status: 'INACTIVE' })], tasks: [{ cpu: 1, memory: 1 }] })
      t.same(plan.placements[0], { node: null, reason: 'NO_ACTIVE_NODE', reservedNode: null })
      const mixed = s.place({ nodes: [node(4000, 8192, { status: 'DRAINING' }), node(100, 100)], tasks: [{ cpu: 1000, memory: 1 }] })
      t.equal(mixed.placements[0].reason, 'INSUFFICIENT_CPU')
      t.equal(s.place({ nodes: [], tasks: [{ cpu: 1, memory: 1 }] }).placements[0].reason, 'NO_ACTIVE_NODE')
    })

    t.test(`${name}: capacity placed in a batch is accounted before the next task`, async (t) => {
      const plan = s.place({ nodes: [node(1000, 1024), node(1000, 1024)], tasks: Array(3).fill({ cpu: 600, memory: 100 }) })
      t.same(nodesOf(plan), [0, 1, null])
    })

    t.test(`${name}: zero-capacity nodes take only zero-sized tasks`, async (t) => {
      const plan = s.place({ nodes: [node(0, 0), node(1000, 1000)], tasks: [{ cpu: 0, memory: 0 }, { cpu: 1, memory: 0 }] })
      t.same(nodesOf(plan), [0, 1])
    })

    t.test(`${name}: a dispatch order is honoured`, async (t) => {
      const plan = s.place({ nodes: [node(1000, 1024)], tasks: [{ cpu: 600, memory: 1 }, { cpu: 600, memory: 1 }], order: [1, 0] })
      t.same(nodesOf(plan), [null, 0])
    })
  }
})
