// The capacity index makes a placement cost far less than a scan of every
// node. Measured in work, not time: index records descended into and leaves
// evaluated per task, on a 10,000-node cluster.
import t from 'tap'
import { loadWasmCore } from '../../runtime/scheduler/wasm-core.js'
import { STRATEGIES, syntheticBatch } from '../../bench/synthetic-cluster.js'

t.test('binpack and bestfit without constraints do not scan the nodes', async (t) => {
  const core = await loadWasmCore()
  const nodes = 10_000
  const tasks = 200_000
  for (const s of STRATEGIES.filter((s) => s.name !== 'random')) {
    const batch = syntheticBatch(core, { nodes, tasks, strategy: s.strategy, spreadAttribute: s.spread })
    const m = core.place(batch)
    core.release(batch)
    const perTask = (m.indexVisits + m.nodesEvaluated) / tasks
    t.equal(m.placed, tasks, `${s.name}: every task placed`)
    t.ok(perTask < 200, `${s.name}: ${perTask.toFixed(1)} records and nodes looked at per task, of ${nodes} nodes`)
  }
})
